#pragma once
// Prometheus text-format metrics with fixed label sets, so that recording one is a relaxed
// atomic increment: no lock, no map look-up on the hot path.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace boxoffice {

enum class HoldResult { held, conflict, limited, invalid, show_started, released, count_ };
enum class BookingResult {
  confirmed,
  conflict,
  hold_expired,
  not_found,
  show_started,
  replayed,
  in_progress,
  cancelled,
  error,
  count_
};
enum class CacheName { seat_map, catalog, show_info, count_ };

struct PoolStats {
  std::string db;  // label value: embedded, command, query
  std::int64_t in_use = 0;
  std::int64_t idle = 0;
  bool reachable = true;
};

// A Prometheus histogram of durations; observe() is a few relaxed atomic increments.
class LatencyHistogram {
 public:
  static constexpr std::array<double, 14> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  void observe(std::chrono::nanoseconds duration);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // Appends the _bucket, _sum and _count lines of `name` with `labels` (no braces).
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

class Metrics {
 public:
  // Route 0 is reserved for requests that matched no route.
  explicit Metrics(std::vector<std::string> routes);

  void request(std::size_t route, int status, std::chrono::nanoseconds duration);
  void hold(HoldResult r) {
    holds_[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }
  void booking(BookingResult r) {
    bookings_[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }
  void cache_hit(CacheName c) {
    hits_[static_cast<std::size_t>(c)].fetch_add(1, std::memory_order_relaxed);
  }
  void cache_miss(CacheName c) {
    misses_[static_cast<std::size_t>(c)].fetch_add(1, std::memory_order_relaxed);
  }
  void rate_limited() { rate_limited_.fetch_add(1, std::memory_order_relaxed); }
  void websocket_opened() { websockets_.fetch_add(1, std::memory_order_relaxed); }
  void websocket_closed() { websockets_.fetch_sub(1, std::memory_order_relaxed); }
  void connection_opened() { connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { connections_.fetch_sub(1, std::memory_order_relaxed); }
  void set_pool_stats(std::function<std::vector<PoolStats>()> fn) { pool_stats_ = std::move(fn); }
  // Query latency per database (label value -> histogram), rendered as
  // boxoffice_db_query_duration_seconds.
  using DbLatency = std::vector<std::pair<std::string, std::shared_ptr<LatencyHistogram>>>;
  void set_db_latency(DbLatency latency) { db_latency_ = std::move(latency); }
  // What the server keeps in memory, by part (entries or bytes): the soak benchmark and the
  // tests watch these stay bounded.
  using Retained = std::vector<std::pair<std::string, double>>;
  void set_retained(std::function<Retained()> fn) { retained_ = std::move(fn); }
  // The coordinator backend's own counters (Coordinator::events).
  void set_coordinator_events(std::function<Retained()> fn) { coordinator_events_ = std::move(fn); }

  std::uint64_t holds(HoldResult r) const { return holds_[static_cast<std::size_t>(r)].load(); }
  std::uint64_t bookings(BookingResult r) const {
    return bookings_[static_cast<std::size_t>(r)].load();
  }
  std::int64_t open_connections() const { return connections_.load(); }

  std::string render() const;

 private:
  struct RouteStats {
    std::array<std::atomic<std::uint64_t>, 500> by_status{};  // index: status - 100
    LatencyHistogram latency;
  };
  std::vector<std::string> routes_;
  std::vector<std::string> labels_;  // route="...",method="..." per route, built once
  std::unique_ptr<RouteStats[]> route_stats_;
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(HoldResult::count_)> holds_{};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(BookingResult::count_)>
      bookings_{};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(CacheName::count_)> hits_{};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(CacheName::count_)> misses_{};
  std::atomic<std::uint64_t> rate_limited_{0};
  std::atomic<std::int64_t> websockets_{0};
  std::atomic<std::int64_t> connections_{0};
  std::function<std::vector<PoolStats>()> pool_stats_;
  DbLatency db_latency_;
  std::function<Retained()> retained_;
  std::function<Retained()> coordinator_events_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// Prometheus label-value escaping (backslash, double quote, newline).
std::string escape_label(std::string_view v);

}  // namespace boxoffice
