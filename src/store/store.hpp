#pragma once
// The store port: the durable truth. Backends: sqlite/ (embedded) and postgres/ (a command DB
// for writes and read-your-writes reads, a query DB replica for the public catalog lists).
// Every call is asynchronous and never blocks the caller's I/O thread. A failing backend
// answers Error::unavailable (503); rule violations answer their own typed errors.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "domain/models.hpp"
#include "domain/result.hpp"
#include "domain/validation.hpp"

namespace boxoffice {

namespace asio = boost::asio;

struct NewUser {
  std::string email;  // normalized
  std::string name;
  std::string password_hash;
  Role role = Role::customer;
};

struct NewScreen {
  std::string name;
  std::vector<SeatRow> rows;
};

struct NewTheater {
  std::string name;
  std::string city;
  std::string timezone = "UTC";
  std::vector<NewScreen> screens;
};

struct NewShow {
  Id movie_id = 0;
  Id screen_id = 0;
  UnixSeconds starts_at = 0;
  PriceTable prices;
  std::string currency;
};

// Shows are listed by (starts_at, id).
struct ShowFilter {
  std::optional<Id> movie_id;
  std::optional<Id> theater_id;
  // Shows starting on this calendar day (days since 1970-01-01) in their theater's time zone.
  std::optional<std::int64_t> local_day;
  std::optional<ShowCursor> after;  // continue after this show
  int limit = 50;
};

struct NewBooking {
  Id user_id = 0;
  Id show_id = 0;
  std::vector<std::string> seats;
  std::int64_t total_cents = 0;
  std::string currency;
  std::string idempotency_key;  // empty: none
  std::string request_hash;     // of the request body, for idempotency
};

struct IdempotencyRecord {
  std::string request_hash;
  Id booking_id = 0;
};

struct CancelOutcome {
  Booking booking;
  bool changed = false;  // false: it was cancelled already, nothing was freed
};

struct PoolUsage {
  std::string db;  // "embedded", "command" or "query"
  std::int64_t in_use = 0;
  std::int64_t idle = 0;
  bool reachable = true;  // the last connect succeeded
};

class Store {
 public:
  virtual ~Store() = default;

  // Connections in use and idle right now, per database, for the metrics.
  virtual std::vector<PoolUsage> pool_usage() const = 0;

  // Asks every database the backend uses, each within a bounded time.
  virtual asio::awaitable<std::vector<HealthCheck>> health() = 0;
  // Forgets idempotency records created before `idempotency_before` and expired sessions, a
  // bounded number per call (called every minute).
  virtual asio::awaitable<Status> purge_expired(UnixSeconds idempotency_before) = 0;
  // The value kept under `name`: `fresh` the first time anyone asks, the stored one from then
  // on, for every instance on this database (the key that signs hold ids).
  virtual asio::awaitable<Result<std::string>> secret(std::string name, std::string fresh) = 0;
  // Finishes or fails every call in flight and stops the backend's threads; called while the
  // I/O contexts that await those calls still exist (before the server is destroyed).
  virtual void stop() = 0;

  // Accounts. create_user: 409 email-taken when the email exists.
  virtual asio::awaitable<Result<User>> create_user(NewUser u) = 0;
  // Creates the admin or makes the existing account an admin with this password.
  virtual asio::awaitable<Result<User>> ensure_admin(NewUser u) = 0;
  virtual asio::awaitable<Result<std::optional<UserRecord>>> find_user_by_email(
      std::string email) = 0;
  virtual asio::awaitable<Status> create_session(std::string token_hash, Id user_id,
                                                 UnixSeconds expires_at) = 0;
  virtual asio::awaitable<Result<std::optional<SessionRecord>>> find_session(
      std::string token_hash) = 0;
  virtual asio::awaitable<Status> delete_session(std::string token_hash) = 0;

  // Catalog.
  virtual asio::awaitable<Result<Movie>> create_movie(Movie m) = 0;
  virtual asio::awaitable<Result<Movie>> update_movie(Id id, MoviePatch patch) = 0;
  // 404 unknown; 409 movie-has-bookings when one of its shows has confirmed bookings.
  virtual asio::awaitable<Status> delete_movie(Id id) = 0;
  virtual asio::awaitable<Result<std::optional<Movie>>> get_movie(Id id) = 0;
  virtual asio::awaitable<Result<Page<Movie>>> list_movies(Id after_id, int limit) = 0;

  virtual asio::awaitable<Result<Theater>> create_theater(NewTheater t) = 0;
  virtual asio::awaitable<Result<std::optional<Theater>>> get_theater(Id id) = 0;
  virtual asio::awaitable<Result<Page<Theater>>> list_theaters(Id after_id, int limit) = 0;
  virtual asio::awaitable<Result<std::optional<Screen>>> get_screen(Id id) = 0;

  // 422 for an unknown movie/screen or a missing price; 409 screen-busy on overlap.
  virtual asio::awaitable<Result<Show>> create_show(NewShow s) = 0;
  virtual asio::awaitable<Result<std::optional<Show>>> get_show(Id id) = 0;
  virtual asio::awaitable<Result<Page<Show>>> list_shows(ShowFilter f) = 0;

  // Bookings. confirm_booking: atomically claims every seat (unique per show among live
  // bookings) and records the idempotency key; 409 seat-unavailable names taken seats;
  // 409 idempotency-replay when the key is already recorded (the caller re-reads it).
  virtual asio::awaitable<Result<Booking>> confirm_booking(NewBooking b) = 0;
  virtual asio::awaitable<Result<std::vector<std::string>>> booked_seats(Id show_id) = 0;
  virtual asio::awaitable<Result<std::optional<IdempotencyRecord>>> find_idempotency(
      Id user_id, std::string key) = 0;
  virtual asio::awaitable<Result<std::optional<Booking>>> get_booking(Id id) = 0;
  virtual asio::awaitable<Result<Page<Booking>>> list_bookings(Id user_id, Id after_id,
                                                               int limit) = 0;
  // Sets status cancelled and frees the seats; cancelling a cancelled booking changes nothing
  // (changed = false).
  virtual asio::awaitable<Result<CancelOutcome>> cancel_booking(Id id) = 0;
};

}  // namespace boxoffice
