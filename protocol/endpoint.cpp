#include "protocol/endpoint.h"

#include <charconv>

namespace yt {

static bool parse_uint(std::string_view text, std::uint32_t max, std::uint32_t& out) {
  if (text.empty() || text.size() > 10) return false;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + std::uint64_t(c - '0');
  }
  if (v > max) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

std::optional<Ipv4> Ipv4::parse(std::string_view text) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    std::size_t dot = text.find('.');
    std::string_view part = i < 3 ? text.substr(0, dot) : text;
    if (i < 3 && dot == std::string_view::npos) return std::nullopt;
    if (part.size() > 3) return std::nullopt;
    std::uint32_t octet;
    if (!parse_uint(part, 255, octet)) return std::nullopt;
    value = value << 8 | octet;
    if (i < 3) text.remove_prefix(dot + 1);
  }
  return Ipv4{value};
}

std::string Ipv4::to_string() const {
  return std::to_string(value >> 24) + "." + std::to_string(value >> 16 & 0xff) + "." +
         std::to_string(value >> 8 & 0xff) + "." + std::to_string(value & 0xff);
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto ip = Ipv4::parse(text.substr(0, colon));
  std::uint32_t port;
  if (!ip || !parse_uint(text.substr(colon + 1), 65535, port)) return std::nullopt;
  return Endpoint{*ip, static_cast<std::uint16_t>(port)};
}

std::string Endpoint::to_string() const { return ip.to_string() + ":" + std::to_string(port); }

std::optional<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = Ipv4::parse(text.substr(0, slash));
  std::uint32_t length;
  if (!ip || !parse_uint(text.substr(slash + 1), 32, length)) return std::nullopt;
  Ipv4Prefix prefix{*ip, static_cast<std::uint8_t>(length)};
  if ((ip->value & ~prefix.mask()) != 0) return std::nullopt;
  return prefix;
}

std::string Ipv4Prefix::to_string() const { return base.to_string() + "/" + std::to_string(length); }

}  // namespace yt
