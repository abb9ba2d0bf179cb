#include "worker.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/json.hpp>

#include "api.hpp"
#include "http_client.hpp"
#include "report.hpp"
#include "ws_client.hpp"

namespace json = boost::json;

namespace load {
namespace {

using Clock = std::chrono::steady_clock;

void write_line(const json::object& o) {
  std::string s = json::serialize(o);
  s.push_back('\n');
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    const ssize_t n = ::write(1, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::_Exit(3);  // the parent is gone
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

std::string read_first_line() {
  std::string line;
  char c;
  while (::read(0, &c, 1) == 1 && c != '\n') line.push_back(c);
  return line;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

std::chrono::milliseconds ms(double s) {
  return std::chrono::milliseconds(static_cast<long>(s * 1000));
}

// The tool's picture of one show's seats, shared by the users of this process that book it
// (one per show of the plan). Updated from seat maps, 409 answers, the tool's own holds and
// bookings, and, with --live, from one live socket per show.
struct ShowView {
  long id = 0;
  std::vector<std::string> ids;                        // the show's seats, never more
  std::unordered_map<std::string, std::size_t> index;  // seat id -> position; same bound
  std::vector<SeatState> states;
  std::size_t available = 0, held = 0;
  std::string etag;
  Clock::time_point read_at{};
  bool loaded = false;

  void load(const SeatMap& m, std::string tag) {
    if (ids != m.ids) {
      ids = m.ids;
      index.clear();
      for (std::size_t i = 0; i < ids.size(); ++i) index[ids[i]] = i;
    }
    states = m.states;
    available = held = 0;
    for (auto s : states) {
      available += s == SeatState::available;
      held += s == SeatState::held;
    }
    etag = std::move(tag);
    loaded = true;
    read_at = Clock::now();
  }
  void set(const std::string& seat, SeatState st) {
    auto it = index.find(seat);
    if (it == index.end()) return;
    auto& cur = states[it->second];
    available -= cur == SeatState::available;
    held -= cur == SeatState::held;
    cur = st;
    available += st == SeatState::available;
    held += st == SeatState::held;
  }
};

struct Pending {
  Clock::time_point intended;
  std::size_t kind;  // 0: seat map, 1: show list
  std::size_t show;
};

class Worker {
 public:
  Worker(const Options& o, Plan plan)
      : o_(o),
        plan_(std::move(plan)),
        go_gate_(ioc_, Clock::time_point::max()),
        stdin_(ioc_, ::dup(0)),
        timeout_(ms(o.timeout_s)),
        rng_(static_cast<unsigned>(o.worker_index * 7919 + ::getpid())) {
    for (const auto& u : o_.urls) targets_.urls.push_back(parse_url(u));
    if (!o_.source_addrs.empty()) targets_.sources = parse_source_addrs(o_.source_addrs);
    report_.mode = o_.mode;
    for (long id : plan_.show_ids) {
      views_.emplace_back();
      views_.back().id = id;
    }
  }

  int run() {
    spawn(read_stdin());
    spawn(ticker());
    if (o_.mode == "onsale") start_onsale();
    if (o_.mode == "reads") start_reads();
    if (o_.mode == "sockets") start_sockets();
    ioc_.run();
    return 0;
  }

 private:
  template <class Awaitable>
  void spawn(Awaitable a) {
    asio::co_spawn(ioc_, std::move(a), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::cerr << "boxoffice-load worker: " << ex.what() << "\n";
      }
    });
  }

  // ---- the parent's lines and the clock ----------------------------------------------------

  asio::awaitable<void> read_stdin() {
    std::string buf;
    for (;;) {
      auto [ec, n] = co_await asio::async_read_until(stdin_, asio::dynamic_buffer(buf), '\n',
                                                     asio::as_tuple(asio::use_awaitable));
      if (ec) {  // the parent is gone: stop
        finish();
        co_return;
      }
      std::string line = buf.substr(0, n - 1);
      buf.erase(0, n);
      if (line == "go") {
        go();
      } else if (line == "stop") {
        finish();
      } else if (line.rfind("{\"sent\"", 0) == 0) {
        sockets_result(json::parse(line));
      }
    }
  }

  void go() {
    if (go_) return;
    go_ = true;
    go_time_ = Clock::now();
    end_ = go_time_ + ms(o_.duration_s);
    go_gate_.cancel();
  }

  asio::awaitable<void> wait_go() {
    if (go_) co_return;
    auto [ec] = co_await go_gate_.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
  }

  asio::awaitable<void> ticker() {
    asio::steady_timer t(ioc_);
    auto next = Clock::now();
    while (!finished_) {
      next += std::chrono::seconds(1);
      t.expires_at(next);
      auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ec;
      json::object tick;
      tick["requests"] = tick_requests_;
      tick["errors"] = tick_errors_;
      tick["ws"] = ws_open_;
      tick["bookings"] = tick_bookings_;
      tick["tickets"] = tick_tickets_;
      tick["hist"] = tick_hist_.to_json();
      json::object line;
      line["tick"] = std::move(tick);
      if (!finished_) write_line(line);
      tick_requests_ = tick_errors_ = tick_bookings_ = tick_tickets_ = 0;
      tick_hist_.reset();
      // Requests still in flight 2 s after the end are abandoned.
      if (go_ && o_.mode != "sockets" && Clock::now() > end_ + std::chrono::seconds(2)) finish();
    }
  }

  void record(const std::string& op, Clock::time_point since, const Response& r, bool ok) {
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - since).count();
    report_.ops[op].record_us(static_cast<std::uint64_t>(std::max<long>(0, us)));
    if (!ok) report_.error(op, r.status ? std::to_string(r.status) : "transport");
    // Before "go" (sign-ups, connects) is preparation: not in the run's rates or progress.
    if (!go_ && o_.mode != "sockets") {
      report_.add("prep_requests");
      return;
    }
    tick_hist_.record_us(static_cast<std::uint64_t>(std::max<long>(0, us)));
    ++tick_requests_;
    report_.add("requests");
    if (!ok) ++tick_errors_;
  }

  void emit_ready(json::object info) {
    json::object line;
    line["ready"] = std::move(info);
    write_line(line);
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    if (go_) report_.duration_s = std::chrono::duration<double>(Clock::now() - go_time_).count();
    json::object line;
    line["result"] = report_.to_wire();
    write_line(line);
    std::fflush(stderr);
    std::_Exit(0);  // thousands of sockets close with the process
  }

  void task_done() {
    if (--active_ == 0 && go_) finish();
  }

  asio::awaitable<void> sleep_for(std::chrono::microseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(d);
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
  }

  // ---- onsale -----------------------------------------------------------------------------------

  long accounts_total() const { return o_.accounts > 0 ? o_.accounts : o_.users; }
  long account_of(long user) const { return user % accounts_total(); }

  void start_onsale() {
    const auto [first, last] = o_.slice(o_.users);
    first_user_ = first;
    last_user_ = last;
    for (long u = first; u < last; ++u) {
      const long a = account_of(u);
      if (!tokens_.count(a)) {
        tokens_[a] = "";
        accounts_todo_.push_back(a);
      }
    }
    const long lanes = std::min<long>(16, static_cast<long>(accounts_todo_.size()));
    signups_left_ = lanes;
    if (lanes == 0) start_users();
    for (long lane = 0; lane < lanes; ++lane) spawn(sign_up_lane(lane));
  }

  asio::awaitable<void> sign_up_lane(long lane) {
    auto ex = co_await asio::this_coro::executor;
    HttpConn conn(ex, targets_.url(static_cast<std::size_t>(lane)),
                  targets_.source(static_cast<std::size_t>(lane)), timeout_);
    while (next_signup_ < accounts_todo_.size()) {
      const long a = accounts_todo_[next_signup_++];
      const std::string email = account_email(plan_.tag, a);
      Request up;
      up.verb = http::verb::post;
      up.target = "/api/v1/users";
      up.body = credentials_body(email, o_.password, true);
      const auto t0 = Clock::now();
      Response ur = co_await conn.request(std::move(up));
      record("signup", t0, ur, ur.status == 201 || ur.status == 409);
      Request in;
      in.verb = http::verb::post;
      in.target = "/api/v1/sessions";
      in.body = credentials_body(email, o_.password, false);
      const auto t1 = Clock::now();
      Response ir = co_await conn.request(std::move(in));
      const bool ok = ir.status == 201;
      record("signin", t1, ir, ok);
      if (ok) tokens_[a] = std::string(json::parse(ir.body).at("token").as_string());
    }
    if (--signups_left_ == 0) start_users();
  }

  void start_users() {
    users_waiting_ = last_user_ - first_user_;
    if (users_waiting_ == 0) {
      json::object info;
      info["users"] = 0;
      emit_ready(std::move(info));
    }
    for (long u = first_user_; u < last_user_; ++u) {
      ++active_;
      spawn(user(u));
    }
  }

  void user_ready() {
    if (--users_waiting_ == 0) {
      json::object info;
      info["users"] = last_user_ - first_user_;
      info["ws"] = ws_open_;
      emit_ready(std::move(info));
    }
  }

  std::chrono::microseconds think() {
    const auto dash = o_.think_ms.find('-');
    const double lo = std::stod(o_.think_ms.substr(0, dash));
    const double hi = dash == std::string::npos ? lo : std::stod(o_.think_ms.substr(dash + 1));
    if (hi <= 0) return std::chrono::microseconds(0);
    std::uniform_real_distribution<double> d(lo, std::max(lo, hi));
    return std::chrono::microseconds(static_cast<long>(d(rng_) * 1000));
  }

  // GET the seat map; the view is rebuilt from it unless it is the version the view has or the
  // view was rebuilt in the last 200 ms (parsing a 20,000-seat map costs the client milliseconds).
  asio::awaitable<void> read_map(HttpConn& conn, std::size_t show_idx, bool conditional) {
    ShowView& v = views_[show_idx];
    Request req;
    req.target = "/api/v1/shows/" + std::to_string(v.id) + "/seats";
    if (conditional && v.loaded) req.if_none_match = v.etag;
    const auto t0 = Clock::now();
    Response r = co_await conn.request(std::move(req));
    record("seats", t0, r, r.status == 200 || r.status == 304);
    if (r.status != 200) co_return;
    if (v.loaded && (r.etag == v.etag || Clock::now() - v.read_at < std::chrono::milliseconds(200)))
      co_return;
    v.load(parse_seat_map(r.body), r.etag);
  }

  std::vector<std::string> pick_race(ShowView& v) {
    std::vector<std::string> out;
    if (v.available == 0 || v.ids.empty()) return out;
    const std::size_t n = v.ids.size();
    std::size_t i = std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
    for (std::size_t scanned = 0; scanned < n && out.size() < std::size_t(o_.seats_per_booking);
         ++scanned, i = (i + 1) % n)
      if (v.states[i] == SeatState::available) out.push_back(v.ids[i]);
    return out;
  }

  asio::awaitable<void> live_reader(std::shared_ptr<WsConn> ws, std::size_t show_idx,
                                    bool designated) {
    for (;;) {
      WsConn::Frame f = co_await ws->read();
      if (!f.error.empty()) {
        --ws_open_;
        if (!finished_) report_.error("live", "closed");
        co_return;
      }
      report_.add("live_frames");
      if (!designated) continue;
      const auto v = json::parse(f.text);
      const auto& type = v.at("type").as_string();
      if (type == "snapshot") {
        views_[show_idx].load(parse_seat_map(f.text), "");
      } else if (type == "seats") {
        for (const auto& c : v.at("changes").as_array())
          views_[show_idx].set(std::string(c.at("seat").as_string()),
                               parse_state(c.at("status").as_string()));
      }
    }
  }

  asio::awaitable<void> user(long u) {
    auto ex = co_await asio::this_coro::executor;
    const auto conn_index = static_cast<std::size_t>(u);
    const std::size_t show_idx = static_cast<std::size_t>(u) % views_.size();
    ShowView& view = views_[show_idx];
    const bool designated = u - first_user_ < static_cast<long>(views_.size());
    const std::string token = tokens_[account_of(u)];
    HttpConn conn(ex, targets_.url(conn_index), targets_.source(conn_index), timeout_);
    if (o_.live) {
      auto ws = std::make_shared<WsConn>(ex, targets_.url(conn_index), targets_.source(conn_index));
      std::string snapshot;
      const std::string err = co_await ws->open(view.id, timeout_, &snapshot);
      if (err.empty()) {
        ++ws_open_;
        report_.add("ws_opened");
        if (designated) view.load(parse_seat_map(snapshot), "");
        spawn(live_reader(ws, show_idx, designated));
      } else {
        report_.error("live", "connect");
        if (report_.errors["live connect"] <= 3) std::cerr << "live socket: " << err << "\n";
      }
    }
    // --pick race: the users load the seat map when the sale opens (the thundering herd);
    // --pick partition measures booking throughput: only the seat ids matter, so one user per
    // show in this process reads the map, before the run's clock starts (every user reading a
    // 20,000-seat map costs the server more than the run it prepares).
    const bool race = o_.pick != "partition";
    if (!race && designated && !view.loaded) co_await read_map(conn, show_idx, false);
    user_ready();
    co_await wait_go();
    if (token.empty()) {  // its sign-in failed (counted)
      task_done();
      co_return;
    }
    // Partition mode: the designated user's read failed (counted), so this user reads it.
    if (race || !view.loaded) co_await read_map(conn, show_idx, false);

    // --pick partition: users of a show take interleaved blocks of seats (boxoffice-loadgen's
    // scheme, no contention); --pick race: random available seats from the shared view.
    const long shows = static_cast<long>(views_.size());
    const long per_show = (o_.users + shows - 1) / shows;
    std::size_t next = static_cast<std::size_t>(u / shows) * o_.seats_per_booking;
    const std::size_t stride = static_cast<std::size_t>(per_show) * o_.seats_per_booking;
    const double interval = o_.rate > 0 ? o_.users / o_.rate : 0;
    const long local_n = std::max<long>(1, last_user_ - first_user_);
    auto due = go_time_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                              interval * static_cast<double>(u - first_user_) / local_n));
    long attempt = 0;
    while (Clock::now() < end_ && !finished_) {
      if (interval > 0) {
        due += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval));
        const auto wait = due - Clock::now();
        if (wait > Clock::duration::zero())
          co_await sleep_for(std::chrono::duration_cast<std::chrono::microseconds>(wait));
        if (Clock::now() >= end_) break;
      }
      const auto started = interval > 0 ? due : Clock::now();
      std::chrono::microseconds thought{0};
      const auto t1 = think();
      if (t1.count() > 0) {
        co_await sleep_for(t1);
        thought += t1;
      }
      std::vector<std::string> seats;
      if (race) {
        seats = pick_race(view);
        if (seats.empty()) {
          co_await read_map(conn, show_idx, true);
          seats = pick_race(view);
        }
        if (seats.empty()) {
          if (view.held == 0) {  // nothing left to free up: sold out
            report_.add("users_sold_out");
            break;
          }
          co_await sleep_for(std::chrono::milliseconds(250));
          continue;
        }
      } else {
        if (view.ids.empty() || next + o_.seats_per_booking > view.ids.size()) break;
        for (int k = 0; k < o_.seats_per_booking; ++k) seats.push_back(view.ids[next + k]);
        next += stride;
      }
      Request hold;
      hold.verb = http::verb::post;
      hold.target = "/api/v1/shows/" + std::to_string(view.id) + "/holds";
      hold.body = seats_body(seats);
      hold.token = token;
      const auto h0 = Clock::now();
      Response hr = co_await conn.request(std::move(hold));
      const bool held = hr.status == 201;
      record("hold", h0, hr, held);
      if (!held) {
        report_.add("failures");
        if (hr.status == 409) {
          const auto v = json::parse(hr.body);
          if (const auto* taken = v.as_object().if_contains("seats"))
            for (const auto& s : taken->as_array())
              view.set(std::string(s.as_string()), SeatState::held);
        } else if (hr.status == 0 || hr.status >= 500) {
          co_await sleep_for(std::chrono::milliseconds(100));
        }
        continue;
      }
      for (const auto& s : seats) view.set(s, SeatState::held);
      const std::string hold_id(json::parse(hr.body).at("hold_id").as_string());
      const auto t2 = think();
      if (t2.count() > 0) {
        co_await sleep_for(t2);
        thought += t2;
      }
      const std::string key = plan_.tag + "-" + std::to_string(u) + "-" + std::to_string(attempt++);
      Response br;
      for (int tries = 0; tries < 2; ++tries) {
        Request book;
        book.verb = http::verb::post;
        book.target = "/api/v1/bookings";
        book.body = hold_id_body(hold_id);
        book.token = token;
        book.idempotency_key = key;
        const auto c0 = Clock::now();
        br = co_await conn.request(std::move(book));
        record("confirm", c0, br, br.status == 201);
        // Unknown outcome: ask again with the same Idempotency-Key.
        if (br.status != 0 && br.status != 503) break;
        report_.add("confirm_retries");
      }
      if (br.status != 201) {
        report_.add("failures");
        continue;
      }
      const auto b = json::parse(br.body);
      Booking booking;
      booking.show = view.id;
      booking.id = b.at("id").to_number<long>();
      for (const auto& s : b.at("seats").as_array()) booking.seats.emplace_back(s.as_string());
      for (const auto& s : booking.seats) view.set(s, SeatState::booked);
      report_.add("bookings");
      report_.add("tickets", static_cast<std::int64_t>(booking.seats.size()));
      ++tick_bookings_;
      tick_tickets_ += static_cast<std::int64_t>(booking.seats.size());
      report_.add_booking(std::move(booking));
      const auto total =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started) - thought;
      report_.ops["booking"].record_us(
          static_cast<std::uint64_t>(std::max<long>(0, total.count())));
    }
    task_done();
  }

  // ---- reads --------------------------------------------------------------------------------

  void start_reads() {
    const auto [first, last] = o_.slice(o_.connections);
    for (long c = first; c < last; ++c) {
      conns_.push_back(
          std::make_unique<HttpConn>(ioc_.get_executor(), targets_.url(static_cast<std::size_t>(c)),
                                     targets_.source(static_cast<std::size_t>(c)), timeout_));
      free_.push_back(conns_.size() - 1);
    }
    const auto [rf, rl] = o_.slice(static_cast<long>(o_.rate * 1000));
    rate_ = static_cast<double>(rl - rf) / 1000.0;
    // At most 2 s of arrivals wait for a free connection; beyond that they are dropped (and
    // counted: a run that drops is over its capacity).
    max_pending_ = std::max<std::size_t>(1000, static_cast<std::size_t>(rate_ * 2));
    json::object info;
    info["connections"] = static_cast<std::int64_t>(conns_.size());
    emit_ready(std::move(info));
    spawn(read_generator());
  }

  asio::awaitable<void> read_generator() {
    co_await wait_go();
    asio::steady_timer t(ioc_);
    std::uint64_t issued = 0, reads = 0;
    while (!finished_) {
      const auto now = Clock::now();
      if (now >= end_) break;
      const auto due =
          static_cast<std::uint64_t>(std::chrono::duration<double>(now - go_time_).count() * rate_);
      for (; issued < due; ++issued) {
        Pending p;
        p.intended = go_time_ + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(issued / rate_));
        p.kind = (o_.list_every > 0 && issued % o_.list_every == 0) ? 1 : 0;
        p.show = p.kind ? 0 : reads++ % views_.size();
        if (pending_.size() >= max_pending_) {
          report_.add("dropped");
          report_.error("reads", "dropped");
          ++tick_errors_;
          continue;
        }
        pending_.push_back(p);
      }
      dispatch();
      t.expires_after(std::chrono::milliseconds(1));
      auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ec;
    }
    generating_ = false;
    if (inflight_ == 0 && pending_.empty()) finish();
  }

  void dispatch() {
    while (!free_.empty() && !pending_.empty()) {
      const std::size_t c = free_.back();
      free_.pop_back();
      const Pending p = pending_.front();
      pending_.pop_front();
      ++inflight_;
      spawn(read_one(c, p));
    }
  }

  asio::awaitable<void> read_one(std::size_t c, Pending p) {
    Request req;
    if (p.kind == 1) {
      req.target = "/api/v1/shows?limit=50";
    } else {
      req.target = "/api/v1/shows/" + std::to_string(views_[p.show].id) + "/seats";
    }
    req.accept_gzip = o_.accept_gzip;
    Response r = co_await conns_[c]->request(std::move(req));
    // From the intended send time: a server that falls behind cannot hide it (coordinated
    // omission).
    record(p.kind == 1 ? "list" : "seats", p.intended, r, r.status == 200);
    report_.add("bytes", static_cast<std::int64_t>(r.bytes));
    if (r.status == 0) co_await sleep_for(std::chrono::milliseconds(10));
    free_.push_back(c);
    --inflight_;
    if (!generating_ && inflight_ == 0 && pending_.empty()) finish();
    dispatch();
  }

  // ---- sockets ------------------------------------------------------------------------------

  void start_sockets() {
    const auto [first, last] = o_.slice(o_.sockets);
    first_socket_ = first;
    local_sockets_ = static_cast<std::size_t>(last - first);
    const std::size_t k = plan_.changes.size();
    // Bounded: --changes (at most 1,000) x this process's sockets.
    arrivals_.assign(k * local_sockets_, 0);
    for (std::size_t i = 0; i < k; ++i)
      change_index_.emplace(plan_.changes[i].seat + "|" + plan_.changes[i].status, i);
    open_started_ = Clock::now();
    const std::size_t lanes = std::min<std::size_t>(256, local_sockets_);
    if (lanes == 0) sockets_ready();
    for (std::size_t lane = 0; lane < lanes; ++lane) spawn(socket_opener());
  }

  void sockets_ready() {
    json::object info;
    info["opened"] = ws_open_;
    info["failed"] = report_.counter("sockets_failed");
    info["connect_s"] = std::chrono::duration<double>(Clock::now() - open_started_).count();
    emit_ready(std::move(info));
  }

  asio::awaitable<void> socket_opener() {
    auto ex = co_await asio::this_coro::executor;
    while (next_socket_ < local_sockets_) {
      const std::size_t i = next_socket_++;
      const auto global = static_cast<std::size_t>(first_socket_) + i;
      auto ws = std::make_shared<WsConn>(ex, targets_.url(global), targets_.source(global));
      const auto t0 = Clock::now();
      const std::string err = co_await ws->open(plan_.show_ids.at(0), timeout_, nullptr);
      Response r;
      r.status = err.empty() ? 101 : 0;
      record("connect", t0, r, err.empty());
      if (err.empty()) {
        ++ws_open_;
        report_.add("sockets_opened");
        spawn(socket_reader(ws, i));
      } else {
        report_.add("sockets_failed");
        if (report_.counter("sockets_failed") <= 3) std::cerr << "socket: " << err << "\n";
      }
      if (++sockets_done_ == local_sockets_) sockets_ready();
    }
  }

  asio::awaitable<void> socket_reader(std::shared_ptr<WsConn> ws, std::size_t i) {
    for (;;) {
      WsConn::Frame f = co_await ws->read();
      if (!f.error.empty()) {
        --ws_open_;
        report_.add("sockets_closed");
        co_return;
      }
      const auto at = now_ns();
      report_.add("live_frames");
      if (f.text.find("\"changes\"") == std::string::npos) continue;
      const auto v = json::parse(f.text);
      for (const auto& c : v.at("changes").as_array()) {
        std::string key(c.at("seat").as_string());
        key += "|";
        key += c.at("status").as_string();
        auto it = change_index_.find(key);
        if (it == change_index_.end()) continue;
        auto& slot = arrivals_[it->second * local_sockets_ + i];
        if (slot == 0) slot = at;
      }
    }
  }

  void sockets_result(const json::value& v) {
    const auto& sent = v.at("sent").as_array();
    auto& delivery = report_.ops["delivery"];
    std::int64_t missed = 0, sockets_missing = 0, within_1s = 0;
    const std::size_t k = std::min(sent.size(), plan_.changes.size());
    std::vector<bool> socket_missed(local_sockets_, false);  // one flag per socket
    for (std::size_t c = 0; c < k; ++c) {
      const auto t = sent[c].to_number<std::int64_t>();
      for (std::size_t i = 0; i < local_sockets_; ++i) {
        const auto a = arrivals_[c * local_sockets_ + i];
        if (a == 0) {
          ++missed;
          socket_missed[i] = true;
          continue;
        }
        const auto us = std::max<std::int64_t>(0, (a - t) / 1000);
        delivery.record_us(static_cast<std::uint64_t>(us));
        within_1s += us <= 1'000'000;
      }
    }
    for (bool m : socket_missed) sockets_missing += m;
    report_.add("changes_expected", static_cast<std::int64_t>(k * local_sockets_));
    report_.add("changes_delivered", static_cast<std::int64_t>(delivery.count()));
    report_.add("changes_within_1s", within_1s);
    report_.add("changes_missed", missed);
    report_.add("sockets_missed_a_change", sockets_missing);
    report_.duration_s = std::chrono::duration<double>(Clock::now() - open_started_).count();
    go_ = false;  // duration already set
    finish();
  }

  const Options& o_;
  Plan plan_;
  asio::io_context ioc_{1};
  asio::steady_timer go_gate_;
  asio::posix::stream_descriptor stdin_;
  std::chrono::milliseconds timeout_;
  std::mt19937_64 rng_;
  Targets targets_;
  Report report_;
  std::vector<ShowView> views_;  // one per show of the plan

  bool go_ = false, finished_ = false;
  Clock::time_point go_time_{}, end_ = Clock::time_point::max();
  long active_ = 0;

  // this second's numbers, sent with the next tick
  std::int64_t tick_requests_ = 0, tick_errors_ = 0, tick_bookings_ = 0, tick_tickets_ = 0;
  std::int64_t ws_open_ = 0;
  Histogram tick_hist_;

  // onsale
  long first_user_ = 0, last_user_ = 0, users_waiting_ = 0, signups_left_ = 0;
  std::map<long, std::string> tokens_;  // account -> token: at most this process's users
  std::vector<long> accounts_todo_;     // the same accounts, once
  std::size_t next_signup_ = 0;

  // reads
  std::vector<std::unique_ptr<HttpConn>> conns_;  // this process's share of --connections
  std::vector<std::size_t> free_;                 // idle ones: at most conns_.size()
  std::deque<Pending> pending_;                   // arrivals waiting: at most max_pending_
  std::size_t max_pending_ = 0;
  std::int64_t inflight_ = 0;
  double rate_ = 0;
  bool generating_ = true;

  // sockets
  long first_socket_ = 0;
  std::size_t local_sockets_ = 0, next_socket_ = 0, sockets_done_ = 0;
  Clock::time_point open_started_{};
  std::vector<std::int64_t> arrivals_;  // [change][socket] -> steady ns, 0 = not yet
  std::unordered_map<std::string, std::size_t> change_index_;  // "seat|status" -> change
};

}  // namespace

int run_worker(const Options& o) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  try {
    const std::string first = read_first_line();
    Worker w(o, Plan::from_json(json::parse(first)));
    return w.run();
  } catch (const std::exception& e) {
    json::object line;
    line["fatal"] = e.what();
    write_line(line);
    return 2;
  }
}

}  // namespace load
