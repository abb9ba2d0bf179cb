#pragma once
// A response body built once and sent many times: its bytes and, when it is large enough to be
// worth it, the same bytes gzip-compressed once (not per request).
#include <memory>
#include <string>

#include "common/gzip.hpp"

namespace boxoffice {

struct CachedBody {
  std::shared_ptr<const std::string> bytes;
  std::shared_ptr<const std::string> gzip;  // nullptr below kGzipMinBytes

  static CachedBody of(std::shared_ptr<const std::string> bytes) {
    CachedBody b{std::move(bytes), nullptr};
    if (b.bytes && b.bytes->size() >= kGzipMinBytes)
      b.gzip = std::make_shared<const std::string>(gzip_compress(*b.bytes));
    return b;
  }
  static CachedBody of(std::string body) {
    return of(std::make_shared<const std::string>(std::move(body)));
  }
};

}  // namespace boxoffice
