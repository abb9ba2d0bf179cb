#include "common/utf8.hpp"

#include "domain/text.hpp"

namespace boxoffice {
namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 when it is not one: the decoder of
// the input rules (domain/text) decides, so what is echoed and what is accepted agree.
std::size_t sequence_length(std::string_view s, std::size_t i) {
  std::size_t next = i;
  return text::next_code_point(s, next) ? next - i : 0;
}

}  // namespace

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string sanitize_utf8(std::string_view s, std::size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  static constexpr std::string_view kEllipsis = "\xE2\x80\xA6";
  std::string out;
  out.reserve(std::min(s.size(), max_bytes == std::string::npos ? s.size() : max_bytes) + 3);
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = sequence_length(s, i);
    const std::string_view piece = n ? s.substr(i, n) : kReplacement;
    if (max_bytes != std::string::npos && out.size() + piece.size() > max_bytes) {
      out += kEllipsis;
      return out;
    }
    out += piece;
    i += n ? n : 1;
  }
  return out;
}

}  // namespace boxoffice
