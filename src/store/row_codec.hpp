#pragma once
// How both store backends write values that have no column type of their own (seat lists,
// screen rows, price tables as JSON text) and derive stored fields, so that a row written by
// one backend reads the same in the other.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/models.hpp"

namespace boxoffice::codec {

std::string strings_to_json(const std::vector<std::string>& v);
std::vector<std::string> strings_from_json(const std::string& text);
std::string rows_to_json(const std::vector<SeatRow>& rows);
std::vector<SeatRow> rows_from_json(const std::string& text);
std::string prices_to_json(const PriceTable& p);
PriceTable prices_from_json(const std::string& text);
Role parse_role(std::string_view s);

// The local calendar day (days since 1970-01-01) of instant t in zone `zone`. A zone the system
// no longer knows (tzdata dropped it) counts as UTC rather than failing the show: theaters are
// checked when created.
std::int64_t local_day_in(std::string_view zone, std::int64_t t) noexcept;

// Items fetched with limit + 1: the extra one only says that there is a next page.
template <class T>
Page<T> finish_page(std::vector<T> items, int limit) {
  Page<T> page;
  if (static_cast<int>(items.size()) > limit) {
    items.resize(static_cast<std::size_t>(limit));
    page.next_after = items.back().id;
  }
  page.items = std::move(items);
  return page;
}

}  // namespace boxoffice::codec
