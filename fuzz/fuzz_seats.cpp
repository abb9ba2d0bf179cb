// Seat ids and hold requests against a layout, and the seat book under random operations.
#include <cstdint>
#include <string>
#include <vector>

#include "domain/seat_book.hpp"
#include "domain/seats.hpp"

using namespace boxoffice;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> seats;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    seats.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  for (const auto& s : seats) (void)parse_seat_id(s);
  static const SeatLayout layout(std::vector<SeatRow>{{"A", 20, "standard"}, {"B", 20, "premium"}, {"AA", 5, "vip"}});
  auto r = resolve_seat_request(layout, seats, 10);
  if (r) {
    SeatBook book;
    std::vector<SeatChange> changes;
    auto held = book.try_hold(HoldInfo{"h", 1, 1, seats, 0, 1000}, 0, changes);
    if (!held || changes.size() != seats.size()) __builtin_trap();
    for (const auto& s : seats)
      if (book.status(s) != SeatStatus::held) __builtin_trap();
  }
  return 0;
}
