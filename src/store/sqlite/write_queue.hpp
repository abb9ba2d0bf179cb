#pragma once
// Group commit: one writer thread takes every write that is waiting and commits them in one
// transaction, each inside its own savepoint so that a failing write rolls back only itself.
// One fsync then makes a whole batch durable.
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "store/sqlite/db.hpp"

namespace boxoffice::sqlite {

struct WriteJob {
  std::function<bool(Connection&)> run;      // in the transaction; false rolls back this job only
  std::function<void(bool committed)> done;  // after COMMIT (or its failure), on the writer thread
};

class WriteQueue {
 public:
  // max_pending bounds the jobs waiting for the writer: beyond it submit() refuses, so overload
  // turns into quick 503s instead of growing latency and memory.
  WriteQueue(std::unique_ptr<Connection> conn, std::size_t max_batch, std::size_t max_pending);
  ~WriteQueue();  // finishes queued jobs, then joins
  // false: the queue is full and the job was not taken.
  [[nodiscard]] bool submit(WriteJob job);
  // Finishes what is queued, refuses new jobs and joins the writer thread.
  void stop();
  std::size_t batches() const;

 private:
  void loop();
  void run_batch(std::vector<WriteJob>& batch);

  std::unique_ptr<Connection> conn_;
  std::size_t max_batch_;
  std::size_t max_pending_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<WriteJob> pending_;  // bounded by max_pending_
  bool stopping_ = false;
  std::size_t batches_ = 0;
  std::thread thread_;
};

}  // namespace boxoffice::sqlite
