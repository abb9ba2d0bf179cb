#include "services/views.hpp"

namespace boxoffice::views {

namespace {
json::array strings(const std::vector<std::string>& v) {
  json::array a;
  a.reserve(v.size());
  for (const auto& s : v) a.emplace_back(s);
  return a;
}
}  // namespace

json::object user(const User& u) {
  return {{"id", u.id}, {"email", u.email}, {"name", u.name}, {"role", role_name(u.role)}};
}

json::object movie(const Movie& m) {
  return {{"id", m.id},
          {"title", m.title},
          {"description", m.description},
          {"duration_minutes", m.duration_minutes},
          {"rating", m.rating},
          {"genres", strings(m.genres)}};
}

json::object screen(const Screen& s) {
  json::array rows;
  for (const auto& r : s.rows)
    rows.push_back(json::object{{"row", r.row}, {"seats", r.seats}, {"category", r.category}});
  return {{"id", s.id},
          {"theater_id", s.theater_id},
          {"name", s.name},
          {"rows", std::move(rows)},
          {"seat_count", s.seat_count}};
}

json::object theater(const Theater& t) {
  json::array screens;
  for (const auto& s : t.screens) screens.push_back(screen(s));
  return {{"id", t.id},
          {"name", t.name},
          {"city", t.city},
          {"timezone", t.timezone},
          {"screens", std::move(screens)}};
}

json::object show(const Show& s) {
  json::object prices;
  for (const auto& [k, v] : s.prices) prices[k] = v;
  return {{"id", s.id},
          {"movie_id", s.movie_id},
          {"screen_id", s.screen_id},
          {"theater_id", s.theater_id},
          {"starts_at", format_rfc3339(s.starts_at)},
          {"ends_at", format_rfc3339(s.ends_at)},
          {"timezone", s.timezone},
          {"prices", std::move(prices)},
          {"currency", s.currency},
          {"seat_count", s.seat_count}};
}

json::object show_page(const Page<Show>& p) {
  json::object o = page(p, show);
  if (p.next_after && !p.items.empty())
    o["next_cursor"] = encode_show_cursor({p.items.back().starts_at, p.items.back().id});
  return o;
}

json::object booking(const Booking& b) {
  return {{"id", b.id},
          {"user_id", b.user_id},
          {"show_id", b.show_id},
          {"seats", strings(b.seats)},
          {"total_cents", b.total_cents},
          {"currency", b.currency},
          {"status", booking_status_name(b.status)},
          {"created_at", format_rfc3339(b.created_at)}};
}

json::object hold(const HoldInfo& h, const std::string& currency) {
  return {{"hold_id", h.id},
          {"show_id", h.show_id},
          {"seats", strings(h.seats)},
          {"expires_at", format_rfc3339_ms(h.expires_at_ms)},
          {"total_cents", h.total_cents},
          {"currency", currency}};
}

}  // namespace boxoffice::views
