// The one-event point-to-point link delivers every packet when ns-3's own
// PointToPointNetDevice would (serialization, delay, a full queue), keeps the
// receive error model, costs one simulator event per packet instead of two, and
// drops ICMP errors only at a host that asked for it.
#include "emulation/point_to_point_link.h"

#include <gtest/gtest.h>
#include <ns3/core-module.h>
#include <ns3/error-model.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/traffic-control-helper.h>
#include <ns3/udp-socket-factory.h>

#include <vector>

namespace yt::emulation {
namespace {

constexpr uint16_t kPort = 4000;
constexpr uint32_t kPayload = 1000;

struct Link {
  ns3::Ptr<ns3::Node> sender = ns3::CreateObject<ns3::Node>();
  ns3::Ptr<ns3::Node> receiver = ns3::CreateObject<ns3::Node>();
  ns3::NetDeviceContainer devices;
  ns3::Ipv4Address receiver_address;
  std::vector<int64_t> arrivals_ns;
  ns3::Ptr<ns3::Socket> tx;
  ns3::Ptr<ns3::Socket> rx;

  // `one_pass`: ours; otherwise PointToPointHelper's.
  Link(bool one_pass, const char* network) {
    ns3::InternetStackHelper stack;
    stack.SetIpv6StackInstall(false);
    stack.Install(sender);
    stack.Install(receiver);
    if (one_pass) {
      devices = install_point_to_point(sender, receiver, "8Mbps", ns3::MilliSeconds(10));
    } else {
      ns3::PointToPointHelper helper;
      helper.SetDeviceAttribute("DataRate", ns3::StringValue("8Mbps"));
      helper.SetChannelAttribute("Delay", ns3::TimeValue(ns3::MilliSeconds(10)));
      devices = helper.Install(sender, receiver);
    }
    ns3::Ipv4AddressHelper addresses;
    addresses.SetBase(network, "255.255.255.252");
    receiver_address = addresses.Assign(devices).GetAddress(1);
    // As on the links this device is used for: no queue disc in front of it.
    ns3::TrafficControlHelper().Uninstall(devices);
    rx = ns3::Socket::CreateSocket(receiver, ns3::UdpSocketFactory::GetTypeId());
    rx->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), kPort));
    rx->SetRecvCallback(ns3::MakeCallback(&Link::Receive, this));
    tx = ns3::Socket::CreateSocket(sender, ns3::UdpSocketFactory::GetTypeId());
    tx->Bind();
  }
  void Receive(ns3::Ptr<ns3::Socket> socket) {
    while (socket->Recv()) arrivals_ns.push_back(ns3::Simulator::Now().GetNanoSeconds());
  }
  // `count` datagrams handed to the socket at once, at `at` seconds.
  void BurstAt(double at, int count) {
    ns3::Simulator::Schedule(ns3::Seconds(at), [this, count] {
      for (int i = 0; i < count; ++i) tx->SendTo(ns3::Create<ns3::Packet>(kPayload), 0,
                                                 ns3::InetSocketAddress(receiver_address, kPort));
    });
  }
};

class PointToPointLinkTest : public ::testing::Test {
 protected:
  void TearDown() override { ns3::Simulator::Destroy(); }
  static uint64_t RunFor(double seconds) {
    ns3::Simulator::Stop(ns3::Seconds(seconds));
    ns3::Simulator::Run();
    return ns3::Simulator::GetEventCount();
  }
};

TEST_F(PointToPointLinkTest, DeliversWhenNs3sOwnDeviceWouldWithOneEventPerPacket) {
  uint64_t events[2];
  std::vector<int64_t> arrivals[2];
  for (int one_pass = 0; one_pass < 2; ++one_pass) {
    Link link(one_pass == 1, "10.1.1.0");
    link.BurstAt(1.0, 3);    // serialized one after the other
    link.BurstAt(1.5, 150);  // 1 on the wire and 100 queued: 49 dropped
    link.BurstAt(1.5005, 1);  // the queue is still full: dropped
    link.BurstAt(1.5015, 1);  // the first is off the wire: a place in the queue
    events[one_pass] = RunFor(3.0);
    arrivals[one_pass] = link.arrivals_ns;
    ns3::Simulator::Destroy();
  }
  ASSERT_EQ(arrivals[0].size(), 3u + 101u + 1u);
  EXPECT_EQ(arrivals[1], arrivals[0]);
  // 1000 B of payload + 28 of UDP/IP + 2 of PPP at 8 Mbit/s: 1.03 ms each, then 10 ms.
  EXPECT_EQ(arrivals[1][0], 1'000'000'000 + 1'030'000 + 10'000'000);
  EXPECT_EQ(arrivals[1][1] - arrivals[1][0], 1'030'000);
  EXPECT_EQ(events[0] - events[1], arrivals[0].size());  // no TransmitComplete per packet
}

TEST_F(PointToPointLinkTest, KeepsTheReceiveErrorModel) {
  Link link(true, "10.1.1.0");
  auto loss = ns3::CreateObject<ns3::RateErrorModel>();
  loss->SetAttribute("ErrorRate", ns3::DoubleValue(1.0));
  loss->SetAttribute("ErrorUnit", ns3::StringValue("ERROR_UNIT_PACKET"));
  link.devices.Get(1)->SetAttribute("ReceiveErrorModel", ns3::PointerValue(loss));
  link.BurstAt(1.0, 5);
  RunFor(2.0);
  EXPECT_TRUE(link.arrivals_ns.empty());
}

// A host that reads no ICMP errors has them dropped at its link; without the
// flag, the same port unreachable reaches the sending socket.
TEST_F(PointToPointLinkTest, DropsIcmpErrorsOnlyWhereAskedTo) {
  int reported[2] = {0, 0};
  uint64_t events[2];
  for (int discard = 0; discard < 2; ++discard) {
    Link link(true, "10.1.1.0");
    if (discard == 1) discard_icmp_errors(link.sender);
    int* count = &reported[discard];
    link.tx->SetAttribute("IcmpCallback",
                          ns3::CallbackValue(ns3::MakeCallback(
                              +[](int* n, ns3::Ipv4Address, uint8_t, uint8_t, uint8_t, uint32_t) { ++*n; })
                              .Bind(count)));
    ns3::Simulator::Schedule(ns3::Seconds(1.0), [&link] {
      link.tx->SendTo(ns3::Create<ns3::Packet>(kPayload), 0, ns3::InetSocketAddress(link.receiver_address, kPort + 1));
    });
    events[discard] = RunFor(2.0);
    ns3::Simulator::Destroy();
  }
  EXPECT_EQ(reported[0], 1);  // port unreachable, delivered
  EXPECT_EQ(reported[1], 0);  // dropped at the host's link
  EXPECT_EQ(events[0] - events[1], 1u);  // without even an arrival event
}

}  // namespace
}  // namespace yt::emulation
