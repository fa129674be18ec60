#include "nat-models/one_to_one.h"

namespace yt::nat {

void OneToOneTable::reset(std::size_t public_count, const std::vector<Ipv4>& static_hosts) {
  bound_.assign(public_count, std::nullopt);
  for (std::size_t k = 0; k < public_count && k < static_hosts.size(); ++k) {
    if (!find(static_hosts[k])) bound_[k] = static_hosts[k];
  }
}

std::optional<std::size_t> OneToOneTable::find(Ipv4 internal) const {
  for (std::size_t k = 0; k < bound_.size(); ++k) {
    if (bound_[k] == internal) return k;
  }
  return std::nullopt;
}

std::optional<std::size_t> OneToOneTable::bind(Ipv4 internal) {
  if (auto k = find(internal)) return k;
  for (std::size_t k = 0; k < bound_.size(); ++k) {
    if (!bound_[k]) {
      bound_[k] = internal;
      return k;
    }
  }
  return std::nullopt;
}

std::optional<Ipv4> OneToOneTable::host_at(std::size_t index) const {
  return index < bound_.size() ? bound_[index] : std::nullopt;
}

std::size_t OneToOneTable::bound_count() const {
  std::size_t n = 0;
  for (const auto& b : bound_) n += b.has_value();
  return n;
}

}  // namespace yt::nat
