#pragma once
// IANA time zones from the system's compiled tzdata (TZif files, RFC 8536), because g++ 12's
// <chrono> has no time-zone database. Parsing and the calendar arithmetic are pure functions;
// only load_zone() touches the file system.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/time.hpp"

namespace boxoffice::tz {

// A POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"), which TZif files carry for the times after
// their last listed transition. Offsets are seconds east of UTC (the TZ string's sign flipped).
struct PosixRule {
  struct When {
    enum class Kind { julian_no_leap, zero_based, month_week_day } kind = Kind::month_week_day;
    int day = 0;               // Jn: 1-365; n: 0-365; M: weekday 0 (Sunday) - 6
    int month = 0;             // M only
    int week = 0;              // M only: 1-5, 5 meaning the last
    std::int32_t time = 7200;  // local seconds after midnight; -167h to 167h (RFC 8536)
  };
  std::int32_t std_offset = 0;
  std::optional<std::int32_t> dst_offset;  // none: no daylight saving time
  When dst_start, dst_end;                 // meaningful only with dst_offset
};

struct Zone {
  std::vector<UnixSeconds> transitions;  // ascending
  std::vector<std::int32_t> offsets;     // offsets[i]: in effect from transitions[i]
  std::int32_t initial_offset = 0;       // before the first transition
  std::optional<PosixRule> rule;         // after the last transition
};

// The zone in a TZif file (versions 1 to 4), or nullopt when the bytes are not one. Files with
// leap-second records ("right/" zones) are refused: their clock is not the civil one.
std::optional<Zone> parse_tzif(std::string_view bytes);
std::optional<PosixRule> parse_posix_rule(std::string_view tz);

// Whether name can be an IANA zone name: [A-Za-z0-9/_+-] in non-empty components, starting
// with a capital letter (which also keeps out "localtime", "posix/..." and "right/..."), at
// most 64 characters. Nothing else may reach the file system.
bool valid_zone_name(std::string_view name);

// Seconds east of UTC in effect at instant t.
std::int32_t utc_offset(const Zone& zone, UnixSeconds t);
// The local calendar day (days since 1970-01-01) that instant t falls on.
std::int64_t local_day(const Zone& zone, UnixSeconds t);
// The UTC instants [start, end) whose local time lies on local calendar day `day`: 24 hours
// long on most days, 23 or 25 on daylight-saving days. A day whose midnight is skipped starts
// at the transition; one whose midnight repeats starts at its first occurrence.
struct Interval {
  UnixSeconds start = 0, end = 0;
};
Interval local_day_range(const Zone& zone, std::int64_t day);

// The zone named `name` from /usr/share/zoneinfo (package tzdata), or nullptr when the name is
// invalid or no such zone is installed. Loaded zones are cached (bounded, see zone.cpp).
std::shared_ptr<const Zone> load_zone(std::string_view name);

}  // namespace boxoffice::tz
