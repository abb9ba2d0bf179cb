#pragma once
// The HTTP/1.1 server: one io_context per I/O thread, each with its own SO_REUSEPORT acceptor,
// so threads share no lock per request. Beast stays inside server.cpp.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "net/cidr.hpp"

namespace boxoffice {
class Metrics;
}

namespace boxoffice::http {

struct Api;
class Router;

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  int threads = 1;
  // Threads of their own for live WebSockets (0: each stays on the I/O thread that accepted
  // it). A change fans out to thousands of sockets at once; on its own threads that burst
  // shares the cores with requests instead of queueing ahead of them on an I/O thread. Off by
  // default: at 16,700 sockets per instance (50,000 over 3 on 2 cores) the fan-out fell behind
  // the changes (BENCHMARKS.md, "live threads").
  int live_threads = 0;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds shutdown_timeout{10'000};
  int max_connections = 10000;
  // One address may not take every slot (silent connections cost nothing to open). Trusted
  // proxies are exempt: all their clients arrive from their address.
  int max_connections_per_client = 1000;
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::vector<Cidr> trusted_proxies;
  bool access_log = true;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, Metrics& metrics);
  ~Server();

  // Executor of I/O thread i (i < threads), for timers and background work.
  boost::asio::any_io_executor executor(int i = 0);
  // Binds the listening sockets; throws std::runtime_error naming BOXOFFICE_LISTEN on failure.
  void listen();
  std::uint16_t port() const;
  // Serves `api` until SIGINT/SIGTERM (or shutdown()), drains in-flight requests, then returns.
  void run(Api& api);
  void shutdown();
  // Runs once when shutdown begins (e.g. to send WebSocket clients 1001).
  void on_shutdown(std::function<void()> fn);
  // Runs fn on I/O thread 0 every `period` while serving (sweeps of caches and the like).
  void every(std::chrono::milliseconds period, std::function<void()> fn);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace boxoffice::http
