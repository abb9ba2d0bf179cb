#pragma once
// A thin RAII layer over the SQLite C API. Errors throw SqliteError; the store converts them
// into typed results at its boundary.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace boxoffice::sqlite {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }
  bool is_constraint() const { return (code_ & 0xFF) == 19; }  // SQLITE_CONSTRAINT

 private:
  int code_;
};

class Statement {
 public:
  explicit Statement(sqlite3_stmt* s) : stmt_(s) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& reset();  // also clears bindings
  Statement& bind(int index, std::int64_t v);
  Statement& bind(int index, int v) { return bind(index, static_cast<std::int64_t>(v)); }
  Statement& bind(int index, std::string_view v);
  Statement& bind(int index, const char* v) { return bind(index, std::string_view(v)); }
  Statement& bind(int index, const std::string& v) { return bind(index, std::string_view(v)); }
  Statement& bind_null(int index);
  template <class... Args>
  Statement& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  bool step();  // true while a row is available
  void run() {
    while (step()) {
    }
  }
  std::int64_t int64(int col) const;
  std::string text(int col) const;
  bool is_null(int col) const;

 private:
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  // Opens (creating) the database file and applies this project's pragmas.
  Connection(const std::string& path, bool read_only);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  void exec(const char* sql);
  // Cached by the address of `sql`: pass string literals. Returns the statement reset.
  Statement& prepare(const char* sql);
  // Ends every statement still mid-result, so this connection holds no read snapshot open.
  void reset_all();
  std::int64_t last_insert_id() const;
  int changes() const;
  // Makes fn callable from this connection's SQL as name(text, integer) -> integer, for
  // computations SQL cannot do itself. fn must not throw.
  using TextIntFunction = std::int64_t (*)(std::string_view, std::int64_t) noexcept;
  void define_function(const char* name, TextIntFunction fn);

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, std::unique_ptr<Statement>> cache_;
};

}  // namespace boxoffice::sqlite
