// boxoffice-wsbench: opens many WebSockets on one show's live feed, reports the server's memory
// per idle socket, then times how long one seat change takes to reach every socket.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Shared {
  std::atomic<int> connected{0}, failed{0}, got_change{0};
  std::atomic<long> trigger_ns{0};
  std::vector<long> latencies_us;  // guarded by mutex
  std::mutex mutex;
};

long rss_kib(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

asio::awaitable<void> watcher(std::string host, std::string port, long show, Shared& s) {
  try {
    websocket::stream<beast::tcp_stream> ws(co_await asio::this_coro::executor);
    tcp::resolver r(ws.get_executor());
    auto eps = co_await r.async_resolve(host, port, asio::use_awaitable);
    co_await beast::get_lowest_layer(ws).async_connect(eps, asio::use_awaitable);
    beast::get_lowest_layer(ws).expires_never();
    co_await ws.async_handshake(host, "/api/v1/shows/" + std::to_string(show) + "/live",
                                asio::use_awaitable);
    beast::flat_buffer buf;
    co_await ws.async_read(buf, asio::use_awaitable);  // the snapshot
    buf.consume(buf.size());
    ++s.connected;
    for (;;) {
      co_await ws.async_read(buf, asio::use_awaitable);
      const auto now = Clock::now().time_since_epoch().count();
      const std::string text = beast::buffers_to_string(buf.data());
      buf.consume(buf.size());
      if (text.find("\"seats\"") != std::string::npos && s.trigger_ns.load() != 0) {
        {
          std::lock_guard lock(s.mutex);
          s.latencies_us.push_back((now - s.trigger_ns.load()) / 1000);
        }
        ++s.got_change;
      }
    }
  } catch (const std::exception&) {
    if (s.connected.load() == 0) ++s.failed;
  }
}

std::string post(const std::string& host, const std::string& port, const std::string& target,
                 const std::string& body, const std::string& token, int& status) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::resolver(ioc).resolve(host, port));
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, host);
  req.set(http::field::content_type, "application/json");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer b;
  http::response<http::string_body> res;
  http::read(stream, b, res);
  status = res.result_int();
  return res.body();
}

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", port = "8080", token;
  long show = 1;
  int sockets = 1000, server_pid = 0, threads = 1;
  std::string seat = "A1";
  CLI::App app{"boxoffice-wsbench"};
  app.add_option("--host", host);
  app.add_option("--port", port);
  app.add_option("--show", show);
  app.add_option("--sockets", sockets);
  app.add_option("--threads", threads);
  app.add_option("--server-pid", server_pid, "to read the server's RSS");
  app.add_option("--token", token, "a customer token, to make the seat change")->required();
  app.add_option("--seat", seat);
  CLI11_PARSE(app, argc, argv);

  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);

  const long rss_before = server_pid ? rss_kib(server_pid) : -1;
  Shared s;
  std::vector<std::unique_ptr<asio::io_context>> ctxs;
  for (int t = 0; t < threads; ++t) ctxs.push_back(std::make_unique<asio::io_context>(1));
  for (int i = 0; i < sockets; ++i)
    asio::co_spawn(*ctxs[static_cast<std::size_t>(i % threads)], watcher(host, port, show, s),
                   asio::detached);
  std::vector<std::thread> runners;
  for (auto& c : ctxs) runners.emplace_back([&c] { c->run(); });
  const auto t0 = Clock::now();
  while (s.connected.load() + s.failed.load() < sockets &&
         Clock::now() - t0 < std::chrono::seconds(120))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const double connect_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("sockets=%d connected=%d failed=%d connect_s=%.1f\n", sockets, s.connected.load(),
              s.failed.load(), connect_s);
  // RSS right after the connect storm, and once the server has settled (it returns freed
  // memory to the system every 10 s).
  for (int wait_s : {2, 10}) {
    std::this_thread::sleep_for(std::chrono::seconds(wait_s));
    const long rss_after = server_pid ? rss_kib(server_pid) : -1;
    if (server_pid)
      std::printf("server_rss_kib before=%ld after_%s=%ld per_socket_kib=%.2f\n", rss_before,
                  wait_s == 2 ? "2s" : "12s", rss_after,
                  static_cast<double>(rss_after - rss_before) / std::max(1, s.connected.load()));
  }

  // One hold on the show: every socket should see it.
  int status = 0;
  s.trigger_ns = Clock::now().time_since_epoch().count();
  const std::string body = post(host, port, "/api/v1/shows/" + std::to_string(show) + "/holds",
                                "{\"seats\":[\"" + seat + "\"]}", token, status);
  if (status != 201) {
    std::cerr << "hold failed: " << status << " " << body << "\n";
    return 1;
  }
  const auto t1 = Clock::now();
  while (s.got_change.load() < s.connected.load() && Clock::now() - t1 < std::chrono::seconds(10))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::vector<long> lat;
  {
    std::lock_guard lock(s.mutex);
    lat = s.latencies_us;
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    return lat.empty()
               ? 0.0
               : lat[std::min(lat.size() - 1, static_cast<std::size_t>(p * lat.size()))] / 1000.0;
  };
  std::printf("change_delivered=%zu/%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n", lat.size(),
              s.connected.load(), pct(0.5), pct(0.99), lat.empty() ? 0.0 : lat.back() / 1000.0);
  std::fflush(stdout);
  std::_Exit(0);  // the sockets close with the process
}
