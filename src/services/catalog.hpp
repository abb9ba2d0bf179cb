#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "common/cached_body.hpp"
#include "coord/coordinator.hpp"
#include "store/store.hpp"

namespace boxoffice {

class Metrics;

struct CatalogTtls {
  std::chrono::milliseconds movies{60'000};
  std::chrono::milliseconds shows{30'000};
};

// The cache generation that deleting a movie (and so its shows) bumps: show details cached by
// any instance's BookingService are checked against it.
inline constexpr std::string_view kShowsRemovedGeneration = "shows-removed";

class CatalogService {
 public:
  CatalogService(std::shared_ptr<Store> store, Coordinator coord, CatalogTtls ttls,
                 std::shared_ptr<Metrics> metrics);

  boost::asio::awaitable<Result<Movie>> create_movie(Movie m);
  boost::asio::awaitable<Result<Movie>> update_movie(Id id, MoviePatch patch);
  boost::asio::awaitable<Status> delete_movie(Id id);
  boost::asio::awaitable<Result<Movie>> get_movie(Id id);
  // Lists answer with the serialised page, cached until its TTL or the next admin write.
  boost::asio::awaitable<Result<CachedBody>> list_movies(Id after_id, int limit);

  boost::asio::awaitable<Result<Theater>> create_theater(NewTheater t);
  boost::asio::awaitable<Result<Theater>> get_theater(Id id);
  boost::asio::awaitable<Result<CachedBody>> list_theaters(Id after_id, int limit);

  boost::asio::awaitable<Result<Show>> create_show(NewShow s);
  boost::asio::awaitable<Result<Show>> get_show(Id id);
  boost::asio::awaitable<Result<CachedBody>> list_shows(ShowFilter f);

  // Called after shows disappear (their movie was deleted), so per-show caches can drop them.
  void on_shows_removed(std::function<void()> fn) { shows_removed_ = std::move(fn); }

 private:
  template <class Load>
  boost::asio::awaitable<Result<CachedBody>> cached_list(std::string ns, std::string key,
                                                         std::chrono::milliseconds ttl, Load load);
  boost::asio::awaitable<void> invalidate(std::string ns);

  std::shared_ptr<Store> store_;
  Coordinator coord_;
  CatalogTtls ttls_;
  std::shared_ptr<Metrics> metrics_;
  std::function<void()> shows_removed_;
};

}  // namespace boxoffice
