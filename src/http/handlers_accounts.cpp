#include <array>
#include <cstdio>

#include "coord/coordinator.hpp"
#include "domain/hash.hpp"
#include "domain/validation.hpp"
#include "http/bodies.hpp"
#include "http/handler_support.hpp"
#include "http/handlers.hpp"
#include "http/headers.hpp"
#include "ops/metrics.hpp"
#include "services/views.hpp"

namespace boxoffice::http::handlers {
namespace {

// Each sign-in and registration costs an argon2id hash: one client, or many clients aimed at
// one account, get their own small budget instead of starving everyone's hashing pool.
awaitable<std::optional<Response>> auth_limited(Api& api, const Request& req,
                                                std::string_view email) {
  // The account key is a fixed-size hash of the case-folded address: a client cannot make the
  // limiter store megabyte keys by sending megabyte "emails".
  const std::uint64_t h = fnv1a(normalize_email(email));
  char account[32];
  std::snprintf(account, sizeof account, "%016llx", static_cast<unsigned long long>(h));
  std::array<std::string, 2> keys{"auth-ip:" + client_rate_key(req.client_ip),
                                  std::string("auth-account:") + account};
  for (std::string& key : keys) {
    const RateDecision d =
        co_await api.rate_limiter.hit(std::move(key), api.auth_rate_limit_per_min);
    if (!d.allowed) {
      api.metrics.rate_limited();
      Error e = Error::make(Problem::rate_limited,
                            "too many sign-in or registration attempts; retry in " +
                                std::to_string(d.retry_after_s) + " s");
      e.retry_after_s = static_cast<int>(d.retry_after_s);
      co_return problem_response(e);
    }
  }
  co_return std::nullopt;
}

}  // namespace

awaitable<Response> create_user(Api& api, Request& req) {
  BOXOFFICE_TRY(body, parse_new_user(req));
  if (auto limited = co_await auth_limited(api, req, body->email)) co_return std::move(*limited);
  BOXOFFICE_TRY(user, co_await api.accounts.register_user(body->email, body->password, body->name));
  co_return json_of(201, views::user(*user))
      .header("Location", "/api/v1/users/" + std::to_string(user->id));
}

awaitable<Response> create_session(Api& api, Request& req) {
  BOXOFFICE_TRY(body, parse_credentials(req));
  if (auto limited = co_await auth_limited(api, req, body->email)) co_return std::move(*limited);
  BOXOFFICE_TRY(grant, co_await api.accounts.sign_in(body->email, body->password));
  co_return json_of(201, boost::json::object{{"token", grant->token},
                                             {"expires_at", format_rfc3339(grant->expires_at)},
                                             {"user", views::user(grant->user)}});
}

awaitable<Response> delete_session(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, co_await api.accounts.authenticate(req.authorization));
  BOXOFFICE_TRY(done, co_await api.accounts.sign_out(*caller));
  co_return empty_response(204);
}

awaitable<Response> get_me(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, co_await api.accounts.authenticate(req.authorization));
  co_return json_of(200, views::user(caller->user));
}

}  // namespace boxoffice::http::handlers
