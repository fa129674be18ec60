// An ns-3 Application that runs one yellowtail ServerCore: a TCP listening socket
// for control connections and one UDP socket per discovery endpoint.
//
// A large run can give the server more nodes that accept its control connections
// (AddControlNode): every connection, whichever node it arrived on, feeds the one
// core, as behind a load balancer. It is a cost of the simulator, not of the
// protocol: ns-3's TCP demultiplexer (Ipv4EndPointDemux::Lookup) scans every
// endpoint of a node for each segment, so one node holding N connections pays
// O(N) per segment; spread over nodes of a few hundred each, the scan stays short.
#pragma once

#include <ns3/application.h>
#include <ns3/socket.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "emulation/core_timer.h"
#include "emulation/event_log.h"
#include "emulation/ns3_random_source.h"
#include "emulation/ns3_stream_connection.h"
#include "protocol/driver_loop.h"
#include "server/core/server_core.h"
#include "server/core/storage.h"

namespace yt::emulation {

class YtServerApp : public ns3::Application {
 public:
  static ns3::TypeId GetTypeId();
  YtServerApp();
  ~YtServerApp() override;

  // `storage` must outlive the application (it is the server's durable state, so a
  // scenario can restart the server over the same storage). `control_port` is
  // the TCP port; config.discovery_endpoints are bound for UDP.
  void Setup(const std::string& name, ServerConfig config, Identity identity, Storage* storage,
             uint16_t control_port, EventLog* log);
  int64_t AssignStreams(int64_t stream);
  // Before the start: `node` (with an Internet stack) also listens on
  // control_port for this server's control connections.
  void AddControlNode(ns3::Ptr<ns3::Node> node) { control_nodes_.push_back(node); }
  const ServerCore* Core() const { return core_.get(); }
  // The process dies: every connection and socket closes without goodbye; the
  // storage stays. A new YtServerApp over the same storage is the restart.
  void Crash() { StopApplication(); }

 private:
  void StartApplication() override;
  void StopApplication() override;
  void DoDispose() override;

  bool OnAcceptRequest(ns3::Ptr<ns3::Socket>, const ns3::Address&) { return true; }
  void OnAccept(ns3::Ptr<ns3::Socket> socket, const ns3::Address& from);
  void OnUdpReceive(ns3::Ptr<ns3::Socket> socket, Endpoint local);
  void OnTimer();
  void Pump();
  void SendUdp(const SendDatagram& d);
  void CloseConnection(ConnId conn);
  void RearmTimer(std::optional<Time> deadline);

  std::string name_;
  ServerConfig config_;
  Identity identity_;
  Storage* storage_ = nullptr;
  uint16_t control_port_ = 0;
  EventLog* log_ = nullptr;
  Ns3RandomSource rng_;
  std::unique_ptr<ServerCore> core_;
  std::vector<ns3::Ptr<ns3::Node>> control_nodes_;  // besides GetNode()
  std::vector<ns3::Ptr<ns3::Socket>> listeners_;     // one per node
  std::map<Endpoint, ns3::Ptr<ns3::Socket>> udp_;
  Ns3StreamConnections streams_;
  ConnId next_conn_ = 1;
  CoreTimer timer_;
  DriverLoop loop_;
};

}  // namespace yt::emulation
