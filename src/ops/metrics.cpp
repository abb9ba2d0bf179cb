#include "ops/metrics.hpp"

#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace boxoffice {
namespace {

constexpr std::array<const char*, static_cast<std::size_t>(HoldResult::count_)> kHoldNames{
    "held", "conflict", "limited", "invalid", "show_started", "released"};
constexpr std::array<const char*, static_cast<std::size_t>(BookingResult::count_)> kBookingNames{
    "confirmed", "conflict",    "hold_expired", "not_found", "show_started",
    "replayed",  "in_progress", "cancelled",    "error"};
constexpr std::array<const char*, static_cast<std::size_t>(CacheName::count_)> kCacheNames{
    "seat_map", "catalog", "show_info"};

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::int64_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  std::int64_t pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

std::int64_t open_fds() {
  std::int64_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++n;
    closedir(d);
    n -= 3;  // ".", ".." and the directory's own descriptor
  }
  return n;
}

}  // namespace

std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

Metrics::Metrics(std::vector<std::string> routes) : routes_(std::move(routes)) {
  if (routes_.empty()) routes_.push_back("unmatched");
  route_stats_ = std::make_unique<RouteStats[]>(routes_.size());
  for (const auto& r : routes_) {
    const auto space = r.find(' ');  // "GET /api/v1/movies"; "unmatched" has no method
    const std::string method = space == std::string::npos ? "" : r.substr(0, space);
    const std::string path = space == std::string::npos ? r : r.substr(space + 1);
    labels_.push_back("route=\"" + escape_label(path) + "\",method=\"" + method + "\"");
  }
}

void LatencyHistogram::observe(std::chrono::nanoseconds duration) {
  const double secs = std::chrono::duration<double>(duration).count();
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (secs <= kBuckets[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(duration.count()), std::memory_order_relaxed);
}

void LatencyHistogram::render(std::string& out, std::string_view name,
                              std::string_view labels) const {
  const auto total = count();
  const std::string prefix = std::string(name) + "_bucket{" + std::string(labels) + ",le=\"";
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < kBuckets.size(); ++b) {
    cumulative += buckets_[b].load(std::memory_order_relaxed);
    out += prefix + number(kBuckets[b]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += prefix + "+Inf\"} " + std::to_string(total) + "\n";
  out += std::string(name) + "_sum{" + std::string(labels) + "} " +
         number(static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9) + "\n";
  out += std::string(name) + "_count{" + std::string(labels) + "} " + std::to_string(total) + "\n";
}

void Metrics::request(std::size_t route, int status, std::chrono::nanoseconds duration) {
  if (route >= routes_.size()) route = 0;
  RouteStats& r = route_stats_[route];
  if (status >= 100 && status < 600)
    r.by_status[static_cast<std::size_t>(status - 100)].fetch_add(1, std::memory_order_relaxed);
  r.latency.observe(duration);
}

std::string Metrics::render() const {
  std::string out;
  out.reserve(16384);
  family(out, "boxoffice_http_requests_total", "counter",
         "HTTP requests by route template, method and status.");
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    for (std::size_t s = 0; s < 500; ++s) {
      const auto n = route_stats_[i].by_status[s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "boxoffice_http_requests_total{" + labels_[i] + ",status=\"" +
             std::to_string(s + 100) + "\"} " + std::to_string(n) + "\n";
    }
  }
  family(out, "boxoffice_http_request_duration_seconds", "histogram",
         "HTTP request latency by route template.");
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const RouteStats& r = route_stats_[i];
    if (r.latency.count() == 0) continue;
    r.latency.render(out, "boxoffice_http_request_duration_seconds", labels_[i]);
  }
  family(out, "boxoffice_holds_total", "counter", "Seat hold attempts and releases by result.");
  for (std::size_t i = 0; i < holds_.size(); ++i)
    out += std::string("boxoffice_holds_total{result=\"") + kHoldNames[i] + "\"} " +
           std::to_string(holds_[i].load()) + "\n";
  family(out, "boxoffice_bookings_total", "counter",
         "Booking confirmations and cancellations by result.");
  for (std::size_t i = 0; i < bookings_.size(); ++i)
    out += std::string("boxoffice_bookings_total{result=\"") + kBookingNames[i] + "\"} " +
           std::to_string(bookings_[i].load()) + "\n";
  family(out, "boxoffice_cache_hits_total", "counter", "Cache hits by cache.");
  for (std::size_t i = 0; i < hits_.size(); ++i)
    out += std::string("boxoffice_cache_hits_total{cache=\"") + kCacheNames[i] + "\"} " +
           std::to_string(hits_[i].load()) + "\n";
  family(out, "boxoffice_cache_misses_total", "counter", "Cache misses by cache.");
  for (std::size_t i = 0; i < misses_.size(); ++i)
    out += std::string("boxoffice_cache_misses_total{cache=\"") + kCacheNames[i] + "\"} " +
           std::to_string(misses_[i].load()) + "\n";
  family(out, "boxoffice_rate_limited_total", "counter",
         "Requests answered 429 by the rate limiter.");
  out += "boxoffice_rate_limited_total " + std::to_string(rate_limited_.load()) + "\n";
  family(out, "boxoffice_websockets_open", "gauge", "Open WebSocket connections.");
  out += "boxoffice_websockets_open " + std::to_string(websockets_.load()) + "\n";
  family(out, "boxoffice_http_connections_open", "gauge", "Open HTTP connections.");
  out += "boxoffice_http_connections_open " + std::to_string(connections_.load()) + "\n";
  const std::vector<PoolStats> pools = pool_stats_ ? pool_stats_() : std::vector<PoolStats>{};
  family(out, "boxoffice_db_pool_connections", "gauge", "Store connections by database and state.");
  for (const PoolStats& p : pools) {
    const std::string db = "db=\"" + escape_label(p.db) + "\"";
    out += "boxoffice_db_pool_connections{" + db + ",state=\"in_use\"} " +
           std::to_string(p.in_use) + "\n";
    out +=
        "boxoffice_db_pool_connections{" + db + ",state=\"idle\"} " + std::to_string(p.idle) + "\n";
  }
  family(out, "boxoffice_db_reachable", "gauge",
         "1 when the database answered its last connect, else 0 (the query DB's reads then "
         "fall back to the command DB).");
  for (const PoolStats& p : pools)
    out += "boxoffice_db_reachable{db=\"" + escape_label(p.db) + "\"} " +
           (p.reachable ? "1" : "0") + "\n";
  if (!db_latency_.empty()) {
    family(out, "boxoffice_db_query_duration_seconds", "histogram",
           "Time from taking a connection to the end of a unit of database work.");
    for (const auto& [db, h] : db_latency_)
      h->render(out, "boxoffice_db_query_duration_seconds", "db=\"" + escape_label(db) + "\"");
  }
  if (retained_) {
    family(out, "boxoffice_retained", "gauge",
           "State kept in memory, by part (entries, or bytes for *_bytes).");
    for (const auto& [part, value] : retained_())
      out += "boxoffice_retained{part=\"" + escape_label(part) + "\"} " + number(value) + "\n";
  }
  if (coordinator_events_) {
    family(out, "boxoffice_coordinator_events_total", "counter",
           "Work of the coordinator backend (Redis round trips, redirects, retries, reconnects).");
    for (const auto& [event, value] : coordinator_events_())
      out += "boxoffice_coordinator_events_total{event=\"" + escape_label(event) + "\"} " +
             number(value) + "\n";
  }
  family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  out += "process_resident_memory_bytes " + std::to_string(rss_bytes()) + "\n";
  // Bytes the program holds in malloc'd blocks: unlike RSS it does not move with what the
  // allocator keeps cached, so a leak shows here first.
  family(out, "process_heap_in_use_bytes", "gauge",
         "Bytes in allocated heap blocks (glibc mallinfo2).");
  const struct mallinfo2 mi = mallinfo2();
  out += "process_heap_in_use_bytes " + std::to_string(mi.uordblks + mi.hblkhd) + "\n";
  family(out, "process_open_fds", "gauge", "Number of open file descriptors.");
  out += "process_open_fds " + std::to_string(open_fds()) + "\n";
  family(out, "process_uptime_seconds", "gauge", "Seconds since the process started.");
  out +=
      "process_uptime_seconds " +
      number(std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()) +
      "\n";
  return out;
}

}  // namespace boxoffice
