#pragma once
// Typed results: services and stores return Result<T>; the HTTP edge turns an Error into
// problem+json. Exceptions are reserved for bugs and broken invariants.
#include <string>
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
  rate_limited = 429,
  internal = 500,
  unavailable = 503,
};

struct FieldError {
  std::string field;
  std::string message;
  bool operator==(const FieldError&) const = default;
};

struct Error {
  Errc code = Errc::internal;
  std::string slug;    // last part of the problem type URI
  std::string detail;  // human-readable, specific to this occurrence
  std::vector<FieldError> fields;   // 422
  std::vector<std::string> seats;   // 409 seat-unavailable

  static Error make(Errc code, std::string slug, std::string detail) {
    return Error{code, std::move(slug), std::move(detail), {}, {}};
  }
  static Error bad_request(std::string detail) { return make(Errc::bad_request, "bad-request", std::move(detail)); }
  static Error unauthorized(std::string detail) { return make(Errc::unauthorized, "unauthorized", std::move(detail)); }
  static Error forbidden(std::string detail) { return make(Errc::forbidden, "forbidden", std::move(detail)); }
  static Error not_found(std::string detail) { return make(Errc::not_found, "not-found", std::move(detail)); }
  static Error conflict(std::string slug, std::string detail) { return make(Errc::conflict, std::move(slug), std::move(detail)); }
  static Error unavailable(std::string detail) { return make(Errc::unavailable, "service-unavailable", std::move(detail)); }
  static Error internal(std::string detail) { return make(Errc::internal, "internal", std::move(detail)); }
  static Error invalid(std::vector<FieldError> fields) {
    Error e = make(Errc::invalid, "validation-failed", "one or more fields are invalid");
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
inline Status ok_status() { return Unit{}; }

}  // namespace boxoffice
