#pragma once
// One libpq connection driven asynchronously on an Asio executor: the socket is awaited with
// async_wait, libpq only parses and encodes, so no thread ever blocks on a query. Statements are
// unnamed (PQsendQueryParams): PgBouncer 1.18 in transaction mode has no named prepared
// statements and no session state, so nothing here relies on either.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

struct pg_conn;
struct pg_result;

namespace boxoffice::pg {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// What a failure means for the caller (SQLSTATE policy, as userver and taoPQ type them).
enum class ErrorKind {
  dead,       // class 08, 57P01-03, a lost socket or a timeout: discard the connection
  retry,      // 40001 serialization failure, 40P01 deadlock: rerun the whole transaction
  unique,     // 23505
  exclusion,  // 23P01
  foreign,    // 23503
  other,      // anything else: a bug or a schema mismatch
};

class PgError : public std::runtime_error {
 public:
  PgError(ErrorKind kind, std::string sqlstate, std::string constraint, const std::string& message)
      : std::runtime_error(message),
        kind_(kind),
        sqlstate_(std::move(sqlstate)),
        constraint_(std::move(constraint)) {}
  ErrorKind kind() const noexcept { return kind_; }
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  const std::string& constraint() const noexcept { return constraint_; }

 private:
  ErrorKind kind_;
  std::string sqlstate_;
  std::string constraint_;
};

ErrorKind classify(std::string_view sqlstate) noexcept;

// Text-format parameters; nullopt is SQL NULL.
class Params {
 public:
  Params() = default;
  template <class... A>
  explicit Params(const A&... a) {
    (add(a), ...);
  }
  Params& add(std::string_view v) {
    values_.emplace_back(std::string(v));
    return *this;
  }
  Params& add(const std::string& v) { return add(std::string_view(v)); }
  Params& add(const char* v) { return add(std::string_view(v)); }
  Params& add(std::int64_t v) { return add(std::to_string(v)); }
  Params& add(int v) { return add(std::to_string(v)); }
  Params& add(bool v) { return add(std::string_view(v ? "t" : "f")); }
  Params& add(std::nullopt_t) {
    values_.emplace_back(std::nullopt);
    return *this;
  }
  std::size_t size() const noexcept { return values_.size(); }
  const std::optional<std::string>& operator[](std::size_t i) const { return values_[i]; }

 private:
  std::vector<std::optional<std::string>> values_;
};

// A text[] literal ({"a","b"}) for an array parameter.
std::string text_array(const std::vector<std::string>& items);
// Parses a text[] result ({a,"b c"}); NULL elements are skipped.
std::vector<std::string> parse_text_array(std::string_view literal);

class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* r);
  int size() const noexcept;
  bool empty() const noexcept { return size() == 0; }
  bool is_null(int row, int col) const noexcept;
  std::string text(int row, int col) const;
  std::int64_t int64(int row, int col) const;
  // Rows changed by an INSERT/UPDATE/DELETE.
  std::int64_t affected() const;

 private:
  struct Clear {
    void operator()(pg_result* r) const noexcept;
  };
  std::shared_ptr<pg_result> r_;
};

// One statement of a pipeline.
struct Statement {
  std::string sql;
  Params params;
};

class Connection {
 public:
  // Connects within `timeout`; throws PgError(dead) when it cannot.
  static asio::awaitable<std::unique_ptr<Connection>> connect(asio::any_io_executor ex,
                                                              std::string conninfo,
                                                              std::chrono::milliseconds timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement; throws PgError. Every wait is bounded by the connection's deadline
  // (set_deadline); past it the connection is broken and the call throws PgError(dead).
  // Arguments by value: the coroutine starts after the caller's full expression.
  asio::awaitable<Rows> query(std::string sql, Params params = {});
  // Runs several statements separated by semicolons (simple protocol, no parameters): for
  // migrations only.
  asio::awaitable<void> script(std::string sql);
  // Sends every statement in one pipeline with one Sync (one round trip) and returns one Rows
  // per statement. A failing statement aborts the rest up to the Sync: the first error is
  // thrown after the Sync was read, so the connection stays usable.
  asio::awaitable<std::vector<Rows>> pipeline(std::vector<Statement> statements);

  void set_deadline(Clock::time_point deadline) noexcept { deadline_ = deadline; }
  bool broken() const noexcept { return broken_; }
  // Idle and outside any transaction: the only state in which it may go back to a pool.
  bool reusable() const noexcept;
  // reusable(), and nothing arrived while idle that says the server has gone (checked without
  // waiting): for a connection taken from the pool.
  bool alive() noexcept;
  Clock::time_point created_at() const noexcept { return created_at_; }
  Clock::time_point last_used = Clock::now();
  Clock::time_point expires_at;  // lifetime with jitter, set by the pool

 private:
  Connection(asio::any_io_executor ex, pg_conn* conn);
  enum class Want { read, write };
  void arm();
  void disarm();
  asio::awaitable<void> wait(Want want);
  void adopt_socket();
  void send(const std::string& sql, const Params& params);
  asio::awaitable<Rows> read_results();
  asio::awaitable<void> flush();
  // Waits until libpq has the next result; nullptr ends the current statement's results.
  asio::awaitable<pg_result*> next_result();
  [[noreturn]] void fail_dead(const std::string& why);

  pg_conn* conn_;
  asio::posix::stream_descriptor socket_;
  asio::steady_timer timer_;
  std::shared_ptr<Connection*> alive_;  // weakly held by the deadline handler
  std::uint64_t generation_ = 0;        // which operation the armed deadline belongs to
  bool timed_out_ = false;
  bool broken_ = false;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point created_at_ = Clock::now();
};

}  // namespace boxoffice::pg
