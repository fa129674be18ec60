// An ns-3 Application that runs one separate relay (RelayNode): a UDP socket for
// clients and the control connection to the mediation server. Stopping it is a
// relay failure: its sockets close, the server sees the control connection end
// and moves the relay's pairs elsewhere.
#pragma once

#include <ns3/application.h>
#include <ns3/socket.h>

#include <memory>
#include <string>

#include "emulation/core_timer.h"
#include "emulation/event_log.h"
#include "emulation/ns3_random_source.h"
#include "emulation/ns3_stream_connection.h"
#include "protocol/driver_loop.h"
#include "server/relay/relay_node.h"

namespace yt::emulation {

class YtRelayApp : public ns3::Application {
 public:
  static ns3::TypeId GetTypeId();
  YtRelayApp();
  ~YtRelayApp() override;

  // config.udp is where clients reach us; its port is bound on every address.
  void Setup(RelayNodeConfig config, Identity identity, EventLog* log);
  int64_t AssignStreams(int64_t stream);
  const RelayNode* Node() const { return node_.get(); }
  // The relay fails now (a crash, a power cut): as StopApplication.
  void Fail() { StopApplication(); }
  // Counters survive a stop (the node is kept until disposal).
  std::uint64_t Forwarded() const { return node_ ? node_->stats().forwarded_packets : 0; }

 private:
  void StartApplication() override;
  void StopApplication() override;
  void DoDispose() override;

  void OnUdpReceive(ns3::Ptr<ns3::Socket> socket);
  void OnTimer();
  void Pump();
  void RearmTimer(std::optional<Time> deadline);

  RelayNodeConfig config_;
  Identity identity_;
  EventLog* log_ = nullptr;
  Ns3RandomSource rng_;
  std::unique_ptr<RelayNode> node_;
  ns3::Ptr<ns3::Socket> udp_;
  Ns3StreamConnections streams_;
  CoreTimer timer_;
  DriverLoop loop_;
  bool running_ = false;
};

}  // namespace yt::emulation
