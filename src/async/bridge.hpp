#pragma once
// Lets a coroutine wait for work done on another thread (SQLite writer, hashing pool).
// The result is posted back to the coroutine's own executor: invoking an awaitable's handler
// directly would resume the coroutine on the worker thread.
#include <exception>
#include <functional>
#include <memory>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace boxoffice {

namespace asio = boost::asio;

template <class R>
using Deliver = std::function<void(R)>;

// GCC 12 double-frees a capturing lambda that appears in the same expression as co_await.
// These helpers are therefore plain functions returning awaitables, and callers bind capturing
// lambdas to named locals before any co_await.

// `start` receives a Deliver<R> that must be called exactly once, from any thread.
template <class R, class Start>
asio::awaitable<R> await_callback(Start start) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
      [](auto handler, Start start) {
        auto ex = asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start(Deliver<R>([shared, ex](R value) mutable {
          asio::post(ex,
                     [shared, value = std::move(value)]() mutable { (*shared)(std::move(value)); });
        }));
      },
      asio::use_awaitable, std::move(start));
}

// Runs fn() on `executor` (a thread pool) and resumes with its result on the caller's executor.
template <class Executor, class Fn>
asio::awaitable<std::invoke_result_t<Fn>> run_on(Executor executor, Fn fn) {
  using R = std::invoke_result_t<Fn>;
  auto start = [executor, fn = std::move(fn)](Deliver<R> deliver) mutable {
    asio::post(executor,
               [fn = std::move(fn), deliver = std::move(deliver)]() mutable { deliver(fn()); });
  };
  return await_callback<R>(std::move(start));
}

}  // namespace boxoffice
