#pragma once
// The sliding-window counter: the previous fixed window's count, weighted by how much of it
// still overlaps the sliding window, plus the current window's count. Unlike a fixed window it
// never lets twice the limit through around a window boundary. Pure: the caller keeps state.
#include <cstdint>

namespace boxoffice {

struct WindowCounter {
  std::int64_t window_start_ms = 0;  // start of the current fixed window
  std::int64_t current = 0;
  std::int64_t previous = 0;
};

struct RateDecision {
  bool allowed = true;
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t retry_after_s = 0;  // whole seconds, at least 1 when refused
};

// Counts one request at now_ms against `limit` per `window_ms` and says whether it may pass.
// Refused requests are not counted.
RateDecision hit_window(WindowCounter& c, std::int64_t limit, std::int64_t window_ms,
                        std::int64_t now_ms);

}  // namespace boxoffice
