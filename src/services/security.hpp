#pragma once
// Passwords (argon2id on a small bounded pool), opaque random tokens and their hashes.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "domain/result.hpp"

namespace boxoffice {

// libsodium must be initialised once before any of these are used.
void init_crypto();

std::string random_token(std::size_t bytes = 32);  // base64url, no padding
std::string sha256_hex(std::string_view data);
bool constant_time_equal(std::string_view a, std::string_view b);

class PasswordHasher {
 public:
  // `threads` bounds the memory argon2id uses (64 MiB each); `max_waiting` bounds the queue:
  // beyond it callers get 503 instead of piling up.
  PasswordHasher(std::size_t threads, std::size_t max_waiting);
  ~PasswordHasher();
  boost::asio::awaitable<Result<std::string>> hash(std::string password);
  boost::asio::awaitable<Result<bool>> verify(std::string hash, std::string password);
  // A hash to verify against when the user is unknown, so both paths cost the same.
  const std::string& dummy_hash() const { return dummy_hash_; }

 private:
  boost::asio::thread_pool pool_;
  std::size_t max_waiting_;
  std::atomic<std::size_t> waiting_{0};
  std::string dummy_hash_;
};

std::string hash_password_now(const std::string& password);  // blocking; tests and start-up

// Hold ids that prove whom they were issued to: "h<show>.<22 random characters>.<24 hex
// characters of HMAC-SHA256(secret, show, user, random)>". A hold ends and is forgotten (the
// registries keep a tombstone for a minute, bounded); a confirm of an id that no registry knows
// any more is then answered 409 hold-expired when the id was issued to the caller, 404 when
// not. `secret` is at least 32 bytes (its first 32 are the key), shared by every instance
// (Store::secret).
std::string make_hold_id(std::string_view secret, std::int64_t show_id, std::int64_t user_id);
bool hold_issued_to(std::string_view secret, std::string_view hold_id, std::int64_t user_id);

}  // namespace boxoffice
