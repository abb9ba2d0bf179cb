#pragma once
// The Redis client the server uses: standalone Redis or Redis Cluster behind one API, with
// pipelining, Lua scripts by SHA, and sharded pub/sub. Modelled on hiredis-cluster (slot
// patching on MOVED, throttled full refreshes, 5 attempts), redis-plus-plus (ASK, background
// refresh) and node-redis (resubscribing sharded channels after a failover or a migration).
//
// Threading: one RedisClient owns one dedicated thread with its own io_context (the "redis
// thread"); the slot map, every connection and every subscription live there and nothing else
// touches them, so there are no locks. Public calls may come from any thread or executor: they
// hop to the redis thread (async/bridge.hpp) and resume on the caller's executor. Why not one
// client per I/O thread: Redis connections would multiply by the thread count, each thread
// would discover and refresh its own copy of the slot map, a channel would need a subscription
// per thread, and pipelining would only batch one thread's commands. The hop costs a few
// microseconds against a round trip of 50-100 us, and parsing replies on one thread is far
// below what the Redis nodes themselves serve (the PostgreSQL pool makes the same trade).
//
// Errors: an error reply the client does not handle itself (WRONGTYPE, a script error,
// NOSCRIPT inside a pipeline ...) is returned as a value (RedisValue::is_error()). RedisError
// is thrown when no reply could be had; see ErrorKind. A command whose connection died after
// it was written fails with ErrorKind::lost unless the caller declared it Idempotent::yes.
//
// Limits (ClientOptions): one command takes at most command_timeout in all, and at most
// 1 + max_attempts tries (MOVED, ASK, TRYAGAIN, CLUSTERDOWN, LOADING, MASTERDOWN, READONLY,
// connection failures); retries back off exponentially from backoff_base to backoff_max with
// jitter; redirects do not wait. At most max_commands commands are in progress at once.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "coord/redis/cluster_slots.hpp"
#include "coord/redis/redis_connection.hpp"
#include "coord/redis/redis_value.hpp"

namespace boxoffice::redis {

struct ClientOptions {
  std::vector<NodeAddress> seeds;  // bounded by the URL
  // True when the URL named several nodes: then it is a cluster for certain. With one node the
  // client asks it (CLUSTER SHARDS) and runs standalone when cluster support is disabled.
  bool cluster = false;
  ConnectionOptions connection;
  std::chrono::milliseconds command_timeout{5000};  // one command across all its tries
  int max_attempts = 5;                             // redirects + retries after the first try
  std::chrono::milliseconds backoff_base{50};       // first retry wait (doubles each time)
  std::chrono::milliseconds backoff_max{1000};
  std::chrono::milliseconds refresh_interval{10'000};  // background slot map refresh
  std::chrono::milliseconds min_refresh_gap{1000};     // at most one refresh per this
  // Commands (and subscribe calls) in progress at once; beyond it a call fails at once with
  // ErrorKind::overloaded. Bounds every waiting line inside the client.
  std::size_t max_commands = 50'000;
};

// BOXOFFICE_REDIS_URL: "redis://host:port", "host:port", or a comma list of either (cluster
// seeds). Throws std::invalid_argument naming the bad part.
ClientOptions parse_redis_url(std::string_view url);

class RedisClient;
namespace detail {
class ClientCore;
}

// A Lua script and its SHA-1, computed once. Copies share the text.
class Script {
 public:
  explicit Script(std::string source);
  const std::string& source() const noexcept { return data_->source; }
  const std::string& sha() const noexcept { return data_->sha; }

 private:
  friend class RedisClient;
  friend class detail::ClientCore;
  struct Data {
    std::string source;
    std::string sha;
  };
  std::shared_ptr<const Data> data_;
};

enum class Idempotent : bool {
  no,   // never sent twice: a connection lost with the command unanswered fails it (lost)
  yes,  // may be sent again after such a loss (reads, or writes that are safe to repeat)
};

struct ClientStats {
  std::uint64_t moved = 0;         // MOVED replies followed
  std::uint64_t ask = 0;           // ASK replies followed
  std::uint64_t retries = 0;       // tries after a retryable error or a connection failure
  std::uint64_t refreshes = 0;     // full slot map refreshes that succeeded
  std::uint64_t connects = 0;      // connections opened
  std::uint64_t resubscribes = 0;  // channels subscribed again after a loss
  std::uint64_t round_trips = 0;   // requests sent (a command, a script or a pipeline: one each)
};

// One subscriber of a sharded channel. Destroying it (or reset()) removes the subscriber; the
// last subscriber of a channel sends SUNSUBSCRIBE. Must not outlive its RedisClient.
class Subscription {
 public:
  Subscription() = default;
  ~Subscription() { reset(); }
  Subscription(Subscription&& o) noexcept { *this = std::move(o); }
  Subscription& operator=(Subscription&& o) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  void reset() noexcept;
  bool active() const noexcept { return id_ != 0; }
  const std::string& channel() const noexcept { return channel_; }

 private:
  friend class detail::ClientCore;
  Subscription(std::weak_ptr<detail::ClientCore> core, std::string channel, std::uint64_t id)
      : core_(std::move(core)), channel_(std::move(channel)), id_(id) {}
  std::weak_ptr<detail::ClientCore> core_;
  std::string channel_;
  std::uint64_t id_ = 0;
};

struct Topology {
  bool cluster = false;
  std::vector<NodeAddress> masters;
  int covered_slots = 0;
};

class RedisClient {
 public:
  // Starts the redis thread; nothing connects until the first call (then the topology is
  // discovered from the seeds).
  explicit RedisClient(ClientOptions options);
  // stop()
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Fails calls in progress (ErrorKind::closed), closes every connection and joins the redis
  // thread. Later calls fail at once. Idempotent.
  void stop();

  // One command, routed by the slot of `routing_key` (empty: any master).
  asio::awaitable<RedisValue> command(std::vector<std::string> args, std::string routing_key = {},
                                      Idempotent idempotent = Idempotent::no);
  // Commands sent back to back on one connection, one reply each. Every key they touch must
  // hash to the slot of `routing_key`. When every reply is a redirect or retryable error (so
  // nothing ran) the whole pipeline is sent again where it belongs; otherwise the replies are
  // returned as they are. Scripts inside a pipeline must use EVAL (NOSCRIPT is not handled).
  asio::awaitable<std::vector<RedisValue>> pipeline(std::string routing_key,
                                                    std::vector<std::vector<std::string>> commands,
                                                    Idempotent idempotent = Idempotent::no);
  // EVALSHA; on NOSCRIPT, SCRIPT LOAD on the node that said it and EVALSHA once more (then
  // EVAL, should a third node answer NOSCRIPT again). Keys must share one slot; routed by
  // the first key. Not a coroutine: it copies what it needs from `script` before returning.
  asio::awaitable<RedisValue> eval(const Script& script, std::vector<std::string> keys,
                                   std::vector<std::string> args);

  // Subscribes to a sharded channel (SSUBSCRIBE on the master of its slot) and returns once
  // the server acknowledged it, so a snapshot read afterwards misses no message. Callbacks run
  // on the redis thread and must not block; they may destroy Subscriptions. When the
  // channel's subscription is lost (the node failed, its slot moved, Redis sent sunsubscribe)
  // the client subscribes again on the new owner and then calls on_resubscribed for each
  // subscriber that was there before the loss: messages may have been missed in between.
  asio::awaitable<Subscription> ssubscribe(std::string channel,
                                           std::function<void(std::string_view)> on_message,
                                           std::function<void()> on_resubscribed = {});

  // Diagnostics and tests.
  asio::awaitable<Topology> topology();
  asio::awaitable<std::optional<NodeAddress>> owner_of(std::uint16_t slot);
  ClientStats stats() const;

 private:
  template <class T>
  asio::awaitable<T> on_redis_thread(asio::awaitable<T> work);

  asio::io_context ctx_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_{ctx_.get_executor()};
  std::shared_ptr<detail::ClientCore> core_;
  std::thread thread_;
  std::atomic<int> in_flight_{0};  // public calls not yet answered
  std::atomic<bool> stopped_{false};
  std::atomic<bool> thread_done_{false};
};

}  // namespace boxoffice::redis
