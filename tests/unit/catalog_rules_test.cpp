#include <gtest/gtest.h>

#include <string>

#include "domain/movie_rules.hpp"
#include "domain/validation.hpp"

using namespace boxoffice;

TEST(Validation, CurrenciesAreActiveIso4217Codes) {
  for (const char* ok : {"USD", "EUR", "JPY", "CHF", "GBP", "XCG", "ZWG", "SLE", "XAU", "UYW"})
    EXPECT_TRUE(valid_currency(ok)) << ok;
  for (const char* bad : {"XYZ", "ABC", "usd", "US", "USDD", "", "HRK", "DEM", "ANG", "ZWL", "SLL",
                          "BGN", "CUC", "VEF"})
    EXPECT_FALSE(valid_currency(bad)) << bad;
  int count = 0;
  for (char a = 'A'; a <= 'Z'; ++a)
    for (char b = 'A'; b <= 'Z'; ++b)
      for (char c = 'A'; c <= 'Z'; ++c) count += valid_currency(std::string{a, b, c});
  EXPECT_EQ(count, 178);
}

TEST(MovieRules, BlankTitlesAreRefused) {
  Movie m{0, "Dune", "", 155, "PG-13", {}};
  EXPECT_TRUE(check_movie(m).empty());
  for (const char* blank : {"", " ", "   \t", "\u00A0\u200B"}) {
    m.title = blank;
    auto errors = check_movie(m);
    ASSERT_FALSE(errors.empty()) << blank;
    EXPECT_EQ(errors.front().field, "title");
    MoviePatch p;
    p.title = blank;
    EXPECT_FALSE(check_movie_patch(p).empty()) << blank;
  }
}

TEST(Validation, ShowCursorsRoundTrip) {
  for (ShowCursor c : {ShowCursor{0, 0}, ShowCursor{1'798'000'000, 42}, ShowCursor{-86'400, 7},
                       ShowCursor{INT64_MAX, INT64_MAX}})
    EXPECT_EQ(decode_show_cursor(encode_show_cursor(c)), c);
  // Plain id cursors, garbage and damaged show cursors are refused.
  for (const std::string& bad :
       {encode_cursor(5), std::string(""), std::string("!!!"), encode_cursor(0).substr(1)})
    EXPECT_FALSE(decode_show_cursor(bad)) << bad;
  const std::string good = encode_show_cursor({100, 5});
  EXPECT_FALSE(decode_show_cursor(good.substr(0, good.size() - 2)));
  EXPECT_FALSE(decode_cursor(good));
}
