// What a run measured: per-operation latency histograms, errors by status, counters and the
// bookings the tool got. Workers send theirs to the parent as JSON (to_wire); the parent merges
// them, checks the bookings against the server's seat maps and prints the result.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "histogram.hpp"

namespace load {

struct Booking {
  long show = 0;
  long id = 0;
  std::vector<std::string> seats;
};

// Bookings kept for the oversell check; beyond this many the check says it is incomplete.
inline constexpr std::size_t kMaxBookingsKept = 5'000'000;

struct Report {
  std::string mode;
  double duration_s = 0;
  // One histogram per operation ("hold", "confirm", "seats", "list", "signin", "delivery", ...):
  // bounded by the operations the tool has, a handful.
  std::map<std::string, Histogram> ops;
  // "op status" (e.g. "hold 409", "confirm transport") -> count: bounded by operations x statuses.
  std::map<std::string, std::int64_t> errors;
  // Named totals (requests, bookings, tickets, failures, sockets_opened, ...): fixed names.
  std::map<std::string, std::int64_t> counters;
  // Every 201 booking (at most kMaxBookingsKept, then bookings_truncated is set).
  std::vector<Booking> bookings;
  bool bookings_truncated = false;

  std::int64_t counter(const std::string& name) const {
    auto it = counters.find(name);
    return it == counters.end() ? 0 : it->second;
  }
  void add(const std::string& name, std::int64_t n = 1) { counters[name] += n; }
  void error(const std::string& op, const std::string& status) { ++errors[op + " " + status]; }
  void add_booking(Booking b) {
    if (bookings.size() >= kMaxBookingsKept) {
      bookings_truncated = true;
      return;
    }
    bookings.push_back(std::move(b));
  }

  void merge(const Report& o);
  boost::json::object to_wire() const;  // everything, histograms raw
  static Report from_wire(const boost::json::value& v);
};

struct OversellResult {
  bool ok = true;
  bool complete = true;              // false when bookings were dropped or a seat map was not read
  std::int64_t confirmed_seats = 0;  // seats in the tool's 201 bookings
  std::int64_t seats_in_two_bookings = 0;
  std::int64_t confirmed_not_booked = 0;  // a 201 seat the seat map does not show as booked
  std::int64_t booked_seats_on_maps = 0;  // booked on the maps, by anyone
  std::vector<std::string> examples;      // up to 10 offending "show/seat" for the report
};

// booked_by_show: the seats each show's seat map lists as "booked" at the end of the run. Every
// show of a booking must be in it (a show missing from it makes the result incomplete and failed).
OversellResult check_oversell(const std::vector<Booking>& bookings,
                              const std::map<long, std::set<std::string>>& booked_by_show);

boost::json::object oversell_json(const OversellResult& r);

// The summary as one JSON object (percentiles in ms), and as text.
boost::json::object summary_json(const Report& r);
std::string summary_text(const Report& r);

}  // namespace load
