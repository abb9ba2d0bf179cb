#include "http/bodies.hpp"
#include "http/handler_support.hpp"
#include "http/handlers.hpp"
#include "services/views.hpp"

namespace boxoffice::http::handlers {

awaitable<Response> create_user(Api& api, Request& req) {
  BOXOFFICE_TRY(body, parse_new_user(req));
  BOXOFFICE_TRY(user, co_await api.accounts.register_user(body->email, body->password, body->name));
  co_return json_of(201, views::user(*user)).header("Location", "/api/v1/users/" + std::to_string(user->id));
}

awaitable<Response> create_session(Api& api, Request& req) {
  BOXOFFICE_TRY(body, parse_credentials(req));
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
