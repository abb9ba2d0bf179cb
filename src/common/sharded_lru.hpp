#pragma once
// The one bounded concurrent map of the server: split into shards by key hash (each with its
// own mutex, so threads rarely contend), each shard a least-recently-used list bounded by entry
// count and, when a weigher is given, by bytes. Inserting beyond the entry bound evicts the
// least recently used entries of that shard; beyond the byte bound, the least recently used
// entries of the whole map (see evict_for_bytes). Nothing is ever cleared wholesale. Time-based
// expiry is the value's business: callers check it on access and sweep with erase_if.
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <list>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <utility>

namespace boxoffice {

struct UnitWeight {
  template <class V>
  std::size_t operator()(const V&) const {
    return 0;
  }
};

template <class Key, class Value, class Weigh = UnitWeight, class Hash = std::hash<Key>>
class ShardedLru {
 public:
  static constexpr std::size_t kShards = 32;

  // max_entries / max_bytes: totals over all shards; 0 means "no bound of this kind" (only for
  // maps whose size a domain rule bounds, said where they are declared). Entries are bounded
  // per shard (max_entries / kShards each). Bytes are bounded over all shards together: with
  // large values (a 20,000-seat hall is megabytes) a per-shard share fits only a few, and two
  // hot keys that hash to one shard would evict each other on every use while the other shards
  // sit empty. Over the byte bound, an insert evicts the coldest entries of the whole map, one
  // shard lock at a time (each shard publishes when its cold end was last used): evicting
  // from the inserting shard only threw out hot entries while cold ones elsewhere stayed until
  // they expired. The entry just inserted is never evicted by its own insert, so the total
  // exceeds max_bytes by at most the values being inserted at that moment (one per thread).
  explicit ShardedLru(std::size_t max_entries, std::size_t max_bytes = 0, Weigh weigh = {})
      : max_entries_(max_entries ? max_entries / kShards + 1 : 0),
        max_bytes_(max_bytes),
        weigh_(std::move(weigh)) {}

  // fn(Value*) under the shard's lock; nullptr when absent. A hit becomes most recently used.
  template <class Fn>
  auto with(const Key& key, Fn fn) {
    Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    auto it = s.index.find(key);
    if (it == s.index.end()) return fn(static_cast<Value*>(nullptr));
    touch(s, it->second);
    return fn(&it->second->second);
  }

  // fn(Value&) on the entry for key, created from make() when absent, under the shard's lock;
  // then the shard is brought back within its bounds (never evicting this key).
  template <class Make, class Fn>
  auto upsert(const Key& key, Make make, Fn fn) {
    Shard& s = shard(key);
    std::unique_lock lock(s.mutex);
    auto it = s.index.find(key);
    if (it == s.index.end()) {
      s.lru.push_front(Node{key, make(), 0});
      it = s.index.emplace(key, s.lru.begin()).first;
      touch(s, s.lru.begin());
    } else {
      touch(s, it->second);
      unweigh(s, it->second->second);
    }
    Value& v = it->second->second;
    if constexpr (std::is_void_v<decltype(fn(v))>) {
      {
        Reweigh reweigh{*this, s, v};
        fn(v);
      }
      bound_after_update(s, lock, key);
    } else {
      auto r = [&] {
        Reweigh reweigh{*this, s, v};
        return fn(v);
      }();
      bound_after_update(s, lock, key);
      return r;
    }
  }

  void put(const Key& key, Value value) {
    upsert(
        key, [&] { return Value{}; }, [&](Value& v) { v = std::move(value); });
  }

  bool erase(const Key& key) {
    Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    return erase_locked(s, key);
  }

  // Erases key only if pred(value) holds, under the shard's lock.
  template <class Pred>
  bool erase_if_key(const Key& key, Pred pred) {
    Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    auto it = s.index.find(key);
    if (it == s.index.end() || !pred(it->second->second)) return false;
    return erase_locked(s, key);
  }

  // Sweeps every shard, one lock at a time; returns how many entries went.
  template <class Pred>
  std::size_t erase_if(Pred pred) {
    std::size_t n = 0;
    for (Shard& s : shards_) {
      std::lock_guard lock(s.mutex);
      for (auto it = s.lru.begin(); it != s.lru.end();) {
        if (pred(it->first, it->second)) {
          unweigh(s, it->second);
          s.index.erase(it->first);
          it = s.lru.erase(it);
          ++n;
        } else {
          ++it;
        }
      }
      publish_cold_end(s);
    }
    return n;
  }

  // fn(key, value) for every entry, one shard lock at a time.
  template <class Fn>
  void for_each(Fn fn) {
    for (Shard& s : shards_) {
      std::lock_guard lock(s.mutex);
      for (auto& n : s.lru) fn(n.first, n.second);
    }
  }

  std::size_t size() const {
    std::size_t n = 0;
    for (const Shard& s : shards_) {
      std::lock_guard lock(s.mutex);
      n += s.index.size();
    }
    return n;
  }

  // The running total the byte bound is checked against; equals bytes() when no call is in
  // progress.
  std::size_t counted_bytes() const { return total_bytes_.load(std::memory_order_relaxed); }

  std::size_t bytes() const {
    std::size_t n = 0;
    for (const Shard& s : shards_) {
      std::lock_guard lock(s.mutex);
      n += s.bytes;
    }
    return n;
  }

 private:
  static constexpr std::uint64_t kEmpty = std::numeric_limits<std::uint64_t>::max();

  struct Node {
    Key first;
    Value second;
    std::uint64_t used;  // steady-clock nanoseconds of the last use
  };
  // A cache line each: the cold-end stores of one shard must not slow the next one's mutex.
  struct alignas(64) Shard {
    mutable std::mutex mutex;
    std::list<Node> lru;  // most recently used first
    std::unordered_map<Key, typename std::list<Node>::iterator, Hash> index;
    std::size_t bytes = 0;
    // When the cold end was last used (kEmpty: no entry), read without the lock to pick the
    // shard that holds the map's coldest entry.
    std::atomic<std::uint64_t> cold_end{kEmpty};
  };

  static std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch() /
                                      std::chrono::nanoseconds(1));
  }

  void publish_cold_end(Shard& s) {
    s.cold_end.store(s.lru.empty() ? kEmpty : s.lru.back().used, std::memory_order_relaxed);
  }

  // Makes `it` the shard's most recently used entry. The cold end changes only when `it` was
  // it, so a hit elsewhere in the list writes nothing shared.
  void touch(Shard& s, typename std::list<Node>::iterator it) {
    const bool was_cold_end = std::next(it) == s.lru.end();
    it->used = now_ns();
    s.lru.splice(s.lru.begin(), s.lru, it);
    if (was_cold_end) publish_cold_end(s);
  }

  Shard& shard(const Key& key) { return shards_[Hash{}(key) % kShards]; }

  void add_weight(Shard& s, const Value& v) {
    const std::size_t w = weigh_(v);
    s.bytes += w;
    total_bytes_.fetch_add(w, std::memory_order_relaxed);
  }
  void unweigh(Shard& s, const Value& v) {
    const std::size_t w = weigh_(v);
    s.bytes -= w;
    total_bytes_.fetch_sub(w, std::memory_order_relaxed);
  }

  bool erase_locked(Shard& s, const Key& key) {
    auto it = s.index.find(key);
    if (it == s.index.end()) return false;
    unweigh(s, it->second->second);
    s.lru.erase(it->second);
    s.index.erase(it);
    publish_cold_end(s);
    return true;
  }

  // Counts an entry's weight again once its update ends, thrown or not: an entry counted at zero
  // would later be subtracted from the total in full.
  struct Reweigh {
    ShardedLru& map;
    Shard& s;
    const Value& v;
    ~Reweigh() { map.add_weight(s, v); }
  };

  // After an upsert: the shard's entry bound under its lock, then the byte bound without it.
  void bound_after_update(Shard& s, std::unique_lock<std::mutex>& lock, const Key& key) {
    trim(s);
    lock.unlock();
    evict_for_bytes(key);
  }

  void pop_cold_end(Shard& s) {
    auto& victim = s.lru.back();
    unweigh(s, victim.second);
    s.index.erase(victim.first);
    s.lru.pop_back();
    publish_cold_end(s);
  }

  // The entry bound, per shard: evicts from this shard's cold end; the entry just used sits at
  // the front and is never evicted.
  void trim(Shard& s) {
    while (s.lru.size() > 1 && max_entries_ && s.lru.size() > max_entries_) pop_cold_end(s);
  }

  // The byte bound, over the whole map: while over it, evicts from the shard whose cold end is
  // the oldest (the published times, read without locks), holding one shard's lock at a time
  // (the caller holds none), and from that shard as many entries as stay older than the next
  // shard's cold end. `keep`, the key just inserted, is never evicted: a value larger than the
  // bound still serves the request that made it. Ends: each round evicts, or finds its shard
  // empty (then published as such) or ending in `keep` (then left out of this call).
  void evict_for_bytes(const Key& keep) {
    if (!max_bytes_) return;
    Shard* skip = nullptr;
    while (total_bytes_.load(std::memory_order_relaxed) > max_bytes_) {
      Shard* coldest = nullptr;
      std::uint64_t oldest = kEmpty;
      std::uint64_t next = kEmpty;
      for (Shard& s : shards_) {
        if (&s == skip) continue;
        const std::uint64_t t = s.cold_end.load(std::memory_order_relaxed);
        if (t < oldest) {
          next = oldest;
          oldest = t;
          coldest = &s;
        } else if (t < next) {
          next = t;
        }
      }
      if (!coldest) return;
      std::lock_guard lock(coldest->mutex);
      bool evicted = false;
      while (total_bytes_.load(std::memory_order_relaxed) > max_bytes_ && !coldest->lru.empty() &&
             !(coldest->lru.back().first == keep) &&
             (!evicted || coldest->lru.back().used <= next)) {
        pop_cold_end(*coldest);
        evicted = true;
      }
      if (evicted) continue;
      publish_cold_end(*coldest);
      if (!coldest->lru.empty() && coldest->lru.back().first == keep) skip = coldest;
    }
  }

  std::size_t max_entries_;
  std::size_t max_bytes_;
  Weigh weigh_;
  std::atomic<std::size_t> total_bytes_{0};  // the shards' bytes added up
  std::array<Shard, kShards> shards_;
};

}  // namespace boxoffice
