#include "live/websocket.hpp"

#include <mutex>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

#include "coord/coordinator.hpp"
#include "http/api.hpp"
#include "live/live_hub.hpp"
#include "ops/log.hpp"
#include "ops/metrics.hpp"
#include "services/booking.hpp"

namespace boxoffice::live {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Frames a client may have waiting before it counts as too slow.
constexpr std::size_t kMaxQueuedFrames = 256;
// How long a client may take to read the first frame.
constexpr std::chrono::seconds kSnapshotDeadline{10};

class LiveSession final : public Subscriber, public std::enable_shared_from_this<LiveSession> {
 public:
  friend asio::any_io_executor session_executor(LiveSession& s) { return s.ws_.get_executor(); }

  explicit LiveSession(beast::tcp_stream stream)
      : ws_(std::move(stream)), wake_(ws_.get_executor()), executor_(ws_.get_executor()) {
    wake_.expires_at(asio::steady_timer::time_point::max());
  }

  bool enqueue(const Bytes& frame) override {
    std::lock_guard lock(mutex_);
    if (finished_) return false;
    if (queue_.size() - head_ >= kMaxQueuedFrames) {
      // The writer closes with "too slow"; the watchdog ends a client that never reads.
      if (overflow_) return false;
      overflow_ = true;
      idle_ = false;
      return true;
    }
    if (head_ == queue_.size()) {
      queue_.clear();
      head_ = 0;
    }
    queue_.push_back(frame);
    // A writer busy with a frame takes the next one by itself: no wake.
    return std::exchange(idle_, false);
  }

  // On this session's executor, after enqueue() said so.
  void wake() override {
    wake_.cancel();
    bool overflow = false;
    {
      std::lock_guard lock(mutex_);
      overflow = overflow_;
    }
    if (overflow && !watchdog_armed_) {
      watchdog_armed_ = true;
      arm_watchdog();
    }
  }

  asio::any_io_executor executor() const override { return executor_; }

  void resync() override {
    {
      std::lock_guard lock(mutex_);
      resync_ = true;
    }
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->wake_.cancel(); });
  }

  void going_away() override {
    {
      std::lock_guard lock(mutex_);
      going_away_ = true;
    }
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->wake_.cancel(); });
  }

  // Accepts, subscribes and sends the snapshot. Its frame ends when it returns: only the two
  // small loops stay alive for an idle watcher.
  asio::awaitable<bool> open(beast::http::request<beast::http::string_body> req, Id show_id,
                             http::Api& api) {
    beast::get_lowest_layer(ws_).expires_never();
    // A fixed, small send buffer bounds what a slow client can pin in the kernel (and lets the
    // queue limit below notice it quickly); a snapshot just takes a few more rounds.
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(asio::socket_base::send_buffer_size(64 * 1024),
                                                     ignored);
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(10);
    t.idle_timeout =
        std::chrono::seconds(60);  // a ping after 30 s of silence; no answer in 60 s closes
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(beast::http::field::server, "boxoffice"); }));
    ws_.auto_fragment(false);
    auto [aec] = co_await ws_.async_accept(req, use_tuple);
    if (aec) co_return false;
    metrics_ = &api.metrics;
    api_ = &api;
    show_id_ = show_id;
    api.metrics.websocket_opened();
    // Subscribe first (this instance to the show's changes, then this socket to the hub), then
    // snapshot: no change can fall between the two.
    watch_ = co_await api.coordinator.holds->watch(show_id);
    if (!watch_) {
      co_await ws_.async_close(websocket::close_code::try_again_later, use_tuple);
      co_return false;
    }
    subscription_ = api.hub.subscribe(show_id, shared_from_this());
    // A shutdown that began while this socket was opening has already sent its 1001s
    // (LiveHub::close_all); without this the socket would hold the drain until its timeout.
    if (api.draining.load()) {
      co_await close_with(websocket::close_code::going_away);
      co_return false;
    }
    ws_.text(true);
    co_return co_await send_snapshot(show_id, api);
  }

  ~LiveSession() override {
    if (metrics_) metrics_->websocket_closed();
  }

  // Clients only send control frames; reading keeps pings, pongs and close working. Any data
  // they send is read in small pieces and dropped, so an idle socket holds no read buffer.
  // `self` keeps the session alive for as long as this spawned loop runs.
  static asio::awaitable<void> read_loop(std::shared_ptr<LiveSession> self) {
    char sink[64];
    for (;;) {
      auto [ec, n] = co_await self->ws_.async_read_some(asio::buffer(sink), use_tuple);
      if (ec) break;
    }
    self->reader_done_ = true;
    self->wake_.cancel();
  }

  asio::awaitable<void> write_loop() {
    for (;;) {
      Bytes frame;
      bool overflow = false, away = false, resync = false;
      {
        std::lock_guard lock(mutex_);
        overflow = overflow_;
        away = going_away_;
        resync = std::exchange(resync_, false);
        if (!overflow && !away && head_ < queue_.size()) frame = std::move(queue_[head_++]);
        if (head_ == queue_.size()) {
          queue_.clear();
          head_ = 0;
        }
        // Set before the wait below starts; a wake posted meanwhile runs after it (this
        // session's executor is one thread and nothing yields in between).
        idle_ = !frame && !overflow && !away && !resync;
      }
      if (reader_done_) break;
      if (overflow || away) {
        co_await close_with(overflow ? websocket::close_code::policy_error
                                     : websocket::close_code::going_away);
        break;
      }
      if (resync) {
        // Frames queued before it are older than the snapshot: it supersedes them.
        {
          std::lock_guard lock(mutex_);
          queue_.clear();
          head_ = 0;
        }
        const bool sent = co_await send_snapshot(show_id_, *api_);
        if (!sent) break;
        continue;
      }
      if (!frame) {
        co_await wake_.async_wait(use_tuple);
        wake_.expires_at(asio::steady_timer::time_point::max());
        continue;
      }
      auto [ec, n] = co_await ws_.async_write(asio::buffer(*frame), use_tuple);
      if (ec) break;
    }
    std::lock_guard lock(mutex_);
    finished_ = true;
    queue_.clear();
    subscription_.reset();
    watch_.reset();
  }

 private:
  // In its own frame, so the snapshot's bytes are freed as soon as they are sent rather than
  // kept for the life of the connection (thousands of idle watchers add up).
  asio::awaitable<bool> send_snapshot(Id show_id, http::Api& api) {
    auto snapshot = co_await api.booking.live_snapshot(show_id);
    if (!snapshot) {
      co_await ws_.async_close(websocket::close_code::try_again_later, use_tuple);
      co_return false;
    }
    // The bytes are shared by every watcher of this version; a client that does not read them
    // within the deadline is dropped rather than pinning them.
    const Bytes bytes = std::move(*snapshot);
    beast::get_lowest_layer(ws_).expires_after(kSnapshotDeadline);
    auto [ec, n] = co_await ws_.async_write(asio::buffer(*bytes), use_tuple);
    beast::get_lowest_layer(ws_).expires_never();
    co_return !ec;
  }

  asio::awaitable<void> close_with(websocket::close_code code) {
    websocket::close_reason reason(
        code, code == websocket::close_code::policy_error ? "too slow" : "server shutting down");
    // Do not let a silent client hold up a shutdown: wait briefly for its closing reply.
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(2);
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    co_await ws_.async_close(reason, use_tuple);
  }

  // A client that does not read at all never lets a write finish: end it the hard way.
  void arm_watchdog() {
    auto timer = std::make_shared<asio::steady_timer>(ws_.get_executor(), std::chrono::seconds(2));
    timer->async_wait([weak = weak_from_this(), timer](boost::system::error_code) {
      if (auto self = weak.lock()) {
        boost::system::error_code ignored;
        beast::get_lowest_layer(self->ws_).socket().close(ignored);
      }
    });
  }

  websocket::stream<beast::tcp_stream> ws_;
  asio::steady_timer wake_;
  const asio::any_io_executor executor_;
  std::mutex mutex_;
  // A vector and a read position: unlike std::deque, an empty one allocates nothing.
  std::vector<Bytes> queue_;
  std::size_t head_ = 0;
  bool overflow_ = false;
  bool going_away_ = false;
  bool resync_ = false;
  bool finished_ = false;
  bool idle_ = false;            // the writer waits for a wake (under mutex_)
  bool watchdog_armed_ = false;  // only touched on this session's executor
  http::Api* api_ = nullptr;
  Id show_id_ = 0;
  std::shared_ptr<void> watch_;  // keeps this instance subscribed to the show's changes
  bool reader_done_ = false;     // only touched on this session's executor
  std::shared_ptr<void> subscription_;
  Metrics* metrics_ = nullptr;
};

}  // namespace

asio::awaitable<void> serve_live(beast::tcp_stream stream,
                                 beast::http::request<beast::http::string_body> req, Id show_id,
                                 http::Api& api) {
  auto session = std::make_shared<LiveSession>(std::move(stream));
  if (!co_await session->open(std::move(req), show_id, api)) co_return;
  asio::co_spawn(session_executor(*session), LiveSession::read_loop(session), asio::detached);
  co_await session->write_loop();
}

}  // namespace boxoffice::live
