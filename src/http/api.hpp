#pragma once
// What the handlers reach: the services and a few process facts. Built by app/.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "http/router.hpp"

namespace boxoffice {
class AccountService;
class CatalogService;
class BookingService;
class Metrics;
class Store;
class RateLimiter;
struct Coordinator;
}  // namespace boxoffice

namespace boxoffice::live {
class LiveHub;
}

namespace boxoffice::http {

struct Api {
  AccountService& accounts;
  CatalogService& catalog;
  BookingService& booking;
  Metrics& metrics;
  Store& store;
  std::atomic<bool>& draining;
  RateLimiter& rate_limiter;
  std::int64_t rate_limit_per_min;
  std::int64_t auth_rate_limit_per_min;  // sign-in and registration, per client and per account
  live::LiveHub& hub;
  const Coordinator& coordinator;
};

// Every route the server answers, API and operations alike.
std::vector<Route> api_routes();

}  // namespace boxoffice::http
