#pragma once
// Request bodies and queries turned into typed inputs: pure functions (no I/O), so each is
// unit-testable and fuzzed (fuzz/). Errors are the API's: 400/415 for bytes that are not a JSON
// object, 422 with every field error at once.
#include <string>
#include <vector>

#include "domain/models.hpp"
#include "domain/result.hpp"
#include "http/message.hpp"
#include "store/store.hpp"

namespace boxoffice::http {

struct NewUserBody {
  std::string email, password, name;
};
struct CredentialsBody {
  std::string email, password;
};

Result<NewUserBody> parse_new_user(const Request& req);
Result<CredentialsBody> parse_credentials(const Request& req);
Result<Movie> parse_movie(const Request& req);
Result<MoviePatch> parse_movie_patch(const Request& req);
Result<NewTheater> parse_theater(const Request& req);
Result<NewShow> parse_show(const Request& req);
Result<std::vector<std::string>> parse_hold(const Request& req);  // the seat ids
Result<std::string> parse_booking(const Request& req);            // the hold id
// limit, cursor, movie_id, theater_id, date
Result<ShowFilter> parse_show_filter(const Request& req);

}  // namespace boxoffice::http
