// boxoffice-load's command line, and the plan the parent hands each worker.
#pragma once

#include <string>
#include <vector>

#include <boost/json.hpp>

namespace load {

struct Options {
  std::string mode;  // onsale | reads | sockets
  std::vector<std::string> urls;
  std::string host = "127.0.0.1", port = "8080";  // when no --url is given (loadgen's flags)
  std::string source_addrs;
  int procs = 1;
  double duration_s = 10;
  double timeout_s = 30;
  bool json = false;
  std::vector<int> server_pids;
  std::string timeseries;
  // the catalog
  std::string admin_email, admin_password;
  std::vector<long> show_ids;
  int shows = 4;
  int seats = 20000;    // per show the tool creates
  int row_seats = 200;  // seats per row of the hall it creates
  // onsale
  int users = 100;
  int accounts = 0;  // distinct accounts the users share; 0 = one each
  int seats_per_booking = 2;
  double rate = 0;  // onsale: bookings/s in total; reads: requests/s in total
  std::string think_ms = "0";
  std::string pick = "race";  // race | partition
  bool live = false;
  std::string password = "load-password";
  // reads
  int connections = 64;
  int list_every = 10;  // every Nth read is the show list, the rest seat maps
  bool accept_gzip = false;
  // sockets
  int sockets = 1000;
  int changes = 10;
  double change_interval_s = 0.2;
  double settle_s = 2;
  // a worker (set by the parent when it starts one)
  int worker_index = -1;
  int worker_count = 1;

  bool is_worker() const { return worker_index >= 0; }
  // This worker's share [first, last) of n things.
  std::pair<long, long> slice(long n) const {
    const long first = n * worker_index / worker_count;
    const long last = n * (worker_index + 1) / worker_count;
    return {first, last};
  }
};

// Sent by the parent to each worker as the first line on its stdin.
struct Plan {
  std::string tag;  // names this run's accounts and idempotency keys
  std::vector<long> show_ids;
  struct Change {
    std::string seat, status;
  };
  std::vector<Change> changes;  // sockets mode: what the parent will change, in order

  boost::json::object to_json() const {
    boost::json::object o;
    o["tag"] = tag;
    boost::json::array ids;
    for (long id : show_ids) ids.emplace_back(id);
    o["show_ids"] = std::move(ids);
    boost::json::array ch;
    for (const auto& c : changes) {
      boost::json::object one;
      one["seat"] = c.seat;
      one["status"] = c.status;
      ch.emplace_back(std::move(one));
    }
    o["changes"] = std::move(ch);
    return o;
  }
  static Plan from_json(const boost::json::value& v) {
    Plan p;
    p.tag = std::string(v.at("tag").as_string());
    for (const auto& id : v.at("show_ids").as_array()) p.show_ids.push_back(id.to_number<long>());
    for (const auto& c : v.at("changes").as_array())
      p.changes.push_back(
          {std::string(c.at("seat").as_string()), std::string(c.at("status").as_string())});
    return p;
  }
};

}  // namespace load
