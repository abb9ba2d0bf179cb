#include <gtest/gtest.h>

#include <string>

#include "domain/text.hpp"
#include "domain/validation.hpp"
#include "utf8_encode.hpp"

using namespace boxoffice;
using namespace boxoffice::text;

namespace {

using testing_support::is_surrogate;
using testing_support::utf8;

}  // namespace

TEST(Validation, PasswordsCountCharacters) {
  EXPECT_TRUE(password_problem("😀😀"));       // 8 bytes, 2 characters
  EXPECT_TRUE(password_problem("äöüäöüä"));  // 14 bytes, 7 characters
  EXPECT_TRUE(password_problem("1234567"));
  EXPECT_FALSE(password_problem("12345678"));
  EXPECT_FALSE(password_problem("äöüäöüäö"));
  EXPECT_FALSE(password_problem("😀😀😀😀😀😀😀😀"));
  EXPECT_FALSE(password_problem(std::string(256, 'x')));
  EXPECT_TRUE(password_problem(std::string(257, 'x')));
  std::string wide;
  for (int i = 0; i < 128; ++i) wide += "😀";  // 128 characters, 512 bytes
  EXPECT_FALSE(password_problem(wide));
  EXPECT_TRUE(password_problem(wide + "😀"));  // 129 characters but 516 bytes: over the byte cap
  EXPECT_TRUE(password_problem("12345678\xff"));
}

TEST(Validation, EmailsRefuseEveryInvisibleOrBidiCharacter) {
  for (char32_t c = 0x80; c <= 0x10FFFF; ++c) {
    if (is_surrogate(c)) continue;
    const bool hidden = is_control(c) || is_bidi_control(c) || is_invisible(c) || is_space(c);
    const std::string inside = "an" + utf8(c) + "n@example.com";
    if (hidden) {
      ASSERT_FALSE(valid_email(inside)) << std::hex << static_cast<std::uint32_t>(c);
    }
  }
  EXPECT_EQ(email_problem("ann\u202E@example.com"),
            "must not contain bidirectional control characters");
  EXPECT_EQ(email_problem("ann\u200B@example.com"), "must not contain invisible characters");
  EXPECT_EQ(email_problem("ann\u00AD@example.com"), "must not contain invisible characters");
  EXPECT_EQ(email_problem("p\u0430ypal@example.com"), "must not mix letters of different scripts");
  EXPECT_EQ(email_problem("ann"), "must be a valid email address");
  EXPECT_FALSE(email_problem("jürgen@example.de"));
  EXPECT_FALSE(email_problem("иван@пример.рф"));
  EXPECT_FALSE(email_problem("ann+tag@example.com"));
}

TEST(Validation, DisplayNames) {
  EXPECT_EQ(clean_display_name("  Grand\u200B Palace\u202E "), "Grand Palace");
  EXPECT_FALSE(clean_display_name(""));
  EXPECT_FALSE(clean_display_name(" \u200B\u2066 "));
  EXPECT_FALSE(clean_display_name("\xff"));
  EXPECT_TRUE(clean_display_name(std::string(200, 'x')));
  EXPECT_FALSE(clean_display_name(std::string(201, 'x')));
  std::string wide;
  for (int i = 0; i < 200; ++i) wide += "é";
  EXPECT_TRUE(clean_display_name(wide));  // 200 characters, 400 bytes
}
