#include <gtest/gtest.h>

#include <string>

#include "domain/movie_rules.hpp"
#include "domain/validation.hpp"

using namespace boxoffice;

TEST(Validation, CurrenciesAreActiveIso4217Codes) {
  for (const char* ok : {"USD", "EUR", "JPY", "CHF", "GBP", "XCG", "ZWG", "SLE", "XAU", "UYW"}) EXPECT_TRUE(valid_currency(ok)) << ok;
  for (const char* bad : {"XYZ", "ABC", "usd", "US", "USDD", "", "HRK", "DEM", "ANG", "ZWL", "SLL", "BGN", "CUC", "VEF"})
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
