#include "server/core/ticket_issuer.h"

namespace yt {

void TicketIssuer::make_key(Time now) {
  TicketKeyring next;
  next.id = current_.id + 1;
  rng_.fill(next.key.data(), next.key.size());
  if (current_.id != 0) previous_ = current_;
  current_ = next;
  rotate_at_ = now + lifetime_;
}

const TicketKeyring& TicketIssuer::current(Time now) {
  if (current_.id == 0) make_key(now);
  return current_;
}

bool TicketIssuer::rotate_if_due(Time now) {
  if (current_.id == 0 || now < rotate_at_) return false;
  make_key(now);
  return true;
}

std::optional<Time> TicketIssuer::next_rotation() const {
  if (current_.id == 0) return std::nullopt;
  return rotate_at_;
}

}  // namespace yt
