#include "domain/validation.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>

#include "domain/text.hpp"

namespace boxoffice {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kB64[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kB64[(acc << (6 - bits)) & 63];
  return out;
}

std::optional<std::string> unbase64url(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::find(kB64, kB64 + 64, c);
    if (p == kB64 + 64) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// ISO 4217 List One, the active alphabetic codes (currencies, funds, metals, units of
// account), sorted for binary search. As in force in 2026: XCG replaced ANG (2025), ZWG
// replaced ZWL (2024), SLE replaced SLL, XAD was added (2025); HRK (2023) and BGN (2026) gave
// way to the euro and CUC was withdrawn. Amendments are rare; update the list when one lands.
constexpr std::array<std::string_view, 178> kIso4217 = {
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BHD",
    "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
    "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DJF",
    "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP",
    "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR",
    "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT",
    "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP",
    "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR",
    "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB",
    "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN",
    "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
    "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAD",
    "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF",
    "XPT", "XSU", "XTS", "XUA", "XXX", "YER", "ZAR", "ZMW", "ZWG",
};
static_assert(std::is_sorted(kIso4217.begin(), kIso4217.end()));

}  // namespace

std::optional<std::string> password_problem(std::string_view password) {
  const auto chars = text::code_point_count(password);
  if (!chars) return "must be valid UTF-8 text";
  if (*chars < kMinPasswordLength)
    return "must be at least " + std::to_string(kMinPasswordLength) + " characters";
  if (*chars > kMaxPasswordLength)
    return "must be at most " + std::to_string(kMaxPasswordLength) + " characters";
  if (password.size() > kMaxPasswordBytes)
    return "must be at most " + std::to_string(kMaxPasswordBytes) + " bytes";
  return std::nullopt;
}

std::optional<std::string> email_problem(std::string_view e) {
  const std::string shape = "must be a valid email address";
  if (e.size() < 3 || e.size() > kMaxEmailLength) return shape;
  const auto at = e.find('@');
  if (at == std::string_view::npos || at == 0 || e.find('@', at + 1) != std::string_view::npos)
    return shape;
  const auto domain = e.substr(at + 1);
  const auto dot = domain.find('.');
  if (domain.empty() || dot == std::string_view::npos || dot == 0 || domain.back() == '.')
    return shape;
  if (std::any_of(e.begin(), e.end(), [](char c) {
        return static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == ',' || c == '"';
      }))
    return shape;
  for (std::size_t i = 0; i < e.size();) {
    const auto c = text::next_code_point(e, i);
    if (!c) return shape;
    if (text::is_bidi_control(*c)) return "must not contain bidirectional control characters";
    if (text::is_invisible(*c) || text::is_control(*c) || text::is_space(*c))
      return "must not contain invisible characters";
  }
  if (text::mixes_scripts(e)) return "must not mix letters of different scripts";
  return std::nullopt;
}

bool valid_email(std::string_view e) {
  return !email_problem(e);
}

std::string normalize_email(std::string_view e) {
  std::string out(e);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool valid_currency(std::string_view code) {
  return std::binary_search(kIso4217.begin(), kIso4217.end(), code);
}

bool valid_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return false;
      ++i;
      continue;
    }
    int len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    std::uint32_t cp = c & (0xFF >> (len + 1));
    for (int k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Reject overlong forms, surrogates and out-of-range code points.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return false;
    i += len;
  }
  return true;
}

std::optional<std::string> clean_display_name(std::string_view name, std::size_t max_chars) {
  std::string cleaned = text::clean_name(name);
  const auto chars = text::code_point_count(cleaned);
  if (!chars || *chars == 0 || *chars > max_chars || !valid_text(cleaned)) return std::nullopt;
  return cleaned;
}

std::string encode_cursor(std::int64_t after_id) {
  return base64url("after:" + std::to_string(after_id));
}

std::string encode_show_cursor(ShowCursor c) {
  return base64url("show:" + std::to_string(c.starts_at) + ":" + std::to_string(c.id));
}

std::optional<ShowCursor> decode_show_cursor(std::string_view cursor) {
  if (cursor.empty() || cursor.size() > 64) return std::nullopt;
  auto raw = unbase64url(cursor);
  if (!raw || raw->rfind("show:", 0) != 0) return std::nullopt;
  const char* b = raw->data() + 5;
  const char* e = raw->data() + raw->size();
  ShowCursor c;
  auto [p, ec] = std::from_chars(b, e, c.starts_at);
  if (ec != std::errc{} || p == b || p == e || *p != ':') return std::nullopt;
  const char* id_start = p + 1;
  auto [q, ec2] = std::from_chars(id_start, e, c.id);
  if (ec2 != std::errc{} || q != e || q == id_start || c.id < 0) return std::nullopt;
  return c;
}

std::optional<std::int64_t> decode_cursor(std::string_view cursor) {
  if (cursor.empty() || cursor.size() > 64) return std::nullopt;
  auto raw = unbase64url(cursor);
  if (!raw || raw->rfind("after:", 0) != 0) return std::nullopt;
  std::int64_t id = 0;
  const char* b = raw->data() + 6;
  const char* e = raw->data() + raw->size();
  auto [p, ec] = std::from_chars(b, e, id);
  if (ec != std::errc{} || p != e || b == e || id < 0) return std::nullopt;
  return id;
}

}  // namespace boxoffice
