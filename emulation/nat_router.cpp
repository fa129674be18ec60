#include "emulation/nat_router.h"

#include <ns3/icmpv4-l4-protocol.h>
#include <ns3/icmpv4.h>
#include <ns3/ipv4-l3-protocol.h>
#include <ns3/ipv4-route.h>
#include <ns3/rng-seed-manager.h>
#include <ns3/ipv4.h>
#include <ns3/log.h>
#include <ns3/tcp-header.h>
#include <ns3/tcp-l4-protocol.h>
#include <ns3/udp-header.h>
#include <ns3/udp-l4-protocol.h>

#include "emulation/ns3_conversions.h"
#include "nat-models/port_mapping_service.h"
#include "protocol/port_mapping_wire.h"

namespace yt::emulation {

NS_LOG_COMPONENT_DEFINE("YtNatRouting");
NS_OBJECT_ENSURE_REGISTERED(NatRouting);

namespace {

constexpr uint32_t kUdpHeaderSize = 8;
constexpr uint32_t kTcpMinHeaderSize = 20;
constexpr uint32_t kIcmpHeaderSize = 4;
// Unused/MTU word, quoted IPv4 header without options, first 8 bytes of its payload.
constexpr uint32_t kIcmpErrorBodySize = 4 + 20 + 8;

bool is_fragment(const ns3::Ipv4Header& header) {
  return header.GetFragmentOffset() != 0 || !header.IsLastFragment();
}

nat::TcpFlags tcp_flags(uint8_t flags) {
  nat::TcpFlags f;
  f.syn = flags & ns3::TcpHeader::SYN;
  f.ack = flags & ns3::TcpHeader::ACK;
  f.fin = flags & ns3::TcpHeader::FIN;
  f.rst = flags & ns3::TcpHeader::RST;
  return f;
}

}  // namespace

ns3::TypeId NatRouting::GetTypeId() {
  static ns3::TypeId tid =
      ns3::TypeId("yt::emulation::NatRouting")
          .SetParent<ns3::Ipv4RoutingProtocol>()
          .AddConstructor<NatRouting>()
          .AddTraceSource("Translation", "A packet handed to the NAT model, as it arrived, and the verdict.",
                          ns3::MakeTraceSourceAccessor(&NatRouting::translation_trace_),
                          "yt::emulation::NatRouting::TranslationCallback");
  return tid;
}

NatRouting::NatRouting() : static_(ns3::CreateObject<ns3::Ipv4StaticRouting>()) {}
NatRouting::~NatRouting() = default;

void NatRouting::SetNat(nat::NatConfig config, std::vector<Ipv4> public_ips, uint32_t wan_interface) {
  model_.reset();  // the old model borrows rng_ too; never two at once
  const std::uint64_t run = (std::uint64_t{ns3::RngSeedManager::GetSeed()} << 32) ^ ns3::RngSeedManager::GetRun();
  tcp_rng_ = std::make_unique<SeededRandom>(run, public_ips.empty() ? 0 : public_ips.front().value);
  model_ = std::make_unique<nat::NatModel>(std::move(config), std::move(public_ips), rng_, tcp_rng_.get());
  wan_interface_ = wan_interface;
}

int64_t NatRouting::AssignStreams(int64_t stream) { return rng_.assign_streams(stream); }

void NatRouting::DoDispose() {
  model_.reset();
  if (static_) static_->Dispose();
  static_ = nullptr;
  ipv4_ = nullptr;
  ns3::Ipv4RoutingProtocol::DoDispose();
}

// --- Delegated to the static routing --------------------------------------------

ns3::Ptr<ns3::Ipv4Route> NatRouting::RouteOutput(ns3::Ptr<ns3::Packet> p, const ns3::Ipv4Header& header,
                                                 ns3::Ptr<ns3::NetDevice> oif, ns3::Socket::SocketErrno& sockerr) {
  // Packets the router originates (ICMP errors, pings) are not translated: their
  // source is one of the router's own addresses already.
  return static_->RouteOutput(p, header, oif, sockerr);
}

void NatRouting::NotifyInterfaceUp(uint32_t interface) { static_->NotifyInterfaceUp(interface); }
void NatRouting::NotifyInterfaceDown(uint32_t interface) { static_->NotifyInterfaceDown(interface); }
void NatRouting::NotifyAddAddress(uint32_t interface, ns3::Ipv4InterfaceAddress address) {
  static_->NotifyAddAddress(interface, address);
}
void NatRouting::NotifyRemoveAddress(uint32_t interface, ns3::Ipv4InterfaceAddress address) {
  static_->NotifyRemoveAddress(interface, address);
}

void NatRouting::SetIpv4(ns3::Ptr<ns3::Ipv4> ipv4) {
  ipv4_ = ipv4;
  static_->SetIpv4(ipv4);
}

void NatRouting::PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream, ns3::Time::Unit unit) const {
  *stream->GetStream() << "NAT, WAN interface " << wan_interface_ << ", public IPs:";
  if (model_) {
    for (Ipv4 ip : model_->public_ips()) *stream->GetStream() << " " << ip.to_string();
  }
  *stream->GetStream() << "\n";
  static_->PrintRoutingTable(stream, unit);
}

// --- Input ------------------------------------------------------------------------

bool NatRouting::RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header,
                            ns3::Ptr<const ns3::NetDevice> idev, UnicastForwardCallback ucb,
                            MulticastForwardCallback mcb, LocalDeliverCallback lcb, ErrorCallback ecb) {
  const ns3::Ipv4Address destination = header.GetDestination();
  const int32_t iif = ipv4_ ? ipv4_->GetInterfaceForDevice(idev) : -1;
  const bool plain = !model_ || iif <= 0 || destination.IsMulticast() || destination.IsBroadcast();
  if (!plain) {
    const bool consumed = static_cast<uint32_t>(iif) == wan_interface_
                              ? FromWan(p, header, static_cast<uint32_t>(iif), ucb, lcb)
                              : FromLan(p, header, static_cast<uint32_t>(iif), ucb);
    if (consumed) return true;
  }
  return static_->RouteInput(p, header, idev, ucb, mcb, lcb, ecb);
}

bool NatRouting::FromLan(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header, uint32_t iif,
                         const UnicastForwardCallback& ucb) {
  const ns3::Ipv4Address destination = header.GetDestination();
  const uint8_t protocol = header.GetProtocol();
  const bool transport =
      protocol == ns3::UdpL4Protocol::PROT_NUMBER || protocol == ns3::TcpL4Protocol::PROT_NUMBER;
  // UDP/TCP to a public IP is a hairpin candidate even though the WAN address is
  // also the router's own: a NAT runs no UDP/TCP services of its own here.
  if (transport && model_->owns_public_ip(from_ns3(destination))) {
    TranslateTransport(NatDirection::kOutbound, p, header, ucb);
    return true;
  }
  if (ipv4_->IsDestinationAddress(destination, iif)) {
    // PCP / NAT-PMP to the router's own LAN address, when the profile answers them.
    if (protocol == ns3::UdpL4Protocol::PROT_NUMBER && AnswerPortMapping(p, header)) return true;
    return false;  // for the router (e.g. a ping)
  }
  ns3::Ptr<ns3::Ipv4Route> route = Lookup(destination);
  if (!route || ipv4_->GetInterfaceForDevice(route->GetOutputDevice()) != static_cast<int32_t>(wan_interface_)) {
    return false;  // stays inside (another LAN), or no route: ordinary routing
  }
  if (transport) {
    TranslateTransport(NatDirection::kOutbound, p, header, ucb);
  } else {
    ++counters_.untranslatable;
  }
  return true;
}

bool NatRouting::FromWan(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header, uint32_t iif,
                         const UnicastForwardCallback& ucb, const LocalDeliverCallback& lcb) {
  const uint8_t protocol = header.GetProtocol();
  if (protocol == ns3::UdpL4Protocol::PROT_NUMBER || protocol == ns3::TcpL4Protocol::PROT_NUMBER) {
    TranslateTransport(NatDirection::kInbound, p, header, ucb);
    return true;
  }
  if (protocol == ns3::Icmpv4L4Protocol::PROT_NUMBER && TranslateIcmpError(p, header, ucb)) return true;
  // ICMP queries and other protocols: for the router itself (it answers pings on
  // its WAN address like a real one), else not forwarded inwards.
  if (ipv4_->IsDestinationAddress(header.GetDestination(), iif)) return false;
  ++counters_.untranslatable;
  return true;
}

bool NatRouting::AnswerPortMapping(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header) {
  const nat::NatConfig& config = model_->config();
  if ((!config.answers_pcp && !config.answers_nat_pmp) || is_fragment(header) || p->GetSize() < kUdpHeaderSize) {
    return false;
  }
  ns3::Ptr<ns3::Packet> packet = p->Copy();
  ns3::UdpHeader in;
  packet->RemoveHeader(in);
  if (in.GetDestinationPort() != kPortMappingServerPort) return false;
  const Endpoint from{from_ns3(header.GetSource()), in.GetSourcePort()};
  std::optional<Bytes> answer = nat::answer_port_mapping(*model_, core_now(), from, from_packet(packet));
  ++counters_.port_mapping_requests;
  if (!answer) return true;  // consumed: a request we do not answer is dropped, as a router would
  ns3::Ptr<ns3::Packet> reply = to_packet(*answer);
  ns3::UdpHeader out;
  out.SetSourcePort(kPortMappingServerPort);
  out.SetDestinationPort(from.port);
  out.EnableChecksums();
  out.InitializeChecksum(header.GetDestination(), header.GetSource(), ns3::UdpL4Protocol::PROT_NUMBER);
  reply->AddHeader(out);
  ns3::Ipv4Header ip;
  ip.SetSource(header.GetDestination());
  ip.SetDestination(header.GetSource());
  ip.SetProtocol(ns3::UdpL4Protocol::PROT_NUMBER);
  ip.SetPayloadSize(reply->GetSize());
  ip.SetTtl(64);
  ip.EnableChecksum();
  ns3::Ptr<ns3::Ipv4Route> route = Lookup(header.GetSource());
  if (!route) {
    ++counters_.no_route;
    return true;
  }
  // Sent as the router's own packet, not forwarded: no TTL decrement, no jitter.
  ns3::Ptr<ns3::Ipv4L3Protocol> l3 = ipv4_->GetObject<ns3::Ipv4L3Protocol>();
  route->SetSource(header.GetDestination());
  l3->Send(reply, header.GetDestination(), header.GetSource(), ns3::UdpL4Protocol::PROT_NUMBER, route);
  ++counters_.port_mapping_answers;
  return true;
}

void NatRouting::TranslateTransport(NatDirection direction, ns3::Ptr<const ns3::Packet> p,
                                    const ns3::Ipv4Header& header, const UnicastForwardCallback& ucb) {
  const bool udp = header.GetProtocol() == ns3::UdpL4Protocol::PROT_NUMBER;
  if (is_fragment(header) || p->GetSize() < (udp ? kUdpHeaderSize : kTcpMinHeaderSize)) {
    ++counters_.untranslatable;
    return;
  }
  ns3::Ptr<ns3::Packet> packet = p->Copy();
  const Ipv4 source = from_ns3(header.GetSource());
  const Ipv4 destination = from_ns3(header.GetDestination());
  nat::PacketHeader h;
  ns3::TcpHeader tcp;
  if (udp) {
    ns3::UdpHeader in;
    packet->RemoveHeader(in);
    h = nat::udp_packet(Endpoint{source, in.GetSourcePort()}, Endpoint{destination, in.GetDestinationPort()});
  } else {
    // The data offset (high nibble of byte 12, in 32-bit words) may announce
    // options beyond what the packet holds; TcpHeader would read past the end.
    uint8_t fixed[kTcpMinHeaderSize];
    packet->CopyData(fixed, sizeof fixed);
    if (p->GetSize() < 4u * (fixed[12] >> 4) || (fixed[12] >> 4) < 5) {
      ++counters_.untranslatable;
      return;
    }
    packet->RemoveHeader(tcp);
    h = nat::tcp_packet(Endpoint{source, tcp.GetSourcePort()}, Endpoint{destination, tcp.GetDestinationPort()},
                        tcp_flags(tcp.GetFlags()));
  }

  const nat::PacketHeader before = h;
  const nat::Verdict verdict =
      direction == NatDirection::kOutbound ? model_->outbound(core_now(), h) : model_->inbound(core_now(), h);
  translation_trace_(direction, before, verdict);
  if (nat::is_drop(verdict)) {
    NS_LOG_LOGIC("drop " << before.to_string() << ": " << nat::to_string(verdict));
    ++counters_.model_drops;
    return;
  }
  if (verdict == nat::Verdict::kHairpin) {
    ++counters_.hairpinned;
  } else if (direction == NatDirection::kOutbound) {
    ++counters_.outbound_forwarded;
  } else {
    ++counters_.inbound_forwarded;
  }

  const ns3::Ipv4Address new_source = to_ns3(h.src.ip);
  const ns3::Ipv4Address new_destination = to_ns3(h.dst.ip);
  if (udp) {
    ns3::UdpHeader out;
    out.SetSourcePort(h.src.port);
    out.SetDestinationPort(h.dst.port);
    out.EnableChecksums();
    out.InitializeChecksum(new_source, new_destination, ns3::UdpL4Protocol::PROT_NUMBER);
    packet->AddHeader(out);
  } else {
    tcp.SetSourcePort(h.src.port);
    tcp.SetDestinationPort(h.dst.port);
    tcp.EnableChecksums();
    tcp.InitializeChecksum(new_source, new_destination, ns3::TcpL4Protocol::PROT_NUMBER);
    packet->AddHeader(tcp);
  }
  ns3::Ipv4Header ip = header;
  ip.SetSource(new_source);
  ip.SetDestination(new_destination);
  ip.EnableChecksum();
  Forward(packet, ip, ucb);
}

bool NatRouting::TranslateIcmpError(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header,
                                    const UnicastForwardCallback& ucb) {
  if (is_fragment(header) || p->GetSize() < kIcmpHeaderSize + kIcmpErrorBodySize) return false;
  ns3::Ptr<ns3::Packet> packet = p->Copy();
  ns3::Icmpv4Header icmp;
  packet->RemoveHeader(icmp);
  const bool unreachable = icmp.GetType() == ns3::Icmpv4Header::ICMPV4_DEST_UNREACH;
  if (!unreachable && icmp.GetType() != ns3::Icmpv4Header::ICMPV4_TIME_EXCEEDED) return false;

  // The two messages have the same layout, but ns-3 gives them separate classes.
  ns3::Icmpv4DestinationUnreachable unreach;
  ns3::Icmpv4TimeExceeded exceeded;
  ns3::Ipv4Header quoted;
  uint8_t data[8];
  if (unreachable) {
    packet->RemoveHeader(unreach);
    quoted = unreach.GetHeader();
    unreach.GetData(data);
  } else {
    packet->RemoveHeader(exceeded);
    quoted = exceeded.GetHeader();
    exceeded.GetData(data);
  }
  const uint8_t protocol = quoted.GetProtocol();
  if (protocol != ns3::UdpL4Protocol::PROT_NUMBER && protocol != ns3::TcpL4Protocol::PROT_NUMBER) {
    ++counters_.untranslatable;
    return true;
  }
  nat::PacketHeader embedded;
  embedded.transport = protocol == ns3::UdpL4Protocol::PROT_NUMBER ? nat::Transport::kUdp : nat::Transport::kTcp;
  embedded.src = Endpoint{from_ns3(quoted.GetSource()), static_cast<uint16_t>(data[0] << 8 | data[1])};
  embedded.dst = Endpoint{from_ns3(quoted.GetDestination()), static_cast<uint16_t>(data[2] << 8 | data[3])};

  const nat::PacketHeader before = embedded;
  const nat::Verdict verdict = model_->inbound_icmp_error(core_now(), embedded);
  translation_trace_(NatDirection::kIcmpError, before, verdict);
  if (nat::is_drop(verdict)) {
    ++counters_.model_drops;
    return true;
  }
  ++counters_.icmp_forwarded;

  quoted.SetSource(to_ns3(embedded.src.ip));
  data[0] = static_cast<uint8_t>(embedded.src.port >> 8);
  data[1] = static_cast<uint8_t>(embedded.src.port);
  ns3::Ptr<ns3::Packet> quoted_data = ns3::Create<ns3::Packet>(data, sizeof data);
  if (unreachable) {
    unreach.SetHeader(quoted);
    unreach.SetData(quoted_data);
    packet->AddHeader(unreach);
  } else {
    exceeded.SetHeader(quoted);
    exceeded.SetData(quoted_data);
    packet->AddHeader(exceeded);
  }
  icmp.EnableChecksum();
  packet->AddHeader(icmp);
  ns3::Ipv4Header ip = header;
  ip.SetDestination(to_ns3(embedded.src.ip));
  ip.EnableChecksum();
  Forward(packet, ip, ucb);
  return true;
}

void NatRouting::Forward(ns3::Ptr<ns3::Packet> packet, const ns3::Ipv4Header& header,
                         const UnicastForwardCallback& ucb) {
  ns3::Ptr<ns3::Ipv4Route> route = Lookup(header.GetDestination());
  if (!route) {
    ++counters_.no_route;
    return;
  }
  if (jitter_max_ <= Duration(0)) {
    ucb(route, packet, header);
    return;
  }
  const auto bound = static_cast<std::uint32_t>(std::min<std::int64_t>(jitter_max_.count(), UINT32_MAX - 1));
  // TCP's jitter from TCP's stream, as its mappings' draws (tcp_rng_): UDP's jitter
  // stays what it was whatever TCP connections cross the NAT.
  RandomSource& rng = header.GetProtocol() == 6 && tcp_rng_ ? static_cast<RandomSource&>(*tcp_rng_) : rng_;
  const Duration delay = std::chrono::microseconds(rng.uniform(bound + 1));
  ns3::Simulator::Schedule(to_ns3(delay), [ucb, route, packet, header] { ucb(route, packet, header); });
}

ns3::Ptr<ns3::Ipv4Route> NatRouting::Lookup(ns3::Ipv4Address destination) const {
  ns3::Ipv4Header probe;
  probe.SetDestination(destination);
  ns3::Socket::SocketErrno error;
  return static_->RouteOutput(nullptr, probe, nullptr, error);
}

ns3::Ptr<ns3::Ipv4RoutingProtocol> NatRoutingHelper::Create(ns3::Ptr<ns3::Node>) const {
  return ns3::CreateObject<NatRouting>();
}

ns3::Ptr<NatRouting> nat_routing_of(ns3::Ptr<ns3::Node> node) {
  ns3::Ptr<ns3::Ipv4> ipv4 = node ? node->GetObject<ns3::Ipv4>() : nullptr;
  return ipv4 ? ns3::DynamicCast<NatRouting>(ipv4->GetRoutingProtocol()) : nullptr;
}

}  // namespace yt::emulation
