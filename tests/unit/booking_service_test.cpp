// BookingService against a scripted store and the in-process coordinator: what happens at
// confirm when the store fails, says a seat is taken, or the show has started, and how an
// Idempotency-Key in flight behaves.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "coord/local/local_coordinator.hpp"
#include "domain/time.hpp"
#include "ops/metrics.hpp"
#include "services/booking.hpp"

using namespace boxoffice;
namespace asio = boost::asio;

namespace {

// Only what BookingService calls is scripted; everything else is "down".
class ScriptedStore final : public Store {
 public:
  Show show;
  Screen screen;
  std::vector<std::string> booked;
  std::optional<Error> confirm_error;          // the next confirm_booking answers this
  asio::steady_timer* confirm_gate = nullptr;  // confirm_booking waits on it when set
  int confirms = 0;
  std::map<std::pair<Id, std::string>, IdempotencyRecord> keys;
  std::map<Id, Booking> bookings;

  std::vector<PoolUsage> pool_usage() const override { return {}; }
  void stop() override {}
  asio::awaitable<std::vector<HealthCheck>> health() override {
    co_return std::vector<HealthCheck>{};
  }
  asio::awaitable<Status> purge_expired(UnixSeconds) override { co_return ok_status(); }
  asio::awaitable<Result<std::string>> secret(std::string, std::string fresh) override {
    co_return fresh;
  }
  asio::awaitable<Result<User>> create_user(NewUser) override { co_return down(); }
  asio::awaitable<Result<User>> ensure_admin(NewUser) override { co_return down(); }
  asio::awaitable<Result<std::optional<UserRecord>>> find_user_by_email(std::string) override {
    co_return down();
  }
  asio::awaitable<Status> create_session(std::string, Id, UnixSeconds) override {
    co_return down();
  }
  asio::awaitable<Result<std::optional<SessionRecord>>> find_session(std::string) override {
    co_return down();
  }
  asio::awaitable<Status> delete_session(std::string) override { co_return down(); }
  asio::awaitable<Result<Movie>> create_movie(Movie) override { co_return down(); }
  asio::awaitable<Result<Movie>> update_movie(Id, MoviePatch) override { co_return down(); }
  asio::awaitable<Status> delete_movie(Id) override { co_return down(); }
  asio::awaitable<Result<std::optional<Movie>>> get_movie(Id) override { co_return down(); }
  asio::awaitable<Result<Page<Movie>>> list_movies(Id, int) override { co_return down(); }
  asio::awaitable<Result<Theater>> create_theater(NewTheater) override { co_return down(); }
  asio::awaitable<Result<std::optional<Theater>>> get_theater(Id) override { co_return down(); }
  asio::awaitable<Result<Page<Theater>>> list_theaters(Id, int) override { co_return down(); }
  asio::awaitable<Result<std::optional<Screen>>> get_screen(Id id) override {
    co_return id == screen.id ? std::optional<Screen>(screen) : std::nullopt;
  }
  asio::awaitable<Result<Show>> create_show(NewShow) override { co_return down(); }
  asio::awaitable<Result<std::optional<Show>>> get_show(Id id) override {
    co_return id == show.id ? std::optional<Show>(show) : std::nullopt;
  }
  asio::awaitable<Result<Page<Show>>> list_shows(ShowFilter) override { co_return down(); }
  asio::awaitable<Result<Booking>> confirm_booking(NewBooking b) override {
    ++confirms;
    if (confirm_gate) co_await confirm_gate->async_wait(asio::as_tuple(asio::use_awaitable));
    if (confirm_error) {
      Error e = *confirm_error;
      confirm_error.reset();
      co_return e;
    }
    Booking out{static_cast<Id>(bookings.size() + 1),
                b.user_id,
                b.show_id,
                b.seats,
                b.total_cents,
                b.currency,
                BookingStatus::confirmed,
                now_unix()};
    bookings[out.id] = out;
    if (!b.idempotency_key.empty())
      keys[{b.user_id, b.idempotency_key}] = IdempotencyRecord{b.request_hash, out.id};
    booked.insert(booked.end(), b.seats.begin(), b.seats.end());
    co_return out;
  }
  asio::awaitable<Result<std::vector<std::string>>> booked_seats(Id) override { co_return booked; }
  asio::awaitable<Result<std::optional<IdempotencyRecord>>> find_idempotency(
      Id user, std::string key) override {
    auto it = keys.find({user, key});
    co_return it == keys.end() ? std::nullopt : std::optional<IdempotencyRecord>(it->second);
  }
  asio::awaitable<Result<std::optional<Booking>>> get_booking(Id id) override {
    auto it = bookings.find(id);
    co_return it == bookings.end() ? std::nullopt : std::optional<Booking>(it->second);
  }
  asio::awaitable<Result<Page<Booking>>> list_bookings(Id, Id, int) override { co_return down(); }
  asio::awaitable<Result<CancelOutcome>> cancel_booking(Id) override { co_return down(); }

 private:
  static Error down() { return Error::unavailable("scripted store: not scripted"); }
};

class BookingServiceTest : public ::testing::Test {
 protected:
  BookingServiceTest() {
    store->show.id = 7;
    store->show.screen_id = 3;
    store->show.theater_id = 1;
    store->show.starts_at = now_unix() + 3600;
    store->show.ends_at = store->show.starts_at + 5400;
    store->show.prices = {{"standard", 1000}};
    store->screen.id = 3;
    store->screen.rows = {SeatRow{"A", 10, "standard"}};
    store->screen.seat_count = 10;
    coord = make_local_coordinator(ioc.get_executor(), LocalCoordinatorOptions{});
    BookingOptions o;
    o.show_info_ttl =
        std::chrono::milliseconds(0);  // every call sees the scripted show as it is now
    booking = std::make_unique<BookingService>(
        store, coord, o, ioc.get_executor(),
        std::make_shared<Metrics>(std::vector<std::string>{"unmatched"}));
  }
  ~BookingServiceTest() override {
    stop_local_coordinator(coord);
    ioc.run_for(std::chrono::milliseconds(50));
  }

  template <class T>
  T run(asio::awaitable<T> task) {
    auto fut = asio::co_spawn(ioc, std::move(task), asio::use_future);
    ioc.restart();
    while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ioc.run_one();
    return fut.get();
  }
  std::map<std::string, SeatStatus> statuses() {
    std::vector<std::string> ids;
    for (int i = 1; i <= 10; ++i) ids.push_back("A" + std::to_string(i));
    auto s = run(coord.holds->statuses(7, ids));
    std::map<std::string, SeatStatus> out;
    for (std::size_t i = 0; i < ids.size(); ++i) out[ids[i]] = s->statuses[i];
    return out;
  }

  asio::io_context ioc;
  std::shared_ptr<ScriptedStore> store = std::make_shared<ScriptedStore>();
  Coordinator coord;
  std::unique_ptr<BookingService> booking;
  Caller ann{User{1, "ann@example.com", "Ann", Role::customer}, "t1"};
  Caller bob{User{2, "bob@example.com", "Bob", Role::customer}, "t2"};
};

}  // namespace

TEST_F(BookingServiceTest, StoreDownAtConfirmIs503AndFreesTheSeats) {
  auto hold = run(booking->hold(ann, 7, {"A1", "A2"}));
  ASSERT_TRUE(hold.ok());
  store->confirm_error = Error::unavailable("disk on fire");
  auto r = run(booking->confirm(ann, hold->hold.id, std::nullopt));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_EQ(statuses()["A1"], SeatStatus::available);
  EXPECT_TRUE(run(booking->hold(bob, 7, {"A1"})).ok());
}

TEST_F(BookingServiceTest, SeatTakenAtConfirmRepairsTheMirror) {
  auto hold = run(booking->hold(ann, 7, {"A1", "A2"}));
  ASSERT_TRUE(hold.ok());
  Error taken = Error::conflict(Problem::seat_unavailable, "taken");
  taken.seats = {"A2"};
  store->confirm_error = taken;
  auto r = run(booking->confirm(ann, hold->hold.id, std::nullopt));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().problem, Problem::seat_unavailable);
  auto s = statuses();
  EXPECT_EQ(s["A2"], SeatStatus::booked);  // not "available but unbookable"
  EXPECT_EQ(s["A1"], SeatStatus::available);
  auto again = run(booking->hold(bob, 7, {"A2"}));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().problem, Problem::seat_unavailable);
}

TEST_F(BookingServiceTest, ShowStartedAtConfirmIs409AndFreesTheSeats) {
  auto hold = run(booking->hold(ann, 7, {"A3"}));
  ASSERT_TRUE(hold.ok());
  store->show.starts_at = now_unix() - 1;
  booking->forget_shows();
  auto r = run(booking->confirm(ann, hold->hold.id, std::nullopt));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().problem, Problem::show_started);
  EXPECT_EQ(store->confirms, 0);
  EXPECT_EQ(statuses()["A3"], SeatStatus::available);
}

TEST_F(BookingServiceTest, KeyInFlightIs409ThenReplays) {
  auto hold = run(booking->hold(ann, 7, {"A4"}));
  ASSERT_TRUE(hold.ok());
  asio::steady_timer gate(ioc, asio::steady_timer::time_point::max());
  store->confirm_gate = &gate;
  auto first = asio::co_spawn(ioc, booking->confirm(ann, hold->hold.id, std::string("key-1")),
                              asio::use_future);
  ioc.restart();
  while (store->confirms == 0) ioc.run_one();
  auto second = run(booking->confirm(ann, hold->hold.id, std::string("key-1")));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().problem, Problem::idempotency_in_progress);
  gate.cancel();
  store->confirm_gate = nullptr;
  while (first.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ioc.run_one();
  auto booked = first.get();
  ASSERT_TRUE(booked.ok());
  auto replay = run(booking->confirm(ann, hold->hold.id, std::string("key-1")));
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->id, booked->id);
}

TEST_F(BookingServiceTest, KeyIsFreedWhenTheConfirmFails) {
  auto hold = run(booking->hold(ann, 7, {"A5"}));
  ASSERT_TRUE(hold.ok());
  store->confirm_error = Error::unavailable("down");
  EXPECT_EQ(run(booking->confirm(ann, hold->hold.id, std::string("key-2"))).error().code,
            Errc::unavailable);
  auto hold2 = run(booking->hold(ann, 7, {"A5"}));
  ASSERT_TRUE(hold2.ok());
  auto r = run(booking->confirm(ann, hold2->hold.id, std::string("key-2")));
  EXPECT_TRUE(r.ok()) << r.error().detail;  // not 409 in-progress: the first request let go
}

TEST_F(BookingServiceTest, UnknownShowsLeaveNoState) {
  for (Id show = 100; show < 400; ++show) {
    const std::string id = "h" + std::to_string(show) + ".AAAAAAAAAAAAAAAAAAAAAA";
    EXPECT_EQ(run(booking->release(ann, id)).error().code, Errc::not_found);
    EXPECT_EQ(run(booking->confirm(ann, id, std::nullopt)).error().code, Errc::not_found);
    EXPECT_EQ(run(booking->seat_map(show)).error().code, Errc::not_found);
  }
  auto local = std::dynamic_pointer_cast<LocalHoldRegistry>(coord.holds);
  ASSERT_TRUE(local);
  EXPECT_EQ(local->show_count(), 0u);
  EXPECT_EQ(booking->cached_seat_view_bytes(), 0u);
}

TEST_F(BookingServiceTest, SnapshotBytesAreSharedPerVersion) {
  auto a = run(booking->live_snapshot(7));
  auto b = run(booking->live_snapshot(7));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());  // one allocation for every watcher
  ASSERT_TRUE(run(booking->hold(ann, 7, {"A6"})).ok());
  auto c = run(booking->live_snapshot(7));
  EXPECT_NE(c->get(), a->get());
  EXPECT_NE((*c)->find("\"A6\":\"held\""), std::string::npos);
}
