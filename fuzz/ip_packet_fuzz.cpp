// IPv4/IPv6 header parsing (client/core/ip_packet.h) and the IP router's two entry
// points (client/core/ip_router.h): route() for packets read from the adapter and
// check_received() for packets a peer sent. The input is one packet.
#include "fuzz/fuzz_support.h"

#include <algorithm>

using namespace yt;

namespace {

struct Routers {
  Membership membership{fuzz::member_key(1)};
  IpRouter v4_only;  // no IPv6 base: IPv6 is kUnsupported
  IpRouter dual;
  Routers() {
    membership.replace(fuzz::router_snapshot());
    for (IpRouter* r : {&v4_only, &dual}) {
      r->set_address(fuzz::member_ip(1), 8);
      r->sync(membership);
    }
    dual.set_ipv6_base(fuzz::kIpv6Base);
  }
};

std::uint32_t be32(ByteView b, std::size_t at) {
  return std::uint32_t(b[at]) << 24 | std::uint32_t(b[at + 1]) << 16 | std::uint32_t(b[at + 2]) << 8 | b[at + 3];
}

void check_route(const IpRouter& router, ByteView packet, std::size_t max_fanout) {
  const IpRouter::HasTunnel all = [](const PublicKey&) { return true; };
  auto r = router.route(packet, all, max_fanout);
  if (!r.ok()) return;
  FUZZ_CHECK(r->peers.size() <= std::max<std::size_t>(max_fanout, 1));
  FUZZ_CHECK(std::is_sorted(r->peers.begin(), r->peers.end()));
  FUZZ_CHECK(std::adjacent_find(r->peers.begin(), r->peers.end()) == r->peers.end());
  FUZZ_CHECK(std::find(r->peers.begin(), r->peers.end(), fuzz::member_key(1)) == r->peers.end());
  if (r->destination == IpDestination::kUnicast) {
    FUZZ_CHECK(r->peers.size() == 1);
  } else {
    FUZZ_CHECK(r->peers.size() + r->over_fanout == 2);  // both peers have a tunnel
  }
  if (ip_version(packet) == 4) {
    auto h = parse_ipv4_header(packet);
    FUZZ_CHECK(h.ok() && h->source == fuzz::member_ip(1));
    if (r->destination == IpDestination::kUnicast) FUZZ_CHECK(router.address_of(r->peers[0]) == h->destination);
  } else {
    FUZZ_CHECK(parse_ipv6_header(packet).ok());
  }
}

void check_received(const IpRouter& router, ByteView packet) {
  for (std::uint8_t sender : {2, 3, 9}) {
    auto ok = router.check_received(packet, fuzz::member_key(sender));
    if (!ok.ok()) continue;
    FUZZ_CHECK(sender != 9);  // not a member: no address, nothing from it is accepted
    if (ip_version(packet) == 4) {
      auto h = parse_ipv4_header(packet);
      FUZZ_CHECK(h.ok() && h->source == fuzz::member_ip(sender));
    } else {
      auto h = parse_ipv6_header(packet);
      FUZZ_CHECK(h.ok() && h->source == fuzz::member_ipv6(sender));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Routers routers;
  ByteView packet = fuzz::view(data, size);

  auto version = ip_version(packet);
  FUZZ_CHECK(version.has_value() == (size > 0));
  auto v4 = parse_ipv4_header(packet);
  auto v6 = parse_ipv6_header(packet);
  FUZZ_CHECK(!(v4.ok() && v6.ok()));
  if (v4.ok()) {
    FUZZ_CHECK(version == 4);
    FUZZ_CHECK(v4->header_length >= kIpv4MinHeaderLength && v4->header_length <= 60 && v4->header_length % 4 == 0);
    FUZZ_CHECK(v4->total_length == size && v4->header_length <= size);
    FUZZ_CHECK(v4->protocol == packet[9]);
    FUZZ_CHECK(v4->source.value == be32(packet, 12) && v4->destination.value == be32(packet, 16));
  }
  if (v6.ok()) {
    FUZZ_CHECK(version == 6);
    FUZZ_CHECK(kIpv6HeaderLength + v6->payload_length == size);
    FUZZ_CHECK(v6->next_header == packet[6]);
    FUZZ_CHECK(std::equal(v6->source.begin(), v6->source.end(), packet.begin() + 8));
    FUZZ_CHECK(std::equal(v6->destination.begin(), v6->destination.end(), packet.begin() + 24));
  }

  for (const IpRouter* router : {&routers.v4_only, &routers.dual}) {
    check_route(*router, packet, 256);
    check_route(*router, packet, 1);
    check_received(*router, packet);
  }
  if (version == 6) {
    FUZZ_CHECK(routers.v4_only.route(packet, [](const PublicKey&) { return true; }, 256).error() ==
               IpRouteError::kUnsupported);
  }
  return 0;
}
