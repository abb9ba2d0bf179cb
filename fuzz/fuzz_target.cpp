// Request targets (path and query string) and the list queries read from them.
#include <cstdint>
#include <string>

#include "http/bodies.hpp"
#include "http/input.hpp"

using namespace boxoffice;
using namespace boxoffice::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Request req;
  apply_target(std::string_view(reinterpret_cast<const char*>(data), size), req);
  auto page = page_params(req);
  auto filter = parse_show_filter(req);
  if ((!page && static_cast<int>(page.error().code) >= 500) || (!filter && static_cast<int>(filter.error().code) >= 500))
    __builtin_trap();
  req.params = {req.path};
  (void)path_id(req, 0, "thing");
  return 0;
}
