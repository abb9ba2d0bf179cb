#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/utf8.hpp"
#include "domain/text.hpp"
#include "utf8_encode.hpp"

using namespace boxoffice;
using namespace boxoffice::text;

namespace {

using testing_support::is_surrogate;
using testing_support::utf8;

// The code points the rules name, written out independently of the implementation's tables.
const std::set<char32_t> kBidiControls = {0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C,
                                          0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069};
const std::set<char32_t> kNamedInvisibles = {0x00AD, 0x200B, 0x200C,  0x200D,  0x2060, 0xFEFF,
                                             0x180E, 0x2061, 0x2062,  0x2063,  0x2064, 0x034F,
                                             0xFE0F, 0x3164, 0xE0001, 0xE0041, 0x115F, 0xFFA0};

}  // namespace

TEST(Text, EveryCodePointRoundTrips) {
  for (char32_t c = 0; c <= 0x10FFFF; ++c) {
    if (is_surrogate(c)) continue;
    const std::string s = utf8(c);
    std::size_t i = 0;
    ASSERT_EQ(next_code_point(s, i), c) << std::hex << static_cast<std::uint32_t>(c);
    ASSERT_EQ(i, s.size());
    ASSERT_EQ(code_point_count(s), 1u);
  }
}

TEST(Text, DecoderAgreesWithTheUtf8ValidatorOnEveryShortSequence) {
  // Every 1- and 2-byte string, and every 3- and 4-byte prefix of a multi-byte lead.
  for (int a = 0; a < 256; ++a) {
    const std::string one(1, static_cast<char>(a));
    ASSERT_EQ(code_point_count(one).has_value(), valid_utf8(one)) << a;
    for (int b = 0; b < 256; ++b) {
      const std::string two{static_cast<char>(a), static_cast<char>(b)};
      ASSERT_EQ(code_point_count(two).has_value(), valid_utf8(two)) << a << " " << b;
    }
  }
  for (int a = 0xE0; a <= 0xF4; ++a)
    for (int b = 0x70; b < 0xD0; ++b)
      for (int c = 0x70; c < 0xD0; ++c) {
        const std::string three{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)};
        ASSERT_EQ(code_point_count(three).has_value(), valid_utf8(three))
            << a << " " << b << " " << c;
        const std::string four = three + "\x80";
        ASSERT_EQ(code_point_count(four).has_value(), valid_utf8(four))
            << a << " " << b << " " << c;
      }
}

TEST(Text, BidiControlsAreExactlyTheNamedOnes) {
  for (char32_t c = 0; c <= 0x10FFFF; ++c)
    ASSERT_EQ(is_bidi_control(c), kBidiControls.count(c) == 1)
        << std::hex << static_cast<std::uint32_t>(c);
}

TEST(Text, InvisibleClassesAreConsistentOverEveryCodePoint) {
  std::size_t invisible = 0;
  for (char32_t c = 0; c <= 0x10FFFF; ++c) {
    if (is_bidi_control(c)) {
      ASSERT_TRUE(is_invisible(c)) << std::hex << static_cast<std::uint32_t>(c);
    }
    // Nothing is both seen as a space and hidden, and no letter of a named script is hidden.
    if (is_invisible(c)) {
      ++invisible;
      ASSERT_FALSE(is_space(c)) << std::hex << static_cast<std::uint32_t>(c);
      ASSERT_FALSE(is_control(c)) << std::hex << static_cast<std::uint32_t>(c);
      const Script s = script_of(c);
      ASSERT_TRUE(s == Script::common || s == Script::other || s == Script::arabic ||
                  s == Script::syriac || s == Script::mongolian || s == Script::khmer ||
                  s == Script::hangul || s == Script::han)
          << std::hex << static_cast<std::uint32_t>(c);
    }
  }
  for (char32_t c : kNamedInvisibles)
    EXPECT_TRUE(is_invisible(c)) << std::hex << static_cast<std::uint32_t>(c);
  // The 170 format characters (Cf, Unicode 15.1), 28 other default-ignorable ones that are
  // assigned, and the 3,999 reserved code points of the E0000 block outside Cf.
  EXPECT_EQ(invisible, 170u + 28 + 3999);
}

TEST(Text, VisibleCharactersAreNotInvisible) {
  for (char32_t c : {U'a', U'Z', U'0', U'@', U'.', U'é', U'ß', U'а', U'α', U'ア', U'あ', U'漢',
                     U'한', U'😀', U'\u2019'})
    EXPECT_FALSE(is_invisible(c) || is_bidi_control(c) || is_control(c))
        << std::hex << static_cast<std::uint32_t>(c);
}

TEST(Text, ControlsAndSpaces) {
  for (char32_t c = 0; c <= 0x10FFFF; ++c)
    ASSERT_EQ(is_control(c), c < 0x20 || (c >= 0x7F && c <= 0x9F))
        << std::hex << static_cast<std::uint32_t>(c);
  for (char32_t c : {U' ', U'\t', U'\n', U'\u00A0', U'\u2003', U'\u3000', U'\u2028', U'\u202F'})
    EXPECT_TRUE(is_space(c));
  for (char32_t c : {U'a', U'_', U'\u200B', U'\u00AD'}) EXPECT_FALSE(is_space(c));
}

TEST(Text, Scripts) {
  for (char32_t c = U'a'; c <= U'z'; ++c) EXPECT_EQ(script_of(c), Script::latin);
  for (char32_t c = U'A'; c <= U'Z'; ++c) EXPECT_EQ(script_of(c), Script::latin);
  for (char32_t c = U'0'; c <= U'9'; ++c) EXPECT_EQ(script_of(c), Script::common);
  for (char32_t c : {U'@', U'.', U'-', U'_', U'+', U'\u00D7', U'\u2019', U'😀'})
    EXPECT_EQ(script_of(c), Script::common);
  EXPECT_EQ(script_of(U'é'), Script::latin);
  EXPECT_EQ(script_of(U'ł'), Script::latin);
  EXPECT_EQ(script_of(U'ａ'), Script::latin);  // fullwidth
  EXPECT_EQ(script_of(U'а'), Script::cyrillic);
  EXPECT_EQ(script_of(U'ё'), Script::cyrillic);
  EXPECT_EQ(script_of(U'α'), Script::greek);
  EXPECT_EQ(script_of(U'ο'), Script::greek);
  EXPECT_EQ(script_of(U'ש'), Script::hebrew);
  EXPECT_EQ(script_of(U'ب'), Script::arabic);
  EXPECT_EQ(script_of(U'あ'), Script::hiragana);
  EXPECT_EQ(script_of(U'ア'), Script::katakana);
  EXPECT_EQ(script_of(U'漢'), Script::han);
  EXPECT_EQ(script_of(U'한'), Script::hangul);
  EXPECT_EQ(script_of(U'\U0001D41A'), Script::other);  // mathematical bold a: looks Latin, is not
}

TEST(Text, MixedScripts) {
  for (const char* ok : {"ann@example.com", "jürgen.müller@beispiel.de", "иван@пример.рф",
                         "山田@例え.中国", "たなか.taro@example.jp", "김민준@example.kr",
                         "王@example.cn", "δοκιμή@παράδειγμα.ελ", "1234@5678.90", ""})
    EXPECT_FALSE(mixes_scripts(ok)) << ok;
  for (const char* mixed :
       {"p\u0430ypal@example.com",                                           // Cyrillic a
        "ann@ex\u0430mple.com", "ivan@пример.рф", "\u03bfscar@example.com",  // Greek omicron
        "иван@example.com", "тест@δοκιμή.gr", "김@やまだ.jp", "a\U0001D41A@example.com", "\xff"})
    EXPECT_TRUE(mixes_scripts(mixed)) << mixed;
}

TEST(Text, CleanName) {
  EXPECT_EQ(clean_name("  Ann Smith \t"), "Ann Smith");
  EXPECT_EQ(clean_name("A\u200Bn\u200Dn\uFEFF"), "Ann");
  EXPECT_EQ(clean_name("\u202EAnn\u202C"), "Ann");
  EXPECT_EQ(clean_name("An\nn"), "Ann");
  EXPECT_EQ(clean_name("\u00A0\u3000Ann\u2003"), "Ann");
  EXPECT_EQ(clean_name("Grand Palace \u2014 Hall 1"), "Grand Palace \u2014 Hall 1");
  EXPECT_EQ(clean_name("\u200B\u200E \u2066"), "");
  EXPECT_EQ(clean_name(""), "");
  EXPECT_EQ(clean_name(" \xff "), "\xff");  // kept for the validity check to refuse
  for (char32_t c = 0; c <= 0x10FFFF; ++c) {
    if (is_surrogate(c)) continue;
    const std::string cleaned = clean_name("a" + utf8(c) + "b");
    const bool hidden = is_control(c) || is_bidi_control(c) || is_invisible(c);
    ASSERT_EQ(cleaned, hidden ? "ab" : "a" + utf8(c) + "b")
        << std::hex << static_cast<std::uint32_t>(c);
  }
}

TEST(Text, Blank) {
  for (const char* blank : {"", " ", "\t\n", "\u00A0", "\u200B", " \u200D\u2060 ", "\u3000"})
    EXPECT_TRUE(is_blank(blank)) << blank;
  for (const char* seen : {"a", " a ", "\u200Ba", "\xff"}) EXPECT_FALSE(is_blank(seen)) << seen;
}
