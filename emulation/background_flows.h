// Another host behind the same NAT, opening new flows: every so often (exponential
// gaps, `flows_per_s` on average) one UDP datagram from its one socket to a new
// destination port of `target`. On a NAT whose mapping depends on the destination
// (APDM, ADM) each flow takes a new mapping, so a sequential NAT's counter moves
// between a client's discovery and its punch, as on a busy home or office LAN; on
// an endpoint-independent NAT it changes nothing. This is what makes predicted
// ports miss now and then, and a pair's P2P rate lie between 0 and 1.
#pragma once

#include <ns3/application.h>
#include <ns3/event-id.h>
#include <ns3/random-variable-stream.h>
#include <ns3/socket.h>

#include "protocol/endpoint.h"

namespace yt::emulation {

class BackgroundFlows : public ns3::Application {
 public:
  static ns3::TypeId GetTypeId();
  BackgroundFlows();

  // Precondition: flows_per_s > 0.
  void Setup(double flows_per_s, Ipv4 target);
  int64_t AssignStreams(int64_t stream);
  std::uint64_t Flows() const { return flows_; }

 private:
  void StartApplication() override;
  void StopApplication() override;
  void DoDispose() override;
  void OpenFlow();

  double flows_per_s_ = 0;
  Ipv4 target_;
  ns3::Ptr<ns3::Socket> socket_;
  ns3::Ptr<ns3::ExponentialRandomVariable> gap_;
  ns3::Ptr<ns3::UniformRandomVariable> port_;
  ns3::EventId next_;
  std::uint64_t flows_ = 0;
};

}  // namespace yt::emulation
