#pragma once
#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "common/sharded_lru.hpp"
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
  // A confirmation that has not heard from the store by then gives its seats back.
  std::chrono::milliseconds confirm_deadline{30'000};
  // An in-flight Idempotency-Key mark outlives a request that died half-way by this much.
  std::chrono::milliseconds idempotency_mark_ttl{60'000};
  std::size_t max_show_infos = 20'000;
  std::size_t max_seat_view_bytes = 256u << 20;
  // Show infos carry their hall's layout (about 250 bytes a seat): a count alone would let
  // 20,000 halls of 20,000 seats take gigabytes. 512 MiB holds about 100 such halls.
  std::size_t max_show_info_bytes = 512u << 20;
  // Signs hold ids (make_hold_id): the same on every instance, kept by the store.
  std::string hold_secret;
};

// A show's seats as sent to clients, built once per seat version and shared by every request
// and watcher: the seat map JSON (and its gzip), and the live snapshot frame.
struct SeatMapView {
  Bytes json;
  Bytes gzip;        // nullptr when the JSON is too small to be worth compressing
  std::string etag;  // quoted, strong
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
  // The first frame of the live feed:
  // {"type":"snapshot","show_id":N,"seats":{"A1":"available",...}}.
  boost::asio::awaitable<Result<Bytes>> live_snapshot(Id show_id);
  // 404 unless the show exists.
  boost::asio::awaitable<Status> check_show(Id show_id);
  boost::asio::awaitable<Result<HoldView>> hold(const Caller& caller, Id show_id,
                                                std::vector<std::string> seats);
  boost::asio::awaitable<Result<std::vector<HoldView>>> holds(const Caller& caller);
  boost::asio::awaitable<Status> release(const Caller& caller, std::string hold_id);
  // idempotency_key: nullopt when the header was absent.
  boost::asio::awaitable<Result<Booking>> confirm(const Caller& caller, std::string hold_id,
                                                  std::optional<std::string> idempotency_key);
  boost::asio::awaitable<Result<Page<Booking>>> list(const Caller& caller, Id after_id, int limit);
  boost::asio::awaitable<Result<Booking>> get(const Caller& caller, Id id);
  boost::asio::awaitable<Result<Booking>> cancel(const Caller& caller, Id id);

  // Drops cached show data after catalog deletions.
  void forget_shows();
  // Drops expired seat views and show infos; the app calls it every few seconds.
  void sweep();
  std::size_t cached_seat_view_bytes() const { return seat_views_.bytes(); }
  std::size_t cached_show_infos() const { return infos_.size(); }

 private:
  // A hall's seats. Shared from one load of its show's info to the next while the screen's rows
  // stay the same: building a 20,000-seat layout takes milliseconds, comparing the rows does not.
  struct Hall {
    std::vector<SeatRow> rows;
    SeatLayout layout;
    std::vector<std::string> seat_ids;
  };
  struct ShowInfo {
    Show show;
    std::shared_ptr<const Hall> hall;
    std::chrono::steady_clock::time_point loaded;
    std::uint64_t shows_generation = 0;  // kShowsRemovedGeneration when loaded
    // When a request set out to reload this info past its TTL (zero: nobody has). Written
    // only under the info cache's lock.
    mutable std::chrono::steady_clock::time_point refreshing{};
  };
  struct ShowInfoWeight {
    std::size_t operator()(const std::shared_ptr<const ShowInfo>& i) const;
  };
  struct SeatView {
    std::uint64_t version = 0;
    std::chrono::steady_clock::time_point built;
    std::string statuses;  // one byte per seat, in layout order
    Bytes json;
    Bytes gzip;
    Bytes snapshot;
    std::string etag;
    // When a request set out to rebuild this view past its TTL (zero: nobody is).
    std::chrono::steady_clock::time_point refreshing{};
  };
  struct SeatViewWeight {
    std::size_t operator()(const SeatView& v) const;
  };
  boost::asio::awaitable<Result<std::shared_ptr<const ShowInfo>>> show_info(Id show_id);
  boost::asio::awaitable<Status> ensure_primed(Id show_id);
  // The show's seat view at its current version, with the parts `want` names built.
  enum class ViewPart { map, snapshot };
  boost::asio::awaitable<Result<SeatView>> seat_view(Id show_id, ViewPart want);
  boost::asio::awaitable<Result<Booking>> confirm_hold(const Caller& caller,
                                                       const std::string& hold_id,
                                                       const std::string& key,
                                                       const std::string& request_hash);
  boost::asio::awaitable<Result<Booking>> replay(const Caller& caller, const IdempotencyRecord& rec,
                                                 const std::string& request_hash);

  std::shared_ptr<Store> store_;
  Coordinator coord_;
  BookingOptions options_;
  boost::asio::any_io_executor background_;
  std::shared_ptr<Metrics> metrics_;
  // Bounded by entries (options_.max_show_infos) and by the estimated bytes of the layouts
  // (options_.max_show_info_bytes); least recently used go. Reloaded after
  // options_.show_info_ttl by one request while the others use the old one; dropped by the
  // sweep when not reloaded within twice that.
  ShardedLru<Id, std::shared_ptr<const ShowInfo>, ShowInfoWeight> infos_;
  // The catalog's kShowsRemovedGeneration (shared by every instance through the coordinator's
  // cache), as last read and when (steady clock, ns). A show deleted on any instance bumps it,
  // and infos loaded under an older one are loaded again; it is read at most once per
  // kShowsGenerationRefresh, so a hold costs no extra round trip.
  static constexpr std::chrono::milliseconds kShowsGenerationRefresh{500};
  std::atomic<std::uint64_t> shows_generation_{0};
  std::atomic<std::int64_t> shows_generation_read_{0};  // 0: never read
  boost::asio::awaitable<std::uint64_t> shows_generation();
  // One entry per show (the newest version wins), bounded by bytes, least recently used go;
  // expired after options_.seat_map_ttl by sweep().
  ShardedLru<Id, SeatView, SeatViewWeight> seat_views_;
};

}  // namespace boxoffice
