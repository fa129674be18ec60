// A link whose sender defers to LinkWindows delivers exactly what it would have
// delivered at once (same arrival times, same drops at a full queue), whichever
// partition's process entered the packets; what crosses between partitions
// survives its bytes; malformed bytes are refused.
#include "emulation/link_windows.h"

#include <gtest/gtest.h>
#include <ns3/core-module.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/traffic-control-helper.h>
#include <ns3/udp-socket-factory.h>

#include <vector>

#include "emulation/point_to_point_link.h"

namespace yt::emulation {
namespace {

constexpr uint16_t kPort = 4000;

struct Link {
  ns3::Ptr<ns3::Node> sender = ns3::CreateObject<ns3::Node>();
  ns3::Ptr<ns3::Node> receiver = ns3::CreateObject<ns3::Node>();
  ns3::NetDeviceContainer devices;
  ns3::Ipv4Address receiver_address;
  std::vector<int64_t> arrivals_ns;
  std::vector<uint32_t> sizes;
  ns3::Ptr<ns3::Socket> tx;

  explicit Link(const char* network) {
    ns3::InternetStackHelper stack;
    stack.SetIpv6StackInstall(false);
    stack.Install(sender);
    stack.Install(receiver);
    devices = install_point_to_point(sender, receiver, "8Mbps", ns3::MilliSeconds(10));
    ns3::Ipv4AddressHelper addresses;
    addresses.SetBase(network, "255.255.255.252");
    receiver_address = addresses.Assign(devices).GetAddress(1);
    ns3::TrafficControlHelper().Uninstall(devices);
    ns3::Ptr<ns3::Socket> rx = ns3::Socket::CreateSocket(receiver, ns3::UdpSocketFactory::GetTypeId());
    rx->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), kPort));
    rx->SetRecvCallback(ns3::MakeCallback(&Link::Receive, this));
    tx = ns3::Socket::CreateSocket(sender, ns3::UdpSocketFactory::GetTypeId());
    tx->Bind();
  }
  OnePassPointToPointDevice* SenderDevice() {
    return ns3::PeekPointer(ns3::DynamicCast<OnePassPointToPointDevice>(devices.Get(0)));
  }
  void Receive(ns3::Ptr<ns3::Socket> socket) {
    while (ns3::Ptr<ns3::Packet> p = socket->Recv()) {
      arrivals_ns.push_back(ns3::Simulator::Now().GetNanoSeconds());
      sizes.push_back(p->GetSize());
    }
  }
  // `count` datagrams of growing size handed to the socket at once, at `at` seconds.
  void BurstAt(double at, int count) {
    ns3::Simulator::Schedule(ns3::Seconds(at), [this, count] {
      for (int i = 0; i < count; ++i) {
        tx->SendTo(ns3::Create<ns3::Packet>(100 + i), 0, ns3::InetSocketAddress(receiver_address, kPort));
      }
    });
  }
};

struct Arrivals {
  std::vector<int64_t> a_ns, b_ns;
  std::vector<uint32_t> a_sizes, b_sizes;
};

// Two links, each with two bursts (the first overflows the 100-packet queue),
// run at once or in windows of 5 ms (half the links' delay), each window's
// packets transmitted at the end of the next. In windows, link b belongs to
// partition 1: its packets go through TakeOthers' bytes, as to another process.
Arrivals RunLinks(bool windowed) {
  Link a("10.1.1.0");
  Link b("10.1.2.0");
  a.BurstAt(1.0, 150);
  b.BurstAt(1.0, 40);
  a.BurstAt(1.2031, 20);
  b.BurstAt(1.2, 20);
  LinkWindows windows;
  if (windowed) {
    EXPECT_EQ(windows.Add(a.SenderDevice(), 0), 0u);
    EXPECT_EQ(windows.Add(b.SenderDevice(), 1), 1u);
    EXPECT_EQ(windows.Lookahead(), ns3::MilliSeconds(10));
  }
  const ns3::Time end = ns3::Seconds(2);
  ns3::Simulator::Stop(end);
  if (!windowed) {
    ns3::Simulator::Run();
  } else {
    const ns3::Time step = ns3::MilliSeconds(5);
    for (ns3::Time t; t < end; t += step) {
      if (t + step < end) ns3::Simulator::Stop(step);
      ns3::Simulator::Run();
      const std::string for_partition_1 = windows.TakeOthers(0);
      EXPECT_EQ(windows.TakeOthers(0), "");  // taken already
      EXPECT_TRUE(windows.Receive(1, for_partition_1));
      if (windows.window() > 0) {
        windows.TransmitThrough(0, windows.window() - 1);
        windows.TransmitThrough(1, windows.window() - 1);
      }
      windows.NextWindow();
    }
  }
  Arrivals out{a.arrivals_ns, b.arrivals_ns, a.sizes, b.sizes};
  ns3::Simulator::Destroy();
  return out;
}

TEST(LinkWindowsTest, DeliversWhatTheLinkDeliversAtOnce) {
  const Arrivals at_once = RunLinks(false);
  const Arrivals windowed = RunLinks(true);
  ASSERT_EQ(at_once.a_ns.size(), 101u + 20u);  // one on the wire, 100 queued, then the second burst
  ASSERT_EQ(at_once.b_ns.size(), 60u);
  EXPECT_EQ(windowed.a_ns, at_once.a_ns);
  EXPECT_EQ(windowed.b_ns, at_once.b_ns);
  EXPECT_EQ(windowed.a_sizes, at_once.a_sizes);
  EXPECT_EQ(windowed.b_sizes, at_once.b_sizes);
}

TEST(LinkWindowsTest, RefusesMalformedBytesAndLinksItDoesNotOwn) {
  Link a("10.1.3.0");
  LinkWindows windows;
  windows.Add(a.SenderDevice(), 1);
  EXPECT_FALSE(windows.Receive(1, "garbage"));
  // A well-formed entry for a link partition 0 does not own.
  a.tx->SendTo(ns3::Create<ns3::Packet>(10), 0, ns3::InetSocketAddress(a.receiver_address, kPort));
  const std::string bytes = windows.TakeOthers(0);
  ASSERT_FALSE(bytes.empty());
  EXPECT_FALSE(windows.Receive(0, bytes));
  EXPECT_FALSE(windows.Receive(1, bytes.substr(0, bytes.size() - 1)));  // cut short
  EXPECT_FALSE(windows.Receive(1, bytes + "x"));                        // trailing bytes
  // Nothing of the refused bytes was kept: the whole entry arrives once.
  EXPECT_TRUE(windows.Receive(1, bytes));
  windows.TransmitThrough(1, 0);
  ns3::Simulator::Run();
  EXPECT_EQ(a.arrivals_ns.size(), 1u);
  ns3::Simulator::Destroy();
}

}  // namespace
}  // namespace yt::emulation
