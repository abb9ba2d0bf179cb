#include "store/sqlite/write_queue.hpp"

#include "ops/log.hpp"

namespace boxoffice::sqlite {

WriteQueue::WriteQueue(std::unique_ptr<Connection> conn, std::size_t max_batch,
                       std::size_t max_pending)
    : conn_(std::move(conn)),
      max_batch_(max_batch),
      max_pending_(max_pending),
      thread_([this] { loop(); }) {}

WriteQueue::~WriteQueue() {
  stop();
}

void WriteQueue::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool WriteQueue::submit(WriteJob job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || pending_.size() >= max_pending_) return false;
    pending_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

std::size_t WriteQueue::batches() const {
  std::lock_guard lock(mutex_);
  return batches_;
}

void WriteQueue::loop() {
  std::vector<WriteJob> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (pending_.empty() && stopping_) return;
      if (pending_.size() <= max_batch_) {
        batch.swap(pending_);
      } else {
        batch.assign(std::make_move_iterator(pending_.begin()),
                     std::make_move_iterator(pending_.begin() + static_cast<long>(max_batch_)));
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(max_batch_));
      }
      ++batches_;
    }
    run_batch(batch);
    batch.clear();
  }
}

void WriteQueue::run_batch(std::vector<WriteJob>& batch) {
  bool committed = false;
  try {
    conn_->exec("BEGIN IMMEDIATE");
    for (WriteJob& job : batch) {
      conn_->exec("SAVEPOINT job");
      bool keep = false;
      try {
        keep = job.run(*conn_);
      } catch (const std::exception& e) {
        logging::error("store write failed", {{"error", e.what()}});
      }
      conn_->reset_all();
      if (!keep) conn_->exec("ROLLBACK TO job");
      conn_->exec("RELEASE job");
    }
    conn_->exec("COMMIT");
    committed = true;
  } catch (const std::exception& e) {
    logging::error("store commit failed", {{"error", e.what()}});
    try {
      conn_->exec("ROLLBACK");
    } catch (const std::exception&) {
    }
  }
  for (WriteJob& job : batch) job.done(committed);
}

}  // namespace boxoffice::sqlite
