#include "ws_client.hpp"

namespace load {

WsConn::WsConn(asio::any_io_executor ex, const Url& url, std::optional<asio::ip::address> source)
    : url_(url), source_(source), ws_(ex) {}

void WsConn::close() {
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

asio::awaitable<std::string> WsConn::open(long show, std::chrono::milliseconds timeout,
                                          std::string* snapshot) {
  auto& lowest = beast::get_lowest_layer(ws_);
  try {
    open_bound(lowest.socket(), source_);
  } catch (const std::exception& e) {
    close();
    co_return std::string("bind: ") + e.what();
  }
  lowest.expires_after(timeout);
  auto [cec] = co_await lowest.async_connect(url_.endpoint, asio::as_tuple(asio::use_awaitable));
  if (cec) {
    close();
    co_return "connect: " + cec.message();
  }
  lowest.expires_never();
  auto opts = websocket::stream_base::timeout::suggested(beast::role_type::client);
  opts.handshake_timeout = timeout;
  ws_.set_option(opts);
  ws_.read_message_max(64 * 1024 * 1024);
  const std::string target = "/api/v1/shows/" + std::to_string(show) + "/live";
  auto [hec] = co_await ws_.async_handshake(url_.host, target, asio::as_tuple(asio::use_awaitable));
  if (hec) {
    close();
    co_return "handshake: " + hec.message();
  }
  auto [rec, n] = co_await ws_.async_read(buffer_, asio::as_tuple(asio::use_awaitable));
  if (rec) {
    close();
    co_return "snapshot: " + rec.message();
  }
  if (snapshot) *snapshot = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  co_return std::string();
}

asio::awaitable<WsConn::Frame> WsConn::read() {
  Frame f;
  auto [ec, n] = co_await ws_.async_read(buffer_, asio::as_tuple(asio::use_awaitable));
  if (ec) {
    f.error = ec.message();
    co_return f;
  }
  f.text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  co_return f;
}

}  // namespace load
