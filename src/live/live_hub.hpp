#pragma once
// Fan-out of seat changes to the WebSocket clients watching a show. Fed by the hold registry's
// change reports (in-process now; with Redis the same reports arrive from every instance).
// Changes of one show within `coalesce` are sent as one frame, serialised once for all clients.
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "common/sharded_lru.hpp"
#include "coord/coordinator.hpp"

namespace boxoffice::live {

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Called from any thread and must not block. Queues the frame; true when wake() must then
  // run on executor() (the subscriber's writer is idle). The hub wakes all the subscribers of
  // one executor with one post, so a frame for 16,000 sockets costs a handful of posts.
  virtual bool enqueue(const Bytes& frame) = 0;
  virtual void wake() {}
  virtual boost::asio::any_io_executor executor() const { return {}; }
  // Both are called from any thread and must not block.
  virtual void going_away() = 0;
  // Changes may have been missed: send a fresh snapshot.
  virtual void resync() = 0;
};

class LiveHub : public std::enable_shared_from_this<LiveHub> {
 public:
  LiveHub(boost::asio::any_io_executor flush_executor, std::chrono::milliseconds coalesce);

  // Registry listener: must be quick (it runs under the show's lock).
  void publish(Id show_id, const std::vector<SeatChange>& changes);

  // Keeps the subscription while the returned handle lives.
  std::shared_ptr<void> subscribe(Id show_id, std::shared_ptr<Subscriber> subscriber);
  // Every subscriber of the show is asked to send a fresh snapshot.
  void resync(Id show_id);
  // Shutdown: every subscriber is told to close with 1001.
  void close_all();
  std::size_t subscriber_count() const { return subscribers_.load(); }
  std::size_t channel_count() const { return channels_.size(); }

  static std::string changes_frame(Id show_id, const std::vector<SeatChange>& changes);

 private:
  struct Channel {
    std::mutex mutex;
    // The raw pointer identifies a subscriber without locking its weak_ptr: a strong reference
    // made under these locks could be the last one, and its destructor unsubscribes (locks again).
    std::vector<std::pair<const Subscriber*, std::weak_ptr<Subscriber>>> subscribers;
    std::vector<SeatChange> pending;
    bool flush_scheduled = false;
    // Held from taking the pending changes to handing them out: two flushes of one channel on
    // two threads of the flush executor would otherwise deliver in either order.
    std::mutex delivering;
  };
  std::shared_ptr<Channel> channel(Id show_id);
  void flush(Id show_id);
  // Wakes the writers of one executor with one post.
  static void wake_all(boost::asio::any_io_executor executor,
                       std::vector<std::shared_ptr<Subscriber>> batch);
  void unsubscribe(Id show_id, const Subscriber* s);

  boost::asio::any_io_executor executor_;
  std::chrono::milliseconds coalesce_;
  // One channel per watched show: bounded by the open WebSockets (each watches one show), and a
  // channel goes with its last subscriber. Created and erased under the shard lock, so a
  // subscriber never lands in a channel that was just dropped.
  ShardedLru<Id, std::shared_ptr<Channel>> channels_{0};
  std::atomic<std::size_t> subscribers_{0};
};

}  // namespace boxoffice::live
