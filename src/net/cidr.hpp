#pragma once
// IPv4/IPv6 addresses and CIDR ranges, for trusted proxies and client-IP resolution.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace boxoffice {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // v4 uses the first 4
  bool operator==(const IpAddress&) const = default;
  std::string to_string() const;
};

// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are returned as IPv4.
std::optional<IpAddress> parse_ip(std::string_view text);

struct Cidr {
  IpAddress network;
  int prefix = 0;
  bool contains(const IpAddress& ip) const;
};

// "10.0.0.0/8", "::1/128" or a bare address (a single host).
std::optional<Cidr> parse_cidr(std::string_view text);
bool any_contains(std::span<const Cidr> list, const IpAddress& ip);

// The client address: the peer, unless the peer is trusted; then the right-most
// X-Forwarded-For entry that is not trusted (or the left-most when all are).
std::string resolve_client_ip(std::string_view peer, std::string_view forwarded_for,
                              std::span<const Cidr> trusted);

}  // namespace boxoffice
