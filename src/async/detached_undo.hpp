#pragma once
// A scope guard for coroutines: destructors cannot co_await, so the undo (itself a coroutine)
// is spawned detached on an executor when the guard dies undismissed, which is the path an
// exception takes. Normal exits await their own cleanup and dismiss() the guard.
#include <functional>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace boxoffice {

class DetachedUndo {
 public:
  DetachedUndo(boost::asio::any_io_executor ex, std::function<boost::asio::awaitable<void>()> undo)
      : ex_(std::move(ex)), undo_(std::move(undo)) {}
  DetachedUndo(const DetachedUndo&) = delete;
  DetachedUndo& operator=(const DetachedUndo&) = delete;
  // Not on a stopped context: that is a shutdown destroying suspended frames, and the undo's
  // own deadline (hold confirmations, idempotency marks) covers that case.
  ~DetachedUndo() {
    if (!undo_) return;
    if (auto* io = ex_.target<boost::asio::io_context::executor_type>();
        io && io->context().stopped())
      return;
    boost::asio::co_spawn(ex_, undo_(), boost::asio::detached);
  }
  void dismiss() { undo_ = nullptr; }

 private:
  boost::asio::any_io_executor ex_;
  std::function<boost::asio::awaitable<void>()> undo_;
};

}  // namespace boxoffice
