#include "domain/text.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace boxoffice::text {
namespace {

struct Range {
  char32_t lo, hi;
};

template <std::size_t N>
bool in(const Range (&ranges)[N], char32_t c) {
  return std::any_of(std::begin(ranges), std::end(ranges),
                     [c](const Range& r) { return c >= r.lo && c <= r.hi; });
}

// General category Cf (Unicode 15.1).
constexpr Range kFormat[] = {
    {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},   {0x06DD, 0x06DD},
    {0x070F, 0x070F},   {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x180E, 0x180E},
    {0x200B, 0x200F},   {0x202A, 0x202E},   {0x2060, 0x2064},   {0x2066, 0x206F},
    {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD}, {0x110CD, 0x110CD},
    {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001},
    {0xE0020, 0xE007F},
};

// Default-ignorable code points outside Cf: they render as nothing too, so they can hide in
// a name or pad an address. U+2065 and the E0000 block are reserved as default-ignorable.
constexpr Range kOtherIgnorable[] = {
    {0x034F, 0x034F}, {0x115F, 0x1160}, {0x17B4, 0x17B5}, {0x180B, 0x180F},   {0x2065, 0x2065},
    {0x3164, 0x3164}, {0xFE00, 0xFE0F}, {0xFFA0, 0xFFA0}, {0xE0000, 0xE0FFF},
};

constexpr Range kBidi[] = {{0x061C, 0x061C}, {0x200E, 0x200F}, {0x202A, 0x202E}, {0x2066, 0x2069}};

constexpr Range kSpace[] = {{0x0009, 0x000D}, {0x0020, 0x0020}, {0x0085, 0x0085}, {0x00A0, 0x00A0},
                            {0x1680, 0x1680}, {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F},
                            {0x205F, 0x205F}, {0x3000, 0x3000}};

struct ScriptRange {
  char32_t lo, hi;
  Script script;
};

// Sorted, non-overlapping. Blocks stand for their script (a block's few punctuation marks go
// with it, which only makes mixing stricter); code points in no range are `other` above ASCII
// and `common` within it. Mathematical alphanumerics (U+1D400...) are deliberately in no range:
// they look like Latin letters, so they must not pass as script-neutral.
constexpr ScriptRange kScripts[] = {
    {0x0041, 0x005A, Script::latin},
    {0x0061, 0x007A, Script::latin},
    {0x0080, 0x00A9, Script::common},
    {0x00AA, 0x00AA, Script::latin},
    {0x00AB, 0x00B9, Script::common},
    {0x00BA, 0x00BA, Script::latin},
    {0x00BB, 0x00BF, Script::common},
    {0x00C0, 0x00D6, Script::latin},
    {0x00D7, 0x00D7, Script::common},
    {0x00D8, 0x00F6, Script::latin},
    {0x00F7, 0x00F7, Script::common},
    {0x00F8, 0x02AF, Script::latin},
    {0x02B0, 0x036F, Script::common},
    {0x0370, 0x03FF, Script::greek},
    {0x0400, 0x052F, Script::cyrillic},
    {0x0531, 0x058F, Script::armenian},
    {0x0590, 0x05FF, Script::hebrew},
    {0x0600, 0x06FF, Script::arabic},
    {0x0700, 0x074F, Script::syriac},
    {0x0750, 0x077F, Script::arabic},
    {0x0780, 0x07BF, Script::thaana},
    {0x07C0, 0x07FF, Script::nko},
    {0x0860, 0x086F, Script::syriac},
    {0x0870, 0x08FF, Script::arabic},
    {0x0900, 0x097F, Script::devanagari},
    {0x0980, 0x09FF, Script::bengali},
    {0x0A00, 0x0A7F, Script::gurmukhi},
    {0x0A80, 0x0AFF, Script::gujarati},
    {0x0B00, 0x0B7F, Script::oriya},
    {0x0B80, 0x0BFF, Script::tamil},
    {0x0C00, 0x0C7F, Script::telugu},
    {0x0C80, 0x0CFF, Script::kannada},
    {0x0D00, 0x0D7F, Script::malayalam},
    {0x0D80, 0x0DFF, Script::sinhala},
    {0x0E00, 0x0E7F, Script::thai},
    {0x0E80, 0x0EFF, Script::lao},
    {0x0F00, 0x0FFF, Script::tibetan},
    {0x1000, 0x109F, Script::myanmar},
    {0x10A0, 0x10FF, Script::georgian},
    {0x1100, 0x11FF, Script::hangul},
    {0x1200, 0x139F, Script::ethiopic},
    {0x13A0, 0x13FF, Script::cherokee},
    {0x1400, 0x167F, Script::canadian_aboriginal},
    {0x1680, 0x169F, Script::ogham},
    {0x16A0, 0x16FF, Script::runic},
    {0x1780, 0x17FF, Script::khmer},
    {0x1800, 0x18AF, Script::mongolian},
    {0x18B0, 0x18FF, Script::canadian_aboriginal},
    {0x19E0, 0x19FF, Script::khmer},
    {0x1AB0, 0x1AFF, Script::common},
    {0x1C80, 0x1C8F, Script::cyrillic},
    {0x1C90, 0x1CBF, Script::georgian},
    {0x1D00, 0x1D25, Script::latin},
    {0x1D26, 0x1D2A, Script::greek},
    {0x1D2B, 0x1D2B, Script::cyrillic},
    {0x1D2C, 0x1D5C, Script::latin},
    {0x1D5D, 0x1D61, Script::greek},
    {0x1D62, 0x1D65, Script::latin},
    {0x1D66, 0x1D6A, Script::greek},
    {0x1D6B, 0x1D77, Script::latin},
    {0x1D78, 0x1D78, Script::cyrillic},
    {0x1D79, 0x1DBE, Script::latin},
    {0x1DBF, 0x1DBF, Script::greek},
    {0x1DC0, 0x1DFF, Script::common},
    {0x1E00, 0x1EFF, Script::latin},
    {0x1F00, 0x1FFF, Script::greek},
    {0x2000, 0x2070, Script::common},
    {0x2071, 0x2071, Script::latin},
    {0x2072, 0x207E, Script::common},
    {0x207F, 0x207F, Script::latin},
    {0x2080, 0x208F, Script::common},
    {0x2090, 0x209C, Script::latin},
    {0x209D, 0x2125, Script::common},
    {0x2126, 0x2126, Script::greek},
    {0x2127, 0x2129, Script::common},
    {0x212A, 0x212B, Script::latin},
    {0x212C, 0x2131, Script::common},
    {0x2132, 0x2132, Script::latin},
    {0x2133, 0x214D, Script::common},
    {0x214E, 0x214E, Script::latin},
    {0x214F, 0x215F, Script::common},
    {0x2160, 0x2188, Script::latin},
    {0x2189, 0x2BFF, Script::common},
    {0x2C60, 0x2C7F, Script::latin},
    {0x2D00, 0x2D2F, Script::georgian},
    {0x2DE0, 0x2DFF, Script::cyrillic},
    {0x2E00, 0x2E7F, Script::common},
    {0x2E80, 0x2FDF, Script::han},
    {0x2FF0, 0x3004, Script::common},
    {0x3005, 0x3005, Script::han},
    {0x3006, 0x3006, Script::common},
    {0x3007, 0x3007, Script::han},
    {0x3008, 0x3020, Script::common},
    {0x3021, 0x3029, Script::han},
    {0x302A, 0x3037, Script::common},
    {0x3038, 0x303B, Script::han},
    {0x303C, 0x303F, Script::common},
    {0x3041, 0x309F, Script::hiragana},
    {0x30A0, 0x30FA, Script::katakana},
    {0x30FB, 0x30FC, Script::common},
    {0x30FD, 0x30FF, Script::katakana},
    {0x3100, 0x312F, Script::bopomofo},
    {0x3130, 0x318F, Script::hangul},
    {0x3190, 0x319F, Script::common},
    {0x31A0, 0x31BF, Script::bopomofo},
    {0x31C0, 0x31EF, Script::common},
    {0x31F0, 0x31FF, Script::katakana},
    {0x3200, 0x33FF, Script::common},
    {0x3400, 0x4DBF, Script::han},
    {0x4DC0, 0x4DFF, Script::common},
    {0x4E00, 0x9FFF, Script::han},
    {0xA000, 0xA4CF, Script::yi},
    {0xA640, 0xA69F, Script::cyrillic},
    {0xA700, 0xA721, Script::common},
    {0xA722, 0xA7FF, Script::latin},
    {0xA960, 0xA97F, Script::hangul},
    {0xAB30, 0xAB5A, Script::latin},
    {0xAB5B, 0xAB5B, Script::common},
    {0xAB5C, 0xAB64, Script::latin},
    {0xAB65, 0xAB65, Script::greek},
    {0xAB66, 0xAB69, Script::latin},
    {0xAB6A, 0xAB6F, Script::common},
    {0xAB70, 0xABBF, Script::cherokee},
    {0xAC00, 0xD7FF, Script::hangul},
    {0xF900, 0xFAFF, Script::han},
    {0xFB00, 0xFB06, Script::latin},
    {0xFB13, 0xFB17, Script::armenian},
    {0xFB1D, 0xFB4F, Script::hebrew},
    {0xFB50, 0xFDFF, Script::arabic},
    {0xFE00, 0xFE6F, Script::common},
    {0xFE70, 0xFEFE, Script::arabic},
    {0xFEFF, 0xFF20, Script::common},
    {0xFF21, 0xFF3A, Script::latin},
    {0xFF3B, 0xFF40, Script::common},
    {0xFF41, 0xFF5A, Script::latin},
    {0xFF5B, 0xFF65, Script::common},
    {0xFF66, 0xFF6F, Script::katakana},
    {0xFF70, 0xFF70, Script::common},
    {0xFF71, 0xFF9D, Script::katakana},
    {0xFF9E, 0xFF9F, Script::common},
    {0xFFA0, 0xFFDC, Script::hangul},
    {0xFFE0, 0xFFFF, Script::common},
    {0x1F000, 0x1FBFF, Script::common},
    {0x20000, 0x323AF, Script::han},
    {0xE0000, 0xE0FFF, Script::common},
};

using ScriptSet = std::uint64_t;
static_assert(static_cast<int>(Script::other) < 64);
constexpr ScriptSet bit(Script s) {
  return ScriptSet{1} << static_cast<int>(s);
}

// The multi-script sets that UTS #39 "highly restrictive" allows.
constexpr ScriptSet kAllowedMixes[] = {
    bit(Script::latin) | bit(Script::han) | bit(Script::hiragana) | bit(Script::katakana),
    bit(Script::latin) | bit(Script::han) | bit(Script::bopomofo),
    bit(Script::latin) | bit(Script::han) | bit(Script::hangul),
};

bool shows_nothing(char32_t c) {
  return is_control(c) || is_bidi_control(c) || is_invisible(c);
}

}  // namespace

std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) {
  if (i >= s.size()) return std::nullopt;
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return static_cast<char32_t>(s[i++]);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return std::nullopt;
  }
  if (i + n > s.size() || b(i + 1) < lo || b(i + 1) > hi) return std::nullopt;
  char32_t cp = c & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return std::nullopt;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  i += n;
  return cp;
}

std::optional<std::size_t> code_point_count(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n)
    if (!next_code_point(s, i)) return std::nullopt;
  return n;
}

bool is_control(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}
bool is_bidi_control(char32_t c) {
  return in(kBidi, c);
}
bool is_invisible(char32_t c) {
  return in(kFormat, c) || in(kOtherIgnorable, c);
}
bool is_space(char32_t c) {
  return in(kSpace, c);
}

Script script_of(char32_t c) {
  const auto it = std::upper_bound(std::begin(kScripts), std::end(kScripts), c,
                                   [](char32_t v, const ScriptRange& r) { return v < r.lo; });
  if (it != std::begin(kScripts) && c <= std::prev(it)->hi) return std::prev(it)->script;
  return c < 0x80 ? Script::common : Script::other;
}

bool mixes_scripts(std::string_view s) {
  ScriptSet seen = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto c = next_code_point(s, i);
    if (!c) return true;
    const Script sc = script_of(*c);
    if (sc != Script::common) seen |= bit(sc);
  }
  if ((seen & (seen - 1)) == 0) return false;  // zero or one script
  return std::none_of(std::begin(kAllowedMixes), std::end(kAllowedMixes),
                      [seen](ScriptSet allowed) { return (seen & ~allowed) == 0; });
}

std::string clean_name(std::string_view s) {
  std::string kept;
  kept.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    auto c = next_code_point(s, i);
    if (!c) {
      kept += s[i++];
      continue;
    }
    if (!shows_nothing(*c)) kept.append(s.substr(start, i - start));
  }
  // Trim white space: find the first and last code points that are not space.
  std::size_t begin = kept.size(), end = 0;
  for (std::size_t i = 0; i < kept.size();) {
    const std::size_t start = i;
    auto c = next_code_point(kept, i);
    if (!c) ++i;
    if (!c || !is_space(*c)) {
      begin = std::min(begin, start);
      end = i;
    }
  }
  return begin < end ? kept.substr(begin, end - begin) : std::string();
}

bool is_blank(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = next_code_point(s, i);
    if (!c || !(is_space(*c) || shows_nothing(*c))) return false;
  }
  return true;
}

}  // namespace boxoffice::text
