#pragma once
// The server's own request and response types: handlers and services never see Beast, which
// keeps its heavy headers inside server.cpp.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boxoffice::http {

enum class Method { get, head, post, put, patch, del, options, other };
std::string_view method_name(Method m);

struct Request {
  Method method = Method::get;
  std::string method_text;
  std::string target;  // raw, as received
  std::string path;    // percent-decoded path
  std::vector<std::pair<std::string, std::string>> query;
  bool query_ok = true;  // false when the query string is malformed
  std::string body;
  bool has_body = false;
  // Only the headers the API reads are kept.
  std::string content_type;
  std::string content_encoding;  // every Content-Encoding line, comma-joined
  std::string authorization;
  std::string if_none_match;
  std::string idempotency_key;
  bool has_idempotency_key = false;
  std::string forwarded_for;  // every X-Forwarded-For line, joined by commas
  std::string accept_encoding;
  std::string websocket_key;
  std::string websocket_version;
  std::string user_agent;
  bool websocket_upgrade = false;
  std::string request_id;
  std::string peer_ip;
  std::string client_ip;            // after trusted-proxy resolution
  std::vector<std::string> params;  // path parameters in route order
  std::string route;                // matched route template, for logs and metrics

  const std::string* query_param(std::string_view name) const {
    for (const auto& [k, v] : query)
      if (k == name) return &v;
    return nullptr;
  }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::shared_ptr<const std::string> shared_body;  // pre-serialised cached bytes, sent without copy
  std::size_t shared_offset = 0;                   // the body starts here in shared_body
  std::shared_ptr<const std::string> shared_gzip;  // the same body gzip-compressed once, if any
  std::vector<std::pair<std::string, std::string>> headers;

  std::string_view body_view() const {
    return shared_body ? std::string_view(*shared_body).substr(shared_offset)
                       : std::string_view(body);
  }
  Response& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// Fills req.path (percent-decoded; an encoded slash keeps the raw path), req.query and
// req.query_ok from an origin-form request target such as "/api/v1/shows?date=2026-12-01".
void apply_target(std::string_view target, Request& req);

Response json_response(int status, std::string body);
Response bytes_response(int status, std::shared_ptr<const std::string> body);
Response empty_response(int status);

}  // namespace boxoffice::http
