#include "http_client.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <stdexcept>

namespace load {

Url parse_url(const std::string& text) {
  const std::string scheme = "http://";
  if (text.rfind(scheme, 0) != 0)
    throw std::invalid_argument("--url must start with http:// (got " + text + ")");
  std::string rest = text.substr(scheme.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    if (rest.substr(slash) != "/")
      throw std::invalid_argument("--url takes no path (got " + text + ")");
    rest.resize(slash);
  }
  Url u;
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) {
    u.host = rest;
    u.port = "80";
  } else {
    u.host = rest.substr(0, colon);
    u.port = rest.substr(colon + 1);
  }
  if (u.host.empty() || u.port.empty()) throw std::invalid_argument("bad --url " + text);
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(u.host, u.port);
  if (results.empty()) throw std::invalid_argument("cannot resolve " + text);
  u.endpoint = results.begin()->endpoint();
  for (const auto& r : results)
    if (r.endpoint().address().is_v4()) {
      u.endpoint = r.endpoint();
      break;
    }
  return u;
}

std::vector<asio::ip::address> parse_source_addrs(const std::string& text) {
  std::vector<asio::ip::address> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) continue;
    const auto dash = item.find('-');
    if (dash == std::string::npos) {
      out.push_back(asio::ip::make_address(item));
      continue;
    }
    const auto first = asio::ip::make_address_v4(item.substr(0, dash)).to_uint();
    const auto last = asio::ip::make_address_v4(item.substr(dash + 1)).to_uint();
    if (last < first || last - first > 65535)
      throw std::invalid_argument("bad source address range " + item);
    for (auto a = first; a <= last; ++a) out.push_back(asio::ip::address_v4(a));
  }
  return out;
}

void open_bound(tcp::socket& sock, const std::optional<asio::ip::address>& source) {
  sock.open(source && source->is_v6() ? tcp::v6() : tcp::v4());
  sock.set_option(tcp::no_delay(true));
  if (!source) return;
#ifdef IP_BIND_ADDRESS_NO_PORT
  int one = 1;
  ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
  sock.bind(tcp::endpoint(*source, 0));
}

HttpConn::HttpConn(asio::any_io_executor ex, const Url& url,
                   std::optional<asio::ip::address> source, std::chrono::milliseconds timeout)
    : url_(url), source_(source), timeout_(timeout), stream_(ex) {}

void HttpConn::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
  buffer_.clear();
  connected_ = false;
}

asio::awaitable<Response> HttpConn::request(Request req) {
  const bool retryable = req.verb == http::verb::get;
  http::request<http::string_body> msg{req.verb, req.target, 11};
  msg.set(http::field::host, url_.host);
  msg.set(http::field::user_agent, "boxoffice-load");
  if (!req.token.empty()) msg.set(http::field::authorization, "Bearer " + req.token);
  if (!req.idempotency_key.empty()) msg.set("Idempotency-Key", req.idempotency_key);
  if (!req.if_none_match.empty()) msg.set(http::field::if_none_match, req.if_none_match);
  if (req.accept_gzip) msg.set(http::field::accept_encoding, "gzip");
  if (!req.body.empty()) msg.set(http::field::content_type, "application/json");
  msg.body() = std::move(req.body);
  msg.prepare_payload();

  Response out;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = connected_;
    if (!connected_) {
      try {
        open_bound(stream_.socket(), source_);
      } catch (const std::exception& e) {
        close();
        out.error = std::string("bind: ") + e.what();
        co_return out;
      }
      stream_.expires_after(timeout_);
      auto [cec] =
          co_await stream_.async_connect(url_.endpoint, asio::as_tuple(asio::use_awaitable));
      if (cec) {
        close();
        out.error = "connect: " + cec.message();
        co_return out;
      }
      connected_ = true;
    }
    stream_.expires_after(timeout_);
    auto [wec, wn] = co_await http::async_write(stream_, msg, asio::as_tuple(asio::use_awaitable));
    if (wec) {
      close();
      out.error = "write: " + wec.message();
      if (reused && retryable) continue;
      co_return out;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(256 * 1024 * 1024);
    auto [rec, rn] =
        co_await http::async_read(stream_, buffer_, parser, asio::as_tuple(asio::use_awaitable));
    if (rec) {
      close();
      out.error = "read: " + rec.message();
      if (reused && retryable && rn == 0) continue;
      co_return out;
    }
    auto res = parser.release();
    out.status = res.result_int();
    out.bytes = rn;
    if (auto it = res.find(http::field::etag); it != res.end()) out.etag = std::string(it->value());
    const bool keep = res.keep_alive();
    out.body = std::move(res.body());
    out.error.clear();
    if (!keep) close();
    co_return out;
  }
  co_return out;
}

}  // namespace load
