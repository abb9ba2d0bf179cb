#include <gtest/gtest.h>

#include "domain/seats.hpp"
#include "domain/time.hpp"
#include "domain/validation.hpp"

using namespace boxoffice;

TEST(Seats, RowsExpandToIds) {
  std::vector<SeatRow> rows{{"A", 3, "standard"}, {"AB", 2, "premium"}};
  auto seats = expand_rows(rows);
  ASSERT_EQ(seats.size(), 5u);
  EXPECT_EQ(seats[0].id, "A1");
  EXPECT_EQ(seats[2].id, "A3");
  EXPECT_EQ(seats[3].id, "AB1");
  EXPECT_EQ(seats[4].number, 2);
  EXPECT_EQ(seats[4].category, "premium");
}

TEST(Seats, ParsesSeatIds) {
  EXPECT_EQ(parse_seat_id("A1")->row, "A");
  EXPECT_EQ(parse_seat_id("ZZ200")->number, 200);
  for (const char* bad : {"", "A", "1", "a1", "A0", "A01", "ABCD1", "A201", "A1x", "A-1"})
    EXPECT_FALSE(parse_seat_id(bad)) << bad;
}

TEST(Seats, RowValidation) {
  EXPECT_TRUE(validate_rows(std::vector<SeatRow>{{"A", 10, "standard"}}, "rows").empty());
  EXPECT_FALSE(validate_rows(std::vector<SeatRow>{}, "rows").empty());
  auto errors =
      validate_rows(std::vector<SeatRow>{{"a", 0, "Std!"}, {"B", 201, "x"}, {"B", 1, "x"}}, "rows");
  std::vector<std::string> fields;
  for (auto& e : errors) fields.push_back(e.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"rows[0].row", "rows[0].seats", "rows[0].category",
                                              "rows[1].seats", "rows[2].row"}));
}

TEST(Seats, ResolveRequest) {
  SeatLayout layout(std::vector<SeatRow>{{"A", 4, "standard"}});
  auto ok = resolve_seat_request(layout, std::vector<std::string>{"A2", "A4"}, 10);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (std::vector<int>{1, 3}));
  EXPECT_EQ(resolve_seat_request(layout, std::vector<std::string>{}, 10).error().code,
            Errc::invalid);
  EXPECT_EQ(
      resolve_seat_request(layout, std::vector<std::string>{"A1", "A2", "A3"}, 2).error().code,
      Errc::invalid);
  auto dup = resolve_seat_request(layout, std::vector<std::string>{"A1", "A1"}, 10);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().fields.at(0).field, "seats[1]");
  auto unknown = resolve_seat_request(layout, std::vector<std::string>{"A1", "Z9"}, 10);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().fields.at(0).field, "seats[1]");
}

TEST(Time, FormatsAndParsesRfc3339) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  auto t = parse_rfc3339("2026-12-01T19:30:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc3339(*t), "2026-12-01T19:30:00Z");
  EXPECT_EQ(parse_rfc3339("2026-12-01T21:30:00+02:00"), t);
  EXPECT_EQ(parse_rfc3339("2026-12-01T19:30:00.250Z"), t);
  EXPECT_EQ(format_rfc3339_ms(*t * 1000 + 42), "2026-12-01T19:30:00.042Z");
  for (const char* bad :
       {"", "2026-12-01", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-12-01T24:00:00Z",
        "2026-12-01T19:30:00", "2026-12-01T19:30:00Zjunk", "yesterday"})
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z").has_value(), true);
  EXPECT_EQ(parse_date("2026-12-01"), *t - (19 * 3600 + 30 * 60));
  EXPECT_FALSE(parse_date("2026-12-1"));
}

TEST(Validation, Emails) {
  EXPECT_TRUE(valid_email("ann@example.com"));
  for (const char* bad : {"", "ann", "ann@", "@example.com", "ann@example", "a b@example.com",
                          "a@b@c.com", "ann@example."})
    EXPECT_FALSE(valid_email(bad)) << bad;
  EXPECT_EQ(normalize_email("Ann@Example.COM"), "ann@example.com");
}

TEST(Validation, TextAndCurrency) {
  EXPECT_TRUE(valid_text("Grand Palace — Hall 1"));
  EXPECT_FALSE(valid_text(std::string("bad\0null", 8)));
  EXPECT_FALSE(valid_text("\xC0\xAF"));      // overlong
  EXPECT_FALSE(valid_text("\xED\xA0\x80"));  // surrogate
  EXPECT_TRUE(valid_currency("USD"));
  EXPECT_FALSE(valid_currency("usd"));
  EXPECT_FALSE(valid_currency("US"));
}

TEST(Validation, CursorsRoundTrip) {
  for (std::int64_t id : {0LL, 1LL, 42LL, 9'000'000'000LL})
    EXPECT_EQ(decode_cursor(encode_cursor(id)), id);
  for (const char* bad : {"", "!!!", "YWZ0ZXI6", "Zm9vOjE", "YWZ0ZXI6LTE"})
    EXPECT_FALSE(decode_cursor(bad)) << bad;
}

TEST(Schedule, OverlapIsHalfOpen) {
  EXPECT_TRUE(intervals_overlap(0, 10, 5, 15));
  EXPECT_TRUE(intervals_overlap(5, 15, 0, 10));
  EXPECT_TRUE(intervals_overlap(0, 10, 2, 3));
  EXPECT_FALSE(intervals_overlap(0, 10, 10, 20));
  EXPECT_FALSE(intervals_overlap(10, 20, 0, 10));
}
