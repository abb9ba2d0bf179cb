#pragma once
// Seat ids are a row label plus a 1-based number ("A1", "AB12"); a screen's layout is its rows.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/models.hpp"
#include "domain/result.hpp"

namespace boxoffice {

inline constexpr int kMaxSeatsPerRow = 200;
inline constexpr std::size_t kMaxRowsPerScreen = 100;
inline constexpr std::size_t kMaxRowLabelLength = 3;
inline constexpr std::size_t kMaxCategoryLength = 32;

struct Seat {
  std::string id;
  std::string row;
  int number = 0;
  std::string category;
};

struct SeatId {
  std::string row;
  int number = 0;
};

bool valid_row_label(std::string_view label);
bool valid_category(std::string_view category);
std::optional<SeatId> parse_seat_id(std::string_view text);

// Checks a screen's rows; `field` prefixes the field names of the errors ("screens[0].rows").
std::vector<FieldError> validate_rows(std::span<const SeatRow> rows, std::string_view field);

std::vector<Seat> expand_rows(std::span<const SeatRow> rows);

// An immutable screen layout with O(1) seat lookup by id.
class SeatLayout {
 public:
  explicit SeatLayout(std::span<const SeatRow> rows);
  const std::vector<Seat>& seats() const { return seats_; }
  // Index of the seat in seats(), or -1.
  int index_of(std::string_view seat_id) const;
  std::vector<std::string> categories() const;

 private:
  std::vector<Seat> seats_;
  std::unordered_map<std::string, int> index_;
};

// Validates the seats of a hold request against a layout: non-empty, at most `max_seats`,
// no duplicates, every seat on the screen. Returns the seat indexes in request order.
Result<std::vector<int>> resolve_seat_request(const SeatLayout& layout,
                                              std::span<const std::string> seats,
                                              std::size_t max_seats);

}  // namespace boxoffice
