#pragma once
// The WebSocket side of GET /shows/{id}/live. Beast's headers stay in this file's .cpp and in
// http/server.cpp, the only includers.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "domain/models.hpp"

namespace boxoffice::http {
struct Api;
}

namespace boxoffice::live {

// Accepts the upgrade in `req`, subscribes to the show, sends the snapshot, then every change,
// until the client or the server closes.
boost::asio::awaitable<void> serve_live(
    boost::beast::tcp_stream stream,
    boost::beast::http::request<boost::beast::http::string_body> req, Id show_id, http::Api& api);

}  // namespace boxoffice::live
