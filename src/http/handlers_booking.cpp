#include "http/bodies.hpp"
#include "http/handler_support.hpp"
#include "http/handlers.hpp"
#include "http/headers.hpp"
#include "http/input.hpp"
#include "services/booking.hpp"
#include "services/views.hpp"

namespace boxoffice::http::handlers {

awaitable<Response> get_seats(Api& api, Request& req) {
  BOXOFFICE_TRY(id, path_id(req, 0, "show"));
  BOXOFFICE_TRY(map, co_await api.booking.seat_map(*id));
  if (etag_matches(req.if_none_match, map->etag)) {
    Response r = not_modified(req, map->etag, map->gzip != nullptr);
    r.header("Cache-Control", "no-cache");
    co_return r;
  }
  Response r = bytes_response(200, map->json);
  r.shared_gzip = map->gzip;
  r.header("ETag", map->etag).header("Cache-Control", "no-cache");
  co_return r;
}

awaitable<Response> create_hold(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, co_await api.accounts.authenticate(req.authorization));
  BOXOFFICE_TRY(id, path_id(req, 0, "show"));
  BOXOFFICE_TRY(seats, parse_hold(req));
  BOXOFFICE_TRY(hold, co_await api.booking.hold(*caller, *id, std::move(*seats)));
  co_return json_of(201, views::hold(hold->hold, hold->currency));
}

awaitable<Response> list_holds(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, co_await api.accounts.authenticate(req.authorization));
  BOXOFFICE_TRY(holds, co_await api.booking.holds(*caller));
  boost::json::array items;
  for (const auto& h : *holds) items.push_back(views::hold(h.hold, h.currency));
  co_return json_of(200, boost::json::object{{"items", std::move(items)}});
}

awaitable<Response> delete_hold(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, co_await api.accounts.authenticate(req.authorization));
  BOXOFFICE_TRY(done, co_await api.booking.release(*caller, req.params.at(0)));
  co_return empty_response(204);
}

awaitable<Response> create_booking(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, co_await api.accounts.authenticate(req.authorization));
  BOXOFFICE_TRY(hold_id, parse_booking(req));
  std::optional<std::string> key;
  if (req.has_idempotency_key) key = req.idempotency_key;
  BOXOFFICE_TRY(booking, co_await api.booking.confirm(*caller, *hold_id, std::move(key)));
  co_return json_of(201, views::booking(*booking))
      .header("Location", "/api/v1/bookings/" + std::to_string(booking->id));
}

awaitable<Response> list_bookings(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, co_await api.accounts.authenticate(req.authorization));
  BOXOFFICE_TRY(page, page_params(req));
  BOXOFFICE_TRY(bookings, co_await api.booking.list(*caller, page->after_id, page->limit));
  co_return json_of(200, views::page(*bookings, views::booking));
}

awaitable<Response> get_booking(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, co_await api.accounts.authenticate(req.authorization));
  BOXOFFICE_TRY(id, path_id(req, 0, "booking"));
  BOXOFFICE_TRY(booking, co_await api.booking.get(*caller, *id));
  co_return json_of(200, views::booking(*booking));
}

awaitable<Response> cancel_booking(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, co_await api.accounts.authenticate(req.authorization));
  BOXOFFICE_TRY(id, path_id(req, 0, "booking"));
  BOXOFFICE_TRY(booking, co_await api.booking.cancel(*caller, *id));
  co_return json_of(200, views::booking(*booking));
}

awaitable<Response> live_upgrade(Api& api, Request& req) {
  BOXOFFICE_TRY(id, path_id(req, 0, "show"));
  // The hub already told every watcher to go (1001): a new one would only hold up the drain.
  if (api.draining.load()) {
    Error e = Error::unavailable("the server is shutting down; reconnect to another instance");
    e.retry_after_s = 1;
    co_return problem_response(e);
  }
  BOXOFFICE_TRY(exists, co_await api.booking.check_show(*id));
  if (!req.websocket_upgrade)
    co_return problem_response(
        Error::make(Problem::websocket_required, "this endpoint needs a WebSocket upgrade"));
  if (req.websocket_version != "13") {
    Response r = problem_response(
        Error::make(Problem::websocket_version, "only WebSocket version 13 is supported"));
    r.header("Sec-WebSocket-Version", "13");
    co_return r;
  }
  if (!valid_websocket_key(req.websocket_key))
    co_return problem_response(
        Error::bad_request("Sec-WebSocket-Key must be the base64 encoding of 16 bytes"));
  co_return empty_response(101);
}

}  // namespace boxoffice::http::handlers
