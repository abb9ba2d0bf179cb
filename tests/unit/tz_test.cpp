#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "domain/time.hpp"
#include "tz/zone.hpp"

using namespace boxoffice;
using namespace boxoffice::tz;

namespace {

constexpr std::int64_t kHour = 3600;

UnixSeconds at(const char* rfc3339) {
  return *parse_rfc3339(rfc3339);
}
std::int64_t day_of(const char* date) {
  return *parse_date(date) / 86400;
}

std::shared_ptr<const Zone> zone(const char* name) {
  auto z = load_zone(name);
  EXPECT_TRUE(z) << name << " is not installed (package tzdata)";
  return z;
}

std::string file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST(Tz, ZoneNamesAreStrict) {
  for (const char* ok :
       {"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Etc/GMT+5", "Etc/GMT-14",
        "America/Argentina/Buenos_Aires", "America/Port-au-Prince", "EST5EDT"})
    EXPECT_TRUE(valid_zone_name(ok)) << ok;
  for (const char* bad : {"",
                          "/etc/passwd",
                          "../etc/passwd",
                          "Europe/../../etc/passwd",
                          "Europe/./Berlin",
                          "Europe//Berlin",
                          "Europe/",
                          "/UTC",
                          "europe/berlin",
                          "localtime",
                          "posixrules",
                          "posix/Europe/Berlin",
                          "right/UTC",
                          "Europe/Berlin.",
                          "Europe/Berl in",
                          "Europe\\Berlin",
                          "UTC\n",
                          "Europe/Berlin%00",
                          "Ürope/Berlin",
                          "+UTC",
                          "9UTC"})
    EXPECT_FALSE(valid_zone_name(bad)) << bad;
  EXPECT_TRUE(valid_zone_name(std::string(64, 'A')));
  EXPECT_FALSE(valid_zone_name(std::string(65, 'A')));
  EXPECT_FALSE(valid_zone_name(std::string("Europe/Berlin\0", 14)));
}

TEST(Tz, LoadsInstalledZonesAndCachesThem) {
  auto berlin = load_zone("Europe/Berlin");
  ASSERT_TRUE(berlin);
  EXPECT_EQ(load_zone("Europe/Berlin"), berlin);  // the same cached object
  for (const char* unknown : {"Nowhere/Atlantis", "Europe", "Europe/Berlin/", "../zoneinfo/UTC",
                              "right/UTC", "localtime"})
    EXPECT_FALSE(load_zone(unknown)) << unknown;
}

TEST(Tz, UtcIsAlwaysZero) {
  auto utc = zone("UTC");
  ASSERT_TRUE(utc);
  for (UnixSeconds t : {at("1900-01-01T00:00:00Z"), at("1970-01-01T00:00:00Z"),
                        at("2026-07-01T12:00:00Z"), at("2200-01-01T00:00:00Z")})
    EXPECT_EQ(utc_offset(*utc, t), 0);
  const auto d = day_of("2026-03-29");
  const auto range = local_day_range(*utc, d);
  EXPECT_EQ(range.start, d * 86400);
  EXPECT_EQ(range.end, (d + 1) * 86400);
  EXPECT_EQ(local_day(*utc, at("2026-03-29T23:59:59Z")), d);
}

TEST(Tz, BerlinIsOneHourAheadInWinterAndTwoInSummer) {
  auto berlin = zone("Europe/Berlin");
  ASSERT_TRUE(berlin);
  EXPECT_EQ(utc_offset(*berlin, at("2026-01-15T12:00:00Z")), 1 * kHour);
  EXPECT_EQ(utc_offset(*berlin, at("2026-07-15T12:00:00Z")), 2 * kHour);
  // The switches: 01:00 UTC on the last Sundays of March and October.
  EXPECT_EQ(utc_offset(*berlin, at("2026-03-29T00:59:59Z")), 1 * kHour);
  EXPECT_EQ(utc_offset(*berlin, at("2026-03-29T01:00:00Z")), 2 * kHour);
  EXPECT_EQ(utc_offset(*berlin, at("2026-10-25T00:59:59Z")), 2 * kHour);
  EXPECT_EQ(utc_offset(*berlin, at("2026-10-25T01:00:00Z")), 1 * kHour);
  // Far beyond the file's table, the TZ string's rule answers.
  EXPECT_EQ(utc_offset(*berlin, at("2150-01-15T12:00:00Z")), 1 * kHour);
  EXPECT_EQ(utc_offset(*berlin, at("2150-07-15T12:00:00Z")), 2 * kHour);
  // Local days: 23:30 UTC on 31 December is already New Year's Day in Berlin.
  EXPECT_EQ(local_day(*berlin, at("2026-12-31T23:30:00Z")), day_of("2027-01-01"));
  EXPECT_EQ(local_day(*berlin, at("2026-12-31T22:59:59Z")), day_of("2026-12-31"));
}

TEST(Tz, BerlinDaylightSavingDaysAre23And25HoursLong) {
  auto berlin = zone("Europe/Berlin");
  ASSERT_TRUE(berlin);
  const auto spring = local_day_range(*berlin, day_of("2026-03-29"));
  EXPECT_EQ(spring.start, at("2026-03-28T23:00:00Z"));
  EXPECT_EQ(spring.end, at("2026-03-29T22:00:00Z"));
  EXPECT_EQ(spring.end - spring.start, 23 * kHour);
  const auto autumn = local_day_range(*berlin, day_of("2026-10-25"));
  EXPECT_EQ(autumn.start, at("2026-10-24T22:00:00Z"));
  EXPECT_EQ(autumn.end, at("2026-10-25T23:00:00Z"));
  EXPECT_EQ(autumn.end - autumn.start, 25 * kHour);
  const auto plain = local_day_range(*berlin, day_of("2026-07-04"));
  EXPECT_EQ(plain.start, at("2026-07-03T22:00:00Z"));
  EXPECT_EQ(plain.end - plain.start, 24 * kHour);
}

TEST(Tz, NewYork) {
  auto ny = zone("America/New_York");
  ASSERT_TRUE(ny);
  EXPECT_EQ(utc_offset(*ny, at("2026-01-15T12:00:00Z")), -5 * kHour);
  EXPECT_EQ(utc_offset(*ny, at("2026-07-15T12:00:00Z")), -4 * kHour);
  // Second Sunday of March and first Sunday of November, at 2:00 local.
  EXPECT_EQ(local_day_range(*ny, day_of("2026-03-08")).end -
                local_day_range(*ny, day_of("2026-03-08")).start,
            23 * kHour);
  EXPECT_EQ(local_day_range(*ny, day_of("2026-11-01")).end -
                local_day_range(*ny, day_of("2026-11-01")).start,
            25 * kHour);
  EXPECT_EQ(local_day_range(*ny, day_of("2026-07-04")).start, at("2026-07-04T04:00:00Z"));
  // 02:30 UTC on 2 December is still 1 December in New York.
  EXPECT_EQ(local_day(*ny, at("2026-12-02T02:30:00Z")), day_of("2026-12-01"));
  EXPECT_EQ(utc_offset(*ny, at("2150-07-15T12:00:00Z")), -4 * kHour);
}

TEST(Tz, KolkataIsFiveAndAHalfHoursAhead) {
  auto kolkata = zone("Asia/Kolkata");
  ASSERT_TRUE(kolkata);
  for (const char* t : {"2026-01-15T12:00:00Z", "2026-07-15T12:00:00Z", "2150-03-01T00:00:00Z"})
    EXPECT_EQ(utc_offset(*kolkata, at(t)), 5 * kHour + 30 * 60) << t;
  const auto range = local_day_range(*kolkata, day_of("2026-01-01"));
  EXPECT_EQ(range.start, at("2025-12-31T18:30:00Z"));
  EXPECT_EQ(range.end - range.start, 24 * kHour);
}

TEST(Tz, SouthernHemisphereRuleWrapsTheYear) {
  auto sydney = zone("Australia/Sydney");
  ASSERT_TRUE(sydney);
  EXPECT_EQ(utc_offset(*sydney, at("2150-01-15T00:00:00Z")), 11 * kHour);
  EXPECT_EQ(utc_offset(*sydney, at("2150-07-15T00:00:00Z")), 10 * kHour);
}

// The TZ-string rule must reproduce the table: cut each zone's table after 2019 and compare every
// hour up to 2037, where fat TZif files stop listing transitions.
TEST(Tz, RuleAgreesWithTheTableWhereBothExist) {
  for (const char* name : {"Europe/Berlin", "America/New_York", "Australia/Sydney", "Europe/London",
                           "Pacific/Auckland", "America/Sao_Paulo", "Asia/Tokyo", "Africa/Cairo"}) {
    auto full = zone(name);
    ASSERT_TRUE(full);
    Zone cut = *full;
    const UnixSeconds cut_at = at("2024-01-01T00:00:00Z");
    while (!cut.transitions.empty() && cut.transitions.back() >= cut_at) {
      cut.transitions.pop_back();
      cut.offsets.pop_back();
    }
    for (UnixSeconds t = cut_at; t < at("2037-12-31T00:00:00Z"); t += 1800)
      ASSERT_EQ(utc_offset(cut, t), utc_offset(*full, t)) << name << " at " << format_rfc3339(t);
  }
}

TEST(Tz, DayRangesTileTheTimeLine) {
  for (const char* name :
       {"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
        "America/Santiago", "Asia/Kathmandu", "Pacific/Apia"}) {
    auto z = zone(name);
    ASSERT_TRUE(z);
    for (std::int64_t d = day_of("2011-01-01"); d < day_of("2031-01-01"); ++d) {
      const auto r = local_day_range(*z, d);
      ASSERT_EQ(r.end, local_day_range(*z, d + 1).start) << name << " " << d;
      // Samoa skipped 30 December 2011 entirely: an empty day.
      ASSERT_TRUE(r.end - r.start == 0 ||
                  (r.end - r.start >= 23 * kHour && r.end - r.start <= 25 * kHour))
          << name << " " << format_rfc3339(d * 86400);
      if (r.end > r.start) {
        ASSERT_EQ(local_day(*z, r.start), d) << name << " " << format_rfc3339(d * 86400);
        ASSERT_EQ(local_day(*z, r.end - 1), d) << name << " " << format_rfc3339(d * 86400);
      }
    }
  }
}

TEST(Tz, PosixRules) {
  auto cet = parse_posix_rule("CET-1CEST,M3.5.0,M10.5.0/3");
  ASSERT_TRUE(cet);
  EXPECT_EQ(cet->std_offset, 3600);
  EXPECT_EQ(cet->dst_offset, 7200);
  EXPECT_EQ(cet->dst_start.month, 3);
  EXPECT_EQ(cet->dst_start.week, 5);
  EXPECT_EQ(cet->dst_start.time, 7200);
  EXPECT_EQ(cet->dst_end.time, 3 * 3600);
  auto ist = parse_posix_rule("IST-5:30");
  ASSERT_TRUE(ist);
  EXPECT_EQ(ist->std_offset, 5 * 3600 + 1800);
  EXPECT_FALSE(ist->dst_offset);
  auto quoted = parse_posix_rule("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1");
  ASSERT_TRUE(quoted);
  EXPECT_EQ(quoted->std_offset, -3 * 3600);
  EXPECT_EQ(quoted->dst_offset, -2 * 3600);
  EXPECT_EQ(quoted->dst_start.time, -2 * 3600);
  auto julian = parse_posix_rule("XXX3YYY,J60/2,300/25:30");
  ASSERT_TRUE(julian);
  EXPECT_EQ(julian->dst_start.kind, PosixRule::When::Kind::julian_no_leap);
  EXPECT_EQ(julian->dst_end.kind, PosixRule::When::Kind::zero_based);
  EXPECT_EQ(julian->dst_end.time, 25 * 3600 + 1800);
  EXPECT_TRUE(parse_posix_rule("<+0545>-5:45"));
  EXPECT_TRUE(parse_posix_rule("UTC0"));
  for (const char* bad :
       {"", "C", "CET", "CET-", "CET-1CEST", "CET-1CEST,M13.5.0,M10.5.0",
        "CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,J0,J10",
        "CET-1CEST,M3.5.0", "CET-25", "<AB>1", "CET-1CEST,M3.5.0,M10.5.0/168", "CET-1 "})
    EXPECT_FALSE(parse_posix_rule(bad)) << bad;
}

TEST(Tz, TzifParserRefusesDamagedFiles) {
  const std::string berlin = file("/usr/share/zoneinfo/Europe/Berlin");
  ASSERT_FALSE(berlin.empty());
  EXPECT_TRUE(parse_tzif(berlin));
  for (std::size_t n = 0; n < berlin.size(); ++n)
    ASSERT_FALSE(parse_tzif(berlin.substr(0, n))) << n;
  std::string wrong_magic = berlin;
  wrong_magic[0] = 'X';
  EXPECT_FALSE(parse_tzif(wrong_magic));
  std::string wrong_version = berlin;
  wrong_version[4] = '9';
  EXPECT_FALSE(parse_tzif(wrong_version));
  EXPECT_FALSE(parse_tzif("TZif"));
  EXPECT_FALSE(parse_tzif(std::string(100, '\0')));
  // A version-1 file: the first block alone.
  std::string v1 = berlin;
  v1[4] = '\0';
  auto old = parse_tzif(v1);
  ASSERT_TRUE(old);
  EXPECT_FALSE(old->rule);
  EXPECT_EQ(utc_offset(*old, at("2026-07-15T12:00:00Z")), 2 * kHour);
}
