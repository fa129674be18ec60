// The server's side of relay admission (protocol/relay_ticket.h): the ticket key,
// rotated every kTicketKeyLifetime, and the tickets it issues for each pair.
//
// The first key is made on first use, so a server that never plans a relayed pair
// never draws one. Key ids count up from 1; a relay holding the current and the
// previous key accepts a ticket for at most two lifetimes.
#pragma once

#include <cstdint>
#include <optional>

#include "protocol/random.h"
#include "protocol/relay_ticket.h"
#include "protocol/time.h"

namespace yt {

class TicketIssuer {
 public:
  explicit TicketIssuer(RandomSource& rng, Duration lifetime = kTicketKeyLifetime) : rng_(rng), lifetime_(lifetime) {}

  // The current key, made now if there is none yet.
  const TicketKeyring& current(Time now);
  // Rotates when the current key is due; true if it did (the relays need the new
  // keys).
  bool rotate_if_due(Time now);
  std::optional<Time> next_rotation() const;

  bool has_key() const { return current_.id != 0; }
  // When a relay retires the current key: at the rotation after the next one.
  // Precondition: has_key().
  Time current_retires_at() const { return rotate_at_ + lifetime_; }
  const std::optional<TicketKeyring>& previous() const { return previous_; }
  const TicketKeyring& current_key() const { return current_; }

 private:
  void make_key(Time now);

  RandomSource& rng_;
  Duration lifetime_;
  TicketKeyring current_;
  std::optional<TicketKeyring> previous_;
  Time rotate_at_{};
};

}  // namespace yt
