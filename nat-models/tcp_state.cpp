#include "nat-models/tcp_state.h"

namespace yt::nat {

const char* to_string(TcpState s) {
  switch (s) {
    case TcpState::kSynSent: return "syn-sent";
    case TcpState::kSynReceived: return "syn-received";
    case TcpState::kEstablished: return "established";
    case TcpState::kClosing: return "closing";
  }
  return "?";
}

TcpTrack tcp_start(TcpFlags flags, Direction dir) {
  TcpTrack t;
  if (flags.syn) {
    t.state = dir == Direction::kOutbound ? TcpState::kSynSent : TcpState::kSynReceived;
    (dir == Direction::kOutbound ? t.syn_out : t.syn_in) = true;
    return t;
  }
  // Picked up mid-stream: both SYNs are long gone, so it is as good as established.
  t.state = TcpState::kEstablished;
  t.syn_out = t.syn_in = true;
  return tcp_advance(t, flags, dir);
}

TcpTrack tcp_advance(TcpTrack t, TcpFlags flags, Direction dir) {
  const bool out = dir == Direction::kOutbound;
  if (flags.rst) {
    // RFC 7857: a RST moves the session to the transitory timer rather than deleting
    // it at once, so a spoofed or lost-race RST does not kill a live connection early.
    t.state = TcpState::kClosing;
    return t;
  }
  if (flags.syn) {
    if (t.state == TcpState::kClosing) t = TcpTrack{};  // the 4-tuple is being reused
    (out ? t.syn_out : t.syn_in) = true;
    if (t.syn_out && t.syn_in) {
      t.state = TcpState::kEstablished;
    } else {
      t.state = out ? TcpState::kSynSent : TcpState::kSynReceived;
    }
    return t;
  }
  if (flags.fin) {
    (out ? t.fin_out : t.fin_in) = true;
    if (t.fin_out && t.fin_in) t.state = TcpState::kClosing;
  }
  return t;
}

bool is_transitory(TcpState s) { return s != TcpState::kEstablished; }

Duration tcp_timeout(TcpState s, Duration transitory, Duration established) {
  return is_transitory(s) ? transitory : established;
}

}  // namespace yt::nat
