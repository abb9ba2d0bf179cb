// The boxoffice API as the load tool uses it: request bodies (built in plain functions: g++ 12
// mishandles initializer lists inside coroutines), seat maps, and the parent's blocking calls
// for setting up the catalog and checking the result.
#pragma once

#include <string>
#include <vector>

#include "http_client.hpp"
#include "options.hpp"

namespace load {

std::string credentials_body(const std::string& email, const std::string& password, bool with_name);
std::string seats_body(const std::vector<std::string>& seats);
std::string hold_id_body(const std::string& hold_id);
std::string account_email(const std::string& tag, long index);

// A seat map (GET /shows/{id}/seats) or a live snapshot, reduced to what the tool needs.
enum class SeatState : unsigned char { available, held, booked };
struct SeatMap {
  std::vector<std::string> ids;
  std::vector<SeatState> states;
};
SeatMap parse_seat_map(const std::string& body);
SeatState parse_state(std::string_view s);

// Blocking request on a connection of its own (the parent's setup and checks).
Response sync_request(const Url& url, Request req, std::chrono::milliseconds timeout);

// Signs in (creating the account first when `create`); returns the token or throws.
std::string sync_sign_in(const Url& url, const std::string& email, const std::string& password,
                         bool create);

// As the admin: one movie, one theater whose single screen has o.seats seats in rows of
// o.row_seats, and o.shows shows on it. Returns the show ids.
std::vector<long> create_catalog(const Url& url, const Options& o);

// The seats the map lists as booked.
std::vector<std::string> booked_seats(const Url& url, long show, std::chrono::milliseconds timeout);

}  // namespace load
