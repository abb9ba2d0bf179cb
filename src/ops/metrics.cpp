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
    "seat_map", "catalog"};

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

void Metrics::request(std::size_t route, int status, std::chrono::nanoseconds duration) {
  if (route >= routes_.size()) route = 0;
  RouteStats& r = route_stats_[route];
  if (status >= 100 && status < 600)
    r.by_status[static_cast<std::size_t>(status - 100)].fetch_add(1, std::memory_order_relaxed);
  const double secs = std::chrono::duration<double>(duration).count();
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (secs <= kBuckets[i]) {
      r.buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  r.count.fetch_add(1, std::memory_order_relaxed);
  r.sum_ns.fetch_add(static_cast<std::uint64_t>(duration.count()), std::memory_order_relaxed);
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
    const auto count = r.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    const std::string& labels = labels_[i];
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += r.buckets[b].load(std::memory_order_relaxed);
      out += "boxoffice_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
             number(kBuckets[b]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "boxoffice_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
           std::to_string(count) + "\n";
    out += "boxoffice_http_request_duration_seconds_sum{" + labels + "} " +
           number(static_cast<double>(r.sum_ns.load(std::memory_order_relaxed)) / 1e9) + "\n";
    out += "boxoffice_http_request_duration_seconds_count{" + labels + "} " +
           std::to_string(count) + "\n";
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
  const PoolStats pool = pool_stats_ ? pool_stats_() : PoolStats{};
  family(out, "boxoffice_db_pool_connections", "gauge", "Store connections by state.");
  out += "boxoffice_db_pool_connections{state=\"in_use\"} " + std::to_string(pool.in_use) + "\n";
  out += "boxoffice_db_pool_connections{state=\"idle\"} " + std::to_string(pool.idle) + "\n";
  if (retained_) {
    family(out, "boxoffice_retained", "gauge",
           "State kept in memory, by part (entries, or bytes for *_bytes).");
    for (const auto& [part, value] : retained_())
      out += "boxoffice_retained{part=\"" + escape_label(part) + "\"} " + number(value) + "\n";
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
