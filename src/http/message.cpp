#include "http/message.hpp"

#include <boost/url/parse.hpp>

namespace boxoffice::http {

std::string_view method_name(Method m) {
  switch (m) {
    case Method::get:
      return "GET";
    case Method::head:
      return "HEAD";
    case Method::post:
      return "POST";
    case Method::put:
      return "PUT";
    case Method::patch:
      return "PATCH";
    case Method::del:
      return "DELETE";
    case Method::options:
      return "OPTIONS";
    case Method::other:
      return "OTHER";
  }
  return "OTHER";
}

void apply_target(std::string_view target, Request& req) {
  req.target = std::string(target);
  // The absolute form (RFC 9112 3.2.2), which servers must accept: only its path and query count.
  if (target.size() > 7 &&
      (target.substr(0, 7) == "http://" || target.substr(0, 8) == "https://")) {
    auto abs = boost::urls::parse_absolute_uri(target);
    if (!abs) {
      req.query_ok = false;
      req.path = "/";
      return;
    }
    std::string origin(abs->encoded_path());
    if (origin.empty()) origin = "/";
    if (abs->has_query()) origin += "?" + std::string(abs->encoded_query());
    const std::string raw = req.target;
    apply_target(origin, req);
    req.target = raw;
    return;
  }
  auto url = boost::urls::parse_origin_form(target);
  if (!url) {
    req.query_ok = false;
    req.path = req.target.substr(0, req.target.find('?'));
    return;
  }
  const auto encoded = url->encoded_path();
  if (encoded.find("%2F") != boost::core::string_view::npos ||
      encoded.find("%2f") != boost::core::string_view::npos)
    req.path = std::string(encoded);  // an encoded slash is not a separator
  else
    req.path = std::string(url->path());
  for (auto param : url->params()) req.query.emplace_back(param.key, param.value);
}

Response json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response bytes_response(int status, std::shared_ptr<const std::string> body) {
  Response r;
  r.status = status;
  r.shared_body = std::move(body);
  return r;
}

Response empty_response(int status) {
  Response r;
  r.status = status;
  r.content_type.clear();
  return r;
}

}  // namespace boxoffice::http
