#pragma once
// Every setting of API.md's configuration table, plus the server's protection limits.
// Parsing is strict: a bad value is an error naming the variable, never a silent default.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.hpp"
#include "net/cidr.hpp"
#include "ops/log.hpp"

namespace boxoffice {

using Millis = std::chrono::milliseconds;

struct Config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::string data_dir = "./data";
  std::string command_db_url;
  std::string query_db_url;
  int db_max_conns = 100;
  int db_min_conns = 20;
  int db_committers = 2;
  Millis db_conn_lifetime = std::chrono::hours(1);
  Millis db_idle_timeout = std::chrono::minutes(30);
  Millis db_acquire_timeout = std::chrono::seconds(2);
  Millis db_query_timeout = std::chrono::seconds(5);
  std::string redis_url;
  std::string redis_namespace;
  Millis hold_ttl = std::chrono::seconds(10);
  int max_seats_per_hold = 10;
  int max_held_seats_per_user = 10;  // per show, across holds
  Millis cache_ttl_seats = std::chrono::seconds(5);
  Millis cache_ttl_shows = std::chrono::seconds(30);
  Millis cache_ttl_movies = std::chrono::seconds(60);
  int rate_limit_per_min = 5000;
  // Sign-in and registration (an argon2id hash each): per client IP and per account.
  int auth_rate_limit_per_min = 20;
  std::vector<Cidr> trusted_proxies;
  int threads = 1;
  int live_threads = 0;  // see http::ServerOptions::live_threads
  std::string admin_email;
  std::string admin_password;
  bool demo = false;
  logging::Level log_level = logging::Level::info;
  // Protection and lifecycle.
  Millis header_timeout = std::chrono::seconds(10);
  Millis idle_timeout = std::chrono::seconds(60);
  int max_connections = 10000;
  int max_connections_per_client = 1000;
  std::size_t max_body_bytes = 1024 * 1024;
  Millis session_ttl = std::chrono::hours(24);
  Millis shutdown_timeout = std::chrono::seconds(10);
};

struct Setting {
  const char* env;   // BOXOFFICE_...
  const char* flag;  // --...
  const char* help;
  bool is_switch = false;  // a flag without a value (--demo)
};

// Every setting, in the order of the README's table.
const std::vector<Setting>& settings();

// Durations: a whole number with ms, s, m or h ("500ms", "10s", "30m", "1h").
std::optional<Millis> parse_duration(std::string_view text);
// "host:port", "[v6]:port"; port 0 picks a free one.
bool parse_listen(std::string_view text, std::string& host, std::uint16_t& port);

// values: variable name -> raw text, for the variables that were set.
// On error the message is one line that starts with the variable's name.
Result<Config> parse_config(const std::map<std::string, std::string>& values, int default_threads);

}  // namespace boxoffice
