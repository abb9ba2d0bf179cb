#pragma once
// In-process coordinator backends for the embedded, single-instance mode.
#include <chrono>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "coord/coordinator.hpp"

namespace boxoffice {

struct LocalCoordinatorOptions {
  std::chrono::milliseconds sweep_interval{100};  // hold expiry reaction time
  std::size_t max_sessions = 200'000;
  std::size_t max_cache_entries = 100'000;
  std::size_t max_rate_limit_keys = 1'000'000;  // ~100 bytes each
};

// The sweep timer for hold expiry runs on `timer_executor` until the registry is destroyed
// or stop() is called on the returned coordinator's holds (see LocalHoldRegistry).
Coordinator make_local_coordinator(boost::asio::any_io_executor timer_executor,
                                   LocalCoordinatorOptions options);

}  // namespace boxoffice
