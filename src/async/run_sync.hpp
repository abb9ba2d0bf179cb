#pragma once
// Runs one coroutine to completion on a private io_context and returns its result: for
// start-up work before serving (and for tests), never on an I/O thread.
#include <optional>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace boxoffice {

// co_spawn with use_future needs a default-constructible result; Result<T> is not: spawn
// as_optional(task) and unwrap.
template <class T>
boost::asio::awaitable<std::optional<T>> as_optional(boost::asio::awaitable<T> task) {
  co_return co_await std::move(task);
}

template <class T>
T run_sync(boost::asio::awaitable<T> task) {
  // One context per calling thread, kept for the thread's life rather than one per call: a
  // thread pool that completes an operation (the password hasher) makes the handler visible,
  // unlocks, then signals the context's condition variable, so run() may return and a
  // per-call context be destroyed while that signal is still being sent (TSan caught it).
  thread_local boost::asio::io_context shared;
  // A call from inside a task that run_sync is running (no caller does that) gets a context of
  // its own: the shared one's run() could not return while the outer task holds it.
  std::optional<boost::asio::io_context> nested;
  if (shared.get_executor().running_in_this_thread()) nested.emplace();
  boost::asio::io_context& ioc = nested ? *nested : shared;
  ioc.restart();
  auto fut = boost::asio::co_spawn(ioc, as_optional(std::move(task)), boost::asio::use_future);
  ioc.run();
  return *fut.get();
}

}  // namespace boxoffice
