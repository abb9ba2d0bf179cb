#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include "coord/local/local_hold_registry.hpp"
#include "domain/time.hpp"

using namespace boxoffice;

namespace {

struct Outcome {
  std::mutex mutex;
  std::vector<HoldInfo> granted;
  std::atomic<int> conflicts{0};
};

boost::asio::awaitable<void> contend(LocalHoldRegistry& reg, Id show, Id user, int attempts,
                                     Outcome& out) {
  for (int i = 0; i < attempts; ++i) {
    HoldInfo h;
    h.id = "h" + std::to_string(user) + "-" + std::to_string(i);
    h.show_id = show;
    h.user_id = user;
    h.seats = {"A" + std::to_string((user + i) % 10 + 1),
               "A" + std::to_string((user * 3 + i) % 10 + 1)};
    if (h.seats[0] == h.seats[1]) h.seats.pop_back();
    h.expires_at_ms = now_unix_ms() + 60'000;
    auto r = co_await reg.try_hold(h);
    if (r) {
      std::lock_guard lock(out.mutex);
      out.granted.push_back(*r);
    } else {
      ++out.conflicts;
    }
  }
}

// Holds need the show's booked seats loaded first (none here).
void prime(LocalHoldRegistry& reg, Id show) {
  boost::asio::io_context ioc;
  auto f = boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<bool> {
        auto token = co_await reg.prime_token(show);
        if (!token) co_return true;
        const bool primed = co_await reg.prime(show, *token, {});
        co_return primed;
      },
      boost::asio::use_future);
  ioc.run();
  ASSERT_TRUE(f.get());
}

}  // namespace

// Many threads hold seats of the same show at once: no seat may end up in two holds.
TEST(LocalHoldRegistryConcurrency, NoSeatInTwoHolds) {
  boost::asio::thread_pool timers(1);
  auto reg = std::make_shared<LocalHoldRegistry>(
      timers.get_executor(),
      LocalHoldRegistryOptions{std::chrono::milliseconds(5), {}, std::chrono::minutes(5)});
  reg->start();
  std::atomic<int> reported{0};
  reg->on_changes(
      [&](Id, const std::vector<SeatChange>& c) { reported += static_cast<int>(c.size()); });
  prime(*reg, 7);
  Outcome out;
  boost::asio::thread_pool pool(8);
  std::vector<std::future<void>> futures;
  for (Id user = 1; user <= 64; ++user)
    futures.push_back(
        boost::asio::co_spawn(pool, contend(*reg, 7, user, 20, out), boost::asio::use_future));
  for (auto& f : futures) f.get();
  std::set<std::string> seats;
  for (const auto& h : out.granted)
    for (const auto& s : h.seats) EXPECT_TRUE(seats.insert(s).second) << s << " is in two holds";
  EXPECT_GT(out.conflicts.load(), 0);
  EXPECT_FALSE(out.granted.empty());
  EXPECT_EQ(reported.load(), static_cast<int>(seats.size()));
  pool.join();
  // The registry's contract: stop() once its timer's thread has stopped.
  timers.stop();
  timers.join();
  reg->stop();
}

TEST(LocalHoldRegistryConcurrency, TimerExpiresHolds) {
  boost::asio::thread_pool timers(1);
  auto reg = std::make_shared<LocalHoldRegistry>(
      timers.get_executor(),
      LocalHoldRegistryOptions{std::chrono::milliseconds(10), {}, std::chrono::minutes(5)});
  reg->start();
  std::atomic<int> freed{0};
  reg->on_changes([&](Id, const std::vector<SeatChange>& c) {
    for (auto& x : c) freed += x.status == SeatStatus::available;
  });
  prime(*reg, 3);
  boost::asio::thread_pool pool(2);
  HoldInfo h{"h1", 3, 1, {"A1", "A2"}, 0, now_unix_ms() + 50};
  auto held = boost::asio::co_spawn(pool, reg->try_hold(h), boost::asio::use_future).get();
  ASSERT_TRUE(held.ok());
  for (int i = 0; i < 100 && freed.load() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(freed.load(), 2);
  pool.join();
  // The registry's contract: stop() once its timer's thread has stopped.
  timers.stop();
  timers.join();
  reg->stop();
}
