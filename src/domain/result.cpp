#include "domain/result.hpp"

namespace boxoffice {

std::string_view problem_slug(Problem p) {
  switch (p) {
    case Problem::bad_request:
      return "bad-request";
    case Problem::malformed_json:
      return "malformed-json";
    case Problem::bad_query:
      return "bad-query";
    case Problem::headers_too_large:
      return "headers-too-large";
    case Problem::websocket_required:
    case Problem::websocket_version:
      return "websocket-required";
    case Problem::unauthorized:
      return "unauthorized";
    case Problem::forbidden:
      return "forbidden";
    case Problem::not_found:
      return "not-found";
    case Problem::method_not_allowed:
      return "method-not-allowed";
    case Problem::seat_unavailable:
      return "seat-unavailable";
    case Problem::hold_expired:
      return "hold-expired";
    case Problem::hold_confirming:
      return "hold-confirming";
    case Problem::hold_limit:
      return "hold-limit";
    case Problem::show_started:
      return "show-started";
    case Problem::idempotency_in_progress:
      return "idempotency-in-progress";
    case Problem::idempotency_replay:
      return "idempotency-replay";
    case Problem::email_taken:
      return "email-taken";
    case Problem::screen_busy:
      return "screen-busy";
    case Problem::movie_has_bookings:
      return "movie-has-bookings";
    case Problem::payload_too_large:
      return "payload-too-large";
    case Problem::unsupported_media_type:
      return "unsupported-media-type";
    case Problem::not_implemented:
      return "not-implemented";
    case Problem::validation_failed:
      return "validation-failed";
    case Problem::idempotency_key_reused:
      return "idempotency-key-reused";
    case Problem::rate_limited:
      return "rate-limited";
    case Problem::internal:
      return "internal";
    case Problem::unavailable:
    case Problem::mirror_unloaded:
      return "service-unavailable";
    case Problem::overloaded:
      return "overloaded";
  }
  return "internal";
}

Errc problem_status(Problem p) {
  switch (p) {
    case Problem::bad_request:
    case Problem::malformed_json:
    case Problem::bad_query:
    case Problem::headers_too_large:
    case Problem::websocket_required:
      return Errc::bad_request;
    case Problem::websocket_version:
      return Errc::upgrade_required;
    case Problem::unauthorized:
      return Errc::unauthorized;
    case Problem::forbidden:
      return Errc::forbidden;
    case Problem::not_found:
      return Errc::not_found;
    case Problem::method_not_allowed:
      return Errc::method_not_allowed;
    case Problem::seat_unavailable:
    case Problem::hold_expired:
    case Problem::hold_confirming:
    case Problem::hold_limit:
    case Problem::show_started:
    case Problem::idempotency_in_progress:
    case Problem::idempotency_replay:
    case Problem::email_taken:
    case Problem::screen_busy:
    case Problem::movie_has_bookings:
      return Errc::conflict;
    case Problem::payload_too_large:
      return Errc::payload_too_large;
    case Problem::unsupported_media_type:
      return Errc::unsupported_media_type;
    case Problem::not_implemented:
      return Errc::not_implemented;
    case Problem::validation_failed:
    case Problem::idempotency_key_reused:
      return Errc::invalid;
    case Problem::rate_limited:
      return Errc::rate_limited;
    case Problem::internal:
      return Errc::internal;
    case Problem::unavailable:
    case Problem::mirror_unloaded:
    case Problem::overloaded:
      return Errc::unavailable;
  }
  return Errc::internal;
}

}  // namespace boxoffice
