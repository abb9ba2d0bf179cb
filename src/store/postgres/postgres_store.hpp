#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "store/store.hpp"

namespace boxoffice {

class LatencyHistogram;

struct PostgresOptions {
  std::string command_url;  // writes and everything read right after a write
  std::string query_url;    // the public catalog lists; empty: the command DB serves them
  int max_conns = 100;      // per database
  int min_conns = 20;
  std::chrono::milliseconds conn_lifetime = std::chrono::hours(1);
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(30);
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(3);
  // A request waits this long for a free connection, then gets 503.
  std::chrono::milliseconds acquire_timeout = std::chrono::seconds(2);
  // One unit of work (a statement or a transaction) may take this long; then the connection is
  // dropped and the request gets 503.
  std::chrono::milliseconds query_timeout = std::chrono::seconds(5);
  // Group commit: bookings per transaction at most (each is a subtransaction; PostgreSQL keeps
  // 64 of them per transaction in shared memory before spilling) and transactions committing
  // at once (BOXOFFICE_DB_COMMITTERS; see wants_committer() for when more than one runs).
  std::size_t max_batch = 64;
  int committers = 2;
  // Bookings waiting for a committer at most; beyond it 503 with Retry-After.
  std::size_t max_pending = 16'384;
  // After a catalog write, this instance reads the catalog lists from the command DB for this
  // long, so that what it wrote is in the next list whatever the replica's lag.
  std::chrono::milliseconds read_your_writes = std::chrono::seconds(5);
  // Query latency per database, for /metrics (may be null).
  std::shared_ptr<LatencyHistogram> command_latency;
  std::shared_ptr<LatencyHistogram> query_latency;
};

// Connects, applies pending migrations and starts the database thread. Throws
// std::runtime_error with a one-line reason naming the setting.
std::shared_ptr<Store> open_postgres_store(const PostgresOptions& options);

// Applies pending migrations on the command DB; returns how many ran. Two instances migrating
// at once are serialized by a transaction-level advisory lock (works through PgBouncer).
int migrate_postgres(const std::string& command_url);

}  // namespace boxoffice
