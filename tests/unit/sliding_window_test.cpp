#include <gtest/gtest.h>

#include "domain/sliding_window.hpp"

using namespace boxoffice;

constexpr std::int64_t kMinute = 60'000;

TEST(SlidingWindow, ThirtyFirstRequestInAMinuteIsRefused) {
  WindowCounter c;
  const std::int64_t t0 = 10 * kMinute + 5'000;
  for (int i = 0; i < 30; ++i) {
    auto d = hit_window(c, 30, kMinute, t0 + i);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 29 - i);
    EXPECT_EQ(d.limit, 30);
  }
  auto refused = hit_window(c, 30, kMinute, t0 + 100);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_GE(refused.retry_after_s, 1);
  EXPECT_LE(refused.retry_after_s, 120);
}

TEST(SlidingWindow, BoundaryDoesNotLetTwiceTheLimitThrough) {
  WindowCounter c;
  // 30 requests at the very end of one window...
  const std::int64_t end_of_window = 11 * kMinute - 10;
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(hit_window(c, 30, kMinute, end_of_window).allowed);
  // ...leave almost no room right after the boundary.
  int allowed = 0;
  for (int i = 0; i < 30; ++i) allowed += hit_window(c, 30, kMinute, 11 * kMinute + 100).allowed;
  EXPECT_LE(allowed, 1);
  // Half a window later, about half the limit is available again.
  allowed = 0;
  for (int i = 0; i < 30; ++i)
    allowed += hit_window(c, 30, kMinute, 11 * kMinute + kMinute / 2).allowed;
  EXPECT_GE(allowed, 13);
  EXPECT_LE(allowed, 16);
}

TEST(SlidingWindow, RetryAfterIsHonest) {
  WindowCounter c;
  const std::int64_t t0 = 20 * kMinute;
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(hit_window(c, 30, kMinute, t0).allowed);
  auto refused = hit_window(c, 30, kMinute, t0 + 1000);
  ASSERT_FALSE(refused.allowed);
  // Waiting the advertised time is enough for one more request.
  WindowCounter probe = c;
  EXPECT_TRUE(hit_window(probe, 30, kMinute, t0 + 1000 + refused.retry_after_s * 1000).allowed);
}

TEST(SlidingWindow, IdleKeysStartFresh) {
  WindowCounter c;
  for (int i = 0; i < 30; ++i) hit_window(c, 30, kMinute, 0);
  EXPECT_FALSE(hit_window(c, 30, kMinute, 10).allowed);
  EXPECT_TRUE(hit_window(c, 30, kMinute, 5 * kMinute).allowed);
}
