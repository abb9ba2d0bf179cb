#include "domain/seat_book.hpp"

#include <limits>

#include "domain/hash.hpp"

namespace boxoffice {

Id show_of_hold(std::string_view hold_id) {
  if (hold_id.size() < 4 || hold_id.size() > 80 || hold_id[0] != 'h') return 0;
  Id show = 0;
  std::size_t i = 1;
  for (; i < hold_id.size() && hold_id[i] >= '0' && hold_id[i] <= '9' && i < 19; ++i)
    show = show * 10 + (hold_id[i] - '0');
  if (i == 1 || i >= hold_id.size() || hold_id[i] != '.') return 0;
  return show;
}

std::string_view seat_status_name(SeatStatus s) {
  switch (s) {
    case SeatStatus::available:
      return "available";
    case SeatStatus::held:
      return "held";
    case SeatStatus::booked:
      return "booked";
  }
  return "available";
}

std::uint64_t SeatBook::id_hash(std::string_view hold_id) {
  // A collision (about 2^-64 per pair) could only turn a 404 into a 409.
  return fnv1a(hold_id);
}

SeatStatus SeatBook::status(std::string_view seat) const {
  const std::string key(seat);
  if (booked_.count(key)) return SeatStatus::booked;
  if (held_.count(key)) return SeatStatus::held;
  return SeatStatus::available;
}

std::size_t SeatBook::held_by(Id user_id) const {
  auto it = held_per_user_.find(user_id);
  return it == held_per_user_.end() ? 0 : it->second;
}

Result<HoldInfo> SeatBook::try_hold(HoldInfo hold, std::int64_t now_ms,
                                    std::vector<SeatChange>& changes) {
  expire(now_ms, changes);
  std::vector<std::string> taken;
  for (const auto& seat : hold.seats)
    if (status(seat) != SeatStatus::available) taken.push_back(seat);
  if (!taken.empty()) {
    Error e = Error::conflict(Problem::seat_unavailable,
                              "some of the requested seats are held or booked");
    e.seats = std::move(taken);
    return e;
  }
  const std::size_t already = held_by(hold.user_id);
  if (limits_.max_held_per_user > 0 && already + hold.seats.size() > limits_.max_held_per_user) {
    return Error::conflict(Problem::hold_limit, "one account may hold at most " +
                                                    std::to_string(limits_.max_held_per_user) +
                                                    " seats of a show at once; you hold " +
                                                    std::to_string(already));
  }
  if (holds_.count(hold.id) || ended_.count(id_hash(hold.id)))
    return Error::internal("hold id collision");
  for (const auto& seat : hold.seats) {
    held_.emplace(seat, hold.id);
    changes.push_back({seat, SeatStatus::held});
  }
  held_per_user_[hold.user_id] += hold.seats.size();
  deadlines_.emplace(hold.expires_at_ms, hold.id);
  const std::int64_t deadline = hold.expires_at_ms;
  std::string id = hold.id;
  auto [it, inserted] =
      holds_.emplace(std::move(id), Entry{std::move(hold), HoldPhase::live, 0, deadline});
  return it->second.info;
}

void SeatBook::drop_deadline(const Entry& e) {
  auto range = deadlines_.equal_range(e.deadline_ms);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second == e.info.id) {
      deadlines_.erase(it);
      return;
    }
  }
}

void SeatBook::end_hold(std::unordered_map<std::string, Entry>::iterator it, HoldPhase phase,
                        std::int64_t now_ms, std::vector<SeatChange>& changes) {
  Entry& e = it->second;
  for (const auto& seat : e.info.seats) {
    auto h = held_.find(seat);
    if (h != held_.end() && h->second == e.info.id) {
      held_.erase(h);
      if (phase != HoldPhase::used && !booked_.count(seat))
        changes.push_back({seat, SeatStatus::available});
    }
  }
  drop_deadline(e);
  auto per_user = held_per_user_.find(e.info.user_id);
  if (per_user != held_per_user_.end()) {
    per_user->second -= std::min(per_user->second, e.info.seats.size());
    if (per_user->second == 0) held_per_user_.erase(per_user);
  }
  const std::uint64_t h = id_hash(e.info.id);
  ended_[h] = Tombstone{e.info.user_id, phase};
  ended_order_.emplace_back(now_ms, h);
  holds_.erase(it);
}

Status SeatBook::release(std::string_view hold_id, Id user_id, std::int64_t now_ms,
                         std::vector<SeatChange>& changes) {
  expire(now_ms, changes);
  auto it = holds_.find(std::string(hold_id));
  if (it == holds_.end()) {
    auto t = ended_.find(id_hash(hold_id));
    if (t == ended_.end() || t->second.user_id != user_id) return Error::not_found("no such hold");
    return ok_status();  // already ended: releasing again is harmless
  }
  if (it->second.info.user_id != user_id) return Error::not_found("no such hold");
  if (it->second.phase == HoldPhase::confirming)
    return Error::conflict(Problem::hold_confirming, "the hold is being confirmed");
  end_hold(it, HoldPhase::released, now_ms, changes);
  return ok_status();
}

Result<ConfirmTicket> SeatBook::begin_confirm(std::string_view hold_id, Id user_id,
                                              std::int64_t now_ms, std::int64_t deadline_ms,
                                              std::vector<SeatChange>& changes) {
  // Due expiries are ended (and reported) first, this hold's included: the answer must not
  // depend on when the sweeper last ran, and nobody may miss the seats coming free.
  expire(now_ms, changes);
  auto it = holds_.find(std::string(hold_id));
  if (it == holds_.end()) {
    auto t = ended_.find(id_hash(hold_id));
    if (t == ended_.end() || t->second.user_id != user_id) return Error::not_found("no such hold");
    switch (t->second.phase) {
      case HoldPhase::used:
        return Error::conflict(Problem::hold_expired, "the hold was already used for a booking");
      case HoldPhase::released:
        return Error::conflict(Problem::hold_expired, "the hold was released");
      default:
        return Error::conflict(Problem::hold_expired, "the hold has expired");
    }
  }
  Entry& e = it->second;
  if (e.info.user_id != user_id) return Error::not_found("no such hold");
  if (e.phase == HoldPhase::confirming)
    return Error::conflict(Problem::hold_expired, "the hold is already being confirmed");
  drop_deadline(e);
  e.phase = HoldPhase::confirming;
  e.fence = next_fence_++;
  e.deadline_ms = deadline_ms;
  deadlines_.emplace(deadline_ms, e.info.id);
  return ConfirmTicket{e.info, e.fence, deadline_ms};
}

void SeatBook::finish_confirm(const ConfirmTicket& ticket, ConfirmOutcome outcome,
                              std::span<const std::string> taken, std::int64_t now_ms,
                              std::vector<SeatChange>& changes) {
  auto it = holds_.find(ticket.hold.id);
  const bool current = it != holds_.end() && it->second.phase == HoldPhase::confirming &&
                       it->second.fence == ticket.fence;
  switch (outcome) {
    case ConfirmOutcome::booked:
      if (current) end_hold(it, HoldPhase::used, now_ms, changes);
      mark_booked(ticket.hold.seats, changes);
      break;
    case ConfirmOutcome::taken:
      // The store's answer repairs the mirror before the rest of the seats come free, so no
      // watcher ever sees a booked seat as available.
      mark_booked(taken, changes);
      if (current) end_hold(it, HoldPhase::released, now_ms, changes);
      break;
    case ConfirmOutcome::released:
      if (current) end_hold(it, HoldPhase::released, now_ms, changes);
      break;
  }
}

void SeatBook::mark_booked(std::span<const std::string> seats, std::vector<SeatChange>& changes) {
  for (const auto& seat : seats)
    if (booked_.insert(seat).second) changes.push_back({seat, SeatStatus::booked});
}

void SeatBook::mark_free(std::span<const std::string> seats, std::vector<SeatChange>& changes) {
  for (const auto& seat : seats) {
    if (booked_.erase(seat))
      changes.push_back({seat, held_.count(seat) ? SeatStatus::held : SeatStatus::available});
  }
}

void SeatBook::expire(std::int64_t now_ms, std::vector<SeatChange>& changes) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now_ms) {
    auto it = holds_.find(deadlines_.begin()->second);
    if (it == holds_.end()) {
      deadlines_.erase(deadlines_.begin());
      continue;
    }
    // A confirmation past its deadline is abandoned: its seats come back; a late verdict of
    // "booked" still marks them booked (finish_confirm).
    end_hold(it,
             it->second.phase == HoldPhase::confirming ? HoldPhase::released : HoldPhase::expired,
             now_ms, changes);
  }
  while (!ended_order_.empty() && ended_order_.front().first + limits_.tombstone_ms <= now_ms) {
    ended_.erase(ended_order_.front().second);
    ended_order_.pop_front();
  }
}

std::int64_t SeatBook::next_expiry_ms() const {
  return deadlines_.empty() ? std::numeric_limits<std::int64_t>::max() : deadlines_.begin()->first;
}

std::vector<HoldInfo> SeatBook::holds_of(Id user_id) const {
  std::vector<HoldInfo> out;
  if (!held_per_user_.count(user_id)) return out;
  for (const auto& [id, e] : holds_)
    if (e.info.user_id == user_id) out.push_back(e.info);
  return out;
}

}  // namespace boxoffice
