#pragma once
// Copies the write-ahead log into the database file on a thread of its own. Left to SQLite,
// the commit that crosses wal_autocheckpoint pages runs the checkpoint itself, and every booking
// in that group commit waited 200-290 ms for it; here the writer's threshold is raised to a
// fallback (100,000 pages) that it reaches only if this thread stops. PASSIVE checkpoints never
// block the writer or the readers: the log is copied as far as no reader still needs it, and the
// writer starts the log over once all of it was.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace boxoffice::sqlite {

class Checkpointer {
 public:
  // Opens its own connection to the database at `path` (throws when it cannot).
  Checkpointer(const std::string& path, std::chrono::milliseconds every);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Runs one last checkpoint and joins the thread. Idempotent.
  void stop();
  // Checkpoints run so far (for tests).
  std::uint64_t runs() const;

 private:
  void loop();

  sqlite3* db_ = nullptr;
  std::chrono::milliseconds every_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::uint64_t runs_ = 0;
  std::thread thread_;
};

}  // namespace boxoffice::sqlite
