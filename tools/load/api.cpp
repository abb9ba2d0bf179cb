#include "api.hpp"

#include <ctime>
#include <stdexcept>

#include <boost/json.hpp>

namespace json = boost::json;

namespace load {

std::string credentials_body(const std::string& email, const std::string& password,
                             bool with_name) {
  json::object o;
  o["email"] = email;
  o["password"] = password;
  if (with_name) o["name"] = "Load";
  return json::serialize(o);
}

std::string seats_body(const std::vector<std::string>& seats) {
  json::array a;
  for (const auto& s : seats) a.emplace_back(s);
  json::object o;
  o["seats"] = std::move(a);
  return json::serialize(o);
}

std::string hold_id_body(const std::string& hold_id) {
  json::object o;
  o["hold_id"] = hold_id;
  return json::serialize(o);
}

std::string account_email(const std::string& tag, long index) {
  return "load-" + tag + "-" + std::to_string(index) + "@bench.test";
}

SeatState parse_state(std::string_view s) {
  if (s == "available") return SeatState::available;
  if (s == "held") return SeatState::held;
  return SeatState::booked;
}

SeatMap parse_seat_map(const std::string& body) {
  SeatMap m;
  const auto v = json::parse(body);
  const auto& seats = v.at("seats");
  if (seats.is_array()) {  // GET /shows/{id}/seats
    for (const auto& s : seats.as_array()) {
      m.ids.emplace_back(s.at("id").as_string());
      m.states.push_back(parse_state(s.at("status").as_string()));
    }
  } else {  // a live snapshot: {"A1":"available",...}
    for (const auto& [id, st] : seats.as_object()) {
      m.ids.emplace_back(id);
      m.states.push_back(parse_state(st.as_string()));
    }
  }
  return m;
}

Response sync_request(const Url& url, Request req, std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  HttpConn conn(ioc.get_executor(), url, std::nullopt, timeout);
  Response out;
  asio::co_spawn(ioc, conn.request(std::move(req)), [&out](std::exception_ptr e, Response r) {
    if (e) std::rethrow_exception(e);
    out = std::move(r);
  });
  ioc.run();
  return out;
}

namespace {
constexpr std::chrono::seconds kSetupTimeout{60};

json::value expect(const Response& r, int status, const std::string& what) {
  if (r.status != status)
    throw std::runtime_error(what + ": " + (r.status ? std::to_string(r.status) : r.error) + " " +
                             r.body.substr(0, 300));
  return json::parse(r.body);
}

Request post(const std::string& target, std::string body, const std::string& token) {
  Request r;
  r.verb = http::verb::post;
  r.target = target;
  r.body = std::move(body);
  r.token = token;
  return r;
}

std::string row_label(int r) {
  std::string label(1, static_cast<char>('A' + r % 26));
  if (r >= 26) label.insert(label.begin(), static_cast<char>('A' + r / 26 - 1));
  return label;
}
}  // namespace

std::string sync_sign_in(const Url& url, const std::string& email, const std::string& password,
                         bool create) {
  if (create) {
    auto r = sync_request(url, post("/api/v1/users", credentials_body(email, password, true), ""),
                          kSetupTimeout);
    if (r.status != 201 && r.status != 409)
      throw std::runtime_error("sign-up " + email + ": " + std::to_string(r.status) + " " +
                               r.error + r.body.substr(0, 300));
  }
  auto r = sync_request(url, post("/api/v1/sessions", credentials_body(email, password, false), ""),
                        kSetupTimeout);
  return std::string(expect(r, 201, "sign-in " + email).at("token").as_string());
}

std::vector<long> create_catalog(const Url& url, const Options& o) {
  if (o.seats < 1 || o.row_seats < 1 || (o.seats + o.row_seats - 1) / o.row_seats > 26 * 27)
    throw std::runtime_error("--seats / --row-seats: at most 702 rows");
  const std::string admin = sync_sign_in(url, o.admin_email, o.admin_password, false);
  json::object movie;
  movie["title"] = "Load Test";
  movie["description"] = "boxoffice-load";
  movie["duration_minutes"] = 60;
  movie["rating"] = "G";
  const long movie_id =
      expect(
          sync_request(url, post("/api/v1/movies", json::serialize(movie), admin), kSetupTimeout),
          201, "create movie")
          .at("id")
          .as_int64();
  json::array rows;
  int left = o.seats;
  for (int r = 0; left > 0; ++r) {
    const int n = std::min(left, o.row_seats);
    json::object row;
    row["row"] = row_label(r);
    row["seats"] = n;
    row["category"] = "standard";
    rows.emplace_back(std::move(row));
    left -= n;
  }
  json::object screen;
  screen["name"] = "Main";
  screen["rows"] = std::move(rows);
  json::array screens;
  screens.emplace_back(std::move(screen));
  json::object theater;
  theater["name"] = "Load Arena " + std::to_string(std::time(nullptr));
  theater["city"] = "Bench";
  theater["screens"] = std::move(screens);
  const long screen_id =
      expect(sync_request(url, post("/api/v1/theaters", json::serialize(theater), admin),
                          kSetupTimeout),
             201, "create theater")
          .at("screens")
          .at(0)
          .at("id")
          .as_int64();
  std::vector<long> ids;
  const std::time_t base = std::time(nullptr) + 86400;
  for (int i = 0; i < o.shows; ++i) {
    const std::time_t t = base + static_cast<std::time_t>(i) * 3 * 3600;
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    json::object prices;
    prices["standard"] = 1000;
    json::object show;
    show["movie_id"] = movie_id;
    show["screen_id"] = screen_id;
    show["starts_at"] = when;
    show["prices"] = std::move(prices);
    ids.push_back(expect(sync_request(url, post("/api/v1/shows", json::serialize(show), admin),
                                      kSetupTimeout),
                         201, "create show")
                      .at("id")
                      .as_int64());
  }
  return ids;
}

std::vector<std::string> booked_seats(const Url& url, long show,
                                      std::chrono::milliseconds timeout) {
  Request req;
  req.target = "/api/v1/shows/" + std::to_string(show) + "/seats";
  const auto r = sync_request(url, std::move(req), timeout);
  if (r.status != 200)
    throw std::runtime_error("seat map of show " + std::to_string(show) + ": " +
                             std::to_string(r.status) + " " + r.error);
  const auto m = parse_seat_map(r.body);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < m.ids.size(); ++i)
    if (m.states[i] == SeatState::booked) out.push_back(m.ids[i]);
  return out;
}

}  // namespace load
