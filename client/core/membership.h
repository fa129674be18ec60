// The client's view of its networks and their members, as the server last described
// them: replaced by every NetworkSnapshot, patched by MemberUpdate and MemberLeft.
//
// Networks are kept sorted by name and members by key, whatever order the server
// used, so everything derived from the view is deterministic.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "protocol/identity.h"
#include "protocol/messages.h"

namespace yt {

class Membership {
 public:
  explicit Membership(const PublicKey& self) : self_(self) {}

  void replace(NetworkSnapshot snapshot);
  void update(const MemberUpdate& update);
  // Our own departure removes the whole network.
  void remove(const MemberLeft& left);
  void clear() {
    networks_.clear();
    ++version_;
  }

  const std::vector<NetworkInfo>& networks() const { return networks_; }
  bool shares_network(const PublicKey& peer) const;
  // Shares a network with `peer` that is not in `excluded`.
  bool shares_network_outside(const PublicKey& peer, const std::set<std::string>& excluded) const;
  // The same, in a network where `peer` is online: the server's condition for a
  // tunnel when `excluded` holds the networks we are offline in.
  bool online_in_network_outside(const PublicKey& peer, const std::set<std::string>& excluded) const;
  // The network of that name, or nullptr when we are not in it.
  const NetworkInfo* network(const std::string& name) const;
  // Every member other than us, once each; nickname and address from the first
  // network (by name) that lists it, online if any network says so.
  std::map<PublicKey, MemberInfo> peers() const;
  // Changes with every call that may have changed the view, so a part that derives
  // a table from it (ip_router.h) rebuilds only when needed.
  std::uint64_t version() const { return version_; }

 private:
  // `peer` (not us) is a member of a network not in `excluded`, and online there
  // when `online`.
  bool in_a_network(const PublicKey& peer, const std::set<std::string>& excluded, bool online) const;
  NetworkInfo* find(const std::string& name);

  PublicKey self_;
  std::vector<NetworkInfo> networks_;
  std::uint64_t version_ = 0;
};

}  // namespace yt
