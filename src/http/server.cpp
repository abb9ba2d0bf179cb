#include "http/server.hpp"

#include <malloc.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "common/gzip.hpp"
#include "common/utf8.hpp"
#include "coord/coordinator.hpp"
#include "http/api.hpp"
#include "http/headers.hpp"
#include "http/input.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "live/websocket.hpp"
#include "ops/log.hpp"
#include "ops/metrics.hpp"
#include "services/security.hpp"

namespace boxoffice::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct Connection {
  beast::tcp_stream* stream;
  bool idle = true;
};

// Member order matters: destroying the io_context destroys connection coroutines still
// suspended in it (after a shutdown timeout), and their guards use `connections`.
struct Worker {
  std::unordered_set<Connection*> connections;  // only touched on this worker's thread
  std::string id_prefix = random_token(6);
  std::uint64_t next_id = 0;
  asio::io_context ioc{1};

  // Unique per process and cheap: a random per-worker prefix and a counter.
  std::string new_request_id() {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(++next_id));
    return id_prefix + "-" + buf;
  }
  std::optional<tcp::acceptor> acceptor;
};

Method to_method(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get:
      return Method::get;
    case bhttp::verb::head:
      return Method::head;
    case bhttp::verb::post:
      return Method::post;
    case bhttp::verb::put:
      return Method::put;
    case bhttp::verb::patch:
      return Method::patch;
    case bhttp::verb::delete_:
      return Method::del;
    case bhttp::verb::options:
      return Method::options;
    default:
      return Method::other;
  }
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != ':')
      return false;
  return true;
}

void log_completion(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    logging::error("connection task failed", {{"error", ex.what()}});
  }
}

}  // namespace

// A thread that serves only live WebSockets (ServerOptions::live_threads).
struct LiveWorker {
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(ioc);
};

struct Server::Impl {
  ServerOptions opt;
  Api* api = nullptr;
  const Router& router;
  Metrics& metrics;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::unique_ptr<LiveWorker>> live_workers;
  std::atomic<std::size_t> next_live{0};
  std::atomic<int> connections{0};
  // Open connections per client address (max_connections_per_client): an entry per address
  // with a counted connection open, so at most max_connections entries; erased with its last.
  std::mutex per_client_mutex;
  std::unordered_map<std::string, int> per_client;

  // False when the address already has its share of connections.
  bool take_client_slot(const std::string& peer) {
    std::lock_guard lock(per_client_mutex);
    int& n = per_client[peer];
    if (n >= opt.max_connections_per_client) {
      if (n == 0) per_client.erase(peer);
      return false;
    }
    ++n;
    return true;
  }

  void release_client_slot(const std::string& peer) {
    std::lock_guard lock(per_client_mutex);
    auto it = per_client.find(peer);
    if (it != per_client.end() && --it->second <= 0) per_client.erase(it);
  }

  // The per-address count's key: the IPv4 address, or the /64 of an IPv6 one (a host picks any
  // address of its /64 at will).
  static std::string slot_of(const std::string& peer, const std::optional<IpAddress>& ip) {
    if (!ip || !ip->v6) return peer;
    return std::string("v6:") + std::string(reinterpret_cast<const char*>(ip->bytes.data()), 8);
  }

  // Over a limit: this connection is reset at once, the others keep being served.
  static void refuse(tcp::socket& sock) {
    boost::system::error_code ignored;
    sock.set_option(asio::socket_base::linger(true, 0), ignored);
    sock.close(ignored);
  }

  static std::string peer_of(const tcp::socket& sock) {
    boost::system::error_code ec;
    const auto remote = sock.remote_endpoint(ec);
    if (ec) return "unknown";
    std::string peer = remote.address().to_string();
    if (peer.rfind("::ffff:", 0) == 0) peer = peer.substr(7);
    return peer;
  }
  std::atomic<bool> stopping{false};
  std::uint16_t bound_port = 0;
  std::optional<asio::signal_set> signals;
  std::function<void()> shutdown_hook;
  std::vector<std::pair<std::chrono::milliseconds, std::function<void()>>> periodic;

  Impl(ServerOptions o, const Router& r, Metrics& m) : opt(std::move(o)), router(r), metrics(m) {
    for (int i = 0; i < std::max(1, opt.threads); ++i) {
      workers.push_back(std::make_unique<Worker>());
      guards.push_back(asio::make_work_guard(workers.back()->ioc));
    }
    for (int i = 0; i < opt.live_threads; ++i)
      live_workers.push_back(std::make_unique<LiveWorker>());
  }

  ~Impl() {
    // Everything a suspended coroutine may touch while being destroyed (this object's counters,
    // the metrics) must outlive the contexts, and the guards and signal set must go first.
    signals.reset();
    guards.clear();
    for (auto& l : live_workers) l->guard.reset();
    workers.clear();
    live_workers.clear();
  }

  // The upgraded connection's socket, moved to the next live thread (round robin); on failure
  // (or with no live threads) it stays where it is.
  beast::tcp_stream to_live_thread(beast::tcp_stream stream) {
    if (live_workers.empty()) return stream;
    auto& lw =
        *live_workers[next_live.fetch_add(1, std::memory_order_relaxed) % live_workers.size()];
    boost::system::error_code ec;
    tcp::socket sock = stream.release_socket();
    const auto local = sock.local_endpoint(ec);
    if (ec) return beast::tcp_stream(std::move(sock));
    const auto fd = sock.release(ec);
    if (ec) return beast::tcp_stream(std::move(sock));
    tcp::socket moved(lw.ioc);
    moved.assign(local.protocol(), fd, ec);
    if (ec) ::close(fd);  // the session then fails at once on the closed socket
    return beast::tcp_stream(std::move(moved));
  }

  std::size_t route_index(const Route* r) const {
    return r ? static_cast<std::size_t>(r - router.routes().data()) + 1 : 0;
  }

  void listen() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(opt.host, ec);
    if (ec) throw std::runtime_error("BOXOFFICE_LISTEN: '" + opt.host + "' is not an IP address");
    std::uint16_t port = opt.port;
    if (port != 0) {
      // SO_REUSEPORT would let a second boxoffice join this port silently and take half the
      // connections: a probe bound without it fails while anyone listens there.
      tcp::acceptor probe(workers[0]->ioc);
      tcp::endpoint ep(address, port);
      probe.open(ep.protocol(), ec);
      if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec) probe.bind(ep, ec);
      if (ec)
        throw std::runtime_error(
            "BOXOFFICE_LISTEN: cannot listen on " + opt.host + ":" + std::to_string(port) + ": " +
            (ec == asio::error::address_in_use
                 ? std::string("the address is already in use (is another boxoffice running?)")
                 : ec.message()));
    }
    for (auto& w : workers) {
      tcp::endpoint ep(address, port);
      tcp::acceptor acc(w->ioc);
      acc.open(ep.protocol(), ec);
      if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec) {
        int one = 1;
        ::setsockopt(acc.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        acc.bind(ep, ec);
      }
      if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
      if (ec)
        throw std::runtime_error("BOXOFFICE_LISTEN: cannot listen on " + opt.host + ":" +
                                 std::to_string(port) + ": " + ec.message());
      // With port 0 the first socket picks the port and the others join it.
      port = acc.local_endpoint().port();
      w->acceptor.emplace(std::move(acc));
    }
    bound_port = port;
  }

  asio::awaitable<void> accept_loop(Worker& w) {
    for (;;) {
      auto [ec, sock] = co_await w.acceptor->async_accept(use_tuple);
      if (stopping) co_return;
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        // Out of descriptors and the like: back off briefly instead of spinning.
        asio::steady_timer t(w.ioc, std::chrono::milliseconds(20));
        co_await t.async_wait(use_tuple);
        continue;
      }
      if (connections.load(std::memory_order_relaxed) >= opt.max_connections) {
        refuse(sock);
        continue;
      }
      std::string peer = peer_of(sock);
      const auto ip = parse_ip(peer);
      // Empty: not counted (a trusted proxy).
      std::string slot =
          ip && any_contains(opt.trusted_proxies, *ip) ? std::string() : slot_of(peer, ip);
      if (!slot.empty() && !take_client_slot(slot)) {
        refuse(sock);
        continue;
      }
      connections.fetch_add(1, std::memory_order_relaxed);
      metrics.connection_opened();
      asio::co_spawn(w.ioc, session(w, std::move(sock), std::move(peer), std::move(slot)),
                     log_completion);
    }
  }

  // A list-valued header sent on several lines means the same as one comma-joined line.
  template <class Field>
  static std::string joined(const bhttp::request<bhttp::string_body>& msg, Field f) {
    std::string out;
    for (auto [it, end] = msg.equal_range(f); it != end; ++it) {
      if (!out.empty()) out += ", ";
      out += std::string(it->value());
    }
    return out;
  }

  // Requests whose framing or routing cannot be trusted are refused and the connection closed
  // (RFC 9112 6.3, 3.2): anything but a lone final "chunked" Transfer-Encoding, a missing or
  // repeated Host, a repeated Authorization or Idempotency-Key.
  static std::optional<Error> framing_error(const bhttp::request<bhttp::string_body>& msg) {
    const std::string te = joined(msg, bhttp::field::transfer_encoding);
    switch (classify_transfer_encoding(te)) {
      case TransferCoding::none:
        break;
      case TransferCoding::chunked:
        if (msg.version() < 11)
          return Error::bad_request("Transfer-Encoding is not allowed in HTTP/1.0");
        if (msg.count(bhttp::field::content_length))
          return Error::bad_request(
              "a request cannot carry both Transfer-Encoding and Content-Length");
        break;
      case TransferCoding::not_chunked:
        return Error::bad_request("Transfer-Encoding must end with chunked");
      case TransferCoding::unsupported:
        return Error::make(Problem::not_implemented,
                           "only the chunked transfer coding is supported");
    }
    const auto hosts = msg.count(bhttp::field::host);
    if (hosts > 1) return Error::bad_request("a request must carry one Host header, not several");
    if (hosts == 0 && msg.version() >= 11)
      return Error::bad_request("an HTTP/1.1 request must carry a Host header");
    // Which of two credentials or keys counts would be a guess that a proxy may make otherwise.
    if (msg.count(bhttp::field::authorization) > 1)
      return Error::bad_request("a request must carry one Authorization header, not several");
    if (msg.count("Idempotency-Key") > 1)
      return Error::bad_request("a request must carry one Idempotency-Key header, not several");
    if (msg.count(bhttp::field::sec_websocket_key) > 1 ||
        msg.count(bhttp::field::sec_websocket_version) > 1)
      return Error::bad_request(
          "a WebSocket upgrade must carry one Sec-WebSocket-Key and one Sec-WebSocket-Version");
    return std::nullopt;
  }

  Request to_request(bhttp::request<bhttp::string_body>& msg, const std::string& peer, Worker& w) {
    Request req;
    req.method = to_method(msg.method());
    req.method_text = std::string(msg.method_string());
    apply_target(msg.target(), req);
    req.has_body = !msg.body().empty();
    req.body = std::move(msg.body());
    req.content_type = std::string(msg[bhttp::field::content_type]);
    req.content_encoding = joined(msg, bhttp::field::content_encoding);
    req.authorization = std::string(msg[bhttp::field::authorization]);
    req.if_none_match = joined(msg, bhttp::field::if_none_match);
    if (auto it = msg.find("Idempotency-Key"); it != msg.end()) {
      req.has_idempotency_key = true;
      req.idempotency_key = std::string(it->value());
    }
    // Every X-Forwarded-For line counts: a proxy may add its own line after the client's.
    req.forwarded_for = joined(msg, std::string_view("X-Forwarded-For"));
    req.accept_encoding = joined(msg, bhttp::field::accept_encoding);
    req.websocket_upgrade = beast::websocket::is_upgrade(msg);
    req.websocket_key = std::string(msg[bhttp::field::sec_websocket_key]);
    req.websocket_version = std::string(msg[bhttp::field::sec_websocket_version]);
    const auto incoming_id = msg["X-Request-Id"];
    if (valid_request_id(incoming_id)) {
      req.request_id = std::string(incoming_id);
    } else {
      req.request_id = w.new_request_id();
    }
    req.peer_ip = peer;
    req.client_ip = resolve_client_ip(peer, req.forwarded_for, opt.trusted_proxies);
    return req;
  }

  asio::awaitable<Response> dispatch(Request& req, std::size_t& route_idx) {
    auto m = router.match(req.method, req.path);
    if (!m.route) {
      if (m.path_known) {
        Response r = problem_response(
            Error::make(Problem::method_not_allowed, req.method_text + " is not allowed here"));
        r.header("Allow", m.allow);
        co_return r;
      }
      co_return problem_response(Error::not_found("no resource at " + req.path.substr(0, 200)));
    }
    route_idx = route_index(m.route);
    req.params = std::move(m.params);
    req.route = m.route->pattern;
    // The API is rate limited per client IP; operations endpoints and the page are not.
    std::optional<RateDecision> limit;
    if (req.path.rfind("/api/", 0) == 0) {
      limit =
          co_await api->rate_limiter.hit(client_rate_key(req.client_ip), api->rate_limit_per_min);
      if (!limit->allowed) {
        metrics.rate_limited();
        Response r = problem_response(Error::make(
            Problem::rate_limited,
            "too many requests; retry in " + std::to_string(limit->retry_after_s) + " s"));
        add_limit_headers(r, *limit);
        r.header("Retry-After", std::to_string(limit->retry_after_s));
        co_return r;
      }
    }
    Response r = co_await run_handler(*m.route, req);
    if (limit) add_limit_headers(r, *limit);
    co_return r;
  }

  static void add_limit_headers(Response& r, const RateDecision& d) {
    r.header("X-RateLimit-Limit", std::to_string(d.limit));
    r.header("X-RateLimit-Remaining", std::to_string(d.remaining));
  }

  asio::awaitable<Response> run_handler(const Route& route, Request& req) {
    if (!req.query_ok)
      co_return problem_response(Error::make(Problem::bad_query, "the query string is malformed"));
    if ((req.method == Method::post || req.method == Method::patch || req.method == Method::put) &&
        req.has_body && !is_json_content_type(req.content_type))
      co_return problem_response(
          Error::make(Problem::unsupported_media_type, "request bodies must be application/json"));
    if (req.has_body && !readable_content_encoding(req.content_encoding))
      co_return problem_response(Error::make(
          Problem::unsupported_media_type, "request bodies must not be content-encoded (no gzip)"));
    try {
      co_return co_await route.handler(*api, req);
    } catch (const std::exception& e) {
      logging::error("handler failed",
                     {{"request_id", req.request_id}, {"route", req.route}, {"error", e.what()}});
    }
    co_return problem_response(
        Error::internal("an unexpected error occurred; request id " + req.request_id));
  }

  static bool compressible(const Response& res) {
    const std::string_view ct = res.content_type;
    return ct.rfind("application/json", 0) == 0 || ct.rfind("application/problem+json", 0) == 0 ||
           ct.rfind("text/", 0) == 0 || ct.rfind("application/javascript", 0) == 0 ||
           ct.rfind("application/yaml", 0) == 0;
  }

  // The status line and header fields, rendered straight into one string: Beast's field
  // container allocated a node per field and its serializer cost a tenth of a cached read.
  // Every name and value here is the server's own (ids, tags, numbers, fixed strings); a value
  // with CR or LF would split the header, so such a field is dropped rather than sent.
  static void add_field(std::string& head, std::string_view name, std::string_view value) {
    if (value.find_first_of("\r\n") != std::string_view::npos ||
        name.find_first_of("\r\n: ") != std::string_view::npos)
      return;
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }

  asio::awaitable<bool> write_response(beast::tcp_stream& stream, const Request* req,
                                       const std::string& request_id, const Response& res,
                                       bool keep_alive, unsigned version) {
    std::string_view body = res.body_view();
    const bool no_body = res.status == 204 || res.status == 304 || res.status < 200;
    // Bodies over 1 KiB go out gzip-compressed to clients that accept it: cached ones were
    // compressed once (shared_gzip), the rest are compressed here.
    std::string compressed;
    bool vary = false;
    bool gzipped = false;
    if (!no_body && compressible(res) && body.size() >= kGzipMinBytes) {
      vary = true;
      if (req && accepts_gzip(req->accept_encoding)) {
        if (res.shared_gzip) {
          body = *res.shared_gzip;
        } else {
          compressed = gzip_compress(body);
          body = compressed;
        }
        gzipped = true;
      }
    }
    std::string head;
    head.reserve(320);
    head += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    head += std::to_string(res.status);
    head += ' ';
    head += bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
    head += "\r\n";
    add_field(head, "Server", "boxoffice");
    add_field(head, "X-Request-Id", request_id);
    if (!res.content_type.empty() && !no_body) add_field(head, "Content-Type", res.content_type);
    for (const auto& [k, v] : res.headers) {
      // Each representation has its own strong tag (RFC 9110 8.8.3); If-None-Match accepts both.
      if (gzipped && beast::iequals(k, "ETag") && v.size() >= 2 && v.back() == '"') {
        std::string tag = v;
        add_field(head, k, tag.insert(tag.size() - 1, "-gz"));
        continue;
      }
      add_field(head, k, v);
    }
    if (vary) add_field(head, "Vary", "Accept-Encoding");
    if (gzipped) add_field(head, "Content-Encoding", "gzip");
    if (version == 10 && keep_alive) add_field(head, "Connection", "keep-alive");
    if (version != 10 && !keep_alive) add_field(head, "Connection", "close");
    if (!no_body) add_field(head, "Content-Length", std::to_string(body.size()));
    head += "\r\n";
    const bool head_only = no_body || (req && req->method == Method::head);
    std::array<asio::const_buffer, 2> out{asio::buffer(head),
                                          head_only ? asio::const_buffer() : asio::buffer(body)};
    stream.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await asio::async_write(stream, out, use_tuple);
    co_return !ec;
  }

  void access_log(const Request& req, int status, std::chrono::nanoseconds took,
                  std::size_t bytes) {
    if (!opt.access_log || !logging::enabled(logging::Level::info)) return;
    std::string line = "{\"time\":\"" + format_rfc3339_ms(now_unix_ms()) +
                       "\",\"level\":\"info\",\"msg\":\"request\",\"method\":";
    logging::append_json_string(line, sanitize_utf8(req.method_text, 32));
    line += ",\"route\":";
    logging::append_json_string(line, req.route.empty() ? "unmatched" : req.route);
    line += ",\"path\":";
    logging::append_json_string(line, sanitize_utf8(req.path, 256));
    line += ",\"status\":" + std::to_string(status);
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.3f", std::chrono::duration<double, std::milli>(took).count());
    line += ",\"duration_ms\":";
    line += ms;
    line += ",\"bytes\":" + std::to_string(bytes) + ",\"request_id\":";
    logging::append_json_string(line, req.request_id);
    line += ",\"client_ip\":";
    logging::append_json_string(line, req.client_ip);
    line += '}';
    logging::write_raw(logging::Level::info, std::move(line));
  }

  // Answers a request that could not be read (too large, malformed) and closes politely.
  asio::awaitable<void> reject(beast::tcp_stream& stream, beast::flat_buffer& buffer, Worker& w,
                               Error e, const std::string& peer) {
    Request req;
    req.method_text = "?";
    req.peer_ip = req.client_ip = peer;
    req.request_id = w.new_request_id();
    Response res = problem_response(e);
    const auto start = std::chrono::steady_clock::now();
    co_await write_response(stream, nullptr, req.request_id, res, false, 11);
    metrics.request(0, res.status, std::chrono::steady_clock::now() - start);
    access_log(req, res.status, std::chrono::steady_clock::now() - start, res.body_view().size());
    // Drain what the client is still sending for a moment so it reads the answer instead of a
    // reset.
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(std::chrono::seconds(1));
    std::size_t drained = 0;
    while (drained < 4 * 1024 * 1024) {
      buffer.clear();
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(65536), use_tuple);
      if (ec) break;
      drained += n;
    }
  }

  asio::awaitable<void> session(Worker& w, tcp::socket sock, std::string peer, std::string slot) {
    struct Guard {
      Impl& s;
      Worker& w;
      Connection* c;
      const std::string& slot;
      // Set when the connection becomes a live WebSocket: its counts go with it.
      bool handed_over = false;
      ~Guard() {
        w.connections.erase(c);
        if (handed_over) return;
        s.connections.fetch_sub(1, std::memory_order_relaxed);
        if (!slot.empty()) s.release_client_slot(slot);
        s.metrics.connection_closed();
      }
    };
    boost::system::error_code ec0;
    sock.set_option(tcp::no_delay(true), ec0);
    beast::tcp_stream stream(std::move(sock));
    Connection conn{&stream, true};
    w.connections.insert(&conn);
    Guard guard{*this, w, &conn, slot};
    beast::flat_buffer buffer;
    // A new connection gets the header timeout for its first byte, not the keep-alive idle
    // timeout: opening silent connections must not hold slots for a minute.
    bool first = true;
    // Empty lines skipped since the last request: they count as the start of a request (the
    // header timeout applies), and past four the parser answers 400, so line ends alone
    // neither hold a connection nor keep it alive.
    std::size_t empty_lines = 0;
    for (;;) {
      conn.idle = true;
      if (stopping) break;
      if (buffer.size() == 0) {
        stream.expires_after(first || empty_lines > 0 ? opt.header_timeout : opt.idle_timeout);
        first = false;
        // Small first read: most requests fit, the parser grows the buffer for the rest, and
        // thousands of idle connections do not each pin a large buffer.
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(1024), use_tuple);
        if (ec) break;
        buffer.commit(n);
      }
      {
        // A few empty lines before a request line are ignored (RFC 9112 2.2: some clients
        // send a CRLF after a POST body); more than that is left to the parser's 400.
        const std::string_view pending(static_cast<const char*>(buffer.data().data()),
                                       buffer.data().size());
        std::size_t skip = 0;
        while (empty_lines < 4 && skip + 1 < pending.size() && pending[skip] == '\r' &&
               pending[skip + 1] == '\n') {
          skip += 2;
          ++empty_lines;
        }
        buffer.consume(skip);
        if (skip > 0 && buffer.size() == 0) continue;
      }
      conn.idle = false;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(opt.max_header_bytes));
      parser.body_limit(opt.max_body_bytes);
      // The deadline covers the whole header: trickling bytes (slowloris) does not extend it.
      stream.expires_after(opt.header_timeout);
      auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
      if (hec) {
        if (hec == bhttp::error::body_limit) {
          Error too_large =
              Error::make(Problem::payload_too_large,
                          "the body is over " + std::to_string(opt.max_body_bytes) + " bytes");
          co_await reject(stream, buffer, w, std::move(too_large), peer);
        } else if (hec == bhttp::error::header_limit) {
          Error e = Error::make(Problem::headers_too_large, "the request headers are too large");
          co_await reject(stream, buffer, w, e, peer);
        } else if (hec != beast::error::timeout && hec != asio::error::operation_aborted &&
                   hec != bhttp::error::end_of_stream && hec != asio::error::eof &&
                   hec != asio::error::connection_reset) {
          Error malformed =
              Error::bad_request("the request is not valid HTTP/1.1: " + hec.message());
          co_await reject(stream, buffer, w, std::move(malformed), peer);
        }
        break;
      }
      empty_lines = 0;
      const auto start = std::chrono::steady_clock::now();
      if (auto bad = framing_error(parser.get())) {
        co_await reject(stream, buffer, w, std::move(*bad), peer);
        break;
      }
      // HTTP/1.0 clients do not know 100 Continue: their Expect is ignored (RFC 9110 10.1.1).
      if (parser.get().version() >= 11 &&
          bhttp::token_list{parser.get()[bhttp::field::expect]}.exists("100-continue")) {
        static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [cec, cn] =
            co_await asio::async_write(stream, asio::buffer(cont.data(), cont.size()), use_tuple);
        if (cec) break;
      }
      if (!parser.is_done()) {
        stream.expires_after(std::max(opt.header_timeout, std::chrono::milliseconds(30'000)));
        // Parsed here piece by piece: Beast's read would wait, until the deadline, for a CRLF
        // that chunked framing with bare line feeds never sends; this answers 400 at once.
        // Eager: each piece is parsed as far as it goes, so what is left in the buffer starts
        // at chunk framing, never inside a chunk's data (where a line feed is just data).
        parser.eager(true);
        boost::system::error_code bec;
        while (!parser.is_done()) {
          if (buffer.size() > 0) {
            const auto used = parser.put(buffer.data(), bec);
            buffer.consume(used);
            if (bec && bec != bhttp::error::need_more) break;
            bec = {};
            if (parser.is_done()) break;
            // What is left is a chunk-size line (with extensions) or trailers still arriving:
            // Beast sets no bound on those, and an endless chunk extension grew the buffer by
            // hundreds of MiB a second, so they get the header's bound.
            if (parser.chunked() &&
                (buffer.size() > opt.max_header_bytes ||
                 bare_lf_in_chunk_framing(
                     {static_cast<const char*>(buffer.data().data()), buffer.data().size()}))) {
              bec = bhttp::error::bad_chunk;
              break;
            }
          }
          auto [ec, n] = co_await stream.async_read_some(buffer.prepare(64 * 1024), use_tuple);
          if (ec) {
            bec = ec;
            break;
          }
          buffer.commit(n);
        }
        if (bec == bhttp::error::body_limit) {
          Error too_large =
              Error::make(Problem::payload_too_large,
                          "the body is over " + std::to_string(opt.max_body_bytes) + " bytes");
          co_await reject(stream, buffer, w, std::move(too_large), peer);
          break;
        }
        if (bec && bec != beast::error::timeout && bec != asio::error::operation_aborted &&
            bec != bhttp::error::end_of_stream && bec != asio::error::eof &&
            bec != asio::error::connection_reset && bec != bhttp::error::partial_message) {
          // A bad chunk size and the like: say so, then close (the framing can't be trusted).
          co_await reject(stream, buffer, w,
                          Error::bad_request("the request body is malformed: " + bec.message()),
                          peer);
          break;
        }
        if (bec) break;
      }
      auto& msg = parser.get();
      const bool keep_alive = msg.keep_alive();
      const unsigned version = msg.version();
      Request req = to_request(msg, peer, w);
      std::size_t route_idx = 0;
      Response res = co_await dispatch(req, route_idx);
      if (res.status == 101 && req.websocket_upgrade && buffer.size() > 0) {
        // Bytes after the upgrade request, before our answer: the client did not wait for the
        // handshake (RFC 6455 4.1). They would be lost in the hand-over to the WebSocket, so
        // the upgrade is refused rather than silently dropping them.
        co_await reject(stream, buffer, w,
                        Error::bad_request("data was sent before the WebSocket handshake's answer"),
                        peer);
        break;
      }
      if (res.status == 101 && req.websocket_upgrade) {
        metrics.request(route_idx, 101, std::chrono::steady_clock::now() - start);
        access_log(req, 101, std::chrono::steady_clock::now() - start, 0);
        const Id show_id = *path_id(req, 0, "show");
        // The live session runs in its own coroutine so this connection's frame (parser, buffers,
        // request) is freed: thousands of idle watchers must stay cheap. It counts as a
        // connection until it ends; the hub, not the idle sweep, closes it on shutdown (1001).
        // Its address's slot too: this connection's counts (connection, address slot) pass to
        // the live session rather than being released here and taken again, which left a moment
        // in which a socket counted twice and a client's next connection was refused.
        guard.handed_over = true;
        beast::tcp_stream live_stream = to_live_thread(std::move(stream));
        const auto live_executor = live_stream.get_executor();
        asio::co_spawn(live_executor,
                       live::serve_live(std::move(live_stream), parser.release(), show_id, *api),
                       [this, slot](std::exception_ptr e) {
                         connections.fetch_sub(1, std::memory_order_relaxed);
                         if (!slot.empty()) release_client_slot(slot);
                         metrics.connection_closed();
                         log_completion(e);
                       });
        co_return;
      }
      const bool keep = keep_alive && !stopping;
      const bool written =
          co_await write_response(stream, &req, req.request_id, res, keep, version);
      const auto took = std::chrono::steady_clock::now() - start;
      metrics.request(route_idx, res.status, took);
      access_log(req, res.status, took, res.body_view().size());
      if (!written || !keep) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  void begin_shutdown() {
    if (stopping.exchange(true)) return;
    api->draining = true;
    if (shutdown_hook) shutdown_hook();
    logging::info("shutting down", {{"in_flight", std::to_string(connections.load())}});
    for (auto& wp : workers) {
      Worker* w = wp.get();
      asio::post(w->ioc, [w] {
        boost::system::error_code ignored;
        if (w->acceptor) w->acceptor->close(ignored);
        for (Connection* c : w->connections)
          if (c->idle) c->stream->cancel();
      });
    }
    asio::co_spawn(workers[0]->ioc, drain(), log_completion);
  }

  // After a burst (thousands of connections opening at once) glibc keeps the freed memory in
  // its arenas; giving it back every few seconds keeps RSS close to what is really in use.
  asio::awaitable<void> trim_memory() {
    asio::steady_timer t(workers[0]->ioc);
    while (!stopping) {
      t.expires_after(std::chrono::seconds(10));
      co_await t.async_wait(use_tuple);
      const auto started = std::chrono::steady_clock::now();
      malloc_trim(0);
      const auto took = std::chrono::steady_clock::now() - started;
      if (took > std::chrono::milliseconds(5))
        logging::warn(
            "malloc_trim was slow",
            {{"ms", std::to_string(
                        std::chrono::duration_cast<std::chrono::milliseconds>(took).count())}});
    }
  }

  asio::awaitable<void> run_every(std::chrono::milliseconds period, std::function<void()> fn) {
    asio::steady_timer t(workers[0]->ioc);
    while (!stopping) {
      t.expires_after(period);
      auto [ec] = co_await t.async_wait(use_tuple);
      if (ec || stopping) break;
      fn();
    }
  }

  asio::awaitable<void> drain() {
    const auto deadline = std::chrono::steady_clock::now() + opt.shutdown_timeout;
    asio::steady_timer t(workers[0]->ioc);
    while (connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      t.expires_after(std::chrono::milliseconds(20));
      co_await t.async_wait(use_tuple);
      // Connections that went idle after the first sweep are closed too.
      for (auto& wp : workers) {
        Worker* w = wp.get();
        asio::post(w->ioc, [w] {
          for (Connection* c : w->connections)
            if (c->idle) c->stream->cancel();
        });
      }
    }
    for (auto& g : guards) g.reset();
    for (auto& l : live_workers) l->guard.reset();
    for (auto& w : workers) w->ioc.stop();  // also ends trim_memory's wait
    for (auto& l : live_workers) l->ioc.stop();
  }
};

Server::Server(ServerOptions options, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

Server::~Server() = default;

boost::asio::any_io_executor Server::executor(int i) {
  return impl_->workers.at(static_cast<std::size_t>(i))->ioc.get_executor();
}

void Server::listen() {
  impl_->listen();
}

std::uint16_t Server::port() const {
  return impl_->bound_port;
}

void Server::on_shutdown(std::function<void()> fn) {
  impl_->shutdown_hook = std::move(fn);
}

void Server::every(std::chrono::milliseconds period, std::function<void()> fn) {
  impl_->periodic.emplace_back(period, std::move(fn));
}

void Server::shutdown() {
  asio::post(impl_->workers[0]->ioc, [this] { impl_->begin_shutdown(); });
}

void Server::run(Api& api) {
  Impl& s = *impl_;
  s.api = &api;
  s.signals.emplace(s.workers[0]->ioc, SIGINT, SIGTERM);
  s.signals->async_wait([&s](boost::system::error_code ec, int) {
    if (!ec) s.begin_shutdown();
  });
  for (auto& w : s.workers) asio::co_spawn(w->ioc, s.accept_loop(*w), log_completion);
  asio::co_spawn(s.workers[0]->ioc, s.trim_memory(), log_completion);
  for (auto& [period, fn] : s.periodic)
    asio::co_spawn(s.workers[0]->ioc, s.run_every(period, fn), log_completion);
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < s.workers.size(); ++i)
    threads.emplace_back([&s, i] { s.workers[i]->ioc.run(); });
  for (auto& l : s.live_workers) threads.emplace_back([&l] { l->ioc.run(); });
  s.workers[0]->ioc.run();
  for (auto& t : threads) t.join();
}

}  // namespace boxoffice::http
