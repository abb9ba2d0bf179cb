#include "services/booking.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "ops/log.hpp"
#include "ops/metrics.hpp"
#include "services/security.hpp"
#include "services/views.hpp"

namespace boxoffice {
namespace {

std::string seat_map_ns(Id show_id) { return "seatmap:" + std::to_string(show_id); }

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

BookingService::BookingService(std::shared_ptr<Store> store, Coordinator coord, BookingOptions options,
                               boost::asio::any_io_executor background, std::shared_ptr<Metrics> metrics)
    : store_(std::move(store)),
      coord_(std::move(coord)),
      options_(options),
      background_(std::move(background)),
      metrics_(std::move(metrics)) {
  // Expiries happen on a timer, not in a request: drop the cached seat map from there too.
  // Runs under the registry's show lock, so it only schedules.
  coord_.holds->on_changes([this](Id show_id, const std::vector<SeatChange>&) {
    boost::asio::co_spawn(background_, invalidate_seat_map(show_id), [](std::exception_ptr e) {
      if (e) logging::error("seat map invalidation failed");
    });
  });
}

Id BookingService::show_of_hold(std::string_view hold_id) {
  // "h<show id>.<22 characters of base64url randomness>"
  if (hold_id.size() < 4 || hold_id.size() > 64 || hold_id[0] != 'h') return 0;
  Id show = 0;
  std::size_t i = 1;
  for (; i < hold_id.size() && hold_id[i] >= '0' && hold_id[i] <= '9' && i < 19; ++i) show = show * 10 + (hold_id[i] - '0');
  if (i == 1 || i >= hold_id.size() || hold_id[i] != '.') return 0;
  return show;
}

void BookingService::forget_shows() {
  for (auto& shard : infos_) {
    std::lock_guard lock(shard.mutex);
    shard.shows.clear();
  }
}

boost::asio::awaitable<Result<std::shared_ptr<const BookingService::ShowInfo>>> BookingService::show_info(Id show_id) {
  InfoShard& shard = infos_[static_cast<std::size_t>(show_id) % kShards];
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.shows.find(show_id);
    if (it != shard.shows.end() && now - it->second->loaded < options_.show_info_ttl) co_return it->second;
  }
  auto show = co_await store_->get_show(show_id);
  if (!show) co_return show.error();
  if (!*show) co_return Error::not_found("show " + std::to_string(show_id) + " does not exist");
  auto screen = co_await store_->get_screen((*show)->screen_id);
  if (!screen) co_return screen.error();
  if (!*screen) co_return Error::not_found("the screen of show " + std::to_string(show_id) + " does not exist");
  SeatLayout layout((*screen)->rows);
  std::vector<std::string> ids;
  ids.reserve(layout.seats().size());
  for (const auto& s : layout.seats()) ids.push_back(s.id);
  auto info = std::make_shared<const ShowInfo>(ShowInfo{std::move(**show), std::move(layout), std::move(ids), now});
  {
    std::lock_guard lock(shard.mutex);
    shard.shows[show_id] = info;
  }
  co_return info;
}

boost::asio::awaitable<Status> BookingService::ensure_primed(Id show_id) {
  if (co_await coord_.holds->is_primed(show_id)) co_return ok_status();
  auto booked = co_await store_->booked_seats(show_id);
  if (!booked) co_return booked.error();
  co_await coord_.holds->prime(show_id, std::move(*booked));
  co_return ok_status();
}

boost::asio::awaitable<void> BookingService::invalidate_seat_map(Id show_id) {
  co_await coord_.cache->bump(seat_map_ns(show_id));
}

boost::asio::awaitable<Result<SeatMapView>> BookingService::seat_map(Id show_id) {
  const std::string ns = seat_map_ns(show_id);
  // The generation is read before the statuses: a change in between bumps it, so a stale
  // build can only land under a key nobody reads any more.
  const auto gen = co_await coord_.cache->generation(ns);
  const std::string key = ns + ":" + std::to_string(gen);
  if (auto hit = co_await coord_.cache->get(key)) {
    metrics_->cache_hit(CacheName::seat_map);
    // Stored as "<etag>\n<body>".
    const auto nl = hit->find('\n');
    if (nl != std::string::npos) co_return SeatMapView{hit, nl + 1, hit->substr(0, nl)};
  }
  metrics_->cache_miss(CacheName::seat_map);
  auto current = co_await current_statuses(show_id);
  if (!current) co_return current.error();
  const ShowInfo& si = *current->info;
  const std::vector<SeatStatus>* statuses = &current->statuses;

  std::string signature;
  signature.reserve(statuses->size());
  int available = 0;
  boost::json::array seats;
  seats.reserve(si.layout.seats().size());
  for (std::size_t i = 0; i < si.layout.seats().size(); ++i) {
    const Seat& seat = si.layout.seats()[i];
    const SeatStatus st = (*statuses)[i];
    if (st == SeatStatus::available) ++available;
    signature += static_cast<char>('0' + static_cast<int>(st));
    auto price = si.show.prices.find(seat.category);
    seats.push_back(boost::json::object{{"id", seat.id},
                                        {"row", seat.row},
                                        {"number", seat.number},
                                        {"category", seat.category},
                                        {"price_cents", price == si.show.prices.end() ? 0 : price->second},
                                        {"status", seat_status_name(st)}});
  }
  boost::json::object o{{"show_id", show_id},
                        {"as_of", format_rfc3339_ms(now_unix_ms())},
                        {"available_count", available},
                        {"seats", std::move(seats)}};
  char etag[24];
  std::snprintf(etag, sizeof etag, "\"%016llx\"",
                static_cast<unsigned long long>(fnv1a(signature, fnv1a(std::to_string(show_id)))));
  std::string stored = etag;
  stored += '\n';
  const std::size_t body_at = stored.size();
  stored += boost::json::serialize(o);
  auto bytes = std::make_shared<const std::string>(std::move(stored));
  co_await coord_.cache->put(key, bytes, options_.seat_map_ttl);
  co_return SeatMapView{bytes, body_at, std::string(etag)};
}

boost::asio::awaitable<Status> BookingService::check_show(Id show_id) {
  auto info = co_await show_info(show_id);
  if (!info) co_return info.error();
  co_return ok_status();
}

boost::asio::awaitable<Result<BookingService::ShowStatuses>> BookingService::current_statuses(Id show_id) {
  auto info = co_await show_info(show_id);
  if (!info) co_return info.error();
  if (auto primed = co_await ensure_primed(show_id); !primed) co_return primed.error();
  auto statuses = co_await coord_.holds->statuses(show_id, (*info)->seat_ids);
  if (!statuses) co_return statuses.error();
  co_return ShowStatuses{std::move(*info), std::move(*statuses)};
}

boost::asio::awaitable<Result<std::string>> BookingService::live_snapshot(Id show_id) {
  auto current = co_await current_statuses(show_id);
  if (!current) co_return current.error();
  const auto& ids = current->info->seat_ids;
  std::string out;
  out.reserve(64 + ids.size() * 24);  // one allocation: many watchers connect at once
  out += "{\"type\":\"snapshot\",\"show_id\":" + std::to_string(show_id) + ",\"seats\":{";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += '"';
    out += ids[i];  // seat ids are [A-Z]+[0-9]+: nothing to escape
    out += "\":\"";
    out += seat_status_name(current->statuses[i]);
    out += '"';
  }
  out += "}}";
  co_return out;
}

boost::asio::awaitable<Result<HoldView>> BookingService::hold(const Caller& caller, Id show_id,
                                                              std::vector<std::string> seats) {
  auto info = co_await show_info(show_id);
  if (!info) co_return info.error();
  const ShowInfo& si = **info;
  auto indexes = resolve_seat_request(si.layout, seats, options_.max_seats_per_hold);
  if (!indexes) {
    metrics_->hold(HoldResult::invalid);
    co_return indexes.error();
  }
  if (now_unix() >= si.show.starts_at) {
    metrics_->hold(HoldResult::show_started);
    co_return Error::conflict("show-started", "the show has already started");
  }
  if (auto primed = co_await ensure_primed(show_id); !primed) co_return primed.error();
  std::int64_t total = 0;
  for (int idx : *indexes) {
    auto price = si.show.prices.find(si.layout.seats()[static_cast<std::size_t>(idx)].category);
    if (price != si.show.prices.end()) total += price->second;
  }
  HoldInfo h;
  h.id = "h" + std::to_string(show_id) + "." + random_token(16);
  h.show_id = show_id;
  h.user_id = caller.user.id;
  h.seats = std::move(seats);
  h.total_cents = total;
  h.expires_at_ms = now_unix_ms() + options_.hold_ttl.count();
  auto held = co_await coord_.holds->try_hold(std::move(h));
  if (!held) {
    metrics_->hold(HoldResult::conflict);
    co_return held.error();
  }
  metrics_->hold(HoldResult::held);
  co_await invalidate_seat_map(show_id);
  co_return HoldView{std::move(*held), si.show.currency};
}

boost::asio::awaitable<Status> BookingService::release(const Caller& caller, std::string hold_id) {
  const Id show_id = show_of_hold(hold_id);
  if (show_id == 0) co_return Error::not_found("no such hold");
  auto r = co_await coord_.holds->release(show_id, hold_id, caller.user.id);
  if (r) {
    metrics_->hold(HoldResult::released);
    co_await invalidate_seat_map(show_id);
  }
  co_return r;
}

boost::asio::awaitable<Result<Booking>> BookingService::replay(const Caller& caller, const IdempotencyRecord& rec,
                                                               const std::string& request_hash) {
  if (!constant_time_equal(rec.request_hash, request_hash)) {
    Error e = Error::invalid("Idempotency-Key", "this key was already used with a different request body");
    e.slug = "idempotency-key-reused";
    co_return e;
  }
  auto b = co_await store_->get_booking(rec.booking_id);
  if (!b) co_return b.error();
  if (!*b || (*b)->user_id != caller.user.id) co_return Error::internal("idempotent booking vanished");
  metrics_->booking(BookingResult::replayed);
  co_return std::move(**b);
}

boost::asio::awaitable<Result<Booking>> BookingService::confirm(const Caller& caller, std::string hold_id,
                                                                std::optional<std::string> key) {
  const std::string request_hash = sha256_hex("hold_id=" + hold_id);
  if (!key) co_return co_await confirm_hold(caller, hold_id, "", request_hash);
  if (key->empty() || key->size() > kMaxIdempotencyKeyLength || !valid_text(*key))
    co_return Error::invalid("Idempotency-Key", "must be 1 to 255 characters");
  auto seen = co_await store_->find_idempotency(caller.user.id, *key);
  if (!seen) co_return seen.error();
  if (*seen) co_return co_await replay(caller, **seen, request_hash);
  if (!co_await coord_.idempotency->try_begin(caller.user.id, *key)) {
    metrics_->booking(BookingResult::in_progress);
    co_return Error::conflict("idempotency-in-progress", "a request with this Idempotency-Key is still running");
  }
  // The first request may have finished between the look-up and try_begin.
  auto again = co_await store_->find_idempotency(caller.user.id, *key);
  Result<Booking> out = Error::internal("unreachable");
  if (!again) {
    out = again.error();
  } else if (*again) {
    out = co_await replay(caller, **again, request_hash);
  } else {
    out = co_await confirm_hold(caller, hold_id, *key, request_hash);
    if (!out && out.error().slug == "idempotency-replay") {
      auto rec = co_await store_->find_idempotency(caller.user.id, *key);
      if (rec && *rec) out = co_await replay(caller, **rec, request_hash);
    }
  }
  co_await coord_.idempotency->end(caller.user.id, *key);
  co_return out;
}

boost::asio::awaitable<Result<Booking>> BookingService::confirm_hold(const Caller& caller, const std::string& hold_id,
                                                                     const std::string& key,
                                                                     const std::string& request_hash) {
  const Id show_id = show_of_hold(hold_id);
  if (show_id == 0) co_return Error::not_found("no such hold");
  auto held = co_await coord_.holds->begin_confirm(show_id, hold_id, caller.user.id);
  if (!held) {
    metrics_->booking(held.error().code == Errc::not_found ? BookingResult::not_found : BookingResult::hold_expired);
    co_return held.error();
  }
  auto info = co_await show_info(show_id);
  if (!info) {
    co_await coord_.holds->finish_confirm(show_id, hold_id, false);
    co_return info.error();
  }
  if (now_unix() >= (*info)->show.starts_at) {
    co_await coord_.holds->finish_confirm(show_id, hold_id, false);
    metrics_->booking(BookingResult::show_started);
    co_return Error::conflict("show-started", "the show has already started");
  }
  NewBooking request{caller.user.id, show_id,           held->seats, held->total_cents,
                     (*info)->show.currency, key, request_hash};
  auto booked = co_await store_->confirm_booking(std::move(request));
  co_await coord_.holds->finish_confirm(show_id, hold_id, booked.ok());
  co_await invalidate_seat_map(show_id);
  if (booked) {
    metrics_->booking(BookingResult::confirmed);
  } else if (booked.error().slug == "seat-unavailable") {
    metrics_->booking(BookingResult::conflict);
  } else if (booked.error().code == Errc::unavailable) {
    metrics_->booking(BookingResult::error);
  }
  co_return booked;
}

boost::asio::awaitable<Result<Page<Booking>>> BookingService::list(const Caller& caller, Id after_id, int limit) {
  co_return co_await store_->list_bookings(caller.user.id, after_id, limit);
}

boost::asio::awaitable<Result<Booking>> BookingService::get(const Caller& caller, Id id) {
  auto b = co_await store_->get_booking(id);
  if (!b) co_return b.error();
  // Someone else's booking is answered exactly like a missing one.
  if (!*b || ((*b)->user_id != caller.user.id && !caller.is_admin()))
    co_return Error::not_found("booking " + std::to_string(id) + " does not exist");
  co_return std::move(**b);
}

boost::asio::awaitable<Result<Booking>> BookingService::cancel(const Caller& caller, Id id) {
  auto b = co_await get(caller, id);
  if (!b) co_return b;
  if (b->status == BookingStatus::cancelled) co_return b;
  auto info = co_await show_info(b->show_id);
  if (!info) co_return info.error();
  if (now_unix() >= (*info)->show.starts_at)
    co_return Error::conflict("show-started", "the show has already started; the booking cannot be cancelled");
  if (auto primed = co_await ensure_primed(b->show_id); !primed) co_return primed.error();
  auto cancelled = co_await store_->cancel_booking(id);
  if (!cancelled) co_return cancelled;
  co_await coord_.holds->mark_free(b->show_id, cancelled->seats);
  co_await invalidate_seat_map(b->show_id);
  metrics_->booking(BookingResult::cancelled);
  co_return cancelled;
}

}  // namespace boxoffice
