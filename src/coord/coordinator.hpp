#pragma once
// The coordinator ports: fast, shared, non-durable state. Backends: local/ (in-process, one
// instance) and, later, redis/ (many instances). Nothing here is the truth about a booking:
// the store decides; losing coordinator state costs retries, never a double booking.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "domain/models.hpp"
#include "domain/result.hpp"
#include "domain/seat_book.hpp"
#include "domain/sliding_window.hpp"
#include "store/store.hpp"

namespace boxoffice {

namespace asio = boost::asio;
using Bytes = std::shared_ptr<const std::string>;

// Seat holds and the booked-seat mirror, per show.
class HoldRegistry {
 public:
  virtual ~HoldRegistry() = default;
  virtual asio::awaitable<bool> is_primed(Id show_id) = 0;
  // Loads the booked seats of a show once; later calls are ignored (first one wins).
  virtual asio::awaitable<void> prime(Id show_id, std::vector<std::string> booked) = 0;
  virtual asio::awaitable<Result<HoldInfo>> try_hold(HoldInfo hold) = 0;
  virtual asio::awaitable<Status> release(Id show_id, std::string hold_id, Id user_id) = 0;
  virtual asio::awaitable<Result<HoldInfo>> begin_confirm(Id show_id, std::string hold_id, Id user_id) = 0;
  virtual asio::awaitable<void> finish_confirm(Id show_id, std::string hold_id, bool booked) = 0;
  virtual asio::awaitable<void> mark_free(Id show_id, std::vector<std::string> seats) = 0;
  // Status of each seat of `seat_ids`, in order.
  virtual asio::awaitable<Result<std::vector<SeatStatus>>> statuses(
      Id show_id, std::span<const std::string> seat_ids) = 0;
  // Every seat change of a show (holds, releases, expiries, bookings, cancellations) is
  // reported to every listener, from whichever instance made it, in order per seat. Listeners
  // are added before serving starts and must not block: they run under the show's lock.
  using ChangeListener = std::function<void(Id show_id, const std::vector<SeatChange>& changes)>;
  virtual void on_changes(ChangeListener listener) = 0;
};

// Byte cache with TTLs and namespace generations (bumping a generation invalidates every
// key built with the old one, e.g. all pages of a list).
class Cache {
 public:
  virtual ~Cache() = default;
  virtual asio::awaitable<Bytes> get(std::string key) = 0;  // nullptr on a miss
  virtual asio::awaitable<void> put(std::string key, Bytes value, std::chrono::milliseconds ttl) = 0;
  virtual asio::awaitable<void> erase(std::string key) = 0;
  virtual asio::awaitable<std::uint64_t> generation(std::string ns) = 0;
  virtual asio::awaitable<void> bump(std::string ns) = 0;
};

// Sessions by token hash, in front of the store so that authenticating costs no disk read.
class SessionCache {
 public:
  virtual ~SessionCache() = default;
  virtual asio::awaitable<std::optional<SessionRecord>> get(std::string token_hash) = 0;
  virtual asio::awaitable<void> put(std::string token_hash, SessionRecord s) = 0;
  virtual asio::awaitable<void> erase(std::string token_hash) = 0;
};

// Marks an Idempotency-Key as in flight so that a concurrent duplicate gets 409.
class IdempotencyGuard {
 public:
  virtual ~IdempotencyGuard() = default;
  virtual asio::awaitable<bool> try_begin(Id user_id, std::string key) = 0;
  virtual asio::awaitable<void> end(Id user_id, std::string key) = 0;
};

// Per-key request limits over a sliding window (key: the client IP).
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  virtual asio::awaitable<RateDecision> hit(std::string key, std::int64_t limit_per_minute) = 0;
};

struct Coordinator {
  std::shared_ptr<HoldRegistry> holds;
  std::shared_ptr<Cache> cache;
  std::shared_ptr<SessionCache> sessions;
  std::shared_ptr<IdempotencyGuard> idempotency;
  std::shared_ptr<RateLimiter> rate_limiter;
};

}  // namespace boxoffice
