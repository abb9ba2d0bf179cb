#pragma once
// A bounded pool of PostgreSQL connections for one database (the command DB or the query DB).
//
// Threading: the pool and all its connections live on one dedicated "database" executor (one
// thread with its own io_context), and the server's I/O threads hop to it for each unit of work
// (async/bridge.hpp). Why not a pool per I/O thread: N threads x BOXOFFICE_DB_MAX_CONNS would
// reach PgBouncer, a group commit could only batch one thread's bookings, and a libpq socket
// cannot move between io_contexts. The hop costs a few microseconds against a round trip of
// ~100 us, and libpq's parsing on one thread is far below what the database itself can commit
// on this machine kind. Nothing in this class is thread-safe except the counters.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "store/postgres/pg_connection.hpp"

namespace boxoffice::pg {

struct PoolOptions {
  std::string name;      // "command" or "query": labels, logs and error messages
  std::string conninfo;  // a postgresql:// URL
  int max_conns = 100;
  int min_conns = 20;
  std::chrono::milliseconds lifetime = std::chrono::hours(1);
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(30);
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(3);
  // How long a unit of work may wait for a connection when all are in use.
  std::chrono::milliseconds acquire_timeout = std::chrono::seconds(2);
  // Units of work waiting for a connection at most; beyond it acquire fails at once.
  std::size_t max_waiters = 10'000;
};

// Thrown by acquire when no connection came free in time or the waiting line is full.
class PoolExhausted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Pool {
 public:
  Pool(asio::any_io_executor ex, PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A connection for one unit of work. Throws PgError(dead) when the database cannot be
  // reached (at once while connecting is backing off after failures) and PoolExhausted.
  asio::awaitable<std::unique_ptr<Connection>> acquire();
  // Back to the pool if it is idle and young enough, else closed.
  void release(std::unique_ptr<Connection> c);

  // Closes connections idle past idle_timeout (down to min_conns) or past their lifetime and
  // opens connections up to min_conns. Called every few seconds on the pool's executor.
  void maintain();
  // Closes every idle connection and fails every waiter; later acquires fail.
  void close();

  const PoolOptions& options() const noexcept { return options_; }
  std::int64_t in_use() const noexcept { return in_use_.load(std::memory_order_relaxed); }
  std::int64_t idle() const noexcept { return idle_count_.load(std::memory_order_relaxed); }
  // False after a failed connect until a connect succeeds again.
  bool reachable() const noexcept { return reachable_.load(std::memory_order_relaxed); }

 private:
  struct Waiter;
  static constexpr int kMaxConnecting = 4;  // connects in flight at once
  asio::awaitable<std::unique_ptr<Connection>> open();
  asio::awaitable<void> warm_one();
  void note_failure();
  void wake_one();
  void publish_counts();

  asio::any_io_executor ex_;
  PoolOptions options_;
  // Idle connections, most recently used at the back (taken from the back, so the surplus at
  // the front ages out). Bounded by max_conns; closed by maintain() after idle_timeout.
  std::deque<std::unique_ptr<Connection>> idle_;
  // Units of work waiting for a connection, oldest first. Bounded by max_waiters; each waits
  // at most acquire_timeout.
  std::deque<Waiter*> waiters_;
  int open_ = 0;        // connections that exist (idle + in use)
  int connecting_ = 0;  // connects in flight
  int failures_ = 0;    // consecutive failed connects
  std::chrono::steady_clock::time_point retry_at_{};
  std::string last_error_;
  bool closed_ = false;
  std::minstd_rand jitter_{std::random_device{}()};
  std::atomic<std::int64_t> in_use_{0};
  std::atomic<std::int64_t> idle_count_{0};
  std::atomic<bool> reachable_{true};
};

}  // namespace boxoffice::pg
