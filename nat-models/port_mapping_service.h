// The PCP (RFC 6887) and NAT-PMP (RFC 6886) server of a modeled NAT device: it
// answers a request datagram that reached the device's LAN address on UDP port
// 5351 (kPortMappingServerPort) by making the mapping through the device's own
// NatModel (NatModel::map_port), so the mapping lives in the same table packets use.
//
// Which protocols answer is the device's config (NatConfig::answers_pcp,
// answers_nat_pmp). As the RFCs ask of a device that speaks one of them: a PCP
// request to a NAT-PMP-only device gets NAT-PMP's "unsupported version" (RFC 6887
// section 9, so the client falls back), a NAT-PMP request to a PCP-only device
// gets PCP's UNSUPP_VERSION; a device with neither stays silent, as a router
// without the service does (a real one sends ICMP port unreachable, which clients
// cannot rely on). Responses to anything but a request are never sent.
//
// Pure: no sockets, no clock (the driver passes `now`; the epoch the answers
// carry is the device's uptime in seconds, `now` since its time 0).
#pragma once

#include <optional>

#include "nat-models/nat_model.h"
#include "protocol/bytes.h"
#include "protocol/endpoint.h"
#include "protocol/time.h"

namespace yt::nat {

// `from`: the request's source (a LAN host). nullopt: no answer is sent.
std::optional<Bytes> answer_port_mapping(NatModel& model, Time now, Endpoint from, ByteView request);

}  // namespace yt::nat
