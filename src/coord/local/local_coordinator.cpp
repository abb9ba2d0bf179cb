#include "coord/local/local_coordinator.hpp"

#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/sharded_lru.hpp"
#include "domain/time.hpp"

namespace boxoffice {
namespace {

using Clock = std::chrono::steady_clock;

struct CacheEntry {
  Bytes value;
  Clock::time_point expires;
};

struct CacheEntryWeight {
  std::size_t operator()(const CacheEntry& e) const { return 64 + (e.value ? e.value->size() : 0); }
};

class LocalCache final : public Cache {
 public:
  LocalCache(std::size_t max_entries, std::size_t max_bytes)
      : entries_(max_entries, max_bytes), generations_(max_entries) {}

  asio::awaitable<Bytes> get(std::string key) override {
    const auto now = Clock::now();
    Bytes hit = entries_.with(
        key, [&](CacheEntry* e) -> Bytes { return e && e->expires > now ? e->value : nullptr; });
    if (!hit) entries_.erase_if_key(key, [&](const CacheEntry& e) { return e.expires <= now; });
    co_return hit;
  }

  asio::awaitable<void> put(std::string key, Bytes value, std::chrono::milliseconds ttl) override {
    entries_.put(key, CacheEntry{std::move(value), Clock::now() + ttl});
    co_return;
  }

  asio::awaitable<void> erase(std::string key) override {
    entries_.erase(key);
    co_return;
  }

  // Generations come from one process-wide counter: a namespace evicted from the LRU and seen
  // again starts at a value no old key was built with.
  asio::awaitable<std::uint64_t> generation(std::string ns) override {
    co_return generations_.upsert(
        ns, [&] { return next_++; }, [](std::uint64_t& g) { return g; });
  }

  asio::awaitable<void> bump(std::string ns) override {
    generations_.upsert(
        ns, [&] { return next_++; }, [&](std::uint64_t& g) { g = next_++; });
    co_return;
  }

  std::size_t sweep() {
    const auto now = Clock::now();
    return entries_.erase_if(
        [&](const std::string&, const CacheEntry& e) { return e.expires <= now; });
  }

 private:
  // Bounded by bytes and entries; least recently used go first, expired ones at each sweep.
  ShardedLru<std::string, CacheEntry, CacheEntryWeight> entries_;
  // Bounded by entries, least recently used go.
  ShardedLru<std::string, std::uint64_t> generations_;
  std::atomic<std::uint64_t> next_{1};
};

class LocalSessionCache final : public SessionCache {
 public:
  explicit LocalSessionCache(std::size_t max_entries) : sessions_(max_entries) {}

  asio::awaitable<SessionLookup> get(std::string token_hash) override {
    const auto now = now_unix();
    SessionLookup r = sessions_.with(token_hash, [&](SessionRecord* s) {
      SessionLookup out;
      if (!s || s->expires_at <= now) return out;
      out.state = signed_out(*s) ? SessionLookup::State::signed_out : SessionLookup::State::live;
      if (out.state == SessionLookup::State::live) out.session = *s;
      return out;
    });
    if (r.state == SessionLookup::State::unknown)
      sessions_.erase_if_key(token_hash,
                             [&](const SessionRecord& s) { return s.expires_at <= now; });
    co_return r;
  }

  asio::awaitable<void> put(std::string token_hash, SessionRecord s) override {
    const auto now = now_unix();
    sessions_.upsert(
        token_hash, [] { return SessionRecord{}; },
        [&](SessionRecord& v) {
          // A remembered sign-out stays; anything else (new, expired) becomes the session.
          if (!(signed_out(v) && v.expires_at > now)) v = std::move(s);
        });
    co_return;
  }

  asio::awaitable<bool> erase(std::string token_hash) override {
    SessionRecord marker;  // user id 0: no user has it
    marker.expires_at =
        now_unix() +
        std::chrono::duration_cast<std::chrono::seconds>(SessionCache::kSignOutMemory).count();
    sessions_.put(token_hash, marker);
    co_return true;
  }

  std::size_t sweep() {
    const auto now = now_unix();
    return sessions_.erase_if(
        [&](const std::string&, const SessionRecord& s) { return s.expires_at <= now; });
  }

 private:
  static bool signed_out(const SessionRecord& s) { return s.user.id == 0; }

  // Bounded by entries; least recently used go (they are re-read from the store when needed).
  // A sign-out is an entry whose user id is 0, kept for kSignOutMemory; in one process the
  // store read it guards against is on this server, so even if the LRU drops it early, the
  // window is only a read already in flight.
  ShardedLru<std::string, SessionRecord> sessions_;
};

struct IdempotencyMark {
  std::uint64_t token = 0;
  Clock::time_point expires;
};

class LocalIdempotencyGuard final : public IdempotencyGuard {
 public:
  explicit LocalIdempotencyGuard(std::size_t max_marks) : marks_(max_marks) {}

  asio::awaitable<std::optional<std::uint64_t>> try_begin(Id user_id, std::string key,
                                                          std::chrono::milliseconds ttl) override {
    const auto now = Clock::now();
    const std::uint64_t token = next_++;
    co_return marks_.upsert(
        {user_id, std::move(key)}, [] { return IdempotencyMark{}; },
        [&](IdempotencyMark& m) -> std::optional<std::uint64_t> {
          if (m.token != 0 && m.expires > now) return std::nullopt;
          m = IdempotencyMark{token, now + ttl};
          return token;
        });
  }

  asio::awaitable<void> end(Id user_id, std::string key, std::uint64_t token) override {
    marks_.erase_if_key({user_id, std::move(key)},
                        [&](const IdempotencyMark& m) { return m.token == token; });
    co_return;
  }

  std::size_t sweep() {
    const auto now = Clock::now();
    return marks_.erase_if([&](const auto&, const IdempotencyMark& m) { return m.expires <= now; });
  }

 private:
  struct KeyHash {
    std::size_t operator()(const std::pair<Id, std::string>& k) const {
      return std::hash<std::string>{}(k.second) * 31 + std::hash<Id>{}(k.first);
    }
  };
  // Bounded by entries: marks of requests in flight. Evicting one early only loses the 409 for a
  // concurrent duplicate; the store's unique (user, key) still stops a second booking.
  ShardedLru<std::pair<Id, std::string>, IdempotencyMark, UnitWeight, KeyHash> marks_;
  std::atomic<std::uint64_t> next_{1};
};

// One counter per client key; the least recently seen keys go when the map is full, so an
// address flood never resets the counters of the clients being limited.
class LocalRateLimiter final : public RateLimiter {
 public:
  explicit LocalRateLimiter(std::size_t max_keys) : counters_(max_keys) {}

  asio::awaitable<RateDecision> hit(std::string key, std::int64_t limit_per_minute) override {
    const auto now = now_unix_ms();
    co_return counters_.upsert(
        key, [] { return WindowCounter{}; },
        [&](WindowCounter& c) { return hit_window(c, limit_per_minute, kWindowMs, now); });
  }

  // A counter whose window ended two windows ago counts nothing any more.
  std::size_t sweep() {
    const auto now = now_unix_ms();
    return counters_.erase_if([&](const std::string&, const WindowCounter& c) {
      return c.window_start_ms + 2 * kWindowMs <= now;
    });
  }

 private:
  static constexpr std::int64_t kWindowMs = 60'000;
  ShardedLru<std::string, WindowCounter> counters_;
};

// Expired cache entries, sessions, idempotency marks and idle rate-limit windows are dropped
// every few seconds, so memory follows what is live rather than what was seen.
class Sweeper : public std::enable_shared_from_this<Sweeper> {
 public:
  Sweeper(boost::asio::any_io_executor ex, std::chrono::milliseconds every,
          std::vector<std::function<void()>> sweeps)
      : every_(every), sweeps_(std::move(sweeps)) {
    timer_.emplace(ex);
  }

  void arm() {
    if (stopped_ || !timer_) return;
    timer_->expires_after(every_);
    timer_->async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped_) return;
      for (const auto& sweep : self->sweeps_) sweep();
      self->arm();
    });
  }
  // After the timer's I/O thread has stopped (see LocalHoldRegistry::stop).
  void stop() {
    stopped_ = true;
    if (timer_) timer_->cancel();
    timer_.reset();
  }

 private:
  std::optional<boost::asio::steady_timer> timer_;  // reset by stop(), as the registry's
  std::chrono::milliseconds every_;
  std::vector<std::function<void()>> sweeps_;  // each holds its part weakly
  std::atomic<bool> stopped_{false};
};

// Binds a part's sweep() without keeping the part alive.
template <class Part>
std::function<void()> sweep_of(const std::shared_ptr<Part>& part) {
  return [weak = std::weak_ptr<Part>(part)] {
    if (auto p = weak.lock()) p->sweep();
  };
}

}  // namespace

Coordinator make_local_coordinator(boost::asio::any_io_executor timer_executor,
                                   LocalCoordinatorOptions options) {
  auto holds = std::make_shared<LocalHoldRegistry>(timer_executor, options.holds);
  holds->start();
  auto cache = std::make_shared<LocalCache>(options.max_cache_entries, options.max_cache_bytes);
  auto sessions = std::make_shared<LocalSessionCache>(options.max_sessions);
  auto marks = std::make_shared<LocalIdempotencyGuard>(options.max_idempotency_marks);
  auto limiter = std::make_shared<LocalRateLimiter>(options.max_rate_limit_keys);
  auto sweeper = std::make_shared<Sweeper>(
      timer_executor, options.sweep_interval,
      std::vector<std::function<void()>>{sweep_of(cache), sweep_of(sessions), sweep_of(marks),
                                         sweep_of(limiter)});
  sweeper->arm();
  Coordinator c{holds, cache, sessions, marks, limiter, {}, {}, {}, {}};
  c.retained = [weak = std::weak_ptr<LocalHoldRegistry>(holds)] {
    std::vector<std::pair<std::string, double>> parts;
    if (auto h = weak.lock())
      parts.emplace_back("hold_registry_shows", static_cast<double>(h->show_count()));
    return parts;
  };
  c.stop = [holds, sweeper] {
    holds->stop();
    sweeper->stop();
  };
  return c;
}

void stop_local_coordinator(Coordinator& coord) {
  if (coord.stop) coord.stop();
}

}  // namespace boxoffice
