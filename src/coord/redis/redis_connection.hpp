#pragma once
// One TCP connection to one Redis node, driven by Asio coroutines on one executor; hiredis only
// encodes and parses (resp.hpp). Requests are pipelined: each is appended to the output buffer
// and to a FIFO, one writer coroutine sends whatever has accumulated, and one reader coroutine
// completes the FIFO's front with each reply, so many callers share the connection at once.
//
// Failure model (after Boost.Redis and the cluster spec):
// - every request has a deadline; a request past it fails with ErrorKind::timeout and the
//   connection is closed, because later replies could no longer be matched to requests;
// - a write that does not finish within write_timeout, a read error or EOF, or an unparseable
//   reply closes the connection;
// - when the connection closes, requests already handed to the socket fail with
//   ErrorKind::lost (they may have run) and those not yet written with ErrorKind::not_sent;
//   nothing is ever replayed here (the client decides);
// - when nothing was sent for ping_interval and nothing is awaited, a PING is sent, so a dead
//   peer is found within ping_interval + request_timeout even on an idle connection.
//
// Not thread-safe: every call, and every co_await of a request, must run on the executor the
// connection was made with (a single-threaded io_context). The reader, writer and health
// coroutines hold the connection alive until close(): an owner must call close() before it
// lets go of its last pointer.
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "coord/redis/cluster_slots.hpp"
#include "coord/redis/redis_value.hpp"
#include "coord/redis/resp.hpp"

namespace boxoffice::redis {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct ConnectionOptions {
  std::chrono::milliseconds connect_timeout{1000};  // resolve + TCP connect
  std::chrono::milliseconds request_timeout{2000};  // default deadline of a request
  std::chrono::milliseconds ping_interval{1000};    // PING after this long with nothing sent
  std::chrono::milliseconds write_timeout{2000};    // a write stuck this long kills the connection
  // Replies awaited at once on this connection (a pipeline counts each of its commands).
  // Beyond it a request fails at once with ErrorKind::overloaded rather than waiting: the
  // caller (one HTTP request) gets a quick 503 instead of queueing behind a stuck node.
  std::size_t max_in_flight = 10'000;
  // The largest reply accepted, in bytes on the wire; a larger one closes the connection.
  // The socket is read in 64 KiB chunks, so this bounds the read buffer as well.
  std::size_t max_reply_bytes = 64u << 20;
};

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  // Called on the connection's executor with each push message: on a connection made with a
  // push handler, arrays whose first element is "message", "smessage" or "pmessage", and
  // "unsubscribe"/"sunsubscribe"/"punsubscribe" arrays that do not answer a request of ours
  // (Redis 7 sends sunsubscribe by itself when a slot moves or its master is demoted). Each
  // (S)SUBSCRIBE/(S)UNSUBSCRIBE request must name exactly one channel: its one reply is the
  // acknowledgement array.
  using PushHandler = std::function<void(RedisValue)>;
  // Called exactly once, on the executor, when the connection closes for any reason
  // (close() by its owner included), after the waiting requests were failed.
  using CloseHandler = std::function<void(const std::string& reason)>;

  // Resolves and connects within `timeout`; throws RedisError(connect).
  static asio::awaitable<std::shared_ptr<RedisConnection>> connect(
      asio::any_io_executor ex, NodeAddress node, ConnectionOptions options,
      std::chrono::milliseconds timeout, PushHandler on_push = {}, CloseHandler on_close = {});

  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command and returns its reply (an error reply is a value). Throws RedisError.
  // `deadline` defaults to now + request_timeout. Arguments by value: the coroutine starts
  // after the caller's full expression.
  asio::awaitable<RedisValue> request(std::vector<std::string> args,
                                      Clock::time_point deadline = {});
  // Sends the commands back to back (one write when the writer is idle) and returns one reply
  // per command, in order.
  asio::awaitable<std::vector<RedisValue>> pipeline(std::vector<std::vector<std::string>> commands,
                                                    Clock::time_point deadline = {});

  // Closes the socket and fails every request waiting on it. Idempotent.
  void close(const std::string& reason);
  bool closed() const noexcept { return closed_; }
  const std::string& close_reason() const noexcept { return close_reason_; }
  const NodeAddress& address() const noexcept { return node_; }
  // Replies awaited (sent or queued).
  std::size_t in_flight() const noexcept { return in_flight_; }

 private:
  struct Pending;
  RedisConnection(asio::any_io_executor ex, NodeAddress node, ConnectionOptions options,
                  PushHandler on_push, CloseHandler on_close);
  static asio::awaitable<void> reader_loop(std::shared_ptr<RedisConnection> self);
  static asio::awaitable<void> writer_loop(std::shared_ptr<RedisConnection> self);
  static asio::awaitable<void> health_loop(std::shared_ptr<RedisConnection> self);
  static asio::awaitable<void> ping(std::shared_ptr<RedisConnection> self);
  void dispatch(RedisValue reply);
  bool is_push(const RedisValue& reply) const;

  asio::any_io_executor ex_;
  NodeAddress node_;
  ConnectionOptions options_;
  PushHandler on_push_;
  CloseHandler on_close_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer wake_writer_;  // cancelled to wake the writer when there is output
  asio::steady_timer health_timer_;
  ReplyParser parser_;
  std::vector<char> read_buffer_;  // 64 KiB, fixed
  // Encoded requests not yet handed to the socket: the unwritten entries of fifo_ (so bounded
  // by max_in_flight requests); emptied by each write.
  std::string output_;
  // Requests awaiting replies, oldest first; each lives in its caller's coroutine frame.
  // Bounded by max_in_flight (counted in replies); emptied by the reader as replies arrive and
  // all at once by close().
  std::deque<Pending*> fifo_;
  std::size_t unwritten_ = 0;  // trailing entries of fifo_ whose bytes are still in output_
  std::size_t in_flight_ = 0;  // replies awaited by fifo_'s entries
  bool closed_ = false;
  bool writing_ = false;
  std::string close_reason_;
  Clock::time_point last_sent_ = Clock::now();
  Clock::time_point write_started_{};
};

}  // namespace boxoffice::redis
