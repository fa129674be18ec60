// Asks the client's gateway for a mapping of its main UDP socket with PCP (RFC
// 6887), falling back to NAT-PMP (RFC 6886), keeps it renewed and deletes it when
// the client stops; the mapped endpoint goes to the server in the DiscoveryReport
// (PortMappingOffer), where the planner offers it to peers first
// (server/core/tunnel_planner.h).
//
// Sans-IO like the rest of the core: requests leave as SendDatagram from the main
// socket to gateway:5351 and answers come back through on_datagram, so the same
// code speaks to a real router and to the ns-3 NAT router
// (nat-models/port_mapping_service.h). That is also why NAT-PMP is written here
// and not taken from libnatpmp, which does its own socket I/O. The gateway's
// address is the driver's input (ClientConfig::port_mapping_gateway: the default
// route's gateway from /proc/net/route, the site router's LAN address in ns-3).
//
// The sequence (for the main UDP socket; a second mapper does the same for the TCP
// listening port, MappedTransport): PCP MAP for the internal port (the client address in
// the request is our LAN address, ClientConfig::lan_endpoints; without one, PCP
// is skipped), retransmitted from kFirstRetry doubling, kAttempts times; an answer
// of "unsupported version" (PCP's, or the 8-byte NAT-PMP one a NAT-PMP-only
// gateway sends), or no answer at all, moves to NAT-PMP (external-address and map
// requests, the same schedule); no answer there either and the gateway speaks
// neither (nothing more is sent until start() again). A success is renewed at
// half its lifetime with the same nonce, with the same retries; a mapping whose
// renewals all go unanswered is dropped at its expiry. Any other error result is
// final for this run (NOT_AUTHORIZED: the administrator turned it off).
//
// Only datagrams from gateway:5351 are taken (on_datagram's `from` check is the
// caller's: owns()), and a PCP answer must carry our nonce.
#pragma once

#include <cstdint>
#include <optional>

#include "client/core/client_context.h"
#include "protocol/endpoint.h"
#include "protocol/messages.h"
#include "protocol/port_mapping_wire.h"
#include "protocol/time.h"

namespace yt {

// What a mapper maps: the main UDP socket's port, or the TCP port the client
// listens on (tcp_listener.h). Each has its own mapper; both read the gateway's
// answers, and each takes only those for its own protocol.
enum class MappedTransport : std::uint8_t { kUdp, kTcp };

class GatewayPortMapper {
 public:
  // RFC 6886 section 3.1 starts at 250 ms and doubles; RFC 6887's 3 s first
  // timeout would keep a client behind a silent gateway waiting for long. Four
  // tries (250 + 500 + 1000 + 2000 ms) per protocol bound what a gateway that
  // speaks neither costs: 8 small datagrams over 7.5 s, once per start.
  static constexpr Duration kFirstRetry = std::chrono::milliseconds(250);
  static constexpr int kAttempts = 4;

  explicit GatewayPortMapper(ClientContext& ctx, MappedTransport transport = MappedTransport::kUdp)
      : ctx_(ctx), transport_(transport) {}

  // Maps `internal_port` (our main socket's) at `gateway` for `lifetime_s`.
  // Restarts from PCP when called again (a new network); a mapping held at the old
  // gateway is deleted first.
  void start(Time now, Ipv4 gateway, std::uint16_t internal_port, std::uint32_t lifetime_s);
  // Deletes a held mapping (lifetime 0, sent once: the client is going away) and
  // stops.
  void stop(Time now);

  // Whether a datagram from `from` is the gateway's answer to us.
  bool owns(Endpoint from) const;
  // Returns true when the mapping we hold changed (obtained, moved, or lost), so
  // the caller reports it to the server.
  bool on_datagram(Time now, Endpoint from, ByteView data);
  bool on_timer(Time now);
  std::optional<Time> next_deadline() const;

  // The mapping held now (protocol kNone when none).
  PortMappingOffer current() const { return held_; }
  // Whether this run ended without a mapping (no answer, or a refusal); start()
  // tries again.
  bool gave_up() const { return phase_ == Phase::kGaveUp; }

 private:
  enum class Phase : std::uint8_t { kIdle, kPcp, kNatPmp, kHeld, kGaveUp };

  PcpNonce derive_nonce(Time now);
  void send_request(Time now);
  void next_attempt(Time now);
  void fall_back_to_nat_pmp(Time now);
  bool hold(Time now, PortMappingProtocol protocol, Endpoint external, std::uint32_t lifetime_s);
  bool give_up(Time now);
  bool on_pcp(Time now, ByteView data);
  bool on_nat_pmp(Time now, ByteView data);

  bool tcp() const { return transport_ == MappedTransport::kTcp; }
  std::uint8_t pcp_protocol() const { return tcp() ? kPcpProtocolTcp : kPcpProtocolUdp; }

  ClientContext& ctx_;
  MappedTransport transport_;
  Phase phase_ = Phase::kIdle;
  // While renewing (phase kHeld with a request out) the protocol held is asked again.
  bool renewing_ = false;
  Ipv4 gateway_;
  std::uint16_t internal_port_ = 0;
  std::uint32_t lifetime_s_ = 0;
  PcpNonce nonce_{};
  std::uint64_t starts_ = 0;  // distinct nonces for restarts at the same time
  int attempt_ = 0;
  std::optional<Time> retry_at_;
  std::optional<Time> renew_at_;
  Time expires_at_{};
  // NAT-PMP answers the address and the port separately.
  std::optional<Ipv4> nat_pmp_address_;
  std::optional<std::pair<std::uint16_t, std::uint32_t>> nat_pmp_port_;
  PortMappingOffer held_;
};

}  // namespace yt
