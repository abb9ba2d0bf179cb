#include "http/bodies.hpp"

#include <algorithm>

#include "domain/movie_rules.hpp"
#include "http/input.hpp"

namespace boxoffice::http {
namespace {

std::optional<int> small_int(Fields& f, std::string_view name, bool required) {
  auto v = f.integer(name, required);
  if (!v) return std::nullopt;
  if (*v < INT32_MIN || *v > INT32_MAX) {
    f.error(name, "is out of range");
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

std::vector<SeatRow> read_rows(std::vector<FieldError>& errors, const json::value* rows_value,
                               const std::string& prefix) {
  std::vector<SeatRow> rows;
  if (!rows_value || !rows_value->is_array()) {
    errors.push_back({prefix, "must be an array of rows"});
    return rows;
  }
  const auto& arr = rows_value->as_array();
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const auto p = prefix + "[" + std::to_string(i) + "]";
    if (!arr[i].is_object()) {
      errors.push_back({p, "must be an object"});
      continue;
    }
    Fields rf(arr[i].as_object(), p + ".");
    SeatRow r;
    r.row = rf.string("row", true).value_or("");
    r.seats = small_int(rf, "seats", true).value_or(0);
    r.category = rf.string("category", false).value_or("standard");
    for (auto& e : rf.errors()) errors.push_back(std::move(e));
    rows.push_back(std::move(r));
  }
  return rows;
}

// Reads the body as a JSON object, lets `fill` read its members, and answers 422 with every
// field error `fill` collected.
template <class Fill>
auto parse_object(const Request& req, Fill fill)
    -> Result<decltype(fill(std::declval<Fields&>()))> {
  auto body = read_json_object(req);
  if (!body) return body.error();
  Fields f(*body);
  auto value = fill(f);
  if (!f.errors().empty()) return Error::invalid(std::move(f.errors()));
  return value;
}

}  // namespace

Result<NewUserBody> parse_new_user(const Request& req) {
  return parse_object(req, [&](Fields& f) {
    NewUserBody out;
    out.email = f.string("email", true).value_or("");
    out.password = f.string("password", true).value_or("");
    out.name = f.string("name", true).value_or("");
    return out;
  });
}

Result<CredentialsBody> parse_credentials(const Request& req) {
  return parse_object(req, [&](Fields& f) {
    CredentialsBody out;
    out.email = f.string("email", true).value_or("");
    out.password = f.string("password", true).value_or("");
    return out;
  });
}

Result<Movie> parse_movie(const Request& req) {
  return parse_object(req, [&](Fields& f) {
    Movie m;
    m.title = f.string("title", true).value_or("");
    m.description = f.string("description", false).value_or("");
    m.duration_minutes = small_int(f, "duration_minutes", true).value_or(0);
    m.rating = f.string("rating", true).value_or("");
    m.genres = f.strings("genres", false).value_or(std::vector<std::string>{});
    if (!f.errors().empty()) {
      // Report the value errors of the fields that parsed too, in one answer.
      for (auto& e : check_movie(m))
        if (std::none_of(f.errors().begin(), f.errors().end(),
                         [&](const FieldError& x) { return x.field == e.field; }))
          f.errors().push_back(std::move(e));
    }
    return m;
  });
}

Result<MoviePatch> parse_movie_patch(const Request& req) {
  return parse_object(req, [&](Fields& f) {
    MoviePatch p;
    // Every movie has each of these: null cannot remove one (it is not "leave unchanged").
    for (const char* name : {"title", "description", "duration_minutes", "rating", "genres"})
      if (const json::value* v = f.value(name); v && v->is_null())
        f.error(name, "cannot be null; leave it out to keep it");
    p.title = f.string("title", false);
    p.description = f.string("description", false);
    p.duration_minutes = small_int(f, "duration_minutes", false);
    p.rating = f.string("rating", false);
    p.genres = f.strings("genres", false);
    return p;
  });
}

Result<NewTheater> parse_theater(const Request& req) {
  return parse_object(req, [&](Fields& f) {
    NewTheater t;
    t.name = f.string("name", true).value_or("");
    t.city = f.string("city", true).value_or("");
    t.timezone = f.string("timezone", false).value_or("UTC");
    const json::value* screens = f.value("screens");
    if (!screens || !screens->is_array()) {
      f.error("screens", "must be an array of screens");
    } else {
      const auto& arr = screens->as_array();
      for (std::size_t i = 0; i < arr.size(); ++i) {
        const auto p = "screens[" + std::to_string(i) + "]";
        if (!arr[i].is_object()) {
          f.errors().push_back({p, "must be an object"});
          continue;
        }
        Fields sf(arr[i].as_object(), p + ".");
        NewScreen s;
        s.name = sf.string("name", true).value_or("");
        for (auto& e : sf.errors()) f.errors().push_back(std::move(e));
        s.rows = read_rows(f.errors(), sf.value("rows"), p + ".rows");
        t.screens.push_back(std::move(s));
      }
    }
    return t;
  });
}

Result<NewShow> parse_show(const Request& req) {
  return parse_object(req, [&](Fields& f) {
    NewShow s;
    s.movie_id = f.integer("movie_id", true).value_or(0);
    s.screen_id = f.integer("screen_id", true).value_or(0);
    if (auto starts = f.string("starts_at", true)) {
      auto t = parse_rfc3339(*starts);
      if (!t)
        f.error("starts_at", "must be an RFC 3339 time such as 2026-12-01T19:30:00Z");
      else
        s.starts_at = *t;
    }
    s.currency = f.string("currency", false).value_or("USD");
    const json::value* prices = f.value("prices");
    if (!prices || !prices->is_object()) {
      f.error("prices", "must be an object of category: cents");
    } else {
      for (const auto& kv : prices->as_object()) {
        auto cents = as_integer(kv.value());
        if (!cents)
          f.error("prices." + std::string(kv.key()), "must be an integer number of cents");
        else
          s.prices[std::string(kv.key())] = *cents;
      }
    }
    return s;
  });
}

Result<std::vector<std::string>> parse_hold(const Request& req) {
  return parse_object(req, [&](Fields& f) {
    auto seats = f.strings("seats", true);
    return seats.value_or(std::vector<std::string>{});
  });
}

Result<std::string> parse_booking(const Request& req) {
  return parse_object(req, [&](Fields& f) {
    auto hold_id = f.string("hold_id", true);
    if (hold_id && (hold_id->empty() || hold_id->size() > 128))
      f.error("hold_id", "must be a hold id");
    return hold_id.value_or("");
  });
}

Result<ShowFilter> parse_show_filter(const Request& req) {
  auto limit = list_limit(req);
  if (!limit) return limit.error();
  std::vector<FieldError> errors;
  ShowFilter filter;
  filter.limit = *limit;
  if (const std::string* c = req.query_param("cursor"); c && !c->empty()) {
    filter.after = decode_show_cursor(*c);
    if (!filter.after)
      return Error::make(Problem::bad_query, "cursor is not one this server gave out");
  }
  filter.movie_id = query_id(req, "movie_id", errors);
  filter.theater_id = query_id(req, "theater_id", errors);
  if (const std::string* d = req.query_param("date")) {
    // A calendar date, not an instant: the store matches it against each show's local day.
    if (auto midnight = parse_date(*d))
      filter.local_day = *midnight / 86400;
    else
      errors.push_back({"date", "must be a date YYYY-MM-DD"});
  }
  if (!errors.empty()) {
    Error e = Error::make(Problem::bad_query, errors.front().field + " " + errors.front().message);
    e.fields = std::move(errors);
    return e;
  }
  return filter;
}

}  // namespace boxoffice::http
