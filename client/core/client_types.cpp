#include "client/core/client_types.h"

namespace yt {

const char* to_string(ClientState s) {
  switch (s) {
    case ClientState::kStopped: return "stopped";
    case ClientState::kConnecting: return "connecting";
    case ClientState::kLoggingIn: return "logging in";
    case ClientState::kDiscovering: return "discovering";
    case ClientState::kOnline: return "online";
  }
  return "?";
}

const char* to_string(TunnelState s) {
  switch (s) {
    case TunnelState::kWaiting: return "waiting";
    case TunnelState::kPunching: return "punching";
    case TunnelState::kHandshaking: return "handshaking";
    case TunnelState::kDirect: return "direct";
    case TunnelState::kFailed: return "failed";
    case TunnelState::kRelayed: return "relayed";
  }
  return "?";
}

const char* to_string(SendError e) {
  switch (e) {
    case SendError::kNoTunnel: return "no tunnel to that peer";
    case SendError::kTooLarge: return "payload too large";
    case SendError::kNotLoggedIn: return "not logged in";
    case SendError::kInvalidArgument: return "invalid argument";
    case SendError::kPeerMuted: return "we appear offline in every network shared with that peer";
    case SendError::kOfflineInNetwork: return "we appear offline in that network";
  }
  return "?";
}

}  // namespace yt
