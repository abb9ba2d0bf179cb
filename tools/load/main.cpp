// boxoffice-load: one load tool for boxoffice (issue 14). Modes:
//   onsale   virtual users sign in, (optionally) watch the show's live WebSocket, read the seat
//            map and race to hold and book seats until the shows are sold out or --duration ends
//   reads    seat-map and show-list reads at a fixed arrival rate (open loop, latency from the
//            intended send time)
//   sockets  N idle live WebSockets, then K seat changes made by the tool, timing the arrival of
//            each change at every socket
// The parent sets up the catalog, starts --procs workers (this binary again, each with a slice of
// the users), prints a progress line a second, merges the workers' histograms and checks the
// confirmed bookings against the server's seat maps (the oversell check).
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "api.hpp"
#include "histogram.hpp"
#include "http_client.hpp"
#include "options.hpp"
#include "report.hpp"
#include "worker.hpp"

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace load {
namespace {

long rss_kib(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

struct WorkerProc {
  pid_t pid = -1;
  int in = -1;   // its stdin
  int out = -1;  // its stdout
  bool ready = false, exited = false;
  json::object ready_info;
  std::optional<Report> result;
  std::string fatal;
  std::int64_t ws = 0;  // sockets open at its last tick
};

struct Row {  // one second of the time series
  double t = 0;
  std::int64_t requests = 0, errors = 0, sockets = 0, tickets = 0;
  double p99_ms = 0;
  std::vector<long> rss_kib;  // one per --server-pid
};

class Parent {
 public:
  explicit Parent(Options o) : o_(std::move(o)) {}

  int run(int argc, char** argv) {
    for (const auto& u : o_.urls) urls_.push_back(parse_url(u));
    timeout_ = std::chrono::milliseconds(static_cast<long>(o_.timeout_s * 1000));
    plan_.tag = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count() %
                               100000000000) +
                "p" + std::to_string(::getpid());
    plan_.show_ids = choose_shows();
    if (o_.mode == "sockets") plan_sockets();
    for (int pid : o_.server_pids) rss_start_.push_back(rss_kib(pid));

    start_workers(argc, argv);
    std::thread ticker([this] { tick_loop(); });
    int status = 0;
    try {
      status = orchestrate();
    } catch (const std::exception& e) {
      std::cerr << "boxoffice-load: " << e.what() << "\n";
      status = 2;
    }
    {
      std::lock_guard lock(mu_);
      stop_ticker_ = true;
    }
    cv_.notify_all();
    ticker.join();
    for (auto& w : workers_) {
      ::close(w.in);
      int st = 0;
      ::waitpid(w.pid, &st, 0);
    }
    for (auto& t : readers_) t.join();
    if (status == 2) return status;
    return finish_report();
  }

 private:
  // ---- setup ------------------------------------------------------------------------------------

  std::vector<long> choose_shows() {
    if (!o_.show_ids.empty()) return o_.show_ids;
    if (!o_.admin_email.empty()) {
      auto ids = create_catalog(urls_.at(0), o_);
      if (!o_.json) std::cerr << "created " << ids.size() << " shows of " << o_.seats << " seats\n";
      return ids;
    }
    Request req;
    req.target = "/api/v1/shows?limit=" + std::to_string(std::min(200, std::max(1, o_.shows)));
    const auto r = sync_request(urls_.at(0), std::move(req), timeout_);
    if (r.status != 200) throw std::runtime_error("GET /api/v1/shows: " + std::to_string(r.status));
    std::vector<long> ids;
    for (const auto& s : json::parse(r.body).at("items").as_array())
      ids.push_back(s.at("id").to_number<long>());
    if (ids.empty())
      throw std::runtime_error("no shows: give --show-ids or --admin-email/--admin-password");
    return ids;
  }

  void plan_sockets() {
    changer_token_ =
        sync_sign_in(urls_.at(0), account_email(plan_.tag, 999999999), o_.password, true);
    Request req;
    req.target = "/api/v1/shows/" + std::to_string(plan_.show_ids.at(0)) + "/seats";
    const auto map = parse_seat_map(sync_request(urls_.at(0), std::move(req), timeout_).body);
    // Change k: hold seat k/2 (even k), then release it (odd k); seats from the end of the hall.
    std::vector<std::string> seats;
    for (std::size_t i = map.ids.size(); i-- > 0 && seats.size() * 2 < std::size_t(o_.changes);)
      if (map.states[i] == SeatState::available) seats.push_back(map.ids[i]);
    for (const auto& s : seats) {
      if (plan_.changes.size() < std::size_t(o_.changes)) plan_.changes.push_back({s, "held"});
      if (plan_.changes.size() < std::size_t(o_.changes)) plan_.changes.push_back({s, "available"});
    }
    if (plan_.changes.empty()) throw std::runtime_error("no available seat to change");
  }

  // ---- workers ----------------------------------------------------------------------------------

  void start_workers(int argc, char** argv) {
    const int n = std::max(1, o_.procs);
    workers_.resize(static_cast<std::size_t>(n));
    const std::string plan_line = json::serialize(plan_.to_json()) + "\n";
    for (int i = 0; i < n; ++i) {
      int to_child[2], from_child[2];
      if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
      std::vector<std::string> args(argv, argv + argc);
      args.push_back("--worker-index");
      args.push_back(std::to_string(i));
      args.push_back("--worker-count");
      args.push_back(std::to_string(n));
      const pid_t pid = ::fork();
      if (pid < 0) throw std::runtime_error("fork failed");
      if (pid == 0) {
        ::dup2(to_child[0], 0);
        ::dup2(from_child[1], 1);
        std::vector<char*> cargs;
        for (auto& a : args) cargs.push_back(a.data());
        cargs.push_back(nullptr);
        ::execv("/proc/self/exe", cargs.data());
        std::perror("execv");
        std::_Exit(127);
      }
      ::close(to_child[0]);
      ::close(from_child[1]);
      auto& w = workers_[static_cast<std::size_t>(i)];
      w.pid = pid;
      w.in = to_child[1];
      w.out = from_child[0];
      send(w, plan_line);
    }
    for (std::size_t i = 0; i < workers_.size(); ++i)
      readers_.emplace_back([this, i] { read_worker(i); });
  }

  static void send(WorkerProc& w, const std::string& line) {
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      const ssize_t n = ::write(w.in, p, left);
      if (n <= 0) return;  // it exited; its reader notices
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  void send_all(const std::string& line) {
    for (auto& w : workers_) send(w, line);
  }

  void read_worker(std::size_t i) {
    FILE* f = ::fdopen(workers_[i].out, "r");
    char* buf = nullptr;
    std::size_t cap = 0;
    ssize_t n;
    while ((n = ::getline(&buf, &cap, f)) > 0) {
      json::value v;
      try {
        v = json::parse(std::string_view(buf, static_cast<std::size_t>(n)));
      } catch (const std::exception&) {
        continue;
      }
      const auto& o = v.as_object();
      std::lock_guard lock(mu_);
      auto& w = workers_[i];
      if (const auto* t = o.if_contains("tick")) {
        acc_requests_ += t->at("requests").to_number<std::int64_t>();
        acc_errors_ += t->at("errors").to_number<std::int64_t>();
        acc_tickets_ += t->at("tickets").to_number<std::int64_t>();
        w.ws = t->at("ws").to_number<std::int64_t>();
        acc_hist_.merge(Histogram::from_json(t->at("hist")));
      } else if (const auto* r = o.if_contains("ready")) {
        w.ready = true;
        w.ready_info = r->as_object();
        if (const auto* ws = w.ready_info.if_contains("ws")) w.ws = ws->to_number<std::int64_t>();
        if (const auto* ws = w.ready_info.if_contains("opened"))
          w.ws = ws->to_number<std::int64_t>();
      } else if (const auto* r = o.if_contains("result")) {
        w.result = Report::from_wire(*r);
      } else if (const auto* fatal = o.if_contains("fatal")) {
        w.fatal = std::string(fatal->as_string());
      }
      cv_.notify_all();
    }
    std::free(buf);
    std::fclose(f);
    std::lock_guard lock(mu_);
    workers_[i].exited = true;
    cv_.notify_all();
  }

  // Waits until pred() or a worker exits without it; false on a worker failure or the timeout.
  template <class Pred>
  bool wait_workers(Pred pred, std::chrono::seconds limit, const char* what) {
    std::unique_lock lock(mu_);
    const bool ok = cv_.wait_for(lock, limit, [&] {
      if (pred()) return true;
      for (auto& w : workers_)
        if (w.exited && !w.result) return true;
      return false;
    });
    if (pred()) return true;
    for (auto& w : workers_)
      if (w.exited && !w.result)
        std::cerr << "boxoffice-load: worker " << w.pid << " failed before " << what
                  << (w.fatal.empty() ? "" : ": " + w.fatal) << "\n";
    if (!ok) std::cerr << "boxoffice-load: timed out waiting for " << what << "\n";
    return false;
  }

  bool all_ready() {
    for (auto& w : workers_)
      if (!w.ready) return false;
    return true;
  }
  bool all_results() {
    for (auto& w : workers_)
      if (!w.result) return false;
    return true;
  }

  int orchestrate() {
    // Sign-ups (an argon2id hash each) and socket connects may take long: up to 30 min.
    if (!wait_workers([this] { return all_ready(); }, std::chrono::seconds(1800), "ready"))
      return 2;
    if (o_.mode == "sockets") return orchestrate_sockets();
    {
      std::lock_guard lock(mu_);
      go_at_ = Clock::now();
      going_ = true;
    }
    send_all("go\n");
    const auto limit = std::chrono::seconds(static_cast<long>(o_.duration_s) + 120);
    if (!wait_workers([this] { return all_results(); }, limit, "the results")) return 2;
    return 0;
  }

  int orchestrate_sockets() {
    std::int64_t opened = 0, failed = 0;
    double connect_s = 0;
    {
      std::lock_guard lock(mu_);
      for (auto& w : workers_) {
        opened += w.ready_info.at("opened").to_number<std::int64_t>();
        failed += w.ready_info.at("failed").to_number<std::int64_t>();
        connect_s = std::max(connect_s, w.ready_info.at("connect_s").to_number<double>());
      }
      go_at_ = Clock::now();
      going_ = true;
    }
    sockets_line_ = "sockets=" + std::to_string(o_.sockets) +
                    " connected=" + std::to_string(opened) + " failed=" + std::to_string(failed) +
                    " connect_s=" + std::to_string(connect_s);
    // The server's memory once the connect storm has settled.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    for (std::size_t i = 0; i < o_.server_pids.size(); ++i) {
      const long after = rss_kib(o_.server_pids[i]);
      char line[256];
      std::snprintf(line, sizeof line,
                    "server_rss_kib pid=%d before=%ld after_2s=%ld per_socket_kib=%.2f",
                    o_.server_pids[i], rss_start_[i], after,
                    static_cast<double>(after - rss_start_[i]) /
                        static_cast<double>(std::max<std::int64_t>(1, opened)));
      rss_lines_.push_back(line);
    }
    asio::io_context ioc;
    HttpConn conn(ioc.get_executor(), urls_.at(0), std::nullopt, timeout_);
    auto call = [&](Request req) {
      Response out;
      asio::co_spawn(ioc, conn.request(std::move(req)), [&out](std::exception_ptr e, Response r) {
        if (e) std::rethrow_exception(e);
        out = std::move(r);
      });
      ioc.restart();
      ioc.run();
      return out;
    };
    json::array sent;
    std::string hold_id;
    for (const auto& c : plan_.changes) {
      std::this_thread::sleep_for(std::chrono::duration<double>(o_.change_interval_s));
      Request req;
      req.token = changer_token_;
      if (c.status == "held") {
        req.verb = http::verb::post;
        req.target = "/api/v1/shows/" + std::to_string(plan_.show_ids.at(0)) + "/holds";
        req.body = seats_body({c.seat});
      } else {
        req.verb = http::verb::delete_;
        req.target = "/api/v1/holds/" + hold_id;
      }
      sent.emplace_back(now_ns());
      const auto r = call(std::move(req));
      if (c.status == "held" && r.status == 201) {
        hold_id = std::string(json::parse(r.body).at("hold_id").as_string());
      } else if (r.status != 204) {
        std::cerr << "change " << c.seat << " " << c.status << ": " << r.status << " " << r.error
                  << " " << r.body.substr(0, 200) << "\n";
      }
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(o_.settle_s));
    json::object line;
    line["sent"] = std::move(sent);
    send_all(json::serialize(line) + "\n");
    if (!wait_workers([this] { return all_results(); }, std::chrono::seconds(120), "the results"))
      return 2;
    return 0;
  }

  // ---- progress and the time series
  // --------------------------------------------------------------

  void tick_loop() {
    const bool tty = ::isatty(2);
    const auto start = Clock::now();
    auto next = start;
    std::unique_lock lock(mu_);
    while (!stop_ticker_) {
      next += std::chrono::seconds(1);
      cv_.wait_until(lock, next, [this] { return stop_ticker_; });
      if (stop_ticker_) break;
      Row row;
      row.t = std::chrono::duration<double>(Clock::now() - (going_ ? go_at_ : start)).count();
      row.requests = acc_requests_;
      row.errors = acc_errors_;
      row.tickets = acc_tickets_;
      row.p99_ms = acc_hist_.percentile_ms(0.99);
      for (auto& w : workers_) row.sockets += w.ws;
      for (int pid : o_.server_pids) row.rss_kib.push_back(rss_kib(pid));
      acc_requests_ = acc_errors_ = acc_tickets_ = 0;
      acc_hist_.reset();
      if (going_ && rows_.size() < kMaxRows) rows_.push_back(row);
      if (o_.json && !tty) continue;
      char line[256];
      int n = std::snprintf(
          line, sizeof line, "[%s %5.0fs] %7lld req/s  %5lld errors  p99 %8.2f ms  %6lld sockets",
          going_ ? "run" : "prep", row.t, static_cast<long long>(row.requests),
          static_cast<long long>(row.errors), row.p99_ms, static_cast<long long>(row.sockets));
      if (row.tickets)
        n += std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), "  %6lld tickets/s",
                           static_cast<long long>(row.tickets));
      for (long r : row.rss_kib)
        n += std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), "  rss %ld MiB",
                           r / 1024);
      std::fprintf(stderr, tty ? "\r%s\033[K" : "%s\n", line);
    }
    if (tty) std::fprintf(stderr, "\n");
  }

  void write_timeseries() {
    if (o_.timeseries.empty()) return;
    std::ofstream f(o_.timeseries);
    f << "t,requests_per_s,p99_ms,errors,sockets,tickets_per_s";
    for (int pid : o_.server_pids) f << ",rss_kib_" << pid;
    f << "\n";
    for (const auto& r : rows_) {
      f << r.t << "," << r.requests << "," << r.p99_ms << "," << r.errors << "," << r.sockets << ","
        << r.tickets;
      for (long k : r.rss_kib) f << "," << k;
      f << "\n";
    }
  }

  // ---- the end ----------------------------------------------------------------------------------

  int finish_report() {
    Report all;
    for (auto& w : workers_)
      if (w.result) all.merge(*w.result);
    all.mode = o_.mode;
    int status = 0;
    std::optional<OversellResult> oversell;
    if (o_.mode == "onsale") {
      std::map<long, std::set<std::string>> booked;  // one entry per show of the run
      for (long show : plan_.show_ids) {
        try {
          const auto seats = booked_seats(urls_.at(0), show, timeout_);
          booked[show] = std::set<std::string>(seats.begin(), seats.end());
        } catch (const std::exception& e) {
          std::cerr << "oversell check: " << e.what() << "\n";
        }
      }
      oversell = check_oversell(all.bookings, booked);
      if (all.bookings_truncated) oversell->complete = oversell->ok = false;
      if (!oversell->ok) status = 1;
    }
    write_timeseries();

    const Histogram none;
    auto op = [&all, &none](const char* name) -> const Histogram& {
      auto it = all.ops.find(name);
      return it == all.ops.end() ? none : it->second;
    };
    const auto& h = op("hold");
    const auto& c = op("confirm");
    const double secs = all.duration_s > 0 ? all.duration_s : 1;
    if (o_.json) {
      json::object out = summary_json(all);
      if (oversell) out["oversell"] = oversell_json(*oversell);
      json::array ts;
      for (const auto& r : rows_) {
        json::object row;
        row["t"] = r.t;
        row["requests"] = r.requests;
        row["p99_ms"] = r.p99_ms;
        row["errors"] = r.errors;
        row["sockets"] = r.sockets;
        row["tickets"] = r.tickets;
        json::array rss;
        for (long k : r.rss_kib) rss.emplace_back(k);
        row["rss_kib"] = std::move(rss);
        ts.emplace_back(std::move(row));
      }
      out["timeseries"] = std::move(ts);
      json::array pids;
      for (int pid : o_.server_pids) pids.emplace_back(pid);
      out["server_pids"] = std::move(pids);
      if (!sockets_line_.empty()) out["sockets_line"] = sockets_line_;
      json::array rl;
      for (const auto& l : rss_lines_) rl.emplace_back(l);
      out["rss"] = std::move(rl);
      out["status"] = status;
      std::cout << json::serialize(out) << "\n";
      return status;
    }
    if (o_.mode == "onsale") {
      // The lines the removed boxoffice-loadgen printed, which the bench/ scripts read.
      std::printf("duration_s=%.2f users=%d bookings=%lld tickets=%lld failures=%lld\n", secs,
                  o_.users, static_cast<long long>(all.counter("bookings")),
                  static_cast<long long>(all.counter("tickets")),
                  static_cast<long long>(all.counter("failures")));
      std::printf("tickets_per_s=%.0f bookings_per_s=%.0f\n",
                  static_cast<double>(all.counter("tickets")) / secs,
                  static_cast<double>(all.counter("bookings")) / secs);
      std::printf("hold_ms p50=%.2f p99=%.2f max=%.2f\n", h.percentile_ms(0.5),
                  h.percentile_ms(0.99), h.max_ms());
      std::printf("confirm_ms p50=%.2f p99=%.2f max=%.2f\n", c.percentile_ms(0.5),
                  c.percentile_ms(0.99), c.max_ms());
    }
    if (o_.mode == "sockets") {
      // The lines the removed boxoffice-wsbench printed.
      std::printf("%s\n", sockets_line_.c_str());
      for (const auto& l : rss_lines_) std::printf("%s\n", l.c_str());
      const auto& d = op("delivery");
      std::printf("change_delivered=%lld/%lld p50_ms=%.1f p99_ms=%.1f max_ms=%.1f missed=%lld\n",
                  static_cast<long long>(all.counter("changes_delivered")),
                  static_cast<long long>(all.counter("changes_expected")), d.percentile_ms(0.5),
                  d.percentile_ms(0.99), d.max_ms(),
                  static_cast<long long>(all.counter("changes_missed")));
    }
    std::printf("%s", summary_text(all).c_str());
    if (oversell) {
      std::printf(
          "oversell check: %s (%lld confirmed seats, %lld in two bookings, %lld not booked on "
          "the seat map, %lld booked on the maps%s)\n",
          oversell->ok ? "OK" : "FAILED", static_cast<long long>(oversell->confirmed_seats),
          static_cast<long long>(oversell->seats_in_two_bookings),
          static_cast<long long>(oversell->confirmed_not_booked),
          static_cast<long long>(oversell->booked_seats_on_maps),
          oversell->complete ? "" : "; INCOMPLETE");
      for (const auto& e : oversell->examples) std::printf("  %s\n", e.c_str());
    }
    std::fflush(stdout);
    return status;
  }

  static constexpr std::size_t kMaxRows = 86'400;  // a day of seconds

  Options o_;
  std::vector<Url> urls_;
  std::chrono::milliseconds timeout_{30000};
  Plan plan_;
  std::string changer_token_;
  std::vector<long> rss_start_;       // one per --server-pid
  std::vector<WorkerProc> workers_;   // --procs of them
  std::vector<std::thread> readers_;  // one per worker
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ticker_ = false, going_ = false;
  Clock::time_point go_at_{};
  std::int64_t acc_requests_ = 0, acc_errors_ = 0, acc_tickets_ = 0;
  Histogram acc_hist_;
  std::vector<Row> rows_;  // at most kMaxRows
  std::string sockets_line_;
  std::vector<std::string> rss_lines_;  // one per --server-pid
};

}  // namespace
}  // namespace load

int main(int argc, char** argv) {
  load::Options o;
  CLI::App app{
      "boxoffice-load: load for boxoffice. Modes: onsale (users race to hold and book seats), "
      "reads (seat maps and show lists at a fixed rate), sockets (idle live WebSockets, then "
      "seat changes timed at every socket)"};
  app.add_option("mode", o.mode, "onsale | reads | sockets")
      ->required()
      ->check(CLI::IsMember({"onsale", "reads", "sockets"}));
  app.add_option("--url", o.urls, "http://host:port of a server (repeat: round-robin)");
  app.add_option("--host", o.host, "when no --url: the server's host");
  app.add_option("--port", o.port, "when no --url: the server's port");
  app.add_option("--source-addrs", o.source_addrs,
                 "local addresses to bind, round-robin: 127.0.0.2-127.0.0.20[,...]");
  app.add_option("--procs", o.procs, "worker processes (each opens at most ~20,000 sockets)")
      ->check(CLI::Range(1, 256));
  app.add_option("--threads", o.procs, "same as --procs (boxoffice-loadgen's flag)")
      ->check(CLI::Range(1, 256));
  app.add_option("--duration", o.duration_s, "seconds of load (onsale, reads)");
  app.add_option("--timeout", o.timeout_s, "seconds before a request or connect fails");
  app.add_flag("--json", o.json, "print the report as one JSON object");
  app.add_option("--server-pid", o.server_pids, "sample this process's RSS once a second");
  app.add_option("--timeseries", o.timeseries, "write per-second rows to this CSV file");
  app.add_option("--admin-email", o.admin_email, "create the catalog as this admin");
  app.add_option("--admin-password", o.admin_password);
  app.add_option("--show-ids", o.show_ids, "use these shows instead of creating any")
      ->delimiter(',');
  app.add_option("--shows", o.shows, "shows to create (or to take from GET /shows)")
      ->check(CLI::Range(1, 10000));
  app.add_option("--seats", o.seats, "seats per show created")->check(CLI::Range(1, 200000));
  app.add_option("--row-seats", o.row_seats, "seats per row of the hall created")
      ->check(CLI::Range(1, 10000));
  app.add_option("--users", o.users, "onsale: virtual users (one keep-alive connection each)")
      ->check(CLI::Range(0, 10000000));
  app.add_option("--accounts", o.accounts,
                 "onsale: accounts the users share (0: one each; sign-up is an argon2id hash)");
  app.add_option("--seats-per-booking", o.seats_per_booking)->check(CLI::Range(1, 10));
  app.add_option("--rate", o.rate,
                 "onsale: bookings/s in total (0: as fast as possible); reads: requests/s");
  app.add_option("--think-ms", o.think_ms,
                 "onsale: pause before a hold and before its confirm: "
                 "MS or MIN-MAX (uniform)");
  app.add_option("--pick", o.pick,
                 "onsale: race (random available seats, users contend) or partition (each user "
                 "its own seats, as boxoffice-loadgen)")
      ->check(CLI::IsMember({"race", "partition"}));
  app.add_flag("--live", o.live, "onsale: each user watches the show's live WebSocket");
  app.add_option("--password", o.password, "the password of the accounts the tool creates");
  app.add_option("--connections", o.connections, "reads: keep-alive connections in total")
      ->check(CLI::Range(1, 10000000));
  app.add_option("--list-every", o.list_every,
                 "reads: every Nth read is GET /shows (0: seat maps only)");
  app.add_flag("--accept-gzip", o.accept_gzip, "reads: send Accept-Encoding: gzip");
  app.add_option("--sockets", o.sockets, "sockets: live WebSockets in total")
      ->check(CLI::Range(0, 10000000));
  app.add_option("--changes", o.changes, "sockets: seat changes (a hold, then its release, ...)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--change-interval", o.change_interval_s, "sockets: seconds between changes");
  app.add_option("--settle", o.settle_s, "sockets: seconds to wait for the last change");
  app.add_option("--worker-index", o.worker_index)->group("");  // set by the parent
  app.add_option("--worker-count", o.worker_count)->group("");
  CLI11_PARSE(app, argc, argv);
  if (o.urls.empty()) o.urls.push_back("http://" + o.host + ":" + o.port);
  if (o.mode == "reads" && o.rate <= 0) {
    std::cerr << "reads needs --rate (requests/s): it is an open-loop test\n";
    return 2;
  }
  if (o.is_worker()) {
    const int rc = load::run_worker(o);
    std::fflush(stdout);
    std::_Exit(rc);
  }
  ::signal(SIGPIPE, SIG_IGN);
  try {
    load::Parent parent(o);
    return parent.run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "boxoffice-load: " << e.what() << "\n";
    return 2;
  }
}
