#pragma once
// In-process coordinator backends for the embedded, single-instance mode.
#include <chrono>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "coord/coordinator.hpp"
#include "coord/local/local_hold_registry.hpp"

namespace boxoffice {

struct LocalCoordinatorOptions {
  LocalHoldRegistryOptions holds;
  std::size_t max_sessions = 200'000;       // ~200 bytes each
  std::size_t max_cache_bytes = 256 << 20;  // cached list pages, by size
  std::size_t max_cache_entries = 100'000;
  std::size_t max_rate_limit_keys = 1'000'000;       // ~100 bytes each, least recently used go
  std::size_t max_idempotency_marks = 100'000;       // in-flight keys, least recently used go
  std::chrono::milliseconds sweep_interval{10'000};  // expired cache entries and sessions
};

// The sweep timers run on `timer_executor` until stop_local_coordinator(), which must be called
// once that executor's thread has stopped and before its io_context is destroyed.
Coordinator make_local_coordinator(boost::asio::any_io_executor timer_executor,
                                   LocalCoordinatorOptions options);
void stop_local_coordinator(Coordinator& coord);

}  // namespace boxoffice
