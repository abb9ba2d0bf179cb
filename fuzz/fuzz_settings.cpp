// Configuration values (durations, listen addresses, CIDR lists, numbers) and X-Forwarded-For.
#include <cstdint>
#include <map>
#include <string>

#include "app/config.hpp"
#include "net/cidr.hpp"

using namespace boxoffice;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)parse_duration(text);
  (void)parse_cidr(text);
  std::string host;
  std::uint16_t port = 0;
  (void)parse_listen(text, host, port);
  // Each setting gets the same bytes: every parser must answer with a value or a one-line error
  // naming a variable (a paired setting such as the admin email names its missing partner).
  for (const auto& s : settings()) {
    auto r = parse_config({{s.env, text}}, 2);
    if (r) continue;
    const auto& fields = r.error().fields;
    if (fields.empty() || fields.front().message.rfind("BOXOFFICE_", 0) != 0) __builtin_trap();
    if (fields.front().message.find('\n') != std::string::npos) __builtin_trap();
  }
  static const std::vector<Cidr> trusted{*parse_cidr("10.0.0.0/8"), *parse_cidr("127.0.0.1"),
                                         *parse_cidr("::1")};
  const std::string ip = resolve_client_ip("127.0.0.1", text, trusted);
  if (ip.empty()) __builtin_trap();
  return 0;
}
