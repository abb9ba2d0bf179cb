// Request targets (path and query string), the list queries read from them, the header checks
// (If-None-Match, Transfer-Encoding, Sec-WebSocket-Key, rate-limit keys) and the UTF-8 cleaner
// that every echoed text goes through.
#include <cstdint>
#include <string>

#include "common/utf8.hpp"
#include "http/bodies.hpp"
#include "http/headers.hpp"
#include "http/input.hpp"
#include "http/problem.hpp"

using namespace boxoffice;
using namespace boxoffice::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Request req;
  apply_target(std::string_view(reinterpret_cast<const char*>(data), size), req);
  auto page = page_params(req);
  auto filter = parse_show_filter(req);
  if ((!page && static_cast<int>(page.error().code) >= 500) ||
      (!filter && static_cast<int>(filter.error().code) >= 500))
    __builtin_trap();
  req.params = {req.path};
  (void)path_id(req, 0, "thing");
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)etag_matches(text, "\"0123456789abcdef\"");
  (void)classify_transfer_encoding(text);
  (void)valid_websocket_key(text);
  (void)client_rate_key(text);
  const std::string clean = sanitize_utf8(text, 100);
  if (!valid_utf8(clean) || clean.size() > 103) __builtin_trap();
  // Whatever the path, the problem body and its detail are valid UTF-8.
  auto problem = problem_response(Error::not_found("no resource at " + req.path));
  if (!valid_utf8(problem.body)) __builtin_trap();
  return 0;
}
