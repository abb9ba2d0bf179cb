#include "store/sqlite/checkpointer.hpp"

#include <sqlite3.h>

#include <stdexcept>

#include "ops/log.hpp"

namespace boxoffice::sqlite {
namespace {

// One PASSIVE checkpoint; false when the connection is unusable.
bool checkpoint(sqlite3* db) {
  int log_frames = 0;
  int copied = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied);
  if (rc == SQLITE_OK && log_frames < 0) {
    // Not (or no longer) in WAL mode as this connection sees it: nothing was copied.
    logging::warn("sqlite checkpoint found no write-ahead log", {});
    return true;
  }
  if (rc == SQLITE_OK || rc == SQLITE_BUSY) return true;
  logging::warn("sqlite checkpoint failed", {{"error", sqlite3_errmsg(db)}});
  return rc != SQLITE_MISUSE;
}

}  // namespace

Checkpointer::Checkpointer(const std::string& path, std::chrono::milliseconds every)
    : every_(every) {
  // A plain handle, not a Connection: it must not change the journal mode or define functions,
  // and it never reads rows.
  if (const int rc =
          sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
      rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    throw std::runtime_error("sqlite checkpointer cannot open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 0);
  // A connection learns that the file is in WAL mode on its first read; until then a
  // checkpoint does nothing.
  if (const int rc =
          sqlite3_exec(db_, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
      rc != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_close(db_);
    throw std::runtime_error("sqlite checkpointer cannot read " + path + ": " + msg);
  }
  thread_ = std::thread([this] { loop(); });
}

Checkpointer::~Checkpointer() {
  stop();
  sqlite3_close(db_);
}

void Checkpointer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t Checkpointer::runs() const {
  std::lock_guard lock(mutex_);
  return runs_;
}

void Checkpointer::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    const bool stopping = cv_.wait_for(lock, every_, [this] { return stopping_; });
    lock.unlock();
    const bool ok = checkpoint(db_);
    lock.lock();
    if (ok) ++runs_;
    if (stopping || !ok) break;
  }
}

}  // namespace boxoffice::sqlite
