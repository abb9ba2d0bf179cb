#include "domain/validation.hpp"
#include "http/handler_support.hpp"
#include "http/handlers.hpp"
#include "http/input.hpp"
#include "services/catalog.hpp"
#include "services/views.hpp"

namespace boxoffice::http::handlers {
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

std::vector<SeatRow> read_rows(Fields& parent, const json::value* rows_value, const std::string& prefix) {
  std::vector<SeatRow> rows;
  if (!rows_value || !rows_value->is_array()) {
    parent.errors().push_back({prefix, "must be an array of rows"});
    return rows;
  }
  const auto& arr = rows_value->as_array();
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const auto p = prefix + "[" + std::to_string(i) + "]";
    if (!arr[i].is_object()) {
      parent.errors().push_back({p, "must be an object"});
      continue;
    }
    Fields rf(arr[i].as_object(), p + ".");
    SeatRow r;
    r.row = rf.string("row", true).value_or("");
    r.seats = small_int(rf, "seats", true).value_or(0);
    r.category = rf.string("category", false).value_or("standard");
    for (auto& e : rf.errors()) parent.errors().push_back(std::move(e));
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace

awaitable<Response> create_movie(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, require_admin(co_await api.accounts.authenticate(req.authorization)));
  BOXOFFICE_TRY(body, read_json_object(req));
  Fields f(*body);
  Movie m;
  m.title = f.string("title", true).value_or("");
  m.description = f.string("description", false).value_or("");
  m.duration_minutes = small_int(f, "duration_minutes", true).value_or(0);
  m.rating = f.string("rating", true).value_or("");
  m.genres = f.strings("genres", false).value_or(std::vector<std::string>{});
  if (!f.errors().empty()) {
    // Report the value errors of the fields that parsed too, in one answer.
    for (auto& e : CatalogService::check_movie(m))
      if (std::none_of(f.errors().begin(), f.errors().end(), [&](const FieldError& x) { return x.field == e.field; }))
        f.errors().push_back(std::move(e));
    co_return problem_response(Error::invalid(std::move(f.errors())));
  }
  BOXOFFICE_TRY(movie, co_await api.catalog.create_movie(std::move(m)));
  co_return json_of(201, views::movie(*movie)).header("Location", "/api/v1/movies/" + std::to_string(movie->id));
}

awaitable<Response> list_movies(Api& api, Request& req) {
  BOXOFFICE_TRY(page, page_params(req));
  BOXOFFICE_TRY(bytes, co_await api.catalog.list_movies(page->after_id, page->limit));
  co_return bytes_response(200, *bytes);
}

awaitable<Response> get_movie(Api& api, Request& req) {
  BOXOFFICE_TRY(id, path_id(req, 0, "movie"));
  BOXOFFICE_TRY(movie, co_await api.catalog.get_movie(*id));
  co_return json_of(200, views::movie(*movie));
}

awaitable<Response> patch_movie(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, require_admin(co_await api.accounts.authenticate(req.authorization)));
  BOXOFFICE_TRY(id, path_id(req, 0, "movie"));
  BOXOFFICE_TRY(body, read_json_object(req));
  Fields f(*body);
  MoviePatch p;
  p.title = f.string("title", false);
  p.description = f.string("description", false);
  p.duration_minutes = small_int(f, "duration_minutes", false);
  p.rating = f.string("rating", false);
  p.genres = f.strings("genres", false);
  if (!f.errors().empty()) co_return problem_response(Error::invalid(std::move(f.errors())));
  BOXOFFICE_TRY(movie, co_await api.catalog.update_movie(*id, std::move(p)));
  co_return json_of(200, views::movie(*movie));
}

awaitable<Response> delete_movie(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, require_admin(co_await api.accounts.authenticate(req.authorization)));
  BOXOFFICE_TRY(id, path_id(req, 0, "movie"));
  BOXOFFICE_TRY(done, co_await api.catalog.delete_movie(*id));
  co_return empty_response(204);
}

awaitable<Response> create_theater(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, require_admin(co_await api.accounts.authenticate(req.authorization)));
  BOXOFFICE_TRY(body, read_json_object(req));
  Fields f(*body);
  NewTheater t;
  t.name = f.string("name", true).value_or("");
  t.city = f.string("city", true).value_or("");
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
      s.rows = read_rows(f, sf.value("rows"), p + ".rows");
      t.screens.push_back(std::move(s));
    }
  }
  if (!f.errors().empty()) co_return problem_response(Error::invalid(std::move(f.errors())));
  BOXOFFICE_TRY(theater, co_await api.catalog.create_theater(std::move(t)));
  co_return json_of(201, views::theater(*theater)).header("Location", "/api/v1/theaters/" + std::to_string(theater->id));
}

awaitable<Response> list_theaters(Api& api, Request& req) {
  BOXOFFICE_TRY(page, page_params(req));
  BOXOFFICE_TRY(bytes, co_await api.catalog.list_theaters(page->after_id, page->limit));
  co_return bytes_response(200, *bytes);
}

awaitable<Response> get_theater(Api& api, Request& req) {
  BOXOFFICE_TRY(id, path_id(req, 0, "theater"));
  BOXOFFICE_TRY(theater, co_await api.catalog.get_theater(*id));
  co_return json_of(200, views::theater(*theater));
}

awaitable<Response> create_show(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, require_admin(co_await api.accounts.authenticate(req.authorization)));
  BOXOFFICE_TRY(body, read_json_object(req));
  Fields f(*body);
  NewShow s;
  s.movie_id = f.integer("movie_id", true).value_or(0);
  s.screen_id = f.integer("screen_id", true).value_or(0);
  if (auto starts = f.string("starts_at", true)) {
    auto t = parse_rfc3339(*starts);
    if (!t) f.error("starts_at", "must be an RFC 3339 time such as 2026-12-01T19:30:00Z");
    else s.starts_at = *t;
  }
  s.currency = f.string("currency", false).value_or("USD");
  const json::value* prices = f.value("prices");
  if (!prices || !prices->is_object()) {
    f.error("prices", "must be an object of category: cents");
  } else {
    for (const auto& kv : prices->as_object()) {
      auto cents = as_integer(kv.value());
      if (!cents) f.error("prices." + std::string(kv.key()), "must be an integer number of cents");
      else s.prices[std::string(kv.key())] = *cents;
    }
  }
  if (!f.errors().empty()) co_return problem_response(Error::invalid(std::move(f.errors())));
  BOXOFFICE_TRY(show, co_await api.catalog.create_show(std::move(s)));
  co_return json_of(201, views::show(*show)).header("Location", "/api/v1/shows/" + std::to_string(show->id));
}

awaitable<Response> list_shows(Api& api, Request& req) {
  BOXOFFICE_TRY(page, page_params(req));
  std::vector<FieldError> errors;
  ShowFilter filter;
  filter.after_id = page->after_id;
  filter.limit = page->limit;
  filter.movie_id = query_id(req, "movie_id", errors);
  filter.theater_id = query_id(req, "theater_id", errors);
  if (const std::string* d = req.query_param("date")) {
    filter.day_start = parse_date(*d);
    if (!filter.day_start) errors.push_back({"date", "must be a date YYYY-MM-DD"});
  }
  if (!errors.empty()) {
    Error e = Error::make(Errc::bad_request, "bad-query", errors.front().field + " " + errors.front().message);
    e.fields = std::move(errors);
    co_return problem_response(e);
  }
  BOXOFFICE_TRY(bytes, co_await api.catalog.list_shows(filter));
  co_return bytes_response(200, *bytes);
}

awaitable<Response> get_show(Api& api, Request& req) {
  BOXOFFICE_TRY(id, path_id(req, 0, "show"));
  BOXOFFICE_TRY(show, co_await api.catalog.get_show(*id));
  co_return json_of(200, views::show(*show));
}

}  // namespace boxoffice::http::handlers
