#include <gtest/gtest.h>

#include <string>

#include "domain/movie_rules.hpp"
#include "domain/validation.hpp"

using namespace boxoffice;

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
