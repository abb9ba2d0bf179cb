#include "http/problem.hpp"

#include <boost/json.hpp>

#include "common/utf8.hpp"

namespace boxoffice::http {

std::string_view status_title(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

Response problem_response(const Error& e) {
  const int status = static_cast<int>(e.code);
  boost::json::object o;
  o["type"] = std::string(kProblemBase) + std::string(e.slug());
  o["title"] = status_title(status);
  o["status"] = status;
  // Details may quote what the client sent: always valid UTF-8, never unbounded.
  o["detail"] = sanitize_utf8(e.detail, 1024);
  if (!e.fields.empty()) {
    boost::json::array errors;
    for (const auto& f : e.fields)
      errors.push_back(boost::json::object{{"field", sanitize_utf8(f.field, 256)},
                                           {"message", sanitize_utf8(f.message, 512)}});
    o["errors"] = std::move(errors);
  }
  if (!e.seats.empty()) {
    boost::json::array seats;
    for (const auto& s : e.seats) seats.emplace_back(sanitize_utf8(s, 64));
    o["seats"] = std::move(seats);
  }
  Response r = json_response(status, boost::json::serialize(o));
  r.content_type = "application/problem+json";
  if (e.retry_after_s > 0) r.header("Retry-After", std::to_string(e.retry_after_s));
  if (e.code == Errc::unauthorized) r.header("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace boxoffice::http
