#pragma once
// Typed results: services and stores return Result<T>; the HTTP edge turns an Error into
// problem+json. Exceptions are reserved for bugs and broken invariants.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace boxoffice {

enum class Errc {
  bad_request = 400,
  unauthorized = 401,
  forbidden = 403,
  not_found = 404,
  method_not_allowed = 405,
  conflict = 409,
  payload_too_large = 413,
  unsupported_media_type = 415,
  invalid = 422,
  upgrade_required = 426,
  rate_limited = 429,
  internal = 500,
  not_implemented = 501,
  unavailable = 503,
};

struct FieldError {
  std::string field;
  std::string message;
  bool operator==(const FieldError&) const = default;
};

// What went wrong, as the client sees it: each problem has one slug (the last part of the
// problem type URI) and one status. Control flow compares these, never slug strings.
enum class Problem : std::uint8_t {
  bad_request,
  malformed_json,
  bad_query,
  headers_too_large,
  websocket_required,
  websocket_version,  // 426: same slug as websocket_required, another status
  unauthorized,
  forbidden,
  not_found,
  method_not_allowed,
  seat_unavailable,
  hold_expired,
  hold_confirming,
  hold_limit,
  show_started,
  idempotency_in_progress,
  idempotency_replay,  // store -> service only: the key is recorded, re-read it
  mirror_unloaded,     // hold registry -> service only: prime the show's booked seats, retry
  email_taken,
  screen_busy,
  movie_has_bookings,
  payload_too_large,
  unsupported_media_type,
  not_implemented,
  validation_failed,
  idempotency_key_reused,
  rate_limited,
  internal,
  unavailable,
  overloaded,
};

std::string_view problem_slug(Problem p);
Errc problem_status(Problem p);

struct Error {
  Errc code = Errc::internal;
  Problem problem = Problem::internal;
  std::string detail;              // human-readable, specific to this occurrence
  std::vector<FieldError> fields;  // 422
  std::vector<std::string> seats;  // 409 seat-unavailable
  int retry_after_s = 0;           // 429 and 503: sent as Retry-After when > 0

  std::string_view slug() const { return problem_slug(problem); }

  static Error make(Problem p, std::string detail) {
    return Error{problem_status(p), p, std::move(detail), {}, {}, 0};
  }
  static Error bad_request(std::string detail) {
    return make(Problem::bad_request, std::move(detail));
  }
  static Error unauthorized(std::string detail) {
    return make(Problem::unauthorized, std::move(detail));
  }
  static Error forbidden(std::string detail) { return make(Problem::forbidden, std::move(detail)); }
  static Error not_found(std::string detail) { return make(Problem::not_found, std::move(detail)); }
  static Error conflict(Problem p, std::string detail) { return make(p, std::move(detail)); }
  static Error unavailable(std::string detail) {
    return make(Problem::unavailable, std::move(detail));
  }
  static Error overloaded(std::string detail, int retry_after_s) {
    Error e = make(Problem::overloaded, std::move(detail));
    e.retry_after_s = retry_after_s;
    return e;
  }
  static Error internal(std::string detail) { return make(Problem::internal, std::move(detail)); }
  static Error invalid(std::vector<FieldError> fields) {
    Error e = make(Problem::validation_failed, "one or more fields are invalid");
    e.fields = std::move(fields);
    return e;
  }
  static Error invalid(std::string field, std::string message) {
    return invalid(std::vector<FieldError>{{std::move(field), std::move(message)}});
  }
};

struct Unit {};

template <class T>
class [[nodiscard]] Result {
 public:
  // Asio's co_spawn needs default-constructible results; an unset Result is an internal error.
  Result() : v_(std::in_place_index<1>, Error::internal("no result")) {}
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

using Status = Result<Unit>;
inline Status ok_status() {
  return Unit{};
}

}  // namespace boxoffice
