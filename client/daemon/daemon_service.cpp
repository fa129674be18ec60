#include "client/daemon/daemon_service.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "client/core/describe_event.h"
#include "client/daemon/status_json.h"
#include "client/daemon/virtual_addresses.h"
#include "protocol/display_name.h"

namespace yt {
namespace {

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string send_error_text(SendError error, const ClientCore& core) {
  if (error == SendError::kNotLoggedIn) {
    return std::string("not logged in (") + to_string(core.state()) + "); try: yellowtail login";
  }
  return to_string(error);
}

}  // namespace

DaemonService::DaemonService(boost::asio::io_context& io, const DaemonConfig& config, AsioClientDriver& driver,
                             TunAdapter* adapter, DatagramBridge* bridge, DaemonState state, std::string state_path,
                             ChatHistory history)
    : io_(io),
      config_(config),
      driver_(driver),
      adapter_(adapter),
      bridge_(bridge),
      state_(std::move(state)),
      state_path_(std::move(state_path)),
      history_(std::move(history)),
      login_timer_(io) {}

void DaemonService::start() {
  if (state_.logged_out) {
    spdlog::info("logged out before the last shutdown{}; staying logged out until `yellowtail login`",
                 state_.logout_reason.empty() ? "" : " (" + state_.logout_reason + ")");
  }
  driver_.start(!state_.logged_out);
}

std::string DaemonService::nickname() const { return state_.nickname.empty() ? config_.nickname : state_.nickname; }

void DaemonService::save_state() {
  state_.offline_networks = driver_.core().offline_networks();
  if (auto saved = save_daemon_state(state_path_, state_); !saved) spdlog::error("{}", saved.error());
}

void DaemonService::handle(const ControlRequest& request, ControlSession::Reply reply) {
  const std::string& command = request.command;
  const nlohmann::json& args = request.args;
  auto text_arg = [&](const char* name) { return args.value(name, std::string()); };
  ClientCore& core = driver_.core();
  if (command == "status") {
    StatusExtras extras{state_.logged_out, nickname(), config_.server, prefix_length_, adapter_, std::nullopt,
                        state_.logout_reason};
    if (bridge_) extras.bridge = bridge_->local_endpoint();
    reply(control_ok(status_json(core, extras)));
  } else if (command == "list") {
    reply(control_ok(list_json(core)));
  } else if (command == "login") {
    login(std::move(reply));
  } else if (command == "logout") {
    logout(std::move(reply));
  } else if (command == "create" || command == "join" || command == "leave" || command == "set-nick") {
    server_request(request, std::move(reply));
  } else if (command == "go-online" || command == "go-offline") {
    set_presence(text_arg("network"), command == "go-offline", std::move(reply));
  } else if (command == "chat") {
    chat(text_arg("to"), text_arg("text"), std::move(reply));
  } else if (command == "chat-history") {
    std::size_t limit = static_cast<std::size_t>(args.value("limit", std::int64_t{50}));
    nlohmann::json messages = nlohmann::json::array();
    for (const ChatEntry& entry : history_.recent(text_arg("with"), limit)) messages.push_back(entry.to_json());
    reply(control_ok({{"messages", messages}}));
  } else if (command == "ui") {
    if (web_ui_url_.empty()) {
      reply(control_error("the web UI is off; start yellowtaild with --ui 9480 (or [ui] listen = \"9480\" in " +
                          std::string(kDefaultConfigPath) + ")"));
    } else {
      reply(control_ok({{"url", web_ui_url_}}));
    }
  } else {
    // parse_control_request only lets known commands through; this is a bug guard.
    reply(control_error("command '" + command + "' is not handled by this daemon"));
  }
}

void DaemonService::login(ControlSession::Reply reply) {
  ClientCore& core = driver_.core();
  if (core.state() == ClientState::kOnline && !state_.logged_out) {
    reply(control_ok({{"state", "online"}, {"virtual_ip", core.virtual_ip() ? core.virtual_ip()->to_string() : ""}}));
    return;
  }
  if (state_.logged_out) {
    state_.logged_out = false;
    state_.logout_reason.clear();
    save_state();
    core.start(driver_.now());
    driver_.pump();
  }
  login_waiters_.push_back(std::move(reply));
  if (login_waiters_.size() > 1) return;  // the timer runs for the first one
  login_timer_.expires_after(kLoginTimeout);
  login_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    finish_logins(control_error(std::string("login did not complete in ") + std::to_string(kLoginTimeout.count()) +
                                " s (" + to_string(driver_.core().state()) + "); is the server " +
                                config_.server.to_string() + " reachable? still trying in the background"));
  });
}

void DaemonService::finish_logins(const ControlResponse& response) {
  login_timer_.cancel();
  std::vector<ControlSession::Reply> waiters;
  waiters.swap(login_waiters_);
  for (ControlSession::Reply& reply : waiters) reply(response);
}

void DaemonService::logout(ControlSession::Reply reply) {
  bool was = state_.logged_out;
  state_.logged_out = true;
  state_.logout_reason.clear();
  save_state();
  driver_.core().stop(driver_.now());
  driver_.pump();
  finish_logins(control_error("logged out before the login completed"));
  reply(control_ok({{"state", "logged out"}, {"already", was}}));
}

void DaemonService::server_request(const ControlRequest& request, ControlSession::Reply reply) {
  ClientCore& core = driver_.core();
  const std::string& command = request.command;
  std::string argument = request.args.value(command == "set-nick" ? "nickname" : "network", std::string());
  std::string password = request.args.value("password", std::string());
  Result<std::uint32_t, SendError> sent = Err{SendError::kInvalidArgument};
  Time now = driver_.now();
  if (command == "create") {
    sent = core.create_network(now, argument, password);
  } else if (command == "join") {
    sent = core.join_network(now, argument, password);
  } else if (command == "leave") {
    sent = core.leave_network(now, argument);
  } else {
    sent = core.set_nickname(now, argument);
  }
  if (!sent) {
    std::string why = send_error_text(sent.error(), core);
    if (sent.error() == SendError::kInvalidArgument) {
      const bool nick = command == "set-nick";
      auto problem = display_name_problem(argument, nick ? kMaxNicknameLength : kMaxNameLength);
      why = problem ? (nick ? "that nickname cannot be used: " : "that network name cannot be used: ") + *problem
                    : "a password is at most " + std::to_string(kMaxPasswordLength) + " bytes";
    }
    reply(control_error(command + " " + escape_unsafe(argument) + ": " + why));
    return;
  }
  std::uint32_t id = *sent;
  Pending pending{std::move(reply), command, argument, std::make_unique<boost::asio::steady_timer>(io_)};
  pending.timer->expires_after(kRequestTimeout);
  pending.timer->async_wait([this, id](const boost::system::error_code& error) {
    if (error) return;
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Pending late = std::move(it->second);
    pending_.erase(it);
    late.reply(control_error(late.command + " " + late.argument + ": no answer from the server in " +
                             std::to_string(kRequestTimeout.count()) + " s"));
  });
  pending_.emplace(id, std::move(pending));
  driver_.pump();
}

void DaemonService::finish_request(const RequestDone& done) {
  auto it = pending_.find(done.request_id);
  if (it == pending_.end()) return;  // from --create/--join at startup, or timed out
  Pending pending = std::move(it->second);
  pending_.erase(it);
  pending.timer->cancel();
  if (done.code != ReplyCode::kOk) {
    std::string why = to_string(done.code);
    if (!done.message.empty()) why += " (" + done.message + ")";
    pending.reply(control_error(pending.command + " " + pending.argument + ": " + why));
    return;
  }
  if (pending.command == "set-nick") {
    state_.nickname = pending.argument;
    save_state();
  } else if (pending.command == "leave") {
    save_state();  // the core forgot our offline choice for that network
  }
  pending.reply(control_ok({{"command", pending.command}, {"argument", pending.argument}}));
}

void DaemonService::set_presence(const std::string& network, bool offline, ControlSession::Reply reply) {
  bool member = false;
  for (const NetworkInfo& n : driver_.core().networks()) member = member || n.name == network;
  if (!member) {
    reply(control_error("you are not in network '" + network + "' (see yellowtail list)"));
    return;
  }
  // The core tells the server, which shows it to the network's members, and stops
  // what flows to and from members we then share only offline networks with
  // (client/core/network_presence.h).
  if (auto set = driver_.core().set_network_online(driver_.now(), network, !offline); !set) {
    reply(control_error(std::string("cannot change presence in '") + network + "': " + to_string(set.error())));
    return;
  }
  driver_.pump();
  save_state();
  reply(control_ok({{"network", network}, {"online", !offline}}));
}

Result<PeerStatus, std::string> DaemonService::find_peer(const std::string& name) const {
  std::vector<PeerStatus> by_nickname;
  for (const PeerStatus& peer : driver_.core().peers()) {
    if (node_id(peer.key) == name || peer.virtual_ip.to_string() == name || key_to_hex(peer.key) == name) return peer;
    if (peer.nickname == name) by_nickname.push_back(peer);
  }
  if (by_nickname.size() == 1) return by_nickname.front();
  if (by_nickname.empty()) return Err{"no network or peer called '" + name + "' (see yellowtail list)"};
  std::string ids;
  for (const PeerStatus& peer : by_nickname) ids += (ids.empty() ? "" : ", ") + node_id(peer.key);
  return Err{"several peers are called '" + name + "'; name one by node id: " + ids};
}

void DaemonService::chat(const std::string& to, const std::string& text, ControlSession::Reply reply) {
  ClientCore& core = driver_.core();
  ChatEntry entry{unix_ms_now(), true, {}, {}, {}, text};
  bool is_network = false;
  for (const NetworkInfo& n : core.networks()) is_network = is_network || n.name == to;
  if (is_network) {
    auto sent = core.send_network_chat(driver_.now(), to, text);
    driver_.pump();
    if (!sent && sent.error() == SendError::kOfflineInNetwork) {
      reply(control_error("you are offline in '" + to + "'; run: yellowtail go-online " + to));
      return;
    }
    if (!sent) {
      reply(control_error("chat to " + to + ": " + to_string(sent.error())));
      return;
    }
    entry.network = to;
    record_chat(entry);
    reply(control_ok({{"network", to}, {"sent", sent->sent}, {"no_tunnel", sent->no_tunnel}}));
    return;
  }
  auto peer = find_peer(to);
  if (!peer) {
    reply(control_error(peer.error()));
    return;
  }
  std::string label = peer->nickname.empty() ? node_id(peer->key) : peer->nickname;
  auto sent = core.send_chat(driver_.now(), peer->key, text);
  driver_.pump();
  if (!sent && sent.error() == SendError::kPeerMuted) {
    reply(control_error("you are offline in every network shared with " + label));
    return;
  }
  if (!sent) {
    std::string why = sent.error() == SendError::kNoTunnel && !peer->no_path_reason.empty()
                          ? "no direct tunnel yet (" + peer->no_path_reason + ")"
                          : std::string(to_string(sent.error()));
    reply(control_error("chat to " + label + ": " + why));
    return;
  }
  entry.peer = node_id(peer->key);
  entry.nickname = peer->nickname;
  record_chat(entry);
  reply(control_ok({{"peer", entry.peer}, {"nickname", peer->nickname}, {"sent", 1}}));
}

void DaemonService::record_chat(ChatEntry entry) {
  if (chat_listener_) chat_listener_(entry);
  if (auto saved = history_.add(std::move(entry)); !saved) spdlog::error("chat history: {}", saved.error());
}

void DaemonService::on_adapter_packet(ByteView packet) {
  ClientCore& core = driver_.core();
  // Packets to members we share only offline networks with are the core's to refuse
  // (ip_peer_muted), as it knows our offline networks (set_network_online).
  auto sent = core.send_ip_packet(driver_.now(), packet);
  if (!sent) spdlog::trace("adapter packet not sent: {}", to_string(sent.error()));
  driver_.pump();
}

void DaemonService::on_peer_packets(PacketBatch& batch) {
  if (adapter_) adapter_->write_batch(batch);
  if (bridge_) {
    for (std::size_t i = 0; i < batch.size(); ++i) bridge_->deliver(batch.entry(i).peer, batch.bytes(i));
  }
}

void DaemonService::use_address(Ipv4 virtual_ip, std::uint8_t prefix_length) {
  prefix_length_ = prefix_length;
  if (!adapter_) return;
  Ipv6Prefix ipv6 = ula_address(config_.ipv6_prefix, virtual_ip);
  if (auto assigned = adapter_->assign(virtual_ip, prefix_length, ipv6); !assigned) {
    spdlog::error("adapter {}: {}", adapter_->name(), assigned.error());
  } else if (const auto& problem = adapter_->ipv6_problem()) {
    auto level = problem->disabled_on_host ? spdlog::level::warn : spdlog::level::err;
    spdlog::log(level, "adapter {}: {}/{}, MTU {}; no IPv6 address ({}): carrying IPv4 only", adapter_->name(),
                virtual_ip.to_string(), int(prefix_length), adapter_->mtu(), problem->message);
  } else {
    spdlog::info("adapter {}: {}/{} and {}, MTU {}", adapter_->name(), virtual_ip.to_string(), int(prefix_length),
                 ipv6.to_string(), adapter_->mtu());
  }
}

void DaemonService::on_event(const ClientEvent& event) {
  if (auto* packet = std::get_if<PacketReceived>(&event)) {
    spdlog::trace("{}", describe(event));
    if (adapter_) adapter_->write(packet->packet);
    if (bridge_) bridge_->deliver(packet->peer, packet->packet);
    return;
  }
  if (!std::holds_alternative<ChatReceived>(event)) {
    spdlog::info("{}", describe(event));
  } else if (auto held = chat_log_throttle_.admit(LogThrottle::Clock::now())) {
    spdlog::info("{}{}", describe(event), held_back_note(*held));  // a member's flood must not fill the log
  }
  if (auto* in = std::get_if<LoggedIn>(&event)) {
    use_address(in->virtual_ip, in->prefix_length);
  } else if (auto* chat = std::get_if<ChatReceived>(&event)) {
    record_chat(ChatEntry{unix_ms_now(), false, chat->network, node_id(chat->peer), chat->nickname, chat->text});
  } else if (auto* done = std::get_if<RequestDone>(&event)) {
    finish_request(*done);
  } else if (std::holds_alternative<Synced>(event)) {
    if (!login_waiters_.empty()) {
      ClientCore& core = driver_.core();
      finish_logins(control_ok({{"state", to_string(core.state())},
                                {"virtual_ip", core.virtual_ip() ? core.virtual_ip()->to_string() : ""}}));
    }
  } else if (auto* failed = std::get_if<LoginFailed>(&event)) {
    finish_logins(control_error("login failed: " + failed->reason));
  } else if (auto* elsewhere = std::get_if<LoggedInElsewhere>(&event)) {
    // Saved like a logout: a restart must not start the tug of war again.
    state_.logged_out = true;
    state_.logout_reason = "this key logged in from " + elsewhere->by.to_string() +
                           "; is a copy of this machine's key running elsewhere? `yellowtail login` takes it back";
    save_state();
    spdlog::warn("{}", state_.logout_reason);
    finish_logins(control_error("logged out: " + state_.logout_reason));
  }
}

}  // namespace yt
