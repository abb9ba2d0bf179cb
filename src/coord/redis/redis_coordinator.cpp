#include "coord/redis/redis_coordinator.hpp"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "async/bridge.hpp"
#include "common/sharded_lru.hpp"
#include "coord/redis/redis_client.hpp"
#include "coord/redis/scripts.hpp"
#include "domain/time.hpp"
#include "ops/log.hpp"

namespace boxoffice {
namespace {

namespace json = boost::json;
using redis::RedisClient;
using redis::RedisValue;
using redis::Script;
using Strings = std::vector<std::string>;

// Every key and channel starts with the deployment's namespace (BOXOFFICE_REDIS_NAMESPACE), so
// that several deployments can share one Redis.
std::string show_tag(const std::string& ns, Id show) {
  return "{" + ns + "s:" + std::to_string(show) + "}";
}

Strings show_keys(const std::string& ns, Id show) {
  const std::string tag = show_tag(ns, show);
  Strings keys;
  for (const char* part :
       {":held", ":booked", ":holds", ":due", ":users", ":gone", ":gonez", ":meta"})
    keys.push_back(tag + part);
  return keys;
}

std::string channel_of(const std::string& ns, Id show) {
  return show_tag(ns, show) + ":live";
}

SeatStatus status_of_letter(std::string_view s) {
  if (s == "b") return SeatStatus::booked;
  if (s == "h") return SeatStatus::held;
  return SeatStatus::available;
}

// "version;A1=h,B2=a" as published by the seat script.
std::vector<SeatChange> parse_changes(std::string_view payload) {
  std::vector<SeatChange> out;
  const auto semi = payload.find(';');
  if (semi == std::string_view::npos) return out;
  payload.remove_prefix(semi + 1);
  while (!payload.empty()) {
    const auto comma = payload.find(',');
    const std::string_view item = payload.substr(0, comma);
    const auto eq = item.find('=');
    if (eq != std::string_view::npos)
      out.push_back({std::string(item.substr(0, eq)), status_of_letter(item.substr(eq + 1))});
    payload = comma == std::string_view::npos ? std::string_view() : payload.substr(comma + 1);
  }
  return out;
}

std::string text_of(const RedisValue& v) {
  return v.is_integer() ? std::to_string(v.as_int()) : v.as_string();
}

// A reply of the seat script that is an error reply means a bug or a lost script: never a
// client's mistake.
void require_ok(const RedisValue& v) {
  if (v.is_error()) throw std::runtime_error("redis script failed: " + v.as_string());
}

Error unreachable() {
  return Error::unavailable("the coordinator (Redis) is not answering; try again shortly");
}

class RedisHoldRegistry final : public HoldRegistry,
                                public std::enable_shared_from_this<RedisHoldRegistry> {
 public:
  RedisHoldRegistry(std::shared_ptr<RedisClient> client, std::string ns,
                    std::size_t max_held_per_user)
      : client_(std::move(client)),
        ns_(std::move(ns)),
        due_shows_(ns_ + "holds:due-shows"),
        max_held_per_user_(max_held_per_user),
        seat_(redis_scripts::seat()),
        due_index_(redis_scripts::due_index()) {}

  // A user's hold index keeps entries this long past their expiry: longer than any confirm
  // deadline, so a hold being confirmed is still listed by GET /holds.
  static constexpr std::int64_t kUserIndexKeepMs = 120'000;

  std::string user_holds_key(Id user) const {
    return "{" + ns_ + "u:" + std::to_string(user) + "}:holds";
  }

  // ---- the seat script ----

  asio::awaitable<RedisValue> seat(Id show, std::string op, Strings rest) {
    Strings args;
    args.reserve(rest.size() + 2);
    args.push_back(std::move(op));
    args.push_back(channel_of(ns_, show));
    for (auto& r : rest) args.push_back(std::move(r));
    RedisValue v = co_await client_->eval(seat_, show_keys(ns_, show), std::move(args));
    require_ok(v);
    co_return v;
  }

  // The seat script for an operation that adds a deadline (hold, begin): when the script asks
  // for it, the show is entered in the due-shows index, the script runs again, and the entry
  // is written once more (`flag`: the index of the "registered" argument in `rest`). Usually
  // one round trip.
  //
  // Before: whichever instance dies after the script, a sweeper ends what it added. After: a
  // sweeper may have read the show's old entry as due, reaped it before the second run added
  // the deadline and then dropped the entry ("nothing pending"); the second write restores it.
  asio::awaitable<RedisValue> seat_registered(Id show, std::string op, Strings rest,
                                              std::size_t flag) {
    Strings again = rest;
    RedisValue v = co_await seat(show, op, std::move(rest));
    if (v[0].as_string() != "register") co_return v;
    const std::int64_t at = v[1].as_int() + 50;
    co_await register_due(show, at);
    again[flag] = "1";
    RedisValue after = co_await seat(show, std::move(op), std::move(again));
    co_await register_due(show, at);
    co_return after;
  }

  asio::awaitable<void> register_due(Id show, std::int64_t deadline_ms) {
    Strings keys{due_shows_};
    Strings args{"register", std::to_string(show), std::to_string(deadline_ms)};
    require_ok(co_await client_->eval(due_index_, std::move(keys), std::move(args)));
  }

  asio::awaitable<std::optional<std::uint64_t>> prime_token(Id show_id) override {
    std::optional<std::uint64_t> token;
    try {
      const RedisValue v = co_await seat(show_id, "prime_token", Strings{});
      if (v[0].as_string() == "token") token = static_cast<std::uint64_t>(v[1].as_int());
    } catch (const std::exception& e) {
      logging::warn("redis prime_token failed", {{"error", e.what()}});
    }
    co_return token;
  }

  asio::awaitable<bool> prime(Id show_id, std::uint64_t token,
                              std::vector<std::string> booked) override {
    Strings rest;
    rest.push_back(std::to_string(token));
    for (auto& s : booked) rest.push_back(std::move(s));
    bool done = true;
    try {
      const RedisValue v = co_await seat(show_id, "prime", std::move(rest));
      done = v[0].as_string() != "stale";
    } catch (const std::exception& e) {
      logging::warn("redis prime failed", {{"error", e.what()}});
    }
    co_return done;
  }

  asio::awaitable<Result<HoldInfo>> try_hold(HoldInfo hold) override {
    const std::int64_t ttl = std::max<std::int64_t>(1, hold.expires_at_ms - now_unix_ms());
    Strings rest{hold.id,
                 std::to_string(hold.user_id),
                 std::to_string(hold.total_cents),
                 std::to_string(ttl),
                 std::to_string(max_held_per_user_),
                 "0"};
    for (const auto& s : hold.seats) rest.push_back(s);
    std::optional<RedisValue> reply;
    try {
      reply = co_await seat_registered(hold.show_id, "hold", std::move(rest), 5);
    } catch (const std::exception& e) {
      logging::warn("redis hold failed", {{"error", e.what()}});
    }
    if (!reply) co_return unreachable();
    const std::string outcome = (*reply)[0].as_string();
    if (outcome == "unprimed") {
      Error e = Error::unavailable("the booked seats of the show are not loaded");
      e.problem = Problem::mirror_unloaded;
      co_return e;
    }
    if (outcome == "taken") {
      Error e = Error::conflict(Problem::seat_unavailable,
                                "some of the requested seats are held or booked");
      for (std::size_t i = 1; i < reply->size(); ++i) e.seats.push_back((*reply)[i].as_string());
      co_return e;
    }
    if (outcome == "limit")
      co_return Error::conflict(Problem::hold_limit, "one account may hold at most " +
                                                         std::to_string(max_held_per_user_) +
                                                         " seats of a show at once; you hold " +
                                                         std::to_string((*reply)[1].as_int()));
    if (outcome != "ok") co_return Error::internal("hold id collision");
    hold.expires_at_ms = (*reply)[1].as_int();
    try {
      // One round trip. Ended holds are not removed one by one (GET /holds skips them): the
      // entries of holds that can no longer be live or confirming go as new ones come, and
      // the whole index when its user stops holding. Bounded by the holds of the last
      // kUserIndexKeepMs.
      const std::string key = user_holds_key(hold.user_id);
      std::vector<Strings> cmds;
      cmds.push_back(Strings{"ZADD", key, std::to_string(hold.expires_at_ms), hold.id});
      cmds.push_back(Strings{"ZREMRANGEBYSCORE", key, "-inf",
                             std::to_string(now_unix_ms() - kUserIndexKeepMs)});
      cmds.push_back(Strings{"PEXPIRE", key, std::to_string(ttl + kUserIndexKeepMs)});
      co_await client_->pipeline(key, std::move(cmds));
    } catch (const std::exception& e) {
      // The hold stands; only GET /holds may miss it.
      logging::warn("redis user hold index failed", {{"error", e.what()}});
    }
    co_return hold;
  }

  asio::awaitable<void> forget_for_user(Id user, std::string hold_id) {
    try {
      Strings cmd{"ZREM", user_holds_key(user), std::move(hold_id)};
      co_await client_->command(std::move(cmd), user_holds_key(user));
    } catch (const std::exception&) {
      // Read paths skip ended holds anyway.
    }
  }

  asio::awaitable<Status> release(Id show_id, std::string hold_id, Id user_id) override {
    std::optional<RedisValue> reply;
    try {
      Strings rest{hold_id, std::to_string(user_id)};
      reply = co_await seat(show_id, "release", std::move(rest));
    } catch (const std::exception& e) {
      logging::warn("redis release failed", {{"error", e.what()}});
    }
    if (!reply) co_return unreachable();
    const std::string outcome = (*reply)[0].as_string();
    if (outcome == "notfound") co_return Error::not_found("no such hold");
    if (outcome == "confirming")
      co_return Error::conflict(Problem::hold_confirming, "the hold is being confirmed");
    co_return ok_status();
  }

  asio::awaitable<Result<ConfirmTicket>> begin_confirm(
      Id show_id, std::string hold_id, Id user_id, std::chrono::milliseconds deadline) override {
    std::optional<RedisValue> reply;
    try {
      // The abandoned-confirmation deadline is indexed (when it has to be) before it is set.
      Strings rest{hold_id, std::to_string(user_id), std::to_string(deadline.count()), "0"};
      reply = co_await seat_registered(show_id, "begin", std::move(rest), 3);
    } catch (const std::exception& e) {
      logging::warn("redis begin_confirm failed", {{"error", e.what()}});
    }
    if (!reply) co_return unreachable();
    const std::string outcome = (*reply)[0].as_string();
    if (outcome == "notfound") co_return Error::not_found("no such hold");
    if (outcome == "confirming")
      co_return Error::conflict(Problem::hold_expired, "the hold is already being confirmed");
    if (outcome == "gone") {
      const std::string phase = (*reply)[1].as_string();
      if (phase == "used")
        co_return Error::conflict(Problem::hold_expired, "the hold was already used for a booking");
      if (phase == "released")
        co_return Error::conflict(Problem::hold_expired, "the hold was released");
      co_return Error::conflict(Problem::hold_expired, "the hold has expired");
    }
    ConfirmTicket t;
    t.fence = static_cast<std::uint64_t>((*reply)[1].as_int());
    t.deadline_ms = (*reply)[2].as_int();
    t.hold.id = hold_id;
    t.hold.show_id = show_id;
    t.hold.user_id = user_id;
    t.hold.total_cents = std::stoll(text_of((*reply)[3]));
    t.hold.expires_at_ms = (*reply)[4].as_int();
    for (std::size_t i = 5; i < reply->size(); ++i) t.hold.seats.push_back((*reply)[i].as_string());
    co_return t;
  }

  asio::awaitable<void> finish_confirm(Id show_id, ConfirmTicket ticket, ConfirmOutcome outcome,
                                       std::vector<std::string> taken) override {
    Strings rest{ticket.hold.id, std::to_string(ticket.fence),
                 outcome == ConfirmOutcome::booked  ? "booked"
                 : outcome == ConfirmOutcome::taken ? "taken"
                                                    : "released",
                 std::to_string(ticket.hold.seats.size())};
    for (const auto& s : ticket.hold.seats) rest.push_back(s);
    for (auto& s : taken) rest.push_back(std::move(s));
    try {
      co_await seat(show_id, "finish", std::move(rest));
    } catch (const std::exception& e) {
      // The confirmation deadline reverts the hold by itself; the store stays the truth.
      logging::warn("redis finish_confirm failed", {{"error", e.what()}});
    }
  }

  asio::awaitable<void> mark(Id show_id, std::string op, std::vector<std::string> seats) {
    try {
      co_await seat(show_id, std::move(op), std::move(seats));
    } catch (const std::exception& e) {
      logging::warn("redis mark failed", {{"error", e.what()}});
    }
  }

  asio::awaitable<void> mark_booked(Id show_id, std::vector<std::string> seats) override {
    return mark(show_id, "mark_booked", std::move(seats));
  }

  asio::awaitable<void> mark_free(Id show_id, std::vector<std::string> seats) override {
    return mark(show_id, "mark_free", std::move(seats));
  }

  asio::awaitable<Result<SeatSnapshot>> statuses(Id show_id,
                                                 std::span<const std::string> seat_ids) override {
    Strings rest(seat_ids.begin(), seat_ids.end());
    std::optional<RedisValue> reply;
    try {
      reply = co_await seat(show_id, "statuses", std::move(rest));
    } catch (const std::exception& e) {
      logging::warn("redis statuses failed", {{"error", e.what()}});
    }
    if (!reply) co_return unreachable();
    SeatSnapshot snap;
    snap.version = static_cast<std::uint64_t>((*reply)[0].as_int());
    snap.statuses.reserve(reply->size() - 1);
    for (std::size_t i = 1; i < reply->size(); ++i)
      snap.statuses.push_back(status_of_letter((*reply)[i].as_string()));
    co_return snap;
  }

  asio::awaitable<std::uint64_t> version(Id show_id) override {
    std::uint64_t v = 0;
    try {
      const RedisValue reply = co_await seat(show_id, "version", Strings{});
      v = static_cast<std::uint64_t>(reply[0].as_int());
    } catch (const std::exception& e) {
      logging::warn("redis version failed", {{"error", e.what()}});
    }
    co_return v;
  }

  asio::awaitable<Result<std::vector<HoldInfo>>> holds_of(Id user_id) override {
    std::vector<HoldInfo> out;
    bool failed = false;
    try {
      Strings range{"ZRANGE", user_holds_key(user_id), "0", "-1"};
      const RedisValue ids = co_await client_->command(std::move(range), user_holds_key(user_id),
                                                       redis::Idempotent::yes);
      std::map<Id, Strings> by_show;  // bounded by the user's indexed holds
      for (const RedisValue& id : ids.as_array())
        if (const Id show = show_of_hold(id.as_string())) by_show[show].push_back(id.as_string());
      for (auto& [show, hold_ids] : by_show) {
        Strings asked = hold_ids;
        const RedisValue records = co_await seat(show, "hold_info", std::move(asked));
        for (std::size_t i = 0; i < hold_ids.size() && i < records.size(); ++i) {
          if (!records[i].is_string()) {
            co_await forget_for_user(user_id, hold_ids[i]);
            continue;
          }
          const json::value rec = json::parse(records[i].as_string());
          const json::object& o = rec.as_object();
          HoldInfo h;
          h.id = hold_ids[i];
          h.show_id = show;
          h.user_id = user_id;
          for (const auto& s : o.at("s").as_array()) h.seats.emplace_back(s.as_string());
          const json::value& total = o.at("t");
          h.total_cents = total.is_string() ? std::stoll(std::string(total.as_string()))
                                            : total.to_number<std::int64_t>();
          h.expires_at_ms = o.at("x").to_number<std::int64_t>();
          out.push_back(std::move(h));
        }
      }
    } catch (const std::exception& e) {
      logging::warn("redis holds_of failed", {{"error", e.what()}});
      failed = true;
    }
    if (failed) co_return unreachable();
    co_return out;
  }

  void on_changes(ChangeListener listener) override { listeners_.push_back(std::move(listener)); }
  void on_resync(ResyncListener listener) override { resyncs_.push_back(std::move(listener)); }

  // One subscription per show this instance watches, shared by its watchers; the last
  // watcher's release removes the entry and unsubscribes.
  struct ShowWatch {
    ShowWatch(std::weak_ptr<RedisHoldRegistry> o, Id s, redis::Subscription sub)
        : owner(std::move(o)), show(s), subscription(std::move(sub)) {}
    ~ShowWatch() {
      if (auto o = owner.lock()) o->forget_watch(show);
    }
    std::weak_ptr<RedisHoldRegistry> owner;
    Id show;
    redis::Subscription subscription;
  };

  void forget_watch(Id show_id) {
    std::lock_guard lock(watch_mutex_);
    auto it = watches_.find(show_id);
    if (it != watches_.end() && it->second.expired()) watches_.erase(it);
  }

  asio::awaitable<std::shared_ptr<void>> watch(Id show_id) override {
    // A second try covers a subscription that another watcher was making and that failed.
    std::optional<std::shared_ptr<void>> w = co_await watch_once(show_id);
    if (!w) w = co_await watch_once(show_id);
    co_return w ? *w : nullptr;
  }

  // nullopt: another watcher of this instance was subscribing; it has finished now.
  asio::awaitable<std::optional<std::shared_ptr<void>>> watch_once(Id show_id) {
    bool subscribe_here = false;
    {
      std::lock_guard lock(watch_mutex_);
      if (auto it = watches_.find(show_id); it != watches_.end())
        if (auto w = it->second.lock()) co_return w;
      if (!pending_.count(show_id)) {
        pending_[show_id];
        subscribe_here = true;
      }
    }
    if (!subscribe_here) {
      co_await wait_for_subscriber(show_id);
      co_return std::nullopt;
    }
    std::optional<redis::Subscription> sub;
    try {
      sub = co_await subscribe(show_id);
    } catch (const std::exception& e) {
      logging::warn("redis subscribe failed", {{"error", e.what()}});
    }
    co_return std::shared_ptr<void>(publish_watch(show_id, std::move(sub)));
  }

  asio::awaitable<bool> wait_for_subscriber(Id show_id) {
    auto wait = [self = shared_from_this(), show_id](Deliver<bool> deliver) {
      std::lock_guard lock(self->watch_mutex_);
      auto it = self->pending_.find(show_id);
      if (it == self->pending_.end()) {
        deliver(true);
        return;
      }
      it->second.push_back(std::move(deliver));
    };
    return await_callback<bool>(std::move(wait));
  }

  asio::awaitable<redis::Subscription> subscribe(Id show_id) {
    auto on_message = [weak = weak_from_this(), show_id](std::string_view payload) {
      if (auto self = weak.lock()) self->deliver(show_id, parse_changes(payload));
    };
    auto on_resubscribed = [weak = weak_from_this(), show_id] {
      if (auto self = weak.lock())
        for (const auto& r : self->resyncs_) r(show_id);
    };
    return client_->ssubscribe(channel_of(ns_, show_id), std::move(on_message),
                               std::move(on_resubscribed));
  }

  // Makes the subscription the show's shared watch (null if it failed) and wakes the watchers
  // that waited for it.
  std::shared_ptr<ShowWatch> publish_watch(Id show_id, std::optional<redis::Subscription> sub) {
    std::shared_ptr<ShowWatch> w;
    std::vector<Deliver<bool>> waiting;
    {
      std::lock_guard lock(watch_mutex_);
      if (sub) {
        w = std::make_shared<ShowWatch>(weak_from_this(), show_id, std::move(*sub));
        watches_[show_id] = w;
      }
      waiting = std::move(pending_[show_id]);
      pending_.erase(show_id);
    }
    for (auto& d : waiting) d(true);
    return w;
  }

  void deliver(Id show_id, const std::vector<SeatChange>& changes) {
    if (changes.empty()) return;
    for (const auto& l : listeners_) l(show_id, changes);
  }

  // Ends due holds of any show (whichever instance made them) and settles the index.
  asio::awaitable<void> sweep() {
    const RedisValue due = co_await due_shows(now_unix_ms());
    for (std::size_t i = 0; i + 1 < due.size(); i += 2)
      co_await reap(due[i].as_string(), text_of(due[i + 1]));
  }

  asio::awaitable<RedisValue> due_shows(std::int64_t now) {
    Strings range{"ZRANGEBYSCORE", due_shows_, "-inf", std::to_string(now),
                  "WITHSCORES",    "LIMIT",    "0",    "64"};
    return client_->command(std::move(range), due_shows_, redis::Idempotent::yes);
  }

  asio::awaitable<void> reap(std::string show_text, std::string seen) {
    const RedisValue next = co_await seat(std::stoll(show_text), "reap", Strings{});
    Strings keys{due_shows_};
    Strings args{"settle", show_text, seen, std::to_string(next[0].as_int())};
    require_ok(co_await client_->eval(due_index_, std::move(keys), std::move(args)));
  }

  std::size_t watched_shows() {
    std::lock_guard lock(watch_mutex_);
    return watches_.size();
  }

 private:
  std::shared_ptr<RedisClient> client_;
  std::string ns_;
  std::string due_shows_;  // the index of shows with live holds
  std::size_t max_held_per_user_;
  Script seat_;
  Script due_index_;
  std::vector<ChangeListener> listeners_;  // set before serving
  std::vector<ResyncListener> resyncs_;    // set before serving
  std::mutex watch_mutex_;
  // Shows watched by this instance's WebSockets: bounded by them; an entry goes with its last
  // watcher (ShowWatch's deleter).
  std::unordered_map<Id, std::weak_ptr<ShowWatch>> watches_;
  // Watchers waiting for a subscription in flight, by show; emptied when it completes.
  std::unordered_map<Id, std::vector<Deliver<bool>>> pending_;
};

// Catalog pages: bytes in Redis (shared, with TTLs), and the same bytes kept near, per
// instance. Keys include their namespace's generation, so a near copy is right for as long as
// the generation it was built under (and its TTL) lasts.
class RedisCache final : public Cache {
 public:
  RedisCache(std::shared_ptr<RedisClient> client, std::string ns, std::size_t near_bytes)
      : client_(std::move(client)),
        c_(ns + "c:"),
        g_(ns + "g:"),
        bump_(redis_scripts::bump_generation()),
        near_(0, near_bytes) {}

  asio::awaitable<Bytes> get(std::string key) override {
    const std::int64_t now = now_unix_ms();
    Bytes hit = near_.with(
        key, [&](Near* n) -> Bytes { return n && n->expires_ms > now ? n->bytes : nullptr; });
    if (hit) co_return hit;
    try {
      Strings cmd{"GET", c_ + key};
      const RedisValue v =
          co_await client_->command(std::move(cmd), c_ + key, redis::Idempotent::yes);
      if (v.is_string()) {
        hit = std::make_shared<const std::string>(v.as_string());
        near_.put(key, Near{hit, now + kNearFillMs});
      }
    } catch (const std::exception& e) {
      logging::debug("redis cache get failed", {{"error", e.what()}});
    }
    co_return hit;
  }

  asio::awaitable<void> put(std::string key, Bytes value, std::chrono::milliseconds ttl) override {
    near_.put(key, Near{value, now_unix_ms() + ttl.count()});
    try {
      Strings cmd{"SET", c_ + key, *value, "PX",
                  std::to_string(std::max<std::int64_t>(1, ttl.count()))};
      co_await client_->command(std::move(cmd), c_ + key, redis::Idempotent::yes);
    } catch (const std::exception& e) {
      logging::debug("redis cache put failed", {{"error", e.what()}});
    }
  }

  asio::awaitable<void> erase(std::string key) override {
    near_.erase(key);
    try {
      Strings cmd{"DEL", c_ + key};
      co_await client_->command(std::move(cmd), c_ + key, redis::Idempotent::yes);
    } catch (const std::exception& e) {
      logging::debug("redis cache erase failed", {{"error", e.what()}});
    }
  }

  asio::awaitable<std::uint64_t> generation(std::string ns) override {
    std::uint64_t g = 0;
    try {
      Strings get{"GET", g_ + ns};
      RedisValue v = co_await client_->command(std::move(get), g_ + ns, redis::Idempotent::yes);
      if (v.is_nil()) {
        Strings keys{g_ + ns};
        v = co_await client_->eval(bump_, std::move(keys), Strings{});
      }
      g = static_cast<std::uint64_t>(v.as_int());
    } catch (const std::exception& e) {
      logging::debug("redis generation failed", {{"error", e.what()}});
    }
    co_return g;
  }

  asio::awaitable<void> bump(std::string ns) override {
    try {
      Strings keys{g_ + ns};
      co_await client_->eval(bump_, std::move(keys), Strings{});
    } catch (const std::exception& e) {
      logging::warn("redis generation bump failed", {{"error", e.what()}});
    }
  }

  std::size_t near_bytes() const { return near_.bytes(); }

 private:
  static constexpr std::int64_t kNearFillMs = 5'000;  // a copy fetched from Redis, not put here
  struct Near {
    Bytes bytes;
    std::int64_t expires_ms = 0;
  };
  struct Weigh {
    std::size_t operator()(const Near& n) const { return (n.bytes ? n.bytes->size() : 0) + 96; }
  };
  std::shared_ptr<RedisClient> client_;
  std::string c_, g_;  // key prefixes of pages and generations
  Script bump_;
  // Bounded by bytes (near_bytes); least recently used pages go first; entries past their
  // expiry are ignored and replaced.
  ShardedLru<std::string, Near, Weigh> near_;
};

// Sessions live in Redis only: a sign-out on one instance is seen by every other at once.
class RedisSessionCache final : public SessionCache {
 public:
  RedisSessionCache(std::shared_ptr<RedisClient> client, std::string ns)
      : client_(std::move(client)), prefix_(ns + "sess:") {}

  asio::awaitable<SessionLookup> get(std::string token_hash) override {
    SessionLookup out;
    try {
      Strings cmd{"GET", prefix_ + token_hash};
      const RedisValue v =
          co_await client_->command(std::move(cmd), prefix_ + token_hash, redis::Idempotent::yes);
      if (v.is_string() && v.as_string() == kSignedOut) {
        out.state = SessionLookup::State::signed_out;
      } else if (v.is_string()) {
        const json::value parsed = json::parse(v.as_string());
        const json::object& o = parsed.as_object();
        SessionRecord s;
        s.user.id = o.at("id").to_number<std::int64_t>();
        s.user.email = std::string(o.at("email").as_string());
        s.user.name = std::string(o.at("name").as_string());
        s.user.role = o.at("role").as_string() == "admin" ? Role::admin : Role::customer;
        s.expires_at = o.at("exp").to_number<std::int64_t>();
        if (s.expires_at > now_unix()) {
          out.state = SessionLookup::State::live;
          out.session = std::move(s);
        }
      }
    } catch (const std::exception& e) {
      logging::debug("redis session get failed", {{"error", e.what()}});
    }
    co_return out;
  }

  asio::awaitable<void> put(std::string token_hash, SessionRecord s) override {
    const std::int64_t ttl_ms = (s.expires_at - now_unix()) * 1000;
    if (ttl_ms <= 0) co_return;
    json::object o{{"id", s.user.id},
                   {"email", s.user.email},
                   {"name", s.user.name},
                   {"role", std::string(role_name(s.user.role))},
                   {"exp", s.expires_at}};
    try {
      // NX: a sign-out recorded meanwhile stays (see SessionLookup).
      Strings cmd{"SET", prefix_ + token_hash,   json::serialize(o),
                  "PX",  std::to_string(ttl_ms), "NX"};
      co_await client_->command(std::move(cmd), prefix_ + token_hash, redis::Idempotent::yes);
    } catch (const std::exception& e) {
      logging::debug("redis session put failed", {{"error", e.what()}});
    }
  }

  asio::awaitable<bool> erase(std::string token_hash) override {
    bool done = false;
    try {
      const auto memory_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(SessionCache::kSignOutMemory);
      Strings cmd{"SET", prefix_ + token_hash, std::string(kSignedOut), "PX",
                  std::to_string(memory_ms.count())};
      co_await client_->command(std::move(cmd), prefix_ + token_hash, redis::Idempotent::yes);
      done = true;
    } catch (const std::exception& e) {
      logging::warn("redis session erase failed", {{"error", e.what()}});
    }
    co_return done;
  }

 private:
  // The value that records a sign-out; a session is a JSON object, so never this.
  static constexpr std::string_view kSignedOut = "-";
  std::shared_ptr<RedisClient> client_;
  std::string prefix_;
};

class RedisIdempotencyGuard final : public IdempotencyGuard {
 public:
  RedisIdempotencyGuard(std::shared_ptr<RedisClient> client, std::string ns)
      : client_(std::move(client)),
        ns_(std::move(ns)),
        delete_if_owner_(redis_scripts::delete_if_owner()) {}

  std::string key_of(Id user, const std::string& key) const {
    return ns_ + "idem:{" + std::to_string(user) + "}:" + key;
  }

  asio::awaitable<std::optional<std::uint64_t>> try_begin(Id user_id, std::string key,
                                                          std::chrono::milliseconds ttl) override {
    std::uint64_t token = 0;
    randombytes_buf(&token, sizeof token);
    token |= 1;  // never 0
    std::optional<std::uint64_t> out = token;
    try {
      Strings cmd{"SET",
                  key_of(user_id, key),
                  std::to_string(token),
                  "NX",
                  "PX",
                  std::to_string(std::max<std::int64_t>(1, ttl.count()))};
      const RedisValue v = co_await client_->command(std::move(cmd), key_of(user_id, key));
      if (v.is_nil()) out.reset();
    } catch (const std::exception& e) {
      // The store's unique (user, key) still refuses a second booking: go on without the mark.
      logging::warn("redis idempotency mark failed", {{"error", e.what()}});
    }
    co_return out;
  }

  asio::awaitable<void> end(Id user_id, std::string key, std::uint64_t token) override {
    try {
      Strings keys{key_of(user_id, key)};
      Strings args{std::to_string(token)};
      co_await client_->eval(delete_if_owner_, std::move(keys), std::move(args));
    } catch (const std::exception& e) {
      logging::debug("redis idempotency end failed", {{"error", e.what()}});  // the TTL ends it
    }
  }

 private:
  std::shared_ptr<RedisClient> client_;
  std::string ns_;
  Script delete_if_owner_;
};

// The sliding window of src/domain/sliding_window.cpp over two per-minute counters in Redis
// (same hash tag, so one node): this request is counted first (INCR, pipelined with the
// expiry and the previous minute's count: one round trip, no script), then judged by the same
// rule as the embedded limiter on the counts as they were before it; a refused request is
// uncounted again (DECR), so refusals never lock a client out. Two requests racing for the
// last slot may both be refused, never both let through.
class RedisRateLimiter final : public RateLimiter {
 public:
  RedisRateLimiter(std::shared_ptr<RedisClient> client, std::string ns)
      : client_(std::move(client)), ns_(std::move(ns)) {}

  asio::awaitable<RateDecision> hit(std::string key, std::int64_t limit_per_minute) override {
    const std::int64_t now = now_unix_ms();
    const std::int64_t minute = now / kWindowMs;
    RateDecision d;
    d.limit = limit_per_minute;
    d.remaining = limit_per_minute;
    try {
      const std::string tag = ns_ + "rl:{" + key + "}:";
      std::string current = tag + std::to_string(minute);
      std::vector<Strings> cmds;
      cmds.push_back(Strings{"INCR", current});
      cmds.push_back(Strings{"PEXPIRE", current, std::to_string(2 * kWindowMs)});
      cmds.push_back(Strings{"GET", tag + std::to_string(minute - 1)});
      const std::vector<RedisValue> v = co_await client_->pipeline(current, std::move(cmds));
      if (v.size() != 3) throw std::runtime_error("rate limit: short pipeline reply");
      require_ok(v[0]);
      WindowCounter c;
      c.window_start_ms = minute * kWindowMs;
      // Never below zero: a key lost between INCR and an undo's DECR (eviction, a failover)
      // must not turn into extra budget.
      c.current = std::max<std::int64_t>(0, v[0].as_int() - 1);
      c.previous = v[2].is_nil() ? 0 : std::max<std::int64_t>(0, v[2].as_int());
      d = hit_window(c, limit_per_minute, kWindowMs, now);
      if (!d.allowed) co_await uncount(current);
    } catch (const std::exception& e) {
      // Failing open: a Redis outage must not turn every request away.
      logging::debug("redis rate limit failed", {{"error", e.what()}});
    }
    co_return d;
  }

 private:
  static constexpr std::int64_t kWindowMs = 60'000;

  // Best effort: a refusal that stays counted costs its client one request of this minute.
  // The expiry goes with it, so a DECR that recreated a lost key cannot leave it forever.
  asio::awaitable<void> uncount(std::string current) {
    try {
      std::vector<Strings> cmds;
      cmds.push_back(Strings{"DECR", current});
      cmds.push_back(Strings{"PEXPIRE", current, std::to_string(2 * kWindowMs)});
      co_await client_->pipeline(current, std::move(cmds));
    } catch (const std::exception& e) {
      logging::debug("redis rate limit undo failed", {{"error", e.what()}});
    }
  }

  std::shared_ptr<RedisClient> client_;
  std::string ns_;
};

// Runs the expiry sweep every `every` on `ex` until stopped.
class DueSweeper : public std::enable_shared_from_this<DueSweeper> {
 public:
  DueSweeper(asio::any_io_executor ex, std::chrono::milliseconds every,
             std::shared_ptr<RedisHoldRegistry> holds)
      : every_(every), holds_(std::move(holds)) {
    timer_.emplace(ex);
  }

  void arm() {
    if (stopped_ || !timer_) return;
    timer_->expires_after(every_);
    timer_->async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped_) return;
      if (self->running_.exchange(true)) {
        self->arm();
        return;
      }
      asio::co_spawn(self->timer_->get_executor(), self->run_once(), asio::detached);
    });
  }

  asio::awaitable<void> run_once() {
    auto self = shared_from_this();
    try {
      co_await holds_->sweep();
    } catch (const std::exception& e) {
      logging::debug("redis expiry sweep failed", {{"error", e.what()}});
    }
    running_ = false;
    arm();
  }

  void stop() {
    stopped_ = true;
    if (timer_) timer_->cancel();
    timer_.reset();
  }

 private:
  std::chrono::milliseconds every_;
  std::shared_ptr<RedisHoldRegistry> holds_;
  std::optional<asio::steady_timer> timer_;
  std::atomic<bool> running_{false};
  bool stopped_ = false;
};

}  // namespace

Coordinator make_redis_coordinator(boost::asio::any_io_executor timer_executor,
                                   RedisCoordinatorOptions options) {
  auto client = std::make_shared<RedisClient>(redis::parse_redis_url(options.url));
  const std::string& ns = options.ns;
  auto holds = std::make_shared<RedisHoldRegistry>(client, ns, options.max_held_per_user);
  auto cache = std::make_shared<RedisCache>(client, ns, options.near_cache_bytes);
  auto sessions = std::make_shared<RedisSessionCache>(client, ns);
  auto marks = std::make_shared<RedisIdempotencyGuard>(client, ns);
  auto limiter = std::make_shared<RedisRateLimiter>(client, ns);
  auto sweeper = std::make_shared<DueSweeper>(timer_executor, options.sweep_interval, holds);
  sweeper->arm();
  Coordinator c{holds, cache, sessions, marks, limiter, {}, {}, {}, {}};
  c.retained = [weak_holds = std::weak_ptr<RedisHoldRegistry>(holds),
                weak_cache = std::weak_ptr<RedisCache>(cache)] {
    std::vector<std::pair<std::string, double>> parts;
    if (auto h = weak_holds.lock())
      parts.emplace_back("redis_watched_shows", static_cast<double>(h->watched_shows()));
    if (auto c = weak_cache.lock())
      parts.emplace_back("near_cache_bytes", static_cast<double>(c->near_bytes()));
    return parts;
  };
  c.events = [weak = std::weak_ptr<RedisClient>(client)] {
    std::vector<std::pair<std::string, double>> out;
    if (auto cl = weak.lock()) {
      const redis::ClientStats s = cl->stats();
      out = {{"redis_round_trips", static_cast<double>(s.round_trips)},
             {"redis_moved", static_cast<double>(s.moved)},
             {"redis_ask", static_cast<double>(s.ask)},
             {"redis_retries", static_cast<double>(s.retries)},
             {"redis_refreshes", static_cast<double>(s.refreshes)},
             {"redis_connects", static_cast<double>(s.connects)},
             {"redis_resubscribes", static_cast<double>(s.resubscribes)}};
    }
    return out;
  };
  c.stop = [client, sweeper] {
    sweeper->stop();
    client->stop();
  };
  c.health = [client]() -> asio::awaitable<std::vector<HealthCheck>> {
    std::vector<HealthCheck> out;
    std::string state = "ok";
    try {
      Strings ping{"PING"};
      const RedisValue v = co_await client->command(std::move(ping), "", redis::Idempotent::yes);
      if (v.is_error()) state = v.as_string();
    } catch (const std::exception& e) {
      state = e.what();
    }
    out.push_back(HealthCheck{"redis", state, state == "ok", false});
    co_return out;
  };
  return c;
}

}  // namespace boxoffice
