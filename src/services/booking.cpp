#include "services/booking.hpp"

#include <cstdio>

#include <boost/asio/this_coro.hpp>

#include "async/detached_undo.hpp"
#include "common/cached_body.hpp"
#include "domain/hash.hpp"
#include "ops/log.hpp"
#include "ops/metrics.hpp"
#include "services/catalog.hpp"
#include "services/security.hpp"
#include "services/views.hpp"

namespace boxoffice {
namespace {

using SteadyClock = std::chrono::steady_clock;

// How long the others keep using a cached entry past its TTL while one request rebuilds it.
constexpr std::chrono::seconds kRefreshClaim{1};

// Whether the request that finds an entry past its TTL rebuilds it (and claims that, in
// `refreshing`, under the cache's lock), or uses it as it is because another request claimed
// the rebuild less than kRefreshClaim ago. With a TTL of 0 nothing is served stale.
bool claims_rebuild(SteadyClock::time_point& refreshing, SteadyClock::time_point now,
                    std::chrono::milliseconds ttl) {
  if (ttl.count() > 0 && refreshing != SteadyClock::time_point{} &&
      now - refreshing < kRefreshClaim)
    return false;
  refreshing = now;
  return true;
}

}  // namespace

std::size_t BookingService::SeatViewWeight::operator()(const SeatView& v) const {
  auto size = [](const Bytes& b) { return b ? b->size() : 0; };
  return 128 + v.statuses.size() + size(v.json) + size(v.gzip) + size(v.snapshot);
}

std::size_t BookingService::ShowInfoWeight::operator()(
    const std::shared_ptr<const ShowInfo>& i) const {
  // Per seat: its Seat (three strings and a number), its index entry and its id again.
  constexpr std::size_t kPerSeat = 256;
  return 1024 + i->hall->seat_ids.size() * kPerSeat;
}

BookingService::BookingService(std::shared_ptr<Store> store, Coordinator coord,
                               BookingOptions options, boost::asio::any_io_executor background,
                               std::shared_ptr<Metrics> metrics)
    : store_(std::move(store)),
      coord_(std::move(coord)),
      options_(options),
      background_(std::move(background)),
      metrics_(std::move(metrics)),
      infos_(options_.max_show_infos, options_.max_show_info_bytes),
      seat_views_(0, options_.max_seat_view_bytes) {}

void BookingService::forget_shows() {
  infos_.erase_if([](Id, const auto&) { return true; });
}

void BookingService::sweep() {
  const auto now = SteadyClock::now();
  seat_views_.erase_if(
      [&](Id, const SeatView& v) { return now - v.built >= options_.seat_map_ttl; });
  // Twice the TTL: an info past its TTL still serves while one request reloads it (see
  // show_info); one not reloaded within twice its TTL (nobody asked for it, or every reload
  // failed) goes.
  infos_.erase_if([&](Id, const std::shared_ptr<const ShowInfo>& i) {
    return now - i->loaded >= 2 * options_.show_info_ttl;
  });
}

boost::asio::awaitable<std::uint64_t> BookingService::shows_generation() {
  const std::int64_t now = SteadyClock::now().time_since_epoch().count();
  std::int64_t read = shows_generation_read_.load(std::memory_order_relaxed);
  // One caller per interval asks the cache (it claims the interval before awaiting); the
  // others use the value as last read.
  if ((read != 0 && now - read < std::chrono::nanoseconds(kShowsGenerationRefresh).count()) ||
      !shows_generation_read_.compare_exchange_strong(read, now, std::memory_order_relaxed))
    co_return shows_generation_.load(std::memory_order_relaxed);
  // 0 means the cache did not answer: the infos loaded so far stay (a cache outage must not
  // send every hold to the database), and the next interval asks again.
  const std::uint64_t g = co_await coord_.cache->generation(std::string(kShowsRemovedGeneration));
  std::uint64_t seen = shows_generation_.load(std::memory_order_relaxed);
  // Generations only grow: an answer that arrives late never replaces a newer one.
  while (g > seen && !shows_generation_.compare_exchange_weak(seen, g, std::memory_order_relaxed)) {
  }
  co_return shows_generation_.load(std::memory_order_relaxed);
}

boost::asio::awaitable<Result<std::shared_ptr<const BookingService::ShowInfo>>>
BookingService::show_info(Id show_id) {
  const std::uint64_t generation = co_await shows_generation();
  const auto now = SteadyClock::now();
  const auto ttl = options_.show_info_ttl;
  std::shared_ptr<const Hall> previous_hall;
  auto cached = infos_.with(
      show_id, [&](std::shared_ptr<const ShowInfo>* i) -> std::shared_ptr<const ShowInfo> {
        if (!i) return nullptr;
        // A removed show (a new generation) is never served from here.
        if ((*i)->shows_generation != generation) {
          previous_hall = (*i)->hall;
          return nullptr;
        }
        const ShowInfo& info = **i;
        if (now - info.loaded < ttl) return *i;
        // Past its TTL: the first request reloads it and the others keep using it meanwhile.
        // Reloading a 20,000-seat hall takes milliseconds, and when every request for the show
        // did it at once, each on-sale show stalled every 30 s.
        if (!claims_rebuild(info.refreshing, now, ttl)) return *i;
        previous_hall = info.hall;
        return nullptr;
      });
  if (cached) {
    metrics_->cache_hit(CacheName::show_info);
    co_return cached;
  }
  metrics_->cache_miss(CacheName::show_info);
  auto show = co_await store_->get_show(show_id);
  if (!show) co_return show.error();
  if (!*show) {
    // Removed on another instance before this one saw the new generation: the info kept for
    // the others while this reload ran must not outlive it.
    infos_.erase(show_id);
    co_return Error::not_found("show " + std::to_string(show_id) + " does not exist");
  }
  auto screen = co_await store_->get_screen((*show)->screen_id);
  if (!screen) co_return screen.error();
  if (!*screen)
    co_return Error::not_found("the screen of show " + std::to_string(show_id) + " does not exist");
  std::shared_ptr<const Hall> hall = std::move(previous_hall);
  if (!hall || hall->rows != (*screen)->rows) {
    SeatLayout layout((*screen)->rows);
    std::vector<std::string> ids;
    ids.reserve(layout.seats().size());
    for (const auto& s : layout.seats()) ids.push_back(s.id);
    hall = std::make_shared<const Hall>(
        Hall{std::move((*screen)->rows), std::move(layout), std::move(ids)});
  }
  auto info = std::make_shared<const ShowInfo>(
      ShowInfo{std::move(**show), std::move(hall), now, generation, {}});
  infos_.put(show_id, info);
  co_return info;
}

boost::asio::awaitable<Status> BookingService::ensure_primed(Id show_id) {
  // A cancellation between the store read and prime() makes prime refuse: read again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto token = co_await coord_.holds->prime_token(show_id);
    if (!token) co_return ok_status();
    auto booked = co_await store_->booked_seats(show_id);
    if (!booked) co_return booked.error();
    if (co_await coord_.holds->prime(show_id, *token, std::move(*booked))) co_return ok_status();
  }
  co_return Error::unavailable("the seats of this show are changing too fast to load; try again");
}

boost::asio::awaitable<Result<BookingService::SeatView>> BookingService::seat_view(Id show_id,
                                                                                   ViewPart want) {
  auto info = co_await show_info(show_id);
  if (!info) co_return info.error();
  if (auto primed = co_await ensure_primed(show_id); !primed) co_return primed.error();
  const auto now = SteadyClock::now();
  const std::uint64_t version = co_await coord_.holds->version(show_id);
  auto has_part = [want](const SeatView& v) {
    return want == ViewPart::map ? v.json != nullptr : v.snapshot != nullptr;
  };
  std::optional<SeatView> view =
      seat_views_.with(show_id, [&](SeatView* v) -> std::optional<SeatView> {
        if (!v || v->version != version) return std::nullopt;
        if (now - v->built < options_.seat_map_ttl) return *v;
        // Past its TTL at the same version the view still says what the seats are: one request
        // builds it again while the others keep answering with it (no stampede of rebuilds).
        if (!claims_rebuild(v->refreshing, now, options_.seat_map_ttl)) return *v;
        return std::nullopt;
      });
  if (view && has_part(*view)) {
    metrics_->cache_hit(CacheName::seat_map);
    co_return std::move(*view);
  }
  metrics_->cache_miss(CacheName::seat_map);
  const ShowInfo& si = **info;
  if (!view) {
    auto current = co_await coord_.holds->statuses(show_id, si.hall->seat_ids);
    if (!current) co_return current.error();
    view.emplace();
    view->version = current->version;
    view->built = now;
    view->statuses.reserve(current->statuses.size());
    for (SeatStatus st : current->statuses)
      view->statuses += static_cast<char>('0' + static_cast<int>(st));
  }
  auto status_at = [&](std::size_t i) { return static_cast<SeatStatus>(view->statuses[i] - '0'); };
  if (want == ViewPart::map) {
    int available = 0;
    boost::json::array seats;
    seats.reserve(si.hall->layout.seats().size());
    for (std::size_t i = 0; i < si.hall->layout.seats().size(); ++i) {
      const Seat& seat = si.hall->layout.seats()[i];
      const SeatStatus st = status_at(i);
      if (st == SeatStatus::available) ++available;
      auto price = si.show.prices.find(seat.category);
      seats.push_back(
          boost::json::object{{"id", seat.id},
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
    std::snprintf(
        etag, sizeof etag, "\"%016llx\"",
        static_cast<unsigned long long>(fnv1a(view->statuses, fnv1a(std::to_string(show_id)))));
    view->etag = etag;
    const CachedBody body = CachedBody::of(boost::json::serialize(o));
    view->json = body.bytes;
    view->gzip = body.gzip;
  } else {
    const auto& ids = si.hall->seat_ids;
    std::string out;
    out.reserve(64 + ids.size() * 24);  // one allocation: many watchers connect at once
    out += "{\"type\":\"snapshot\",\"show_id\":" + std::to_string(show_id) + ",\"seats\":{";
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i) out += ',';
      out += '"';
      out += ids[i];  // seat ids are [A-Z]+[0-9]+: nothing to escape
      out += "\":\"";
      out += seat_status_name(status_at(i));
      out += '"';
    }
    out += "}}";
    view->snapshot = std::make_shared<const std::string>(std::move(out));
  }
  // Newer versions win; the same version gains the part just built.
  seat_views_.upsert(
      show_id, [] { return SeatView{}; },
      [&](SeatView& v) {
        if (v.statuses.empty()) {  // a new entry: a version 0 must not look like a match
          v = *view;
          return;
        }
        if (v.version > view->version) return;
        if (v.version == view->version && view->built > v.built) {
          // A rebuild of the same version (its TTL had passed): it replaces the old one. Parts
          // it did not build are not carried over: they would live on past their TTL (and the
          // map's as_of with them); the next request that needs one builds it.
          v = *view;
          return;
        }
        if (v.version == view->version) {
          if (view->json && !v.json) {
            v.json = view->json;
            v.gzip = view->gzip;
            v.etag = view->etag;
          }
          if (view->snapshot && !v.snapshot) v.snapshot = view->snapshot;
          return;
        }
        v = *view;
      });
  co_return std::move(*view);
}

boost::asio::awaitable<Result<SeatMapView>> BookingService::seat_map(Id show_id) {
  auto view = co_await seat_view(show_id, ViewPart::map);
  if (!view) co_return view.error();
  co_return SeatMapView{view->json, view->gzip, view->etag};
}

boost::asio::awaitable<Result<Bytes>> BookingService::live_snapshot(Id show_id) {
  auto view = co_await seat_view(show_id, ViewPart::snapshot);
  if (!view) co_return view.error();
  co_return view->snapshot;
}

boost::asio::awaitable<Status> BookingService::check_show(Id show_id) {
  auto info = co_await show_info(show_id);
  if (!info) co_return info.error();
  co_return ok_status();
}

boost::asio::awaitable<Result<HoldView>> BookingService::hold(const Caller& caller, Id show_id,
                                                              std::vector<std::string> seats) {
  auto info = co_await show_info(show_id);
  if (!info) co_return info.error();
  const ShowInfo& si = **info;
  auto indexes = resolve_seat_request(si.hall->layout, seats, options_.max_seats_per_hold);
  if (!indexes) {
    metrics_->hold(HoldResult::invalid);
    co_return indexes.error();
  }
  if (now_unix() >= si.show.starts_at) {
    metrics_->hold(HoldResult::show_started);
    co_return Error::conflict(Problem::show_started, "the show has already started");
  }
  std::int64_t total = 0;
  for (int idx : *indexes) {
    auto price =
        si.show.prices.find(si.hall->layout.seats()[static_cast<std::size_t>(idx)].category);
    if (price != si.show.prices.end()) total += price->second;
  }
  HoldInfo h;
  h.id = make_hold_id(options_.hold_secret, show_id, caller.user.id);
  h.show_id = show_id;
  h.user_id = caller.user.id;
  h.seats = std::move(seats);
  h.total_cents = total;
  h.expires_at_ms = now_unix_ms() + options_.hold_ttl.count();
  Result<HoldInfo> held = Error::internal("no hold attempt");
  for (int attempt = 0; attempt < 3; ++attempt) {
    HoldInfo tried = h;
    held = co_await coord_.holds->try_hold(std::move(tried));
    if (held || held.error().problem != Problem::mirror_unloaded) break;
    const Status primed = co_await ensure_primed(show_id);
    if (!primed) co_return primed.error();
  }
  if (!held) {
    metrics_->hold(held.error().problem == Problem::hold_limit ? HoldResult::limited
                                                               : HoldResult::conflict);
    co_return held.error();
  }
  metrics_->hold(HoldResult::held);
  co_return HoldView{std::move(*held), si.show.currency};
}

boost::asio::awaitable<Result<std::vector<HoldView>>> BookingService::holds(const Caller& caller) {
  auto held = co_await coord_.holds->holds_of(caller.user.id);
  if (!held) co_return held.error();
  std::vector<HoldView> out;
  out.reserve(held->size());
  for (auto& h : *held) {
    auto info = co_await show_info(h.show_id);
    if (!info) continue;  // the show was deleted meanwhile
    out.push_back(HoldView{std::move(h), (*info)->show.currency});
  }
  std::sort(out.begin(), out.end(), [](const HoldView& a, const HoldView& b) {
    return a.hold.expires_at_ms < b.hold.expires_at_ms;
  });
  co_return out;
}

boost::asio::awaitable<Status> BookingService::release(const Caller& caller, std::string hold_id) {
  const Id show_id = show_of_hold(hold_id);
  if (show_id == 0) co_return Error::not_found("no such hold");
  // An id naming a show that does not exist is answered without creating any state.
  if (auto info = co_await show_info(show_id); !info) {
    co_return info.error().code == Errc::not_found ? Error::not_found("no such hold")
                                                   : info.error();
  }
  auto r = co_await coord_.holds->release(show_id, hold_id, caller.user.id);
  if (r) metrics_->hold(HoldResult::released);
  // The caller's own hold, ended and forgotten long ago: releasing it again is harmless.
  if (!r && r.error().code == Errc::not_found &&
      hold_issued_to(options_.hold_secret, hold_id, caller.user.id))
    co_return ok_status();
  co_return r;
}

boost::asio::awaitable<Result<Booking>> BookingService::replay(const Caller& caller,
                                                               const IdempotencyRecord& rec,
                                                               const std::string& request_hash) {
  if (!constant_time_equal(rec.request_hash, request_hash)) {
    Error e = Error::invalid("Idempotency-Key",
                             "this key was already used with a different request body");
    e.problem = Problem::idempotency_key_reused;
    co_return e;
  }
  auto b = co_await store_->get_booking(rec.booking_id);
  if (!b) co_return b.error();
  if (!*b || (*b)->user_id != caller.user.id)
    co_return Error::internal("idempotent booking vanished");
  metrics_->booking(BookingResult::replayed);
  // The response the first request got (API.md: "the same body"), even if the booking was
  // cancelled since: its status was then "confirmed", and nothing else of a booking changes.
  Booking first = std::move(**b);
  first.status = BookingStatus::confirmed;
  co_return first;
}

boost::asio::awaitable<Result<Booking>> BookingService::confirm(const Caller& caller,
                                                                std::string hold_id,
                                                                std::optional<std::string> key) {
  const std::string request_hash = sha256_hex("hold_id=" + hold_id);
  if (!key) co_return co_await confirm_hold(caller, hold_id, "", request_hash);
  if (key->empty() || key->size() > kMaxIdempotencyKeyLength || !valid_text(*key))
    co_return Error::invalid("Idempotency-Key", "must be 1 to 255 characters");
  // The key is looked up under its in-flight mark, so a first request costs one database read.
  auto mark =
      co_await coord_.idempotency->try_begin(caller.user.id, *key, options_.idempotency_mark_ttl);
  if (!mark) {
    // A mark can outlive its request (an instance that died after the commit, an end() that
    // did not reach Redis): a booking already made with the key is still the answer then.
    auto done = co_await store_->find_idempotency(caller.user.id, *key);
    if (done && *done) co_return co_await replay(caller, **done, request_hash);
    metrics_->booking(BookingResult::in_progress);
    co_return Error::conflict(Problem::idempotency_in_progress,
                              "a request with this Idempotency-Key is still running");
  }
  // The coroutine's own executor: at shutdown its context is the one destroying this frame.
  const auto own = co_await boost::asio::this_coro::executor;
  DetachedUndo unmark(own, [guard = coord_.idempotency, user = caller.user.id, k = *key,
                            token = *mark] { return guard->end(user, k, token); });
  // A request with this key may have finished before the mark was taken.
  auto seen = co_await store_->find_idempotency(caller.user.id, *key);
  Result<Booking> out = Error::internal("unreachable");
  if (!seen) {
    out = seen.error();
  } else if (*seen) {
    out = co_await replay(caller, **seen, request_hash);
  } else {
    out = co_await confirm_hold(caller, hold_id, *key, request_hash);
    if (!out && out.error().problem == Problem::idempotency_replay) {
      auto rec = co_await store_->find_idempotency(caller.user.id, *key);
      if (rec && *rec) out = co_await replay(caller, **rec, request_hash);
    }
  }
  unmark.dismiss();
  co_await coord_.idempotency->end(caller.user.id, *key, *mark);
  co_return out;
}

boost::asio::awaitable<Result<Booking>> BookingService::confirm_hold(
    const Caller& caller, const std::string& hold_id, const std::string& key,
    const std::string& request_hash) {
  const Id show_id = show_of_hold(hold_id);
  if (show_id == 0) co_return Error::not_found("no such hold");
  auto info = co_await show_info(show_id);
  if (!info)
    co_return info.error().code == Errc::not_found ? Error::not_found("no such hold")
                                                   : info.error();
  auto ticket = co_await coord_.holds->begin_confirm(show_id, hold_id, caller.user.id,
                                                     options_.confirm_deadline);
  if (!ticket) {
    // Ended holds are forgotten after a while (and, embedded, at a restart): an id issued to
    // the caller that no registry knows any more is a hold that ended, not someone else's.
    if (ticket.error().code == Errc::not_found &&
        hold_issued_to(options_.hold_secret, hold_id, caller.user.id)) {
      metrics_->booking(BookingResult::hold_expired);
      co_return Error::conflict(Problem::hold_expired,
                                "the hold has ended: it expired, was released or was used");
    }
    metrics_->booking(ticket.error().code == Errc::not_found ? BookingResult::not_found
                                                             : BookingResult::hold_expired);
    co_return ticket.error();
  }
  auto holds = coord_.holds;
  // Named, not `{}` inside co_await: g++ 12 miscompiles brace temporaries there.
  const std::vector<std::string> no_seats;
  const auto own = co_await boost::asio::this_coro::executor;
  DetachedUndo revert(own, [holds, show_id, t = *ticket] {
    return holds->finish_confirm(show_id, t, ConfirmOutcome::released, {});
  });
  if (now_unix() >= (*info)->show.starts_at) {
    revert.dismiss();
    co_await holds->finish_confirm(show_id, *ticket, ConfirmOutcome::released, no_seats);
    metrics_->booking(BookingResult::show_started);
    co_return Error::conflict(Problem::show_started, "the show has already started");
  }
  NewBooking request{caller.user.id,         show_id, ticket->hold.seats, ticket->hold.total_cents,
                     (*info)->show.currency, key,     request_hash};
  auto booked = co_await store_->confirm_booking(std::move(request));
  revert.dismiss();
  if (booked) {
    co_await holds->finish_confirm(show_id, *ticket, ConfirmOutcome::booked, no_seats);
    metrics_->booking(BookingResult::confirmed);
  } else if (booked.error().problem == Problem::seat_unavailable) {
    // The store has these seats booked and the mirror did not know: repair it.
    co_await holds->finish_confirm(show_id, *ticket, ConfirmOutcome::taken, booked.error().seats);
    metrics_->booking(BookingResult::conflict);
  } else {
    co_await holds->finish_confirm(show_id, *ticket, ConfirmOutcome::released, no_seats);
    if (booked.error().code == Errc::unavailable) metrics_->booking(BookingResult::error);
  }
  co_return booked;
}

boost::asio::awaitable<Result<Page<Booking>>> BookingService::list(const Caller& caller,
                                                                   Id after_id, int limit) {
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
    co_return Error::conflict(Problem::show_started,
                              "the show has already started; the booking cannot be cancelled");
  if (auto primed = co_await ensure_primed(b->show_id); !primed) co_return primed.error();
  auto cancelled = co_await store_->cancel_booking(id);
  if (!cancelled) co_return cancelled.error();
  // Only the cancellation that really freed the seats frees them in the mirror: a concurrent
  // second cancel must not free seats that were booked again meanwhile.
  if (cancelled->changed) {
    co_await coord_.holds->mark_free(b->show_id, cancelled->booking.seats);
    metrics_->booking(BookingResult::cancelled);
  }
  co_return std::move(cancelled->booking);
}

}  // namespace boxoffice
