#pragma once
// The state of one show's seats between the store's truth and the clients: which seats are
// held by which hold, which are booked, and the life of each hold
// (live -> confirming -> used, or live -> released/expired). Pure: the caller supplies the time
// and does the locking; the same rules back the in-process coordinator and are mirrored by the
// Redis script.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "domain/models.hpp"
#include "domain/result.hpp"

namespace boxoffice {

enum class SeatStatus { available, held, booked };
std::string_view seat_status_name(SeatStatus s);

struct SeatChange {
  std::string seat;
  SeatStatus status;
  bool operator==(const SeatChange&) const = default;
};

struct HoldInfo {
  std::string id;
  Id show_id = 0;
  Id user_id = 0;
  std::vector<std::string> seats;
  std::int64_t total_cents = 0;
  std::int64_t expires_at_ms = 0;  // wall clock, for the API
};

enum class HoldPhase { live, confirming, released, expired, used };

class SeatBook {
 public:
  // How long ended holds are remembered so that a late confirm gets 409 rather than 404.
  static constexpr std::int64_t kTombstoneMs = 15 * 60 * 1000;

  SeatStatus status(std::string_view seat) const;
  std::size_t held_seat_count() const { return held_.size(); }
  std::size_t booked_seat_count() const { return booked_.size(); }

  // All-or-nothing: holds every seat of `hold` or none. On conflict the error is
  // 409 seat-unavailable naming each requested seat that is held or booked.
  Result<HoldInfo> try_hold(HoldInfo hold, std::int64_t now_ms, std::vector<SeatChange>& changes);

  // Owner-only. Releasing an ended hold is harmless (no changes).
  Status release(std::string_view hold_id, Id user_id, std::int64_t now_ms,
                 std::vector<SeatChange>& changes);

  // Moves a live hold of `user_id` to confirming; its seats stay held until finish_confirm.
  Result<HoldInfo> begin_confirm(std::string_view hold_id, Id user_id, std::int64_t now_ms);
  // booked=true: the seats become booked, the hold is used. false: the hold is released.
  void finish_confirm(std::string_view hold_id, bool booked, std::int64_t now_ms,
                      std::vector<SeatChange>& changes);

  // The booked mirror of the store's truth.
  void mark_booked(std::span<const std::string> seats, std::vector<SeatChange>& changes);
  void mark_free(std::span<const std::string> seats, std::vector<SeatChange>& changes);

  // Ends live holds whose time has come and forgets old tombstones.
  void expire(std::int64_t now_ms, std::vector<SeatChange>& changes);
  // The earliest expiry among live holds, or INT64_MAX.
  std::int64_t next_expiry_ms() const;

 private:
  struct Entry {
    HoldInfo info;
    HoldPhase phase = HoldPhase::live;
    std::int64_t ended_at_ms = 0;
  };
  void end_hold(Entry& e, HoldPhase phase, std::int64_t now_ms, std::vector<SeatChange>& changes);

  std::unordered_map<std::string, std::string> held_;  // seat -> hold id
  std::unordered_set<std::string> booked_;
  std::unordered_map<std::string, Entry> holds_;
  std::multimap<std::int64_t, std::string> deadlines_;  // expiry -> live hold id
  std::multimap<std::int64_t, std::string> tombstones_;  // ended at -> hold id
};

}  // namespace boxoffice
