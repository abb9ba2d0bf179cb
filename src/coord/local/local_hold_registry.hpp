#pragma once
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "coord/coordinator.hpp"

namespace boxoffice {

// Per-show SeatBooks behind per-show mutexes; shows are found through sharded maps so two hot
// shows never share a lock.
class LocalHoldRegistry final : public HoldRegistry,
                                public std::enable_shared_from_this<LocalHoldRegistry> {
 public:
  LocalHoldRegistry(boost::asio::any_io_executor timer_executor, std::chrono::milliseconds sweep);
  ~LocalHoldRegistry() override;
  void start();
  void stop();

  asio::awaitable<bool> is_primed(Id show_id) override;
  asio::awaitable<void> prime(Id show_id, std::vector<std::string> booked) override;
  asio::awaitable<Result<HoldInfo>> try_hold(HoldInfo hold) override;
  asio::awaitable<Status> release(Id show_id, std::string hold_id, Id user_id) override;
  asio::awaitable<Result<HoldInfo>> begin_confirm(Id show_id, std::string hold_id, Id user_id) override;
  asio::awaitable<void> finish_confirm(Id show_id, std::string hold_id, bool booked) override;
  asio::awaitable<void> mark_free(Id show_id, std::vector<std::string> seats) override;
  asio::awaitable<Result<std::vector<SeatStatus>>> statuses(Id show_id,
                                                           std::span<const std::string> seat_ids) override;
  void on_changes(ChangeListener listener) override;

  // Expires due holds of every show now; returns how many seats changed. Used by the timer.
  std::size_t sweep();

 private:
  struct ShowSlot {
    std::mutex mutex;
    SeatBook book;
    bool primed = false;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<Id, std::shared_ptr<ShowSlot>> shows;
  };
  std::shared_ptr<ShowSlot> slot(Id show_id);
  // Calls the listener while the show's lock is held, so changes of one seat keep their order.
  void report(Id show_id, std::vector<SeatChange>& changes);
  void arm_timer();

  static constexpr std::size_t kShards = 64;
  std::array<Shard, kShards> shards_;
  std::vector<ChangeListener> listeners_;
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds sweep_interval_;
  std::atomic<bool> stopped_{false};
};

}  // namespace boxoffice
