#include "store/postgres/postgres_store.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <future>
#include <optional>
#include <random>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "async/bridge.hpp"
#include "async/run_sync.hpp"
#include "domain/time.hpp"
#include "ops/log.hpp"
#include "ops/metrics.hpp"
#include "store/migrations/postgres_migrations.hpp"
#include "store/postgres/pg_pool.hpp"
#include "store/row_codec.hpp"

namespace boxoffice {
namespace {

using namespace codec;
using pg::Connection;
using pg::ErrorKind;
using pg::Params;
using pg::PgError;
using pg::Rows;
using Clock = std::chrono::steady_clock;

// Any constant: all instances agree on it, and only migrations take it.
constexpr std::int64_t kMigrationLock = 0x626f786f6666;  // "boxoff"

asio::awaitable<int> apply_migrations(Connection& c) {
  // One transaction: a second instance starting at the same moment waits on the lock, then
  // finds every version applied. A transaction-level lock is released by COMMIT, so it works
  // through PgBouncer's transaction pooling (a session lock would not).
  const Params lock(kMigrationLock);
  co_await c.query("BEGIN");
  co_await c.query("SELECT pg_advisory_xact_lock($1)", lock);
  co_await c.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT "
      "NULL, applied_at bigint NOT NULL)");
  const Rows current = co_await c.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  const std::int64_t done = current.int64(0, 0);
  int applied = 0;
  for (const Migration& m : postgres_migrations()) {
    if (m.version <= done) continue;
    co_await c.script(m.sql);
    const Params row(static_cast<std::int64_t>(m.version), m.name, now_unix());
    co_await c.query(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", row);
    ++applied;
  }
  co_await c.query("COMMIT");
  co_return applied;
}

asio::awaitable<int> migrate_with(std::string url) {
  auto ex = co_await asio::this_coro::executor;
  auto c = co_await Connection::connect(ex, url, std::chrono::seconds(10));
  c->set_deadline(Clock::now() + std::chrono::minutes(5));
  co_return co_await apply_migrations(*c);
}

User read_user(const Rows& r, int i) {
  return User{r.int64(i, 0), r.text(i, 1), r.text(i, 2), parse_role(r.text(i, 3))};
}

constexpr const char* kMovieColumns =
    "SELECT id, title, description, duration_minutes, rating, genres FROM movies ";

Movie read_movie(const Rows& r, int i) {
  return Movie{r.int64(i, 0), r.text(i, 1),
               r.text(i, 2),  static_cast<int>(r.int64(i, 3)),
               r.text(i, 4),  strings_from_json(r.text(i, 5))};
}

#define BOXOFFICE_PG_SHOW_COLUMNS                                                           \
  "SELECT id, movie_id, screen_id, theater_id, starts_at, ends_at, prices_json, currency, " \
  "seat_count, timezone FROM shows "

Show read_show(const Rows& r, int i) {
  Show s;
  s.id = r.int64(i, 0);
  s.movie_id = r.int64(i, 1);
  s.screen_id = r.int64(i, 2);
  s.theater_id = r.int64(i, 3);
  s.starts_at = r.int64(i, 4);
  s.ends_at = r.int64(i, 5);
  s.prices = prices_from_json(r.text(i, 6));
  s.currency = r.text(i, 7);
  s.seat_count = static_cast<int>(r.int64(i, 8));
  s.timezone = r.text(i, 9);
  return s;
}

constexpr const char* kBookingColumns =
    "SELECT id, user_id, show_id, seats_json, total_cents, currency, status, created_at FROM "
    "bookings ";

Booking read_booking(const Rows& r, int i) {
  Booking b;
  b.id = r.int64(i, 0);
  b.user_id = r.int64(i, 1);
  b.show_id = r.int64(i, 2);
  b.seats = strings_from_json(r.text(i, 3));
  b.total_cents = r.int64(i, 4);
  b.currency = r.text(i, 5);
  b.status = r.text(i, 6) == "cancelled" ? BookingStatus::cancelled : BookingStatus::confirmed;
  b.created_at = r.int64(i, 7);
  return b;
}

Screen read_screen(const Rows& r, int i) {
  return Screen{r.int64(i, 0), r.int64(i, 1), r.text(i, 2), rows_from_json(r.text(i, 3)),
                static_cast<int>(r.int64(i, 4))};
}

asio::awaitable<std::optional<Movie>> load_movie(Connection& c, Id id) {
  const Params p(id);
  const Rows r = co_await c.query(std::string(kMovieColumns) + "WHERE id = $1", p);
  if (r.empty()) co_return std::nullopt;
  co_return read_movie(r, 0);
}

asio::awaitable<std::optional<Screen>> load_screen(Connection& c, Id id) {
  const Params p(id);
  const Rows r = co_await c.query(
      "SELECT id, theater_id, name, rows_json, seat_count FROM screens WHERE id = $1", p);
  if (r.empty()) co_return std::nullopt;
  co_return read_screen(r, 0);
}

asio::awaitable<std::optional<Booking>> load_booking(Connection& c, Id id) {
  const Params p(id);
  const Rows r = co_await c.query(std::string(kBookingColumns) + "WHERE id = $1", p);
  if (r.empty()) co_return std::nullopt;
  co_return read_booking(r, 0);
}

// Screens of the given theaters, in id order, appended to each theater.
asio::awaitable<void> attach_screens(Connection& c, std::vector<Theater>& theaters) {
  if (theaters.empty()) co_return;
  std::vector<std::string> ids;
  for (const Theater& t : theaters) ids.push_back(std::to_string(t.id));
  const Params p(pg::text_array(ids));
  const Rows r = co_await c.query(
      "SELECT id, theater_id, name, rows_json, seat_count FROM screens WHERE theater_id = "
      "ANY($1::bigint[]) ORDER BY id",
      p);
  for (int i = 0; i < r.size(); ++i) {
    Screen s = read_screen(r, i);
    for (Theater& t : theaters)
      if (t.id == s.theater_id) t.screens.push_back(s);
  }
}

template <class T>
using Work = std::function<asio::awaitable<Result<T>>(Connection&)>;

enum class Db { command, catalog_list };

// A booking waiting for the next group commit.
struct PendingBooking {
  NewBooking booking;
  Deliver<Result<Booking>> deliver;
};

class PostgresStore final : public Store, public std::enable_shared_from_this<PostgresStore> {
 public:
  explicit PostgresStore(const PostgresOptions& o) : options_(o) {
    pg::PoolOptions base;
    base.max_conns = o.max_conns;
    base.min_conns = o.min_conns;
    base.lifetime = o.conn_lifetime;
    base.idle_timeout = o.idle_timeout;
    base.connect_timeout = o.connect_timeout;
    base.acquire_timeout = o.acquire_timeout;
    pg::PoolOptions command = base;
    command.name = "command";
    command.conninfo = o.command_url;
    command_ = std::make_unique<pg::Pool>(ctx_.get_executor(), command);
    if (!o.query_url.empty()) {
      pg::PoolOptions query = base;
      query.name = "query";
      query.conninfo = o.query_url;
      query_ = std::make_unique<pg::Pool>(ctx_.get_executor(), query);
    }
    command_latency_ = o.command_latency ? o.command_latency : std::make_shared<LatencyHistogram>();
    query_latency_ = o.query_latency ? o.query_latency : std::make_shared<LatencyHistogram>();
  }

  // Starts the database thread and the pools' upkeep (after migrations ran).
  void start() {
    thread_ = std::thread([this] { ctx_.run(); });
    asio::co_spawn(ctx_, maintain_loop(), asio::detached);
  }

  ~PostgresStore() override { stop(); }

  // Fails what is queued, lets what is running finish (bounded by the query timeout), closes
  // the pools and joins the database thread.
  void stop() override {
    if (stopped_.exchange(true)) return;
    auto closed = std::make_shared<std::promise<void>>();
    auto closed_future = closed->get_future();
    asio::post(ctx_, [this, closed] {
      stopping_ = true;
      if (maintain_timer_) maintain_timer_->cancel();
      for (PendingBooking& p : pending_)
        p.deliver(Error::unavailable("the server is shutting down"));
      pending_.clear();
      command_->close();
      if (query_) query_->close();
      closed->set_value();
    });
    closed_future.wait_for(std::chrono::seconds(2));
    const auto deadline = Clock::now() + options_.query_timeout + std::chrono::seconds(1);
    while (in_flight_.load() > 0 && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    guard_.reset();
    ctx_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::vector<PoolUsage> pool_usage() const override {
    std::vector<PoolUsage> out{
        {"command", command_->in_use(), command_->idle(), command_->reachable()}};
    if (query_) out.push_back({"query", query_->in_use(), query_->idle(), query_usable()});
    return out;
  }

  static std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
        .count();
  }

  // The query DB answered its last connect and no list failed on it lately.
  bool query_usable() const {
    return query_ && query_->reachable() &&
           steady_ms() >= query_down_until_ms_.load(std::memory_order_relaxed);
  }

  asio::awaitable<std::vector<HealthCheck>> health() override {
    std::vector<HealthCheck> checks;
    Work<Unit> select_one = [](Connection& c) -> asio::awaitable<Result<Unit>> {
      co_await c.query("SELECT 1");
      co_return Unit{};
    };
    // Readiness answers within a probe's patience, whatever the query timeout.
    const auto patience =
        std::min<std::chrono::milliseconds>(options_.query_timeout, std::chrono::seconds(2));
    auto command = co_await run<Unit>(Db::command, select_one, true, Route::command_only, patience);
    checks.push_back(
        HealthCheck{"command_db", command ? "ok" : command.error().detail, command.ok(), false});
    if (query_) {
      auto query =
          co_await run<Unit>(Db::catalog_list, select_one, true, Route::query_only, patience);
      if (query) query_down_until_ms_.store(INT64_MIN / 2, std::memory_order_relaxed);
      checks.push_back(HealthCheck{
          "query_db",
          query ? "ok" : query.error().detail + "; catalog lists are read from the command DB",
          query.ok(), true});
    }
    co_return checks;
  }

  asio::awaitable<Result<std::string>> secret(std::string name, std::string fresh) override {
    Work<std::string> w = [name = std::move(name), fresh = std::move(fresh)](
                              Connection& c) -> asio::awaitable<Result<std::string>> {
      const Params p(name, fresh);
      co_await c.query(
          "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", p);
      const Params q(name);
      const Rows r = co_await c.query("SELECT value FROM secrets WHERE name = $1", q);
      co_return r.text(0, 0);
    };
    return run<std::string>(Db::command, std::move(w), true);
  }

  asio::awaitable<Status> purge_expired(UnixSeconds idempotency_before) override {
    Work<Unit> w = [idempotency_before](Connection& c) -> asio::awaitable<Result<Unit>> {
      const Params keys(idempotency_before);
      co_await c.query(
          "DELETE FROM idempotency_keys WHERE (user_id, key) IN (SELECT user_id, key FROM "
          "idempotency_keys WHERE created_at < $1 LIMIT 1000)",
          keys);
      const Params sessions(now_unix());
      co_await c.query(
          "DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions WHERE "
          "expires_at < $1 LIMIT 1000)",
          sessions);
      co_return Unit{};
    };
    return run<Unit>(Db::command, std::move(w), true);
  }

  // ---- accounts ----

  asio::awaitable<Result<User>> create_user(NewUser u) override {
    Work<User> w = [u = std::move(u)](Connection& c) -> asio::awaitable<Result<User>> {
      const Params p(u.email, u.name, u.password_hash, std::string(role_name(u.role)), now_unix());
      bool taken = false;
      Rows r;
      try {
        r = co_await c.query(
            "INSERT INTO users (email, name, password_hash, role, created_at) VALUES ($1, $2, $3, "
            "$4, $5) RETURNING id",
            p);
      } catch (const PgError& e) {
        if (e.kind() != ErrorKind::unique || e.constraint() != "users_email_key") throw;
        taken = true;
      }
      if (taken)
        co_return Error::conflict(Problem::email_taken,
                                  "an account with this email already exists");
      co_return User{r.int64(0, 0), u.email, u.name, u.role};
    };
    return run<User>(Db::command, std::move(w), false);
  }

  asio::awaitable<Result<User>> ensure_admin(NewUser u) override {
    Work<User> w = [u = std::move(u)](Connection& c) -> asio::awaitable<Result<User>> {
      const Params p(u.email, u.name, u.password_hash, now_unix());
      const Rows r = co_await c.query(
          "INSERT INTO users (email, name, password_hash, role, created_at) VALUES ($1, $2, $3, "
          "'admin', $4) ON CONFLICT ((lower(email))) DO UPDATE SET role = 'admin', "
          "password_hash = EXCLUDED.password_hash RETURNING id, email, name, role",
          p);
      co_return read_user(r, 0);
    };
    return run<User>(Db::command, std::move(w), true);
  }

  asio::awaitable<Result<std::optional<UserRecord>>> find_user_by_email(
      std::string email) override {
    using R = std::optional<UserRecord>;
    Work<R> w = [email = std::move(email)](Connection& c) -> asio::awaitable<Result<R>> {
      const Params p(email);
      const Rows r = co_await c.query(
          "SELECT id, email, name, role, password_hash FROM users WHERE lower(email) = "
          "lower($1)",
          p);
      R out;  // built in place: g++ -O1 sees the aggregate temporary as maybe-uninitialized
      if (!r.empty()) {
        out.emplace();
        out->user = read_user(r, 0);
        out->password_hash = r.text(0, 4);
      }
      co_return out;
    };
    return run<R>(Db::command, std::move(w), true);
  }

  asio::awaitable<Status> create_session(std::string token_hash, Id user_id,
                                         UnixSeconds expires_at) override {
    Work<Unit> w = [token_hash = std::move(token_hash), user_id,
                    expires_at](Connection& c) -> asio::awaitable<Result<Unit>> {
      const Params p(token_hash, user_id, expires_at);
      co_await c.query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
                       p);
      co_return Unit{};
    };
    return run<Unit>(Db::command, std::move(w), false);
  }

  asio::awaitable<Result<std::optional<SessionRecord>>> find_session(
      std::string token_hash) override {
    using R = std::optional<SessionRecord>;
    Work<R> w = [h = std::move(token_hash)](Connection& c) -> asio::awaitable<Result<R>> {
      const Params p(h, now_unix());
      const Rows r = co_await c.query(
          "SELECT u.id, u.email, u.name, u.role, s.expires_at FROM sessions s JOIN users u ON "
          "u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
          p);
      R out;
      if (!r.empty()) {
        out.emplace();
        out->user = read_user(r, 0);
        out->expires_at = r.int64(0, 4);
      }
      co_return out;
    };
    return run<R>(Db::command, std::move(w), true);
  }

  asio::awaitable<Status> delete_session(std::string token_hash) override {
    Work<Unit> w = [h = std::move(token_hash)](Connection& c) -> asio::awaitable<Result<Unit>> {
      const Params p(h);
      co_await c.query("DELETE FROM sessions WHERE token_hash = $1", p);
      co_return Unit{};
    };
    return run<Unit>(Db::command, std::move(w), true);
  }

  // ---- catalog ----

  asio::awaitable<Result<Movie>> create_movie(Movie m) override {
    wrote_catalog();
    Work<Movie> w = [m = std::move(m)](Connection& c) -> asio::awaitable<Result<Movie>> {
      const Params p(m.title, m.description, m.duration_minutes, m.rating,
                     strings_to_json(m.genres));
      const Rows r = co_await c.query(
          "INSERT INTO movies (title, description, duration_minutes, rating, genres) VALUES ($1, "
          "$2, $3, $4, $5) RETURNING id",
          p);
      Movie out = m;
      out.id = r.int64(0, 0);
      co_return out;
    };
    return run_catalog_write<Movie>(std::move(w), false);
  }

  asio::awaitable<Result<Movie>> update_movie(Id id, MoviePatch patch) override {
    wrote_catalog();
    Work<Movie> w = [id, p = std::move(patch)](Connection& c) -> asio::awaitable<Result<Movie>> {
      co_await c.query("BEGIN");
      const Params key(id);
      const Rows r = co_await c.query(std::string(kMovieColumns) + "WHERE id = $1 FOR UPDATE", key);
      if (r.empty()) {
        co_await c.query("ROLLBACK");
        co_return Error::not_found("movie " + std::to_string(id) + " does not exist");
      }
      Movie m = read_movie(r, 0);
      if (p.title) m.title = *p.title;
      if (p.description) m.description = *p.description;
      if (p.duration_minutes) m.duration_minutes = *p.duration_minutes;
      if (p.rating) m.rating = *p.rating;
      if (p.genres) m.genres = *p.genres;
      const Params values(m.title, m.description, m.duration_minutes, m.rating,
                          strings_to_json(m.genres), id);
      co_await c.query(
          "UPDATE movies SET title = $1, description = $2, duration_minutes = $3, rating = $4, "
          "genres = $5 WHERE id = $6",
          values);
      co_await c.query("COMMIT");
      co_return m;
    };
    return run_catalog_write<Movie>(std::move(w), true);
  }

  asio::awaitable<Status> delete_movie(Id id) override {
    wrote_catalog();
    Work<Unit> w = [id](Connection& c) -> asio::awaitable<Result<Unit>> {
      const Params p(id);
      const Rows has = co_await c.query(
          "SELECT EXISTS (SELECT 1 FROM movies WHERE id = $1), EXISTS (SELECT 1 FROM bookings b "
          "JOIN shows s ON s.id = b.show_id WHERE s.movie_id = $1)",
          p);
      if (has.text(0, 0) != "t")
        co_return Error::not_found("movie " + std::to_string(id) + " does not exist");
      const auto in_use = Error::conflict(
          Problem::movie_has_bookings, "the movie has shows with bookings and cannot be deleted");
      if (has.text(0, 1) == "t") co_return in_use;
      // A booking made since the check makes the cascade fail on bookings' foreign key: the
      // database, not the check, decides.
      bool referenced = false;
      try {
        co_await c.query("DELETE FROM movies WHERE id = $1", p);
      } catch (const PgError& e) {
        if (e.kind() != ErrorKind::foreign) throw;
        referenced = true;
      }
      if (referenced) co_return in_use;
      co_return Unit{};
    };
    // Not repeated after a lost reply: a second run would answer 404 for its own delete.
    return run_catalog_write<Unit>(std::move(w), false);
  }

  asio::awaitable<Result<std::optional<Movie>>> get_movie(Id id) override {
    using R = std::optional<Movie>;
    Work<R> w = [id](Connection& c) -> asio::awaitable<Result<R>> {
      co_return co_await load_movie(c, id);
    };
    return run<R>(Db::command, std::move(w), true);
  }

  asio::awaitable<Result<Page<Movie>>> list_movies(Id after_id, int limit) override {
    Work<Page<Movie>> w = [after_id, limit](Connection& c) -> asio::awaitable<Result<Page<Movie>>> {
      const Params p(after_id, limit + 1);
      const Rows r =
          co_await c.query(std::string(kMovieColumns) + "WHERE id > $1 ORDER BY id LIMIT $2", p);
      std::vector<Movie> items;
      for (int i = 0; i < r.size(); ++i) items.push_back(read_movie(r, i));
      co_return finish_page(std::move(items), limit);
    };
    return run<Page<Movie>>(Db::catalog_list, std::move(w), true);
  }

  asio::awaitable<Result<Theater>> create_theater(NewTheater t) override {
    wrote_catalog();
    Work<Theater> w = [t = std::move(t)](Connection& c) -> asio::awaitable<Result<Theater>> {
      co_await c.query("BEGIN");
      const Params p(t.name, t.city, t.timezone);
      const Rows r = co_await c.query(
          "INSERT INTO theaters (name, city, timezone) VALUES ($1, $2, $3) RETURNING id", p);
      Theater out{r.int64(0, 0), t.name, t.city, t.timezone, {}};
      for (const NewScreen& s : t.screens) {
        int count = 0;
        for (const auto& row : s.rows) count += row.seats;
        const Params sp(out.id, s.name, rows_to_json(s.rows), count);
        const Rows sr = co_await c.query(
            "INSERT INTO screens (theater_id, name, rows_json, seat_count) VALUES ($1, $2, $3, $4) "
            "RETURNING id",
            sp);
        out.screens.push_back(Screen{sr.int64(0, 0), out.id, s.name, s.rows, count});
      }
      co_await c.query("COMMIT");
      co_return out;
    };
    return run_catalog_write<Theater>(std::move(w), false);
  }

  asio::awaitable<Result<std::optional<Theater>>> get_theater(Id id) override {
    using R = std::optional<Theater>;
    Work<R> w = [id](Connection& c) -> asio::awaitable<Result<R>> {
      const Params p(id);
      const Rows r =
          co_await c.query("SELECT id, name, city, timezone FROM theaters WHERE id = $1", p);
      if (r.empty()) co_return R{};
      std::vector<Theater> one(1);
      one[0].id = r.int64(0, 0);
      one[0].name = r.text(0, 1);
      one[0].city = r.text(0, 2);
      one[0].timezone = r.text(0, 3);
      co_await attach_screens(c, one);
      co_return R{std::move(one.front())};
    };
    return run<R>(Db::command, std::move(w), true);
  }

  asio::awaitable<Result<Page<Theater>>> list_theaters(Id after_id, int limit) override {
    Work<Page<Theater>> w = [after_id,
                             limit](Connection& c) -> asio::awaitable<Result<Page<Theater>>> {
      const Params p(after_id, limit + 1);
      const Rows r = co_await c.query(
          "SELECT id, name, city, timezone FROM theaters WHERE id > $1 ORDER BY id LIMIT $2", p);
      std::vector<Theater> items;
      for (int i = 0; i < r.size(); ++i)
        items.push_back(Theater{r.int64(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), {}});
      co_await attach_screens(c, items);
      co_return finish_page(std::move(items), limit);
    };
    return run<Page<Theater>>(Db::catalog_list, std::move(w), true);
  }

  asio::awaitable<Result<std::optional<Screen>>> get_screen(Id id) override {
    using R = std::optional<Screen>;
    Work<R> w = [id](Connection& c) -> asio::awaitable<Result<R>> {
      co_return co_await load_screen(c, id);
    };
    return run<R>(Db::command, std::move(w), true);
  }

  asio::awaitable<Result<Show>> create_show(NewShow n) override {
    wrote_catalog();
    Work<Show> w = [n = std::move(n)](Connection& c) -> asio::awaitable<Result<Show>> {
      auto movie = co_await load_movie(c, n.movie_id);
      auto screen = co_await load_screen(c, n.screen_id);
      std::vector<FieldError> errors;
      if (!movie)
        errors.push_back({"movie_id", "movie " + std::to_string(n.movie_id) + " does not exist"});
      if (!screen)
        errors.push_back(
            {"screen_id", "screen " + std::to_string(n.screen_id) + " does not exist"});
      if (screen) {
        for (const auto& r : screen->rows)
          if (!n.prices.count(r.category))
            errors.push_back({"prices." + r.category, "the screen has seats of category '" +
                                                          r.category + "', which need a price"});
      }
      if (!errors.empty()) {
        std::sort(errors.begin(), errors.end(),
                  [](const FieldError& a, const FieldError& b) { return a.field < b.field; });
        errors.erase(std::unique(errors.begin(), errors.end()), errors.end());
        co_return Error::invalid(std::move(errors));
      }
      Show s;
      s.movie_id = n.movie_id;
      s.screen_id = n.screen_id;
      s.theater_id = screen->theater_id;
      s.starts_at = n.starts_at;
      s.ends_at = n.starts_at + static_cast<UnixSeconds>(movie->duration_minutes) * 60;
      s.prices = n.prices;
      s.currency = n.currency;
      s.seat_count = screen->seat_count;
      {
        const Params tp(s.theater_id);
        const Rows zone = co_await c.query("SELECT timezone FROM theaters WHERE id = $1", tp);
        if (!zone.empty()) s.timezone = zone.text(0, 0);
      }
      const Params p(s.movie_id, s.screen_id, s.theater_id, s.starts_at, s.ends_at,
                     prices_to_json(s.prices), s.currency, s.seat_count, s.timezone,
                     local_day_in(s.timezone, s.starts_at));
      std::optional<ErrorKind> refused;
      Rows r;
      try {
        r = co_await c.query(
            "INSERT INTO shows (movie_id, screen_id, theater_id, starts_at, ends_at, prices_json, "
            "currency, seat_count, timezone, local_day) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
            "$9, $10) RETURNING id",
            p);
      } catch (const PgError& e) {
        if (e.kind() != ErrorKind::exclusion && e.kind() != ErrorKind::foreign) throw;
        refused = e.kind();
      }
      if (refused == ErrorKind::foreign) {  // the movie or the screen went away meanwhile
        std::vector<FieldError> gone;
        gone.push_back(FieldError{"movie_id", "the movie or the screen no longer exists"});
        co_return Error::invalid(std::move(gone));
      }
      if (refused) {
        // The exclusion constraint refused it; name the show in the way.
        const Params o(s.screen_id, s.ends_at, s.starts_at);
        const Rows other = co_await c.query(
            "SELECT id FROM shows WHERE screen_id = $1 AND starts_at < $2 AND ends_at > $3 LIMIT 1",
            o);
        const std::string who = other.empty() ? "another show" : "show " + other.text(0, 0);
        co_return Error::conflict(
            Problem::screen_busy,
            "screen " + std::to_string(s.screen_id) + " is in use by " + who + " at that time");
      }
      s.id = r.int64(0, 0);
      co_return s;
    };
    return run_catalog_write<Show>(std::move(w), false);
  }

  asio::awaitable<Result<std::optional<Show>>> get_show(Id id) override {
    using R = std::optional<Show>;
    Work<R> w = [id](Connection& c) -> asio::awaitable<Result<R>> {
      const Params p(id);
      const Rows r = co_await c.query(BOXOFFICE_PG_SHOW_COLUMNS "WHERE id = $1", p);
      if (r.empty()) co_return R{};
      co_return R{read_show(r, 0)};
    };
    return run<R>(Db::command, std::move(w), true);
  }

  asio::awaitable<Result<Page<Show>>> list_shows(ShowFilter f) override {
    Work<Page<Show>> w = [f](Connection& c) -> asio::awaitable<Result<Page<Show>>> {
      // Filters that are absent are passed as NULL; each present one matches an index that is
      // ordered by (starts_at, id) within its key.
      Params p;
      p.add(f.after ? f.after->starts_at : INT64_MIN).add(f.after ? f.after->id : INT64_MIN);
      std::string sql = BOXOFFICE_PG_SHOW_COLUMNS "WHERE (starts_at, id) > ($1, $2)";
      if (f.movie_id) {
        p.add(*f.movie_id);
        sql += " AND movie_id = $" + std::to_string(p.size());
      }
      if (f.theater_id) {
        p.add(*f.theater_id);
        sql += " AND theater_id = $" + std::to_string(p.size());
      }
      if (f.local_day) {
        p.add(*f.local_day);
        sql += " AND local_day = $" + std::to_string(p.size());
      }
      p.add(f.limit + 1);
      sql += " ORDER BY starts_at, id LIMIT $" + std::to_string(p.size());
      const Rows r = co_await c.query(sql, p);
      std::vector<Show> items;
      for (int i = 0; i < r.size(); ++i) items.push_back(read_show(r, i));
      co_return finish_page(std::move(items), f.limit);
    };
    return run<Page<Show>>(Db::catalog_list, std::move(w), true);
  }

  // ---- bookings ----

  // Joins the next group commit (see commit_loop).
  asio::awaitable<Result<Booking>> confirm_booking(NewBooking n) override {
    auto start = [self = shared_from_this(),
                  n = std::move(n)](Deliver<Result<Booking>> deliver) mutable {
      asio::post(self->ctx_,
                 [self, job = PendingBooking{std::move(n), std::move(deliver)}]() mutable {
                   self->enqueue(std::move(job));
                 });
    };
    return await_callback<Result<Booking>>(std::move(start));
  }

  asio::awaitable<Result<std::vector<std::string>>> booked_seats(Id show_id) override {
    using R = std::vector<std::string>;
    Work<R> w = [show_id](Connection& c) -> asio::awaitable<Result<R>> {
      const Params p(show_id);
      const Rows r = co_await c.query("SELECT seat FROM seat_claims WHERE show_id = $1", p);
      R seats;
      seats.reserve(static_cast<std::size_t>(r.size()));
      for (int i = 0; i < r.size(); ++i) seats.push_back(r.text(i, 0));
      co_return seats;
    };
    return run<R>(Db::command, std::move(w), true);
  }

  asio::awaitable<Result<std::optional<IdempotencyRecord>>> find_idempotency(
      Id user_id, std::string key) override {
    using R = std::optional<IdempotencyRecord>;
    Work<R> w = [user_id, key = std::move(key)](Connection& c) -> asio::awaitable<Result<R>> {
      const Params p(user_id, key);
      const Rows r = co_await c.query(
          "SELECT request_hash, booking_id FROM idempotency_keys WHERE user_id = $1 AND key = $2",
          p);
      if (r.empty()) co_return R{};
      co_return R{IdempotencyRecord{r.text(0, 0), r.int64(0, 1)}};
    };
    return run<R>(Db::command, std::move(w), true);
  }

  asio::awaitable<Result<std::optional<Booking>>> get_booking(Id id) override {
    using R = std::optional<Booking>;
    Work<R> w = [id](Connection& c) -> asio::awaitable<Result<R>> {
      co_return co_await load_booking(c, id);
    };
    return run<R>(Db::command, std::move(w), true);
  }

  asio::awaitable<Result<Page<Booking>>> list_bookings(Id user_id, Id after_id,
                                                       int limit) override {
    Work<Page<Booking>> w = [user_id, after_id,
                             limit](Connection& c) -> asio::awaitable<Result<Page<Booking>>> {
      const Params p(user_id, after_id, limit + 1);
      const Rows r = co_await c.query(
          std::string(kBookingColumns) + "WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3", p);
      std::vector<Booking> items;
      for (int i = 0; i < r.size(); ++i) items.push_back(read_booking(r, i));
      co_return finish_page(std::move(items), limit);
    };
    return run<Page<Booking>>(Db::command, std::move(w), true);
  }

  asio::awaitable<Result<CancelOutcome>> cancel_booking(Id id) override {
    Work<CancelOutcome> w = [id](Connection& c) -> asio::awaitable<Result<CancelOutcome>> {
      // One statement, so one atomic change: only the request that flips the status frees the
      // seats, and it says so.
      const Params p(id);
      const Rows r = co_await c.query(
          "WITH flipped AS (UPDATE bookings SET status = 'cancelled' WHERE id = $1 AND status = "
          "'confirmed' RETURNING id), freed AS (DELETE FROM seat_claims WHERE booking_id IN "
          "(SELECT id FROM flipped)) SELECT count(*) FROM flipped",
          p);
      const bool changed = r.int64(0, 0) > 0;
      auto b = co_await load_booking(c, id);
      if (!b) co_return Error::not_found("booking " + std::to_string(id) + " does not exist");
      co_return CancelOutcome{std::move(*b), changed};
    };
    // Not repeated after a lost reply: the second run would say "unchanged" and the seats
    // would never be freed in the mirror.
    return run<CancelOutcome>(Db::command, std::move(w), false);
  }

 private:
  enum class Route { automatic, command_only, query_only };

  void wrote_catalog() {
    catalog_written_ms_.store(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
            .count(),
        std::memory_order_relaxed);
  }

  // Which pool serves a unit of work: the catalog lists go to the query DB unless this
  // instance wrote to the catalog moments ago or the query DB is unreachable.
  pg::Pool* pool_for(Db db, Route route) {
    if (route == Route::query_only && query_) return query_.get();
    if (db == Db::command || !query_ || route == Route::command_only) return command_.get();
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
            .count();
    if (now_ms - catalog_written_ms_.load(std::memory_order_relaxed) <
        options_.read_your_writes.count())
      return command_.get();
    return query_usable() ? query_.get() : command_.get();
  }

  // A catalog write, after which this instance reads its lists from the command DB for a
  // while: stamped before (a list read meanwhile) and after (the write may take long).
  template <class T>
  asio::awaitable<Result<T>> run_catalog_write(Work<T> work, bool idempotent) {
    wrote_catalog();
    Work<T> stamped = [self = shared_from_this(),
                       work = std::move(work)](Connection& c) -> asio::awaitable<Result<T>> {
      Result<T> r = co_await work(c);
      self->wrote_catalog();
      co_return r;
    };
    return run<T>(Db::command, std::move(stamped), idempotent);
  }

  // Runs `work` on a connection of the right database, on the database thread, and resumes the
  // caller on its own executor. Not a coroutine: the Work is moved into execute()'s frame.
  template <class T>
  asio::awaitable<Result<T>> run(Db db, Work<T> work, bool idempotent,
                                 Route route = Route::automatic,
                                 std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    auto start = [self = shared_from_this(), db, route, idempotent, timeout,
                  work = std::move(work)](Deliver<Result<T>> deliver) mutable {
      asio::co_spawn(self->ctx_,
                     self->execute<T>(db, std::move(work), idempotent, route,
                                      timeout.value_or(self->options_.query_timeout)),
                     [deliver = std::move(deliver)](std::exception_ptr e, Result<T> r) {
                       if (e) {
                         deliver(Error::internal("the database call failed"));
                         return;
                       }
                       deliver(std::move(r));
                     });
    };
    return await_callback<Result<T>>(std::move(start));
  }

  struct InFlight {
    explicit InFlight(std::atomic<int>& n) : n_(n) { n_.fetch_add(1); }
    ~InFlight() { n_.fetch_sub(1); }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
    std::atomic<int>& n_;
  };

  static Error failure_of(const pg::Pool& pool, const PgError& e) {
    if (e.kind() == ErrorKind::dead)
      return Error::unavailable("the " + pool.options().name + " database is not answering");
    logging::error("database error",
                   {{"db", pool.options().name}, {"sqlstate", e.sqlstate()}, {"error", e.what()}});
    return Error::internal("the database refused the request");
  }

  template <class T>
  asio::awaitable<Result<T>> execute(Db db, Work<T> work, bool idempotent, Route route,
                                     std::chrono::milliseconds timeout) {
    InFlight in_flight(in_flight_);
    pg::Pool* pool = pool_for(db, route);
    for (int attempt = 0;; ++attempt) {
      if (stopping_) co_return Error::unavailable("the server is shutting down");
      std::unique_ptr<Connection> c;
      std::optional<Error> refused;
      try {
        c = co_await pool->acquire();
      } catch (const pg::PoolExhausted& e) {
        refused = Error::overloaded(e.what(), 1);
      } catch (const PgError& e) {
        refused = failure_of(*pool, e);
      }
      if (refused) {
        // A catalog list falls back to the command DB when the query DB cannot be reached.
        if (pool == query_.get() && route == Route::automatic) {
          pool = command_.get();
          continue;
        }
        co_return *refused;
      }
      const auto started = Clock::now();
      c->set_deadline(started + timeout);
      std::optional<PgError> error;
      Result<T> result;
      try {
        result = co_await work(*c);
      } catch (const PgError& e) {
        error = e;
      } catch (const std::exception& e) {
        // A row that does not decode: the schema and the binary disagree.
        error = PgError(ErrorKind::other, "", "", e.what());
      }
      (pool == command_.get() ? command_latency_ : query_latency_)->observe(Clock::now() - started);
      pool->release(std::move(c));
      if (!error) co_return result;
      if (error->kind() == ErrorKind::retry && attempt < 3) {
        co_await pause_before_retry(attempt);
        continue;
      }
      if (error->kind() == ErrorKind::retry)
        co_return Error::unavailable("the database kept aborting the transaction; try again");
      // Behind PgBouncer a dead replica still accepts connections: its failures show up here.
      // The query DB is then skipped for a while and this list is read from the command DB.
      if (error->kind() == ErrorKind::dead && pool == query_.get() && route == Route::automatic) {
        query_down_until_ms_.store(steady_ms() + kQueryDownMs, std::memory_order_relaxed);
        logging::warn("query database failing; catalog lists read from the command database",
                      {{"error", error->what()}});
        pool = command_.get();
        continue;
      }
      // A dead connection that failed at once (closed by a restart, a recycled PgBouncer
      // connection) is worth one more try; one that used up its deadline is not: the request
      // would wait twice as long for the same answer.
      if (error->kind() == ErrorKind::dead && idempotent && attempt == 0 &&
          Clock::now() - started < timeout / 2)
        continue;
      co_return failure_of(*pool, *error);
    }
  }

  // ---- group commit ----

  void enqueue(PendingBooking job) {
    if (stopping_) {
      job.deliver(Error::unavailable("the server is shutting down"));
      return;
    }
    if (pending_.size() >= options_.max_pending) {
      job.deliver(
          Error::overloaded("too many bookings are waiting for the database; retry shortly", 1));
      return;
    }
    pending_.push_back(std::move(job));
    if (wants_committer()) {
      ++committers_;
      asio::co_spawn(ctx_, commit_loop(), asio::detached);
    }
  }

  // One committer runs whenever bookings wait; another joins only when a whole batch waits
  // beyond what the running ones carry. Starting one per booking would commit mostly single
  // bookings (measured: p50 of 1 booking per commit with 4 eager committers) and spend
  // PostgreSQL's CPU on transactions instead of bookings; one committer alone is bound by one
  // backend's CPU (measured: full batches of 64 back to back).
  bool wants_committer() const {
    if (committers_ == 0) return !pending_.empty();
    return committers_ < options_.committers && pending_.size() >= options_.max_batch;
  }

  // Takes whatever bookings are waiting (up to max_batch) and commits them in one transaction;
  // meanwhile the next batch fills. A committer that is not the last one leaves when less than
  // a full batch waits, so that the bookings gather into one batch instead of several small ones.
  asio::awaitable<void> commit_loop() {
    InFlight in_flight(in_flight_);
    // However this loop ends, the next booking can start a committer.
    struct Leave {
      int& committers;
      ~Leave() { --committers; }
    } leave{committers_};
    while (!pending_.empty() && !stopping_) {
      if (committers_ > 1 && pending_.size() < options_.max_batch) break;
      std::vector<PendingBooking> batch;
      while (!pending_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
      co_await commit_batch(batch);
    }
  }

  // BEGIN, one confirm_booking() per booking, COMMIT: one pipeline, one round trip, one fsync.
  std::vector<pg::Statement> batch_statements(const std::vector<PendingBooking>& batch,
                                              UnixSeconds now) const {
    std::vector<pg::Statement> statements;
    statements.reserve(4);
    statements.push_back(pg::Statement{"BEGIN", Params{}});
    // Durable whatever the role's or the server's defaults say; and the server gives up just
    // before the client's deadline, so a transaction we stopped waiting for holds no locks.
    const auto server_ms = std::max<std::int64_t>(100, options_.query_timeout.count() - 250);
    Params limits;
    limits.add(std::to_string(server_ms)).add(std::to_string(server_ms));
    statements.push_back(pg::Statement{
        "SELECT set_config('synchronous_commit', 'on', true), set_config('statement_timeout', "
        "$1, true), set_config('lock_timeout', $2, true)",
        std::move(limits)});
    // All bookings in one statement: PostgreSQL parses and plans it once per batch instead of
    // once per booking (unnamed statements through PgBouncer are planned on every execution);
    // confirm_booking() runs once per row, in the batch's order, each call in its own
    // subtransaction (its EXCEPTION block), so one conflict still fails only its own booking.
    std::vector<std::string> users, shows, seats, claims, totals, currencies, keys, hashes;
    for (const PendingBooking& job : batch) {
      const NewBooking& n = job.booking;
      std::vector<std::string> sorted = n.seats;
      std::sort(sorted.begin(), sorted.end());
      users.push_back(std::to_string(n.user_id));
      shows.push_back(std::to_string(n.show_id));
      seats.push_back(strings_to_json(n.seats));
      claims.push_back(pg::text_array(sorted));
      totals.push_back(std::to_string(n.total_cents));
      currencies.push_back(n.currency);
      keys.push_back(n.idempotency_key);
      hashes.push_back(n.request_hash);
    }
    Params p;
    p.add(pg::text_array(users))
        .add(pg::text_array(shows))
        .add(pg::text_array(seats))
        .add(pg::text_array(claims))
        .add(pg::text_array(totals))
        .add(pg::text_array(currencies))
        .add(pg::text_array(keys))
        .add(pg::text_array(hashes))
        .add(now);
    statements.push_back(pg::Statement{
        "SELECT b.o_outcome, b.o_booking, b.o_taken FROM unnest($1::bigint[], $2::bigint[], "
        "$3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[]) WITH ORDINALITY "
        "AS x(u, s, seats, claims, total, cur, k, h, n) CROSS JOIN LATERAL confirm_booking(x.u, "
        "x.s, x.seats, x.claims::text[], x.total, x.cur, x.k, x.h, $9) AS b ORDER BY x.n",
        std::move(p)});
    statements.push_back(pg::Statement{"COMMIT", Params{}});
    return statements;
  }

  static void deliver_all(std::vector<PendingBooking>& batch, const Error& e) {
    for (PendingBooking& job : batch) job.deliver(e);
  }

  static void deliver_outcomes(std::vector<PendingBooking>& batch, const std::vector<Rows>& results,
                               UnixSeconds now) {
    const Rows& rows = results.at(2);
    if (rows.size() != static_cast<int>(batch.size())) {
      // Committed, but whose answer is whose is unknown: the key tells each client its outcome.
      deliver_all(batch, Error::unavailable("the database's answer did not match the batch; retry "
                                            "with the same Idempotency-Key to learn the outcome"));
      return;
    }
    for (std::size_t i = 0; i < batch.size(); ++i)
      batch[i].deliver(outcome_of(batch[i].booking, rows, static_cast<int>(i), now));
  }

  // Bookings of one show together, in seat order: two instances' batches then claim shared
  // seats in the same order, which makes deadlocks between them rare.
  static void order_batch(std::vector<PendingBooking>& batch) {
    std::stable_sort(batch.begin(), batch.end(),
                     [](const PendingBooking& a, const PendingBooking& b) {
                       if (a.booking.show_id != b.booking.show_id)
                         return a.booking.show_id < b.booking.show_id;
                       const auto first = [](const NewBooking& n) {
                         return n.seats.empty() ? std::string()
                                                : *std::min_element(n.seats.begin(), n.seats.end());
                       };
                       return first(a.booking) < first(b.booking);
                     });
  }

  asio::awaitable<void> pause_before_retry(int attempt) {
    asio::steady_timer t(ctx_);
    std::uniform_int_distribution<int> jitter(0, 20 << attempt);
    t.expires_after(std::chrono::milliseconds(5 + jitter(rng_)));
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<void> commit_batch(std::vector<PendingBooking>& batch) {
    try {
      co_await commit_batch_once(batch);
    } catch (const std::exception& e) {
      // Whatever went wrong, nobody in the batch is left without an answer.
      logging::error("group commit failed", {{"error", e.what()}});
      deliver_all(batch, Error::unavailable("the database could not commit the booking"));
    }
  }

  asio::awaitable<void> commit_batch_once(std::vector<PendingBooking>& batch) {
    const UnixSeconds now = now_unix();
    order_batch(batch);
    const std::vector<pg::Statement> statements = batch_statements(batch, now);
    for (int attempt = 0;; ++attempt) {
      std::unique_ptr<Connection> c;
      std::optional<Error> refused;
      try {
        c = co_await command_->acquire();
      } catch (const pg::PoolExhausted& e) {
        refused = Error::overloaded(e.what(), 1);
      } catch (const PgError& e) {
        refused = failure_of(*command_, e);
      }
      if (refused) {
        deliver_all(batch, *refused);
        co_return;
      }
      const auto started = Clock::now();
      c->set_deadline(started + options_.query_timeout);
      std::optional<PgError> error;
      std::vector<Rows> results;
      try {
        results = co_await c->pipeline(statements);
      } catch (const PgError& e) {
        error = e;
      } catch (const std::exception& e) {
        error = PgError(ErrorKind::dead, "", "", e.what());  // the connection is not trusted
      }
      command_latency_->observe(Clock::now() - started);
      command_->release(std::move(c));
      if (!error) {
        deliver_outcomes(batch, results, now);
        co_return;
      }
      // A deadlock with another instance's batch or a serialization failure: nothing of the
      // batch was committed, run it again.
      if (error->kind() == ErrorKind::retry && attempt < 3) {
        co_await pause_before_retry(attempt);
        continue;
      }
      // Lost while committing: the outcome is unknown, so it is not run again blindly (a replay
      // would report its own seats as taken); the client retries with its Idempotency-Key.
      const Error e =
          error->kind() == ErrorKind::dead
              ? Error::unavailable(
                    "the database connection was lost while committing; retry with the same "
                    "Idempotency-Key to learn the outcome")
          : error->kind() == ErrorKind::retry
              ? Error::unavailable("the database kept aborting the transaction; try again")
              : failure_of(*command_, *error);
      deliver_all(batch, e);
      co_return;
    }
  }

  static Result<Booking> outcome_of(const NewBooking& n, const Rows& r, int row, UnixSeconds now) {
    const std::string outcome = r.text(row, 0);
    if (outcome == "booked")
      return Booking{
          r.int64(row, 1),          n.user_id, n.show_id, n.seats, n.total_cents, n.currency,
          BookingStatus::confirmed, now};
    if (outcome == "replay")
      return Error::conflict(Problem::idempotency_replay, "the key was used already");
    if (outcome == "gone") return Error::not_found("the show no longer exists");
    Error e = Error::conflict(Problem::seat_unavailable, "some of the seats are already booked");
    e.seats = r.is_null(row, 2) ? std::vector<std::string>{} : pg::parse_text_array(r.text(row, 2));
    return e;
  }

  asio::awaitable<void> maintain_loop() {
    maintain_timer_.emplace(ctx_);
    while (!stopping_) {
      command_->maintain();
      if (query_) query_->maintain();
      maintain_timer_->expires_after(std::chrono::seconds(5));
      boost::system::error_code ec;
      co_await maintain_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    maintain_timer_.reset();
  }

  PostgresOptions options_;
  asio::io_context ctx_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_{ctx_.get_executor()};
  std::unique_ptr<pg::Pool> command_;
  std::unique_ptr<pg::Pool> query_;  // null: no query DB configured
  std::shared_ptr<LatencyHistogram> command_latency_;
  std::shared_ptr<LatencyHistogram> query_latency_;
  std::optional<asio::steady_timer> maintain_timer_;
  // Bookings waiting for a committer; bounded by max_pending (beyond it: 503 overloaded).
  std::deque<PendingBooking> pending_;
  int committers_ = 0;
  bool stopping_ = false;  // database thread only
  std::atomic<bool> stopped_{false};
  std::atomic<int> in_flight_{0};
  std::atomic<std::int64_t> catalog_written_ms_{INT64_MIN / 2};
  // A list that failed on the query DB keeps the lists on the command DB until then (steady
  // ms); then one list tries the query DB again.
  static constexpr std::int64_t kQueryDownMs = 10'000;
  std::atomic<std::int64_t> query_down_until_ms_{INT64_MIN / 2};
  std::minstd_rand rng_{std::random_device{}()};  // retry jitter; database thread only
  std::thread thread_;
};

}  // namespace

std::shared_ptr<Store> open_postgres_store(const PostgresOptions& options) {
  try {
    run_sync(migrate_with(options.command_url));
  } catch (const PgError& e) {
    throw std::runtime_error(std::string("BOXOFFICE_COMMAND_DB_URL: ") + e.what());
  }
  auto store = std::make_shared<PostgresStore>(options);
  store->start();
  return store;
}

int migrate_postgres(const std::string& command_url) {
  try {
    return run_sync(migrate_with(command_url));
  } catch (const PgError& e) {
    throw std::runtime_error(std::string("BOXOFFICE_COMMAND_DB_URL: ") + e.what());
  }
}

}  // namespace boxoffice
