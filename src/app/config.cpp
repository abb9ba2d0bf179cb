#include "app/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace boxoffice {
namespace {

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The items of a comma-separated list, as written (a trailing comma adds no item).
std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    items.push_back(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return items;
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

Error bad(const std::string& var, const std::string& why) {
  // The message quotes the value: control characters would break the one-line promise.
  std::string line = var + ": " + why;
  for (char& c : line)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  return Error::invalid(var, line);
}

}  // namespace

const std::vector<Setting>& settings() {
  static const std::vector<Setting> all = {
      {"BOXOFFICE_LISTEN", "--listen", "address:port to serve on (default 127.0.0.1:8080)"},
      {"BOXOFFICE_DATA_DIR", "--data-dir", "embedded store location (default ./data)"},
      {"BOXOFFICE_COMMAND_DB_URL", "--command-db-url",
       "PostgreSQL for writes; unset means embedded"},
      {"BOXOFFICE_QUERY_DB_URL", "--query-db-url",
       "PostgreSQL for reads (default: the command DB)"},
      {"BOXOFFICE_DB_MAX_CONNS", "--db-max-conns", "pool upper bound per instance (default 100)"},
      {"BOXOFFICE_DB_MIN_CONNS", "--db-min-conns", "pool lower bound per instance (default 20)"},
      {"BOXOFFICE_DB_CONN_LIFETIME", "--db-conn-lifetime", "connection recycling age (default 1h)"},
      {"BOXOFFICE_DB_IDLE_TIMEOUT", "--db-idle-timeout", "idle connection timeout (default 30m)"},
      {"BOXOFFICE_DB_COMMITTERS", "--db-committers",
       "group-commit transactions in flight at once on the command DB (default 2)"},
      {"BOXOFFICE_DB_ACQUIRE_TIMEOUT", "--db-acquire-timeout",
       "longest a request waits for a free database connection before 503 (default 2s)"},
      {"BOXOFFICE_DB_QUERY_TIMEOUT", "--db-query-timeout",
       "longest one database statement or transaction may take before 503 (default 5s)"},
      {"BOXOFFICE_REDIS_URL", "--redis-url", "redis://host:port or a comma list of cluster seeds"},
      {"BOXOFFICE_REDIS_NAMESPACE", "--redis-namespace",
       "prefix of every Redis key and channel, for deployments sharing one Redis (default none)"},
      {"BOXOFFICE_HOLD_TTL", "--hold-ttl", "seat hold length (default 10s)"},
      {"BOXOFFICE_MAX_SEATS_PER_HOLD", "--max-seats-per-hold",
       "seats per hold at most (default 10)"},
      {"BOXOFFICE_MAX_HELD_SEATS_PER_USER", "--max-held-seats-per-user",
       "seats one user may hold in one show at once, across holds (default 10)"},
      {"BOXOFFICE_CACHE_TTL_SEATS", "--cache-ttl-seats", "seat map cache TTL (default 5s)"},
      {"BOXOFFICE_CACHE_TTL_SHOWS", "--cache-ttl-shows", "show list cache TTL (default 30s)"},
      {"BOXOFFICE_CACHE_TTL_MOVIES", "--cache-ttl-movies", "movie list cache TTL (default 60s)"},
      {"BOXOFFICE_RATE_LIMIT_PER_MIN", "--rate-limit-per-min",
       "requests per client IP per minute (default 5000)"},
      {"BOXOFFICE_AUTH_RATE_LIMIT_PER_MIN", "--auth-rate-limit-per-min",
       "sign-ins and registrations per client IP and per account per minute (default 20)"},
      {"BOXOFFICE_TRUSTED_PROXIES", "--trusted-proxies",
       "comma-separated CIDRs whose X-Forwarded-For is believed"},
      {"BOXOFFICE_THREADS", "--threads", "I/O threads (default: number of cores)"},
      {"BOXOFFICE_LIVE_THREADS", "--live-threads",
       "threads for live WebSockets, so a fan-out does not queue ahead of requests (default 0: "
       "on the I/O threads)"},
      {"BOXOFFICE_ADMIN_EMAIL", "--admin-email", "ensure an admin account with this email"},
      {"BOXOFFICE_ADMIN_PASSWORD", "--admin-password", "password of that admin account"},
      {"BOXOFFICE_DEMO", "--demo", "1: seed a demo catalog into an empty store", true},
      {"BOXOFFICE_LOG_LEVEL", "--log-level", "debug, info, warn or error (default info)"},
      {"BOXOFFICE_HEADER_TIMEOUT", "--header-timeout",
       "time allowed to send request headers (default 10s)"},
      {"BOXOFFICE_IDLE_TIMEOUT", "--idle-timeout", "keep-alive idle timeout (default 60s)"},
      {"BOXOFFICE_MAX_CONNECTIONS", "--max-connections",
       "concurrent connections at most (default 10000)"},
      {"BOXOFFICE_MAX_CONNECTIONS_PER_CLIENT", "--max-connections-per-client",
       "concurrent connections from one client address at most; trusted proxies are exempt "
       "(default 1000)"},
      {"BOXOFFICE_MAX_BODY_BYTES", "--max-body-bytes",
       "request body limit in bytes (default 1048576)"},
      {"BOXOFFICE_SESSION_TTL", "--session-ttl", "session token lifetime (default 24h)"},
      {"BOXOFFICE_SHUTDOWN_TIMEOUT", "--shutdown-timeout",
       "time to finish in-flight requests on SIGTERM (default 10s)"},
  };
  return all;
}

std::optional<Millis> parse_duration(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0 || i > 12) return std::nullopt;
  auto n = parse_int(text.substr(0, i));
  if (!n) return std::nullopt;
  const auto unit = text.substr(i);
  std::int64_t ms = 0;
  if (unit == "ms")
    ms = *n;
  else if (unit == "s")
    ms = *n * 1000;
  else if (unit == "m")
    ms = *n * 60'000;
  else if (unit == "h")
    ms = *n * 3'600'000;
  else
    return std::nullopt;
  return Millis(ms);
}

bool parse_listen(std::string_view text, std::string& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto h = text.substr(0, colon);
  if (h.front() == '[') {
    if (h.back() != ']') return false;
    h = h.substr(1, h.size() - 2);
    auto ip = parse_ip(h);
    if (!ip || !ip->v6) return false;
  } else if (h.find(':') != std::string_view::npos) {
    return false;  // IPv6 needs brackets
  } else if (!parse_ip(h) && h != "localhost") {
    return false;
  }
  auto p = parse_int(text.substr(colon + 1));
  if (!p || *p < 0 || *p > 65535) return false;
  host = h == "localhost" ? "127.0.0.1" : std::string(h);
  port = static_cast<std::uint16_t>(*p);
  return true;
}

Result<Config> parse_config(const std::map<std::string, std::string>& values, int default_threads) {
  Config c;
  c.threads = default_threads > 0 ? default_threads : 1;
  auto get = [&](const char* var) -> const std::string* {
    auto it = values.find(var);
    return it == values.end() ? nullptr : &it->second;
  };
  auto duration = [&](const char* var, Millis& out, Millis min,
                      Millis max) -> std::optional<Error> {
    const std::string* v = get(var);
    if (!v) return std::nullopt;
    auto d = parse_duration(*v);
    if (!d) return bad(var, "'" + *v + "' is not a duration (use e.g. 500ms, 10s, 30m or 1h)");
    if (*d < min || *d > max) return bad(var, "'" + *v + "' is out of range");
    out = *d;
    return std::nullopt;
  };
  auto integer = [&](const char* var, auto& out, std::int64_t min,
                     std::int64_t max) -> std::optional<Error> {
    const std::string* v = get(var);
    if (!v) return std::nullopt;
    auto n = parse_int(*v);
    if (!n) return bad(var, "'" + *v + "' is not a whole number");
    if (*n < min || *n > max)
      return bad(var, "'" + *v + "' must be between " + std::to_string(min) + " and " +
                          std::to_string(max));
    out = static_cast<std::remove_reference_t<decltype(out)>>(*n);
    return std::nullopt;
  };
  using namespace std::chrono_literals;
  const Millis day = 24h;
  std::optional<Error> e;
  if (const std::string* v = get("BOXOFFICE_LISTEN");
      v && !parse_listen(*v, c.listen_host, c.listen_port))
    return bad("BOXOFFICE_LISTEN", "'" + *v + "' is not address:port with a port from 0 to 65535");
  if (const std::string* v = get("BOXOFFICE_DATA_DIR")) {
    if (v->empty()) return bad("BOXOFFICE_DATA_DIR", "must not be empty");
    c.data_dir = *v;
  }
  for (const char* var : {"BOXOFFICE_COMMAND_DB_URL", "BOXOFFICE_QUERY_DB_URL"}) {
    if (const std::string* v = get(var); v && !v->empty()) {
      if (v->rfind("postgresql://", 0) != 0 && v->rfind("postgres://", 0) != 0)
        return bad(var, "must be a postgresql:// URL");
      (std::string_view(var) == "BOXOFFICE_COMMAND_DB_URL" ? c.command_db_url : c.query_db_url) =
          *v;
    }
  }
  if (!c.query_db_url.empty() && c.command_db_url.empty())
    return bad("BOXOFFICE_QUERY_DB_URL", "needs BOXOFFICE_COMMAND_DB_URL as well");
  if ((e = integer("BOXOFFICE_DB_MAX_CONNS", c.db_max_conns, 1, 10000))) return *e;
  if ((e = integer("BOXOFFICE_DB_MIN_CONNS", c.db_min_conns, 0, 10000))) return *e;
  if (c.db_min_conns > c.db_max_conns)
    return bad("BOXOFFICE_DB_MIN_CONNS", "must not exceed BOXOFFICE_DB_MAX_CONNS");
  if ((e = integer("BOXOFFICE_DB_COMMITTERS", c.db_committers, 1, 64))) return *e;
  if ((e = duration("BOXOFFICE_DB_CONN_LIFETIME", c.db_conn_lifetime, 1s, 30 * day))) return *e;
  if ((e = duration("BOXOFFICE_DB_IDLE_TIMEOUT", c.db_idle_timeout, 1s, 30 * day))) return *e;
  if ((e = duration("BOXOFFICE_DB_ACQUIRE_TIMEOUT", c.db_acquire_timeout, 10ms, 10min))) return *e;
  if ((e = duration("BOXOFFICE_DB_QUERY_TIMEOUT", c.db_query_timeout, 100ms, 10min))) return *e;
  if (const std::string* v = get("BOXOFFICE_REDIS_URL"); v && !v->empty()) {
    for (auto node : split_list(*v)) {
      if (node.rfind("redis://", 0) == 0) node.remove_prefix(8);
      const auto colon = node.rfind(':');
      const auto port =
          colon == std::string_view::npos ? std::nullopt : parse_int(node.substr(colon + 1));
      if (colon == 0 || !port || *port < 1 || *port > 65535)
        return bad("BOXOFFICE_REDIS_URL", "'" + std::string(node) + "' is not redis://host:port");
    }
    c.redis_url = *v;
  }
  if (const std::string* v = get("BOXOFFICE_REDIS_NAMESPACE")) {
    // Inside hash tags and key names: letters, digits and a few separators only.
    if (v->size() > 64 || !std::all_of(v->begin(), v->end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' ||
                 ch == ':' || ch == '.';
        }))
      return bad("BOXOFFICE_REDIS_NAMESPACE",
                 "use at most 64 letters, digits and _ - : . characters");
    c.redis_namespace = *v;
  }
  if ((e = duration("BOXOFFICE_HOLD_TTL", c.hold_ttl, 100ms, day))) return *e;
  if ((e = integer("BOXOFFICE_MAX_SEATS_PER_HOLD", c.max_seats_per_hold, 1, 100))) return *e;
  if ((e = integer("BOXOFFICE_MAX_HELD_SEATS_PER_USER", c.max_held_seats_per_user, 1, 10000)))
    return *e;
  if ((e = duration("BOXOFFICE_CACHE_TTL_SEATS", c.cache_ttl_seats, 0ms, day))) return *e;
  if ((e = duration("BOXOFFICE_CACHE_TTL_SHOWS", c.cache_ttl_shows, 0ms, day))) return *e;
  if ((e = duration("BOXOFFICE_CACHE_TTL_MOVIES", c.cache_ttl_movies, 0ms, day))) return *e;
  if ((e = integer("BOXOFFICE_RATE_LIMIT_PER_MIN", c.rate_limit_per_min, 1, 100'000'000)))
    return *e;
  if ((e = integer("BOXOFFICE_AUTH_RATE_LIMIT_PER_MIN", c.auth_rate_limit_per_min, 1, 100'000'000)))
    return *e;
  if (const std::string* v = get("BOXOFFICE_TRUSTED_PROXIES")) {
    for (auto raw : split_list(*v)) {
      const auto item = trim_spaces(raw);
      if (item.empty()) continue;
      auto cidr = parse_cidr(item);
      if (!cidr)
        return bad("BOXOFFICE_TRUSTED_PROXIES",
                   "'" + std::string(item) + "' is not a CIDR such as 10.0.0.0/8");
      c.trusted_proxies.push_back(*cidr);
    }
  }
  if ((e = integer("BOXOFFICE_THREADS", c.threads, 1, 256))) return *e;
  if ((e = integer("BOXOFFICE_LIVE_THREADS", c.live_threads, 0, 64))) return *e;
  if (const std::string* v = get("BOXOFFICE_ADMIN_EMAIL")) c.admin_email = *v;
  if (const std::string* v = get("BOXOFFICE_ADMIN_PASSWORD")) c.admin_password = *v;
  if (c.admin_email.empty() != c.admin_password.empty())
    return bad(c.admin_email.empty() ? "BOXOFFICE_ADMIN_EMAIL" : "BOXOFFICE_ADMIN_PASSWORD",
               "must be set together with " + std::string(c.admin_email.empty()
                                                              ? "BOXOFFICE_ADMIN_PASSWORD"
                                                              : "BOXOFFICE_ADMIN_EMAIL"));
  if (!c.admin_password.empty() && c.admin_password.size() < 8)
    return bad("BOXOFFICE_ADMIN_PASSWORD", "must be at least 8 characters");
  if (const std::string* v = get("BOXOFFICE_DEMO")) {
    if (*v == "1" || *v == "true")
      c.demo = true;
    else if (*v == "0" || *v == "false" || v->empty())
      c.demo = false;
    else
      return bad("BOXOFFICE_DEMO", "'" + *v + "' must be 1 or 0");
  }
  if (const std::string* v = get("BOXOFFICE_LOG_LEVEL");
      v && !logging::parse_level(*v, c.log_level))
    return bad("BOXOFFICE_LOG_LEVEL", "'" + *v + "' must be debug, info, warn or error");
  if ((e = duration("BOXOFFICE_HEADER_TIMEOUT", c.header_timeout, 100ms, day))) return *e;
  if ((e = duration("BOXOFFICE_IDLE_TIMEOUT", c.idle_timeout, 100ms, day))) return *e;
  if ((e = integer("BOXOFFICE_MAX_CONNECTIONS", c.max_connections, 1, 1'000'000))) return *e;
  if ((e = integer("BOXOFFICE_MAX_CONNECTIONS_PER_CLIENT", c.max_connections_per_client, 1,
                   1'000'000)))
    return *e;
  if ((e = integer("BOXOFFICE_MAX_BODY_BYTES", c.max_body_bytes, 1024, 64 * 1024 * 1024)))
    return *e;
  if ((e = duration("BOXOFFICE_SESSION_TTL", c.session_ttl, 1s, 365 * day))) return *e;
  if ((e = duration("BOXOFFICE_SHUTDOWN_TIMEOUT", c.shutdown_timeout, 0ms,
                    std::chrono::minutes(10))))
    return *e;
  return c;
}

}  // namespace boxoffice
