#include "nat-models/packet.h"

namespace yt::nat {

const char* to_string(Transport t) {
  switch (t) {
    case Transport::kUdp: return "udp";
    case Transport::kTcp: return "tcp";
  }
  return "?";
}

std::string PacketHeader::to_string() const {
  std::string out = nat::to_string(transport);
  out += ' ';
  out += src.to_string();
  out += " -> ";
  out += dst.to_string();
  if (transport == Transport::kTcp) {
    out += " [";
    if (tcp.syn) out += 'S';
    if (tcp.ack) out += 'A';
    if (tcp.fin) out += 'F';
    if (tcp.rst) out += 'R';
    out += ']';
  }
  return out;
}

}  // namespace yt::nat
