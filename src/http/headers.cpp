#include "http/headers.hpp"

#include <array>
#include <cctype>

#include <boost/asio/ip/address.hpp>

namespace boxoffice::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

template <class Fn>
void for_each_item(std::string_view list, Fn fn) {
  std::size_t pos = 0;
  while (pos <= list.size()) {
    std::size_t end = list.find(',', pos);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = trim(list.substr(pos, end - pos));
    if (!item.empty()) fn(item);
    pos = end + 1;
  }
}

}  // namespace

bool etag_matches(std::string_view header, std::string_view etag) {
  if (header.empty() || etag.empty()) return false;
  if (trim(header) == "*") return true;
  std::string_view opaque = etag;
  if (opaque.substr(0, 2) == "W/") opaque.remove_prefix(2);
  bool match = false;
  for_each_item(header, [&](std::string_view tag) {
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    // The gzip representation's tag is the same with "-gz" before the closing quote.
    if (tag.size() > 4 && tag.substr(tag.size() - 4) == "-gz\"" && opaque.size() >= 2 &&
        tag.substr(0, tag.size() - 4) == opaque.substr(0, opaque.size() - 1))
      match = true;
    if (tag == opaque) match = true;
  });
  return match;
}

TransferCoding classify_transfer_encoding(std::string_view value) {
  if (trim(value).empty()) return TransferCoding::none;
  std::size_t items = 0;
  bool last_chunked = false;
  bool other = false;
  for_each_item(value, [&](std::string_view item) {
    ++items;
    std::string_view coding = trim(item.substr(0, item.find(';')));
    last_chunked = iequals(coding, "chunked");
    if (!last_chunked) other = true;
  });
  if (items == 0 || !last_chunked) return TransferCoding::not_chunked;
  if (other || items > 1) return TransferCoding::unsupported;  // incl. "chunked, chunked"
  return TransferCoding::chunked;
}

bool bare_lf_in_chunk_framing(std::string_view unparsed) {
  // Framing lines are short; look no further than the server lets a chunk-size line and
  // trailers be (the header limit, 16 KiB by default).
  unparsed = unparsed.substr(0, 64 * 1024);
  // The parser leaves the CRLF that ends a chunk's data in front of the next size line.
  if (unparsed.substr(0, 2) == "\r\n") unparsed.remove_prefix(2);
  const auto bare = [&](std::size_t lf) { return lf == 0 || unparsed[lf - 1] != '\r'; };
  const auto lf = unparsed.find('\n');
  if (lf == std::string_view::npos) return false;
  if (bare(lf)) return true;
  // After the last chunk ("0") everything up to the end is trailer fields, framing too: the
  // parser waits for their blank line.
  // (Beast allows blanks between the size and an extension: "0 ;ext".)
  const auto digits = unparsed.find_first_not_of('0');
  const auto after = unparsed.find_first_not_of(" \t", digits);
  const bool last_chunk = digits > 0 && after != std::string_view::npos &&
                          (unparsed[after] == '\r' || unparsed[after] == ';');
  if (!last_chunk) return false;
  for (auto i = unparsed.find('\n', lf + 1); i != std::string_view::npos;
       i = unparsed.find('\n', i + 1))
    if (bare(i)) return true;
  return false;
}

bool readable_content_encoding(std::string_view value) {
  bool readable = true;
  for_each_item(value, [&](std::string_view item) {
    if (!iequals(trim(item), "identity")) readable = false;
  });
  return readable;
}

bool valid_websocket_key(std::string_view key) {
  // 16 bytes -> 24 characters: 22 of the alphabet, then "==". The 22nd carries 2 bits only.
  key = trim(key);
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < 22; ++i)
    if (alphabet.find(key[i]) == std::string_view::npos) return false;
  return (alphabet.find(key[21]) & 0x0F) == 0;
}

std::string client_rate_key(std::string_view ip) {
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(std::string(ip), ec);
  if (ec) return std::string(ip);
  if (addr.is_v4()) return addr.to_string();
  auto v6 = addr.to_v6();
  if (v6.is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  auto bytes = v6.to_bytes();
  for (std::size_t i = 8; i < 16; ++i) bytes[i] = 0;
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace boxoffice::http
