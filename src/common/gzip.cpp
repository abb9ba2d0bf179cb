#include "common/gzip.hpp"

#include <zlib.h>

#include <cctype>
#include <stdexcept>

namespace boxoffice {

std::string gzip_compress(std::string_view data) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, 4, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  out.shrink_to_fit();
  return out;
}

bool accepts_gzip(std::string_view header) {
  // A comma list of codings with optional ;q= weights. An explicit gzip (or x-gzip) entry
  // decides; otherwise "*" does; otherwise no.
  int explicit_gzip = -1, star = -1;  // -1 absent, 0 refused, 1 accepted
  std::size_t pos = 0;
  while (pos <= header.size()) {
    std::size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(pos, end - pos);
    pos = end + 1;
    std::string_view coding = item.substr(0, item.find(';'));
    while (!coding.empty() && std::isspace(static_cast<unsigned char>(coding.front())))
      coding.remove_prefix(1);
    while (!coding.empty() && std::isspace(static_cast<unsigned char>(coding.back())))
      coding.remove_suffix(1);
    std::string lower;
    for (char c : coding) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool is_gzip = lower == "gzip" || lower == "x-gzip";
    if (!is_gzip && lower != "*") continue;
    bool accepted = true;
    const auto q = item.find(';');
    if (q != std::string_view::npos) {
      std::string_view params = item.substr(q + 1);
      const auto qv = params.find("q=");
      if (qv != std::string_view::npos) {
        std::string_view v = params.substr(qv + 2);
        // q=0, q=0.0, q=0.000 refuse; anything else accepts.
        bool zero = !v.empty() && v.front() == '0';
        for (std::size_t i = 1;
             zero && i < v.size() && !std::isspace(static_cast<unsigned char>(v[i])); ++i)
          if (v[i] != '.' && v[i] != '0') zero = false;
        accepted = !zero;
      }
    }
    (is_gzip ? explicit_gzip : star) = accepted ? 1 : 0;
  }
  if (explicit_gzip >= 0) return explicit_gzip == 1;
  return star == 1;
}

}  // namespace boxoffice
