#include "domain/seat_book.hpp"

#include <limits>

namespace boxoffice {

std::string_view seat_status_name(SeatStatus s) {
  switch (s) {
    case SeatStatus::available: return "available";
    case SeatStatus::held: return "held";
    case SeatStatus::booked: return "booked";
  }
  return "available";
}

SeatStatus SeatBook::status(std::string_view seat) const {
  const std::string key(seat);
  if (booked_.count(key)) return SeatStatus::booked;
  if (held_.count(key)) return SeatStatus::held;
  return SeatStatus::available;
}

Result<HoldInfo> SeatBook::try_hold(HoldInfo hold, std::int64_t now_ms,
                                    std::vector<SeatChange>& changes) {
  expire(now_ms, changes);
  std::vector<std::string> taken;
  for (const auto& seat : hold.seats)
    if (status(seat) != SeatStatus::available) taken.push_back(seat);
  if (!taken.empty()) {
    Error e = Error::conflict("seat-unavailable", "some of the requested seats are held or booked");
    e.seats = std::move(taken);
    return e;
  }
  if (holds_.count(hold.id)) return Error::internal("hold id collision");
  for (const auto& seat : hold.seats) {
    held_.emplace(seat, hold.id);
    changes.push_back({seat, SeatStatus::held});
  }
  deadlines_.emplace(hold.expires_at_ms, hold.id);
  holds_.emplace(hold.id, Entry{hold, HoldPhase::live, 0});
  return hold;
}

void SeatBook::end_hold(Entry& e, HoldPhase phase, std::int64_t now_ms,
                        std::vector<SeatChange>& changes) {
  for (const auto& seat : e.info.seats) {
    auto it = held_.find(seat);
    if (it != held_.end() && it->second == e.info.id) {
      held_.erase(it);
      if (phase != HoldPhase::used && !booked_.count(seat))
        changes.push_back({seat, SeatStatus::available});
    }
  }
  auto range = deadlines_.equal_range(e.info.expires_at_ms);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second == e.info.id) {
      deadlines_.erase(it);
      break;
    }
  }
  e.phase = phase;
  e.ended_at_ms = now_ms;
  tombstones_.emplace(now_ms, e.info.id);
}

Status SeatBook::release(std::string_view hold_id, Id user_id, std::int64_t now_ms,
                         std::vector<SeatChange>& changes) {
  expire(now_ms, changes);
  auto it = holds_.find(std::string(hold_id));
  if (it == holds_.end() || it->second.info.user_id != user_id)
    return Error::not_found("no such hold");
  Entry& e = it->second;
  if (e.phase == HoldPhase::confirming)
    return Error::conflict("hold-confirming", "the hold is being confirmed");
  if (e.phase == HoldPhase::live) end_hold(e, HoldPhase::released, now_ms, changes);
  return ok_status();
}

Result<HoldInfo> SeatBook::begin_confirm(std::string_view hold_id, Id user_id,
                                         std::int64_t now_ms) {
  auto it = holds_.find(std::string(hold_id));
  if (it == holds_.end() || it->second.info.user_id != user_id)
    return Error::not_found("no such hold");
  Entry& e = it->second;
  if (e.phase == HoldPhase::live && e.info.expires_at_ms <= now_ms) {
    // Expired but not yet swept: end it now so the answer does not depend on timer luck.
    std::vector<SeatChange> ignored;
    end_hold(e, HoldPhase::expired, now_ms, ignored);
  }
  switch (e.phase) {
    case HoldPhase::live:
      e.phase = HoldPhase::confirming;
      return e.info;
    case HoldPhase::confirming:
      return Error::conflict("hold-expired", "the hold is already being confirmed");
    case HoldPhase::used:
      return Error::conflict("hold-expired", "the hold was already used for a booking");
    case HoldPhase::released:
      return Error::conflict("hold-expired", "the hold was released");
    case HoldPhase::expired:
      break;
  }
  return Error::conflict("hold-expired", "the hold has expired");
}

void SeatBook::finish_confirm(std::string_view hold_id, bool booked, std::int64_t now_ms,
                              std::vector<SeatChange>& changes) {
  auto it = holds_.find(std::string(hold_id));
  if (it == holds_.end() || it->second.phase != HoldPhase::confirming) return;
  Entry& e = it->second;
  if (booked) {
    end_hold(e, HoldPhase::used, now_ms, changes);
    mark_booked(e.info.seats, changes);
  } else {
    end_hold(e, HoldPhase::released, now_ms, changes);
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
    const std::string id = deadlines_.begin()->second;
    auto it = holds_.find(id);
    if (it == holds_.end()) {
      deadlines_.erase(deadlines_.begin());
      continue;
    }
    if (it->second.phase == HoldPhase::confirming) {
      // The store decides; finish_confirm ends it. Keep it off the deadline list meanwhile.
      deadlines_.erase(deadlines_.begin());
      continue;
    }
    end_hold(it->second, HoldPhase::expired, now_ms, changes);
  }
  while (!tombstones_.empty() && tombstones_.begin()->first + kTombstoneMs <= now_ms) {
    holds_.erase(tombstones_.begin()->second);
    tombstones_.erase(tombstones_.begin());
  }
}

std::int64_t SeatBook::next_expiry_ms() const {
  return deadlines_.empty() ? std::numeric_limits<std::int64_t>::max() : deadlines_.begin()->first;
}

}  // namespace boxoffice
