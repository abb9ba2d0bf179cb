#pragma once
// Small helpers shared by the handler files.
#include <boost/json.hpp>

#include "common/cached_body.hpp"
#include "common/gzip.hpp"
#include "http/message.hpp"
#include "http/problem.hpp"
#include "services/accounts.hpp"

namespace boxoffice::http {

inline Response json_of(int status, const boost::json::value& v) {
  return json_response(status, boost::json::serialize(v));
}

// A body built once (and compressed once): the server picks the gzip copy when the client takes it.
inline Response cached_response(int status, const CachedBody& body) {
  Response r = bytes_response(status, body.bytes);
  r.shared_gzip = body.gzip;
  return r;
}

// 304 for a body that has a gzip copy too: the tag of the representation this client gets, and
// Vary as on the 200 (RFC 9110 15.4.5).
inline Response not_modified(const Request& req, std::string etag, bool has_gzip) {
  Response r = empty_response(304);
  if (has_gzip) {
    r.header("Vary", "Accept-Encoding");
    if (accepts_gzip(req.accept_encoding) && etag.size() >= 2) etag.insert(etag.size() - 1, "-gz");
  }
  r.header("ETag", std::move(etag));
  return r;
}

// Evaluates a Result; on error returns its problem response from the enclosing handler.
#define BOXOFFICE_TRY(var, expr) \
  auto var = (expr);             \
  if (!var) co_return ::boxoffice::http::problem_response(var.error())

inline Result<Caller> require_admin(Result<Caller> caller) {
  if (caller && !caller->is_admin()) return Error::forbidden("this call is for admins only");
  return caller;
}

}  // namespace boxoffice::http
