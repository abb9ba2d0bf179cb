#pragma once
// SHA-1 (FIPS 180-4), only to name Lua scripts for EVALSHA as Redis does (lower-case hex of the
// source's SHA-1). Not for anything that needs collision resistance.
#include <string>
#include <string_view>

namespace boxoffice::redis {

// 40 lower-case hex digits.
std::string sha1_hex(std::string_view data);

}  // namespace boxoffice::redis
