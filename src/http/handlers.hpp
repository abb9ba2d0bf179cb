#pragma once
// One function per route; each file of handlers_*.cpp serves one resource.
#include <boost/asio/awaitable.hpp>

#include "http/api.hpp"
#include "http/message.hpp"

namespace boxoffice::http::handlers {

using boost::asio::awaitable;

awaitable<Response> create_user(Api&, Request&);
awaitable<Response> create_session(Api&, Request&);
awaitable<Response> delete_session(Api&, Request&);
awaitable<Response> get_me(Api&, Request&);

awaitable<Response> create_movie(Api&, Request&);
awaitable<Response> list_movies(Api&, Request&);
awaitable<Response> get_movie(Api&, Request&);
awaitable<Response> patch_movie(Api&, Request&);
awaitable<Response> delete_movie(Api&, Request&);
awaitable<Response> create_theater(Api&, Request&);
awaitable<Response> list_theaters(Api&, Request&);
awaitable<Response> get_theater(Api&, Request&);
awaitable<Response> create_show(Api&, Request&);
awaitable<Response> list_shows(Api&, Request&);
awaitable<Response> get_show(Api&, Request&);

awaitable<Response> get_seats(Api&, Request&);
awaitable<Response> create_hold(Api&, Request&);
awaitable<Response> list_holds(Api&, Request&);
awaitable<Response> delete_hold(Api&, Request&);
awaitable<Response> create_booking(Api&, Request&);
awaitable<Response> list_bookings(Api&, Request&);
awaitable<Response> get_booking(Api&, Request&);
awaitable<Response> cancel_booking(Api&, Request&);
// Answers 101 when the WebSocket upgrade may proceed (the server then hands over to live/).
awaitable<Response> live_upgrade(Api&, Request&);

awaitable<Response> healthz(Api&, Request&);
awaitable<Response> readyz(Api&, Request&);
awaitable<Response> metrics(Api&, Request&);
awaitable<Response> web_asset(Api&, Request&);

}  // namespace boxoffice::http::handlers
