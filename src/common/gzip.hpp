#pragma once
// gzip (RFC 1952) with zlib, for response bodies sent to clients that accept it.
#include <string>
#include <string_view>

namespace boxoffice {

// Bodies smaller than this are sent as they are: the header and trailer would eat the gain.
inline constexpr std::size_t kGzipMinBytes = 1024;

// The gzip member of `data`, at a speed-leaning level (bodies are compressed on the hot path).
std::string gzip_compress(std::string_view data);
// Whether an Accept-Encoding header value allows gzip (a q=0 refuses it).
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace boxoffice
