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

namespace boxoffice {

namespace asio = boost::asio;
using Bytes = std::shared_ptr<const std::string>;

// The statuses of some seats of a show and the show's seat version at that moment.
struct SeatSnapshot {
  std::vector<SeatStatus> statuses;  // in the order asked for
  std::uint64_t version = 0;
};

// Seat holds and the booked-seat mirror, per show.
class HoldRegistry {
 public:
  virtual ~HoldRegistry() = default;
  // The booked mirror is loaded from the store on first use. nullopt: already loaded.
  // Otherwise a token for prime(), which loads `booked` only if no seat of the show was freed
  // since the token was taken (false: read the store again), so a cancellation that lands
  // between the store read and prime() is never undone.
  virtual asio::awaitable<std::optional<std::uint64_t>> prime_token(Id show_id) = 0;
  virtual asio::awaitable<bool> prime(Id show_id, std::uint64_t token,
                                      std::vector<std::string> booked) = 0;
  // 409 seat-unavailable / hold-limit (the registry's per-user limit) / 201; or
  // Problem::mirror_unloaded when the show's booked mirror is not loaded (first use, or a
  // networked backend that lost it): prime it (prime_token/prime) and try again. Checking in
  // the same step as the hold costs a networked backend no extra round trip per hold.
  virtual asio::awaitable<Result<HoldInfo>> try_hold(HoldInfo hold) = 0;
  virtual asio::awaitable<Status> release(Id show_id, std::string hold_id, Id user_id) = 0;
  // Two-phase confirm: the ticket's hold reverts by itself after `deadline` unless
  // finish_confirm gives the store's verdict first.
  virtual asio::awaitable<Result<ConfirmTicket>> begin_confirm(
      Id show_id, std::string hold_id, Id user_id, std::chrono::milliseconds deadline) = 0;
  // taken: for ConfirmOutcome::taken, the seats the store has booked already.
  virtual asio::awaitable<void> finish_confirm(Id show_id, ConfirmTicket ticket,
                                               ConfirmOutcome outcome,
                                               std::vector<std::string> taken) = 0;
  virtual asio::awaitable<void> mark_booked(Id show_id, std::vector<std::string> seats) = 0;
  virtual asio::awaitable<void> mark_free(Id show_id, std::vector<std::string> seats) = 0;
  // Status of each seat of `seat_ids`, in order, with the version they were read at.
  virtual asio::awaitable<Result<SeatSnapshot>> statuses(Id show_id,
                                                         std::span<const std::string> seat_ids) = 0;
  // Changes with every seat change of the show (never repeats a value): cached views of the
  // show's seats are valid while it stays the same.
  virtual asio::awaitable<std::uint64_t> version(Id show_id) = 0;
  // The caller's live holds across shows.
  virtual asio::awaitable<Result<std::vector<HoldInfo>>> holds_of(Id user_id) = 0;
  // Every seat change of a show (holds, releases, expiries, bookings, cancellations) is
  // reported to every listener, from whichever instance made it, in order per seat. Listeners
  // are added before serving starts and must not block: they run under the show's lock.
  using ChangeListener = std::function<void(Id show_id, const std::vector<SeatChange>& changes)>;
  virtual void on_changes(ChangeListener listener) = 0;
  // This instance receives the show's changes (through on_changes) while the returned handle
  // lives. Returns once that is in place, so a snapshot read afterwards misses nothing; null
  // when it could not be put in place (the backend is unreachable).
  virtual asio::awaitable<std::shared_ptr<void>> watch(Id show_id) = 0;
  // Changes of a show may have been missed (a subscription was lost and made again after a
  // failover): whoever shows the seats should read them afresh.
  using ResyncListener = std::function<void(Id show_id)>;
  virtual void on_resync(ResyncListener listener) = 0;
};

// Byte cache with TTLs and namespace generations (bumping a generation invalidates every
// key built with the old one, e.g. all pages of a list).
class Cache {
 public:
  virtual ~Cache() = default;
  virtual asio::awaitable<Bytes> get(std::string key) = 0;  // nullptr on a miss
  virtual asio::awaitable<void> put(std::string key, Bytes value,
                                    std::chrono::milliseconds ttl) = 0;
  virtual asio::awaitable<void> erase(std::string key) = 0;
  // Never 0 for a real generation: 0 means the backend did not answer.
  virtual asio::awaitable<std::uint64_t> generation(std::string ns) = 0;
  virtual asio::awaitable<void> bump(std::string ns) = 0;
};

// Sessions by token hash, in front of the store so that authenticating costs no disk read.
// What the session cache knows of a token: nothing (ask the store), a live session, or a
// sign-out. A sign-out is remembered rather than forgotten: a request that read the session
// from the store just before the sign-out deleted it would otherwise put it back, and the
// signed-out token would work again on every instance until the entry's TTL.
struct SessionLookup {
  enum class State { unknown, live, signed_out };
  State state = State::unknown;
  SessionRecord session;  // when live
};

class SessionCache {
 public:
  // A sign-out is remembered this long: longer than any store read may take
  // (BOXOFFICE_DB_QUERY_TIMEOUT is at most 10 min), so no read that began before the store's
  // delete (which comes first) can put the session back afterwards.
  static constexpr std::chrono::minutes kSignOutMemory{10};

  virtual ~SessionCache() = default;
  virtual asio::awaitable<SessionLookup> get(std::string token_hash) = 0;
  // Adds a session unless the token was signed out meanwhile.
  virtual asio::awaitable<void> put(std::string token_hash, SessionRecord s) = 0;
  // Remembers the sign-out (see SessionLookup). False when that could not be recorded (the
  // backend is unreachable): the caller must not report a sign-out that other instances would
  // not see.
  virtual asio::awaitable<bool> erase(std::string token_hash) = 0;
};

// Marks an Idempotency-Key as in flight so that a concurrent duplicate gets 409. A mark has an
// owner (the token) and a time to live, so a request that dies half-way blocks its key for `ttl`
// at most, and only its owner can end it early.
class IdempotencyGuard {
 public:
  virtual ~IdempotencyGuard() = default;
  // nullopt: another request holds the key.
  virtual asio::awaitable<std::optional<std::uint64_t>> try_begin(
      Id user_id, std::string key, std::chrono::milliseconds ttl) = 0;
  virtual asio::awaitable<void> end(Id user_id, std::string key, std::uint64_t token) = 0;
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
  // Stops the backend's timers and connections; called after the server's threads have
  // stopped and before its I/O contexts are destroyed.
  std::function<void()> stop;
  // The backend's own readiness (empty: nothing beyond this process, as in-process).
  std::function<asio::awaitable<std::vector<HealthCheck>>()> health;
  // What the backend keeps in this process, by part, for boxoffice_retained (empty: nothing).
  // Holds the parts weakly: callable after stop.
  std::function<std::vector<std::pair<std::string, double>>()> retained;
  // Counts of the backend's own work since start, by event (e.g. redis_round_trips), for
  // boxoffice_coordinator_events_total (empty: nothing to count).
  std::function<std::vector<std::pair<std::string, double>>()> events;
};

}  // namespace boxoffice
