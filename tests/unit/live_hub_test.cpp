// LiveHub under concurrent publishers and subscribers (also run under ThreadSanitizer): a
// steady watcher sees every change of its show in order, channels go with their last watcher.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/thread_pool.hpp>

#include "live/live_hub.hpp"

using namespace boxoffice;

namespace {

class Recorder final : public live::Subscriber {
 public:
  bool enqueue(const Bytes& frame) override {
    std::lock_guard lock(mutex);
    frames.push_back(*frame);
    return false;
  }
  void going_away() override { away = true; }
  void resync() override { ++resyncs; }
  std::mutex mutex;
  std::vector<std::string> frames;
  std::atomic<bool> away{false};
  std::atomic<int> resyncs{0};
};

}  // namespace

TEST(LiveHubConcurrency, WatchersSeeEveryChangeAndChannelsGoWithTheirLastWatcher) {
  boost::asio::thread_pool flush(2);
  auto hub = std::make_shared<live::LiveHub>(flush.get_executor(), std::chrono::milliseconds(1));
  auto steady = std::make_shared<Recorder>();
  auto keep = hub->subscribe(1, steady);
  constexpr int kChanges = 2000;
  std::atomic<bool> done{false};
  std::thread publisher([&] {
    for (int i = 0; i < kChanges; ++i)
      hub->publish(1, {SeatChange{"A" + std::to_string(i), SeatStatus::held}});
    done = true;
  });
  std::vector<std::thread> churn;
  for (int t = 0; t < 4; ++t) {
    churn.emplace_back([&, t] {
      while (!done) {
        auto r = std::make_shared<Recorder>();
        const Id show = 2 + t % 2;
        auto sub = hub->subscribe(show, r);
        hub->publish(show, {SeatChange{"B1", SeatStatus::booked}});
        sub.reset();
      }
    });
  }
  publisher.join();
  for (auto& t : churn) t.join();
  // Let the last coalesced flushes run.
  for (int i = 0; i < 200; ++i) {
    std::size_t seen = 0;
    {
      std::lock_guard lock(steady->mutex);
      for (const auto& f : steady->frames)
        for (std::size_t p = f.find("\"seat\""); p != std::string::npos;
             p = f.find("\"seat\"", p + 1))
          ++seen;
    }
    if (seen == kChanges) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<int> order;
  {
    std::lock_guard lock(steady->mutex);
    for (const auto& f : steady->frames)
      for (std::size_t p = f.find("\"A"); p != std::string::npos; p = f.find("\"A", p + 1))
        order.push_back(std::stoi(f.substr(p + 2)));
  }
  ASSERT_EQ(order.size(), static_cast<std::size_t>(kChanges));
  for (int i = 0; i < kChanges; ++i) ASSERT_EQ(order[static_cast<std::size_t>(i)], i);
  EXPECT_EQ(hub->channel_count(), 1u);  // shows 2 and 3 have no watcher left
  keep.reset();
  EXPECT_EQ(hub->channel_count(), 0u);
  EXPECT_EQ(hub->subscriber_count(), 0u);
  flush.join();
}

TEST(LiveHubConcurrency, CloseAllReachesEveryWatcher) {
  boost::asio::thread_pool flush(1);
  auto hub = std::make_shared<live::LiveHub>(flush.get_executor(), std::chrono::milliseconds(1));
  std::vector<std::shared_ptr<Recorder>> watchers;
  std::vector<std::shared_ptr<void>> subs;
  for (int i = 0; i < 50; ++i) {
    watchers.push_back(std::make_shared<Recorder>());
    subs.push_back(hub->subscribe(i % 7, watchers.back()));
  }
  hub->close_all();
  for (auto& w : watchers) EXPECT_TRUE(w->away.load());
  subs.clear();
  EXPECT_EQ(hub->channel_count(), 0u);
  flush.join();
}

TEST(LiveHub, ResyncReachesTheShowsWatchersOnly) {
  boost::asio::thread_pool flush(1);
  auto hub = std::make_shared<live::LiveHub>(flush.get_executor(), std::chrono::milliseconds(1));
  auto on_one = std::make_shared<Recorder>();
  auto on_two = std::make_shared<Recorder>();
  auto a = hub->subscribe(1, on_one);
  auto b = hub->subscribe(2, on_two);
  hub->resync(1);
  hub->resync(3);  // nobody watches show 3: nothing happens
  EXPECT_EQ(on_one->resyncs.load(), 1);
  EXPECT_EQ(on_two->resyncs.load(), 0);
  flush.join();
}

namespace {

// A subscriber on an executor of its own whose writer is idle once, then busy.
class Sleeper final : public live::Subscriber {
 public:
  explicit Sleeper(boost::asio::thread_pool& home) : home_(home) {}
  bool enqueue(const Bytes&) override { return !std::exchange(woken_once_, true); }
  void wake() override {
    ++wakes;
    if (!home_.get_executor().running_in_this_thread()) ++wrong_thread;
  }
  boost::asio::any_io_executor executor() const override { return home_.get_executor(); }
  void going_away() override {}
  void resync() override {}
  std::atomic<int> wakes{0};
  std::atomic<int> wrong_thread{0};

 private:
  boost::asio::thread_pool& home_;
  bool woken_once_ = false;  // only the flush touches it
};

}  // namespace

TEST(LiveHub, IdleWatchersAreWokenOnTheirOwnExecutorAndBusyOnesAreNot) {
  boost::asio::thread_pool flush(1), first(1), second(1);
  auto hub = std::make_shared<live::LiveHub>(flush.get_executor(), std::chrono::milliseconds(1));
  std::vector<std::shared_ptr<Sleeper>> watchers;
  std::vector<std::shared_ptr<void>> subs;
  for (int i = 0; i < 600; ++i) {
    watchers.push_back(std::make_shared<Sleeper>(i % 2 ? first : second));
    subs.push_back(hub->subscribe(1, watchers.back()));
  }
  auto settle = [&](int expected) {
    for (int i = 0; i < 200; ++i) {
      int woken = 0;
      for (const auto& w : watchers) woken += w->wakes.load();
      if (woken == expected) return woken;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    int woken = 0;
    for (const auto& w : watchers) woken += w->wakes.load();
    return woken;
  };
  hub->publish(1, {SeatChange{"A1", SeatStatus::held}});
  EXPECT_EQ(settle(600), 600);
  // The writers are busy now (enqueue says no wake): the next frame wakes nobody.
  hub->publish(1, {SeatChange{"A2", SeatStatus::available}});
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(settle(600), 600);
  for (const auto& w : watchers) {
    EXPECT_EQ(w->wakes.load(), 1);
    EXPECT_EQ(w->wrong_thread.load(), 0);
  }
  subs.clear();
  flush.join();
  first.join();
  second.join();
}
