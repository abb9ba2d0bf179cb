#include "store/postgres/pg_pool.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "ops/log.hpp"

namespace boxoffice::pg {

struct Pool::Waiter {
  explicit Waiter(asio::any_io_executor ex) : timer(ex) {}
  asio::steady_timer timer;
  std::unique_ptr<Connection> conn;  // handed over by release()
};

Pool::Pool(asio::any_io_executor ex, PoolOptions options)
    : ex_(std::move(ex)), options_(std::move(options)) {}

Pool::~Pool() {
  close();
}

void Pool::publish_counts() {
  idle_count_.store(static_cast<std::int64_t>(idle_.size()), std::memory_order_relaxed);
}

void Pool::note_failure() {
  ++failures_;
  // Back off 100 ms, 200 ms ... up to 2 s: a database that is down is not hammered, and
  // requests meanwhile fail at once instead of each waiting for its own connect timeout.
  const auto backoff = std::min<std::chrono::milliseconds>(
      std::chrono::milliseconds(100) * (1 << std::min(failures_ - 1, 5)), std::chrono::seconds(2));
  retry_at_ = std::chrono::steady_clock::now() + backoff;
  if (reachable_.exchange(false, std::memory_order_relaxed))
    logging::warn("database unreachable", {{"db", options_.name}, {"error", last_error_}});
  // With no connection left to come back, everyone waiting learns it now rather than at their
  // deadline; otherwise they keep waiting for a release.
  if (open_ == 0)
    for (Waiter* w : waiters_) w->timer.cancel();
}

void Pool::wake_one() {
  if (waiters_.empty()) return;
  Waiter* w = waiters_.front();
  waiters_.pop_front();
  w->timer.cancel();
}

asio::awaitable<std::unique_ptr<Connection>> Pool::open() {
  ++connecting_;
  std::unique_ptr<Connection> c;
  std::optional<std::string> failed;
  try {
    c = co_await Connection::connect(ex_, options_.conninfo, options_.connect_timeout);
  } catch (const std::exception& e) {
    failed = e.what();
  }
  --connecting_;
  // Someone may have waited for a connect slot.
  wake_one();
  if (failed) {
    last_error_ = *failed;
    note_failure();
    throw PgError(ErrorKind::dead, "08001", "", *failed);
  }
  ++open_;
  failures_ = 0;
  if (!reachable_.exchange(true, std::memory_order_relaxed))
    logging::info("database reachable again", {{"db", options_.name}});
  // Up to 10 % jitter, so that connections opened together are not all recycled together.
  const auto lifetime = options_.lifetime.count();
  const auto jitter = std::uniform_int_distribution<std::int64_t>(0, lifetime / 10)(jitter_);
  c->expires_at = c->created_at() + std::chrono::milliseconds(lifetime - jitter);
  co_return c;
}

asio::awaitable<std::unique_ptr<Connection>> Pool::acquire() {
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  for (;;) {
    if (closed_) throw PgError(ErrorKind::dead, "", "", "the " + options_.name + " pool is closed");
    const auto now = std::chrono::steady_clock::now();
    while (!idle_.empty()) {
      std::unique_ptr<Connection> c = std::move(idle_.back());
      idle_.pop_back();
      if (c->alive() && now < c->expires_at) {
        in_use_.fetch_add(1, std::memory_order_relaxed);
        publish_counts();
        co_return c;
      }
      --open_;
    }
    publish_counts();
    const bool room = open_ + connecting_ < options_.max_conns;
    const bool backing_off = now < retry_at_;
    // Fail at once only when nothing can come back: no connection exists to be released.
    if (room && backing_off && open_ == 0 && connecting_ == 0)
      throw PgError(ErrorKind::dead, "", "",
                    "the " + options_.name + " database is not reachable: " + last_error_);
    // A few connects at a time: a recovering database is not met by a storm of them.
    if (room && !backing_off && connecting_ < kMaxConnecting) {
      std::unique_ptr<Connection> c = co_await open();
      in_use_.fetch_add(1, std::memory_order_relaxed);
      co_return c;
    }
    if (waiters_.size() >= options_.max_waiters)
      throw PoolExhausted("too many requests are waiting for a " + options_.name +
                          " database connection");
    if (now >= deadline)
      throw PoolExhausted("no " + options_.name + " database connection came free in time");
    Waiter w(ex_);
    w.timer.expires_at(backing_off && open_ == 0 ? std::min(deadline, retry_at_) : deadline);
    waiters_.push_back(&w);
    boost::system::error_code ec;
    co_await w.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (auto it = std::find(waiters_.begin(), waiters_.end(), &w); it != waiters_.end())
      waiters_.erase(it);
    if (w.conn) {
      in_use_.fetch_add(1, std::memory_order_relaxed);
      co_return std::move(w.conn);
    }
    // Woken without a connection: one was closed or a connect finished (room to open
    // another), connecting failed, or the deadline passed; the loop decides which.
  }
}

void Pool::release(std::unique_ptr<Connection> c) {
  in_use_.fetch_sub(1, std::memory_order_relaxed);
  if (!c) return;
  if (closed_ || !c->reusable() || std::chrono::steady_clock::now() >= c->expires_at) {
    c.reset();
    --open_;
    wake_one();  // room for a waiter to open its own
    publish_counts();
    return;
  }
  c->last_used = std::chrono::steady_clock::now();
  if (!waiters_.empty()) {
    Waiter* w = waiters_.front();
    waiters_.pop_front();
    w->conn = std::move(c);
    w->timer.cancel();
  } else {
    idle_.push_back(std::move(c));
  }
  publish_counts();
}

asio::awaitable<void> Pool::warm_one() {
  try {
    std::unique_ptr<Connection> c = co_await open();
    in_use_.fetch_add(1, std::memory_order_relaxed);
    release(std::move(c));
  } catch (const std::exception&) {
    // Logged by note_failure; maintain() tries again after the back-off.
  }
}

void Pool::maintain() {
  if (closed_) return;
  const auto now = std::chrono::steady_clock::now();
  for (auto it = idle_.begin(); it != idle_.end();) {
    const bool aged = now >= (*it)->expires_at;
    const bool stale =
        now - (*it)->last_used >= options_.idle_timeout && open_ > options_.min_conns;
    if (aged || stale || !(*it)->alive()) {
      it = idle_.erase(it);
      --open_;
    } else {
      ++it;
    }
  }
  publish_counts();
  // A few connects per round, so a restart of the database is not met by a connect storm.
  const int missing = std::min(options_.min_conns - (open_ + connecting_), 4);
  if (now < retry_at_) return;
  for (int i = 0; i < missing; ++i) asio::co_spawn(ex_, warm_one(), asio::detached);
}

void Pool::close() {
  closed_ = true;
  open_ -= static_cast<int>(idle_.size());
  idle_.clear();
  for (Waiter* w : waiters_) w->timer.cancel();
  waiters_.clear();
  publish_counts();
}

}  // namespace boxoffice::pg
