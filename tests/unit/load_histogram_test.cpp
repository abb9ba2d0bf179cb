// boxoffice-load's histogram, the merge of per-process reports and the oversell check.
#include <gtest/gtest.h>

#include <random>

#include "load/histogram.hpp"
#include "load/report.hpp"

using load::Booking;
using load::Histogram;
using load::Report;

TEST(LoadHistogram, ExactBelow128AndWithinOneSixtyFourthAbove) {
  for (std::uint64_t v = 0; v < 128; ++v) EXPECT_EQ(Histogram::upper_of(Histogram::index_of(v)), v);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t v = rng() % (std::uint64_t{1} << 40);
    const auto idx = Histogram::index_of(v);
    ASSERT_LT(idx, Histogram::kBuckets);
    const auto up = Histogram::upper_of(idx);
    ASSERT_GE(up, v);
    ASSERT_LE(static_cast<double>(up - v), static_cast<double>(v) / 64.0 + 1) << v;
    if (idx > 0) {
      ASSERT_LT(Histogram::upper_of(idx - 1), v) << v;  // buckets are contiguous
    }
  }
  EXPECT_EQ(Histogram::index_of(Histogram::kMaxValue), Histogram::kBuckets - 1);
  EXPECT_EQ(Histogram::index_of(~std::uint64_t{0}), Histogram::kBuckets - 1);  // clamped
}

TEST(LoadHistogram, Percentiles) {
  Histogram h;
  EXPECT_EQ(h.percentile_us(0.99), 0u);
  for (std::uint64_t v = 1; v <= 1000; ++v) h.record_us(v * 1000);  // 1..1000 ms
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_NEAR(h.percentile_ms(0.5), 500, 500 / 64.0);
  EXPECT_NEAR(h.percentile_ms(0.99), 990, 990 / 64.0);
  EXPECT_NEAR(h.percentile_ms(0.999), 999, 999 / 64.0);
  EXPECT_DOUBLE_EQ(h.max_ms(), 1000);
  EXPECT_EQ(h.percentile_us(1.0), 1000000u);
  EXPECT_EQ(h.min_us(), 1000u);
  EXPECT_NEAR(h.mean_us(), 500500, 1);
}

TEST(LoadHistogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(42);
  Histogram all, a, b;
  for (int i = 0; i < 50000; ++i) {
    const std::uint64_t v = rng() % 5'000'000;
    all.record_us(v);
    (i % 3 ? a : b).record_us(v);
  }
  Histogram merged;
  merged.merge(a);
  merged.merge(b);
  for (double p : {0.5, 0.9, 0.99, 0.999, 1.0})
    EXPECT_EQ(merged.percentile_us(p), all.percentile_us(p)) << p;
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min_us(), all.min_us());
  EXPECT_EQ(merged.max_us(), all.max_us());
}

TEST(LoadHistogram, JsonRoundTripAndRejectsBadInput) {
  Histogram h;
  for (std::uint64_t v : {0u, 5u, 130u, 70000u, 70001u, 9000000u}) h.record_us(v);
  const auto back = Histogram::from_json(boost::json::parse(boost::json::serialize(h.to_json())));
  for (double p : {0.1, 0.5, 0.9, 1.0}) EXPECT_EQ(back.percentile_us(p), h.percentile_us(p));
  EXPECT_EQ(back.count(), 6u);
  auto bad = h.to_json();
  bad["n"] = 7;
  EXPECT_THROW(Histogram::from_json(bad), std::runtime_error);
}

TEST(LoadReport, WorkersMergeThroughTheWireFormat) {
  Report w1, w2;
  w1.mode = w2.mode = "onsale";
  w1.duration_s = 10.0;
  w2.duration_s = 10.2;
  w1.ops["hold"].record_ms(2);
  w2.ops["hold"].record_ms(4);
  w2.ops["confirm"].record_ms(8);
  w1.add("tickets", 2);
  w2.add("tickets", 4);
  w1.error("hold", "409");
  w2.error("hold", "409");
  w2.error("confirm", "503");
  w1.add_booking(Booking{1, 10, {"A1", "A2"}});
  w2.add_booking(Booking{1, 11, {"A3"}});
  Report parent;
  for (const Report* w : {&w1, &w2}) {
    const auto wire = boost::json::serialize(w->to_wire());
    parent.merge(Report::from_wire(boost::json::parse(wire)));
  }
  EXPECT_EQ(parent.mode, "onsale");
  EXPECT_DOUBLE_EQ(parent.duration_s, 10.2);
  EXPECT_EQ(parent.ops["hold"].count(), 2u);
  EXPECT_EQ(parent.ops["confirm"].count(), 1u);
  EXPECT_EQ(parent.counter("tickets"), 6);
  EXPECT_EQ(parent.errors["hold 409"], 2);
  EXPECT_EQ(parent.errors["confirm 503"], 1);
  ASSERT_EQ(parent.bookings.size(), 2u);
  const auto summary = load::summary_json(parent);
  EXPECT_EQ(summary.at("ops").at("hold").at("count").as_uint64(), 2u);
  EXPECT_NE(load::summary_text(parent).find("hold"), std::string::npos);
}

TEST(LoadReport, OversellCheck) {
  std::vector<Booking> bookings{{1, 10, {"A1", "A2"}}, {1, 11, {"A3"}}, {2, 12, {"A1"}}};
  std::map<long, std::set<std::string>> maps{{1, {"A1", "A2", "A3", "B9"}}, {2, {"A1"}}};
  auto ok = load::check_oversell(bookings, maps);
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.confirmed_seats, 4);
  EXPECT_EQ(ok.booked_seats_on_maps, 5);
  // The same booking twice (an idempotent replay) is not an oversell.
  bookings.push_back({1, 11, {"A3"}});
  EXPECT_TRUE(load::check_oversell(bookings, maps).ok);
  // A seat in two bookings fails the run.
  bookings.push_back({1, 13, {"A2"}});
  auto twice = load::check_oversell(bookings, maps);
  EXPECT_FALSE(twice.ok);
  EXPECT_EQ(twice.seats_in_two_bookings, 1);
  // A 201 seat the seat map does not show as booked fails it too.
  bookings.pop_back();
  maps[2].clear();
  auto missing = load::check_oversell(bookings, maps);
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.confirmed_not_booked, 1);
  // A show whose map was not read: incomplete, so failed.
  maps.erase(2);
  EXPECT_FALSE(load::check_oversell(bookings, maps).complete);
}
