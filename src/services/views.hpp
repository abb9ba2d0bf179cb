#pragma once
// The JSON shapes of API.md, in one place.
#include <boost/json.hpp>

#include "domain/models.hpp"
#include "domain/seat_book.hpp"

namespace boxoffice::views {

namespace json = boost::json;

json::object user(const User& u);
json::object movie(const Movie& m);
json::object screen(const Screen& s);
json::object theater(const Theater& t);
json::object show(const Show& s);
json::object booking(const Booking& b);
json::object hold(const HoldInfo& h, const std::string& currency);

template <class T, class Fn>
json::object page(const Page<T>& p, Fn item_view);
// Shows run in (starts_at, id) order: the cursor carries the last show's both.
json::object show_page(const Page<Show>& p);

}  // namespace boxoffice::views

#include "domain/validation.hpp"

namespace boxoffice::views {

template <class T, class Fn>
json::object page(const Page<T>& p, Fn item_view) {
  json::array items;
  items.reserve(p.items.size());
  for (const auto& it : p.items) items.push_back(item_view(it));
  json::object o;
  o["items"] = std::move(items);
  if (p.next_after)
    o["next_cursor"] = encode_cursor(*p.next_after);
  else
    o["next_cursor"] = nullptr;
  return o;
}

}  // namespace boxoffice::views
