#pragma once
// Wall-clock times are whole seconds since the Unix epoch (UTC); the API speaks RFC 3339.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace boxoffice {

using UnixSeconds = std::int64_t;

UnixSeconds now_unix();
std::int64_t now_unix_ms();
std::string format_rfc3339(UnixSeconds t);
std::string format_rfc3339_ms(std::int64_t unix_ms);
// Accepts YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM); 'T' may be 't' or ' '.
std::optional<UnixSeconds> parse_rfc3339(std::string_view text);
// YYYY-MM-DD -> midnight UTC of that day.
std::optional<UnixSeconds> parse_date(std::string_view text);
// Days since 1970-01-01 for a civil date (proleptic Gregorian).
std::int64_t days_from_civil(int y, unsigned m, unsigned d);

}  // namespace boxoffice
