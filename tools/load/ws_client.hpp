// A client of a show's live WebSocket (GET /api/v1/shows/{id}/live): connect, read the snapshot,
// then hand every later frame to the caller.
#pragma once

#include <string>

#include <boost/beast/websocket.hpp>

#include "http_client.hpp"

namespace load {

namespace websocket = beast::websocket;

class WsConn {
 public:
  WsConn(asio::any_io_executor ex, const Url& url, std::optional<asio::ip::address> source);
  // Connects, upgrades and reads the first frame (the snapshot) into `snapshot`. Returns an
  // error text, empty on success.
  asio::awaitable<std::string> open(long show, std::chrono::milliseconds timeout,
                                    std::string* snapshot);
  // The next frame as text; empty `error` on success.
  struct Frame {
    std::string text;
    std::string error;
  };
  asio::awaitable<Frame> read();
  void close();

 private:
  const Url& url_;
  std::optional<asio::ip::address> source_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
};

}  // namespace load
