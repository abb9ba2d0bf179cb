#include "report.hpp"

#include <cstdio>
#include <map>
#include <sstream>
#include <utility>

namespace json = boost::json;

namespace load {

void Report::merge(const Report& o) {
  if (mode.empty()) mode = o.mode;
  duration_s = std::max(duration_s, o.duration_s);
  for (const auto& [name, h] : o.ops) ops[name].merge(h);
  for (const auto& [k, n] : o.errors) errors[k] += n;
  for (const auto& [k, n] : o.counters) counters[k] += n;
  for (const auto& b : o.bookings) add_booking(b);
  bookings_truncated = bookings_truncated || o.bookings_truncated;
}

json::object Report::to_wire() const {
  json::object o;
  o["mode"] = mode;
  o["duration_s"] = duration_s;
  json::object jops;
  for (const auto& [name, h] : ops) jops[name] = h.to_json();
  o["ops"] = std::move(jops);
  json::object jerr;
  for (const auto& [k, n] : errors) jerr[k] = n;
  o["errors"] = std::move(jerr);
  json::object jcount;
  for (const auto& [k, n] : counters) jcount[k] = n;
  o["counters"] = std::move(jcount);
  json::array jb;
  for (const auto& b : bookings) {
    json::array seats;
    for (const auto& s : b.seats) seats.emplace_back(s);
    json::object one;
    one["show"] = b.show;
    one["id"] = b.id;
    one["seats"] = std::move(seats);
    jb.emplace_back(std::move(one));
  }
  o["bookings"] = std::move(jb);
  o["bookings_truncated"] = bookings_truncated;
  return o;
}

Report Report::from_wire(const json::value& v) {
  const auto& o = v.as_object();
  Report r;
  r.mode = std::string(o.at("mode").as_string());
  r.duration_s = json::value_to<double>(o.at("duration_s"));
  for (const auto& [k, h] : o.at("ops").as_object())
    r.ops.emplace(std::string(k), Histogram::from_json(h));
  for (const auto& [k, n] : o.at("errors").as_object())
    r.errors[std::string(k)] = json::value_to<std::int64_t>(n);
  for (const auto& [k, n] : o.at("counters").as_object())
    r.counters[std::string(k)] = json::value_to<std::int64_t>(n);
  for (const auto& jb : o.at("bookings").as_array()) {
    Booking b;
    b.show = json::value_to<long>(jb.at("show"));
    b.id = json::value_to<long>(jb.at("id"));
    for (const auto& s : jb.at("seats").as_array()) b.seats.emplace_back(s.as_string());
    r.bookings.push_back(std::move(b));
  }
  r.bookings_truncated = o.at("bookings_truncated").as_bool();
  return r;
}

OversellResult check_oversell(const std::vector<Booking>& bookings,
                              const std::map<long, std::set<std::string>>& booked_by_show) {
  OversellResult r;
  // (show, seat) -> the booking ids that confirmed it. Bounded by the seats of the shows (and
  // by kMaxBookingsKept bookings of at most a hold's seats each).
  std::map<std::pair<long, std::string>, std::set<long>> owners;
  for (const auto& b : bookings)
    for (const auto& s : b.seats) owners[{b.show, s}].insert(b.id);
  for (const auto& [key, ids] : owners) {
    ++r.confirmed_seats;
    const std::string name = std::to_string(key.first) + "/" + key.second;
    if (ids.size() > 1) {
      ++r.seats_in_two_bookings;
      if (r.examples.size() < 10)
        r.examples.push_back(name + " in " + std::to_string(ids.size()) + " bookings");
    }
    auto show = booked_by_show.find(key.first);
    if (show == booked_by_show.end()) {
      r.complete = false;
      continue;
    }
    if (!show->second.count(key.second)) {
      ++r.confirmed_not_booked;
      if (r.examples.size() < 10) r.examples.push_back(name + " not booked on the seat map");
    }
  }
  for (const auto& [show, seats] : booked_by_show)
    r.booked_seats_on_maps += static_cast<std::int64_t>(seats.size());
  r.ok = r.complete && r.seats_in_two_bookings == 0 && r.confirmed_not_booked == 0;
  return r;
}

json::object oversell_json(const OversellResult& r) {
  json::object o;
  o["ok"] = r.ok;
  o["complete"] = r.complete;
  o["confirmed_seats"] = r.confirmed_seats;
  o["seats_in_two_bookings"] = r.seats_in_two_bookings;
  o["confirmed_not_booked"] = r.confirmed_not_booked;
  o["booked_seats_on_maps"] = r.booked_seats_on_maps;
  json::array ex;
  for (const auto& e : r.examples) ex.emplace_back(e);
  o["examples"] = std::move(ex);
  return o;
}

namespace {
double per_s(std::int64_t n, double secs) {
  return secs > 0 ? static_cast<double>(n) / secs : 0;
}
}  // namespace

json::object summary_json(const Report& r) {
  json::object o;
  o["mode"] = r.mode;
  o["duration_s"] = r.duration_s;
  json::object counters;
  for (const auto& [k, n] : r.counters) counters[k] = n;
  o["counters"] = std::move(counters);
  o["requests_per_s"] = per_s(r.counter("requests"), r.duration_s);
  o["tickets_per_s"] = per_s(r.counter("tickets"), r.duration_s);
  o["bookings_per_s"] = per_s(r.counter("bookings"), r.duration_s);
  json::object ops;
  for (const auto& [name, h] : r.ops) {
    json::object one;
    one["count"] = h.count();
    one["per_s"] = per_s(static_cast<std::int64_t>(h.count()), r.duration_s);
    one["p50_ms"] = h.percentile_ms(0.50);
    one["p90_ms"] = h.percentile_ms(0.90);
    one["p99_ms"] = h.percentile_ms(0.99);
    one["p999_ms"] = h.percentile_ms(0.999);
    one["max_ms"] = h.max_ms();
    one["mean_ms"] = h.mean_us() / 1000.0;
    ops[name] = std::move(one);
  }
  o["ops"] = std::move(ops);
  json::object errors;
  for (const auto& [k, n] : r.errors) errors[k] = n;
  o["errors"] = std::move(errors);
  o["bookings_kept"] = static_cast<std::int64_t>(r.bookings.size());
  return o;
}

std::string summary_text(const Report& r) {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof line, "== %s: %.2f s, %lld requests (%.0f/s)\n", r.mode.c_str(),
                r.duration_s, static_cast<long long>(r.counter("requests")),
                per_s(r.counter("requests"), r.duration_s));
  out << line;
  if (r.counter("tickets") || r.mode == "onsale") {
    std::snprintf(
        line, sizeof line,
        "confirmed: %lld tickets in %lld bookings = %.0f tickets/s, %.0f bookings/s\n",
        static_cast<long long>(r.counter("tickets")), static_cast<long long>(r.counter("bookings")),
        per_s(r.counter("tickets"), r.duration_s), per_s(r.counter("bookings"), r.duration_s));
    out << line;
  }
  std::snprintf(line, sizeof line, "%-10s %9s %9s %9s %9s %9s %9s %9s\n", "latency", "count",
                "per s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms");
  out << line;
  for (const auto& [name, h] : r.ops) {
    // Sign-ups happen before the run's clock starts: a rate over the run means nothing for them.
    const bool prep = name == "signup" || name == "signin";
    std::snprintf(line, sizeof line, "%-10s %9llu %9.0f %9.2f %9.2f %9.2f %9.2f %9.2f%s\n",
                  name.c_str(), static_cast<unsigned long long>(h.count()),
                  prep ? 0.0 : per_s(static_cast<std::int64_t>(h.count()), r.duration_s),
                  h.percentile_ms(0.5), h.percentile_ms(0.9), h.percentile_ms(0.99),
                  h.percentile_ms(0.999), h.max_ms(), prep ? "  (before the run)" : "");
    out << line;
  }
  if (r.errors.empty()) {
    out << "errors: none\n";
  } else {
    out << "errors:";
    for (const auto& [k, n] : r.errors) out << " [" << k << "]=" << n;
    out << "\n";
  }
  out << "counters:";
  for (const auto& [k, n] : r.counters) out << " " << k << ":" << n;
  out << "\n";
  return out.str();
}

}  // namespace load
