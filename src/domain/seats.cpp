#include "domain/seats.hpp"

#include <algorithm>
#include <set>

namespace boxoffice {

bool valid_row_label(std::string_view label) {
  if (label.empty() || label.size() > kMaxRowLabelLength) return false;
  return std::all_of(label.begin(), label.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool valid_category(std::string_view c) {
  if (c.empty() || c.size() > kMaxCategoryLength) return false;
  return std::all_of(c.begin(), c.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
  });
}

std::optional<SeatId> parse_seat_id(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && text[i] >= 'A' && text[i] <= 'Z') ++i;
  if (i == 0 || i > kMaxRowLabelLength || i == text.size() || text[i] == '0') return std::nullopt;
  int n = 0;
  for (std::size_t j = i; j < text.size(); ++j) {
    if (text[j] < '0' || text[j] > '9') return std::nullopt;
    n = n * 10 + (text[j] - '0');
    if (n > kMaxSeatsPerRow) return std::nullopt;
  }
  return SeatId{std::string(text.substr(0, i)), n};
}

std::vector<FieldError> validate_rows(std::span<const SeatRow> rows, std::string_view field) {
  std::vector<FieldError> errors;
  const std::string f(field);
  if (rows.empty()) errors.push_back({f, "a screen needs at least one row"});
  if (rows.size() > kMaxRowsPerScreen)
    errors.push_back({f, "a screen has at most " + std::to_string(kMaxRowsPerScreen) + " rows"});
  std::set<std::string> seen;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto prefix = f + "[" + std::to_string(i) + "]";
    const SeatRow& r = rows[i];
    if (!valid_row_label(r.row))
      errors.push_back({prefix + ".row", "must be 1 to 3 capital letters A-Z"});
    else if (!seen.insert(r.row).second)
      errors.push_back({prefix + ".row", "row " + r.row + " appears twice"});
    if (r.seats < 1 || r.seats > kMaxSeatsPerRow)
      errors.push_back(
          {prefix + ".seats", "must be between 1 and " + std::to_string(kMaxSeatsPerRow)});
    if (!valid_category(r.category))
      errors.push_back({prefix + ".category", "must be 1-32 characters of a-z, 0-9, '_' or '-'"});
  }
  return errors;
}

std::vector<Seat> expand_rows(std::span<const SeatRow> rows) {
  std::vector<Seat> seats;
  for (const SeatRow& r : rows)
    for (int n = 1; n <= r.seats; ++n)
      seats.push_back({r.row + std::to_string(n), r.row, n, r.category});
  return seats;
}

SeatLayout::SeatLayout(std::span<const SeatRow> rows) : seats_(expand_rows(rows)) {
  index_.reserve(seats_.size());
  for (std::size_t i = 0; i < seats_.size(); ++i) index_.emplace(seats_[i].id, static_cast<int>(i));
}

int SeatLayout::index_of(std::string_view seat_id) const {
  auto it = index_.find(std::string(seat_id));
  return it == index_.end() ? -1 : it->second;
}

std::vector<std::string> SeatLayout::categories() const {
  std::set<std::string> cats;
  for (const Seat& s : seats_) cats.insert(s.category);
  return {cats.begin(), cats.end()};
}

Result<std::vector<int>> resolve_seat_request(const SeatLayout& layout,
                                              std::span<const std::string> seats,
                                              std::size_t max_seats) {
  if (seats.empty()) return Error::invalid("seats", "at least one seat is required");
  if (seats.size() > max_seats)
    return Error::invalid("seats", "at most " + std::to_string(max_seats) + " seats per hold");
  std::vector<FieldError> errors;
  std::vector<int> indexes;
  indexes.reserve(seats.size());
  std::set<int> seen;
  for (std::size_t i = 0; i < seats.size(); ++i) {
    const int idx = layout.index_of(seats[i]);
    const auto field = "seats[" + std::to_string(i) + "]";
    if (idx < 0) {
      errors.push_back({field, "unknown seat '" + seats[i].substr(0, 16) + "'"});
    } else if (!seen.insert(idx).second) {
      errors.push_back({field, "seat " + seats[i] + " is requested twice"});
    }
    indexes.push_back(idx);
  }
  if (!errors.empty()) return Error::invalid(std::move(errors));
  return indexes;
}

}  // namespace boxoffice
