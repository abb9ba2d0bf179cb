#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/sharded_lru.hpp"
#include "coord/coordinator.hpp"

namespace boxoffice {

struct LocalHoldRegistryOptions {
  std::chrono::milliseconds sweep_interval{100};  // hold expiry reaction time
  SeatBookLimits limits;
  // A show's state with no live hold is dropped after this long unused (and re-read from the
  // store when needed again), so shows that have started or gone quiet cost nothing.
  std::chrono::milliseconds idle_show_ttl{std::chrono::minutes(5)};
};

// Per-show SeatBooks behind per-show mutexes; shows are found through a sharded map so two hot
// shows never share a lock.
class LocalHoldRegistry final : public HoldRegistry,
                                public std::enable_shared_from_this<LocalHoldRegistry> {
 public:
  LocalHoldRegistry(boost::asio::any_io_executor timer_executor, LocalHoldRegistryOptions options);
  ~LocalHoldRegistry() override;
  void start();
  // Cancels the expiry timer; call it after the timer's I/O thread has stopped.
  void stop();

  asio::awaitable<std::optional<std::uint64_t>> prime_token(Id show_id) override;
  asio::awaitable<bool> prime(Id show_id, std::uint64_t token,
                              std::vector<std::string> booked) override;
  asio::awaitable<Result<HoldInfo>> try_hold(HoldInfo hold) override;
  asio::awaitable<Status> release(Id show_id, std::string hold_id, Id user_id) override;
  asio::awaitable<Result<ConfirmTicket>> begin_confirm(Id show_id, std::string hold_id, Id user_id,
                                                       std::chrono::milliseconds deadline) override;
  asio::awaitable<void> finish_confirm(Id show_id, ConfirmTicket ticket, ConfirmOutcome outcome,
                                       std::vector<std::string> taken) override;
  asio::awaitable<void> mark_booked(Id show_id, std::vector<std::string> seats) override;
  asio::awaitable<void> mark_free(Id show_id, std::vector<std::string> seats) override;
  asio::awaitable<Result<SeatSnapshot>> statuses(Id show_id,
                                                 std::span<const std::string> seat_ids) override;
  asio::awaitable<std::uint64_t> version(Id show_id) override;
  asio::awaitable<Result<std::vector<HoldInfo>>> holds_of(Id user_id) override;
  void on_changes(ChangeListener listener) override;
  // In-process: every change already reaches the listeners, nothing is ever missed.
  asio::awaitable<std::shared_ptr<void>> watch(Id) override { co_return std::make_shared<int>(0); }
  void on_resync(ResyncListener) override {}

  // Expires due holds of every show now and drops idle shows; returns how many seats changed.
  // Used by the timer.
  std::size_t sweep();
  std::size_t show_count() const { return shows_.size(); }

 private:
  struct ShowSlot {
    explicit ShowSlot(SeatBookLimits limits) : book(limits) {}
    std::mutex mutex;
    SeatBook book;
    bool primed = false;
    bool dropped = false;       // removed from the map: look the show up again
    std::uint64_t version = 0;  // from the registry-wide counter, so it never repeats
    std::uint64_t frees = 0;    // seats freed from the booked mirror (prime tokens)
    std::int64_t last_used_ms = 0;
  };
  // Runs fn(slot) under the show's lock, on a slot that is still in the map; reports the
  // changes fn made (under the same lock, so changes of one seat keep their order).
  template <class Fn>
  auto with_show(Id show_id, Fn fn);
  void report(Id show_id, ShowSlot& slot, std::vector<SeatChange>& changes);
  void arm_timer();

  LocalHoldRegistryOptions options_;
  // Bounded by the shows that exist (callers check a show exists before touching it); a show
  // leaves when it has no live hold and was not used for options_.idle_show_ttl.
  ShardedLru<Id, std::shared_ptr<ShowSlot>> shows_{0};
  std::atomic<std::uint64_t> versions_{1};
  std::vector<ChangeListener> listeners_;
  // Reset by stop(): suspended requests destroyed with the I/O contexts may hold the registry
  // past them, and a timer must never outlive its context.
  std::optional<boost::asio::steady_timer> timer_;
  std::atomic<bool> stopped_{false};
};

}  // namespace boxoffice
