#pragma once
// FNV-1a, 64 bits: a fast, stable hash for ETags, compact tombstone keys and fixed-size limiter
// keys. Not for anything an attacker must not be able to collide on purpose.
#include <cstdint>
#include <string_view>

namespace boxoffice {

constexpr std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace boxoffice
