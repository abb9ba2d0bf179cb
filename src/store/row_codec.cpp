#include "store/row_codec.hpp"

#include <boost/json.hpp>

#include "tz/zone.hpp"

namespace boxoffice::codec {

namespace json = boost::json;

std::string strings_to_json(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return json::serialize(a);
}

std::vector<std::string> strings_from_json(const std::string& text) {
  std::vector<std::string> out;
  const json::value parsed = json::parse(text);  // must outlive the loop
  for (const auto& v : parsed.as_array()) out.emplace_back(v.as_string());
  return out;
}

std::string rows_to_json(const std::vector<SeatRow>& rows) {
  json::array a;
  for (const auto& r : rows)
    a.push_back(json::object{{"row", r.row}, {"seats", r.seats}, {"category", r.category}});
  return json::serialize(a);
}

std::vector<SeatRow> rows_from_json(const std::string& text) {
  std::vector<SeatRow> rows;
  const json::value parsed = json::parse(text);
  for (const auto& v : parsed.as_array()) {
    const auto& o = v.as_object();
    rows.push_back({std::string(o.at("row").as_string()),
                    static_cast<int>(o.at("seats").as_int64()),
                    std::string(o.at("category").as_string())});
  }
  return rows;
}

std::string prices_to_json(const PriceTable& p) {
  json::object o;
  for (const auto& [k, v] : p) o[k] = v;
  return json::serialize(o);
}

PriceTable prices_from_json(const std::string& text) {
  PriceTable p;
  const json::value parsed = json::parse(text);
  for (const auto& kv : parsed.as_object()) p[std::string(kv.key())] = kv.value().as_int64();
  return p;
}

Role parse_role(std::string_view s) {
  return s == "admin" ? Role::admin : Role::customer;
}

std::int64_t local_day_in(std::string_view zone, std::int64_t t) noexcept {
  try {
    if (auto z = tz::load_zone(zone)) return tz::local_day(*z, t);
  } catch (...) {
    // Out of memory while loading: fall through to UTC.
  }
  return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

}  // namespace boxoffice::codec
