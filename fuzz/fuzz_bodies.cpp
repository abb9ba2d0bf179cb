// Every endpoint's JSON body parser, fed arbitrary bytes: the first byte picks the parser.
#include <cstdint>
#include <string>

#include "http/bodies.hpp"
#include "http/problem.hpp"

using namespace boxoffice;
using namespace boxoffice::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Request req;
  req.content_type = (data[0] & 0x80) ? "text/plain" : "application/json";
  req.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  req.has_body = !req.body.empty();
  auto check = [](const auto& r) {
    if (!r) {
      const Error& e = r.error();
      // A client's bytes may only ever produce a client error.
      if (static_cast<int>(e.code) >= 500) __builtin_trap();
      (void)problem_response(e);
    }
  };
  switch (data[0] % 9) {
    case 0:
      check(parse_new_user(req));
      break;
    case 1:
      check(parse_credentials(req));
      break;
    case 2:
      check(parse_movie(req));
      break;
    case 3:
      check(parse_movie_patch(req));
      break;
    case 4:
      check(parse_theater(req));
      break;
    case 5:
      check(parse_show(req));
      break;
    case 6:
      check(parse_hold(req));
      break;
    case 7:
      check(parse_booking(req));
      break;
    default:
      check(parse_show_filter(req));
      break;
  }
  return 0;
}
