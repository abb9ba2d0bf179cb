#include "coord/local/local_hold_registry.hpp"

#include "domain/time.hpp"

namespace boxoffice {

LocalHoldRegistry::LocalHoldRegistry(boost::asio::any_io_executor timer_executor,
                                     LocalHoldRegistryOptions options)
    : options_(options) {
  timer_.emplace(timer_executor);
}

LocalHoldRegistry::~LocalHoldRegistry() = default;

void LocalHoldRegistry::start() {
  arm_timer();
}

void LocalHoldRegistry::stop() {
  stopped_ = true;
  // Called once the I/O threads have stopped: nothing else touches the timer, and a cancel
  // posted to a stopped context would never run, leaving a wait that outlives the context.
  if (timer_) timer_->cancel();
  timer_.reset();
}

void LocalHoldRegistry::arm_timer() {
  if (stopped_) return;
  if (!timer_) return;
  timer_->expires_after(options_.sweep_interval);
  timer_->async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopped_) return;
    self->sweep();
    self->arm_timer();
  });
}

template <class Fn>
auto LocalHoldRegistry::with_show(Id show_id, Fn fn) {
  for (;;) {
    auto slot = shows_.upsert(
        show_id,
        [&] {
          auto s = std::make_shared<ShowSlot>(options_.limits);
          s->version = versions_.fetch_add(1, std::memory_order_relaxed);
          // Prime tokens from a dropped slot must never match a new one.
          s->frees = s->version;
          return s;
        },
        [](std::shared_ptr<ShowSlot>& s) { return s; });
    std::lock_guard lock(slot->mutex);
    // The sweeper may have dropped the slot between the look-up and the lock.
    if (slot->dropped) continue;
    slot->last_used_ms = now_unix_ms();
    return fn(*slot);
  }
}

void LocalHoldRegistry::report(Id show_id, ShowSlot& slot, std::vector<SeatChange>& changes) {
  if (changes.empty()) return;
  slot.version = versions_.fetch_add(1, std::memory_order_relaxed);
  for (const auto& listener : listeners_) listener(show_id, changes);
  changes.clear();
}

void LocalHoldRegistry::on_changes(ChangeListener listener) {
  listeners_.push_back(std::move(listener));
}

std::size_t LocalHoldRegistry::sweep() {
  const auto now = now_unix_ms();
  std::size_t changed = 0;
  std::vector<std::pair<Id, std::shared_ptr<ShowSlot>>> slots;
  shows_.for_each([&](Id id, const std::shared_ptr<ShowSlot>& s) { slots.emplace_back(id, s); });
  for (auto& [id, s] : slots) {
    std::lock_guard lock(s->mutex);
    if (s->dropped) continue;
    std::vector<SeatChange> changes;
    s->book.expire(now, changes);
    changed += changes.size();
    report(id, *s, changes);
  }
  // Idle shows go; the slot is marked under its own lock so nobody keeps using it.
  const std::int64_t idle_ms = options_.idle_show_ttl.count();
  shows_.erase_if([&](Id, const std::shared_ptr<ShowSlot>& s) {
    std::unique_lock lock(s->mutex, std::try_to_lock);
    if (!lock.owns_lock() || !s->book.idle() || s->last_used_ms + idle_ms > now) return false;
    s->dropped = true;
    return true;
  });
  return changed;
}

asio::awaitable<std::optional<std::uint64_t>> LocalHoldRegistry::prime_token(Id show_id) {
  co_return with_show(show_id, [](ShowSlot& s) -> std::optional<std::uint64_t> {
    if (s.primed) return std::nullopt;
    return s.frees;
  });
}

asio::awaitable<bool> LocalHoldRegistry::prime(Id show_id, std::uint64_t token,
                                               std::vector<std::string> booked) {
  co_return with_show(show_id, [&](ShowSlot& s) {
    if (s.primed) return true;
    if (s.frees != token) return false;
    std::vector<SeatChange> changes;
    s.book.mark_booked(booked, changes);
    s.primed = true;  // priming reports nothing: it is not a change, only a late load
    s.version = versions_.fetch_add(1, std::memory_order_relaxed);
    return true;
  });
}

asio::awaitable<Result<HoldInfo>> LocalHoldRegistry::try_hold(HoldInfo hold) {
  const Id show = hold.show_id;
  co_return with_show(show, [&](ShowSlot& s) -> Result<HoldInfo> {
    if (!s.primed) {
      Error e = Error::unavailable("the booked seats of the show are not loaded yet");
      e.problem = Problem::mirror_unloaded;
      return e;
    }
    std::vector<SeatChange> changes;
    auto r = s.book.try_hold(std::move(hold), now_unix_ms(), changes);
    report(show, s, changes);
    return r;
  });
}

asio::awaitable<Status> LocalHoldRegistry::release(Id show_id, std::string hold_id, Id user_id) {
  co_return with_show(show_id, [&](ShowSlot& s) {
    std::vector<SeatChange> changes;
    auto r = s.book.release(hold_id, user_id, now_unix_ms(), changes);
    report(show_id, s, changes);
    return r;
  });
}

asio::awaitable<Result<ConfirmTicket>> LocalHoldRegistry::begin_confirm(
    Id show_id, std::string hold_id, Id user_id, std::chrono::milliseconds deadline) {
  co_return with_show(show_id, [&](ShowSlot& s) {
    std::vector<SeatChange> changes;
    const auto now = now_unix_ms();
    auto r = s.book.begin_confirm(hold_id, user_id, now, now + deadline.count(), changes);
    report(show_id, s, changes);
    return r;
  });
}

asio::awaitable<void> LocalHoldRegistry::finish_confirm(Id show_id, ConfirmTicket ticket,
                                                        ConfirmOutcome outcome,
                                                        std::vector<std::string> taken) {
  with_show(show_id, [&](ShowSlot& s) {
    std::vector<SeatChange> changes;
    s.book.finish_confirm(ticket, outcome, taken, now_unix_ms(), changes);
    report(show_id, s, changes);
  });
  co_return;
}

asio::awaitable<void> LocalHoldRegistry::mark_booked(Id show_id, std::vector<std::string> seats) {
  with_show(show_id, [&](ShowSlot& s) {
    std::vector<SeatChange> changes;
    s.book.mark_booked(seats, changes);
    report(show_id, s, changes);
  });
  co_return;
}

asio::awaitable<void> LocalHoldRegistry::mark_free(Id show_id, std::vector<std::string> seats) {
  with_show(show_id, [&](ShowSlot& s) {
    std::vector<SeatChange> changes;
    s.book.mark_free(seats, changes);
    ++s.frees;
    report(show_id, s, changes);
  });
  co_return;
}

asio::awaitable<Result<SeatSnapshot>> LocalHoldRegistry::statuses(
    Id show_id, std::span<const std::string> seat_ids) {
  co_return with_show(show_id, [&](ShowSlot& s) -> Result<SeatSnapshot> {
    SeatSnapshot out;
    out.statuses.reserve(seat_ids.size());
    for (const auto& id : seat_ids) out.statuses.push_back(s.book.status(id));
    out.version = s.version;
    return out;
  });
}

asio::awaitable<std::uint64_t> LocalHoldRegistry::version(Id show_id) {
  co_return with_show(show_id, [](ShowSlot& s) { return s.version; });
}

asio::awaitable<Result<std::vector<HoldInfo>>> LocalHoldRegistry::holds_of(Id user_id) {
  std::vector<std::shared_ptr<ShowSlot>> slots;
  shows_.for_each([&](Id, const std::shared_ptr<ShowSlot>& s) { slots.push_back(s); });
  std::vector<HoldInfo> out;
  const auto now = now_unix_ms();
  for (auto& s : slots) {
    std::lock_guard lock(s->mutex);
    for (auto& h : s->book.holds_of(user_id))
      if (h.expires_at_ms > now) out.push_back(std::move(h));
  }
  co_return out;
}

}  // namespace boxoffice
