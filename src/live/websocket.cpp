#include "live/websocket.hpp"

#include <deque>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

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
using namespace asio::experimental::awaitable_operators;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Frames a client may have waiting before it counts as too slow.
constexpr std::size_t kMaxQueuedFrames = 256;

class LiveSession final : public Subscriber, public std::enable_shared_from_this<LiveSession> {
 public:
  explicit LiveSession(beast::tcp_stream stream) : ws_(std::move(stream)), wake_(ws_.get_executor()) {
    wake_.expires_at(asio::steady_timer::time_point::max());
  }

  void deliver(const Bytes& frame) override {
    bool overflow_now = false;
    {
      std::lock_guard lock(mutex_);
      if (finished_) return;
      if (queue_.size() >= kMaxQueuedFrames) {
        overflow_now = !overflow_;
        overflow_ = true;
      } else {
        queue_.push_back(frame);
      }
    }
    asio::post(ws_.get_executor(), [self = shared_from_this(), overflow_now] {
      self->wake_.cancel();
      if (overflow_now) self->arm_watchdog();
    });
  }

  void going_away() override {
    {
      std::lock_guard lock(mutex_);
      going_away_ = true;
    }
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->wake_.cancel(); });
  }

  asio::awaitable<void> run(beast::http::request<beast::http::string_body> req, Id show_id, http::Api& api) {
    beast::get_lowest_layer(ws_).expires_never();
    // A fixed, small send buffer bounds what a slow client can pin in the kernel (and lets the
    // queue limit below notice it quickly); a snapshot just takes a few more rounds.
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(asio::socket_base::send_buffer_size(64 * 1024), ignored);
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(10);
    t.idle_timeout = std::chrono::seconds(60);  // a ping after 30 s of silence; no answer in 60 s closes
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(beast::http::field::server, "boxoffice"); }));
    auto [aec] = co_await ws_.async_accept(req, use_tuple);
    if (aec) co_return;
    api.metrics.websocket_opened();
    struct Gauge {
      Metrics& m;
      ~Gauge() { m.websocket_closed(); }
    } gauge{api.metrics};
    // Subscribe first, then snapshot: no change can fall between the two.
    auto subscription = api.hub.subscribe(show_id, shared_from_this());
    auto snapshot = co_await api.booking.live_snapshot(show_id);
    if (!snapshot) {
      co_await ws_.async_close(websocket::close_code::try_again_later, use_tuple);
      co_return;
    }
    ws_.text(true);
    auto [wec, wn] = co_await ws_.async_write(asio::buffer(*snapshot), use_tuple);
    if (wec) co_return;
    co_await (read_loop() || write_loop());
    std::lock_guard lock(mutex_);
    finished_ = true;
    queue_.clear();
  }

 private:
  // Clients only send control frames; reading keeps pings, pongs and close working.
  asio::awaitable<void> read_loop() {
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, n] = co_await ws_.async_read(buffer, use_tuple);
      if (ec) co_return;
      buffer.consume(buffer.size());
    }
  }

  asio::awaitable<void> write_loop() {
    for (;;) {
      Bytes frame;
      bool overflow = false, away = false;
      {
        std::lock_guard lock(mutex_);
        overflow = overflow_;
        away = going_away_;
        if (!overflow && !away && !queue_.empty()) {
          frame = std::move(queue_.front());
          queue_.pop_front();
        }
      }
      if (overflow || away) {
        const auto code = overflow ? websocket::close_code::policy_error : websocket::close_code::going_away;
        websocket::close_reason reason(code, overflow ? "too slow" : "server shutting down");
        // Do not let a silent client hold up a shutdown: wait briefly for its closing reply.
        websocket::stream_base::timeout t{};
        t.handshake_timeout = std::chrono::seconds(2);
        t.idle_timeout = websocket::stream_base::none();
        t.keep_alive_pings = false;
        ws_.set_option(t);
        co_await ws_.async_close(reason, use_tuple);
        co_return;
      }
      if (!frame) {
        co_await wake_.async_wait(use_tuple);
        wake_.expires_at(asio::steady_timer::time_point::max());
        continue;
      }
      auto [ec, n] = co_await ws_.async_write(asio::buffer(*frame), use_tuple);
      if (ec) co_return;
    }
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
  std::mutex mutex_;
  std::deque<Bytes> queue_;
  bool overflow_ = false;
  bool going_away_ = false;
  bool finished_ = false;
};

asio::awaitable<void> run_session(std::shared_ptr<LiveSession> session,
                                  beast::http::request<beast::http::string_body> req, Id show_id, http::Api& api) {
  co_await session->run(std::move(req), show_id, api);
}

}  // namespace

asio::awaitable<void> serve_live(beast::tcp_stream stream, beast::http::request<beast::http::string_body> req,
                                 Id show_id, http::Api& api) {
  auto session = std::make_shared<LiveSession>(std::move(stream));
  co_await run_session(session, std::move(req), show_id, api);
}

}  // namespace boxoffice::live
