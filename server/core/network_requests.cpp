// Create/Join/Leave/SetNickname/SetNetworkOnline: each gets exactly one Reply with
// the request id, a code and a message for humans. A successful change then pushes
// a NetworkSnapshot to the requester (not for SetNetworkOnline: its own view does
// not change) and MemberUpdate/MemberLeft (and, for a join or going online, tunnel
// instructions) to the online members it affects.
#include "protocol/display_name.h"
#include "protocol/password_hash.h"
#include "server/core/server_core_impl.h"

namespace yt {
namespace {

std::string quoted(const std::string& name) { return "'" + name + "'"; }

bool contains(const std::vector<PublicKey>& keys, const PublicKey& key) {
  for (const PublicKey& k : keys) {
    if (k == key) return true;
  }
  return false;
}

}  // namespace

void ServerCore::Impl::reply(Client& c, std::uint32_t request_id, ReplyCode code, std::string message) {
  send(c, Reply{request_id, code, std::move(message)});
}

bool ServerCore::Impl::admit_password_work(Client& c, std::uint32_t request_id) {
  std::optional<Duration> wait = admission_.password_attempt(now_, c.remote.ip);
  if (!wait) return true;
  ++stats_.password_attempts_deferred;
  std::int64_t seconds = (wait->count() + 999999) / 1000000;
  reply(c, request_id, ReplyCode::kTryLater,
        "too many password attempts from your address; try again in " + std::to_string(seconds) + " s");
  return false;
}

void ServerCore::Impl::reply_storage_error(Client& c, std::uint32_t request_id) {
  ++stats_.storage_errors;
  reply(c, request_id, ReplyCode::kServerError, "server storage error; nothing was changed, try again later");
}

void ServerCore::Impl::handle_create(Client& c, const CreateNetwork& m) {
  if (!c.logged_in) return reply(c, m.request_id, ReplyCode::kNotLoggedIn, "log in first");
  if (auto problem = display_name_problem(m.name, kMaxNameLength)) {
    return reply(c, m.request_id, ReplyCode::kInvalidArgument, "that network name cannot be used: " + *problem);
  }
  auto mine = storage_.networks_of(c.key);
  if (!mine) return reply_storage_error(c, m.request_id);
  if (mine.value().size() >= config_.max_networks_per_client) {
    return reply(c, m.request_id, ReplyCode::kInvalidArgument,
                 "you are in too many networks (at most " + std::to_string(config_.max_networks_per_client) + ")");
  }
  auto existing = storage_.find_network(m.name);
  if (!existing) return reply_storage_error(c, m.request_id);
  if (existing.value()) {
    return reply(c, m.request_id, ReplyCode::kNetworkExists, "network " + quoted(m.name) + " already exists");
  }

  NetworkRecord record;
  record.name = m.name;
  record.owner = c.key;
  if (!m.password.empty()) {  // empty: an open network (storage.h)
    if (!admit_password_work(c, m.request_id)) return;
    auto hash = hash_password(m.password, rng_, config_.password_strength);
    if (!hash) {
      return reply(c, m.request_id, ReplyCode::kServerError, "could not hash the password; try again later");
    }
    record.password_hash = std::move(hash.value());
  }
  auto created = storage_.create_network(record);
  if (!created) {
    // kConflict: another server instance on the same database created it meanwhile.
    if (created.error() == StorageError::kConflict) {
      return reply(c, m.request_id, ReplyCode::kNetworkExists, "network " + quoted(m.name) + " already exists");
    }
    return reply_storage_error(c, m.request_id);
  }
  reply(c, m.request_id, ReplyCode::kOk, "created network " + quoted(m.name));
  resync(c);
}

void ServerCore::Impl::handle_join(Client& c, const JoinNetwork& m) {
  if (!c.logged_in) return reply(c, m.request_id, ReplyCode::kNotLoggedIn, "log in first");
  auto found = storage_.find_network(m.name);
  if (!found) return reply_storage_error(c, m.request_id);
  if (!found.value()) {
    return reply(c, m.request_id, ReplyCode::kUnknownNetwork, "there is no network " + quoted(m.name));
  }
  // The password is checked before anything else about the network is revealed or
  // touched: a wrong password reads nothing more and changes nothing.
  const NetworkRecord& network = *found.value();
  if (!network.password_hash.empty() && !admit_password_work(c, m.request_id)) return;
  if (!network.password_hash.empty() && !verify_password(m.password, network.password_hash)) {
    return reply(c, m.request_id, ReplyCode::kWrongPassword, "wrong password for network " + quoted(m.name));
  }
  auto members = storage_.members(m.name);
  if (!members) return reply_storage_error(c, m.request_id);
  if (contains(members.value(), c.key)) {
    return reply(c, m.request_id, ReplyCode::kAlreadyMember, "you are already in network " + quoted(m.name));
  }
  if (members.value().size() >= config_.max_members_per_network) {
    return reply(c, m.request_id, ReplyCode::kInvalidArgument,
                 "network " + quoted(m.name) + " is full (" + std::to_string(config_.max_members_per_network) +
                     " members)");
  }
  auto mine = storage_.networks_of(c.key);
  if (!mine) return reply_storage_error(c, m.request_id);
  if (mine.value().size() >= config_.max_networks_per_client) {
    return reply(c, m.request_id, ReplyCode::kInvalidArgument,
                 "you are in too many networks (at most " + std::to_string(config_.max_networks_per_client) + ")");
  }

  auto added = storage_.add_member(m.name, c.key);
  if (!added) {
    // Races with another server instance on the same database.
    if (added.error() == StorageError::kConflict) {
      return reply(c, m.request_id, ReplyCode::kAlreadyMember, "you are already in network " + quoted(m.name));
    }
    if (added.error() == StorageError::kNotFound) {
      return reply(c, m.request_id, ReplyCode::kUnknownNetwork, "there is no network " + quoted(m.name));
    }
    return reply_storage_error(c, m.request_id);
  }
  reply(c, m.request_id, ReplyCode::kOk, "joined network " + quoted(m.name));
  resync(c);

  MemberInfo me = member_info(c, m.name);
  for (const PublicKey& key : members.value()) {
    if (Client* peer = find_online(key)) send(*peer, MemberUpdate{m.name, me});
  }
  if (!c.online) return;  // tunnels follow when it reports discovery
  for (const PublicKey& key : members.value()) {
    Client* peer = find_online(key);
    if (peer && peer->online_in(m.name)) instruct_if_new(c, *peer);
  }
}

void ServerCore::Impl::handle_leave(Client& c, const LeaveNetwork& m) {
  if (!c.logged_in) return reply(c, m.request_id, ReplyCode::kNotLoggedIn, "log in first");
  auto removed = storage_.remove_member(m.name, c.key);
  if (!removed) {
    if (removed.error() == StorageError::kNotFound) {
      return reply(c, m.request_id, ReplyCode::kNotMember, "you are not in network " + quoted(m.name));
    }
    return reply_storage_error(c, m.request_id);
  }
  c.offline_networks.erase(m.name);
  reply(c, m.request_id, ReplyCode::kOk, "left network " + quoted(m.name));
  resync(c);

  auto remaining = storage_.members(m.name);
  if (!remaining) {
    ++stats_.storage_errors;
    return;
  }
  for (const PublicKey& key : remaining.value()) {
    if (Client* peer = find_online(key)) send(*peer, MemberLeft{m.name, c.key});
  }
  forget_tunnels_no_longer_shared(c);
}

void ServerCore::Impl::forget_tunnels_no_longer_shared(Client& c) {
  // Pairs that no longer share a network both are online in are forgotten, so that
  // sharing one again later counts as "for the first time" and gets a fresh
  // tunnel instruction.
  auto partners = tunnels_.find(c.key);
  if (partners == tunnels_.end()) return;
  auto shared = online_peers(c.key);
  if (!shared) {
    ++stats_.storage_errors;  // nothing is forgotten on doubt
    return;
  }
  std::set<PublicKey> previous = partners->second;
  for (const PublicKey& partner : previous) {
    Client* peer = find_online(partner);
    if (!peer || !share_online_network(c, *peer, shared.value())) forget_tunnel(c.key, partner);
  }
}

void ServerCore::Impl::handle_set_network_online(Client& c, const SetNetworkOnline& m) {
  if (!c.logged_in) return reply(c, m.request_id, ReplyCode::kNotLoggedIn, "log in first");
  auto members = storage_.members(m.network);
  if (!members) return reply_storage_error(c, m.request_id);
  if (!contains(members.value(), c.key)) {
    return reply(c, m.request_id, ReplyCode::kNotMember, "you are not in network " + quoted(m.network));
  }
  const bool was_online = !c.offline_networks.count(m.network);
  const std::string state = m.online ? "online" : "offline";
  if (was_online == m.online) {
    return reply(c, m.request_id, ReplyCode::kOk, "already " + state + " in " + quoted(m.network));
  }
  if (m.online) {
    c.offline_networks.erase(m.network);
  } else {
    c.offline_networks.insert(m.network);
  }
  reply(c, m.request_id, ReplyCode::kOk, state + " in " + quoted(m.network));
  if (!c.online) return;  // its members hear it with its DiscoveryReport
  publish_presence(c);

  MemberInfo me = member_info(c, m.network);
  for (const PublicKey& key : members.value()) {
    Client* peer = find_online(key);
    if (!peer || peer == &c) continue;
    send(*peer, MemberUpdate{m.network, me});
    if (m.online && peer->online_in(m.network)) instruct_if_new(c, *peer);
  }
  if (!m.online) forget_tunnels_no_longer_shared(c);
}

void ServerCore::Impl::handle_set_nickname(Client& c, const SetNickname& m) {
  if (!c.logged_in) return reply(c, m.request_id, ReplyCode::kNotLoggedIn, "log in first");
  if (auto problem = display_name_problem(m.nickname, kMaxNicknameLength)) {
    return reply(c, m.request_id, ReplyCode::kInvalidArgument, "that nickname cannot be used: " + *problem);
  }
  auto stored = storage_.set_nickname(c.key, m.nickname);
  if (!stored) return reply_storage_error(c, m.request_id);
  c.record.nickname = m.nickname;
  reply(c, m.request_id, ReplyCode::kOk, "nickname set to " + quoted(m.nickname));
  resync(c);
  if (c.online) publish_presence(c);

  auto peers = online_peers(c.key);
  if (!peers) {
    ++stats_.storage_errors;
    return;
  }
  for (const auto& [key, networks] : peers.value()) {
    Client* peer = find_online(key);
    if (!peer) continue;
    for (const std::string& network : networks) send(*peer, MemberUpdate{network, member_info(c, network)});
  }
}

}  // namespace yt
