#include "store/sqlite/db.hpp"

#include <sqlite3.h>

namespace boxoffice::sqlite {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  throw SqliteError(rc, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

}  // namespace

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t v) {
  if (int rc = sqlite3_bind_int64(stmt_, index, v); rc != SQLITE_OK)
    fail(sqlite3_db_handle(stmt_), rc, "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view v) {
  if (int rc =
          sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
      rc != SQLITE_OK)
    fail(sqlite3_db_handle(stmt_), rc, "bind");
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const int ext = sqlite3_extended_errcode(sqlite3_db_handle(stmt_));
  sqlite3_reset(stmt_);
  fail(sqlite3_db_handle(stmt_), ext, "step");
}

std::int64_t Statement::int64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}

bool Statement::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

Connection::Connection(const std::string& path, bool read_only) {
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  if (int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr); rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(rc, "cannot open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA foreign_keys=ON");
  if (!read_only) {
    exec("PRAGMA journal_mode=WAL");
    // Every commit is durable: a 201 must survive kill -9 and power loss. Group commit pays for it.
    exec("PRAGMA synchronous=FULL");
    // Checkpoint every 10,000 pages (~40 MiB of log), not SQLite's 1,000: an on-sale's commits
    // touch index leaves all over the file, and a page written to the log many times between
    // two checkpoints is copied back once. Measured: 13% more fsynced bookings per second
    // (BENCHMARKS.md, on-sale embedded, run 3). The log file is cut back to 64 MiB after a
    // checkpoint that a long reader let grow past it.
    exec("PRAGMA wal_autocheckpoint=10000");
    exec("PRAGMA journal_size_limit=67108864");
  }
}

Connection::~Connection() {
  cache_.clear();
  sqlite3_close(db_);
}

void Connection::exec(const char* sql) {
  char* err = nullptr;
  if (int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqliteError(rc, std::string("exec: ") + msg);
  }
}

Statement& Connection::prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second->reset();
  sqlite3_stmt* stmt = nullptr;
  if (int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      rc != SQLITE_OK)
    fail(db_, rc, "prepare");
  auto [pos, _] = cache_.emplace(sql, std::make_unique<Statement>(stmt));
  return *pos->second;
}

void Connection::reset_all() {
  for (auto& [sql, stmt] : cache_) stmt->reset();
}

std::int64_t Connection::last_insert_id() const {
  return sqlite3_last_insert_rowid(db_);
}

int Connection::changes() const {
  return sqlite3_changes(db_);
}

void Connection::define_function(const char* name, TextIntFunction fn) {
  auto call = [](sqlite3_context* ctx, int, sqlite3_value** args) {
    auto f = reinterpret_cast<TextIntFunction>(sqlite3_user_data(ctx));
    const auto* text = sqlite3_value_text(args[0]);
    const std::string_view s =
        text ? std::string_view(reinterpret_cast<const char*>(text),
                                static_cast<std::size_t>(sqlite3_value_bytes(args[0])))
             : std::string_view();
    sqlite3_result_int64(ctx, f(s, sqlite3_value_int64(args[1])));
  };
  if (int rc = sqlite3_create_function_v2(db_, name, 2, SQLITE_UTF8, reinterpret_cast<void*>(fn),
                                          call, nullptr, nullptr, nullptr);
      rc != SQLITE_OK)
    fail(db_, rc, "create function");
}

}  // namespace boxoffice::sqlite
