// boxoffice-loadgen: drives the booking flow (hold, then confirm) against a running server and
// reports confirmed tickets per second and latency percentiles. Each virtual user has its own
// keep-alive connection and books seats no one else asks for, so the numbers measure the
// server's throughput rather than contention (the seat race is a test, not a benchmark).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string admin_email, admin_password;
  int users = 100;
  int threads = 1;
  int shows = 4;
  int seats_per_booking = 2;
  double duration_s = 10;
  double rate = 0;  // bookings per second in total; 0 = as fast as possible
};

struct Stats {
  std::vector<double> hold_ms, confirm_ms;
  long tickets = 0, bookings = 0, failures = 0;
};

class Conn {
 public:
  explicit Conn(asio::any_io_executor ex) : stream_(ex) {}
  asio::awaitable<void> connect(const Options& o) {
    tcp::resolver r(stream_.get_executor());
    auto eps = co_await r.async_resolve(o.host, o.port, asio::use_awaitable);
    co_await stream_.async_connect(eps, asio::use_awaitable);
    stream_.socket().set_option(tcp::no_delay(true));
  }
  asio::awaitable<std::pair<int, std::string>> call(http::verb verb, std::string target,
                                                    std::string body, const std::string& token) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "loadgen");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    co_await http::async_write(stream_, req, asio::use_awaitable);
    http::response<http::string_body> res;
    co_await http::async_read(stream_, buffer_, res, asio::use_awaitable);
    co_return std::pair<int, std::string>{res.result_int(), std::move(res.body())};
  }

 private:
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

std::string credentials_json(const std::string& email, const std::string& password,
                             bool with_name) {
  json::object o{{"email", email}, {"password", password}};
  if (with_name) o["name"] = "Load";
  return json::serialize(o);
}

asio::awaitable<std::string> sign_in(Conn& c, const std::string& email, const std::string& password,
                                     bool create) {
  if (create) {
    const std::string user = credentials_json(email, password, true);
    co_await c.call(http::verb::post, "/api/v1/users", user, "");
  }
  const std::string creds = credentials_json(email, password, false);
  auto [status, body] = co_await c.call(http::verb::post, "/api/v1/sessions", creds, "");
  if (status != 201) throw std::runtime_error("sign-in failed for " + email + ": " + body);
  co_return std::string(json::parse(body).at("token").as_string());
}

struct Plan {
  std::vector<long> show_ids;
  std::vector<std::string> seat_ids;  // of the big hall, in order
};

// JSON bodies are built in plain functions: g++ 12 mishandles arrays and initializer lists
// inside coroutines.
std::string arena_json(Plan& plan) {
  // 100 rows x 200 seats: 20,000 seats per show.
  json::array rows;
  for (int r = 0; r < 100; ++r) {
    std::string label(1, char('A' + r % 26));
    if (r >= 26) label.insert(label.begin(), char('A' + r / 26 - 1));
    rows.push_back(json::object{{"row", label}, {"seats", 200}, {"category", "standard"}});
    for (int n = 1; n <= 200; ++n) plan.seat_ids.push_back(label + std::to_string(n));
  }
  json::object screen{{"name", "Main"}, {"rows", rows}};
  json::object theater{{"name", "Load Arena"}, {"city", "Bench"}, {"screens", json::array{screen}}};
  return json::serialize(theater);
}

std::string show_json(long movie, long screen, std::time_t t) {
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  json::object show{{"movie_id", movie},
                    {"screen_id", screen},
                    {"starts_at", when},
                    {"prices", json::object{{"standard", 1000}}}};
  return json::serialize(show);
}

std::string seats_json(const Plan& plan, std::size_t first, int count) {
  json::array seats;
  for (int k = 0; k < count; ++k)
    seats.emplace_back(plan.seat_ids[first + static_cast<std::size_t>(k)]);
  return json::serialize(json::object{{"seats", seats}});
}

std::string hold_json(const std::string& hold_id) {
  return json::serialize(json::object{{"hold_id", hold_id}});
}

asio::awaitable<void> setup(const Options& o, Plan& plan) {
  Conn c(co_await asio::this_coro::executor);
  co_await c.connect(o);
  const std::string admin = co_await sign_in(c, o.admin_email, o.admin_password, false);
  auto [ms, mb] = co_await c.call(
      http::verb::post, "/api/v1/movies",
      R"({"title":"Load Test","description":"","duration_minutes":60,"rating":"G"})", admin);
  if (ms != 201) throw std::runtime_error("create movie: " + mb);
  const long movie = json::parse(mb).at("id").as_int64();
  const std::string theater = arena_json(plan);
  auto [ts, tb] = co_await c.call(http::verb::post, "/api/v1/theaters", theater, admin);
  if (ts != 201) throw std::runtime_error("create theater: " + tb);
  const long screen = json::parse(tb).at("screens").at(0).at("id").as_int64();
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  for (int i = 0; i < o.shows; ++i) {
    const std::string show =
        show_json(movie, screen, now + 86400 * 30 + i * 7200 + (std::rand() % 1000) * 86400);
    auto [ss, sb] = co_await c.call(http::verb::post, "/api/v1/shows", show, admin);
    if (ss != 201) throw std::runtime_error("create show: " + sb);
    plan.show_ids.push_back(json::parse(sb).at("id").as_int64());
  }
}

asio::awaitable<void> virtual_user(const Options& o, const Plan& plan, int index, std::string token,
                                   Clock::time_point start, Clock::time_point end, Stats& stats) {
  Conn c(co_await asio::this_coro::executor);
  co_await c.connect(o);
  const long show = plan.show_ids[static_cast<std::size_t>(index) % plan.show_ids.size()];
  // Users sharing a show take interleaved blocks of seats, so nobody asks for another's seat.
  const int per_show = (o.users + o.shows - 1) / o.shows;
  const int slot = index / o.shows;
  std::size_t next = static_cast<std::size_t>(slot) * o.seats_per_booking;
  const std::size_t stride = static_cast<std::size_t>(per_show) * o.seats_per_booking;
  const double interval = o.rate > 0 ? o.users / o.rate : 0;
  asio::steady_timer pace(co_await asio::this_coro::executor);
  auto due = start;
  while (Clock::now() < end && next + o.seats_per_booking <= plan.seat_ids.size()) {
    if (interval > 0) {
      due += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval));
      pace.expires_at(due);
      co_await pace.async_wait(asio::use_awaitable);
    }
    const std::string hold_body = seats_json(plan, next, o.seats_per_booking);
    next += stride;
    const auto t0 = Clock::now();
    auto [hs, hb] = co_await c.call(
        http::verb::post, "/api/v1/shows/" + std::to_string(show) + "/holds", hold_body, token);
    const auto t1 = Clock::now();
    stats.hold_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (hs != 201) {
      ++stats.failures;
      continue;
    }
    const std::string hold_id(json::parse(hb).at("hold_id").as_string());
    const std::string booking_body = hold_json(hold_id);
    auto [bs, bb] = co_await c.call(http::verb::post, "/api/v1/bookings", booking_body, token);
    const auto t2 = Clock::now();
    stats.confirm_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    if (bs != 201) {
      ++stats.failures;
      continue;
    }
    ++stats.bookings;
    stats.tickets += o.seats_per_booking;
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"boxoffice-loadgen: measure confirmed tickets per second"};
  app.add_option("--host", o.host);
  app.add_option("--port", o.port);
  app.add_option("--admin-email", o.admin_email)->required();
  app.add_option("--admin-password", o.admin_password)->required();
  app.add_option("--users", o.users, "virtual users, one connection each");
  app.add_option("--threads", o.threads, "client threads");
  app.add_option("--shows", o.shows, "shows of 20,000 seats to spread users over");
  app.add_option("--seats-per-booking", o.seats_per_booking);
  app.add_option("--duration", o.duration_s, "seconds");
  app.add_option("--rate", o.rate, "bookings per second in total (0: as fast as possible)");
  CLI11_PARSE(app, argc, argv);

  Plan plan;
  {
    asio::io_context ioc;
    asio::co_spawn(ioc, setup(o, plan), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    ioc.run();
  }
  // Users sign in before the clock starts (argon2id is deliberately slow).
  std::vector<std::string> tokens(static_cast<std::size_t>(o.users));
  {
    asio::io_context ioc;
    const auto tag = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
    for (int i = 0; i < o.users; ++i) {
      auto one = [](const Options& o, std::string email,
                    std::string& out) -> asio::awaitable<void> {
        Conn c(co_await asio::this_coro::executor);
        co_await c.connect(o);
        out = co_await sign_in(c, email, "load-password", true);
      };
      asio::co_spawn(ioc,
                     one(o, "load-" + tag + "-" + std::to_string(i) + "@bench.test",
                         tokens[static_cast<std::size_t>(i)]),
                     [](std::exception_ptr e) {
                       if (e) std::rethrow_exception(e);
                     });
    }
    ioc.run();
  }
  std::vector<Stats> per_thread(static_cast<std::size_t>(o.threads));
  std::vector<std::thread> threads;
  const auto start = Clock::now() + std::chrono::milliseconds(200);
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(o.duration_s));
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      asio::io_context ioc;
      for (int i = t; i < o.users; i += o.threads)
        asio::co_spawn(ioc,
                       virtual_user(o, plan, i, tokens[static_cast<std::size_t>(i)], start, end,
                                    per_thread[static_cast<std::size_t>(t)]),
                       [](std::exception_ptr e) {
                         if (e) try {
                             std::rethrow_exception(e);
                           } catch (const std::exception& ex) {
                             std::cerr << "user failed: " << ex.what() << "\n";
                           }
                       });
      ioc.run();
    });
  }
  for (auto& th : threads) th.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  Stats all;
  for (auto& s : per_thread) {
    all.hold_ms.insert(all.hold_ms.end(), s.hold_ms.begin(), s.hold_ms.end());
    all.confirm_ms.insert(all.confirm_ms.end(), s.confirm_ms.begin(), s.confirm_ms.end());
    all.tickets += s.tickets;
    all.bookings += s.bookings;
    all.failures += s.failures;
  }
  std::printf("duration_s=%.2f users=%d bookings=%ld tickets=%ld failures=%ld\n", secs, o.users,
              all.bookings, all.tickets, all.failures);
  std::printf("tickets_per_s=%.0f bookings_per_s=%.0f\n", all.tickets / secs, all.bookings / secs);
  std::printf("hold_ms p50=%.2f p99=%.2f max=%.2f\n", percentile(all.hold_ms, 0.5),
              percentile(all.hold_ms, 0.99), percentile(all.hold_ms, 1.0));
  std::printf("confirm_ms p50=%.2f p99=%.2f max=%.2f\n", percentile(all.confirm_ms, 0.5),
              percentile(all.confirm_ms, 0.99), percentile(all.confirm_ms, 1.0));
  return all.failures == 0 ? 0 : 1;
}
