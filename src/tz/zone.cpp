#include "tz/zone.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <utility>

#include "common/sharded_lru.hpp"

namespace boxoffice::tz {
namespace {

constexpr std::int64_t kDay = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

bool is_leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// The proleptic Gregorian year of a day count (Howard Hinnant's civil_from_days, year only).
std::int64_t year_of_day(std::int64_t z) {
  z += 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  return yoe + era * 400 + (mp >= 10 ? 1 : 0);
}

std::int64_t civil_days(std::int64_t y, unsigned m, unsigned d) {
  return days_from_civil(static_cast<int>(y), m, d);
}

// ---- TZif ----

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool ok() const { return ok_; }
  std::size_t pos() const { return pos_; }
  bool skip(std::uint64_t n) {
    if (!ok_ || n > b_.size() - pos_) return ok_ = false;
    pos_ += static_cast<std::size_t>(n);
    return true;
  }
  std::uint8_t u8() {
    if (!skip(1)) return 0;
    return static_cast<std::uint8_t>(b_[pos_ - 1]);
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | u8();
    return v;
  }
  std::int64_t i64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
    return static_cast<std::int64_t>(v);
  }
  std::int64_t time(bool wide) { return wide ? i64() : static_cast<std::int32_t>(u32()); }
  std::string_view rest() const { return b_.substr(pos_); }

 private:
  std::string_view b_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

struct Header {
  char version = 0;
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

std::optional<Header> read_header(Reader& r) {
  Header h;
  if (r.u8() != 'T' || r.u8() != 'Z' || r.u8() != 'i' || r.u8() != 'f') return std::nullopt;
  h.version = static_cast<char>(r.u8());
  r.skip(15);
  h.isutcnt = r.u32();
  h.isstdcnt = r.u32();
  h.leapcnt = r.u32();
  h.timecnt = r.u32();
  h.typecnt = r.u32();
  h.charcnt = r.u32();
  // RFC 8536 section 3.1's constraints, plus bounds far above any real zone.
  if (!r.ok() || h.typecnt == 0 || h.typecnt > 256 || h.charcnt == 0 || h.timecnt > 100'000 ||
      (h.isutcnt != 0 && h.isutcnt != h.typecnt) || (h.isstdcnt != 0 && h.isstdcnt != h.typecnt))
    return std::nullopt;
  return h;
}

std::uint64_t block_size(const Header& h, bool wide) {
  const std::uint64_t t = wide ? 8 : 4;
  return h.timecnt * t + h.timecnt + h.typecnt * 6ULL + h.charcnt + h.leapcnt * (t + 4) +
         h.isstdcnt + h.isutcnt;
}

std::optional<Zone> read_block(Reader& r, const Header& h, bool wide) {
  // Leap-second tables make the file's clock TAI-like ("right/" zones), not civil time.
  if (h.leapcnt != 0) return std::nullopt;
  Zone z;
  std::vector<std::uint8_t> type_of(h.timecnt);
  z.transitions.resize(h.timecnt);
  for (auto& t : z.transitions) t = r.time(wide);
  for (auto& i : type_of) i = r.u8();
  std::vector<std::int32_t> utoff(h.typecnt);
  for (auto& o : utoff) {
    o = static_cast<std::int32_t>(r.u32());
    r.skip(2);  // isdst, desigidx: not needed for offsets
    if (o == INT32_MIN) return std::nullopt;
  }
  r.skip(std::uint64_t{h.charcnt} + h.isstdcnt + h.isutcnt);
  if (!r.ok()) return std::nullopt;
  if (!std::is_sorted(z.transitions.begin(), z.transitions.end()) ||
      std::adjacent_find(z.transitions.begin(), z.transitions.end()) != z.transitions.end())
    return std::nullopt;
  z.offsets.reserve(h.timecnt);
  for (std::uint8_t i : type_of) {
    if (i >= h.typecnt) return std::nullopt;
    z.offsets.push_back(utoff[i]);
  }
  z.initial_offset = utoff[0];
  return z;
}

// ---- POSIX TZ strings ----

class RuleParser {
 public:
  explicit RuleParser(std::string_view s) : s_(s) {}

  std::optional<PosixRule> parse() {
    PosixRule rule;
    if (!name()) return std::nullopt;
    auto std_off = offset(24);
    if (!std_off) return std::nullopt;
    rule.std_offset = -*std_off;
    if (done()) return rule;
    if (!name()) return std::nullopt;
    if (!done() && peek() != ',') {
      auto dst_off = offset(24);
      if (!dst_off) return std::nullopt;
      rule.dst_offset = -*dst_off;
    } else {
      rule.dst_offset = rule.std_offset + 3600;
    }
    // A TZif footer always states its rules; POSIX's implementation-defined default is not guessed.
    if (!eat(',')) return std::nullopt;
    auto start = when();
    if (!start || !eat(',')) return std::nullopt;
    auto end = when();
    if (!end || !done()) return std::nullopt;
    rule.dst_start = *start;
    rule.dst_end = *end;
    return rule;
  }

 private:
  bool done() const { return i_ == s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  static bool alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
  static bool digit(char c) { return c >= '0' && c <= '9'; }

  bool name() {
    const std::size_t start = i_;
    if (eat('<')) {
      while (!done() && (alpha(peek()) || digit(peek()) || peek() == '+' || peek() == '-')) ++i_;
      return i_ - start >= 4 && eat('>');  // at least three characters inside
    }
    while (!done() && alpha(peek())) ++i_;
    return i_ - start >= 3;
  }

  std::optional<int> number(int max) {
    if (!digit(peek())) return std::nullopt;
    int v = 0;
    while (digit(peek())) {
      v = v * 10 + (s_[i_++] - '0');
      if (v > max) return std::nullopt;
    }
    return v;
  }

  // [+-]hh[:mm[:ss]] in seconds.
  std::optional<std::int32_t> offset(int max_hours) {
    int sign = 1;
    if (eat('-'))
      sign = -1;
    else
      eat('+');
    auto h = number(max_hours);
    if (!h) return std::nullopt;
    std::int32_t secs = *h * 3600;
    if (eat(':')) {
      auto m = number(59);
      if (!m) return std::nullopt;
      secs += *m * 60;
      if (eat(':')) {
        auto sec = number(59);
        if (!sec) return std::nullopt;
        secs += *sec;
      }
    }
    return sign * secs;
  }

  std::optional<PosixRule::When> when() {
    PosixRule::When w;
    using K = PosixRule::When::Kind;
    if (eat('J')) {
      auto n = number(365);
      if (!n || *n < 1) return std::nullopt;
      w.kind = K::julian_no_leap;
      w.day = *n;
    } else if (eat('M')) {
      auto m = number(12);
      if (!m || *m < 1 || !eat('.')) return std::nullopt;
      auto week = number(5);
      if (!week || *week < 1 || !eat('.')) return std::nullopt;
      auto d = number(6);
      if (!d) return std::nullopt;
      w.kind = K::month_week_day;
      w.month = *m;
      w.week = *week;
      w.day = *d;
    } else {
      auto n = number(365);
      if (!n) return std::nullopt;
      w.kind = K::zero_based;
      w.day = *n;
    }
    if (eat('/')) {
      auto t = offset(167);  // RFC 8536 extends POSIX's 0-24 hours to -167..167
      if (!t) return std::nullopt;
      w.time = *t;
    }
    return w;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// The local day (days since the epoch) on which `w` falls in year y.
std::int64_t rule_day(const PosixRule::When& w, std::int64_t y) {
  using K = PosixRule::When::Kind;
  const std::int64_t jan1 = civil_days(y, 1, 1);
  switch (w.kind) {
    case K::julian_no_leap:
      return jan1 + w.day - 1 + (is_leap(y) && w.day >= 60 ? 1 : 0);
    case K::zero_based:
      return jan1 + w.day;
    case K::month_week_day:
      break;
  }
  const std::int64_t first = civil_days(y, static_cast<unsigned>(w.month), 1);
  const std::int64_t next = w.month == 12 ? civil_days(y + 1, 1, 1)
                                          : civil_days(y, static_cast<unsigned>(w.month + 1), 1);
  const std::int64_t weekday = ((first + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
  std::int64_t d = first + (w.day - weekday + 7) % 7 + (w.week - 1) * 7;
  while (d >= next) d -= 7;  // week 5: the last such weekday
  return d;
}

// The instants DST starts and ends in year y (local year by standard time).
std::pair<UnixSeconds, UnixSeconds> dst_bounds(const PosixRule& r, std::int64_t y) {
  const UnixSeconds start = rule_day(r.dst_start, y) * kDay + r.dst_start.time - r.std_offset;
  const UnixSeconds end = rule_day(r.dst_end, y) * kDay + r.dst_end.time - *r.dst_offset;
  return {start, end};
}

std::int32_t rule_offset(const PosixRule& r, UnixSeconds t) {
  if (!r.dst_offset) return r.std_offset;
  const auto [start, end] = dst_bounds(r, year_of_day(floor_div(t + r.std_offset, kDay)));
  // Northern rules start and end DST in one year; southern ones end it first.
  const bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? *r.dst_offset : r.std_offset;
}

struct Change {
  UnixSeconds at;
  std::int32_t offset_after;
};

// The offset changes in (from, to], ascending.
std::vector<Change> changes(const Zone& z, UnixSeconds from, UnixSeconds to) {
  std::vector<Change> out;
  auto it = std::upper_bound(z.transitions.begin(), z.transitions.end(), from);
  for (; it != z.transitions.end() && *it <= to; ++it)
    out.push_back({*it, z.offsets[static_cast<std::size_t>(it - z.transitions.begin())]});
  if (z.rule && z.rule->dst_offset) {
    const UnixSeconds after = z.transitions.empty() ? INT64_MIN : z.transitions.back();
    std::vector<Change> ruled;
    for (std::int64_t y = year_of_day(floor_div(from, kDay)) - 1;
         y <= year_of_day(floor_div(to, kDay)) + 1; ++y) {
      const auto [start, end] = dst_bounds(*z.rule, y);
      ruled.push_back({start, *z.rule->dst_offset});
      ruled.push_back({end, z.rule->std_offset});
    }
    std::sort(ruled.begin(), ruled.end(),
              [](const Change& a, const Change& b) { return a.at < b.at; });
    for (const Change& c : ruled)
      if (c.at > from && c.at <= to && c.at > after) out.push_back(c);
  }
  return out;
}

// The first instant whose local time is at or after local second `local`.
UnixSeconds first_instant_at_or_after(const Zone& z, UnixSeconds local) {
  // No offset exceeds 26 hours, so the answer lies within two days of `local`.
  const UnixSeconds from = local - 2 * kDay, to = local + 2 * kDay;
  UnixSeconds start = from;
  std::int32_t offset = utc_offset(z, from);
  for (const Change& c : changes(z, from, to)) {
    const UnixSeconds t = std::max(start, local - offset);
    if (t < c.at) return t;
    start = c.at;
    offset = c.offset_after;
  }
  return std::max(start, local - offset);
}

// The bound on cached zones: tzdata has about 600 names and a theater picks one, so 256 covers
// any real catalog; each entry is a few KiB (Zone's transition vectors).
constexpr std::size_t kMaxCachedZones = 256;
constexpr std::size_t kMaxTzifBytes = 256 * 1024;
constexpr const char* kZoneDir = "/usr/share/zoneinfo/";

ShardedLru<std::string, std::shared_ptr<const Zone>>& zone_cache() {
  static ShardedLru<std::string, std::shared_ptr<const Zone>> cache(kMaxCachedZones);
  return cache;
}

}  // namespace

std::optional<PosixRule> parse_posix_rule(std::string_view tz) {
  return RuleParser(tz).parse();
}

std::optional<Zone> parse_tzif(std::string_view bytes) {
  Reader r(bytes);
  auto h = read_header(r);
  if (!h) return std::nullopt;
  if (h->version == '\0') return read_block(r, *h, false);
  if (h->version < '2' || h->version > '4') return std::nullopt;
  // Version 2+ repeats the data with 64-bit times after the 32-bit block, then a TZ string.
  if (!r.skip(block_size(*h, false))) return std::nullopt;
  auto h2 = read_header(r);
  if (!h2) return std::nullopt;
  auto zone = read_block(r, *h2, true);
  if (!zone) return std::nullopt;
  const std::string_view footer = r.rest();
  if (footer.size() < 2 || footer.front() != '\n') return std::nullopt;
  const auto nl = footer.find('\n', 1);
  if (nl == std::string_view::npos) return std::nullopt;
  const std::string_view tz = footer.substr(1, nl - 1);
  if (!tz.empty()) {
    zone->rule = parse_posix_rule(tz);
    if (!zone->rule) return std::nullopt;
  }
  return zone;
}

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() < 'A' || name.front() > 'Z') return false;
  std::size_t component = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '/') {
      const std::string_view part = name.substr(component, i - component);
      if (part.empty() || part == "." || part == "..") return false;
      component = i + 1;
      continue;
    }
    const char c = name[i];
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

std::int32_t utc_offset(const Zone& z, UnixSeconds t) {
  if (z.transitions.empty()) return z.rule ? rule_offset(*z.rule, t) : z.initial_offset;
  if (t < z.transitions.front()) return z.initial_offset;
  if (t >= z.transitions.back() && z.rule) return rule_offset(*z.rule, t);
  const auto it = std::upper_bound(z.transitions.begin(), z.transitions.end(), t);
  return z.offsets[static_cast<std::size_t>(it - z.transitions.begin()) - 1];
}

std::int64_t local_day(const Zone& z, UnixSeconds t) {
  return floor_div(t + utc_offset(z, t), kDay);
}

Interval local_day_range(const Zone& z, std::int64_t day) {
  return {first_instant_at_or_after(z, day * kDay), first_instant_at_or_after(z, (day + 1) * kDay)};
}

std::shared_ptr<const Zone> load_zone(std::string_view name) {
  if (!valid_zone_name(name)) return nullptr;
  const std::string key(name);
  auto cached =
      zone_cache().with(key, [](std::shared_ptr<const Zone>* z) { return z ? *z : nullptr; });
  if (cached) return cached;
  // Unknown names are not cached: they cost one failed open, and caching them would let
  // callers fill the cache with garbage.
  std::ifstream in(kZoneDir + key, std::ios::binary);
  if (!in) return nullptr;
  std::string bytes;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    bytes.append(buf, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > kMaxTzifBytes) return nullptr;
  }
  auto zone = parse_tzif(bytes);
  if (!zone) return nullptr;
  auto shared = std::make_shared<const Zone>(std::move(*zone));
  zone_cache().put(key, shared);
  return shared;
}

}  // namespace boxoffice::tz
