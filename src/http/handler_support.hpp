#pragma once
// Small helpers shared by the handler files.
#include <boost/json.hpp>

#include "http/message.hpp"
#include "http/problem.hpp"
#include "services/accounts.hpp"

namespace boxoffice::http {

inline Response json_of(int status, const boost::json::value& v) {
  return json_response(status, boost::json::serialize(v));
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
