#pragma once
#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "coord/coordinator.hpp"
#include "domain/seats.hpp"
#include "services/accounts.hpp"
#include "store/store.hpp"

namespace boxoffice {

class Metrics;

struct BookingOptions {
  std::chrono::milliseconds hold_ttl{10'000};
  std::size_t max_seats_per_hold = 10;
  std::chrono::milliseconds seat_map_ttl{5'000};
  std::chrono::milliseconds show_info_ttl{30'000};
};

struct SeatMapView {
  Bytes bytes;             // "<etag>\n<json>", as cached
  std::size_t body_offset;  // where the JSON starts
  std::string etag;         // quoted, strong
};

struct HoldView {
  HoldInfo hold;
  std::string currency;
};

class BookingService {
 public:
  BookingService(std::shared_ptr<Store> store, Coordinator coord, BookingOptions options,
                 boost::asio::any_io_executor background, std::shared_ptr<Metrics> metrics);

  boost::asio::awaitable<Result<SeatMapView>> seat_map(Id show_id);
  // The first frame of the live feed: {"type":"snapshot","show_id":N,"seats":{"A1":"available",...}}.
  boost::asio::awaitable<Result<std::string>> live_snapshot(Id show_id);
  // 404 unless the show exists.
  boost::asio::awaitable<Status> check_show(Id show_id);
  boost::asio::awaitable<Result<HoldView>> hold(const Caller& caller, Id show_id, std::vector<std::string> seats);
  boost::asio::awaitable<Status> release(const Caller& caller, std::string hold_id);
  // idempotency_key: nullopt when the header was absent.
  boost::asio::awaitable<Result<Booking>> confirm(const Caller& caller, std::string hold_id,
                                                  std::optional<std::string> idempotency_key);
  boost::asio::awaitable<Result<Page<Booking>>> list(const Caller& caller, Id after_id, int limit);
  boost::asio::awaitable<Result<Booking>> get(const Caller& caller, Id id);
  boost::asio::awaitable<Result<Booking>> cancel(const Caller& caller, Id id);

  // Drops cached show data after catalog deletions.
  void forget_shows();

  // The show id encoded in a hold id, or 0 when it is not one of ours.
  static Id show_of_hold(std::string_view hold_id);

 private:
  struct ShowInfo {
    Show show;
    SeatLayout layout;
    std::vector<std::string> seat_ids;
    std::chrono::steady_clock::time_point loaded;
  };
  boost::asio::awaitable<Result<std::shared_ptr<const ShowInfo>>> show_info(Id show_id);
  boost::asio::awaitable<Status> ensure_primed(Id show_id);
  struct ShowStatuses {
    std::shared_ptr<const ShowInfo> info;
    std::vector<SeatStatus> statuses;  // in the order of info->seat_ids
  };
  // The show, primed, with every seat's current status: what the seat map and the live
  // snapshot are built from.
  boost::asio::awaitable<Result<ShowStatuses>> current_statuses(Id show_id);
  boost::asio::awaitable<void> invalidate_seat_map(Id show_id);
  boost::asio::awaitable<Result<Booking>> confirm_hold(const Caller& caller, const std::string& hold_id,
                                                       const std::string& key, const std::string& request_hash);
  boost::asio::awaitable<Result<Booking>> replay(const Caller& caller, const IdempotencyRecord& rec,
                                                 const std::string& request_hash);

  std::shared_ptr<Store> store_;
  Coordinator coord_;
  BookingOptions options_;
  boost::asio::any_io_executor background_;
  std::shared_ptr<Metrics> metrics_;

  static constexpr std::size_t kShards = 32;
  struct InfoShard {
    std::mutex mutex;
    std::unordered_map<Id, std::shared_ptr<const ShowInfo>> shows;
  };
  std::array<InfoShard, kShards> infos_;
};

}  // namespace boxoffice
