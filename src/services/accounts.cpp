#include "services/accounts.hpp"

#include "domain/validation.hpp"

namespace boxoffice {

AccountService::AccountService(std::shared_ptr<Store> store, Coordinator coord,
                               std::shared_ptr<PasswordHasher> hasher,
                               std::chrono::seconds session_ttl)
    : store_(std::move(store)),
      coord_(std::move(coord)),
      hasher_(std::move(hasher)),
      session_ttl_(session_ttl) {}

boost::asio::awaitable<Result<User>> AccountService::register_user(std::string email,
                                                                   std::string password,
                                                                   std::string name) {
  std::vector<FieldError> errors;
  if (auto problem = email_problem(email)) errors.push_back({"email", std::move(*problem)});
  if (auto problem = password_problem(password))
    errors.push_back({"password", std::move(*problem)});
  auto clean_name = clean_display_name(name);
  if (!clean_name) errors.push_back({"name", "must be 1 to 200 characters of visible text"});
  if (!errors.empty()) co_return Error::invalid(std::move(errors));
  name = std::move(*clean_name);
  auto hash = co_await hasher_->hash(std::move(password));
  if (!hash) co_return hash.error();
  // Named, not a temporary inside co_await: g++ 12 miscompiles by-value aggregate temporaries
  // there.
  NewUser user{normalize_email(email), std::move(name), std::move(*hash), Role::customer};
  co_return co_await store_->create_user(std::move(user));
}

boost::asio::awaitable<Result<SessionGrant>> AccountService::sign_in(std::string email,
                                                                     std::string password) {
  const Error wrong = Error::unauthorized("wrong email or password");
  auto found = co_await store_->find_user_by_email(normalize_email(email));
  if (!found) co_return found.error();
  // An unknown email costs the same hashing work as a wrong password.
  const std::string hash = *found ? (*found)->password_hash : hasher_->dummy_hash();
  auto verified = co_await hasher_->verify(hash, std::move(password));
  if (!verified) co_return verified.error();
  if (!*found || !*verified) co_return wrong;
  const User user = (*found)->user;
  const std::string token = random_token();
  const std::string token_hash = sha256_hex(token);
  const UnixSeconds expires = now_unix() + session_ttl_.count();
  auto created = co_await store_->create_session(token_hash, user.id, expires);
  if (!created) co_return created.error();
  SessionRecord session{user, expires};
  co_await coord_.sessions->put(token_hash, std::move(session));
  co_return SessionGrant{token, expires, user};
}

boost::asio::awaitable<Status> AccountService::sign_out(const Caller& caller) {
  // The database first: if its delete fails nothing has changed and signing out again works.
  // Then the cache records the sign-out, replacing any cached copy on every instance; a store
  // read that began before the delete cannot cache the session again (puts never replace a
  // sign-out). Were the marker written first and the delete then failed, the token would be
  // refused until the marker expired and accepted again afterwards.
  auto deleted = co_await store_->delete_session(caller.token_hash);
  if (!deleted) co_return deleted;
  const bool recorded = co_await coord_.sessions->erase(caller.token_hash);
  if (!recorded)
    co_return Error::unavailable("the session store is not answering; sign out again shortly");
  co_return ok_status();
}

boost::asio::awaitable<Result<Caller>> AccountService::authenticate(
    std::string_view authorization) {
  constexpr std::string_view prefix = "Bearer ";
  if (authorization.empty())
    co_return Error::unauthorized("this call needs an Authorization: Bearer token");
  if (authorization.size() <= prefix.size() || authorization.size() > 512 ||
      !std::equal(prefix.begin(), prefix.end(), authorization.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
    co_return Error::unauthorized("the Authorization header must be 'Bearer <token>'");
  const std::string token_hash = sha256_hex(authorization.substr(prefix.size()));
  const SessionLookup cached = co_await coord_.sessions->get(token_hash);
  if (cached.state == SessionLookup::State::live) co_return Caller{cached.session.user, token_hash};
  if (cached.state == SessionLookup::State::signed_out)
    co_return Error::unauthorized("the token is invalid or has expired");
  auto found = co_await store_->find_session(token_hash);
  if (!found) co_return found.error();
  if (!*found) co_return Error::unauthorized("the token is invalid or has expired");
  co_await coord_.sessions->put(token_hash, **found);
  co_return Caller{(*found)->user, token_hash};
}

boost::asio::awaitable<Result<User>> AccountService::ensure_admin(std::string email,
                                                                  std::string password) {
  if (auto problem = email_problem(email))
    co_return Error::invalid("BOXOFFICE_ADMIN_EMAIL", std::move(*problem));
  if (auto problem = password_problem(password))
    co_return Error::invalid("BOXOFFICE_ADMIN_PASSWORD", std::move(*problem));
  auto hash = co_await hasher_->hash(std::move(password));
  if (!hash) co_return hash.error();
  NewUser admin{normalize_email(email), "Administrator", std::move(*hash), Role::admin};
  co_return co_await store_->ensure_admin(std::move(admin));
}

}  // namespace boxoffice
