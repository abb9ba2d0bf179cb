#include "coord/local/local_hold_registry.hpp"

#include "domain/time.hpp"

namespace boxoffice {

LocalHoldRegistry::LocalHoldRegistry(boost::asio::any_io_executor timer_executor,
                                     std::chrono::milliseconds sweep)
    : timer_(timer_executor), sweep_interval_(sweep) {}

LocalHoldRegistry::~LocalHoldRegistry() = default;

void LocalHoldRegistry::start() { arm_timer(); }

void LocalHoldRegistry::stop() {
  stopped_ = true;
  boost::asio::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
}

void LocalHoldRegistry::arm_timer() {
  if (stopped_) return;
  timer_.expires_after(sweep_interval_);
  timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopped_) return;
    self->sweep();
    self->arm_timer();
  });
}

std::shared_ptr<LocalHoldRegistry::ShowSlot> LocalHoldRegistry::slot(Id show_id) {
  Shard& shard = shards_[static_cast<std::size_t>(show_id) % kShards];
  std::lock_guard lock(shard.mutex);
  auto& s = shard.shows[show_id];
  if (!s) s = std::make_shared<ShowSlot>();
  return s;
}

void LocalHoldRegistry::report(Id show_id, std::vector<SeatChange>& changes) {
  if (!changes.empty())
    for (const auto& listener : listeners_) listener(show_id, changes);
  changes.clear();
}

void LocalHoldRegistry::on_changes(ChangeListener listener) { listeners_.push_back(std::move(listener)); }

std::size_t LocalHoldRegistry::sweep() {
  const auto now = now_unix_ms();
  std::size_t changed = 0;
  std::vector<std::pair<Id, std::shared_ptr<ShowSlot>>> slots;
  for (Shard& shard : shards_) {
    slots.clear();
    {
      std::lock_guard lock(shard.mutex);
      for (auto& [id, s] : shard.shows) slots.emplace_back(id, s);
    }
    for (auto& [id, s] : slots) {
      std::lock_guard lock(s->mutex);
      std::vector<SeatChange> changes;
      s->book.expire(now, changes);
      changed += changes.size();
      report(id, changes);
    }
  }
  return changed;
}

asio::awaitable<bool> LocalHoldRegistry::is_primed(Id show_id) {
  auto s = slot(show_id);
  std::lock_guard lock(s->mutex);
  co_return s->primed;
}

asio::awaitable<void> LocalHoldRegistry::prime(Id show_id, std::vector<std::string> booked) {
  auto s = slot(show_id);
  std::lock_guard lock(s->mutex);
  if (s->primed) co_return;
  std::vector<SeatChange> changes;
  s->book.mark_booked(booked, changes);
  s->primed = true;  // priming reports nothing: it is not a change, only a late load
}

asio::awaitable<Result<HoldInfo>> LocalHoldRegistry::try_hold(HoldInfo hold) {
  auto s = slot(hold.show_id);
  std::lock_guard lock(s->mutex);
  std::vector<SeatChange> changes;
  const Id show = hold.show_id;
  auto r = s->book.try_hold(std::move(hold), now_unix_ms(), changes);
  report(show, changes);
  co_return r;
}

asio::awaitable<Status> LocalHoldRegistry::release(Id show_id, std::string hold_id, Id user_id) {
  auto s = slot(show_id);
  std::lock_guard lock(s->mutex);
  std::vector<SeatChange> changes;
  auto r = s->book.release(hold_id, user_id, now_unix_ms(), changes);
  report(show_id, changes);
  co_return r;
}

asio::awaitable<Result<HoldInfo>> LocalHoldRegistry::begin_confirm(Id show_id, std::string hold_id,
                                                                   Id user_id) {
  auto s = slot(show_id);
  std::lock_guard lock(s->mutex);
  co_return s->book.begin_confirm(hold_id, user_id, now_unix_ms());
}

asio::awaitable<void> LocalHoldRegistry::finish_confirm(Id show_id, std::string hold_id, bool booked) {
  auto s = slot(show_id);
  std::lock_guard lock(s->mutex);
  std::vector<SeatChange> changes;
  s->book.finish_confirm(hold_id, booked, now_unix_ms(), changes);
  report(show_id, changes);
  co_return;
}

asio::awaitable<void> LocalHoldRegistry::mark_free(Id show_id, std::vector<std::string> seats) {
  auto s = slot(show_id);
  std::lock_guard lock(s->mutex);
  std::vector<SeatChange> changes;
  s->book.mark_free(seats, changes);
  report(show_id, changes);
  co_return;
}

asio::awaitable<Result<std::vector<SeatStatus>>> LocalHoldRegistry::statuses(
    Id show_id, std::span<const std::string> seat_ids) {
  auto s = slot(show_id);
  std::vector<SeatStatus> out;
  out.reserve(seat_ids.size());
  std::lock_guard lock(s->mutex);
  for (const auto& id : seat_ids) out.push_back(s->book.status(id));
  co_return out;
}

}  // namespace boxoffice
