// The daemon's command side: answers control-socket requests by calling the client
// core through its driver, and turns core events into adapter writes, chat history
// and replies to requests that wait for the server (create, join, leave, set-nick,
// login). Single-threaded on the daemon's io_context.
//
// Every wait is bounded: a request the server does not answer in kRequestTimeout,
// or a login that does not complete in kLoginTimeout, gets an error reply.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/daemon/chat_history.h"
#include "client/daemon/control_session.h"
#include "client/daemon/daemon_config.h"
#include "client/daemon/datagram_bridge.h"
#include "client/daemon/daemon_state.h"
#include "client/daemon/tun_adapter.h"
#include "platform/asio_client_driver.h"
#include "platform/log_throttle.h"

namespace yt {

class DaemonService {
 public:
  // The server hashes network passwords with argon2id (hundreds of ms) and may be
  // far away; 20 s is long past any healthy answer and short enough for a CLI.
  static constexpr std::chrono::seconds kRequestTimeout{20};
  // Connect, handshake, login and discovery (3 s of probing at most).
  static constexpr std::chrono::seconds kLoginTimeout{20};

  // Exactly one of `adapter` (TUN mode) and `bridge` (--no-tun) is set. Everything
  // referenced must outlive the service.
  DaemonService(boost::asio::io_context& io, const DaemonConfig& config, AsioClientDriver& driver,
                TunAdapter* adapter, DatagramBridge* bridge, DaemonState state, std::string state_path,
                ChatHistory history);

  // Logs in unless the user logged out before the last shutdown.
  void start();
  void handle(const ControlRequest& request, ControlSession::Reply reply);
  // Everything the core reports, in order (from the driver's event handler).
  void on_event(const ClientEvent& event);
  // A packet the kernel routed into the adapter.
  void on_adapter_packet(ByteView packet);
  // The batched data plane: IP packets opened from peers, to the adapter (or the bridge).
  void on_peer_packets(PacketBatch& batch);
  // Our virtual address on the adapter: at every login, and from the peer cache at
  // a start while the server may be away.
  void use_address(Ipv4 virtual_ip, std::uint8_t prefix_length);
  // The web UI's URL, token included, for the `ui` command; empty: the UI is off.
  void set_web_ui_url(std::string url) { web_ui_url_ = std::move(url); }
  // Called with every chat message recorded, sent or received (the web UI pushes
  // it to open pages). Must not call back into the service.
  void set_chat_listener(std::function<void(const ChatEntry&)> listener) { chat_listener_ = std::move(listener); }

 private:
  struct Pending {
    ControlSession::Reply reply;
    std::string command;
    std::string argument;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  void login(ControlSession::Reply reply);
  void logout(ControlSession::Reply reply);
  void server_request(const ControlRequest& request, ControlSession::Reply reply);
  void set_presence(const std::string& network, bool offline, ControlSession::Reply reply);
  void chat(const std::string& to, const std::string& text, ControlSession::Reply reply);
  void finish_request(const RequestDone& done);
  void finish_logins(const ControlResponse& response);
  // A peer named by node id, virtual IP or nickname; an error says why none or which.
  Result<PeerStatus, std::string> find_peer(const std::string& name) const;
  void save_state();
  void record_chat(ChatEntry entry);
  std::string nickname() const;

  boost::asio::io_context& io_;
  const DaemonConfig& config_;
  AsioClientDriver& driver_;
  TunAdapter* adapter_;
  DatagramBridge* bridge_;
  DaemonState state_;
  std::string state_path_;
  ChatHistory history_;
  std::uint8_t prefix_length_ = 0;
  LogThrottle chat_log_throttle_{10, std::chrono::seconds(1)};
  std::map<std::uint32_t, Pending> pending_;
  std::vector<ControlSession::Reply> login_waiters_;
  boost::asio::steady_timer login_timer_;
  std::string web_ui_url_;
  std::function<void(const ChatEntry&)> chat_listener_;
};

}  // namespace yt
