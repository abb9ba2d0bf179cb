#pragma once
#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "coord/coordinator.hpp"
#include "services/security.hpp"
#include "store/store.hpp"

namespace boxoffice {

struct SessionGrant {
  std::string token;
  UnixSeconds expires_at = 0;
  User user;
};

struct Caller {
  User user;
  std::string token_hash;
  bool is_admin() const { return user.role == Role::admin; }
};

class AccountService {
 public:
  AccountService(std::shared_ptr<Store> store, Coordinator coord,
                 std::shared_ptr<PasswordHasher> hasher, std::chrono::seconds session_ttl);

  boost::asio::awaitable<Result<User>> register_user(std::string email, std::string password,
                                                     std::string name);
  boost::asio::awaitable<Result<SessionGrant>> sign_in(std::string email, std::string password);
  boost::asio::awaitable<Status> sign_out(const Caller& caller);
  // From an Authorization header value; 401 when missing, malformed, unknown or expired.
  boost::asio::awaitable<Result<Caller>> authenticate(std::string_view authorization);
  boost::asio::awaitable<Result<User>> ensure_admin(std::string email, std::string password);

 private:
  std::shared_ptr<Store> store_;
  Coordinator coord_;
  std::shared_ptr<PasswordHasher> hasher_;
  std::chrono::seconds session_ttl_;
};

}  // namespace boxoffice
