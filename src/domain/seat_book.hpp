#pragma once
// The state of one show's seats between the store's truth and the clients: which seats are
// held by which hold, which are booked, and the life of each hold
// (live -> confirming -> used, or live -> released/expired, or confirming -> released when its
// confirm deadline passes). Pure: the caller supplies the time and does the locking; the same
// rules back the in-process coordinator and are mirrored by the Redis script.
#include <cstdint>
#include <deque>
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

// Hold ids embed their show: "h<show id>.<random>.<signature>" (services/security.hpp). The
// show id, or 0 when `hold_id` does not have that shape.
Id show_of_hold(std::string_view hold_id);

struct HoldInfo {
  std::string id;
  Id show_id = 0;
  Id user_id = 0;
  std::vector<std::string> seats;
  std::int64_t total_cents = 0;
  std::int64_t expires_at_ms = 0;  // wall clock, for the API
};

// What begin_confirm hands out: the hold as it was, and a fencing token that only the
// confirmation it was given to can use. After `deadline_ms` the hold reverts by itself, so a
// confirmation that never finishes (crash, timeout) strands nothing.
struct ConfirmTicket {
  HoldInfo hold;
  std::uint64_t fence = 0;
  std::int64_t deadline_ms = 0;
};

// The store's verdict on a confirmation.
enum class ConfirmOutcome {
  booked,    // the seats are booked
  released,  // nothing was booked (store error, show started): the seats are free again
  taken,     // the store already has some of the seats booked: those are booked, the rest free
};

enum class HoldPhase : std::uint8_t { live, confirming, released, expired, used };

struct SeatBookLimits {
  // Seats one user may hold in this show at once, across holds (0: no limit).
  std::size_t max_held_per_user = 0;
  // How long an ended hold is remembered so that a late confirm or release gets 409 rather
  // than 404. Only ids, owners and phases are kept (about 40 bytes each).
  std::int64_t tombstone_ms = 60'000;
};

class SeatBook {
 public:
  explicit SeatBook(SeatBookLimits limits = {}) : limits_(limits) {}

  SeatStatus status(std::string_view seat) const;
  std::size_t held_seat_count() const { return held_.size(); }
  std::size_t booked_seat_count() const { return booked_.size(); }
  std::size_t live_hold_count() const { return holds_.size(); }
  std::size_t tombstone_count() const { return ended_.size(); }
  // Nothing is held, being confirmed or remembered as ended: the book can be dropped and
  // rebuilt from the store without turning a late confirm's 409 into a 404.
  bool idle() const { return holds_.empty() && ended_.empty(); }

  // All-or-nothing: holds every seat of `hold` or none. On conflict the error is
  // 409 seat-unavailable naming each requested seat that is held or booked; beyond the
  // per-user limit, 409 hold-limit.
  Result<HoldInfo> try_hold(HoldInfo hold, std::int64_t now_ms, std::vector<SeatChange>& changes);

  // Owner-only. Releasing an ended hold is harmless (no changes).
  Status release(std::string_view hold_id, Id user_id, std::int64_t now_ms,
                 std::vector<SeatChange>& changes);

  // Moves a live hold of `user_id` to confirming until `deadline_ms`; its seats stay held until
  // finish_confirm or the deadline. A hold found expired is ended here, and its changes reported.
  Result<ConfirmTicket> begin_confirm(std::string_view hold_id, Id user_id, std::int64_t now_ms,
                                      std::int64_t deadline_ms, std::vector<SeatChange>& changes);
  // Applies the store's verdict. A ticket whose hold already reverted (deadline passed) changes
  // no hold, but booked seats are still marked booked: the store is the truth.
  void finish_confirm(const ConfirmTicket& ticket, ConfirmOutcome outcome,
                      std::span<const std::string> taken, std::int64_t now_ms,
                      std::vector<SeatChange>& changes);

  // The booked mirror of the store's truth.
  void mark_booked(std::span<const std::string> seats, std::vector<SeatChange>& changes);
  void mark_free(std::span<const std::string> seats, std::vector<SeatChange>& changes);

  // Ends live holds whose time has come, reverts confirmations past their deadline and forgets
  // old tombstones.
  void expire(std::int64_t now_ms, std::vector<SeatChange>& changes);
  // The earliest deadline among live and confirming holds, or INT64_MAX.
  std::int64_t next_expiry_ms() const;

  // The live (and confirming) holds of one user, in no particular order.
  std::vector<HoldInfo> holds_of(Id user_id) const;

 private:
  struct Entry {
    HoldInfo info;
    HoldPhase phase = HoldPhase::live;
    std::uint64_t fence = 0;
    std::int64_t deadline_ms = 0;  // expiry while live, confirm deadline while confirming
  };
  struct Tombstone {
    Id user_id;
    HoldPhase phase;
  };
  static std::uint64_t id_hash(std::string_view hold_id);
  void end_hold(std::unordered_map<std::string, Entry>::iterator it, HoldPhase phase,
                std::int64_t now_ms, std::vector<SeatChange>& changes);
  void drop_deadline(const Entry& e);
  std::size_t held_by(Id user_id) const;

  SeatBookLimits limits_;
  std::uint64_t next_fence_ = 1;
  // Bounded by the seats of the show: every entry is a seat of some live hold or booking.
  std::unordered_map<std::string, std::string> held_;  // seat -> hold id
  std::unordered_set<std::string> booked_;
  // Live and confirming holds only; bounded by the seats (each hold holds at least one).
  std::unordered_map<std::string, Entry> holds_;
  std::unordered_map<Id, std::size_t> held_per_user_;   // seats in live/confirming holds
  std::multimap<std::int64_t, std::string> deadlines_;  // deadline -> hold id
  // Ended holds by id hash, forgotten after limits_.tombstone_ms (oldest first from the deque).
  std::unordered_map<std::uint64_t, Tombstone> ended_;
  std::deque<std::pair<std::int64_t, std::uint64_t>> ended_order_;
};

}  // namespace boxoffice
