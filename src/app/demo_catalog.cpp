#include "app/demo_catalog.hpp"

#include "tz/zone.hpp"

namespace boxoffice {

boost::asio::awaitable<Result<bool>> seed_demo_catalog(Store& store, CatalogService& catalog) {
  auto existing = co_await store.list_movies(0, 1);
  if (!existing) co_return existing.error();
  if (!existing->items.empty()) co_return false;

  const std::vector<Movie> movies = {
      {0,
       "The Last Premiere",
       "A projectionist races to save opening night.",
       118,
       "PG-13",
       {"drama", "thriller"}},
      {0,
       "Orbit of Ashes",
       "Two rival crews share one failing space station.",
       134,
       "PG-13",
       {"sci-fi", "action"}},
      {0,
       "Paper Lanterns",
       "An animated journey down a river of lights.",
       96,
       "G",
       {"animation", "family"}},
      {0,
       "Midnight Encore",
       "A concert film recorded on the final night of a world tour.",
       105,
       "PG",
       {"music", "documentary"}},
      {0, "The Quiet Heist", "Nobody speaks; everybody steals.", 112, "R", {"crime", "comedy"}},
  };
  std::vector<Id> movie_ids;
  for (const auto& m : movies) {
    auto created = co_await catalog.create_movie(m);
    if (!created) co_return created.error();
    movie_ids.push_back(created->id);
  }

  auto rows = [](char first, char last, int seats, const std::string& category) {
    std::vector<SeatRow> out;
    for (char r = first; r <= last; ++r) out.push_back({std::string(1, r), seats, category});
    return out;
  };
  auto concat = [](std::vector<SeatRow> a, const std::vector<SeatRow>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  NewTheater grand{
      "Grand Palace",
      "Springfield",
      "America/New_York",
      {{"Hall 1", concat(rows('A', 'P', 28, "standard"), rows('Q', 'T', 28, "premium"))},
       {"Studio 2", concat(rows('A', 'F', 12, "standard"), rows('G', 'H', 10, "premium"))}}};
  NewTheater riverside{
      "Riverside Cinema",
      "Shelbyville",
      "Europe/Berlin",
      {{"Screen 1", concat(rows('A', 'J', 16, "standard"), rows('K', 'L', 14, "premium"))},
       {"Screen 2", rows('A', 'H', 14, "standard")}}};
  struct DemoScreen {
    Id id;
    std::shared_ptr<const tz::Zone> zone;
    std::string currency;
  };
  std::vector<DemoScreen> screens;
  const std::pair<NewTheater*, std::string> theaters[] = {{&grand, "USD"}, {&riverside, "EUR"}};
  for (const auto& [t, currency] : theaters) {
    auto created = co_await catalog.create_theater(*t);
    if (!created) co_return created.error();
    auto zone = tz::load_zone(created->timezone);
    if (!zone)
      co_return Error::unavailable("time zone " + created->timezone +
                                   " is not installed (package tzdata)");
    for (const auto& s : created->screens) screens.push_back({s.id, zone, currency});
  }

  // Shows from tomorrow for 7 days at 14:00, 17:30 and 21:00 in each theater's local time,
  // rotating the movies.
  const int slots[] = {14 * 3600, 17 * 3600 + 1800, 21 * 3600};
  std::size_t next_movie = 0;
  for (int day = 1; day <= 7; ++day) {
    for (const DemoScreen& screen : screens) {
      const std::int64_t today = tz::local_day(*screen.zone, now_unix());
      for (int slot : slots) {
        // Local wall time to UTC: the offset in effect at about that time (no slot falls in a
        // daylight-saving gap, which happens at night).
        const UnixSeconds local = (today + day) * 86400 + slot;
        NewShow s;
        s.movie_id = movie_ids[next_movie++ % movie_ids.size()];
        s.screen_id = screen.id;
        s.starts_at =
            local - tz::utc_offset(*screen.zone, local - tz::utc_offset(*screen.zone, local));
        s.prices = {{"standard", 1200}, {"premium", 1800}};
        s.currency = screen.currency;
        auto created = co_await catalog.create_show(s);
        if (!created) co_return created.error();
      }
    }
  }
  co_return true;
}

}  // namespace boxoffice
