// An ns-3 Application that runs one yellowtail ClientCore on a node: one UDP socket
// for discovery and tunnels, one TCP socket per control-connection attempt, and an
// ns-3 event for the core's next deadline. The same core object runs in
// yellowtaild; only this driver differs.
#pragma once

#include <ns3/application.h>
#include <ns3/socket.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "client/core/client_core.h"
#include "emulation/core_timer.h"
#include "emulation/event_log.h"
#include "emulation/ns3_random_source.h"
#include "emulation/ns3_stream_connection.h"
#include "protocol/driver_loop.h"

namespace yt::emulation {

class YtClientApp : public ns3::Application {
 public:
  static ns3::TypeId GetTypeId();
  YtClientApp();
  ~YtClientApp() override;

  // Must be called before the application starts. The identity is drawn from this
  // node's ns-3 random stream when `identity` is empty. `log` may be null.
  void Setup(const std::string& name, ClientConfig config, std::optional<Identity> identity, EventLog* log);
  int64_t AssignStreams(int64_t stream);

  // Scenario hooks: called for every event the core reports, after logging it.
  void SetEventCallback(std::function<void(const ClientEvent&)> callback) { on_event_ = std::move(callback); }
  // Whether each arriving packet gets a log line (the default; steady traffic
  // would drown everything else).
  void SetLogPackets(bool on) { log_packets_ = on; }

  // Direct access for scenario actions (create/join/send) between events. Call
  // Pump() afterwards so the outputs are performed.
  ClientCore& Core() { return *core_; }  // once started (Started)
  // Whether the app has started: a client whose start time is after the run's
  // end has no core.
  bool Started() const { return core_ != nullptr; }
  void Pump();
  const std::string& Name() const { return name_; }
  const PublicKey& Key() const { return identity_.public_key; }

  // The node's addresses changed (Topology::MoveHost): what the OS tells a real
  // daemon (netlink on Linux), passed to the core as it would be there.
  // `addresses`: the node's working addresses now.
  void NotifyNetworkChanged(const std::vector<Ipv4>& addresses);

  // Fault injection: when set, every datagram to an address other than `allowed`
  // (the server's) is dropped before it leaves the node, like a host firewall
  // that blocks peer-to-peer UDP. Used to prove the punch-rate guard catches a
  // broken punch path.
  void BlockPeerUdp(std::vector<Ipv4> allowed) { udp_allowed_only_ = std::move(allowed); }

 private:
  void StartApplication() override;
  void StopApplication() override;
  void DoDispose() override;

  void OnUdpReceive(ns3::Ptr<ns3::Socket> socket);
  void OnTimer();
  void SendUdp(const SendDatagram& d);
  void OpenStream(ConnId conn, Endpoint to, std::uint16_t local_port = 0);
  void CloseConnection(ConnId conn);
  // The core's ListenStream: a listening socket on `port`; what it accepts gets
  // ids from kFirstAcceptedConn (io_boundary.h).
  void Listen(ConnId listener, std::uint16_t port);
  void OnAccepted(ConnId listener, ns3::Ptr<ns3::Socket> socket, const ns3::Address& from);
  void RearmTimer(std::optional<Time> deadline);

  std::string name_;
  ClientConfig config_;
  Identity identity_;
  Ns3RandomSource rng_;
  EventLog* log_ = nullptr;
  uint16_t udp_port_ = 0;  // attribute "UdpPort"
  std::unique_ptr<ClientCore> core_;
  ns3::Ptr<ns3::Socket> udp_;
  // Extra sockets (io_boundary.h, SendDatagram::socket), opened on first use.
  std::map<SocketId, ns3::Ptr<ns3::Socket>> extra_udp_;
  // The reverse, for a datagram's socket: a birthday window keeps up to 512 open.
  std::unordered_map<const ns3::Socket*, SocketId> extra_udp_ids_;
  void CloseExtraSocket(SocketId socket);
  Ns3StreamConnections streams_;
  std::map<ConnId, ns3::Ptr<ns3::Socket>> listeners_;
  ConnId next_accepted_ = kFirstAcceptedConn;
  CoreTimer timer_;
  std::function<void(const ClientEvent&)> on_event_;
  bool log_packets_ = true;
  DriverLoop loop_;
  std::optional<std::vector<Ipv4>> udp_allowed_only_;
};

}  // namespace yt::emulation
