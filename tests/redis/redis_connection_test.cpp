// RedisConnection against the standalone redis-server that tests/harness/with_redis.py starts
// (BOXOFFICE_TEST_REDIS_URL): pipelining, deadlines, lost and unsent requests, bounds, health
// pings, push messages.
#include <gtest/gtest.h>
#include <signal.h>

#include "redis_test_support.hpp"

namespace boxoffice::redis {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// RedisConnection (standalone server)

TEST(RedisConnection, PipelinesConcurrentCallersInOrder) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const NodeAddress node = standalone_node();
    const ConnectionOptions defaults;
    auto c = co_await RedisConnection::connect(ex, node, defaults, 1000ms);
    // 200 callers at once, each a SET and a GET of its own key.
    std::atomic<int> ok{0};
    for (int i = 0; i < 200; ++i) {
      asio::co_spawn(
          ex,
          [](std::shared_ptr<RedisConnection> conn, int n,
             std::atomic<int>& count) -> asio::awaitable<void> {
            const std::string key = "conn:pipe:" + std::to_string(n);
            std::vector<std::string> set = args("SET", key, std::to_string(n * 7));
            RedisValue r = co_await conn->request(std::move(set));
            std::vector<std::string> get = args("GET", key);
            RedisValue g = co_await conn->request(std::move(get));
            if (r.is_status("OK") && g.as_string() == std::to_string(n * 7)) count.fetch_add(1);
          }(c, i, ok),
          asio::detached);
    }
    // And one pipeline among them.
    std::vector<std::vector<std::string>> batch;
    std::vector<std::string> del = args("DEL", "conn:counter");
    batch.push_back(std::move(del));
    for (int i = 0; i < 100; ++i) batch.push_back(args("INCR", "conn:counter"));
    std::vector<RedisValue> replies = co_await c->pipeline(std::move(batch));
    CO_ASSERT_EQ(replies.size(), 101u);
    for (int i = 1; i <= 100; ++i) EXPECT_EQ(replies[i].as_int(), i);
    std::function<bool()> all_done = [&ok] { return ok.load() == 200; };
    EXPECT_TRUE(co_await eventually(all_done, 5000ms));
    EXPECT_EQ(c->in_flight(), 0u);
    c->close("done");
  });
}

TEST(RedisConnection, ErrorRepliesAreValuesAndTheConnectionGoesOn) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const NodeAddress node = standalone_node();
    const ConnectionOptions defaults;
    auto c = co_await RedisConnection::connect(ex, node, defaults, 1000ms);
    std::vector<std::string> set = args("SET", "conn:str", "x");
    co_await c->request(std::move(set));
    std::vector<std::string> wrong = args("LPUSH", "conn:str", "y");
    RedisValue r = co_await c->request(std::move(wrong));
    EXPECT_TRUE(r.is_error());
    EXPECT_EQ(r.error_prefix(), "WRONGTYPE");
    std::vector<std::string> ping = args("PING");
    RedisValue p = co_await c->request(std::move(ping));
    EXPECT_TRUE(p.is_status("PONG"));
    EXPECT_FALSE(c->closed());
    c->close("done");
  });
}

TEST(RedisConnection, ARequestPastItsDeadlineKillsTheConnection) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const NodeAddress node = standalone_node();
    const ConnectionOptions defaults;
    auto c = co_await RedisConnection::connect(ex, node, defaults, 1000ms);
    std::string closed_reason;
    const auto started = Clock::now();
    std::optional<ErrorKind> kind;
    try {
      std::vector<std::string> blpop = args("BLPOP", "conn:never", "5");
      co_await c->request(std::move(blpop), Clock::now() + 200ms);
    } catch (const RedisError& e) {
      kind = e.kind();
    }
    EXPECT_EQ(kind, ErrorKind::timeout);
    EXPECT_LT(Clock::now() - started, 1s);
    EXPECT_TRUE(c->closed());
    // Later requests fail at once: nothing was sent.
    std::optional<ErrorKind> later;
    try {
      std::vector<std::string> ping = args("PING");
      co_await c->request(std::move(ping));
    } catch (const RedisError& e) {
      later = e.kind();
    }
    EXPECT_EQ(later, ErrorKind::not_sent);
  });
}

TEST(RedisConnection, RequestsBehindATimedOutOneFailAsLost) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const NodeAddress node = standalone_node();
    const ConnectionOptions defaults;
    auto c = co_await RedisConnection::connect(ex, node, defaults, 1000ms);
    std::optional<ErrorKind> second;
    std::atomic<bool> second_done{false};
    asio::co_spawn(
        ex,
        [](std::shared_ptr<RedisConnection> conn, std::optional<ErrorKind>& out,
           std::atomic<bool>& done) -> asio::awaitable<void> {
          try {
            std::vector<std::string> blpop = args("BLPOP", "conn:never2", "5");
            co_await conn->request(std::move(blpop), Clock::now() + 3s);
          } catch (const RedisError& e) {
            out = e.kind();
          }
          done = true;
        }(c, second, second_done),
        asio::detached);
    co_await sleep_for(50ms);
    std::optional<ErrorKind> first;
    try {
      std::vector<std::string> ping = args("PING");
      co_await c->request(std::move(ping), Clock::now() + 200ms);
    } catch (const RedisError& e) {
      first = e.kind();
    }
    // The PING queued behind the BLPOP timed out; the BLPOP, written, is lost.
    EXPECT_EQ(first, ErrorKind::timeout);
    std::function<bool()> done = [&second_done] { return second_done.load(); };
    EXPECT_TRUE(co_await eventually(done, 1000ms));
    EXPECT_EQ(second, ErrorKind::lost);
  });
}

TEST(RedisConnection, BeyondMaxInFlightCallersFailFast) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const NodeAddress node = standalone_node();
    ConnectionOptions o;
    o.max_in_flight = 2;
    auto c = co_await RedisConnection::connect(ex, node, o, 1000ms);
    for (int i = 0; i < 2; ++i) {
      asio::co_spawn(
          ex,
          [](std::shared_ptr<RedisConnection> conn) -> asio::awaitable<void> {
            try {
              std::vector<std::string> blpop = args("BLPOP", "conn:never3", "1");
              co_await conn->request(std::move(blpop), Clock::now() + 3s);
            } catch (const std::exception&) {
            }
          }(c),
          asio::detached);
    }
    co_await sleep_for(20ms);
    EXPECT_EQ(c->in_flight(), 2u);
    const auto started = Clock::now();
    std::optional<ErrorKind> kind;
    try {
      std::vector<std::string> ping = args("PING");
      co_await c->request(std::move(ping));
    } catch (const RedisError& e) {
      kind = e.kind();
    }
    EXPECT_EQ(kind, ErrorKind::overloaded);
    EXPECT_LT(Clock::now() - started, 50ms);
    // Once the BLPOPs end the connection takes requests again.
    std::function<bool()> drained = [c] { return c->in_flight() == 0; };
    EXPECT_TRUE(co_await eventually(drained, 3000ms));
    std::vector<std::string> ping2 = args("PING");
    RedisValue p = co_await c->request(std::move(ping2));
    EXPECT_TRUE(p.is_status("PONG"));
    c->close("done");
  });
}

TEST(RedisConnection, AKilledClientFailsItsWrittenRequestsAsLost) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const NodeAddress node = standalone_node();
    const ConnectionOptions defaults;
    std::string reason;
    RedisConnection::CloseHandler on_close = [&reason](const std::string& r) { reason = r; };
    auto c = co_await RedisConnection::connect(ex, node, defaults, 1000ms, nullptr, on_close);
    std::vector<std::string> name = args("CLIENT", "SETNAME", "victim");
    co_await c->request(std::move(name));
    std::optional<ErrorKind> kind;
    std::atomic<bool> done{false};
    asio::co_spawn(
        ex,
        [](std::shared_ptr<RedisConnection> conn, std::optional<ErrorKind>& out,
           std::atomic<bool>& finished) -> asio::awaitable<void> {
          try {
            std::vector<std::string> blpop = args("BLPOP", "conn:never4", "5");
            co_await conn->request(std::move(blpop), Clock::now() + 6s);
          } catch (const RedisError& e) {
            out = e.kind();
          }
          finished = true;
        }(c, kind, done),
        asio::detached);
    co_await sleep_for(50ms);
    std::vector<std::string> list = args("CLIENT", "LIST");
    const std::string clients = co_await admin_text(node, std::move(list));
    const auto at = clients.find("name=victim");
    CO_ASSERT(at != std::string::npos);
    const auto id_at = clients.rfind("id=", at);
    const std::string id = clients.substr(id_at + 3, clients.find(' ', id_at) - id_at - 3);
    std::vector<std::string> kill = args("CLIENT", "KILL", "ID", id);
    co_await admin(node, std::move(kill));
    std::function<bool()> finished = [&done] { return done.load(); };
    EXPECT_TRUE(co_await eventually(finished, 2000ms));
    EXPECT_EQ(kind, ErrorKind::lost);
    EXPECT_TRUE(c->closed());
    EXPECT_FALSE(reason.empty());
  });
}

TEST(RedisConnection, ConnectFailsFastOnARefusedPort) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const NodeAddress refused{"127.0.0.1", 1};  // nothing listens on port 1
    const ConnectionOptions defaults;
    const auto started = Clock::now();
    std::optional<ErrorKind> kind;
    try {
      co_await RedisConnection::connect(ex, refused, defaults, 1000ms);
    } catch (const RedisError& e) {
      kind = e.kind();
    }
    EXPECT_EQ(kind, ErrorKind::connect);
    EXPECT_LT(Clock::now() - started, 1100ms);
  });
}

TEST(RedisConnection, AHungServerIsFoundByThePing) {
  SilentServer silent;
  run([&silent](asio::any_io_executor ex) -> asio::awaitable<void> {
    const NodeAddress node = silent.address();
    ConnectionOptions o;
    o.ping_interval = 100ms;
    o.request_timeout = 200ms;
    bool closed = false;
    RedisConnection::CloseHandler on_close = [&closed](const std::string&) { closed = true; };
    auto c = co_await RedisConnection::connect(ex, node, o, 1000ms, nullptr, on_close);
    const auto started = Clock::now();
    // Idle: the PING after 100 ms gets no answer within 200 ms.
    std::function<bool()> is_closed = [&closed] { return closed; };
    EXPECT_TRUE(co_await eventually(is_closed, 2000ms));
    EXPECT_LT(Clock::now() - started, 1000ms);
    EXPECT_TRUE(c->closed());
  });
}

TEST(RedisConnection, PushMessagesGoToTheHandler) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const NodeAddress node = standalone_node();
    const ConnectionOptions defaults;
    std::vector<RedisValue> pushes;
    RedisConnection::PushHandler on_push = [&pushes](RedisValue v) {
      pushes.push_back(std::move(v));
    };
    auto sub = co_await RedisConnection::connect(ex, node, defaults, 1000ms, on_push);
    std::vector<std::string> ss = args("SSUBSCRIBE", "conn:chan");
    RedisValue ack = co_await sub->request(std::move(ss));
    CO_ASSERT(ack.is_array());
    EXPECT_EQ(ack[0].as_string(), "ssubscribe");
    EXPECT_EQ(ack[2].as_int(), 1);
    std::vector<std::string> pub = args("SPUBLISH", "conn:chan", "hello");
    RedisValue n = co_await admin(node, std::move(pub));
    EXPECT_EQ(n.as_int(), 1);
    std::function<bool()> got = [&pushes] { return !pushes.empty(); };
    EXPECT_TRUE(co_await eventually(got, 2000ms));
    CO_ASSERT_EQ(pushes.size(), 1u);
    EXPECT_EQ(pushes[0][0].as_string(), "smessage");
    EXPECT_EQ(pushes[0][1].as_string(), "conn:chan");
    EXPECT_EQ(pushes[0][2].as_string(), "hello");
    // PING works in subscribed mode; our own SUNSUBSCRIBE's acknowledgement is its reply.
    std::vector<std::string> ping = args("PING");
    RedisValue pong = co_await sub->request(std::move(ping));
    EXPECT_EQ(pong[0].as_string(), "pong");
    std::vector<std::string> unsub = args("SUNSUBSCRIBE", "conn:chan");
    RedisValue unack = co_await sub->request(std::move(unsub));
    EXPECT_EQ(unack[0].as_string(), "sunsubscribe");
    EXPECT_EQ(pushes.size(), 1u);
    sub->close("done");
  });
}

}  // namespace
}  // namespace boxoffice::redis
