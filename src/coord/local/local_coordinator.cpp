#include "coord/local/local_coordinator.hpp"

#include <array>
#include <mutex>
#include <set>
#include <unordered_map>

#include "coord/local/local_hold_registry.hpp"

namespace boxoffice {
namespace {

using Clock = std::chrono::steady_clock;

// A map split into shards by key hash, each with its own mutex, so threads rarely contend.
template <class Value>
class ShardedMap {
 public:
  explicit ShardedMap(std::size_t max_entries) : max_per_shard_(max_entries / kShards + 1) {}

  template <class Fn>
  auto with(const std::string& key, Fn fn) {
    Shard& s = shards_[std::hash<std::string>{}(key) % kShards];
    std::lock_guard lock(s.mutex);
    return fn(s.map);
  }

  // Like with(), for calls that may add a key. Bounded memory: a full shard first drops what
  // has expired, then everything; done under the same lock as `fn`.
  template <class IsExpired, class Fn>
  auto with_room(const std::string& key, IsExpired expired, Fn fn) {
    Shard& s = shards_[std::hash<std::string>{}(key) % kShards];
    std::lock_guard lock(s.mutex);
    if (s.map.size() >= max_per_shard_ && !s.map.count(key)) {
      std::erase_if(s.map, [&](const auto& kv) { return expired(kv.second); });
      if (s.map.size() >= max_per_shard_) s.map.clear();
    }
    return fn(s.map);
  }

 private:
  static constexpr std::size_t kShards = 32;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Value> map;
  };
  std::array<Shard, kShards> shards_;
  std::size_t max_per_shard_;
};

class LocalCache final : public Cache {
 public:
  explicit LocalCache(std::size_t max_entries) : entries_(max_entries), generations_(4096) {}

  asio::awaitable<Bytes> get(std::string key) override {
    const auto now = Clock::now();
    co_return entries_.with(key, [&](auto& map) -> Bytes {
      auto it = map.find(key);
      if (it == map.end()) return nullptr;
      if (it->second.expires <= now) {
        map.erase(it);
        return nullptr;
      }
      return it->second.value;
    });
  }

  asio::awaitable<void> put(std::string key, Bytes value, std::chrono::milliseconds ttl) override {
    const auto now = Clock::now();
    entries_.with_room(key, [&](const Entry& e) { return e.expires <= now; },
                       [&](auto& map) { map[key] = Entry{std::move(value), now + ttl}; });
    co_return;
  }

  asio::awaitable<void> erase(std::string key) override {
    entries_.with(key, [&](auto& map) { map.erase(key); });
    co_return;
  }

  asio::awaitable<std::uint64_t> generation(std::string ns) override {
    co_return generations_.with(ns, [&](auto& map) { return map[ns]; });
  }

  asio::awaitable<void> bump(std::string ns) override {
    generations_.with(ns, [&](auto& map) { ++map[ns]; });
    co_return;
  }

 private:
  struct Entry {
    Bytes value;
    Clock::time_point expires;
  };
  ShardedMap<Entry> entries_;
  ShardedMap<std::uint64_t> generations_;
};

class LocalSessionCache final : public SessionCache {
 public:
  explicit LocalSessionCache(std::size_t max_entries) : sessions_(max_entries) {}

  asio::awaitable<std::optional<SessionRecord>> get(std::string token_hash) override {
    const auto now = now_unix();
    co_return sessions_.with(token_hash, [&](auto& map) -> std::optional<SessionRecord> {
      auto it = map.find(token_hash);
      if (it == map.end()) return std::nullopt;
      if (it->second.expires_at <= now) {
        map.erase(it);
        return std::nullopt;
      }
      return it->second;
    });
  }

  asio::awaitable<void> put(std::string token_hash, SessionRecord s) override {
    const auto now = now_unix();
    sessions_.with_room(token_hash, [&](const SessionRecord& r) { return r.expires_at <= now; },
                        [&](auto& map) { map[token_hash] = std::move(s); });
    co_return;
  }

  asio::awaitable<void> erase(std::string token_hash) override {
    sessions_.with(token_hash, [&](auto& map) { map.erase(token_hash); });
    co_return;
  }

 private:
  ShardedMap<SessionRecord> sessions_;
};

class LocalIdempotencyGuard final : public IdempotencyGuard {
 public:
  asio::awaitable<bool> try_begin(Id user_id, std::string key) override {
    std::lock_guard lock(mutex_);
    co_return in_flight_.emplace(user_id, std::move(key)).second;
  }
  asio::awaitable<void> end(Id user_id, std::string key) override {
    std::lock_guard lock(mutex_);
    in_flight_.erase({user_id, std::move(key)});
    co_return;
  }

 private:
  std::mutex mutex_;  // held for a set insert only; keys are rare compared with reads
  std::set<std::pair<Id, std::string>> in_flight_;
};

// One counter per client IP in a sharded map; idle counters are dropped when a shard fills, so
// memory stays bounded however many addresses pass by.
class LocalRateLimiter final : public RateLimiter {
 public:
  explicit LocalRateLimiter(std::size_t max_keys) : counters_(max_keys) {}

  asio::awaitable<RateDecision> hit(std::string key, std::int64_t limit_per_minute) override {
    constexpr std::int64_t kWindowMs = 60'000;
    const auto now = now_unix_ms();
    co_return counters_.with_room(
        key, [&](const WindowCounter& c) { return c.window_start_ms + 2 * kWindowMs <= now; },
        [&](auto& map) { return hit_window(map[key], limit_per_minute, kWindowMs, now); });
  }

 private:
  ShardedMap<WindowCounter> counters_;
};

}  // namespace

Coordinator make_local_coordinator(boost::asio::any_io_executor timer_executor,
                                   LocalCoordinatorOptions options) {
  auto holds = std::make_shared<LocalHoldRegistry>(timer_executor, options.sweep_interval);
  holds->start();
  return Coordinator{holds, std::make_shared<LocalCache>(options.max_cache_entries),
                     std::make_shared<LocalSessionCache>(options.max_sessions),
                     std::make_shared<LocalIdempotencyGuard>(),
                     std::make_shared<LocalRateLimiter>(options.max_rate_limit_keys)};
}

}  // namespace boxoffice
