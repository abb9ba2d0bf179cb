#include "http/problem.hpp"

#include <boost/json.hpp>

namespace boxoffice::http {

std::string_view status_title(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

Response problem_response(const Error& e) {
  const int status = static_cast<int>(e.code);
  boost::json::object o;
  o["type"] = std::string(kProblemBase) + e.slug;
  o["title"] = status_title(status);
  o["status"] = status;
  o["detail"] = e.detail;
  if (!e.fields.empty()) {
    boost::json::array errors;
    for (const auto& f : e.fields) errors.push_back(boost::json::object{{"field", f.field}, {"message", f.message}});
    o["errors"] = std::move(errors);
  }
  if (!e.seats.empty()) {
    boost::json::array seats;
    for (const auto& s : e.seats) seats.emplace_back(s);
    o["seats"] = std::move(seats);
  }
  Response r = json_response(status, boost::json::serialize(o));
  r.content_type = "application/problem+json";
  return r;
}

}  // namespace boxoffice::http
