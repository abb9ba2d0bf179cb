#pragma once
// The plain records that services, stores and views pass around.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/time.hpp"

namespace boxoffice {

using Id = std::int64_t;

enum class Role { customer, admin };
std::string_view role_name(Role r);

struct User {
  Id id = 0;
  std::string email;
  std::string name;
  Role role = Role::customer;
};

struct UserRecord {
  User user;
  std::string password_hash;
};

// An authenticated session: the store's row and the coordinator's cached copy.
struct SessionRecord {
  User user;
  UnixSeconds expires_at = 0;
};

struct Movie {
  Id id = 0;
  std::string title;
  std::string description;
  int duration_minutes = 0;
  std::string rating;
  std::vector<std::string> genres;
};

struct MoviePatch {
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<int> duration_minutes;
  std::optional<std::string> rating;
  std::optional<std::vector<std::string>> genres;
};

struct SeatRow {
  std::string row;
  int seats = 0;
  std::string category;
  bool operator==(const SeatRow&) const = default;
};

struct Screen {
  Id id = 0;
  Id theater_id = 0;
  std::string name;
  std::vector<SeatRow> rows;
  int seat_count = 0;
};

struct Theater {
  Id id = 0;
  std::string name;
  std::string city;
  std::string timezone = "UTC";  // IANA name; local dates of its shows are in this zone
  std::vector<Screen> screens;
};

using PriceTable = std::map<std::string, std::int64_t>;  // category -> cents

struct Show {
  Id id = 0;
  Id movie_id = 0;
  Id screen_id = 0;
  Id theater_id = 0;
  UnixSeconds starts_at = 0;
  UnixSeconds ends_at = 0;
  std::string timezone = "UTC";  // the theater's, copied when the show is created
  PriceTable prices;
  std::string currency = "USD";
  int seat_count = 0;
};

enum class BookingStatus { confirmed, cancelled };
std::string_view booking_status_name(BookingStatus s);

struct Booking {
  Id id = 0;
  Id user_id = 0;
  Id show_id = 0;
  std::vector<std::string> seats;
  std::int64_t total_cents = 0;
  std::string currency;
  BookingStatus status = BookingStatus::confirmed;
  UnixSeconds created_at = 0;
};

template <class T>
struct Page {
  std::vector<T> items;
  // When there is more: the id to continue after (lists in id order). Lists in another order
  // continue after their last item, whose sort key the cursor then carries.
  std::optional<Id> next_after;
};

// One line of /readyz: a database the backend depends on and whether it answers.
struct HealthCheck {
  std::string name;   // "store", "command_db", "query_db", "redis"
  std::string state;  // "ok" or why not
  bool ok = false;
  // A failing check that does not make the instance unready (the query DB, whose reads fall
  // back to the command DB).
  bool degrades_only = false;
};

}  // namespace boxoffice
