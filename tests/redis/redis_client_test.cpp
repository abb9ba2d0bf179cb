// RedisClient against real servers: tests/harness/with_redis.py starts a standalone
// redis-server (BOXOFFICE_TEST_REDIS_URL) and a cluster of 3 masters and 3 replicas
// (BOXOFFICE_TEST_REDIS_CLUSTER_URL, every node) on loopback and stops them afterwards.
//
// Tests run in file order; the failover tests come last. Each finds the layout it needs
// (masters, replicas, node ids) from the servers at that moment, and leaves the cluster with
// three masters and three replicas as it found it.
#include <gtest/gtest.h>
#include <signal.h>

#include "redis_test_support.hpp"

namespace boxoffice::redis {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// RedisClient on the standalone server

TEST(RedisClientStandalone, DetectsStandaloneAndRunsCommandsPipelinesAndScripts) {
  run([](asio::any_io_executor) -> asio::awaitable<void> {
    RedisClient client(fast_options(standalone_url()));
    Topology t = co_await client.topology();
    EXPECT_FALSE(t.cluster);
    CO_ASSERT_EQ(t.masters.size(), 1u);
    EXPECT_EQ(t.masters[0], standalone_node());

    std::vector<std::string> set = args("SET", "sa:k", "v1");
    RedisValue ok = co_await client.command(std::move(set), "sa:k");
    EXPECT_TRUE(ok.is_status("OK"));
    std::vector<std::string> get = args("GET", "sa:k");
    RedisValue v = co_await client.command(std::move(get), "sa:k", Idempotent::yes);
    EXPECT_EQ(v.as_string(), "v1");
    std::vector<std::string> ping = args("PING");
    RedisValue pong = co_await client.command(std::move(ping));
    EXPECT_TRUE(pong.is_status("PONG"));

    std::vector<std::vector<std::string>> batch;
    batch.push_back(args("DEL", "sa:list"));
    batch.push_back(args("RPUSH", "sa:list", "a", "b"));
    batch.push_back(args("LRANGE", "sa:list", "0", "-1"));
    batch.push_back(args("INCR", "sa:list"));  // WRONGTYPE: returned as it is
    std::vector<RedisValue> replies = co_await client.pipeline("sa:list", std::move(batch));
    CO_ASSERT_EQ(replies.size(), 4u);
    EXPECT_EQ(replies[1].as_int(), 2);
    EXPECT_EQ(replies[2].size(), 2u);
    EXPECT_EQ(replies[3].error_prefix(), "WRONGTYPE");

    const Script script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}");
    std::vector<std::string> keys = args("sa:counter");
    std::vector<std::string> argv = args("x");
    RedisValue first = co_await client.eval(script, keys, argv);
    CO_ASSERT(first.is_array());
    EXPECT_EQ(first[0].as_string(), "sa:counter");
    EXPECT_EQ(first[1].as_string(), "x");
    // The server names the script as we do.
    std::vector<std::string> load = args("SCRIPT", "LOAD", script.source());
    RedisValue sha = co_await client.command(std::move(load));
    EXPECT_EQ(sha.as_string(), script.sha());
    // NOSCRIPT after SCRIPT FLUSH: loaded again, run once.
    std::vector<std::string> flush = args("SCRIPT", "FLUSH");
    co_await client.command(std::move(flush));
    RedisValue second = co_await client.eval(script, keys, argv);
    CO_ASSERT(second.is_array());
    EXPECT_EQ(second[2].as_int(), first[2].as_int() + 1);
    // A script error is a value.
    const Script broken("return redis.call('NOSUCHCOMMAND')");
    std::vector<std::string> no_keys;
    std::vector<std::string> no_args;
    RedisValue err = co_await client.eval(broken, no_keys, no_args);
    EXPECT_TRUE(err.is_error());
  });
}

TEST(RedisClientStandalone, ManyCallersOnSeveralThreads) {
  RedisClient client(fast_options(standalone_url()));
  constexpr int kThreads = 3;
  constexpr int kPerThread = 300;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&client, &ok, t] {
      asio::io_context ioc;
      for (int i = 0; i < kPerThread; ++i) {
        asio::co_spawn(
            ioc,
            [](RedisClient& c, std::atomic<int>& count, int n) -> asio::awaitable<void> {
              const std::string key = "sa:many:" + std::to_string(n);
              std::vector<std::string> set = args("SET", key, std::to_string(n));
              co_await c.command(std::move(set), key);
              std::vector<std::string> get = args("GET", key);
              RedisValue v = co_await c.command(std::move(get), key);
              if (v.as_string() == std::to_string(n)) count.fetch_add(1);
            }(client, ok, t * kPerThread + i),
            asio::detached);
      }
      ioc.run();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
}

TEST(RedisClientStandalone, ShardedPubSubAndUnsubscribeOnTheLastSubscriber) {
  run([](asio::any_io_executor) -> asio::awaitable<void> {
    Inbox a;  // outlives the client: callbacks may run until it stops
    Inbox b;
    RedisClient client(fast_options(standalone_url()));
    const std::string channel = "sa:chan";
    std::function<void(std::string_view)> a_message = a.on_message();
    std::function<void()> a_resubscribed = a.on_resubscribed();
    Subscription sa = co_await client.ssubscribe(channel, a_message, a_resubscribed);
    std::function<void(std::string_view)> b_message = b.on_message();
    std::function<void()> b_resubscribed = b.on_resubscribed();
    Subscription sb = co_await client.ssubscribe(channel, b_message, b_resubscribed);
    EXPECT_TRUE(sa.active());
    EXPECT_EQ(sb.channel(), "sa:chan");
    std::vector<std::string> pub = args("SPUBLISH", "sa:chan", "one");
    RedisValue n = co_await client.command(std::move(pub), "sa:chan");
    EXPECT_EQ(n.as_int(), 1);  // one connection subscribed for both
    std::function<bool()> both = [&a, &b] { return a.has("one") && b.has("one"); };
    EXPECT_TRUE(co_await eventually(both, 2000ms));

    sa.reset();
    co_await sleep_for(50ms);
    std::vector<std::string> pub2 = args("SPUBLISH", "sa:chan", "two");
    RedisValue n2 = co_await client.command(std::move(pub2), "sa:chan");
    EXPECT_EQ(n2.as_int(), 1);
    std::function<bool()> b_two = [&b] { return b.has("two"); };
    EXPECT_TRUE(co_await eventually(b_two, 2000ms));
    EXPECT_FALSE(a.has("two"));

    {
      Subscription moved = std::move(sb);
      EXPECT_FALSE(sb.active());
    }  // the last subscriber: SUNSUBSCRIBE
    const auto limit = Clock::now() + 2s;
    std::int64_t subscribers = -1;
    while (Clock::now() < limit) {
      std::vector<std::string> numsub = args("PUBSUB", "SHARDNUMSUB", "sa:chan");
      RedisValue r = co_await client.command(std::move(numsub));
      subscribers = r[1].as_int();
      if (subscribers == 0) break;
      co_await sleep_for(20ms);
    }
    EXPECT_EQ(subscribers, 0);
    EXPECT_EQ(a.resubscribed.load() + b.resubscribed.load(), 0);
  });
}

TEST(RedisClientStandalone, AThrowingCallbackKeepsItsSubscription) {
  run([](asio::any_io_executor) -> asio::awaitable<void> {
    std::atomic<int> calls{0};  // outlives the client
    Inbox inbox;
    RedisClient client(fast_options(standalone_url()));
    const std::string channel = "sa:throws";
    std::function<void(std::string_view)> on_message = [&calls](std::string_view) {
      calls.fetch_add(1);
      throw std::runtime_error("subscriber bug");
    };
    std::function<void()> on_resubscribed = inbox.on_resubscribed();
    Subscription sub = co_await client.ssubscribe(channel, on_message, on_resubscribed);
    for (int i = 0; i < 2; ++i) {
      std::vector<std::string> pub = args("SPUBLISH", channel, "m");
      RedisValue n = co_await client.command(std::move(pub), channel);
      EXPECT_EQ(n.as_int(), 1);  // still subscribed after the first callback threw
      std::function<bool()> called = [&calls, i] { return calls.load() == i + 1; };
      EXPECT_TRUE(co_await eventually(called, 2000ms));
    }
    EXPECT_EQ(inbox.resubscribed.load(), 0);
  });
}

TEST(RedisClientStandalone, APausedServerFailsCallsWithinTheirTimeout) {
  run([](asio::any_io_executor) -> asio::awaitable<void> {
    ClientOptions o = fast_options(standalone_url());
    o.connection.request_timeout = 300ms;
    o.command_timeout = 1000ms;
    RedisClient client(o);
    std::vector<std::string> ping = args("PING");
    co_await client.command(std::move(ping));
    const NodeAddress node = standalone_node();
    const int pid = co_await server_pid(node);
    CO_ASSERT_EQ(::kill(pid, SIGSTOP), 0);
    const auto started = Clock::now();
    std::optional<ErrorKind> kind;
    try {
      std::vector<std::string> set = args("SET", "sa:paused", "1");
      co_await client.command(std::move(set), "sa:paused");
    } catch (const RedisError& e) {
      kind = e.kind();
    }
    const auto took = Clock::now() - started;
    ::kill(pid, SIGCONT);
    EXPECT_EQ(kind, ErrorKind::timeout);  // written, unanswered, not idempotent: not replayed
    EXPECT_LT(took, 1000ms);
    // An idempotent read retries on a new connection until its command timeout.
    CO_ASSERT_EQ(::kill(pid, SIGSTOP), 0);
    const auto started2 = Clock::now();
    std::optional<ErrorKind> kind2;
    try {
      std::vector<std::string> get = args("GET", "sa:paused");
      co_await client.command(std::move(get), "sa:paused", Idempotent::yes);
    } catch (const RedisError& e) {
      kind2 = e.kind();
    }
    const auto took2 = Clock::now() - started2;
    ::kill(pid, SIGCONT);
    EXPECT_TRUE(kind2 == ErrorKind::unavailable || kind2 == ErrorKind::timeout);
    EXPECT_GE(took2, 600ms);  // tried again
    EXPECT_LT(took2, 1500ms);
    EXPECT_GE(client.stats().retries, 1u);
    // The server is back: so is the client.
    std::vector<std::string> set2 = args("SET", "sa:paused", "2");
    RedisValue ok = co_await client.command(std::move(set2), "sa:paused");
    EXPECT_TRUE(ok.is_status("OK"));
  });
}

TEST(RedisClient, AnUnreachableNodeFailsWithinTheCommandTimeout) {
  run([](asio::any_io_executor) -> asio::awaitable<void> {
    ClientOptions o = fast_options("redis://127.0.0.1:1");
    o.command_timeout = 1000ms;
    RedisClient client(o);
    const auto started = Clock::now();
    std::optional<ErrorKind> kind;
    try {
      std::vector<std::string> ping = args("PING");
      co_await client.command(std::move(ping));
    } catch (const RedisError& e) {
      kind = e.kind();
    }
    EXPECT_EQ(kind, ErrorKind::unavailable);
    EXPECT_LT(Clock::now() - started, 1500ms);
  });
}

TEST(RedisClient, AHungNodeFailsWithinTheCommandTimeout) {
  SilentServer silent;
  run([&silent](asio::any_io_executor) -> asio::awaitable<void> {
    ClientOptions o = fast_options("redis://" + silent.address().to_string());
    o.connection.request_timeout = 300ms;
    o.command_timeout = 1000ms;
    RedisClient client(o);
    const auto started = Clock::now();
    bool failed = false;
    try {
      std::vector<std::string> ping = args("PING");
      co_await client.command(std::move(ping));
    } catch (const RedisError&) {
      failed = true;
    }
    EXPECT_TRUE(failed);
    EXPECT_LT(Clock::now() - started, 1500ms);
  });
}

TEST(RedisClient, StopFailsCallsInProgress) {
  auto client = std::make_unique<RedisClient>(fast_options(standalone_url()));
  asio::io_context ioc;
  std::optional<ErrorKind> kind;
  asio::co_spawn(
      ioc,
      [](RedisClient& c, std::optional<ErrorKind>& out) -> asio::awaitable<void> {
        try {
          std::vector<std::string> blpop = args("BLPOP", "sa:never", "0.8");
          co_await c.command(std::move(blpop), "sa:never");
        } catch (const RedisError& e) {
          out = e.kind();
        }
      }(*client, kind),
      asio::detached);
  std::thread stopper([&client] {
    std::this_thread::sleep_for(200ms);
    const auto started = Clock::now();
    client->stop();
    EXPECT_LT(Clock::now() - started, 2s);
  });
  ioc.run();
  stopper.join();
  EXPECT_TRUE(kind == ErrorKind::closed || kind == ErrorKind::lost)
      << (kind ? to_string(*kind) : "none");
  // Calls after stop fail at once.
  std::optional<ErrorKind> after;
  asio::io_context ioc2;
  asio::co_spawn(
      ioc2,
      [](RedisClient& c, std::optional<ErrorKind>& out) -> asio::awaitable<void> {
        try {
          std::vector<std::string> ping = args("PING");
          co_await c.command(std::move(ping));
        } catch (const RedisError& e) {
          out = e.kind();
        }
      }(*client, after),
      asio::detached);
  ioc2.run();
  EXPECT_EQ(after, ErrorKind::closed);
}

// ---------------------------------------------------------------------------------------------
// RedisClient on the cluster

TEST(RedisCluster, DiscoversTheLayoutAndRoutesKeysToAllThreeMasters) {
  run([](asio::any_io_executor) -> asio::awaitable<void> {
    RedisClient client(fast_options(cluster_url()));
    Topology t = co_await client.topology();
    EXPECT_TRUE(t.cluster);
    EXPECT_EQ(t.masters.size(), 3u);
    EXPECT_EQ(t.covered_slots, kSlotCount);

    std::set<NodeAddress> owners;
    for (int i = 0; i < 300; ++i) {
      const std::string key = "cl:key:" + std::to_string(i);
      std::vector<std::string> set = args("SET", key, std::to_string(i));
      RedisValue ok = co_await client.command(std::move(set), key);
      EXPECT_TRUE(ok.is_status("OK")) << ok.debug_string();
      std::optional<NodeAddress> owner = co_await client.owner_of(slot_of(key));
      CO_ASSERT(owner);
      owners.insert(*owner);
    }
    EXPECT_EQ(owners.size(), 3u);
    for (int i = 0; i < 300; ++i) {
      const std::string key = "cl:key:" + std::to_string(i);
      std::vector<std::string> get = args("GET", key);
      RedisValue v = co_await client.command(std::move(get), key);
      EXPECT_EQ(v.as_string(), std::to_string(i));
    }
    // Our slots are the server's.
    const NodeAddress any = cluster_nodes().front();
    for (int i = 0; i < 100; ++i) {
      const std::string key = "k" + std::to_string(i * 7919) + "{x" + std::to_string(i) + "}";
      std::vector<std::string> keyslot = args("CLUSTER", "KEYSLOT", key);
      RedisValue s = co_await admin(any, std::move(keyslot));
      EXPECT_EQ(s.as_int(), slot_of(key)) << key;
    }
    EXPECT_EQ(client.stats().moved, 0u);
  });
}

TEST(RedisCluster, OneSeedIsEnoughToFindTheCluster) {
  run([](asio::any_io_executor) -> asio::awaitable<void> {
    RedisClient client(fast_options("redis://" + cluster_nodes().back().to_string()));
    Topology t = co_await client.topology();
    EXPECT_TRUE(t.cluster);
    EXPECT_EQ(t.masters.size(), 3u);
    std::vector<std::string> set = args("SET", "cl:oneseed", "1");
    RedisValue ok = co_await client.command(std::move(set), "cl:oneseed");
    EXPECT_TRUE(ok.is_status("OK"));
  });
}

TEST(RedisCluster, PipelinesAndTransactionsInOneSlot) {
  run([](asio::any_io_executor) -> asio::awaitable<void> {
    RedisClient client(fast_options(cluster_url()));
    const std::array<std::string, 4> tags = {"{a}", "{b}", "{c}", "{d}"};
    for (const std::string& tag : tags) {
      const std::string k1 = "cl:p1" + tag;
      const std::string k2 = "cl:p2" + tag;
      std::vector<std::vector<std::string>> batch;
      batch.push_back(args("DEL", k1, k2));
      batch.push_back(args("MULTI"));
      batch.push_back(args("INCRBY", k1, "5"));
      batch.push_back(args("INCRBY", k2, "7"));
      batch.push_back(args("EXEC"));
      batch.push_back(args("MGET", k1, k2));
      std::vector<RedisValue> r = co_await client.pipeline(k1, std::move(batch));
      CO_ASSERT_EQ(r.size(), 6u);
      EXPECT_TRUE(r[4].is_array()) << r[4].debug_string();
      EXPECT_EQ(r[5][0].as_string(), "5");
      EXPECT_EQ(r[5][1].as_string(), "7");
    }
    // Keys of two slots in one command: the server's CROSSSLOT error, as a value.
    std::vector<std::string> mget = args("MGET", "cl:x{a}", "cl:x{b}");
    RedisValue cross = co_await client.command(std::move(mget), "cl:x{a}");
    EXPECT_EQ(cross.error_prefix(), "CROSSSLOT");
  });
}

TEST(RedisCluster, EvalShaAfterScriptFlushOnEveryNode) {
  run([](asio::any_io_executor) -> asio::awaitable<void> {
    RedisClient client(fast_options(cluster_url()));
    const Script script("redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])");
    for (int round = 0; round < 2; ++round) {
      for (const NodeAddress& n : cluster_nodes()) {
        std::vector<std::string> flush = args("SCRIPT", "FLUSH");
        co_await admin(n, std::move(flush));
      }
      for (int i = 0; i < 30; ++i) {  // keys on every master
        std::vector<std::string> keys = args("cl:eval:" + std::to_string(i));
        std::vector<std::string> argv = args("v" + std::to_string(round));
        RedisValue r = co_await client.eval(script, keys, argv);
        EXPECT_EQ(r.as_string(), "v" + std::to_string(round)) << r.debug_string();
      }
    }
  });
}

TEST(RedisCluster, FollowsAskAndMovedWhileASlotMigrates) {
  run([](asio::any_io_executor) -> asio::awaitable<void> {
    RedisClient client(fast_options(cluster_url()));
    const std::string key = "cl:migrating{mig}";
    const std::string fresh = "cl:fresh{mig}";
    const std::uint16_t slot = slot_of(key);
    std::vector<std::string> set = args("SET", key, "before");
    co_await client.command(std::move(set), key);
    std::vector<std::string> del = args("DEL", fresh);
    co_await client.command(std::move(del), fresh);

    const NodeAddress any = cluster_nodes().front();
    const Shard from_shard = co_await shard_of(any, slot);
    const NodeAddress from = from_shard.master;
    Topology t = co_await client.topology();
    NodeAddress to;
    for (const NodeAddress& m : t.masters)
      if (m != from) to = m;
    const std::string from_id = co_await node_id(from);
    const std::string to_id = co_await node_id(to);
    const std::string s = std::to_string(slot);

    // Migration under way: keys not on the source are asked for on the target.
    std::vector<std::string> importing = args("CLUSTER", "SETSLOT", s, "IMPORTING", from_id);
    {
      RedisValue r = co_await admin(to, std::move(importing));
      EXPECT_TRUE(r.is_status("OK")) << r.debug_string();
    }
    std::vector<std::string> migrating = args("CLUSTER", "SETSLOT", s, "MIGRATING", to_id);
    {
      RedisValue r = co_await admin(from, std::move(migrating));
      EXPECT_TRUE(r.is_status("OK")) << r.debug_string();
    }

    std::vector<std::string> set_fresh = args("SET", fresh, "new");
    RedisValue ok = co_await client.command(std::move(set_fresh), fresh);
    EXPECT_TRUE(ok.is_status("OK")) << ok.debug_string();
    EXPECT_GE(client.stats().ask, 1u);
    std::vector<std::string> migrate =
        args("MIGRATE", to.host, std::to_string(to.port), "", "0", "5000", "KEYS", key);
    {
      RedisValue r = co_await admin(from, std::move(migrate));
      EXPECT_TRUE(r.is_status("OK")) << r.debug_string();
    }
    const auto asks = client.stats().ask;
    std::vector<std::string> get = args("GET", key);
    RedisValue v = co_await client.command(std::move(get), key);
    EXPECT_EQ(v.as_string(), "before");
    EXPECT_GT(client.stats().ask, asks);
    // ASK leaves the map alone.
    {
      std::optional<NodeAddress> owner = co_await client.owner_of(slot);
      EXPECT_EQ(owner, from);
    }

    co_await migrate_rest(from, to, slot);

    // Migration done: the source answers MOVED, and the client patches its map.
    for (const NodeAddress& m : t.masters) {
      std::vector<std::string> node = args("CLUSTER", "SETSLOT", s, "NODE", to_id);
      {
        RedisValue r = co_await admin(m, std::move(node));
        EXPECT_TRUE(r.is_status("OK")) << r.debug_string();
      }
    }
    const auto moved = client.stats().moved;
    std::vector<std::string> get2 = args("GET", fresh);
    RedisValue v2 = co_await client.command(std::move(get2), fresh);
    EXPECT_EQ(v2.as_string(), "new");
    EXPECT_GT(client.stats().moved, moved);
    {
      std::optional<NodeAddress> owner = co_await client.owner_of(slot);
      EXPECT_EQ(owner, to);
    }

    // And back, the whole way, while the client keeps reading.
    std::vector<std::string> importing2 = args("CLUSTER", "SETSLOT", s, "IMPORTING", to_id);
    co_await admin(from, std::move(importing2));
    std::vector<std::string> migrating2 = args("CLUSTER", "SETSLOT", s, "MIGRATING", from_id);
    co_await admin(to, std::move(migrating2));
    co_await migrate_rest(to, from, slot);
    for (const NodeAddress& m : t.masters) {
      std::vector<std::string> node = args("CLUSTER", "SETSLOT", s, "NODE", from_id);
      co_await admin(m, std::move(node));
    }
    std::vector<std::string> get3 = args("GET", key);
    RedisValue v3 = co_await client.command(std::move(get3), key);
    EXPECT_EQ(v3.as_string(), "before");
    {
      std::optional<NodeAddress> owner = co_await client.owner_of(slot);
      EXPECT_EQ(owner, from);
    }
    co_await wait_cluster_healthy(30s);
  });
}

TEST(RedisCluster, ShardedPubSubOnEveryMaster) {
  run([](asio::any_io_executor) -> asio::awaitable<void> {
    std::vector<std::unique_ptr<Inbox>> inboxes;  // outlive the client
    RedisClient client(fast_options(cluster_url()));
    Topology t = co_await client.topology();
    std::vector<Subscription> subs;
    std::vector<std::string> channels;
    for (const NodeAddress& m : t.masters) {
      const std::string tag = co_await tag_on(client, m);
      const std::string channel = "cl:chan" + tag;
      channels.push_back(channel);
      inboxes.push_back(std::make_unique<Inbox>());
      std::function<void(std::string_view)> on_message = inboxes.back()->on_message();
      std::function<void()> on_resubscribed = inboxes.back()->on_resubscribed();
      Subscription s = co_await client.ssubscribe(channel, on_message, on_resubscribed);
      subs.push_back(std::move(s));
    }
    for (std::size_t i = 0; i < channels.size(); ++i) {
      std::vector<std::string> pub = args("SPUBLISH", channels[i], "m" + std::to_string(i));
      RedisValue n = co_await client.command(std::move(pub), channels[i]);
      EXPECT_EQ(n.as_int(), 1) << channels[i];
    }
    std::function<bool()> all = [&inboxes] {
      for (std::size_t i = 0; i < inboxes.size(); ++i)
        if (!inboxes[i]->has("m" + std::to_string(i))) return false;
      return true;
    };
    EXPECT_TRUE(co_await eventually(all, 3000ms));
    for (auto& in : inboxes) EXPECT_EQ(in->size(), 1u);
  });
}

// The failover tests: the cluster is left with 3 masters and 3 replicas again.

TEST(RedisClusterFailover, AManualFailoverMovesCommandsAndSubscriptions) {
  run([](asio::any_io_executor) -> asio::awaitable<void> {
    co_await wait_cluster_healthy(30s);
    Inbox inbox;  // outlives the client
    RedisClient client(fast_options(cluster_url()));
    Topology t = co_await client.topology();
    const NodeAddress old_master = t.masters.front();
    const std::string tag = co_await tag_on(client, old_master);
    const std::string key = "cl:fo:key" + tag;
    const std::string channel = "cl:fo:chan" + tag;
    std::function<void(std::string_view)> on_message = inbox.on_message();
    std::function<void()> on_resubscribed = inbox.on_resubscribed();
    Subscription sub = co_await client.ssubscribe(channel, on_message, on_resubscribed);
    std::vector<std::string> set = args("SET", key, "1");
    co_await client.command(std::move(set), key);
    const Shard shard = co_await shard_of(old_master, slot_of(key));
    CO_ASSERT_EQ(shard.replicas.size(), 1u);
    const NodeAddress replica = shard.replicas.front();

    // The replica takes over (no data lost: the master pauses its clients until it caught up).
    std::vector<std::string> failover = args("CLUSTER", "FAILOVER");
    {
      RedisValue r = co_await admin(replica, std::move(failover));
      EXPECT_TRUE(r.is_status("OK")) << r.debug_string();
    }
    const auto limit = Clock::now() + 15s;
    bool promoted = false;
    while (!promoted && Clock::now() < limit) {
      std::vector<std::string> role = args("ROLE");
      RedisValue r = co_await admin(replica, std::move(role));
      promoted = r[0].as_string() == "master";
      if (!promoted) co_await sleep_for(50ms);
    }
    CO_ASSERT(promoted);

    // Commands keep working (MOVED from the old master, or a refresh first).
    std::vector<std::string> incr = args("INCR", key);
    RedisValue two = co_await client.command(std::move(incr), key);
    EXPECT_EQ(two.as_int(), 2) << two.debug_string();
    std::function<bool()> resubscribed = [&inbox] { return inbox.resubscribed.load() >= 1; };
    EXPECT_TRUE(co_await eventually(resubscribed, 10000ms));
    {
      std::optional<NodeAddress> owner = co_await client.owner_of(slot_of(key));
      EXPECT_EQ(owner, replica);
    }
    std::vector<std::string> pub = args("SPUBLISH", channel, "after-failover");
    co_await client.command(std::move(pub), channel);
    std::function<bool()> got = [&inbox] { return inbox.has("after-failover"); };
    EXPECT_TRUE(co_await eventually(got, 3000ms));
    EXPECT_GE(client.stats().resubscribes, 1u);

    // Back as it was.
    std::vector<std::string> failback = args("CLUSTER", "FAILOVER");
    {
      RedisValue r = co_await admin(old_master, std::move(failback));
      EXPECT_TRUE(r.is_status("OK")) << r.debug_string();
    }
    co_await wait_cluster_healthy(30s);
  });
}

TEST(RedisClusterFailover, AKilledMasterIsReplacedAndItsChannelsResubscribed) {
  run([](asio::any_io_executor) -> asio::awaitable<void> {
    co_await wait_cluster_healthy(30s);
    Inbox inbox;  // outlives the client
    RedisClient client(fast_options(cluster_url()));
    Topology t = co_await client.topology();
    const NodeAddress victim = t.masters.back();
    const std::string tag = co_await tag_on(client, victim);
    const std::string key = "cl:kill:key" + tag;
    const std::string channel = "cl:kill:chan" + tag;
    std::function<void(std::string_view)> on_message = inbox.on_message();
    std::function<void()> on_resubscribed = inbox.on_resubscribed();
    Subscription sub = co_await client.ssubscribe(channel, on_message, on_resubscribed);
    const Shard shard = co_await shard_of(victim, slot_of(key));
    CO_ASSERT_EQ(shard.replicas.size(), 1u);
    const NodeAddress heir = shard.replicas.front();
    std::vector<std::string> dir_args = args("CONFIG", "GET", "dir");
    RedisValue dir = co_await admin(victim, std::move(dir_args));
    const std::string conf = dir[1].as_string() + "/redis.conf";
    const int pid = co_await server_pid(victim);
    CO_ASSERT_EQ(::kill(pid, SIGKILL), 0);
    const auto killed_at = Clock::now();

    // Calls fail for a while (bounded), then work on the promoted replica.
    std::optional<std::chrono::milliseconds> recovered;
    int failures = 0;
    while (!recovered && Clock::now() - killed_at < 30s) {
      const auto started = Clock::now();
      try {
        std::vector<std::string> set = args("SET", key, "alive");
        RedisValue ok = co_await client.command(std::move(set), key);
        if (ok.is_status("OK"))
          recovered =
              std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed_at);
      } catch (const RedisError&) {
        ++failures;
        EXPECT_LT(Clock::now() - started, 3500ms);  // never longer than the command timeout
      }
      if (!recovered) co_await sleep_for(100ms);
    }
    CO_ASSERT(recovered);
    std::cerr << "[          ] recovered " << recovered->count() << " ms after the kill, "
              << failures << " calls failed meanwhile\n";
    {
      std::optional<NodeAddress> owner = co_await client.owner_of(slot_of(key));
      EXPECT_EQ(owner, heir);
    }
    std::function<bool()> resubscribed = [&inbox] { return inbox.resubscribed.load() >= 1; };
    EXPECT_TRUE(co_await eventually(resubscribed, 15000ms));
    std::vector<std::string> pub = args("SPUBLISH", channel, "after-kill");
    co_await client.command(std::move(pub), channel);
    std::function<bool()> got = [&inbox] { return inbox.has("after-kill"); };
    EXPECT_TRUE(co_await eventually(got, 3000ms));

    // The killed node comes back as a replica of its heir; then the heir hands back.
    const std::string restart = "redis-server " + conf + " --daemonize yes > /dev/null";
    EXPECT_EQ(std::system(restart.c_str()), 0);
    const auto limit = Clock::now() + 30s;
    bool replica = false;
    while (!replica && Clock::now() < limit) {
      try {
        std::vector<std::string> role = args("ROLE");
        RedisValue r = co_await admin(victim, std::move(role));
        replica = r[0].as_string() == "slave" && r[3].as_string() == "connected";
      } catch (const std::exception&) {
      }
      if (!replica) co_await sleep_for(100ms);
    }
    CO_ASSERT(replica);
    std::vector<std::string> failback = args("CLUSTER", "FAILOVER");
    {
      RedisValue r = co_await admin(victim, std::move(failback));
      EXPECT_TRUE(r.is_status("OK")) << r.debug_string();
    }
    co_await wait_cluster_healthy(30s);
    // Still at work after all that.
    std::vector<std::string> get = args("GET", key);
    RedisValue v = co_await client.command(std::move(get), key);
    EXPECT_EQ(v.as_string(), "alive");
  });
}

}  // namespace
}  // namespace boxoffice::redis
