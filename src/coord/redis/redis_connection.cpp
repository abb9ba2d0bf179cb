#include "coord/redis/redis_connection.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace boxoffice::redis {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

bool is_unsubscribe(const std::vector<std::string>& args) {
  return !args.empty() && (iequals(args[0], "SUNSUBSCRIBE") || iequals(args[0], "UNSUBSCRIBE") ||
                           iequals(args[0], "PUNSUBSCRIBE"));
}

// The first element of an array reply when it is a string (pub/sub arrays), else empty.
std::string_view push_kind(const RedisValue& v) {
  if (!v.is_array() || v.size() == 0 || !v[0].is_string()) return {};
  return v[0].as_string();
}

}  // namespace

// A request's state, in its caller's coroutine frame. The caller waits on `timer`, which
// expires at the request's deadline; the reader (or close()) completes the request and
// cancels the timer.
struct RedisConnection::Pending {
  explicit Pending(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  std::vector<RedisValue> replies;  // bounded by `expected`
  std::size_t expected = 1;
  bool unsubscribe = false;  // (S)UNSUBSCRIBE: its acknowledgement looks like a push
  bool written = false;      // handed to the socket
  bool done = false;
  std::optional<RedisError> error;
};

RedisConnection::RedisConnection(asio::any_io_executor ex, NodeAddress node,
                                 ConnectionOptions options, PushHandler on_push,
                                 CloseHandler on_close)
    : ex_(ex),
      node_(std::move(node)),
      options_(options),
      on_push_(std::move(on_push)),
      on_close_(std::move(on_close)),
      socket_(ex),
      wake_writer_(ex),
      health_timer_(ex),
      read_buffer_(kReadChunk) {}

RedisConnection::~RedisConnection() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

asio::awaitable<std::shared_ptr<RedisConnection>> RedisConnection::connect(
    asio::any_io_executor ex, NodeAddress node, ConnectionOptions options,
    std::chrono::milliseconds timeout, PushHandler on_push, CloseHandler on_close) {
  std::shared_ptr<RedisConnection> c(
      new RedisConnection(ex, node, options, std::move(on_push), std::move(on_close)));
  const std::string where = node.to_string();
  // The deadline closes the socket and cancels the resolver; its handler owns what it
  // touches, so it is harmless when it runs after this frame is gone.
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(ex);
  auto timed_out = std::make_shared<bool>(false);
  auto finished = std::make_shared<bool>(false);  // a deadline already queued does nothing
  asio::steady_timer timer(ex);
  timer.expires_after(timeout);
  auto on_deadline = [weak = std::weak_ptr<RedisConnection>(c), resolver, timed_out,
                      finished](const boost::system::error_code& ec) {
    if (ec || *finished) return;
    *timed_out = true;
    resolver->cancel();
    if (auto conn = weak.lock()) {
      boost::system::error_code ignored;
      conn->socket_.close(ignored);
    }
  };
  timer.async_wait(std::move(on_deadline));

  boost::system::error_code ec;
  const std::string port = std::to_string(node.port);
  auto endpoints = co_await resolver->async_resolve(node.host, port,
                                                    asio::redirect_error(asio::use_awaitable, ec));
  if (!ec && !*timed_out)
    co_await asio::async_connect(c->socket_, endpoints,
                                 asio::redirect_error(asio::use_awaitable, ec));
  *finished = true;
  timer.cancel();
  if (*timed_out)
    throw RedisError(ErrorKind::connect, "connecting to " + where + " timed out after " +
                                             std::to_string(timeout.count()) + " ms");
  if (ec) throw RedisError(ErrorKind::connect, "cannot connect to " + where + ": " + ec.message());
  c->socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  c->last_sent_ = Clock::now();
  asio::co_spawn(ex, reader_loop(c), asio::detached);
  asio::co_spawn(ex, writer_loop(c), asio::detached);
  asio::co_spawn(ex, health_loop(c), asio::detached);
  co_return c;
}

void RedisConnection::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  close_reason_ = reason;
  boost::system::error_code ignored;
  socket_.close(ignored);
  wake_writer_.cancel();
  health_timer_.cancel();
  const std::string where = node_.to_string();
  for (Pending* p : fifo_) {
    if (p->written)
      p->error.emplace(ErrorKind::lost, "connection to " + where + " lost: " + reason);
    else
      p->error.emplace(ErrorKind::not_sent, "connection to " + where + " closed: " + reason);
    p->timer.cancel();
  }
  fifo_.clear();
  unwritten_ = 0;
  in_flight_ = 0;
  output_.clear();
  if (on_close_) {
    CloseHandler handler = std::move(on_close_);
    on_close_ = nullptr;
    handler(reason);
  }
}

asio::awaitable<RedisValue> RedisConnection::request(std::vector<std::string> args,
                                                     Clock::time_point deadline) {
  std::vector<std::vector<std::string>> one;
  one.push_back(std::move(args));
  std::vector<RedisValue> replies = co_await pipeline(std::move(one), deadline);
  co_return std::move(replies.front());
}

asio::awaitable<std::vector<RedisValue>> RedisConnection::pipeline(
    std::vector<std::vector<std::string>> commands, Clock::time_point deadline) {
  std::shared_ptr<RedisConnection> self = shared_from_this();
  if (closed_)
    throw RedisError(ErrorKind::not_sent,
                     "connection to " + node_.to_string() + " is closed: " + close_reason_);
  if (commands.empty()) co_return std::vector<RedisValue>();
  if (in_flight_ + commands.size() > options_.max_in_flight)
    throw RedisError(ErrorKind::overloaded, "too many requests in flight to " + node_.to_string());
  const auto now = Clock::now();
  if (deadline == Clock::time_point{}) deadline = now + options_.request_timeout;

  Pending p(ex_);
  p.expected = commands.size();
  p.unsubscribe = is_unsubscribe(commands.front());
  for (const auto& args : commands) encode_command(args, output_);
  fifo_.push_back(&p);
  ++unwritten_;
  in_flight_ += commands.size();
  last_sent_ = now;
  wake_writer_.cancel();

  p.timer.expires_at(deadline);
  boost::system::error_code ec;
  co_await p.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (p.done) co_return std::move(p.replies);
  if (p.error) throw *p.error;
  // Past the deadline: the replies still to come can no longer be matched to their requests.
  close("no reply within the request deadline");
  throw RedisError(ErrorKind::timeout, "no reply from " + node_.to_string() + " in time");
}

bool RedisConnection::is_push(const RedisValue& reply) const {
  if (!on_push_) return false;
  const std::string_view kind = push_kind(reply);
  if (kind.empty()) return false;
  if (iequals(kind, "message") || iequals(kind, "smessage") || iequals(kind, "pmessage"))
    return true;
  if (iequals(kind, "sunsubscribe") || iequals(kind, "unsubscribe") ||
      iequals(kind, "punsubscribe"))
    return fifo_.empty() || !fifo_.front()->unsubscribe;
  return false;
}

void RedisConnection::dispatch(RedisValue reply) {
  if (is_push(reply)) {
    on_push_(std::move(reply));
    return;
  }
  if (fifo_.empty() || !fifo_.front()->written)
    throw RedisError(ErrorKind::protocol,
                     "a reply from " + node_.to_string() + " nobody asked for");
  Pending* p = fifo_.front();
  p->replies.push_back(std::move(reply));
  --in_flight_;
  if (p->replies.size() == p->expected) {
    fifo_.pop_front();
    p->done = true;
    p->timer.cancel();
  }
}

asio::awaitable<void> RedisConnection::reader_loop(std::shared_ptr<RedisConnection> self) {
  while (!self->closed_) {
    boost::system::error_code ec;
    const std::size_t n = co_await self->socket_.async_read_some(
        asio::buffer(self->read_buffer_), asio::redirect_error(asio::use_awaitable, ec));
    if (self->closed_) break;
    if (ec) {
      self->close(ec == asio::error::eof ? std::string("the server closed the connection")
                                         : "read failed: " + ec.message());
      break;
    }
    std::optional<std::string> failure;
    try {
      self->parser_.feed(std::string_view(self->read_buffer_.data(), n));
      while (!self->closed_) {
        std::optional<RedisValue> reply = self->parser_.next();
        if (!reply) break;
        self->dispatch(std::move(*reply));
      }
      if (self->parser_.partial_bytes() > self->options_.max_reply_bytes)
        failure =
            "a reply is larger than " + std::to_string(self->options_.max_reply_bytes) + " bytes";
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (failure) {
      self->close(*failure);
      break;
    }
  }
}

asio::awaitable<void> RedisConnection::writer_loop(std::shared_ptr<RedisConnection> self) {
  std::string sending;
  while (!self->closed_) {
    if (self->output_.empty()) {
      self->wake_writer_.expires_at(Clock::time_point::max());
      boost::system::error_code ignored;
      co_await self->wake_writer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    sending.clear();
    sending.swap(self->output_);
    for (std::size_t i = self->fifo_.size() - self->unwritten_; i < self->fifo_.size(); ++i)
      self->fifo_[i]->written = true;
    self->unwritten_ = 0;
    self->writing_ = true;
    self->write_started_ = Clock::now();
    boost::system::error_code ec;
    co_await asio::async_write(self->socket_, asio::buffer(sending),
                               asio::redirect_error(asio::use_awaitable, ec));
    self->writing_ = false;
    if (ec) {
      self->close("write failed: " + ec.message());
      break;
    }
    // Keep a large buffer from pinning memory after a burst.
    if (sending.capacity() > kReadChunk) std::string().swap(sending);
  }
}

asio::awaitable<void> RedisConnection::ping(std::shared_ptr<RedisConnection> self) {
  try {
    std::vector<std::string> args;
    args.emplace_back("PING");
    co_await self->request(std::move(args));
  } catch (const std::exception&) {
    // A failed PING has closed the connection (deadline) or found it closed: nothing to do.
  }
}

asio::awaitable<void> RedisConnection::health_loop(std::shared_ptr<RedisConnection> self) {
  const auto tick = std::max<std::chrono::milliseconds>(
      std::min(self->options_.ping_interval, self->options_.write_timeout) / 4,
      std::chrono::milliseconds(10));
  while (!self->closed_) {
    self->health_timer_.expires_after(tick);
    boost::system::error_code ignored;
    co_await self->health_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (self->closed_) break;
    const auto now = Clock::now();
    if (self->writing_ && now - self->write_started_ >= self->options_.write_timeout) {
      self->close("could not write for " + std::to_string(self->options_.write_timeout.count()) +
                  " ms");
      break;
    }
    if (self->fifo_.empty() && now - self->last_sent_ >= self->options_.ping_interval)
      asio::co_spawn(self->ex_, ping(self), asio::detached);
  }
}

}  // namespace boxoffice::redis
