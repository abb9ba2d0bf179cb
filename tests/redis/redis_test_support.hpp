#pragma once
// Shared by the Redis integration tests (tests/redis/*.cpp): the servers with_redis.py started,
// a coroutine runner, admin commands on fresh connections, cluster inspection and steering.
#include <gtest/gtest.h>
#include <signal.h>
#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include "coord/redis/cluster_slots.hpp"
#include "coord/redis/redis_client.hpp"
#include "coord/redis/redis_connection.hpp"

namespace boxoffice::redis {

using namespace std::chrono_literals;

// ASSERT_* return, which a coroutine cannot: these record the failure and throw instead (the
// test ends with the exception, which run() rethrows to GoogleTest).
#define CO_ASSERT(cond)                                     \
  do {                                                      \
    if (!(cond)) {                                          \
      ADD_FAILURE() << "assertion failed: " #cond;          \
      throw std::runtime_error("assertion failed: " #cond); \
    }                                                       \
  } while (0)
#define CO_ASSERT_EQ(a, b)                                                          \
  do {                                                                              \
    EXPECT_EQ(a, b);                                                                \
    if (!((a) == (b))) throw std::runtime_error("assertion failed: " #a " == " #b); \
  } while (0)

inline std::string env_url(const char* name) {
  const char* url = std::getenv(name);
  if (!url || !*url)
    throw std::runtime_error(std::string(name) +
                             " is not set: run via tests/harness/with_redis.py");
  return url;
}

inline std::string standalone_url() {
  return env_url("BOXOFFICE_TEST_REDIS_URL");
}
inline std::string cluster_url() {
  return env_url("BOXOFFICE_TEST_REDIS_CLUSTER_URL");
}
inline NodeAddress standalone_node() {
  return parse_redis_url(standalone_url()).seeds.at(0);
}
inline std::vector<NodeAddress> cluster_nodes() {
  return parse_redis_url(cluster_url()).seeds;
}

// Runs a test coroutine on a fresh io_context until it finishes (at most two minutes).
template <class Fn>
void run(Fn fn) {
  asio::io_context ioc;
  auto done = asio::co_spawn(ioc, fn(ioc.get_executor()), asio::use_future);
  const auto limit = Clock::now() + 120s;
  while (done.wait_for(0s) != std::future_status::ready) {
    ioc.run_one_for(100ms);
    if (Clock::now() > limit) FAIL() << "the test coroutine did not finish in 120 s";
  }
  done.get();  // rethrows a failed expectation's exception
}

inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

// Polls `done` every 20 ms until it is true or `timeout` passed; returns its last value.
inline asio::awaitable<bool> eventually(std::function<bool()> done,
                                        std::chrono::milliseconds timeout) {
  const auto limit = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > limit) co_return false;
    co_await sleep_for(20ms);
  }
  co_return true;
}

template <class... A>
std::vector<std::string> args(A&&... a) {
  std::vector<std::string> v;
  (v.emplace_back(std::forward<A>(a)), ...);
  return v;
}

inline ClientOptions fast_options(std::string url) {
  ClientOptions o = parse_redis_url(url);
  o.connection.connect_timeout = 500ms;
  o.connection.request_timeout = 1000ms;
  o.command_timeout = 3000ms;
  return o;
}

// One admin command on a fresh connection to `node` (to watch and steer the servers).
inline asio::awaitable<RedisValue> admin(NodeAddress node, std::vector<std::string> a) {
  auto ex = co_await asio::this_coro::executor;
  ConnectionOptions o;
  auto c = co_await RedisConnection::connect(ex, node, o, 2000ms);
  RedisValue r;
  std::exception_ptr failed;
  try {
    r = co_await c->request(std::move(a), Clock::now() + 10s);
  } catch (...) {
    failed = std::current_exception();
  }
  c->close("done");
  if (failed) std::rethrow_exception(failed);
  co_return r;
}

inline asio::awaitable<std::string> admin_text(NodeAddress node, std::vector<std::string> a) {
  RedisValue r = co_await admin(std::move(node), std::move(a));
  co_return r.is_nil() ? std::string() : r.as_string();
}

// "field:value" lines of INFO or CLUSTER INFO.
inline std::string info_field(const std::string& info, const std::string& field) {
  std::istringstream in(info);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind(field + ":", 0) == 0) return line.substr(field.size() + 1);
  }
  return {};
}

inline asio::awaitable<int> server_pid(NodeAddress node) {
  std::vector<std::string> a = args("INFO", "server");
  const std::string info = co_await admin_text(node, std::move(a));
  co_return std::stoi(info_field(info, "process_id"));
}

inline asio::awaitable<std::string> node_id(NodeAddress node) {
  std::vector<std::string> a = args("CLUSTER", "MYID");
  co_return co_await admin_text(node, std::move(a));
}

// The master of `slot` and its replicas, as CLUSTER SHARDS on `ask` reports them.
inline asio::awaitable<Shard> shard_of(NodeAddress ask, std::uint16_t slot) {
  std::vector<std::string> a = args("CLUSTER", "SHARDS");
  RedisValue reply = co_await admin(ask, std::move(a));
  const SlotMap m = SlotMap::from_shards(reply, ask);
  const Shard* s = m.shard_of(slot);
  if (!s) throw std::runtime_error("no shard serves slot " + std::to_string(slot));
  co_return *s;
}

// Every node answers, says cluster_state:ok, sees no failed node, and there are 3 masters
// with one connected replica each.
inline asio::awaitable<bool> cluster_healthy() {
  int masters = 0;
  for (const NodeAddress& n : cluster_nodes()) {
    try {
      std::vector<std::string> info_args = args("CLUSTER", "INFO");
      const std::string info = co_await admin_text(n, std::move(info_args));
      if (info_field(info, "cluster_state") != "ok") co_return false;
      if (info_field(info, "cluster_slots_pfail") != "0" ||
          info_field(info, "cluster_slots_fail") != "0")
        co_return false;
      std::vector<std::string> nodes_args = args("CLUSTER", "NODES");
      const std::string nodes = co_await admin_text(n, std::move(nodes_args));
      if (nodes.find("fail") != std::string::npos) co_return false;
      std::vector<std::string> role_args = args("ROLE");
      RedisValue role = co_await admin(n, std::move(role_args));
      if (role[0].as_string() == "master") {
        ++masters;
        if (role[2].size() != 1) co_return false;
      }
    } catch (const std::exception&) {
      co_return false;
    }
  }
  co_return masters == 3;
}

inline asio::awaitable<void> wait_cluster_healthy(std::chrono::seconds timeout) {
  const auto limit = Clock::now() + timeout;
  for (;;) {
    const bool healthy = co_await cluster_healthy();
    if (healthy) break;
    if (Clock::now() > limit) throw std::runtime_error("the cluster did not become healthy");
    co_await sleep_for(200ms);
  }
}

// Moves every key of `slot` still on `from` to `to` (other tests' keys may share the slot).
inline asio::awaitable<void> migrate_rest(NodeAddress from, NodeAddress to, std::uint16_t slot) {
  for (;;) {
    std::vector<std::string> list = args("CLUSTER", "GETKEYSINSLOT", std::to_string(slot), "100");
    RedisValue keys = co_await admin(from, std::move(list));
    if (keys.size() == 0) co_return;
    std::vector<std::string> migrate =
        args("MIGRATE", to.host, std::to_string(to.port), "", "0", "5000", "KEYS");
    for (const RedisValue& k : keys.as_array()) migrate.push_back(k.as_string());
    RedisValue r = co_await admin(from, std::move(migrate));
    if (!r.is_status("OK")) throw std::runtime_error("MIGRATE failed: " + r.debug_string());
  }
}

// A hash tag whose slot the given master serves.
inline asio::awaitable<std::string> tag_on(RedisClient& client, NodeAddress master) {
  for (int i = 0; i < 100000; ++i) {
    std::string tag = "{t" + std::to_string(i) + "}";
    std::optional<NodeAddress> owner = co_await client.owner_of(slot_of(tag));
    if (owner == master) co_return tag;
  }
  throw std::runtime_error("no tag on " + master.to_string());
}

// Messages received by a subscriber (on the redis thread) and times it was resubscribed.
struct Inbox {
  std::mutex m;
  std::vector<std::string> messages;
  std::atomic<int> resubscribed{0};
  std::function<void(std::string_view)> on_message() {
    return [this](std::string_view p) {
      std::lock_guard lock(m);
      messages.emplace_back(p);
    };
  }
  std::function<void()> on_resubscribed() {
    return [this] { resubscribed.fetch_add(1); };
  }
  bool has(const std::string& p) {
    std::lock_guard lock(m);
    return std::find(messages.begin(), messages.end(), p) != messages.end();
  }
  std::size_t size() {
    std::lock_guard lock(m);
    return messages.size();
  }
};

// A TCP server that accepts connections and never answers (a hung node).
class SilentServer {
 public:
  SilentServer()
      : acceptor_(ioc_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~SilentServer() {
    ioc_.stop();
    thread_.join();
  }
  NodeAddress address() const {
    return NodeAddress{"127.0.0.1", acceptor_.local_endpoint().port()};
  }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket s) {
      if (ec) return;
      sockets_.push_back(std::move(s));  // held open, never read
      accept();
    });
  }
  asio::io_context ioc_;
  asio::ip::tcp::acceptor acceptor_;
  std::vector<asio::ip::tcp::socket> sockets_;
  std::thread thread_;
};

}  // namespace boxoffice::redis
