#include "services/security.hpp"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

#include "async/bridge.hpp"

namespace boxoffice {

void init_crypto() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

std::string random_token(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {

std::string hold_tag(std::string_view secret, std::string_view show_and_nonce,
                     std::int64_t user_id) {
  unsigned char key[crypto_auth_hmacsha256_KEYBYTES] = {};
  std::copy_n(secret.begin(), std::min(secret.size(), sizeof key), key);
  const std::string message = std::string(show_and_nonce) + "|" + std::to_string(user_id);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(message.data()),
                         message.size(), key);
  char hex[25];
  sodium_bin2hex(hex, sizeof hex, mac, 12);
  return std::string(hex, 24);
}

}  // namespace

std::string make_hold_id(std::string_view secret, std::int64_t show_id, std::int64_t user_id) {
  std::string id = "h" + std::to_string(show_id) + "." + random_token(16);
  const std::string tag = hold_tag(secret, id, user_id);
  return id + "." + tag;
}

bool hold_issued_to(std::string_view secret, std::string_view hold_id, std::int64_t user_id) {
  const auto dot = hold_id.rfind('.');
  if (dot == std::string_view::npos || hold_id.size() - dot - 1 != 24 || hold_id.find('.') == dot)
    return false;
  return constant_time_equal(hold_tag(secret, hold_id.substr(0, dot), user_id),
                             hold_id.substr(dot + 1));
}

std::string hash_password_now(const std::string& password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("argon2id hashing ran out of memory");
  return out;
}

PasswordHasher::PasswordHasher(std::size_t threads, std::size_t max_waiting)
    : pool_(threads), max_waiting_(max_waiting), dummy_hash_(hash_password_now(random_token(16))) {}

PasswordHasher::~PasswordHasher() {
  pool_.join();
}

namespace {
struct WaitingSlot {
  std::atomic<std::size_t>& counter;
  ~WaitingSlot() { --counter; }
};
}  // namespace

boost::asio::awaitable<Result<std::string>> PasswordHasher::hash(std::string password) {
  if (++waiting_ > max_waiting_) {
    --waiting_;
    co_return Error::unavailable("too many password operations are waiting; retry shortly");
  }
  WaitingSlot slot{waiting_};
  auto job = [p = std::move(password)]() -> Result<std::string> {
    try {
      return hash_password_now(p);
    } catch (const std::exception& e) {
      return Error::unavailable(e.what());
    }
  };
  co_return co_await run_on(pool_.get_executor(), std::move(job));
}

boost::asio::awaitable<Result<bool>> PasswordHasher::verify(std::string hash,
                                                            std::string password) {
  if (++waiting_ > max_waiting_) {
    --waiting_;
    co_return Error::unavailable("too many password operations are waiting; retry shortly");
  }
  WaitingSlot slot{waiting_};
  auto job = [h = std::move(hash), p = std::move(password)]() -> Result<bool> {
    return crypto_pwhash_str_verify(h.c_str(), p.data(), p.size()) == 0;
  };
  co_return co_await run_on(pool_.get_executor(), std::move(job));
}

}  // namespace boxoffice
