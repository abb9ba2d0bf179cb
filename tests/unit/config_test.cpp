#include <gtest/gtest.h>

#include "app/config.hpp"

using namespace boxoffice;
using namespace std::chrono_literals;

namespace {
Result<Config> parse(std::map<std::string, std::string> v) {
  return parse_config(v, 4);
}
std::string error_of(std::map<std::string, std::string> v) {
  auto r = parse(std::move(v));
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().fields.front().message;
}
}  // namespace

TEST(Duration, AcceptsEveryUnit) {
  EXPECT_EQ(parse_duration("500ms"), Millis(500));
  EXPECT_EQ(parse_duration("10s"), Millis(10'000));
  EXPECT_EQ(parse_duration("30m"), Millis(1'800'000));
  EXPECT_EQ(parse_duration("1h"), Millis(3'600'000));
  EXPECT_EQ(parse_duration("0s"), Millis(0));
}

TEST(Duration, RejectsMalformed) {
  for (const char* bad :
       {"", "banana", "10", "s", "10 s", "-5s", "1.5s", "10sec", "1d", "9999999999999h", "10S"})
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
}

TEST(Listen, ParsesHostAndPort) {
  std::string host;
  std::uint16_t port = 0;
  ASSERT_TRUE(parse_listen("127.0.0.1:8080", host, port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(parse_listen("[::1]:9000", host, port));
  EXPECT_EQ(host, "::1");
  ASSERT_TRUE(parse_listen("0.0.0.0:0", host, port));
  EXPECT_EQ(port, 0);
  for (const char* bad : {"127.0.0.1", ":80", "127.0.0.1:65536", "127.0.0.1:-1", "host.example:80",
                          "::1:80", "1.2.3.4:x"})
    EXPECT_FALSE(parse_listen(bad, host, port)) << bad;
}

TEST(Config, DefaultsMatchTheContract) {
  auto c = parse({});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->listen_host, "127.0.0.1");
  EXPECT_EQ(c->listen_port, 8080);
  EXPECT_EQ(c->data_dir, "./data");
  EXPECT_EQ(c->db_max_conns, 100);
  EXPECT_EQ(c->db_min_conns, 20);
  EXPECT_EQ(c->db_conn_lifetime, 1h);
  EXPECT_EQ(c->db_idle_timeout, 30min);
  EXPECT_EQ(c->hold_ttl, 10s);
  EXPECT_EQ(c->max_seats_per_hold, 10);
  EXPECT_EQ(c->cache_ttl_seats, 5s);
  EXPECT_EQ(c->cache_ttl_shows, 30s);
  EXPECT_EQ(c->cache_ttl_movies, 60s);
  EXPECT_EQ(c->rate_limit_per_min, 5000);
  EXPECT_TRUE(c->trusted_proxies.empty());
  EXPECT_EQ(c->threads, 4);
  EXPECT_FALSE(c->demo);
  EXPECT_EQ(c->log_level, logging::Level::info);
  EXPECT_EQ(c->max_body_bytes, 1024u * 1024u);
}

TEST(Config, ReadsEveryVariable) {
  auto c = parse({{"BOXOFFICE_LISTEN", "0.0.0.0:9090"},
                  {"BOXOFFICE_DATA_DIR", "/tmp/x"},
                  {"BOXOFFICE_COMMAND_DB_URL", "postgresql://u@h/db"},
                  {"BOXOFFICE_QUERY_DB_URL", "postgres://u@r/db"},
                  {"BOXOFFICE_DB_MAX_CONNS", "50"},
                  {"BOXOFFICE_DB_MIN_CONNS", "5"},
                  {"BOXOFFICE_DB_CONN_LIFETIME", "2h"},
                  {"BOXOFFICE_DB_IDLE_TIMEOUT", "10m"},
                  {"BOXOFFICE_REDIS_URL", "redis://127.0.0.1:7001,127.0.0.1:7002"},
                  {"BOXOFFICE_HOLD_TTL", "500ms"},
                  {"BOXOFFICE_MAX_SEATS_PER_HOLD", "4"},
                  {"BOXOFFICE_CACHE_TTL_SEATS", "1s"},
                  {"BOXOFFICE_CACHE_TTL_SHOWS", "2s"},
                  {"BOXOFFICE_CACHE_TTL_MOVIES", "3s"},
                  {"BOXOFFICE_RATE_LIMIT_PER_MIN", "30"},
                  {"BOXOFFICE_TRUSTED_PROXIES", "10.0.0.0/8, ::1/128"},
                  {"BOXOFFICE_THREADS", "3"},
                  {"BOXOFFICE_ADMIN_EMAIL", "root@example.com"},
                  {"BOXOFFICE_ADMIN_PASSWORD", "longenough"},
                  {"BOXOFFICE_DEMO", "1"},
                  {"BOXOFFICE_LOG_LEVEL", "warn"}});
  ASSERT_TRUE(c.ok()) << c.error().fields.front().message;
  EXPECT_EQ(c->listen_host, "0.0.0.0");
  EXPECT_EQ(c->listen_port, 9090);
  EXPECT_EQ(c->data_dir, "/tmp/x");
  EXPECT_EQ(c->command_db_url, "postgresql://u@h/db");
  EXPECT_EQ(c->query_db_url, "postgres://u@r/db");
  EXPECT_EQ(c->db_max_conns, 50);
  EXPECT_EQ(c->db_min_conns, 5);
  EXPECT_EQ(c->db_conn_lifetime, 2h);
  EXPECT_EQ(c->db_idle_timeout, 10min);
  EXPECT_EQ(c->redis_url, "redis://127.0.0.1:7001,127.0.0.1:7002");
  EXPECT_EQ(c->hold_ttl, 500ms);
  EXPECT_EQ(c->max_seats_per_hold, 4);
  EXPECT_EQ(c->cache_ttl_seats, 1s);
  EXPECT_EQ(c->cache_ttl_shows, 2s);
  EXPECT_EQ(c->cache_ttl_movies, 3s);
  EXPECT_EQ(c->rate_limit_per_min, 30);
  EXPECT_EQ(c->trusted_proxies.size(), 2u);
  EXPECT_EQ(c->threads, 3);
  EXPECT_EQ(c->admin_email, "root@example.com");
  EXPECT_TRUE(c->demo);
  EXPECT_EQ(c->log_level, logging::Level::warn);
}

TEST(Config, BadValuesNameTheirVariable) {
  const std::map<std::string, std::string> cases[] = {
      {{"BOXOFFICE_HOLD_TTL", "banana"}},
      {{"BOXOFFICE_LISTEN", "127.0.0.1:99999"}},
      {{"BOXOFFICE_TRUSTED_PROXIES", "10.0.0.0/33"}},
      {{"BOXOFFICE_TRUSTED_PROXIES", "not-a-cidr"}},
      {{"BOXOFFICE_THREADS", "0"}},
      {{"BOXOFFICE_THREADS", "two"}},
      {{"BOXOFFICE_DB_MAX_CONNS", "-1"}},
      {{"BOXOFFICE_MAX_SEATS_PER_HOLD", "0"}},
      {{"BOXOFFICE_RATE_LIMIT_PER_MIN", "lots"}},
      {{"BOXOFFICE_CACHE_TTL_SEATS", "5"}},
      {{"BOXOFFICE_COMMAND_DB_URL", "mysql://x"}},
      {{"BOXOFFICE_REDIS_URL", "redis://nohostport"}},
      {{"BOXOFFICE_REDIS_URL", "redis://a:1,,redis://b:2"}},
      {{"BOXOFFICE_REDIS_URL", "redis://a:70000"}},
      {{"BOXOFFICE_DEMO", "yes please"}},
      {{"BOXOFFICE_LOG_LEVEL", "loud"}},
      {{"BOXOFFICE_DB_CONN_LIFETIME", "forever"}},
  };
  for (const auto& c : cases) {
    const std::string var = c.begin()->first;
    const std::string msg = error_of(c);
    EXPECT_EQ(msg.rfind(var + ":", 0), 0u) << var << " -> " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos);
  }
}

TEST(Config, ErrorsStayOnOneLine) {
  const std::string msg = error_of({{"BOXOFFICE_HOLD_TTL", "10\nBOXOFFICE_FAKE: injected"}});
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  EXPECT_EQ(msg.rfind("BOXOFFICE_HOLD_TTL:", 0), 0u);
}

TEST(Config, PairedSettingsAreChecked) {
  EXPECT_EQ(error_of({{"BOXOFFICE_ADMIN_EMAIL", "a@b.co"}}).rfind("BOXOFFICE_ADMIN_PASSWORD", 0),
            0u);
  EXPECT_EQ(
      error_of({{"BOXOFFICE_ADMIN_PASSWORD", "longenough"}}).rfind("BOXOFFICE_ADMIN_EMAIL", 0), 0u);
  EXPECT_EQ(error_of({{"BOXOFFICE_DB_MIN_CONNS", "200"}}).rfind("BOXOFFICE_DB_MIN_CONNS", 0), 0u);
  EXPECT_EQ(error_of({{"BOXOFFICE_QUERY_DB_URL", "postgresql://r/db"}})
                .rfind("BOXOFFICE_QUERY_DB_URL", 0),
            0u);
}

TEST(Config, EverySettingHasAFlag) {
  for (const auto& s : settings()) {
    std::string expected = s.env + std::string_view("BOXOFFICE_").size();
    for (char& ch : expected) ch = ch == '_' ? '-' : static_cast<char>(std::tolower(ch));
    EXPECT_EQ(std::string(s.flag), "--" + expected);
  }
}
