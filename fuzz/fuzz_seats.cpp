// Seat ids and hold requests against a layout, and the seat book under a random sequence of
// operations read from the input: every reported change replays to the book's own state, no
// user exceeds the hold limit, and past every deadline nothing is left held.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "domain/seat_book.hpp"
#include "domain/seats.hpp"

using namespace boxoffice;

namespace {

void check_request(const std::string& text) {
  std::vector<std::string> seats;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    seats.push_back(
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  for (const auto& s : seats) (void)parse_seat_id(s);
  static const SeatLayout layout(
      std::vector<SeatRow>{{"A", 20, "standard"}, {"B", 20, "premium"}, {"AA", 5, "vip"}});
  auto r = resolve_seat_request(layout, seats, 10);
  if (r) {
    SeatBook book;
    std::vector<SeatChange> changes;
    auto held = book.try_hold(HoldInfo{"h", 1, 1, seats, 0, 1000}, 0, changes);
    if (!held || changes.size() != seats.size()) __builtin_trap();
    for (const auto& s : seats)
      if (book.status(s) != SeatStatus::held) __builtin_trap();
  }
}

void run_operations(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kLimit = 3;
  SeatBook book{SeatBookLimits{kLimit, 1'000}};
  const std::vector<std::string> all{"A1", "A2", "A3", "A4", "A5"};
  std::map<std::string, SeatStatus> replay;
  for (const auto& s : all) replay[s] = SeatStatus::available;
  std::vector<ConfirmTicket> tickets;
  std::vector<SeatChange> changes;
  std::int64_t now = 0;
  int holds = 0;
  for (std::size_t i = 0; i + 1 < size; i += 2) {
    const std::uint8_t op = data[i], arg = data[i + 1];
    now += op >> 4;
    const Id user = 1 + (arg & 1);
    const std::string id = "h" + std::to_string(holds ? (arg >> 1) % holds : 0);
    changes.clear();
    switch (op & 7) {
      case 0: {
        std::vector<std::string> seats;
        for (std::size_t s = 0; s < all.size(); ++s)
          if (arg & (2u << s)) seats.push_back(all[s]);
        if (seats.empty()) break;
        (void)book.try_hold(
            HoldInfo{"h" + std::to_string(holds++), 1, user, seats, 0, now + (arg & 63)}, now,
            changes);
        break;
      }
      case 1:
        (void)book.release(id, user, now, changes);
        break;
      case 2:
        if (auto t = book.begin_confirm(id, user, now, now + (arg & 31), changes))
          tickets.push_back(*t);
        break;
      case 3:
        if (!tickets.empty()) {
          const ConfirmTicket t = tickets[arg % tickets.size()];
          std::vector<std::string> taken{t.hold.seats.front()};
          const auto outcome = static_cast<ConfirmOutcome>((arg >> 3) % 3);
          book.finish_confirm(t, outcome, taken, now, changes);
        }
        break;
      case 4:
        book.expire(now, changes);
        break;
      case 5: {
        std::vector<std::string> one{all[arg % all.size()]};
        book.mark_free(one, changes);
        break;
      }
      case 6: {
        std::vector<std::string> one{all[arg % all.size()]};
        book.mark_booked(one, changes);
        break;
      }
      default:
        break;
    }
    for (const auto& c : changes) replay[c.seat] = c.status;
    for (const auto& s : all)
      if (replay[s] != book.status(s)) __builtin_trap();
    for (Id u = 1; u <= 2; ++u) {
      std::size_t held = 0;
      for (const auto& h : book.holds_of(u)) held += h.seats.size();
      if (held > kLimit) __builtin_trap();
    }
  }
  changes.clear();
  book.expire(now + 100'000, changes);
  if (book.live_hold_count() != 0) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check_request(std::string(reinterpret_cast<const char*>(data), size));
  run_operations(data, size);
  return 0;
}
