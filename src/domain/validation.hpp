#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace boxoffice {

// Password lengths count characters (code points), as people do; the byte cap bounds the
// hashing input whatever the characters are.
inline constexpr std::size_t kMinPasswordLength = 8;
inline constexpr std::size_t kMaxPasswordLength = 256;
inline constexpr std::size_t kMaxPasswordBytes = 512;
inline constexpr std::size_t kMaxEmailLength = 254;
inline constexpr std::size_t kMaxNameLength = 200;
inline constexpr std::size_t kMaxIdempotencyKeyLength = 255;

// Why a password is refused (too short or too long), or nullopt when it is acceptable.
std::optional<std::string> password_problem(std::string_view password);

// A pragmatic address check: one '@', a non-empty local part, a dotted domain, no spaces; and,
// because an address is an identity that others read, nothing invisible, no bidi controls and
// no letters of mixed scripts (a Cyrillic 'а' posing as a Latin 'a'). Returns why an address is
// refused, or nullopt when it is acceptable.
std::optional<std::string> email_problem(std::string_view email);
bool valid_email(std::string_view email);
// Lower-cases the ASCII letters so that addresses compare case-insensitively.
std::string normalize_email(std::string_view email);
// An active ISO 4217 alphabetic code (List One), not merely three capital letters.
bool valid_currency(std::string_view code);
// Valid UTF-8 without control characters other than tab/newline.
bool valid_text(std::string_view text);
// A display name (of a user, theater, screen or city) cleaned of controls, bidi controls and
// invisible characters and trimmed of surrounding white space, when 1 to max_chars characters
// remain; nullopt otherwise.
std::optional<std::string> clean_display_name(std::string_view name,
                                              std::size_t max_chars = kMaxNameLength);

// Opaque list cursors: base64url of "after:<id>".
std::string encode_cursor(std::int64_t after_id);
std::optional<std::int64_t> decode_cursor(std::string_view cursor);
// Show lists run in (starts_at, id) order, so their cursors carry both: base64url of
// "show:<starts_at>:<id>".
struct ShowCursor {
  std::int64_t starts_at = 0;
  std::int64_t id = 0;
  bool operator==(const ShowCursor&) const = default;
};
std::string encode_show_cursor(ShowCursor c);
std::optional<ShowCursor> decode_show_cursor(std::string_view cursor);

// Whether [a_start, a_end) and [b_start, b_end) overlap.
constexpr bool intervals_overlap(std::int64_t a_start, std::int64_t a_end, std::int64_t b_start,
                                 std::int64_t b_end) {
  return a_start < b_end && b_start < a_end;
}

}  // namespace boxoffice
