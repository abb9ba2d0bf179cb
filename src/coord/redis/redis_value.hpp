#pragma once
// A Redis reply (RESP2) as a plain value, and the error the client throws. Replies are converted
// from hiredis' redisReply when they are parsed (resp.cpp), so no hiredis type leaks out of
// this directory.
//
// An error *reply* (-ERR ..., -MOVED ..., -WRONGTYPE ...) is a value (is_error()), not an
// exception: the client handles the cluster ones itself and hands the rest to the caller.
// RedisError is thrown only when no reply could be had (connection, deadline, overload, ...).
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace boxoffice::redis {

class RedisValue {
 public:
  enum class Type { nil, status, error, integer, string, array };

  RedisValue() = default;  // nil
  static RedisValue nil() { return RedisValue(); }
  static RedisValue status(std::string s) { return RedisValue(Type::status, std::move(s)); }
  static RedisValue error(std::string s) { return RedisValue(Type::error, std::move(s)); }
  static RedisValue string(std::string s) { return RedisValue(Type::string, std::move(s)); }
  static RedisValue integer(std::int64_t v) {
    RedisValue r;
    r.type_ = Type::integer;
    r.int_ = v;
    return r;
  }
  static RedisValue array(std::vector<RedisValue> items) {
    RedisValue r;
    r.type_ = Type::array;
    r.items_ = std::move(items);
    return r;
  }

  Type type() const noexcept { return type_; }
  bool is_nil() const noexcept { return type_ == Type::nil; }
  bool is_status() const noexcept { return type_ == Type::status; }
  bool is_error() const noexcept { return type_ == Type::error; }
  bool is_integer() const noexcept { return type_ == Type::integer; }
  bool is_string() const noexcept { return type_ == Type::string; }
  bool is_array() const noexcept { return type_ == Type::array; }

  // The first word of an error reply ("MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "NOSCRIPT",
  // "LOADING", "READONLY", "ERR", "WRONGTYPE" ...); empty when this is not an error.
  std::string_view error_prefix() const noexcept;
  // A status or error reply is "OK"/"PONG" ... (exact text, without the leading +/-).
  bool is_status(std::string_view text) const noexcept {
    return type_ == Type::status && str_ == text;
  }

  // An integer reply, or a bulk/status string that is a decimal integer (Redis returns
  // numbers as strings in many places). Throws std::invalid_argument otherwise.
  std::int64_t as_int() const;
  // The text of a bulk string, status or error reply. Throws std::invalid_argument otherwise.
  const std::string& as_string() const;
  // Array items; throws std::invalid_argument for a non-array.
  const std::vector<RedisValue>& as_array() const;
  std::size_t size() const noexcept { return items_.size(); }
  // Array access; throws std::out_of_range.
  const RedisValue& operator[](std::size_t i) const { return as_array().at(i); }
  // Moves the items out (for large replies).
  std::vector<RedisValue> take_array() &&;

  // For logs and test failures: +OK, -ERR x, :1, "bulk", (nil), [a, b].
  std::string debug_string() const;

  bool operator==(const RedisValue&) const = default;

 private:
  RedisValue(Type t, std::string s) : type_(t), str_(std::move(s)) {}
  Type type_ = Type::nil;
  std::int64_t int_ = 0;
  std::string str_;
  std::vector<RedisValue> items_;
};

// Why a command produced no reply.
enum class ErrorKind {
  connect,      // the node could not be reached; nothing was sent
  not_sent,     // the connection died before the request was written; safe to retry
  lost,         // written, then the connection died: the command may or may not have run
  timeout,      // past its deadline (the connection is then dead): may or may not have run
  overloaded,   // too many requests in flight on the connection or the client; nothing sent
  protocol,     // the server sent something unparseable (the connection is then dead)
  unavailable,  // the cluster could not serve it: redirects/retries exhausted, no owner known
  closed,       // the client was stopped
};

const char* to_string(ErrorKind kind) noexcept;

class RedisError : public std::runtime_error {
 public:
  RedisError(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }
  // True when the command certainly did not reach the server.
  bool nothing_sent() const noexcept {
    return kind_ == ErrorKind::connect || kind_ == ErrorKind::not_sent ||
           kind_ == ErrorKind::overloaded || kind_ == ErrorKind::closed;
  }

 private:
  ErrorKind kind_;
};

}  // namespace boxoffice::redis
