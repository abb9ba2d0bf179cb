#pragma once
#include <memory>
#include <string>

#include "store/store.hpp"

namespace boxoffice {

struct SqliteOptions {
  std::string data_dir;
  int readers = 2;                 // reader threads, each with its own connection
  std::size_t max_batch = 4096;    // writes committed together at most
};

// Opens (and migrates) the embedded store. Throws std::runtime_error with a one-line reason.
std::shared_ptr<Store> open_sqlite_store(const SqliteOptions& options);

// Applies pending migrations to the database in data_dir; returns how many ran.
int migrate_sqlite(const std::string& data_dir);

}  // namespace boxoffice
