#include "domain/sliding_window.hpp"

#include <algorithm>
#include <cmath>

namespace boxoffice {
namespace {

void roll(WindowCounter& c, std::int64_t window_ms, std::int64_t now_ms) {
  const std::int64_t start = now_ms - (now_ms % window_ms);
  if (start == c.window_start_ms) return;
  c.previous = start - c.window_start_ms == window_ms ? c.current : 0;
  c.current = 0;
  c.window_start_ms = start;
}

double weighted(const WindowCounter& c, std::int64_t window_ms, std::int64_t now_ms) {
  const double into =
      static_cast<double>(now_ms - c.window_start_ms) / static_cast<double>(window_ms);
  return static_cast<double>(c.previous) * (1.0 - into) + static_cast<double>(c.current);
}

}  // namespace

RateDecision hit_window(WindowCounter& c, std::int64_t limit, std::int64_t window_ms,
                        std::int64_t now_ms) {
  roll(c, window_ms, now_ms);
  RateDecision d;
  d.limit = limit;
  const double used = weighted(c, window_ms, now_ms);
  if (used + 1.0 <= static_cast<double>(limit) + 1e-9) {
    ++c.current;
    d.remaining =
        std::max<std::int64_t>(0, limit - static_cast<std::int64_t>(std::ceil(used + 1.0 - 1e-9)));
    return d;
  }
  d.allowed = false;
  d.remaining = 0;
  // When will one more request fit? Within this window only the previous window's weight
  // decays; failing that, wait for the next window, where this one becomes the previous.
  std::int64_t wait_ms = 0;
  const double room_needed = used + 1.0 - static_cast<double>(limit);
  if (c.previous > 0 && static_cast<double>(c.current) + 1.0 <= static_cast<double>(limit)) {
    wait_ms = static_cast<std::int64_t>(
        std::ceil(room_needed / static_cast<double>(c.previous) * static_cast<double>(window_ms)));
  } else {
    const std::int64_t to_next = c.window_start_ms + window_ms - now_ms;
    // In the next window the weight of this one's count falls as the window advances.
    const double fraction =
        c.current > 0 ? 1.0 - (static_cast<double>(limit) - 1.0) / static_cast<double>(c.current)
                      : 0.0;
    wait_ms = to_next + static_cast<std::int64_t>(
                            std::ceil(std::max(0.0, fraction) * static_cast<double>(window_ms)));
  }
  d.retry_after_s = std::max<std::int64_t>(1, (wait_ms + 999) / 1000);
  return d;
}

}  // namespace boxoffice
