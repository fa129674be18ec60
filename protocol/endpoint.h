// IPv4 transport endpoints, as the core sees them. Addresses are host byte order.
// IPv4 only for now: the simulated Internet and the NAT models are IPv4.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace yt {

struct Ipv4 {
  std::uint32_t value = 0;

  static constexpr Ipv4 from_octets(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return Ipv4{std::uint32_t(a) << 24 | std::uint32_t(b) << 16 | std::uint32_t(c) << 8 | d};
  }
  // Dotted quad only; nullopt on anything else.
  static std::optional<Ipv4> parse(std::string_view text);
  std::string to_string() const;

  friend constexpr bool operator==(Ipv4 a, Ipv4 b) { return a.value == b.value; }
  friend constexpr bool operator!=(Ipv4 a, Ipv4 b) { return a.value != b.value; }
  friend constexpr bool operator<(Ipv4 a, Ipv4 b) { return a.value < b.value; }
};

struct Endpoint {
  Ipv4 ip;
  std::uint16_t port = 0;

  // "a.b.c.d:port"; nullopt on anything else (port 0 is allowed).
  static std::optional<Endpoint> parse(std::string_view text);
  std::string to_string() const;
  bool is_unset() const { return ip.value == 0 && port == 0; }

  friend constexpr bool operator==(Endpoint a, Endpoint b) { return a.ip == b.ip && a.port == b.port; }
  friend constexpr bool operator!=(Endpoint a, Endpoint b) { return !(a == b); }
  friend constexpr bool operator<(Endpoint a, Endpoint b) {
    return a.ip < b.ip || (a.ip == b.ip && a.port < b.port);
  }
};

// A virtual-network prefix such as 25.0.0.0/8.
struct Ipv4Prefix {
  Ipv4 base;
  std::uint8_t length = 0;  // 0..32

  static std::optional<Ipv4Prefix> parse(std::string_view text);  // "a.b.c.d/n", host bits zero
  std::string to_string() const;
  std::uint32_t mask() const { return length == 0 ? 0 : ~std::uint32_t(0) << (32 - length); }
  bool contains(Ipv4 ip) const { return (ip.value & mask()) == base.value; }
  Ipv4 broadcast() const { return Ipv4{base.value | ~mask()}; }
};

}  // namespace yt

template <>
struct std::hash<yt::Endpoint> {
  std::size_t operator()(const yt::Endpoint& e) const noexcept {
    return std::hash<std::uint64_t>()(std::uint64_t(e.ip.value) << 16 | e.port);
  }
};
template <>
struct std::hash<yt::Ipv4> {
  std::size_t operator()(yt::Ipv4 a) const noexcept { return std::hash<std::uint32_t>()(a.value); }
};
