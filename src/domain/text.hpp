#pragma once
// Unicode facts that input rules need, without a Unicode library: which code points are
// invisible or reorder text (so a name or an address can look like another), which script a
// letter belongs to (so a Cyrillic 'а' cannot pass for a Latin 'a'). Pure functions.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace boxoffice::text {

// The code point starting at s[i], advancing i past it; nullopt (i unchanged) for bytes that
// are not well-formed UTF-8.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i);
// Code points in s; nullopt when s is not valid UTF-8.
std::optional<std::size_t> code_point_count(std::string_view s);

// C0 and C1 controls (general category Cc).
bool is_control(char32_t c);
// Explicit directional marks, embeddings, overrides and isolates: they make text display in an
// order other than the one it is stored in.
bool is_bidi_control(char32_t c);
// Code points that draw nothing: every format character (category Cf, which includes the bidi
// controls, zero-width spaces and joiners, word joiner, BOM, soft hyphen, tags) and the other
// default-ignorable ones (combining grapheme joiner, variation selectors, Hangul fillers).
bool is_invisible(char32_t c);
// The White_Space property (ASCII and Unicode spaces, line and paragraph separators).
bool is_space(char32_t c);

// Scripts that a letter can belong to. `common` covers digits, punctuation, symbols and
// combining marks, which belong to no script of their own; `other` every letter of a script
// this table does not name.
enum class Script {
  common,
  latin,
  greek,
  cyrillic,
  armenian,
  hebrew,
  arabic,
  syriac,
  thaana,
  nko,
  devanagari,
  bengali,
  gurmukhi,
  gujarati,
  oriya,
  tamil,
  telugu,
  kannada,
  malayalam,
  sinhala,
  thai,
  lao,
  tibetan,
  myanmar,
  georgian,
  hangul,
  ethiopic,
  cherokee,
  canadian_aboriginal,
  ogham,
  runic,
  khmer,
  mongolian,
  hiragana,
  katakana,
  bopomofo,
  han,
  yi,
  other
};
Script script_of(char32_t c);

// Whether the letters of s come from more than one script, by the "highly restrictive" level
// of Unicode TS #39: one script, or Latin with the scripts written together with Han in
// Japanese (Hiragana, Katakana), Chinese (Bopomofo) or Korean (Hangul). Invalid UTF-8 counts
// as mixed.
bool mixes_scripts(std::string_view s);

// s without controls, bidi controls and invisible code points, and without the white space
// around it. Bytes that are not UTF-8 are kept, for the caller's validity check to refuse.
std::string clean_name(std::string_view s);
// Whether s shows nothing: empty, or only white space, controls and invisible code points.
bool is_blank(std::string_view s);

}  // namespace boxoffice::text
