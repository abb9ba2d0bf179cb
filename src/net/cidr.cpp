#include "net/cidr.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace boxoffice {

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  // Brackets are accepted around IPv6 ("[::1]"), as proxies sometimes write them.
  if (text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  IpAddress ip;
  if (inet_pton(AF_INET, buf, ip.bytes.data()) == 1) return ip;
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) != 1) return std::nullopt;
  static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(ip.bytes.data(), mapped, 12) == 0) {
    IpAddress v4;
    std::memcpy(v4.bytes.data(), ip.bytes.data() + 12, 4);
    return v4;
  }
  ip.v6 = true;
  return ip;
}

bool Cidr::contains(const IpAddress& ip) const {
  if (ip.v6 != network.v6) return false;
  int bits = prefix;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xFF : static_cast<std::uint8_t>(0xFF << (8 - bits));
    if ((ip.bytes[i] & mask) != (network.bytes[i] & mask)) return false;
  }
  return true;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  const int max = ip->v6 ? 128 : 32;
  int prefix = max;
  if (slash != std::string_view::npos) {
    const auto p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3) return std::nullopt;
    prefix = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return std::nullopt;
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > max) return std::nullopt;
  }
  return Cidr{*ip, prefix};
}

bool any_contains(std::span<const Cidr> list, const IpAddress& ip) {
  for (const auto& c : list)
    if (c.contains(ip)) return true;
  return false;
}

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

std::string resolve_client_ip(std::string_view peer, std::string_view forwarded_for,
                              std::span<const Cidr> trusted) {
  auto peer_ip = parse_ip(peer);
  if (!peer_ip) return std::string(peer);
  if (trusted.empty() || forwarded_for.empty() || !any_contains(trusted, *peer_ip))
    return peer_ip->to_string();
  std::string_view rest = forwarded_for;
  std::optional<IpAddress> leftmost;
  // Walk from the right: each trusted hop vouches for the one before it.
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    const auto part = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    auto ip = parse_ip(part);
    if (!ip) return peer_ip->to_string();  // a malformed hop ends what can be believed
    if (!any_contains(trusted, *ip)) return ip->to_string();
    leftmost = ip;
  }
  return leftmost ? leftmost->to_string() : peer_ip->to_string();
}

}  // namespace boxoffice
