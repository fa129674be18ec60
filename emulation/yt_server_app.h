// An ns-3 Application that runs one yellowtail ServerCore: a TCP listening socket
// for control connections and one UDP socket per discovery endpoint.
#pragma once

#include <ns3/application.h>
#include <ns3/event-id.h>
#include <ns3/socket.h>

#include <map>
#include <memory>
#include <string>

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
  ns3::Ptr<ns3::Socket> listener_;
  std::map<Endpoint, ns3::Ptr<ns3::Socket>> udp_;
  Ns3StreamConnections streams_;
  ConnId next_conn_ = 1;
  ns3::EventId timer_;
  DriverLoop loop_;
};

}  // namespace yt::emulation
