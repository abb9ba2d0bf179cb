#pragma once
#include <boost/asio/awaitable.hpp>

#include "services/catalog.hpp"

namespace boxoffice {

// Seeds movies, two theaters (one with a 560-seat hall in two categories) and shows over the
// next 7 days, when the store has no movies yet. Returns whether it seeded.
boost::asio::awaitable<Result<bool>> seed_demo_catalog(Store& store, CatalogService& catalog);

}  // namespace boxoffice
