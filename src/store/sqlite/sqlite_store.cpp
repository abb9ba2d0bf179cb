#include "store/sqlite/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <vector>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "async/bridge.hpp"
#include "domain/validation.hpp"
#include "ops/log.hpp"
#include "store/migrations/sqlite_migrations.hpp"
#include "store/row_codec.hpp"
#include "store/sqlite/db.hpp"
#include "store/sqlite/write_queue.hpp"
#include "tz/zone.hpp"

namespace boxoffice {
namespace {

namespace json = boost::json;
using sqlite::Connection;
using sqlite::Statement;
using namespace codec;

std::string db_path(const std::string& dir) {
  return (std::filesystem::path(dir) / "boxoffice.db").string();
}

// Functions the migrations' SQL calls; defined on the writing connection before they run.
void define_functions(Connection& db) {
  db.define_function("tz_local_day", local_day_in);
}

// The next id of a table whose rows can be deleted (migration 6), taken in the caller's write
// transaction right before its insert. Ids may have gaps; they never repeat.
Id next_id(Connection& db, const char* table) {
  Statement& q = db.prepare("UPDATE id_counters SET last = last + 1 WHERE name = ? RETURNING last");
  q.bind_all(std::string_view(table));
  if (!q.step()) throw std::runtime_error(std::string("no id counter for ") + table);
  const Id id = q.int64(0);
  q.reset();
  return id;
}

int apply_migrations(Connection& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
      "NULL, applied_at INTEGER NOT NULL)");
  int current = 0;
  {
    Statement& q = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (q.step()) current = static_cast<int>(q.int64(0));
    q.reset();
  }
  int applied = 0;
  for (const Migration& m : sqlite_migrations()) {
    if (m.version <= current) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
          .bind_all(static_cast<std::int64_t>(m.version), m.name, now_unix())
          .run();
      db.exec("COMMIT");
    } catch (...) {
      db.exec("ROLLBACK");
      throw;
    }
    ++applied;
  }
  return applied;
}

constexpr const char* kUserColumns = "SELECT id, email, name, role, password_hash FROM users ";

UserRecord read_user(const Statement& q) {
  return UserRecord{User{q.int64(0), q.text(1), q.text(2), parse_role(q.text(3))}, q.text(4)};
}

Movie read_movie(const Statement& q) {
  return Movie{q.int64(0), q.text(1),
               q.text(2),  static_cast<int>(q.int64(3)),
               q.text(4),  strings_from_json(q.text(5))};
}

#define BOXOFFICE_SHOW_COLUMNS                                                              \
  "SELECT id, movie_id, screen_id, theater_id, starts_at, ends_at, prices_json, currency, " \
  "seat_count, timezone FROM shows "

Show read_show(const Statement& q) {
  Show s;
  s.id = q.int64(0);
  s.movie_id = q.int64(1);
  s.screen_id = q.int64(2);
  s.theater_id = q.int64(3);
  s.starts_at = q.int64(4);
  s.ends_at = q.int64(5);
  s.prices = prices_from_json(q.text(6));
  s.currency = q.text(7);
  s.seat_count = static_cast<int>(q.int64(8));
  s.timezone = q.text(9);
  return s;
}

// One statement per combination of filters, so that each can use its own index: (movie_id,
// starts_at), (theater_id, starts_at), (local_day, starts_at) or (starts_at); SQLite appends the
// rowid (id) to every index, which makes each one ordered by (starts_at, id) within its key.
// Parameters: ?1 movie_id, ?2 theater_id, ?3 local_day, ?4 starts_at and ?5 id to continue
// after, ?6 the row limit.
const char* show_list_sql(bool movie, bool theater, bool day) {
  static const std::array<std::string, 8> queries = [] {
    std::array<std::string, 8> out;
    for (int m = 0; m < 8; ++m) {
      std::string sql = BOXOFFICE_SHOW_COLUMNS "WHERE (starts_at, id) > (?4, ?5)";
      if (m & 1) sql += " AND movie_id = ?1";
      if (m & 2) sql += " AND theater_id = ?2";
      if (m & 4) sql += " AND local_day = ?3";
      sql += " ORDER BY starts_at, id LIMIT ?6";
      out[static_cast<std::size_t>(m)] = std::move(sql);
    }
    return out;
  }();
  // The strings live as long as the process, so their addresses key the statement cache.
  return queries[(movie ? 1 : 0) | (theater ? 2 : 0) | (day ? 4 : 0)].c_str();
}

Booking read_booking(const Statement& q) {
  Booking b;
  b.id = q.int64(0);
  b.user_id = q.int64(1);
  b.show_id = q.int64(2);
  b.seats = strings_from_json(q.text(3));
  b.total_cents = q.int64(4);
  b.currency = q.text(5);
  b.status = q.text(6) == "cancelled" ? BookingStatus::cancelled : BookingStatus::confirmed;
  b.created_at = q.int64(7);
  return b;
}

std::optional<Movie> load_movie(Connection& db, Id id) {
  auto& q = db.prepare(
      "SELECT id, title, description, duration_minutes, rating, genres FROM movies WHERE id = ?");
  q.bind_all(id);
  if (!q.step()) return std::nullopt;
  return read_movie(q);
}

std::vector<Screen> load_screens(Connection& db, Id theater_id) {
  std::vector<Screen> screens;
  auto& q = db.prepare(
      "SELECT id, theater_id, name, rows_json, seat_count FROM screens WHERE theater_id = ? ORDER "
      "BY id");
  q.bind_all(theater_id);
  while (q.step())
    screens.push_back({q.int64(0), q.int64(1), q.text(2), rows_from_json(q.text(3)),
                       static_cast<int>(q.int64(4))});
  return screens;
}

std::optional<Screen> load_screen(Connection& db, Id id) {
  auto& q =
      db.prepare("SELECT id, theater_id, name, rows_json, seat_count FROM screens WHERE id = ?");
  q.bind_all(id);
  if (!q.step()) return std::nullopt;
  return Screen{q.int64(0), q.int64(1), q.text(2), rows_from_json(q.text(3)),
                static_cast<int>(q.int64(4))};
}

std::optional<Booking> load_booking(Connection& db, Id id) {
  auto& q = db.prepare(
      "SELECT id, user_id, show_id, seats_json, total_cents, currency, status, created_at FROM "
      "bookings WHERE id = ?");
  q.bind_all(id);
  if (!q.step()) return std::nullopt;
  return read_booking(q);
}

// An exclusive lock on a file beside the database for the life of the process: two servers on
// one data directory would be two writers on one SQLite file with two sets of holds.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir) {
    const std::string path = (std::filesystem::path(dir) / "boxoffice.lock").string();
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0)
      throw std::runtime_error("BOXOFFICE_DATA_DIR: cannot open " + path + ": " +
                               std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw std::runtime_error("BOXOFFICE_DATA_DIR: " + dir +
                               " is in use by another boxoffice process");
    }
  }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock() { ::close(fd_); }

 private:
  int fd_ = -1;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const SqliteOptions& o)
      : lock_(o.data_dir),
        path_(db_path(o.data_dir)),
        readers_(static_cast<std::size_t>(o.readers)) {
    auto writer = std::make_unique<Connection>(path_, false);
    define_functions(*writer);
    apply_migrations(*writer);
    for (int i = 0; i < o.readers; ++i)
      reader_conns_.push_back(std::make_unique<Connection>(path_, true));
    readers_count_ = o.readers;
    writer_ =
        std::make_unique<sqlite::WriteQueue>(std::move(writer), o.max_batch, o.max_pending_writes);
  }

  ~SqliteStore() override { stop(); }

  // Finishes what is queued and joins the threads; what arrives later is refused (503).
  void stop() override {
    readers_.join();
    writer_->stop();
  }

  // Runs fn(Connection&) on a reader thread.
  template <class T, class Fn>
  asio::awaitable<Result<T>> read(Fn fn) {
    return run_on(readers_.get_executor(), [this, fn = std::move(fn)]() mutable -> Result<T> {
      auto conn = acquire();
      try {
        Result<T> r = fn(*conn);
        conn->reset_all();
        release(std::move(conn));
        return r;
      } catch (const std::exception& e) {
        conn->reset_all();
        release(std::move(conn));
        logging::error("store read failed", {{"error", e.what()}});
        return Error::unavailable("the database is not answering");
      }
    });
  }

  // Runs fn(Connection&) inside the writer's next group commit; the result arrives after COMMIT.
  template <class T, class Fn>
  asio::awaitable<Result<T>> write(Fn fn) {
    return await_callback<Result<T>>(
        [this, fn = std::move(fn)](Deliver<Result<T>> deliver) mutable {
          auto slot = std::make_shared<std::optional<Result<T>>>();
          auto refused = std::make_shared<Deliver<Result<T>>>(deliver);
          const bool taken = writer_->submit(sqlite::WriteJob{
              [fn = std::move(fn), slot](Connection& db) mutable -> bool {
                slot->emplace(fn(db));
                return (*slot)->ok();
              },
              [slot, deliver = std::move(deliver)](bool committed) {
                if (slot->has_value() && (!(*slot)->ok() || committed)) {
                  deliver(std::move(**slot));
                } else {
                  deliver(Error::unavailable("the database could not commit the change"));
                }
              }});
          if (!taken)
            (*refused)(Error::overloaded(
                "too many writes are waiting for the database; retry shortly", 1));
        });
  }

  std::vector<PoolUsage> pool_usage() const override {
    std::lock_guard lock(pool_mutex_);
    const auto idle = static_cast<std::int64_t>(reader_conns_.size());
    return {PoolUsage{"embedded", std::max<std::int64_t>(0, readers_count_ - idle) + 1, idle,
                      true}};  // + the writer
  }

  asio::awaitable<std::vector<HealthCheck>> health() override {
    auto select_one = [](Connection& db) -> Status {
      db.prepare("SELECT 1").run();
      return ok_status();
    };
    auto ping = co_await read<Unit>(select_one);
    std::vector<HealthCheck> checks;
    checks.push_back(HealthCheck{"store", ping ? "ok" : ping.error().detail, ping.ok(), false});
    co_return checks;
  }

  asio::awaitable<Result<std::string>> secret(std::string name, std::string fresh) override {
    return write<std::string>(
        [name = std::move(name), fresh = std::move(fresh)](Connection& db) -> Result<std::string> {
          db.prepare("INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)")
              .bind_all(name, fresh)
              .run();
          auto& q = db.prepare("SELECT value FROM secrets WHERE name = ?");
          q.bind_all(name);
          std::string value = q.step() ? q.text(0) : std::string();
          q.reset();
          return value;
        });
  }

  asio::awaitable<Status> purge_expired(UnixSeconds idempotency_before) override {
    return write<Unit>([idempotency_before](Connection& db) -> Status {
      db.prepare(
            "DELETE FROM idempotency_keys WHERE (user_id, key) IN (SELECT user_id, key FROM "
            "idempotency_keys WHERE created_at < ? LIMIT 1000)")
          .bind_all(idempotency_before)
          .run();
      db.prepare(
            "DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions WHERE "
            "expires_at < ? LIMIT 1000)")
          .bind_all(now_unix())
          .run();
      return ok_status();
    });
  }

  asio::awaitable<Result<User>> create_user(NewUser u) override {
    return write<User>([u = std::move(u)](Connection& db) -> Result<User> {
      auto& exists = db.prepare("SELECT 1 FROM users WHERE email = ?");
      exists.bind_all(u.email);
      if (exists.step())
        return Error::conflict(Problem::email_taken, "an account with this email already exists");
      db.prepare(
            "INSERT INTO users (email, name, password_hash, role, created_at) VALUES (?, ?, ?, ?, "
            "?)")
          .bind_all(u.email, u.name, u.password_hash, std::string(role_name(u.role)), now_unix())
          .run();
      return User{db.last_insert_id(), u.email, u.name, u.role};
    });
  }

  asio::awaitable<Result<User>> ensure_admin(NewUser u) override {
    return write<User>([u = std::move(u)](Connection& db) -> Result<User> {
      db.prepare(
            "INSERT INTO users (email, name, password_hash, role, created_at) VALUES (?, ?, ?, "
            "'admin', ?) "
            "ON CONFLICT(email) DO UPDATE SET role = 'admin', password_hash = "
            "excluded.password_hash")
          .bind_all(u.email, u.name, u.password_hash, now_unix())
          .run();
      auto& q =
          db.prepare("SELECT id, email, name, role, password_hash FROM users WHERE email = ?");
      q.bind_all(u.email);
      if (!q.step()) return Error::internal("admin vanished");
      auto r = read_user(q);
      q.reset();
      return r.user;
    });
  }

  asio::awaitable<Result<std::optional<UserRecord>>> find_user_by_email(
      std::string email) override {
    return read<std::optional<UserRecord>>([email = std::move(email)](Connection& db) {
      auto& q =
          db.prepare("SELECT id, email, name, role, password_hash FROM users WHERE email = ?");
      q.bind_all(email);
      std::optional<UserRecord> r;
      if (q.step()) r = read_user(q);
      q.reset();
      return Result<std::optional<UserRecord>>(std::move(r));
    });
  }

  asio::awaitable<Status> create_session(std::string token_hash, Id user_id,
                                         UnixSeconds expires_at) override {
    return write<Unit>([=](Connection& db) -> Status {
      db.prepare("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?, ?, ?)")
          .bind_all(token_hash, user_id, expires_at)
          .run();
      // Expired sessions are swept a few at a time by the writes that create new ones.
      db.prepare(
            "DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions WHERE "
            "expires_at < ? LIMIT 8)")
          .bind_all(now_unix())
          .run();
      return ok_status();
    });
  }

  asio::awaitable<Result<std::optional<SessionRecord>>> find_session(
      std::string token_hash) override {
    return read<std::optional<SessionRecord>>([h = std::move(token_hash)](Connection& db) {
      auto& q = db.prepare(
          "SELECT u.id, u.email, u.name, u.role, s.expires_at FROM sessions s JOIN users u ON u.id "
          "= s.user_id "
          "WHERE s.token_hash = ? AND s.expires_at > ?");
      q.bind_all(h, now_unix());
      std::optional<SessionRecord> r;
      if (q.step())
        r = SessionRecord{User{q.int64(0), q.text(1), q.text(2), parse_role(q.text(3))},
                          q.int64(4)};
      q.reset();
      return Result<std::optional<SessionRecord>>(std::move(r));
    });
  }

  asio::awaitable<Status> delete_session(std::string token_hash) override {
    return write<Unit>([h = std::move(token_hash)](Connection& db) -> Status {
      db.prepare("DELETE FROM sessions WHERE token_hash = ?").bind_all(h).run();
      return ok_status();
    });
  }

  asio::awaitable<Result<Movie>> create_movie(Movie m) override {
    return write<Movie>([m = std::move(m)](Connection& db) mutable -> Result<Movie> {
      m.id = next_id(db, "movies");
      db.prepare(
            "INSERT INTO movies (id, title, description, duration_minutes, rating, genres) VALUES "
            "(?, ?, ?, ?, ?, ?)")
          .bind_all(m.id, m.title, m.description, m.duration_minutes, m.rating,
                    strings_to_json(m.genres))
          .run();
      return m;
    });
  }

  asio::awaitable<Result<Movie>> update_movie(Id id, MoviePatch p) override {
    return write<Movie>([id, p = std::move(p)](Connection& db) -> Result<Movie> {
      auto m = load_movie(db, id);
      if (!m) return Error::not_found("movie " + std::to_string(id) + " does not exist");
      if (p.title) m->title = *p.title;
      if (p.description) m->description = *p.description;
      if (p.duration_minutes) m->duration_minutes = *p.duration_minutes;
      if (p.rating) m->rating = *p.rating;
      if (p.genres) m->genres = *p.genres;
      db.prepare(
            "UPDATE movies SET title = ?, description = ?, duration_minutes = ?, rating = ?, "
            "genres = ? WHERE id = ?")
          .bind_all(m->title, m->description, m->duration_minutes, m->rating,
                    strings_to_json(m->genres), id)
          .run();
      return *m;
    });
  }

  asio::awaitable<Status> delete_movie(Id id) override {
    return write<Unit>([id](Connection& db) -> Status {
      if (!load_movie(db, id))
        return Error::not_found("movie " + std::to_string(id) + " does not exist");
      auto& q = db.prepare(
          "SELECT 1 FROM bookings b JOIN shows s ON s.id = b.show_id WHERE s.movie_id = ? LIMIT 1");
      q.bind_all(id);
      const bool has_bookings = q.step();
      q.reset();
      if (has_bookings)
        return Error::conflict(Problem::movie_has_bookings,
                               "the movie has shows with bookings and cannot be deleted");
      db.prepare("DELETE FROM movies WHERE id = ?").bind_all(id).run();
      return ok_status();
    });
  }

  asio::awaitable<Result<std::optional<Movie>>> get_movie(Id id) override {
    return read<std::optional<Movie>>([id](Connection& db) {
      auto m = load_movie(db, id);
      return Result<std::optional<Movie>>(std::move(m));
    });
  }

  asio::awaitable<Result<Page<Movie>>> list_movies(Id after_id, int limit) override {
    return read<Page<Movie>>([=](Connection& db) -> Result<Page<Movie>> {
      auto& q = db.prepare(
          "SELECT id, title, description, duration_minutes, rating, genres FROM movies WHERE id > "
          "? ORDER BY id LIMIT ?");
      q.bind_all(after_id, limit + 1);
      std::vector<Movie> items;
      while (q.step()) items.push_back(read_movie(q));
      return finish_page(std::move(items), limit);
    });
  }

  asio::awaitable<Result<Theater>> create_theater(NewTheater t) override {
    return write<Theater>([t = std::move(t)](Connection& db) -> Result<Theater> {
      db.prepare("INSERT INTO theaters (name, city, timezone) VALUES (?, ?, ?)")
          .bind_all(t.name, t.city, t.timezone)
          .run();
      Theater out{db.last_insert_id(), t.name, t.city, t.timezone, {}};
      for (const auto& s : t.screens) {
        int count = 0;
        for (const auto& r : s.rows) count += r.seats;
        db.prepare(
              "INSERT INTO screens (theater_id, name, rows_json, seat_count) VALUES (?, ?, ?, ?)")
            .bind_all(out.id, s.name, rows_to_json(s.rows), count)
            .run();
        out.screens.push_back(Screen{db.last_insert_id(), out.id, s.name, s.rows, count});
      }
      return out;
    });
  }

  asio::awaitable<Result<std::optional<Theater>>> get_theater(Id id) override {
    return read<std::optional<Theater>>([id](Connection& db) {
      auto& q = db.prepare("SELECT id, name, city, timezone FROM theaters WHERE id = ?");
      q.bind_all(id);
      std::optional<Theater> t;
      if (q.step()) t = Theater{q.int64(0), q.text(1), q.text(2), q.text(3), {}};
      q.reset();
      if (t) t->screens = load_screens(db, id);
      return Result<std::optional<Theater>>(std::move(t));
    });
  }

  asio::awaitable<Result<Page<Theater>>> list_theaters(Id after_id, int limit) override {
    return read<Page<Theater>>([=](Connection& db) -> Result<Page<Theater>> {
      std::vector<Theater> items;
      {
        auto& q = db.prepare(
            "SELECT id, name, city, timezone FROM theaters WHERE id > ? ORDER BY id LIMIT ?");
        q.bind_all(after_id, limit + 1);
        while (q.step()) items.push_back(Theater{q.int64(0), q.text(1), q.text(2), q.text(3), {}});
      }
      for (auto& t : items) t.screens = load_screens(db, t.id);
      return finish_page(std::move(items), limit);
    });
  }

  asio::awaitable<Result<std::optional<Screen>>> get_screen(Id id) override {
    return read<std::optional<Screen>>(
        [id](Connection& db) { return Result<std::optional<Screen>>(load_screen(db, id)); });
  }

  asio::awaitable<Result<Show>> create_show(NewShow n) override {
    return write<Show>([n = std::move(n)](Connection& db) -> Result<Show> {
      auto movie = load_movie(db, n.movie_id);
      auto screen = load_screen(db, n.screen_id);
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
        // Each missing category is named once.
        std::sort(errors.begin(), errors.end(), [](auto& a, auto& b) { return a.field < b.field; });
        errors.erase(std::unique(errors.begin(), errors.end()), errors.end());
        return Error::invalid(std::move(errors));
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
        auto& zone = db.prepare("SELECT timezone FROM theaters WHERE id = ?");
        zone.bind_all(s.theater_id);
        if (zone.step()) s.timezone = zone.text(0);
        zone.reset();
      }
      auto& overlap = db.prepare(
          "SELECT id FROM shows WHERE screen_id = ? AND starts_at < ? AND ends_at > ? LIMIT 1");
      overlap.bind_all(s.screen_id, s.ends_at, s.starts_at);
      if (overlap.step()) {
        const Id other = overlap.int64(0);
        overlap.reset();
        return Error::conflict(Problem::screen_busy, "screen " + std::to_string(s.screen_id) +
                                                         " is in use by show " +
                                                         std::to_string(other) + " at that time");
      }
      s.id = next_id(db, "shows");
      db.prepare(
            "INSERT INTO shows (id, movie_id, screen_id, theater_id, starts_at, ends_at, "
            "prices_json, currency, seat_count, timezone, local_day) VALUES (?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?)")
          .bind_all(s.id, s.movie_id, s.screen_id, s.theater_id, s.starts_at, s.ends_at,
                    prices_to_json(s.prices), s.currency, s.seat_count, s.timezone,
                    local_day_in(s.timezone, s.starts_at))
          .run();
      return s;
    });
  }

  asio::awaitable<Result<std::optional<Show>>> get_show(Id id) override {
    return read<std::optional<Show>>([id](Connection& db) {
      auto& q = db.prepare(BOXOFFICE_SHOW_COLUMNS "WHERE id = ?");
      q.bind_all(id);
      std::optional<Show> s;
      if (q.step()) s = read_show(q);
      q.reset();
      return Result<std::optional<Show>>(std::move(s));
    });
  }

  asio::awaitable<Result<Page<Show>>> list_shows(ShowFilter f) override {
    return read<Page<Show>>([f](Connection& db) -> Result<Page<Show>> {
      auto& q = db.prepare(
          show_list_sql(f.movie_id.has_value(), f.theater_id.has_value(), f.local_day.has_value()));
      if (f.movie_id) q.bind(1, *f.movie_id);
      if (f.theater_id) q.bind(2, *f.theater_id);
      if (f.local_day) q.bind(3, *f.local_day);
      // Without a cursor, start before every show.
      q.bind(4, f.after ? f.after->starts_at : INT64_MIN);
      q.bind(5, f.after ? f.after->id : INT64_MIN);
      q.bind(6, f.limit + 1);
      std::vector<Show> items;
      while (q.step()) items.push_back(read_show(q));
      return finish_page(std::move(items), f.limit);
    });
  }

  asio::awaitable<Result<Booking>> confirm_booking(NewBooking n) override {
    return write<Booking>([n = std::move(n)](Connection& db) -> Result<Booking> {
      if (!n.idempotency_key.empty()) {
        auto& q = db.prepare("SELECT 1 FROM idempotency_keys WHERE user_id = ? AND key = ?");
        q.bind_all(n.user_id, n.idempotency_key);
        const bool seen = q.step();
        q.reset();
        if (seen) return Error::conflict(Problem::idempotency_replay, "the key was used already");
      }
      Booking b{0,
                n.user_id,
                n.show_id,
                n.seats,
                n.total_cents,
                n.currency,
                BookingStatus::confirmed,
                now_unix()};
      db.prepare(
            "INSERT INTO bookings (user_id, show_id, seats_json, total_cents, currency, status, "
            "created_at) "
            "VALUES (?, ?, ?, ?, ?, 'confirmed', ?)")
          .bind_all(b.user_id, b.show_id, strings_to_json(b.seats), b.total_cents, b.currency,
                    b.created_at)
          .run();
      b.id = db.last_insert_id();
      // The primary key (show_id, seat) is the judge: no check-then-insert, the database refuses
      // a second claim and this booking's savepoint is rolled back. Only then are the taken
      // seats looked up, to name them.
      bool conflict = false;
      for (const auto& seat : n.seats) {
        try {
          db.prepare("INSERT INTO seat_claims (show_id, seat, booking_id) VALUES (?, ?, ?)")
              .bind_all(b.show_id, seat, b.id)
              .run();
        } catch (const sqlite::SqliteError& e) {
          if (!e.is_constraint()) throw;
          conflict = true;
          break;
        }
      }
      if (conflict) {
        db.reset_all();
        std::vector<std::string> taken;
        for (const auto& seat : n.seats) {
          auto& q = db.prepare(
              "SELECT 1 FROM seat_claims WHERE show_id = ? AND seat = ? AND booking_id != ?");
          q.bind_all(n.show_id, seat, b.id);
          if (q.step()) taken.push_back(seat);
          q.reset();
        }
        Error e =
            Error::conflict(Problem::seat_unavailable, "some of the seats are already booked");
        e.seats = std::move(taken);
        return e;
      }
      if (!n.idempotency_key.empty())
        db.prepare(
              "INSERT INTO idempotency_keys (user_id, key, request_hash, booking_id, created_at) "
              "VALUES (?, ?, ?, ?, ?)")
            .bind_all(n.user_id, n.idempotency_key, n.request_hash, b.id, b.created_at)
            .run();
      return b;
    });
  }

  asio::awaitable<Result<std::vector<std::string>>> booked_seats(Id show_id) override {
    return read<std::vector<std::string>>(
        [show_id](Connection& db) -> Result<std::vector<std::string>> {
          auto& q = db.prepare("SELECT seat FROM seat_claims WHERE show_id = ?");
          q.bind_all(show_id);
          std::vector<std::string> seats;
          while (q.step()) seats.push_back(q.text(0));
          return seats;
        });
  }

  asio::awaitable<Result<std::optional<IdempotencyRecord>>> find_idempotency(
      Id user_id, std::string key) override {
    return read<std::optional<IdempotencyRecord>>([user_id, key = std::move(key)](Connection& db) {
      auto& q = db.prepare(
          "SELECT request_hash, booking_id FROM idempotency_keys WHERE user_id = ? AND key = ?");
      q.bind_all(user_id, key);
      std::optional<IdempotencyRecord> r;
      if (q.step()) r = IdempotencyRecord{q.text(0), q.int64(1)};
      q.reset();
      return Result<std::optional<IdempotencyRecord>>(std::move(r));
    });
  }

  asio::awaitable<Result<std::optional<Booking>>> get_booking(Id id) override {
    return read<std::optional<Booking>>(
        [id](Connection& db) { return Result<std::optional<Booking>>(load_booking(db, id)); });
  }

  asio::awaitable<Result<Page<Booking>>> list_bookings(Id user_id, Id after_id,
                                                       int limit) override {
    return read<Page<Booking>>([=](Connection& db) -> Result<Page<Booking>> {
      auto& q = db.prepare(
          "SELECT id, user_id, show_id, seats_json, total_cents, currency, status, created_at FROM "
          "bookings "
          "WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?");
      q.bind_all(user_id, after_id, limit + 1);
      std::vector<Booking> items;
      while (q.step()) items.push_back(read_booking(q));
      return finish_page(std::move(items), limit);
    });
  }

  asio::awaitable<Result<CancelOutcome>> cancel_booking(Id id) override {
    return write<CancelOutcome>([id](Connection& db) -> Result<CancelOutcome> {
      auto b = load_booking(db, id);
      if (!b) return Error::not_found("booking " + std::to_string(id) + " does not exist");
      if (b->status == BookingStatus::cancelled) return CancelOutcome{*b, false};
      db.prepare("UPDATE bookings SET status = 'cancelled' WHERE id = ?").bind_all(id).run();
      db.prepare("DELETE FROM seat_claims WHERE booking_id = ?").bind_all(id).run();
      b->status = BookingStatus::cancelled;
      return CancelOutcome{*b, true};
    });
  }

 private:
  std::unique_ptr<Connection> acquire() {
    std::lock_guard lock(pool_mutex_);
    if (reader_conns_.empty()) return std::make_unique<Connection>(path_, true);
    auto c = std::move(reader_conns_.back());
    reader_conns_.pop_back();
    return c;
  }
  void release(std::unique_ptr<Connection> c) {
    std::lock_guard lock(pool_mutex_);
    reader_conns_.push_back(std::move(c));
  }

  DirectoryLock lock_;
  std::string path_;
  asio::thread_pool readers_;
  mutable std::mutex pool_mutex_;
  std::int64_t readers_count_ = 0;
  std::vector<std::unique_ptr<Connection>> reader_conns_;
  std::unique_ptr<sqlite::WriteQueue> writer_;
};

void ensure_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw std::runtime_error("BOXOFFICE_DATA_DIR: cannot create " + dir + ": " + ec.message());
}

}  // namespace

std::shared_ptr<Store> open_sqlite_store(const SqliteOptions& options) {
  ensure_dir(options.data_dir);
  try {
    return std::make_shared<SqliteStore>(options);
  } catch (const sqlite::SqliteError& e) {
    throw std::runtime_error(std::string("BOXOFFICE_DATA_DIR: ") + e.what());
  }
}

int migrate_sqlite(const std::string& data_dir) {
  ensure_dir(data_dir);
  const DirectoryLock lock(data_dir);  // never migrate under a running server
  Connection db(db_path(data_dir), false);
  define_functions(db);
  return apply_migrations(db);
}

}  // namespace boxoffice
