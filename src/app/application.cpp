#include "app/application.hpp"

#include <sys/resource.h>

#include <future>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "app/demo_catalog.hpp"
#include "async/run_sync.hpp"
#include "coord/local/local_coordinator.hpp"
#include "coord/redis/redis_coordinator.hpp"
#include "domain/time.hpp"
#include "http/api.hpp"
#include "http/server.hpp"
#include "live/live_hub.hpp"
#include "ops/log.hpp"
#include "ops/metrics.hpp"
#include "services/accounts.hpp"
#include "services/booking.hpp"
#include "services/catalog.hpp"
#include "services/security.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace boxoffice {
namespace {

namespace asio = boost::asio;

void raise_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// Redis shares holds, sessions and caches between instances; the embedded store belongs to
// one process, so the two together would be many instances with many truths.
std::string unsupported_backend(const Config& c) {
  if (!c.redis_url.empty() && c.command_db_url.empty())
    return "BOXOFFICE_REDIS_URL: Redis coordinates several instances, which need a shared "
           "database: set BOXOFFICE_COMMAND_DB_URL too, or unset BOXOFFICE_REDIS_URL";
  return {};
}

}  // namespace

int migrate(const Config& config) {
  if (auto why = unsupported_backend(config); !why.empty()) {
    std::cerr << why << "\n";
    return 2;
  }
  try {
    const int applied = config.command_db_url.empty() ? migrate_sqlite(config.data_dir)
                                                      : migrate_postgres(config.command_db_url);
    std::cout << "migrations applied: " << applied << "\n";
    return 0;
  } catch (const std::exception& e) {
    // The PostgreSQL errors name their setting already.
    std::cerr << (config.command_db_url.empty() ? "BOXOFFICE_DATA_DIR: " : "") << e.what() << "\n";
    return 1;
  }
}

int serve(const Config& config) {
  if (auto why = unsupported_backend(config); !why.empty()) {
    std::cerr << why << "\n";
    return 2;
  }
  raise_file_limit();
  init_crypto();
  logging::init(config.log_level);
  struct LogShutdown {
    ~LogShutdown() { logging::shutdown(); }
  } log_guard;

  std::shared_ptr<Store> store;
  Metrics::DbLatency db_latency;
  try {
    if (config.command_db_url.empty()) {
      store = open_sqlite_store(SqliteOptions{config.data_dir, 2, 4096});
    } else {
      PostgresOptions po;
      po.command_url = config.command_db_url;
      po.query_url = config.query_db_url;
      po.max_conns = config.db_max_conns;
      po.min_conns = config.db_min_conns;
      po.committers = config.db_committers;
      po.conn_lifetime = config.db_conn_lifetime;
      po.idle_timeout = config.db_idle_timeout;
      po.acquire_timeout = config.db_acquire_timeout;
      po.query_timeout = config.db_query_timeout;
      po.command_latency = std::make_shared<LatencyHistogram>();
      db_latency.emplace_back("command", po.command_latency);
      if (!po.query_url.empty()) {
        po.query_latency = std::make_shared<LatencyHistogram>();
        db_latency.emplace_back("query", po.query_latency);
      }
      store = open_postgres_store(po);
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }

  std::vector<std::string> route_names{"unmatched"};
  const auto routes = http::api_routes();
  for (const auto& r : routes)
    route_names.push_back(std::string(http::method_name(r.method)) + " " + r.pattern);
  auto metrics = std::make_shared<Metrics>(route_names);
  metrics->set_pool_stats([store] {
    std::vector<PoolStats> out;
    for (const PoolUsage& u : store->pool_usage())
      out.push_back(PoolStats{u.db, u.in_use, u.idle, u.reachable});
    return out;
  });
  metrics->set_db_latency(std::move(db_latency));

  http::ServerOptions so;
  so.host = config.listen_host;
  so.port = config.listen_port;
  so.threads = config.threads;
  so.live_threads = config.live_threads;
  so.header_timeout = config.header_timeout;
  so.idle_timeout = config.idle_timeout;
  so.shutdown_timeout = config.shutdown_timeout;
  so.max_connections = config.max_connections;
  so.max_connections_per_client = config.max_connections_per_client;
  so.max_body_bytes = config.max_body_bytes;
  so.trusted_proxies = config.trusted_proxies;

  std::atomic<bool> draining{false};
  http::Router router(routes);
  // The server owns the I/O threads; the services are built on its executors.
  std::unique_ptr<http::Server> server;
  try {
    server = std::make_unique<http::Server>(so, router, *metrics);
    server->listen();
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  auto hasher = std::make_shared<PasswordHasher>(2, 256);
  LocalCoordinatorOptions co;
  co.holds.limits.max_held_per_user = static_cast<std::size_t>(config.max_held_seats_per_user);
  Coordinator coord;
  try {
    if (config.redis_url.empty()) {
      coord = make_local_coordinator(server->executor(0), co);
    } else {
      RedisCoordinatorOptions ro;
      ro.url = config.redis_url;
      ro.ns = config.redis_namespace;
      ro.max_held_per_user = static_cast<std::size_t>(config.max_held_seats_per_user);
      coord = make_redis_coordinator(server->executor(0), ro);
    }
  } catch (const std::exception& e) {
    std::cerr << "BOXOFFICE_REDIS_URL: " << e.what() << "\n";
    return 1;
  }
  AccountService accounts(store, coord, hasher,
                          std::chrono::duration_cast<std::chrono::seconds>(config.session_ttl));
  CatalogService catalog(store, coord, CatalogTtls{config.cache_ttl_movies, config.cache_ttl_shows},
                         metrics);
  BookingOptions bo;
  bo.hold_ttl = config.hold_ttl;
  bo.max_seats_per_hold = static_cast<std::size_t>(config.max_seats_per_hold);
  bo.seat_map_ttl = config.cache_ttl_seats;
  bo.show_info_ttl = config.cache_ttl_shows;
  {
    auto secret = run_sync(store->secret("hold-ids", random_token(32)));
    if (!secret || secret->size() < 32) {
      std::cerr << "the store could not give the hold-id secret"
                << (secret ? std::string(" (too short)") : ": " + secret.error().detail) << "\n";
      return 1;
    }
    bo.hold_secret = std::move(*secret);
  }
  BookingService booking(store, coord, bo, server->executor(0), metrics);
  catalog.on_shows_removed([&booking] { booking.forget_shows(); });
  // Live updates: every seat change the registry reports goes to the show's WebSocket clients.
  auto hub = std::make_shared<live::LiveHub>(server->executor(0), std::chrono::milliseconds(5));
  coord.holds->on_changes([hub](Id show_id, const std::vector<SeatChange>& changes) {
    hub->publish(show_id, changes);
  });
  // Changes that may have been missed (a Redis failover): watchers get a fresh snapshot.
  coord.holds->on_resync([hub](Id show_id) { hub->resync(show_id); });
  server->on_shutdown([hub] { hub->close_all(); });
  server->every(std::chrono::seconds(5), [&booking] { booking.sweep(); });
  // Idempotency records are kept 24 h (API.md), then purged a batch a minute per instance.
  server->every(std::chrono::minutes(1), [store, ex = server->executor(0)] {
    asio::co_spawn(ex, store->purge_expired(now_unix() - 24 * 3600), asio::detached);
  });
  // Weak references: the metrics outlive the server, the registry's timer must not.
  if (coord.events) metrics->set_coordinator_events(coord.events);
  metrics->set_retained([&booking, weak_hub = std::weak_ptr<live::LiveHub>(hub),
                         coord_parts = coord.retained] {
    Metrics::Retained r{{"seat_view_bytes", static_cast<double>(booking.cached_seat_view_bytes())},
                        {"show_infos", static_cast<double>(booking.cached_show_infos())}};
    if (auto hub = weak_hub.lock())
      r.emplace_back("live_channels", static_cast<double>(hub->channel_count()));
    if (coord_parts)
      for (auto& part : coord_parts()) r.push_back(std::move(part));
    return r;
  });
  http::Api api{accounts,
                catalog,
                booking,
                *metrics,
                *store,
                draining,
                *coord.rate_limiter,
                config.rate_limit_per_min,
                config.auth_rate_limit_per_min,
                *hub,
                coord};

  try {
    if (!config.admin_email.empty()) {
      auto admin = run_sync(accounts.ensure_admin(config.admin_email, config.admin_password));
      if (!admin) {
        // A refused setting names its own variable (email or password), as every bad setting does.
        const Error& e = admin.error();
        if (!e.fields.empty())
          throw std::runtime_error(e.fields.front().field + ": " + e.fields.front().message);
        throw std::runtime_error("BOXOFFICE_ADMIN_EMAIL: " + e.detail);
      }
    }
    if (config.demo) {
      auto seeded = run_sync(seed_demo_catalog(*store, catalog));
      if (!seeded)
        throw std::runtime_error("BOXOFFICE_DEMO: seeding failed: " + seeded.error().detail);
      if (*seeded) logging::info("demo catalog seeded");
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }

  logging::info("listening",
                {{"address", config.listen_host + ":" + std::to_string(server->port())},
                 {"threads", std::to_string(config.threads)},
                 {"live_threads", std::to_string(config.live_threads)},
                 {"store", config.command_db_url.empty() ? "sqlite:" + config.data_dir
                                                         : std::string("postgresql")},
                 {"coordinator", config.redis_url.empty() ? "in-process" : "redis"},
                 {"version", BOXOFFICE_VERSION}});
  server->run(api);
  // The I/O threads have stopped, their contexts still exist: finish the store's queued work
  // and stop the timers now, so nothing posts into a destroyed context.
  store->stop();
  if (coord.stop) coord.stop();
  metrics->set_retained(nullptr);
  metrics->set_coordinator_events(nullptr);
  logging::info("stopped");
  return 0;
}

}  // namespace boxoffice
