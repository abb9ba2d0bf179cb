#pragma once
// Text the server echoes (problem details, log lines) must be valid UTF-8 whatever the client
// sent: invalid bytes become U+FFFD and cuts fall between characters.
#include <cstddef>
#include <string>
#include <string_view>

namespace boxoffice {

bool valid_utf8(std::string_view s);
// `s` with every invalid sequence replaced by U+FFFD, at most max_bytes long (cut on a
// character boundary, "…" appended when cut).
std::string sanitize_utf8(std::string_view s, std::size_t max_bytes = std::string::npos);

}  // namespace boxoffice
