#pragma once
// The coordinator ports on Redis or a Redis Cluster, so that any number of instances share
// holds, caches, sessions, idempotency marks, rate limits and live updates.
//
// Layout: every key of a show carries the hash tag {s:ID}, so one script sees the whole show
// in one slot (src/coord/redis/seat_script.lua holds the seat rules); changes are published
// from inside that script on the show's shard channel {s:ID}:live, so their order per seat is
// the order of the script runs. A sorted set of shows with live holds (holds:due-shows) lets
// any instance end due holds: no hold depends on the instance that made it.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "coord/coordinator.hpp"

namespace boxoffice {

struct RedisCoordinatorOptions {
  std::string url;  // BOXOFFICE_REDIS_URL
  // Prefix of every key and channel (BOXOFFICE_REDIS_NAMESPACE): deployments sharing one Redis.
  std::string ns;
  std::size_t max_held_per_user = 10;
  // How often this instance looks for due holds of any show.
  std::chrono::milliseconds sweep_interval{200};
  // Catalog pages kept per instance in front of Redis, by size; keyed by the shared generation.
  std::size_t near_cache_bytes = 64 << 20;
};

// Starts the Redis thread and the expiry sweep (on `timer_executor`). Nothing connects until
// the first call. Coordinator::stop must be called once that executor's thread has stopped.
Coordinator make_redis_coordinator(boost::asio::any_io_executor timer_executor,
                                   RedisCoordinatorOptions options);

}  // namespace boxoffice
