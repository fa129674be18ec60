// The hook a NAT model plugs into FakeNetwork: it rewrites one client's datagrams on
// their way out to, and in from, the simulated Internet. No model is needed yet (every
// client has a public address); nat-models/ will provide an adapter.
#pragma once

#include <optional>

#include "protocol/endpoint.h"
#include "protocol/time.h"

namespace yt::sim {

class AddressTranslator {
 public:
  virtual ~AddressTranslator() = default;
  // A datagram from the client's socket `local` to `remote`: the source address the
  // Internet sees, or nullopt to drop it.
  virtual std::optional<Endpoint> outbound(Time now, Endpoint local, Endpoint remote) = 0;
  // A datagram from `remote` to the public endpoint `to`: the client socket to deliver
  // it to, or nullopt to drop it (filtered, no mapping).
  virtual std::optional<Endpoint> inbound(Time now, Endpoint to, Endpoint remote) = 0;
};

}  // namespace yt::sim
