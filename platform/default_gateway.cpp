#include "platform/default_gateway.h"

#include <fstream>
#include <sstream>
#include <string>

namespace yt {
namespace {

constexpr unsigned long kRtfUp = 0x1;
constexpr unsigned long kRtfGateway = 0x2;

std::optional<unsigned long> hex_field(const std::string& text) {
  if (text.empty() || text.size() > 8) return std::nullopt;
  std::size_t used = 0;
  try {
    unsigned long v = std::stoul(text, &used, 16);
    if (used != text.size()) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<Ipv4> parse_default_gateway(std::string_view proc_net_route) {
  std::istringstream in{std::string(proc_net_route)};
  std::string line;
  if (!std::getline(in, line) || line.rfind("Iface", 0) != 0) return std::nullopt;  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string iface, destination, gateway, flags, refcnt, use, metric, mask;
    if (!(fields >> iface >> destination >> gateway >> flags >> refcnt >> use >> metric >> mask)) continue;
    auto dst = hex_field(destination);
    auto gw = hex_field(gateway);
    auto fl = hex_field(flags);
    auto mk = hex_field(mask);
    if (!dst || !gw || !fl || !mk) continue;
    if (*dst != 0 || *mk != 0 || (*fl & (kRtfUp | kRtfGateway)) != (kRtfUp | kRtfGateway) || *gw == 0) continue;
    // The kernel prints the address as a host-order u32 of network-order bytes.
    const auto v = static_cast<std::uint32_t>(*gw);
    return Ipv4::from_octets(static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
                             static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24));
  }
  return std::nullopt;
}

std::optional<Ipv4> default_gateway() {
  std::ifstream file("/proc/net/route");
  if (!file) return std::nullopt;
  std::stringstream text;
  text << file.rdbuf();
  return parse_default_gateway(text.str());
}

}  // namespace yt
