#include "store/postgres/pg_connection.hpp"

#include <libpq-fe.h>

#include <charconv>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "ops/log.hpp"

namespace boxoffice::pg {

ErrorKind classify(std::string_view s) noexcept {
  if (s == "23505") return ErrorKind::unique;
  if (s == "23P01") return ErrorKind::exclusion;
  if (s == "23503") return ErrorKind::foreign;
  if (s == "40001" || s == "40P01") return ErrorKind::retry;
  // Connection exceptions, admin/crash shutdown, cannot connect now; 25006 is a write sent to a
  // replica (a demoted primary behind the URL): the next connection may reach the new one.
  if (s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03" || s == "25006")
    return ErrorKind::dead;
  // The server's own statement or lock timeout (set inside our transactions just below the
  // client's deadline): the same answer as the client's deadline, a 503.
  if (s == "57014" || s == "55P03") return ErrorKind::dead;
  return ErrorKind::other;
}

std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::vector<std::string> parse_text_array(std::string_view s) {
  std::vector<std::string> out;
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') return out;
  s = s.substr(1, s.size() - 2);
  std::size_t i = 0;
  while (i < s.size()) {
    std::string item;
    bool quoted = false;
    if (s[i] == '"') {
      quoted = true;
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        item += s[i++];
      }
      ++i;  // closing quote
    } else {
      while (i < s.size() && s[i] != ',') item += s[i++];
    }
    if (quoted || item != "NULL") out.push_back(std::move(item));
    ++i;  // the comma
  }
  return out;
}

void Rows::Clear::operator()(pg_result* r) const noexcept {
  PQclear(r);
}

Rows::Rows(pg_result* r) : r_(r, Clear{}) {}

int Rows::size() const noexcept {
  return r_ ? PQntuples(r_.get()) : 0;
}

bool Rows::is_null(int row, int col) const noexcept {
  return PQgetisnull(r_.get(), row, col) != 0;
}

std::string Rows::text(int row, int col) const {
  return std::string(PQgetvalue(r_.get(), row, col),
                     static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
}

std::int64_t Rows::int64(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  const char* end = v + PQgetlength(r_.get(), row, col);
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(v, end, out);
  if (ec != std::errc() || p != end)
    throw PgError(ErrorKind::other, "", "", "not an integer: " + std::string(v, end));
  return out;
}

std::int64_t Rows::affected() const {
  const char* n = r_ ? PQcmdTuples(r_.get()) : "";
  std::int64_t out = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), out);
  return out;
}

Connection::Connection(asio::any_io_executor ex, pg_conn* conn)
    : conn_(conn), socket_(ex), timer_(ex), alive_(std::make_shared<Connection*>(this)) {}

Connection::~Connection() {
  timer_.cancel();
  // libpq owns the descriptor: take it out of the reactor without closing it.
  if (socket_.is_open()) socket_.release();
  PQfinish(conn_);
}

bool Connection::alive() noexcept {
  if (broken_ || PQstatus(conn_) != CONNECTION_OK) return false;
  // Reads whatever the server sent while the connection sat idle: a FATAL (restart,
  // pg_terminate_backend) or an EOF turns the status bad before anyone relies on it.
  if (!PQconsumeInput(conn_) || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return false;
  }
  return PQtransactionStatus(conn_) == PQTRANS_IDLE && PQpipelineStatus(conn_) == PQ_PIPELINE_OFF;
}

bool Connection::reusable() const noexcept {
  return !broken_ && PQstatus(conn_) == CONNECTION_OK &&
         PQtransactionStatus(conn_) == PQTRANS_IDLE && PQpipelineStatus(conn_) == PQ_PIPELINE_OFF;
}

void Connection::fail_dead(const std::string& why) {
  broken_ = true;
  throw PgError(ErrorKind::dead, "08006", "", why);
}

// The deadline is one timer per operation (not per wait): when it fires it cancels the pending
// wait, which then fails the operation as dead. The handler holds only a weak reference, so a
// connection destroyed with a fired-but-not-run handler is never touched.
void Connection::arm() {
  ++generation_;
  timed_out_ = false;
  if (deadline_ == Clock::time_point::max()) return;
  timer_.expires_at(deadline_);
  timer_.async_wait([weak = std::weak_ptr<Connection*>(alive_),
                     gen = generation_](const boost::system::error_code& ec) {
    if (ec) return;
    auto alive = weak.lock();
    if (!alive) return;
    Connection& self = **alive;
    if (self.generation_ != gen) return;
    self.timed_out_ = true;
    boost::system::error_code ignored;
    self.socket_.cancel(ignored);
  });
}

void Connection::disarm() {
  ++generation_;
  timer_.cancel();
}

void Connection::adopt_socket() {
  const int fd = PQsocket(conn_);
  if (socket_.is_open()) socket_.release();
  if (fd < 0) fail_dead("the connection has no socket");
  socket_.assign(fd);
}

asio::awaitable<void> Connection::wait(Want want) {
  if (timed_out_ || Clock::now() >= deadline_) fail_dead("the database did not answer in time");
  boost::system::error_code ec;
  co_await socket_.async_wait(want == Want::read ? asio::posix::stream_descriptor::wait_read
                                                 : asio::posix::stream_descriptor::wait_write,
                              asio::redirect_error(asio::use_awaitable, ec));
  if (timed_out_) fail_dead("the database did not answer in time");
  if (ec) fail_dead("waiting for the database failed: " + ec.message());
}

namespace {

struct ConninfoOptions {
  std::vector<std::string> keys, values;
  void set(const std::string& k, const std::string& v) {
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == k) {
        values[i] = v;
        return;
      }
    keys.push_back(k);
    values.push_back(v);
  }
  std::string get(const std::string& k) const {
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == k) return values[i];
    return {};
  }
};

ConninfoOptions parse_conninfo(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (!opts) {
    std::string why = err ? err : "cannot parse the database URL";
    PQfreemem(err);
    throw PgError(ErrorKind::dead, "08000", "", why);
  }
  ConninfoOptions out;
  for (PQconninfoOption* o = opts; o->keyword; ++o)
    if (o->val && *o->val) out.set(o->keyword, o->val);
  PQconninfoFree(opts);
  return out;
}

bool is_numeric_address(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// A notice (e.g. "relation already exists, skipping") goes to the debug log, not to stderr.
void log_notice(void*, const char* message) {
  std::string m = message ? message : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  logging::debug("database notice", {{"notice", m}});
}

}  // namespace

asio::awaitable<std::unique_ptr<Connection>> Connection::connect(
    asio::any_io_executor ex, std::string conninfo, std::chrono::milliseconds timeout) {
  ConninfoOptions o = parse_conninfo(conninfo);
  // libpq resolves host names with a blocking getaddrinfo inside PQconnectStart: resolve here
  // with Asio (off this thread) and hand libpq the address, keeping `host` for TLS checks.
  const std::string host = o.get("host");
  if (!host.empty() && o.get("hostaddr").empty() && host.find(',') == std::string::npos &&
      host.front() != '/' && !is_numeric_address(host)) {
    asio::ip::tcp::resolver resolver(ex);
    const std::string port = o.get("port").empty() ? "5432" : o.get("port");
    auto [ec, results] =
        co_await resolver.async_resolve(host, port, asio::as_tuple(asio::use_awaitable));
    if (ec || results.empty())
      throw PgError(ErrorKind::dead, "08001", "",
                    "cannot resolve " + host + ": " + (ec ? ec.message() : "no address"));
    o.set("hostaddr", results.begin()->endpoint().address().to_string());
  }
  // TCP keepalives find a peer that vanished (a NAT or balancer that dropped an idle
  // connection) without waiting for a query's deadline.
  if (o.get("keepalives_idle").empty()) o.set("keepalives_idle", "30");
  if (o.get("keepalives_interval").empty()) o.set("keepalives_interval", "10");
  if (o.get("keepalives_count").empty()) o.set("keepalives_count", "3");
  std::vector<const char*> keys, values;
  for (std::size_t i = 0; i < o.keys.size(); ++i) {
    keys.push_back(o.keys[i].c_str());
    values.push_back(o.values[i].c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  pg_conn* raw = PQconnectStartParams(keys.data(), values.data(), 0);
  if (!raw) throw std::bad_alloc();
  PQsetNoticeProcessor(raw, log_notice, nullptr);
  auto c = std::unique_ptr<Connection>(new Connection(ex, raw));
  if (PQstatus(raw) == CONNECTION_BAD) c->fail_dead(PQerrorMessage(raw));
  if (PQsetnonblocking(raw, 1) != 0) c->fail_dead(PQerrorMessage(raw));
  c->deadline_ = Clock::now() + timeout;
  c->arm();
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  for (;;) {
    // libpq may open a new socket at any step (another address, a retry without SSL).
    c->adopt_socket();
    co_await c->wait(st == PGRES_POLLING_READING ? Want::read : Want::write);
    st = PQconnectPoll(raw);
    if (st == PGRES_POLLING_OK) break;
    if (st == PGRES_POLLING_FAILED) {
      std::string why = PQerrorMessage(raw);
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      c->fail_dead(why);
    }
  }
  c->adopt_socket();
  c->disarm();
  c->deadline_ = Clock::time_point::max();
  co_return c;
}

asio::awaitable<void> Connection::flush() {
  for (;;) {
    const int f = PQflush(conn_);
    if (f == 0) co_return;
    if (f < 0) fail_dead(PQerrorMessage(conn_));
    // The statements we send are small (a pipeline is at most a few dozen short statements), so
    // waiting for writability alone cannot deadlock against a server that waits for us to read;
    // input that arrives meanwhile is consumed so libpq's buffer keeps moving.
    co_await wait(Want::write);
    if (!PQconsumeInput(conn_)) fail_dead(PQerrorMessage(conn_));
  }
}

asio::awaitable<pg_result*> Connection::next_result() {
  while (PQisBusy(conn_)) {
    co_await wait(Want::read);
    if (!PQconsumeInput(conn_)) fail_dead(PQerrorMessage(conn_));
  }
  co_return PQgetResult(conn_);
}

namespace {

PgError error_of(pg_result* r, pg_conn* c) {
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const char* constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
  std::string msg = PQresultErrorMessage(r);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  std::string sqlstate = state ? state : "";
  ErrorKind kind = classify(sqlstate);
  if (PQstatus(c) == CONNECTION_BAD || sqlstate.empty()) kind = ErrorKind::dead;
  return PgError(kind, std::move(sqlstate), constraint ? constraint : "", msg);
}

bool is_error(ExecStatusType s) {
  return s == PGRES_FATAL_ERROR || s == PGRES_BAD_RESPONSE || s == PGRES_NONFATAL_ERROR;
}

}  // namespace

void Connection::send(const std::string& sql, const Params& params) {
  std::vector<const char*> values(params.size());
  for (std::size_t i = 0; i < params.size(); ++i)
    values[i] = params[i] ? params[i]->c_str() : nullptr;
  if (!PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                         values.data(), nullptr, nullptr, 0))
    fail_dead(PQerrorMessage(conn_));
}

asio::awaitable<Rows> Connection::query(std::string sql, Params params) {
  if (broken_) fail_dead("the connection is broken");
  arm();
  send(sql, params);
  co_return co_await read_results();
}

asio::awaitable<void> Connection::script(std::string sql) {
  if (broken_) fail_dead("the connection is broken");
  arm();
  if (!PQsendQuery(conn_, sql.c_str())) fail_dead(PQerrorMessage(conn_));
  co_await read_results();
}

// Flushes what was sent and reads every result up to libpq's end marker; the first error is
// thrown after the end, so the connection is left between statements.
asio::awaitable<Rows> Connection::read_results() {
  co_await flush();
  Rows rows;
  std::optional<PgError> error;
  for (;;) {
    pg_result* r = co_await next_result();
    if (!r) break;
    Rows owned(r);
    if (is_error(PQresultStatus(r))) {
      if (!error) error = error_of(r, conn_);
    } else {
      rows = std::move(owned);
    }
  }
  disarm();
  if (PQstatus(conn_) == CONNECTION_BAD) fail_dead(PQerrorMessage(conn_));
  if (error) {
    if (error->kind() == ErrorKind::dead) broken_ = true;
    throw *error;
  }
  co_return rows;
}

asio::awaitable<std::vector<Rows>> Connection::pipeline(std::vector<Statement> statements) {
  if (broken_) fail_dead("the connection is broken");
  arm();
  if (!PQenterPipelineMode(conn_)) fail_dead(PQerrorMessage(conn_));
  for (const Statement& s : statements) send(s.sql, s.params);
  if (!PQpipelineSync(conn_)) fail_dead(PQerrorMessage(conn_));
  co_await flush();
  std::vector<Rows> out(statements.size());
  std::optional<PgError> error;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    // Each statement's results end with a null result.
    for (int guard = 0;; ++guard) {
      pg_result* r = co_await next_result();
      if (!r) break;
      Rows owned(r);
      const ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_PIPELINE_SYNC || guard > 4) fail_dead("the pipeline is out of step");
      if (is_error(st)) {
        if (!error) error = error_of(r, conn_);
      } else if (st != PGRES_PIPELINE_ABORTED) {
        out[i] = std::move(owned);
      }
    }
  }
  // Then the Sync; a shutting-down server may send errors instead, so the loop is bounded.
  for (int guard = 0;; ++guard) {
    pg_result* r = co_await next_result();
    if (!r) {
      if (guard > 4) fail_dead("the pipeline is out of step");
      continue;
    }
    Rows owned(r);
    if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) break;
    if (is_error(PQresultStatus(r)) && !error) error = error_of(r, conn_);
    if (guard > 4) fail_dead("the pipeline is out of step");
  }
  if (!PQexitPipelineMode(conn_)) fail_dead(PQerrorMessage(conn_));
  disarm();
  if (error) {
    if (error->kind() == ErrorKind::dead) broken_ = true;
    throw *error;
  }
  co_return out;
}

}  // namespace boxoffice::pg
