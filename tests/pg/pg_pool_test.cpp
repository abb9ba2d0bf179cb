// The PostgreSQL connection and pool against a real server (tests/harness/with_postgres.py starts
// one and sets BOXOFFICE_TEST_PG_DIRECT_URL; the pool tests need a direct connection, so that a
// connection's backend pid is stable).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "async/run_sync.hpp"
#include "store/postgres/pg_pool.hpp"

namespace boxoffice::pg {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string direct_url() {
  const char* url = std::getenv("BOXOFFICE_TEST_PG_DIRECT_URL");
  if (!url)
    throw std::runtime_error("BOXOFFICE_TEST_PG_DIRECT_URL is not set: run via with_postgres.py");
  return url;
}

PoolOptions options(int max_conns, int min_conns = 0) {
  PoolOptions o;
  o.name = "command";
  o.conninfo = direct_url();
  o.max_conns = max_conns;
  o.min_conns = min_conns;
  o.connect_timeout = 2s;
  o.acquire_timeout = 300ms;
  return o;
}

// Runs a test coroutine on a fresh io_context until it finishes.
template <class Fn>
void run(Fn fn) {
  asio::io_context ioc;
  auto done = asio::co_spawn(ioc, fn(ioc.get_executor()), asio::use_future);
  while (done.wait_for(0s) != std::future_status::ready) ioc.run_one_for(100ms);
  done.get();  // rethrows a failed expectation's exception
}

asio::awaitable<std::int64_t> backend_pid(Connection& c) {
  const Rows r = co_await c.query("SELECT pg_backend_pid()");
  co_return r.int64(0, 0);
}

asio::awaitable<void> sleep_for(asio::any_io_executor ex, std::chrono::milliseconds d) {
  asio::steady_timer t(ex, d);
  co_await t.async_wait(asio::use_awaitable);
}

TEST(PgConnection, QueriesWithParametersAndNulls) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto c = co_await Connection::connect(ex, direct_url(), 2s);
    Params p;
    p.add(std::int64_t{41}).add("it's \"quoted\"").add(std::nullopt);
    const Rows r = co_await c->query("SELECT $1::bigint + 1, $2::text, $3::text IS NULL", p);
    EXPECT_EQ(r.int64(0, 0), 42);
    EXPECT_EQ(r.text(0, 1), "it's \"quoted\"");
    EXPECT_EQ(r.text(0, 2), "t");
    EXPECT_TRUE(c->reusable());
  });
}

TEST(PgConnection, TextArraysRoundTrip) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto c = co_await Connection::connect(ex, direct_url(), 2s);
    const std::vector<std::string> items{"A1", "B 2", "q\"uote", "back\\slash", "NULL"};
    const Params p(text_array(items));
    const Rows r = co_await c->query("SELECT $1::text[]", p);
    EXPECT_EQ(parse_text_array(r.text(0, 0)), items);
  });
}

TEST(PgConnection, ErrorsAreTypedAndLeaveTheConnectionUsable) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto c = co_await Connection::connect(ex, direct_url(), 2s);
    co_await c->query("CREATE TEMP TABLE t (k int PRIMARY KEY)");
    co_await c->query("INSERT INTO t VALUES (1)");
    std::optional<ErrorKind> kind;
    try {
      co_await c->query("INSERT INTO t VALUES (1)");
    } catch (const PgError& e) {
      kind = e.kind();
      EXPECT_EQ(e.sqlstate(), "23505");
      EXPECT_EQ(e.constraint(), "t_pkey");
    }
    EXPECT_EQ(kind, ErrorKind::unique);
    EXPECT_TRUE(c->reusable());
    const Rows r = co_await c->query("SELECT count(*) FROM t");
    EXPECT_EQ(r.int64(0, 0), 1);
  });
}

TEST(PgConnection, PipelineReportsTheFirstErrorAfterTheSync) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto c = co_await Connection::connect(ex, direct_url(), 2s);
    std::vector<Statement> ok;
    ok.push_back(Statement{"SELECT 1", Params{}});
    ok.push_back(Statement{"SELECT $1::int * 2", Params(21)});
    const std::vector<Rows> rows = co_await c->pipeline(ok);
    EXPECT_EQ(rows.at(1).int64(0, 0), 42);
    std::vector<Statement> bad;
    bad.push_back(Statement{"SELECT 1", Params{}});
    bad.push_back(Statement{"SELECT 1/0", Params{}});
    bad.push_back(Statement{"SELECT 3", Params{}});
    bool threw = false;
    try {
      co_await c->pipeline(bad);
    } catch (const PgError& e) {
      threw = true;
      EXPECT_EQ(e.sqlstate(), "22012");
    }
    EXPECT_TRUE(threw);
    EXPECT_TRUE(c->reusable());  // the Sync was read: the connection is between statements
    const Rows again = co_await c->query("SELECT 7");
    EXPECT_EQ(again.int64(0, 0), 7);
  });
}

TEST(PgConnection, AStatementPastItsDeadlineBreaksTheConnection) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto c = co_await Connection::connect(ex, direct_url(), 2s);
    const auto started = Clock::now();
    c->set_deadline(started + 200ms);
    std::optional<ErrorKind> kind;
    try {
      co_await c->query("SELECT pg_sleep(5)");
    } catch (const PgError& e) {
      kind = e.kind();
    }
    EXPECT_EQ(kind, ErrorKind::dead);
    EXPECT_LT(Clock::now() - started, 1s);
    EXPECT_FALSE(c->reusable());
  });
}

TEST(PgConnection, ATerminatedBackendIsDead) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto victim = co_await Connection::connect(ex, direct_url(), 2s);
    auto killer = co_await Connection::connect(ex, direct_url(), 2s);
    const std::int64_t pid = co_await backend_pid(*victim);
    const Params p(pid);
    co_await killer->query("SELECT pg_terminate_backend($1)", p);
    co_await sleep_for(ex, 100ms);
    std::optional<ErrorKind> kind;
    try {
      co_await victim->query("SELECT 1");
    } catch (const PgError& e) {
      kind = e.kind();
    }
    EXPECT_EQ(kind, ErrorKind::dead);
    EXPECT_FALSE(victim->reusable());
  });
}

TEST(PgConnection, AnUnreachableServerFailsWithinTheConnectTimeout) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const auto started = Clock::now();
    bool failed = false;
    try {
      // A port nothing listens on (connection refused).
      co_await Connection::connect(ex, "postgresql://boxoffice@127.0.0.1:1/x", 2s);
    } catch (const PgError& e) {
      failed = e.kind() == ErrorKind::dead;
    }
    EXPECT_TRUE(failed);
    EXPECT_LT(Clock::now() - started, 2500ms);
  });
}

TEST(PgPool, NeverOpensMoreThanMaxAndHandsAReleasedConnectionToAWaiter) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    PoolOptions o = options(2);
    o.acquire_timeout = 2s;
    Pool pool(ex, o);
    auto a = co_await pool.acquire();
    auto b = co_await pool.acquire();
    EXPECT_EQ(pool.in_use(), 2);
    const std::int64_t pid_a = co_await backend_pid(*a);
    // Release `a` in 100 ms; the third acquire waits for it instead of opening a third.
    Connection* raw_a = a.get();
    asio::co_spawn(
        ex,
        [&pool, conn = std::move(a), ex]() mutable -> asio::awaitable<void> {
          co_await sleep_for(ex, 100ms);
          pool.release(std::move(conn));
        },
        asio::detached);
    const auto started = Clock::now();
    auto c = co_await pool.acquire();
    EXPECT_GE(Clock::now() - started, 90ms);
    EXPECT_EQ(c.get(), raw_a);
    EXPECT_EQ(co_await backend_pid(*c), pid_a);
    pool.release(std::move(b));
    pool.release(std::move(c));
    EXPECT_EQ(pool.in_use(), 0);
    EXPECT_EQ(pool.idle(), 2);
  });
}

TEST(PgPool, AWaiterGivesUpAtTheAcquireTimeoutAndTheLineIsBounded) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    PoolOptions o = options(1);
    o.acquire_timeout = 200ms;
    o.max_waiters = 1;
    Pool pool(ex, o);
    auto only = co_await pool.acquire();
    // One waiter fills the line; a second is refused at once.
    bool first_timed_out = false;
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
          try {
            co_await pool.acquire();
          } catch (const PoolExhausted&) {
            first_timed_out = true;
          }
        },
        asio::detached);
    co_await sleep_for(ex, 20ms);
    const auto started = Clock::now();
    bool refused = false;
    try {
      co_await pool.acquire();
    } catch (const PoolExhausted&) {
      refused = true;
    }
    EXPECT_TRUE(refused);
    EXPECT_LT(Clock::now() - started, 50ms);
    co_await sleep_for(ex, 300ms);
    EXPECT_TRUE(first_timed_out);
    pool.release(std::move(only));
  });
}

TEST(PgPool, ConnectionsAreRecycledAfterTheirLifetime) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    PoolOptions o = options(2);
    o.lifetime = 300ms;
    Pool pool(ex, o);
    auto c = co_await pool.acquire();
    const std::int64_t first = co_await backend_pid(*c);
    pool.release(std::move(c));
    c = co_await pool.acquire();
    EXPECT_EQ(co_await backend_pid(*c), first);  // young: reused
    pool.release(std::move(c));
    co_await sleep_for(ex, 350ms);
    c = co_await pool.acquire();
    EXPECT_NE(co_await backend_pid(*c), first);  // past its lifetime: a new one
    pool.release(std::move(c));
  });
}

TEST(PgPool, IdleConnectionsCloseDownToTheMinimumAndTheMinimumIsKept) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    PoolOptions o = options(5, 1);
    o.idle_timeout = 100ms;
    Pool pool(ex, o);
    auto a = co_await pool.acquire();
    auto b = co_await pool.acquire();
    auto c = co_await pool.acquire();
    pool.release(std::move(a));
    pool.release(std::move(b));
    pool.release(std::move(c));
    EXPECT_EQ(pool.idle(), 3);
    co_await sleep_for(ex, 150ms);
    pool.maintain();
    EXPECT_EQ(pool.idle(), 1);  // min_conns stays open
    Pool warm(ex, options(5, 3));
    warm.maintain();  // opens up to min_conns in the background
    for (int i = 0; i < 50 && warm.idle() < 3; ++i) co_await sleep_for(ex, 20ms);
    EXPECT_EQ(warm.idle(), 3);
  });
}

TEST(PgPool, ABrokenConnectionIsNotReturnedToThePool) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    Pool pool(ex, options(2));
    auto c = co_await pool.acquire();
    c->set_deadline(Clock::now() + 50ms);
    try {
      co_await c->query("SELECT pg_sleep(1)");
    } catch (const PgError&) {
    }
    pool.release(std::move(c));
    EXPECT_EQ(pool.idle(), 0);
    // So is one left inside a transaction.
    auto d = co_await pool.acquire();
    co_await d->query("BEGIN");
    pool.release(std::move(d));
    EXPECT_EQ(pool.idle(), 0);
  });
}

TEST(PgPool, AnUnreachableDatabaseFailsFastWhileBackingOff) {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    PoolOptions o = options(4);
    o.conninfo = "postgresql://boxoffice@127.0.0.1:1/x";
    Pool pool(ex, o);
    int failures = 0;
    for (int i = 0; i < 2; ++i) {
      try {
        co_await pool.acquire();
      } catch (const PgError& e) {
        if (e.kind() == ErrorKind::dead) ++failures;
      }
    }
    EXPECT_EQ(failures, 2);
    EXPECT_FALSE(pool.reachable());
    const auto started = Clock::now();
    try {
      co_await pool.acquire();
    } catch (const PgError&) {
    }
    EXPECT_LT(Clock::now() - started, 20ms);  // no connect attempted during the back-off
  });
}

}  // namespace
}  // namespace boxoffice::pg
