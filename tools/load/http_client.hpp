// Client connections for boxoffice-load: where to connect (one of several --url, from one of
// several --source-addrs) and a keep-alive HTTP/1.1 connection that reconnects after an error.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace load {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Url {
  std::string host, port;  // as given; host is also the Host header
  tcp::endpoint endpoint;  // resolved once at start
};

// "http://host:port[/]" -> Url (resolved). Throws std::invalid_argument on anything else.
Url parse_url(const std::string& text);
// "127.0.0.2-127.0.0.20" or "127.0.0.2" -> the addresses; a comma list of either is also taken.
std::vector<asio::ip::address> parse_source_addrs(const std::string& text);

// Where connection number i goes: URLs and source addresses taken round-robin.
struct Targets {
  std::vector<Url> urls;
  std::vector<asio::ip::address> sources;  // empty: the kernel picks
  const Url& url(std::size_t i) const { return urls[i % urls.size()]; }
  std::optional<asio::ip::address> source(std::size_t i) const {
    if (sources.empty()) return std::nullopt;
    return sources[(i / urls.size()) % sources.size()];
  }
};

// Opens `sock` (from `source` if given, with IP_BIND_ADDRESS_NO_PORT so the port is chosen at
// connect time per destination, not from one ~28,000-port pool per source address).
void open_bound(tcp::socket& sock, const std::optional<asio::ip::address>& source);

struct Request {
  http::verb verb = http::verb::get;
  std::string target;
  std::string body;  // JSON when not empty
  std::string token;
  std::string idempotency_key;
  std::string if_none_match;
  bool accept_gzip = false;
};

struct Response {
  int status = 0;     // 0: transport error (see error)
  std::string error;  // what failed, when status is 0
  std::string body;   // as received (gzip bytes when the server compressed it)
  std::string etag;
  std::size_t bytes = 0;
};

class HttpConn {
 public:
  HttpConn(asio::any_io_executor ex, const Url& url, std::optional<asio::ip::address> source,
           std::chrono::milliseconds timeout);
  // One request on the kept-alive connection; connects first if needed. A GET that fails on a
  // reused connection (the server closed it while idle) is sent once more on a new one.
  asio::awaitable<Response> request(Request req);
  bool connected() const { return connected_; }
  void close();

 private:
  const Url& url_;
  std::optional<asio::ip::address> source_;
  std::chrono::milliseconds timeout_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace load
