#include "services/catalog.hpp"

#include "domain/movie_rules.hpp"
#include "domain/seats.hpp"
#include "domain/validation.hpp"
#include "ops/metrics.hpp"
#include "services/views.hpp"
#include "tz/zone.hpp"

namespace boxoffice {
namespace {

constexpr std::size_t kMaxScreens = 50;
constexpr std::int64_t kMaxPrice = 100'000'000;
constexpr std::int64_t kMaxShowLeadSeconds = 10LL * 366 * 86400;

// Replaces the name by its cleaned form (see clean_display_name), or records why it is refused.
void clean_name(std::vector<FieldError>& errors, const std::string& field, std::string& v) {
  if (auto cleaned = clean_display_name(v))
    v = std::move(*cleaned);
  else
    errors.push_back({field, "must be 1 to 200 characters of visible text"});
}

}  // namespace

CatalogService::CatalogService(std::shared_ptr<Store> store, Coordinator coord, CatalogTtls ttls,
                               std::shared_ptr<Metrics> metrics)
    : store_(std::move(store)),
      coord_(std::move(coord)),
      ttls_(ttls),
      metrics_(std::move(metrics)) {}

template <class Load>
boost::asio::awaitable<Result<CachedBody>> CatalogService::cached_list(
    std::string ns, std::string key, std::chrono::milliseconds ttl, Load load) {
  const auto gen = co_await coord_.cache->generation(ns);
  const std::string full = ns + ":" + std::to_string(gen) + ":" + key;
  if (auto hit = co_await coord_.cache->get(full)) {
    metrics_->cache_hit(CacheName::catalog);
    // The compressed copy is stored beside the JSON when it was worth making.
    // A plain if, not co_await inside ?: — g++ 12 destroys the temporaries of a conditional
    // co_await twice (seen as a shared_ptr use-after-free under ASan).
    Bytes gz;
    if (hit->size() >= kGzipMinBytes) gz = co_await coord_.cache->get(full + ":gz");
    co_return CachedBody{hit, gz};
  }
  metrics_->cache_miss(CacheName::catalog);
  Result<Bytes> fresh = co_await load();
  if (!fresh) co_return fresh.error();
  const CachedBody body = CachedBody::of(*fresh);
  co_await coord_.cache->put(full, body.bytes, ttl);
  if (body.gzip) co_await coord_.cache->put(full + ":gz", body.gzip, ttl);
  co_return body;
}

boost::asio::awaitable<void> CatalogService::invalidate(std::string ns) {
  co_await coord_.cache->bump(std::move(ns));
}

boost::asio::awaitable<Result<Movie>> CatalogService::create_movie(Movie m) {
  auto errors = check_movie(m);
  if (!errors.empty()) co_return Error::invalid(std::move(errors));
  auto r = co_await store_->create_movie(std::move(m));
  if (r) co_await invalidate("movies");
  co_return r;
}

boost::asio::awaitable<Result<Movie>> CatalogService::update_movie(Id id, MoviePatch p) {
  auto errors = check_movie_patch(p);
  if (!errors.empty()) co_return Error::invalid(std::move(errors));
  auto r = co_await store_->update_movie(id, std::move(p));
  if (r) co_await invalidate("movies");
  co_return r;
}

boost::asio::awaitable<Status> CatalogService::delete_movie(Id id) {
  auto r = co_await store_->delete_movie(id);
  if (r) {
    co_await invalidate("movies");
    co_await invalidate("shows");
    // Bumped by deletions only: every instance's show details are checked against it (see
    // BookingService::shows_generation), and a new show must not make them all reload.
    co_await invalidate(std::string(kShowsRemovedGeneration));
    if (shows_removed_) shows_removed_();
  }
  co_return r;
}

boost::asio::awaitable<Result<Movie>> CatalogService::get_movie(Id id) {
  auto r = co_await store_->get_movie(id);
  if (!r) co_return r.error();
  if (!*r) co_return Error::not_found("movie " + std::to_string(id) + " does not exist");
  co_return std::move(**r);
}

boost::asio::awaitable<Result<CachedBody>> CatalogService::list_movies(Id after_id, int limit) {
  auto load = [this, after_id, limit]() -> boost::asio::awaitable<Result<Bytes>> {
    auto page = co_await store_->list_movies(after_id, limit);
    if (!page) co_return page.error();
    co_return std::make_shared<const std::string>(
        boost::json::serialize(views::page(*page, views::movie)));
  };
  co_return co_await cached_list("movies", std::to_string(after_id) + ":" + std::to_string(limit),
                                 ttls_.movies, std::move(load));
}

boost::asio::awaitable<Result<Theater>> CatalogService::create_theater(NewTheater t) {
  std::vector<FieldError> errors;
  clean_name(errors, "name", t.name);
  clean_name(errors, "city", t.city);
  if (!tz::load_zone(t.timezone))
    errors.push_back({"timezone", "must be an IANA time zone name such as Europe/Berlin or UTC"});
  if (t.screens.empty()) errors.push_back({"screens", "a theater needs at least one screen"});
  if (t.screens.size() > kMaxScreens) errors.push_back({"screens", "at most 50 screens"});
  for (std::size_t i = 0; i < t.screens.size(); ++i) {
    const auto prefix = "screens[" + std::to_string(i) + "]";
    auto& s = t.screens[i];
    clean_name(errors, prefix + ".name", s.name);
    auto row_errors = validate_rows(s.rows, prefix + ".rows");
    errors.insert(errors.end(), row_errors.begin(), row_errors.end());
  }
  if (!errors.empty()) co_return Error::invalid(std::move(errors));
  auto r = co_await store_->create_theater(std::move(t));
  if (r) co_await invalidate("theaters");
  co_return r;
}

boost::asio::awaitable<Result<Theater>> CatalogService::get_theater(Id id) {
  auto r = co_await store_->get_theater(id);
  if (!r) co_return r.error();
  if (!*r) co_return Error::not_found("theater " + std::to_string(id) + " does not exist");
  co_return std::move(**r);
}

boost::asio::awaitable<Result<CachedBody>> CatalogService::list_theaters(Id after_id, int limit) {
  auto load = [this, after_id, limit]() -> boost::asio::awaitable<Result<Bytes>> {
    auto page = co_await store_->list_theaters(after_id, limit);
    if (!page) co_return page.error();
    co_return std::make_shared<const std::string>(
        boost::json::serialize(views::page(*page, views::theater)));
  };
  co_return co_await cached_list("theaters", std::to_string(after_id) + ":" + std::to_string(limit),
                                 ttls_.movies, std::move(load));
}

boost::asio::awaitable<Result<Show>> CatalogService::create_show(NewShow s) {
  std::vector<FieldError> errors;
  if (s.movie_id <= 0) errors.push_back({"movie_id", "must be a positive integer"});
  if (s.screen_id <= 0) errors.push_back({"screen_id", "must be a positive integer"});
  if (!valid_currency(s.currency))
    errors.push_back({"currency", "must be an active ISO 4217 currency code such as USD"});
  // A show is created to be sold: one that has begun cannot be.
  if (s.starts_at <= now_unix()) errors.push_back({"starts_at", "must be in the future"});
  // Nothing is sold ten years ahead, and a year-9999 start gave an ends_at past RFC 3339's
  // four-digit years.
  if (s.starts_at > now_unix() + kMaxShowLeadSeconds)
    errors.push_back({"starts_at", "must be within 10 years from now"});
  for (const auto& [cat, cents] : s.prices) {
    if (!valid_category(cat))
      errors.push_back({"prices", "'" + cat.substr(0, 40) + "' is not a valid category"});
    if (cents < 0 || cents > kMaxPrice)
      errors.push_back({"prices." + cat, "must be between 0 and 100000000 cents"});
  }
  if (!errors.empty()) co_return Error::invalid(std::move(errors));
  auto r = co_await store_->create_show(std::move(s));
  if (r) co_await invalidate("shows");
  co_return r;
}

boost::asio::awaitable<Result<Show>> CatalogService::get_show(Id id) {
  auto r = co_await store_->get_show(id);
  if (!r) co_return r.error();
  if (!*r) co_return Error::not_found("show " + std::to_string(id) + " does not exist");
  co_return std::move(**r);
}

boost::asio::awaitable<Result<CachedBody>> CatalogService::list_shows(ShowFilter f) {
  std::string key =
      (f.after ? std::to_string(f.after->starts_at) + "/" + std::to_string(f.after->id) : "") +
      ":" + std::to_string(f.limit) + ":" + (f.movie_id ? std::to_string(*f.movie_id) : "") + ":" +
      (f.theater_id ? std::to_string(*f.theater_id) : "") + ":" +
      (f.local_day ? std::to_string(*f.local_day) : "");
  auto load = [this, f]() -> boost::asio::awaitable<Result<Bytes>> {
    auto page = co_await store_->list_shows(f);
    if (!page) co_return page.error();
    co_return std::make_shared<const std::string>(boost::json::serialize(views::show_page(*page)));
  };
  co_return co_await cached_list("shows", std::move(key), ttls_.shows, std::move(load));
}

}  // namespace boxoffice
