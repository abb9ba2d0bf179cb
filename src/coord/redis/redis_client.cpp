#include "coord/redis/redis_client.hpp"

#include <algorithm>
#include <deque>
#include <exception>
#include <map>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "async/bridge.hpp"
#include "coord/redis/sha1.hpp"
#include "ops/log.hpp"

namespace boxoffice::redis {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// URL and scripts

ClientOptions parse_redis_url(std::string_view url) {
  ClientOptions o;
  std::string_view rest = url;
  while (true) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("redis://")) item.remove_prefix(8);
    while (!item.empty() && item.back() == '/') item.remove_suffix(1);
    std::optional<NodeAddress> node = parse_address(item);
    if (!node || node->host.empty())
      throw std::invalid_argument("'" + std::string(item) + "' is not redis://host:port");
    if (std::find(o.seeds.begin(), o.seeds.end(), *node) == o.seeds.end())
      o.seeds.push_back(std::move(*node));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  o.cluster = o.seeds.size() > 1;
  return o;
}

Script::Script(std::string source) {
  auto d = std::make_shared<Data>();
  d->sha = sha1_hex(source);
  d->source = std::move(source);
  data_ = std::move(d);
}

namespace detail {

namespace {

// A coroutine waiting for something another coroutine finishes (a connect, a refresh, an
// acknowledgement). Lives in the waiting coroutine's frame; the timer expires at its deadline
// and is cancelled (woken = true) when the thing is done.
struct Waiter {
  explicit Waiter(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  bool woken = false;
};

void wake_all(std::deque<Waiter*>& waiters) {
  for (Waiter* w : waiters) {
    w->woken = true;
    w->timer.cancel();
  }
  waiters.clear();
}

void forget(std::deque<Waiter*>& waiters, Waiter* w) {
  auto it = std::find(waiters.begin(), waiters.end(), w);
  if (it != waiters.end()) waiters.erase(it);
}

using Commands = std::vector<std::vector<std::string>>;

Commands one(std::vector<std::string> args) {
  Commands c;
  c.push_back(std::move(args));
  return c;
}

std::vector<std::string> words(std::string_view a, std::string_view b) {
  std::vector<std::string> v;
  v.emplace_back(a);
  v.emplace_back(b);
  return v;
}

std::vector<std::string> script_command(std::string_view verb, const std::string& body,
                                        const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args) {
  std::vector<std::string> v;
  v.reserve(3 + keys.size() + args.size());
  v.emplace_back(verb);
  v.push_back(body);
  v.push_back(std::to_string(keys.size()));
  v.insert(v.end(), keys.begin(), keys.end());
  v.insert(v.end(), args.begin(), args.end());
  return v;
}

std::string_view pubsub_kind(const RedisValue& v) {
  if (!v.is_array() || v.size() == 0 || !v[0].is_string()) return {};
  return v[0].as_string();
}

bool contains_nocase(std::string_view text, std::string_view word) {
  auto it = std::search(text.begin(), text.end(), word.begin(), word.end(),
                        [](char a, char b) { return (a | 0x20) == (b | 0x20); });
  return it != text.end();
}

// Error replies after which the command did not run and may run elsewhere or later.
enum class Verdict { done, moved, ask, retry, retry_after_refresh };

Verdict judge(const std::vector<RedisValue>& replies) {
  if (replies.empty()) return Verdict::done;
  for (const RedisValue& r : replies)
    if (!r.is_error()) return Verdict::done;  // something ran: hand the replies over as they are
  const std::string_view p = replies.front().error_prefix();
  if (p == "MOVED") return Verdict::moved;
  if (p == "ASK") return Verdict::ask;
  if (p == "TRYAGAIN" || p == "LOADING") return Verdict::retry;
  if (p == "CLUSTERDOWN" || p == "MASTERDOWN" || p == "READONLY")
    return Verdict::retry_after_refresh;
  return Verdict::done;
}

RedisError closed_error() {
  return RedisError(ErrorKind::closed, "the Redis client is stopped");
}

// Runs a subscriber's callback; what it throws is logged, not let into the reader (where it
// would close the subscriber connection).
template <class F, class... A>
void guarded(const F& f, const A&... a) {
  try {
    f(a...);
  } catch (const std::exception& e) {
    logging::error("redis subscriber callback failed", {{"error", e.what()}});
  } catch (...) {
    logging::error("redis subscriber callback failed");
  }
}

void log_layout(const SlotMap& map) {
  logging::info("redis cluster layout", {{"slots", map.describe()}});
}

void log_refresh_failed(const std::string& why) {
  logging::warn("redis cluster layout unknown", {{"error", why}});
}

void log_standalone(const NodeAddress& node) {
  const std::string where = node.to_string();
  logging::info("redis standalone", {{"node", where}});
}

}  // namespace

// All state of a RedisClient; lives on the redis thread (see redis_client.hpp). Every member
// function except release() and stats() runs there.
class ClientCore : public std::enable_shared_from_this<ClientCore> {
 public:
  ClientCore(asio::any_io_executor ex, ClientOptions options)
      : ex_(std::move(ex)), options_(std::move(options)), refresh_timer_(ex_) {
    if (!options_.cluster && options_.seeds.size() > 1) options_.cluster = true;
  }

  void start() { asio::co_spawn(ex_, refresh_loop(shared_from_this()), asio::detached); }
  void shutdown();

  asio::awaitable<RedisValue> command(std::vector<std::string> args, std::string key,
                                      Idempotent idempotent);
  asio::awaitable<std::vector<RedisValue>> pipeline(std::string key, Commands commands,
                                                    Idempotent idempotent);
  asio::awaitable<RedisValue> eval(std::shared_ptr<const Script::Data> script,
                                   std::vector<std::string> keys, std::vector<std::string> args);
  asio::awaitable<Subscription> ssubscribe(std::string channel,
                                           std::function<void(std::string_view)> on_message,
                                           std::function<void()> on_resubscribed);
  asio::awaitable<Topology> topology();
  asio::awaitable<std::optional<NodeAddress>> owner_of(std::uint16_t slot);

  // Any thread.
  void release(std::string channel, std::uint64_t id);
  ClientStats stats() const;

 private:
  enum class Mode { unknown, standalone, cluster };
  enum class Role { data, subscriber };

  struct NodeConn {
    std::shared_ptr<RedisConnection> conn;
    bool connecting = false;
    // Calls waiting for the connect in progress; bounded by max_commands.
    std::deque<Waiter*> waiters;
    std::string last_error;  // of the last failed connect, for its waiters
  };

  struct Executed {
    std::vector<RedisValue> replies;
    NodeAddress node;
  };

  struct Attempt {
    std::vector<RedisValue> replies;
    std::optional<RedisError> error;
  };

  struct Subscriber {
    std::uint64_t id = 0;
    std::function<void(std::string_view)> on_message;
    std::function<void()> on_resubscribed;
    bool acked = false;  // covered by an acknowledged SSUBSCRIBE
  };

  struct Channel {
    // One per live Subscription of this channel; the channel is erased with its last one.
    std::vector<std::shared_ptr<Subscriber>> subscribers;
    std::optional<NodeAddress> node;  // where the subscription is acknowledged
    bool subscribing = false;         // an SSUBSCRIBE is in progress
    std::optional<NodeAddress> subscribing_on;
    bool revoked = false;  // the node of the SSUBSCRIBE in progress dropped it meanwhile
    bool lost = false;     // subscribed before, lost since: resubscribe, then on_resubscribed
    // ssubscribe calls waiting for the acknowledgement in progress; bounded by max_commands.
    std::deque<Waiter*> waiters;
    std::string last_error;
  };

  struct Subscribed {
    bool ok = false;
    std::string error;
  };

  struct Layout {
    std::optional<SlotMap> map;
    bool standalone = false;
    std::string error;
  };

  std::map<NodeAddress, NodeConn>& pool(Role r) { return r == Role::data ? data_ : subscribers_; }

  // Connections
  asio::awaitable<std::shared_ptr<RedisConnection>> connection_to(Role role, NodeAddress node,
                                                                  Clock::time_point deadline);
  RedisConnection::PushHandler push_handler(const NodeAddress& node);
  RedisConnection::CloseHandler close_handler(Role role, const NodeAddress& node);
  void on_push(const NodeAddress& node, RedisValue message);
  void on_data_closed();
  void on_subscriber_closed(const NodeAddress& node);
  void prune_data_connections();
  void prune_subscriber_connections();

  // Topology
  static asio::awaitable<void> refresh_loop(std::shared_ptr<ClientCore> self);
  asio::awaitable<void> refresh_once();
  asio::awaitable<Layout> fetch_layout(NodeAddress node);
  void schedule_refresh();
  asio::awaitable<bool> wait_for_refresh(Clock::time_point deadline);
  asio::awaitable<void> ensure_topology(Clock::time_point deadline);
  std::optional<NodeAddress> pick(const std::string& key);

  // Commands
  asio::awaitable<Executed> run(Commands commands, std::string key, Idempotent idempotent,
                                std::optional<NodeAddress> fixed);
  asio::awaitable<Attempt> attempt(NodeAddress node, Commands commands, bool asking,
                                   Clock::time_point deadline);
  std::chrono::milliseconds backoff(int n);
  asio::awaitable<void> sleep_until(Clock::time_point t);

  // Sharded pub/sub
  asio::awaitable<Subscribed> subscribe_channel(std::string channel, Clock::time_point deadline);
  void finish_subscribe(const std::string& channel, const NodeAddress* node,
                        const std::string& error);
  void drop_subscriber(const std::string& channel, std::uint64_t id);
  static asio::awaitable<void> unsubscribe_on(std::shared_ptr<ClientCore> self, NodeAddress node,
                                              std::string channel);
  void start_resubscriber();
  static asio::awaitable<void> resubscribe_loop(std::shared_ptr<ClientCore> self);

  asio::any_io_executor ex_;
  ClientOptions options_;
  bool stopping_ = false;
  std::atomic<bool> closed_{false};  // stopping_, readable from any thread

  Mode mode_ = Mode::unknown;
  SlotMap map_;
  // Data connections, one per node. Entries appear for nodes the map, a seed or a redirect
  // names; each refresh drops those that serve no slot: bounded by the cluster's nodes.
  std::map<NodeAddress, NodeConn> data_;
  // Subscriber connections, one per node that has subscribed channels; closed and erased when
  // their last channel leaves: bounded by the cluster's nodes.
  std::map<NodeAddress, NodeConn> subscribers_;
  // Channels with at least one live Subscription (erased with the last one).
  std::map<std::string, Channel> channels_;
  std::uint64_t next_subscriber_ = 0;
  bool resubscribing_ = false;

  asio::steady_timer refresh_timer_;
  bool refresh_wanted_ = true;  // discover at once
  bool refreshing_ = false;
  Clock::time_point last_refresh_{};
  std::uint64_t refresh_generation_ = 0;
  // Calls waiting for the next refresh to finish; bounded by max_commands.
  std::deque<Waiter*> refresh_waiters_;
  std::string last_refresh_error_ = "not discovered yet";
  std::string last_layout_;
  std::size_t commands_ = 0;  // run() calls in progress, bounded by max_commands
  std::minstd_rand rng_{std::random_device{}()};

  std::atomic<std::uint64_t> moved_{0}, ask_{0}, retries_{0}, refreshes_{0}, connects_{0},
      resubscribes_{0}, round_trips_{0};
};

ClientStats ClientCore::stats() const {
  ClientStats s;
  s.moved = moved_.load(std::memory_order_relaxed);
  s.ask = ask_.load(std::memory_order_relaxed);
  s.retries = retries_.load(std::memory_order_relaxed);
  s.refreshes = refreshes_.load(std::memory_order_relaxed);
  s.connects = connects_.load(std::memory_order_relaxed);
  s.resubscribes = resubscribes_.load(std::memory_order_relaxed);
  s.round_trips = round_trips_.load(std::memory_order_relaxed);
  return s;
}

void ClientCore::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  closed_.store(true);
  refresh_timer_.cancel();
  wake_all(refresh_waiters_);
  for (auto& [name, ch] : channels_) wake_all(ch.waiters);
  for (Role r : {Role::data, Role::subscriber}) {
    // Closing runs close handlers, which look at stopping_ and do nothing more.
    std::vector<std::shared_ptr<RedisConnection>> open;
    for (auto& [node, n] : pool(r)) {
      wake_all(n.waiters);
      if (n.conn) open.push_back(n.conn);
    }
    for (auto& c : open) c->close("the client is stopping");
  }
}

// ---------------------------------------------------------------------------------------------
// Connections

RedisConnection::PushHandler ClientCore::push_handler(const NodeAddress& node) {
  return [weak = weak_from_this(), node](RedisValue message) {
    if (auto self = weak.lock()) self->on_push(node, std::move(message));
  };
}

RedisConnection::CloseHandler ClientCore::close_handler(Role role, const NodeAddress& node) {
  return [weak = weak_from_this(), role, node](const std::string&) {
    auto self = weak.lock();
    if (!self || self->stopping_) return;
    // Only the node's current connection matters: one pruned on purpose was taken out of the
    // pool before it was closed.
    auto& pool = self->pool(role);
    auto it = pool.find(node);
    if (it == pool.end() || !it->second.conn || !it->second.conn->closed()) return;
    it->second.conn.reset();
    if (role == Role::data)
      self->on_data_closed();
    else
      self->on_subscriber_closed(node);
  };
}

asio::awaitable<std::shared_ptr<RedisConnection>> ClientCore::connection_to(
    Role role, NodeAddress node, Clock::time_point deadline) {
  for (;;) {
    if (stopping_) throw closed_error();
    NodeConn& n = pool(role)[node];
    if (n.conn && !n.conn->closed()) co_return n.conn;
    const auto now = Clock::now();
    if (!n.connecting) {
      n.connecting = true;
      n.last_error.clear();
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      const auto timeout =
          std::clamp<std::chrono::milliseconds>(left, 1ms, options_.connection.connect_timeout);
      RedisConnection::PushHandler push;
      if (role == Role::subscriber) push = push_handler(node);
      RedisConnection::CloseHandler closed = close_handler(role, node);
      std::shared_ptr<RedisConnection> c;
      std::string error;
      try {
        c = co_await RedisConnection::connect(ex_, node, options_.connection, timeout,
                                              std::move(push), std::move(closed));
      } catch (const std::exception& e) {
        error = e.what();
      }
      NodeConn& m = pool(role)[node];
      m.connecting = false;
      m.last_error = error;
      wake_all(m.waiters);
      if (!c) throw RedisError(ErrorKind::connect, error);
      if (stopping_) {
        c->close("the client is stopping");
        throw closed_error();
      }
      connects_.fetch_add(1, std::memory_order_relaxed);
      m.conn = c;
      co_return c;
    }
    if (now >= deadline)
      throw RedisError(ErrorKind::connect, "timed out waiting to connect to " + node.to_string());
    if (n.waiters.size() >= options_.max_commands)
      throw RedisError(ErrorKind::overloaded, "too many calls wait for " + node.to_string());
    Waiter w(ex_);
    w.timer.expires_at(deadline);
    n.waiters.push_back(&w);
    boost::system::error_code ignored;
    co_await w.timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    NodeConn& after = pool(role)[node];
    if (!w.woken) {
      forget(after.waiters, &w);
      throw RedisError(ErrorKind::connect, "timed out waiting to connect to " + node.to_string());
    }
    // The connect we waited for failed: that is our answer too (no second try from here).
    if (!after.connecting && !after.conn && !after.last_error.empty())
      throw RedisError(ErrorKind::connect, after.last_error);
  }
}

void ClientCore::on_data_closed() {
  // The node may have failed or left: learn the layout again (throttled).
  schedule_refresh();
}

void ClientCore::on_subscriber_closed(const NodeAddress& node) {
  bool affected = false;
  for (auto& [name, ch] : channels_) {
    if (ch.node == node) {
      ch.node.reset();
      ch.lost = true;
      affected = true;
    }
    if (ch.subscribing && ch.subscribing_on == node) ch.revoked = true;
  }
  schedule_refresh();
  if (affected) start_resubscriber();
}

void ClientCore::prune_data_connections() {
  if (mode_ != Mode::cluster) return;
  for (auto it = data_.begin(); it != data_.end();) {
    NodeConn& n = it->second;
    const bool serves = map_.is_master(it->first);
    const bool busy = n.connecting || !n.waiters.empty() || (n.conn && n.conn->in_flight() > 0);
    if (serves || busy) {
      ++it;
      continue;
    }
    std::shared_ptr<RedisConnection> c = std::move(n.conn);
    it = data_.erase(it);
    if (c) c->close("the node serves no slot");
  }
}

void ClientCore::prune_subscriber_connections() {
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    NodeConn& n = it->second;
    bool used = n.connecting || !n.waiters.empty() || (n.conn && n.conn->in_flight() > 0);
    for (const auto& [name, ch] : channels_)
      if (ch.node == it->first || ch.subscribing_on == it->first) used = true;
    if (used) {
      ++it;
      continue;
    }
    std::shared_ptr<RedisConnection> c = std::move(n.conn);
    it = subscribers_.erase(it);
    if (c) c->close("no channel left on this node");
  }
}

// ---------------------------------------------------------------------------------------------
// Topology

void ClientCore::schedule_refresh() {
  if (stopping_ || mode_ == Mode::standalone || refresh_wanted_) return;
  refresh_wanted_ = true;
  if (!refreshing_) refresh_timer_.cancel();
}

asio::awaitable<void> ClientCore::refresh_loop(std::shared_ptr<ClientCore> self) {
  for (;;) {
    if (self->stopping_) break;
    const auto now = Clock::now();
    Clock::time_point due = Clock::time_point::max();
    if (self->refresh_wanted_)
      due = self->last_refresh_ + self->options_.min_refresh_gap;
    else if (self->mode_ == Mode::cluster)
      due = self->last_refresh_ + self->options_.refresh_interval;
    if (now < due) {
      self->refresh_timer_.expires_at(due);
      boost::system::error_code ignored;
      co_await self->refresh_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    self->refresh_wanted_ = false;
    self->refreshing_ = true;
    self->last_refresh_ = now;
    co_await self->refresh_once();
    self->refreshing_ = false;
    ++self->refresh_generation_;
    wake_all(self->refresh_waiters_);
  }
}

asio::awaitable<ClientCore::Layout> ClientCore::fetch_layout(NodeAddress node) {
  Layout out;
  const auto now = Clock::now();
  std::shared_ptr<RedisConnection> conn;
  try {
    const auto deadline = now + options_.connection.connect_timeout;
    conn = co_await connection_to(Role::data, node, deadline);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  if (!conn) co_return out;
  std::vector<std::string> shards = words("CLUSTER", "SHARDS");
  RedisValue reply;
  try {
    reply = co_await conn->request(std::move(shards));
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  if (!out.error.empty()) co_return out;
  bool use_slots = false;
  if (reply.is_error()) {
    const std::string& text = reply.as_string();
    if (contains_nocase(text, "cluster support disabled")) {
      out.standalone = true;
      co_return out;
    }
    if (!contains_nocase(text, "unknown subcommand")) {
      out.error = node.to_string() + ": " + text;
      co_return out;
    }
    // Before Redis 7: CLUSTER SLOTS.
    use_slots = true;
    std::vector<std::string> slots = words("CLUSTER", "SLOTS");
    try {
      reply = co_await conn->request(std::move(slots));
    } catch (const std::exception& e) {
      out.error = e.what();
    }
    if (!out.error.empty()) co_return out;
    if (reply.is_error()) {
      out.error = node.to_string() + ": " + reply.as_string();
      co_return out;
    }
  }
  try {
    out.map = use_slots ? SlotMap::from_slots(reply, node) : SlotMap::from_shards(reply, node);
  } catch (const std::exception& e) {
    out.error = node.to_string() + ": " + e.what();
  }
  co_return out;
}

// Asks connected nodes in random order, then the seeds, then any other node the map names;
// the first that answers with a usable layout wins.
asio::awaitable<void> ClientCore::refresh_once() {
  std::vector<NodeAddress> candidates;
  for (const auto& [node, n] : data_)
    if (n.conn && !n.conn->closed()) candidates.push_back(node);
  std::shuffle(candidates.begin(), candidates.end(), rng_);
  for (const NodeAddress& s : options_.seeds)
    if (std::find(candidates.begin(), candidates.end(), s) == candidates.end())
      candidates.push_back(s);
  for (const NodeAddress& s : map_.nodes())
    if (std::find(candidates.begin(), candidates.end(), s) == candidates.end())
      candidates.push_back(s);

  std::string errors;
  for (const NodeAddress& node : candidates) {
    if (stopping_) co_return;
    Layout layout = co_await fetch_layout(node);
    if (stopping_) co_return;
    if (layout.standalone) {
      if (options_.cluster) {
        errors += node.to_string() + " has cluster support disabled; ";
        continue;
      }
      mode_ = Mode::standalone;
      map_ = SlotMap::single(node);
      refreshes_.fetch_add(1, std::memory_order_relaxed);
      last_refresh_error_.clear();
      log_standalone(node);
      co_return;
    }
    if (layout.map && !layout.map->empty()) {
      mode_ = Mode::cluster;
      map_ = std::move(*layout.map);
      refreshes_.fetch_add(1, std::memory_order_relaxed);
      last_refresh_error_.clear();
      std::string described = map_.describe();
      if (described != last_layout_) {
        last_layout_ = std::move(described);
        log_layout(map_);
      }
      prune_data_connections();
      co_return;
    }
    errors += layout.map ? node.to_string() + " serves no slot" : layout.error;
    errors += "; ";
  }
  if (errors.size() > 2) errors.resize(errors.size() - 2);
  if (last_refresh_error_ != errors) log_refresh_failed(errors);
  last_refresh_error_ = errors.empty() ? std::string("no node to ask") : errors;
}

asio::awaitable<bool> ClientCore::wait_for_refresh(Clock::time_point deadline) {
  schedule_refresh();
  if (mode_ == Mode::standalone) co_return true;
  const std::uint64_t generation = refresh_generation_;
  while (refresh_generation_ == generation) {
    if (stopping_ || Clock::now() >= deadline) co_return false;
    if (refresh_waiters_.size() >= options_.max_commands) co_return false;
    Waiter w(ex_);
    w.timer.expires_at(deadline);
    refresh_waiters_.push_back(&w);
    boost::system::error_code ignored;
    co_await w.timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (!w.woken) forget(refresh_waiters_, &w);
  }
  co_return true;
}

asio::awaitable<void> ClientCore::ensure_topology(Clock::time_point deadline) {
  if (mode_ == Mode::standalone || (mode_ == Mode::cluster && !map_.empty())) co_return;
  const bool refreshed = co_await wait_for_refresh(deadline);
  if (stopping_) throw closed_error();
  if (mode_ == Mode::standalone || (mode_ == Mode::cluster && !map_.empty())) co_return;
  if (!refreshed)
    throw RedisError(ErrorKind::unavailable,
                     "no Redis node answered in time: " + last_refresh_error_);
  throw RedisError(ErrorKind::unavailable, "cannot learn the Redis layout: " + last_refresh_error_);
}

std::optional<NodeAddress> ClientCore::pick(const std::string& key) {
  if (!key.empty()) {
    const NodeAddress* m = map_.master_of(slot_of(key));
    if (!m) return std::nullopt;
    return *m;
  }
  std::vector<NodeAddress> masters = map_.masters();
  if (masters.empty()) return std::nullopt;
  std::uniform_int_distribution<std::size_t> d(0, masters.size() - 1);
  return masters[d(rng_)];
}

// ---------------------------------------------------------------------------------------------
// Commands

std::chrono::milliseconds ClientCore::backoff(int n) {
  const auto base = options_.backoff_base.count();
  const auto cap = options_.backoff_max.count();
  const auto full = std::min<std::int64_t>(cap, base << std::min(n, 20));
  // Half fixed, half random: retries of many callers do not arrive together.
  std::uniform_int_distribution<std::int64_t> jitter(0, std::max<std::int64_t>(full / 2, 0));
  return std::chrono::milliseconds(full - full / 2 + jitter(rng_));
}

asio::awaitable<void> ClientCore::sleep_until(Clock::time_point t) {
  asio::steady_timer timer(ex_);
  timer.expires_at(t);
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

asio::awaitable<ClientCore::Attempt> ClientCore::attempt(NodeAddress node, Commands commands,
                                                         bool asking, Clock::time_point deadline) {
  Attempt out;
  std::shared_ptr<RedisConnection> conn;
  try {
    conn = co_await connection_to(Role::data, node, deadline);
  } catch (const RedisError& e) {
    out.error = e;
  }
  if (!conn) co_return out;
  Commands sent;
  if (asking) {
    // ASKING holds for the next command only: one before each.
    sent.reserve(commands.size() * 2);
    for (auto& c : commands) {
      std::vector<std::string> ask_cmd;
      ask_cmd.emplace_back("ASKING");
      sent.push_back(std::move(ask_cmd));
      sent.push_back(std::move(c));
    }
  } else {
    sent = std::move(commands);
  }
  const auto request_deadline =
      std::min(deadline, Clock::now() + options_.connection.request_timeout);
  round_trips_.fetch_add(1, std::memory_order_relaxed);
  try {
    out.replies = co_await conn->pipeline(std::move(sent), request_deadline);
  } catch (const RedisError& e) {
    out.error = e;
  }
  if (asking && !out.error) {
    std::vector<RedisValue> kept;
    kept.reserve(out.replies.size() / 2);
    for (std::size_t i = 1; i < out.replies.size(); i += 2)
      kept.push_back(std::move(out.replies[i]));
    out.replies = std::move(kept);
  }
  co_return out;
}

asio::awaitable<ClientCore::Executed> ClientCore::run(Commands commands, std::string key,
                                                      Idempotent idempotent,
                                                      std::optional<NodeAddress> fixed) {
  if (stopping_) throw closed_error();
  if (commands_ >= options_.max_commands)
    throw RedisError(ErrorKind::overloaded, "too many Redis commands in progress");
  ++commands_;
  struct Count {
    std::size_t& n;
    ~Count() { --n; }
  } count{commands_};

  const auto deadline = Clock::now() + options_.command_timeout;
  std::optional<Redirect> ask;
  std::string problem;
  int tries = 0;
  int waits = 0;
  for (;;) {
    if (stopping_) throw closed_error();
    co_await ensure_topology(deadline);
    std::optional<NodeAddress> target;
    const bool asking = ask.has_value();
    if (asking)
      target = ask->node;
    else if (fixed)
      target = fixed;
    else
      target = pick(key);
    ask.reset();
    bool wait = false;
    if (!target) {
      problem = "no node serves slot " + std::to_string(slot_of(key));
      schedule_refresh();
      wait = true;
    } else {
      Commands copy = commands;
      Attempt a = co_await attempt(*target, std::move(copy), asking, deadline);
      if (stopping_) throw closed_error();
      if (a.error) {
        const ErrorKind k = a.error->kind();
        const bool may_retry =
            a.error->nothing_sent()
                ? k != ErrorKind::overloaded && k != ErrorKind::closed
                : idempotent == Idempotent::yes &&
                      (k == ErrorKind::lost || k == ErrorKind::timeout || k == ErrorKind::protocol);
        if (!may_retry) throw *a.error;
        problem = a.error->what();
        schedule_refresh();
        wait = true;
      } else {
        const Verdict v = judge(a.replies);
        std::optional<Redirect> redirect;
        if ((v == Verdict::moved || v == Verdict::ask) && mode_ == Mode::cluster)
          redirect = parse_redirect(a.replies.front().as_string(), *target);
        if (v == Verdict::done || ((v == Verdict::moved || v == Verdict::ask) && !redirect)) {
          Executed out;
          out.replies = std::move(a.replies);
          out.node = std::move(*target);
          co_return out;
        }
        problem = a.replies.front().as_string();
        if (v == Verdict::moved) {
          moved_.fetch_add(1, std::memory_order_relaxed);
          map_.assign(redirect->slot, redirect->node);
          schedule_refresh();
        } else if (v == Verdict::ask) {
          ask_.fetch_add(1, std::memory_order_relaxed);
          ask = std::move(redirect);
        } else {
          if (v == Verdict::retry_after_refresh) schedule_refresh();
          wait = true;
        }
      }
    }
    ++tries;
    if (tries > options_.max_attempts)
      throw RedisError(ErrorKind::unavailable,
                       "gave up after " + std::to_string(tries) + " tries: " + problem);
    if (Clock::now() >= deadline)
      throw RedisError(ErrorKind::unavailable, "no answer within the command timeout: " + problem);
    retries_.fetch_add(1, std::memory_order_relaxed);
    if (wait) {
      const auto until = std::min(deadline, Clock::now() + backoff(waits++));
      co_await sleep_until(until);
    }
  }
}

asio::awaitable<RedisValue> ClientCore::command(std::vector<std::string> args, std::string key,
                                                Idempotent idempotent) {
  Commands commands = one(std::move(args));
  // Arguments of a coroutine call inside co_await are named objects, never temporaries
  // (g++ 12 destroys some temporaries twice when the awaited coroutine throws).
  const std::optional<NodeAddress> by_key;
  Executed e = co_await run(std::move(commands), std::move(key), idempotent, by_key);
  co_return std::move(e.replies.front());
}

asio::awaitable<std::vector<RedisValue>> ClientCore::pipeline(std::string key, Commands commands,
                                                              Idempotent idempotent) {
  if (commands.empty()) co_return std::vector<RedisValue>();
  const std::optional<NodeAddress> by_key;
  Executed e = co_await run(std::move(commands), std::move(key), idempotent, by_key);
  co_return std::move(e.replies);
}

asio::awaitable<RedisValue> ClientCore::eval(std::shared_ptr<const Script::Data> script,
                                             std::vector<std::string> keys,
                                             std::vector<std::string> args) {
  const std::string key = keys.empty() ? std::string() : keys.front();
  Commands evalsha = one(script_command("EVALSHA", script->sha, keys, args));
  const std::optional<NodeAddress> by_key;
  Executed first = co_await run(evalsha, key, Idempotent::no, by_key);
  if (first.replies.front().error_prefix() != "NOSCRIPT")
    co_return std::move(first.replies.front());

  // Not in that node's script cache (restarted, failed over, SCRIPT FLUSH): load it there.
  std::vector<std::string> load_args = words("SCRIPT", "LOAD");
  load_args.push_back(script->source);
  Commands load = one(std::move(load_args));
  const std::optional<NodeAddress> there = first.node;
  const std::string no_key;
  Executed loaded = co_await run(std::move(load), no_key, Idempotent::yes, there);
  if (loaded.replies.front().is_error()) co_return std::move(loaded.replies.front());

  Executed second = co_await run(evalsha, key, Idempotent::no, by_key);
  if (second.replies.front().error_prefix() != "NOSCRIPT")
    co_return std::move(second.replies.front());
  // The slot moved on to yet another node meanwhile: send the source itself.
  Commands eval_source = one(script_command("EVAL", script->source, keys, args));
  Executed third = co_await run(std::move(eval_source), key, Idempotent::no, by_key);
  co_return std::move(third.replies.front());
}

asio::awaitable<Topology> ClientCore::topology() {
  const auto deadline = Clock::now() + options_.command_timeout;
  co_await ensure_topology(deadline);
  Topology t;
  t.cluster = mode_ == Mode::cluster;
  t.masters = map_.masters();
  t.covered_slots = map_.covered();
  co_return t;
}

asio::awaitable<std::optional<NodeAddress>> ClientCore::owner_of(std::uint16_t slot) {
  const auto deadline = Clock::now() + options_.command_timeout;
  co_await ensure_topology(deadline);
  const NodeAddress* m = map_.master_of(slot);
  if (!m) co_return std::nullopt;
  co_return *m;
}

// ---------------------------------------------------------------------------------------------
// Sharded pub/sub

void ClientCore::on_push(const NodeAddress& node, RedisValue message) {
  const std::string_view kind = pubsub_kind(message);
  if (kind == "smessage" && message.size() >= 3 && message[1].is_string()) {
    auto it = channels_.find(message[1].as_string());
    if (it == channels_.end()) return;
    // Copies: a callback may destroy Subscriptions (which only posts, but stay safe).
    std::vector<std::shared_ptr<Subscriber>> targets = it->second.subscribers;
    const std::string& payload = message[2].is_string() ? message[2].as_string() : std::string();
    for (const auto& s : targets)
      if (s->on_message) guarded(s->on_message, payload);
    return;
  }
  if (kind == "sunsubscribe" && message.size() >= 2 && message[1].is_string()) {
    // Unsolicited: the slot moved or this node is no longer its master (Redis 7).
    auto it = channels_.find(message[1].as_string());
    if (it == channels_.end()) return;
    Channel& ch = it->second;
    if (ch.node == node) {
      ch.node.reset();
      ch.lost = true;
      schedule_refresh();
      start_resubscriber();
    } else if (ch.subscribing && ch.subscribing_on == node) {
      ch.revoked = true;
    }
  }
}

void ClientCore::finish_subscribe(const std::string& channel, const NodeAddress* node,
                                  const std::string& error) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return;
  Channel& ch = it->second;
  ch.subscribing = false;
  ch.subscribing_on.reset();
  ch.revoked = false;
  std::vector<std::function<void()>> notify;
  if (node) {
    ch.node = *node;
    ch.last_error.clear();
    const bool was_lost = ch.lost;
    ch.lost = false;
    for (auto& s : ch.subscribers) {
      if (was_lost && s->acked && s->on_resubscribed) notify.push_back(s->on_resubscribed);
      s->acked = true;
    }
    if (was_lost) resubscribes_.fetch_add(1, std::memory_order_relaxed);
  } else {
    ch.last_error = error;
  }
  wake_all(ch.waiters);
  if (ch.subscribers.empty()) {
    // Everyone left while we subscribed.
    std::optional<NodeAddress> where = ch.node;
    channels_.erase(it);
    if (where)
      asio::co_spawn(ex_, unsubscribe_on(shared_from_this(), *where, channel), asio::detached);
    prune_subscriber_connections();
  }
  for (auto& f : notify) guarded(f);
}

asio::awaitable<ClientCore::Subscribed> ClientCore::subscribe_channel(std::string channel,
                                                                      Clock::time_point deadline) {
  Subscribed out;
  channels_[channel].subscribing = true;
  const std::uint16_t slot = slot_of(channel);
  int tries = 0;
  int waits = 0;
  for (;;) {
    if (stopping_) {
      out.error = "the client is stopping";
      break;
    }
    auto it = channels_.find(channel);
    if (it == channels_.end() || it->second.subscribers.empty()) {
      out.error = "no subscriber left";
      break;
    }
    bool wait = false;
    std::optional<NodeAddress> target;
    try {
      co_await ensure_topology(deadline);
      if (const NodeAddress* m = map_.master_of(slot)) target = *m;
    } catch (const std::exception& e) {
      out.error = e.what();
    }
    if (!target) {
      if (out.error.empty()) out.error = "no node serves slot " + std::to_string(slot);
      schedule_refresh();
      wait = true;
    } else {
      channels_[channel].subscribing_on = *target;
      channels_[channel].revoked = false;
      std::shared_ptr<RedisConnection> conn;
      try {
        conn = co_await connection_to(Role::subscriber, *target, deadline);
      } catch (const std::exception& e) {
        out.error = e.what();
      }
      RedisValue reply;
      bool replied = false;
      if (conn) {
        std::vector<std::string> cmd = words("SSUBSCRIBE", channel);
        const auto request_deadline =
            std::min(deadline, Clock::now() + options_.connection.request_timeout);
        try {
          reply = co_await conn->request(std::move(cmd), request_deadline);
          replied = true;
        } catch (const std::exception& e) {
          out.error = e.what();
        }
      }
      if (!replied) {
        schedule_refresh();
        wait = true;
      } else if (pubsub_kind(reply) == "ssubscribe") {
        auto now_it = channels_.find(channel);
        if (conn->closed() || (now_it != channels_.end() && now_it->second.revoked)) {
          // Dropped again before we could look: try once more.
          out.error = "the subscription was dropped at once";
          schedule_refresh();
          wait = true;
        } else {
          out.ok = true;
          finish_subscribe(channel, &*target, std::string());
          co_return out;
        }
      } else {
        out.error = reply.is_error() ? reply.as_string() : reply.debug_string();
        const Verdict v = judge(std::vector<RedisValue>(1, reply));
        if (v == Verdict::moved) {
          if (auto r = parse_redirect(reply.as_string(), *target)) {
            moved_.fetch_add(1, std::memory_order_relaxed);
            map_.assign(r->slot, r->node);
          }
          schedule_refresh();
        } else if (v == Verdict::retry || v == Verdict::retry_after_refresh) {
          schedule_refresh();
          wait = true;
        } else {
          break;  // an error retrying cannot fix
        }
      }
    }
    if (++tries > options_.max_attempts || Clock::now() >= deadline) break;
    retries_.fetch_add(1, std::memory_order_relaxed);
    if (wait) {
      const auto until = std::min(deadline, Clock::now() + backoff(waits++));
      co_await sleep_until(until);
    }
  }
  finish_subscribe(channel, nullptr, out.error);
  co_return out;
}

asio::awaitable<Subscription> ClientCore::ssubscribe(
    std::string channel, std::function<void(std::string_view)> on_message,
    std::function<void()> on_resubscribed) {
  if (stopping_) throw closed_error();
  if (commands_ >= options_.max_commands)
    throw RedisError(ErrorKind::overloaded, "too many Redis commands in progress");
  ++commands_;
  struct Count {
    std::size_t& n;
    ~Count() { --n; }
  } count{commands_};
  auto subscriber = std::make_shared<Subscriber>();
  subscriber->id = ++next_subscriber_;
  subscriber->on_message = std::move(on_message);
  subscriber->on_resubscribed = std::move(on_resubscribed);
  const std::uint64_t id = subscriber->id;
  // Registered before the SSUBSCRIBE: no message after the acknowledgement is missed.
  channels_[channel].subscribers.push_back(subscriber);
  const auto deadline = Clock::now() + options_.command_timeout;
  std::string error;
  bool ok = false;
  for (;;) {
    auto it = channels_.find(channel);
    if (it == channels_.end()) {
      error = "the channel was dropped";
      break;
    }
    Channel& ch = it->second;
    if (ch.node && !ch.lost && !ch.subscribing) {
      subscriber->acked = true;
      ok = true;
      break;
    }
    if (!ch.subscribing) {
      Subscribed s = co_await subscribe_channel(channel, deadline);
      ok = s.ok;
      error = s.error;
      break;
    }
    if (Clock::now() >= deadline || ch.waiters.size() >= options_.max_commands) {
      error = "timed out waiting for the subscription to " + channel;
      break;
    }
    Waiter w(ex_);
    w.timer.expires_at(deadline);
    ch.waiters.push_back(&w);
    boost::system::error_code ignored;
    co_await w.timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    auto after = channels_.find(channel);
    if (!w.woken && after != channels_.end()) forget(after->second.waiters, &w);
    if (stopping_) {
      error = "the client is stopping";
      break;
    }
    if (after != channels_.end() && !after->second.subscribing && !after->second.node &&
        !after->second.last_error.empty()) {
      error = after->second.last_error;
      break;
    }
  }
  if (!ok) {
    drop_subscriber(channel, id);
    if (stopping_) throw closed_error();
    throw RedisError(ErrorKind::unavailable, "cannot subscribe to " + channel + ": " + error);
  }
  Subscription sub(weak_from_this(), channel, id);
  co_return sub;
}

void ClientCore::release(std::string channel, std::uint64_t id) {
  if (closed_.load()) return;
  auto drop = [weak = weak_from_this(), channel = std::move(channel), id] {
    if (auto self = weak.lock()) self->drop_subscriber(channel, id);
  };
  asio::post(ex_, std::move(drop));
}

void ClientCore::drop_subscriber(const std::string& channel, std::uint64_t id) {
  if (stopping_) return;
  auto it = channels_.find(channel);
  if (it == channels_.end()) return;
  auto& subs = it->second.subscribers;
  subs.erase(std::remove_if(subs.begin(), subs.end(), [id](const auto& s) { return s->id == id; }),
             subs.end());
  if (!subs.empty() || it->second.subscribing) return;  // finish_subscribe cleans up then
  std::optional<NodeAddress> where = it->second.node;
  channels_.erase(it);
  if (where)
    asio::co_spawn(ex_, unsubscribe_on(shared_from_this(), *where, channel), asio::detached);
  else
    prune_subscriber_connections();
}

asio::awaitable<void> ClientCore::unsubscribe_on(std::shared_ptr<ClientCore> self, NodeAddress node,
                                                 std::string channel) {
  auto it = self->subscribers_.find(node);
  if (it != self->subscribers_.end() && it->second.conn && !it->second.conn->closed()) {
    std::shared_ptr<RedisConnection> conn = it->second.conn;
    std::vector<std::string> cmd = words("SUNSUBSCRIBE", channel);
    try {
      co_await conn->request(std::move(cmd));
    } catch (const std::exception&) {
      // The connection is gone, and the subscription with it.
    }
  }
  if (!self->stopping_) self->prune_subscriber_connections();
}

void ClientCore::start_resubscriber() {
  if (resubscribing_ || stopping_) return;
  resubscribing_ = true;
  asio::co_spawn(ex_, resubscribe_loop(shared_from_this()), asio::detached);
}

// Refreshes the map, then subscribes every lost channel on its current owner, until none is
// left (channels whose subscribers all left are skipped). Backs off while nodes fail.
asio::awaitable<void> ClientCore::resubscribe_loop(std::shared_ptr<ClientCore> self) {
  int failures = 0;
  for (;;) {
    if (self->stopping_) break;
    std::vector<std::string> todo;
    for (const auto& [name, ch] : self->channels_)
      if (ch.lost && !ch.subscribing && !ch.subscribers.empty()) todo.push_back(name);
    if (todo.empty()) break;
    const auto refresh_deadline = Clock::now() + self->options_.min_refresh_gap +
                                  self->options_.connection.connect_timeout +
                                  self->options_.connection.request_timeout;
    co_await self->wait_for_refresh(refresh_deadline);
    bool all_ok = true;
    for (const std::string& name : todo) {
      if (self->stopping_) break;
      auto it = self->channels_.find(name);
      if (it == self->channels_.end() || !it->second.lost || it->second.subscribing) continue;
      const auto deadline = Clock::now() + self->options_.command_timeout;
      Subscribed s = co_await self->subscribe_channel(name, deadline);
      if (!s.ok) all_ok = false;
    }
    if (all_ok) {
      failures = 0;
    } else {
      const auto until = Clock::now() + self->backoff(failures++);
      co_await self->sleep_until(until);
    }
  }
  self->resubscribing_ = false;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Subscription

Subscription& Subscription::operator=(Subscription&& o) noexcept {
  if (this == &o) return *this;
  reset();
  core_ = std::move(o.core_);
  channel_ = std::move(o.channel_);
  id_ = o.id_;
  o.id_ = 0;
  o.core_.reset();
  return *this;
}

void Subscription::reset() noexcept {
  if (id_ == 0) return;
  const std::uint64_t id = id_;
  id_ = 0;
  if (auto core = core_.lock()) {
    try {
      core->release(channel_, id);
    } catch (...) {
      // Out of memory while posting: the subscriber stays until the client stops.
    }
  }
  core_.reset();
}

// ---------------------------------------------------------------------------------------------
// RedisClient

namespace {

template <class T>
struct Outcome {
  std::optional<T> value;
  std::exception_ptr error;
};

template <class T>
asio::awaitable<Outcome<T>> capture(asio::awaitable<T> work) {
  Outcome<T> out;
  try {
    out.value.emplace(co_await std::move(work));
  } catch (...) {
    out.error = std::current_exception();
  }
  co_return out;
}

}  // namespace

RedisClient::RedisClient(ClientOptions options) {
  if (options.seeds.empty()) throw std::invalid_argument("no Redis node given");
  core_ = std::make_shared<detail::ClientCore>(ctx_.get_executor(), std::move(options));
  core_->start();
  thread_ = std::thread([this] {
    ctx_.run();
    thread_done_.store(true);
  });
}

RedisClient::~RedisClient() {
  stop();
  core_.reset();
}

void RedisClient::stop() {
  if (stopped_.exchange(true)) return;
  asio::post(ctx_, [core = core_] { core->shutdown(); });
  // Calls in progress end with ErrorKind::closed as their connections close.
  const auto calls_deadline = Clock::now() + 5s;
  while (in_flight_.load() > 0 && Clock::now() < calls_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  guard_.reset();
  // Background coroutines end by themselves (a connect or a back-off in progress is bounded);
  // past the grace period the context is stopped and what is left is destroyed with it.
  const auto grace = Clock::now() + 5s;
  while (!thread_done_.load() && Clock::now() < grace)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (!thread_done_.load()) ctx_.stop();
  if (thread_.joinable()) thread_.join();
}

template <class T>
asio::awaitable<T> RedisClient::on_redis_thread(asio::awaitable<T> work) {
  in_flight_.fetch_add(1);
  if (stopped_.load()) {
    in_flight_.fetch_sub(1);
    throw detail::closed_error();
  }
  auto start = [this, core = core_, work = std::move(work)](Deliver<Outcome<T>> deliver) mutable {
    auto done = [this, core, deliver = std::move(deliver)](std::exception_ptr e,
                                                           Outcome<T> out) mutable {
      if (e && !out.error) out.error = e;
      // Last touch of `this`: stop() may return once the count is zero, but it joins this
      // thread first, and deliver() only posts to the caller's executor.
      in_flight_.fetch_sub(1);
      deliver(std::move(out));
    };
    asio::co_spawn(ctx_, capture(std::move(work)), std::move(done));
  };
  Outcome<T> out = co_await await_callback<Outcome<T>>(std::move(start));
  if (out.error) std::rethrow_exception(out.error);
  co_return std::move(*out.value);
}

asio::awaitable<RedisValue> RedisClient::command(std::vector<std::string> args,
                                                 std::string routing_key, Idempotent idempotent) {
  asio::awaitable<RedisValue> work =
      core_->command(std::move(args), std::move(routing_key), idempotent);
  co_return co_await on_redis_thread(std::move(work));
}

asio::awaitable<std::vector<RedisValue>> RedisClient::pipeline(
    std::string routing_key, std::vector<std::vector<std::string>> commands,
    Idempotent idempotent) {
  asio::awaitable<std::vector<RedisValue>> work =
      core_->pipeline(std::move(routing_key), std::move(commands), idempotent);
  co_return co_await on_redis_thread(std::move(work));
}

asio::awaitable<RedisValue> RedisClient::eval(const Script& script, std::vector<std::string> keys,
                                              std::vector<std::string> args) {
  return on_redis_thread(core_->eval(script.data_, std::move(keys), std::move(args)));
}

asio::awaitable<Subscription> RedisClient::ssubscribe(
    std::string channel, std::function<void(std::string_view)> on_message,
    std::function<void()> on_resubscribed) {
  asio::awaitable<Subscription> work =
      core_->ssubscribe(std::move(channel), std::move(on_message), std::move(on_resubscribed));
  co_return co_await on_redis_thread(std::move(work));
}

asio::awaitable<Topology> RedisClient::topology() {
  asio::awaitable<Topology> work = core_->topology();
  co_return co_await on_redis_thread(std::move(work));
}

asio::awaitable<std::optional<NodeAddress>> RedisClient::owner_of(std::uint16_t slot) {
  asio::awaitable<std::optional<NodeAddress>> work = core_->owner_of(slot);
  co_return co_await on_redis_thread(std::move(work));
}

ClientStats RedisClient::stats() const {
  return core_->stats();
}

}  // namespace boxoffice::redis
