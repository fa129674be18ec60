// The client core's batch API (docs/data-plane.md) end to end on the simulated
// network: send_ip_batch seals straight into a PacketBatch what send_ip_packet
// would have queued as SendDatagrams, and on_datagram_batch opens into one what
// on_datagram would have reported as PacketReceived events, with the same checks
// and counters. The test plays both drivers: it carries the batch by hand.
#include <gtest/gtest.h>

#include "client/core/ip_packet.h"
#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

class SimBatch : public ::testing::Test {
 protected:
  void SetUp() override {
    add_sim_server(net);
    alice = add(1, "alice");
    bob = add(2, "bob");
    ASSERT_TRUE(connect_pair(net, alice, bob));
    net.run_for(1s);
    va = *net.client(alice).virtual_ip();
    vb = *net.client(bob).virtual_ip();
    ka = net.client(alice).public_key();
    (void)net.client(alice).drain_outputs();
    (void)net.client(bob).drain_outputs();
  }
  std::size_t add(std::uint8_t n, const std::string& name) {
    ClientOptions options;
    options.name = name;
    options.address = address(n);
    options.config.ip_mode = true;
    return net.add_client(std::move(options));
  }
  static Endpoint address(std::uint8_t n) {
    return Endpoint{Ipv4::from_octets(203, 0, 113, n), static_cast<std::uint16_t>(40000 + n)};
  }
  static Bytes udp(Ipv4 src, Ipv4 dst, std::uint8_t tag, std::size_t size = 5) {
    Bytes payload(size, tag);
    return make_ipv4_packet(src, dst, kIpProtocolUdp, payload);
  }
  // Alice's batch, as her driver would send it, taken by Bob's driver in one batch.
  std::vector<ReceivedDatagram> as_received(const PacketBatch& sealed) {
    std::vector<ReceivedDatagram> in;
    for (std::size_t i = 0; i < sealed.size(); ++i) {
      EXPECT_EQ(sealed.entry(i).endpoint, address(2));
      in.push_back(ReceivedDatagram{address(1), sealed.bytes(i)});
    }
    return in;
  }

  FakeNetwork net;
  std::size_t alice = 0, bob = 0;
  Ipv4 va, vb;
  PublicKey ka{};
};

TEST_F(SimBatch, PacketsAreSealedIntoTheBatchAndOpenedIntoOne) {
  std::vector<Bytes> packets;
  for (std::uint8_t i = 0; i < 40; ++i) packets.push_back(udp(va, vb, i, 10 + i * 30));
  std::vector<ByteView> views(packets.begin(), packets.end());
  PacketBatch sealed;
  const Time now = net.now();
  net.client(alice).send_ip_batch(now, views, sealed);
  ASSERT_EQ(sealed.size(), packets.size());
  EXPECT_TRUE(net.client(alice).drain_outputs().empty());  // nothing went the general way
  EXPECT_EQ(net.client(alice).stats().ip_sent, packets.size());
  // Back to back, as UDP GSO wants them.
  for (std::size_t i = 1; i < sealed.size(); ++i) {
    EXPECT_EQ(sealed.entry(i).offset, sealed.entry(i - 1).offset + sealed.entry(i - 1).size);
  }

  PacketBatch opened(10);
  net.client(bob).on_datagram_batch(now, as_received(sealed), opened);
  ASSERT_EQ(opened.size(), packets.size());
  for (std::size_t i = 0; i < packets.size(); ++i) {
    EXPECT_EQ(opened.bytes(i).to_bytes(), packets[i]);
    EXPECT_EQ(opened.entry(i).peer, ka);
    EXPECT_GE(opened.entry(i).offset, 10u);
  }
  EXPECT_EQ(net.client(bob).stats().ip_delivered, packets.size());
  for (auto& out : net.client(bob).drain_outputs()) {
    auto* event = std::get_if<ClientEvent>(&out);
    EXPECT_FALSE(event && std::holds_alternative<PacketReceived>(*event));
  }

  // The same datagrams again are replays: counted, not delivered.
  PacketBatch again;
  net.client(bob).on_datagram_batch(now, as_received(sealed), again);
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(net.client(bob).stats().replayed, packets.size());
}

TEST_F(SimBatch, TheSealedBytesAreWhatTheGeneralPathAccepts) {
  // A batch-sealed datagram given to on_datagram (a driver without batching)
  // arrives as a PacketReceived event: one wire format.
  Bytes packet = udp(va, vb, 7);
  PacketBatch sealed;
  net.client(alice).send_ip_batch(net.now(), {ByteView(packet)}, sealed);
  ASSERT_EQ(sealed.size(), 1u);
  net.client(bob).on_datagram(net.now(), address(1), sealed.bytes(0));
  bool delivered = false;
  for (auto& out : net.client(bob).drain_outputs()) {
    if (auto* e = std::get_if<ClientEvent>(&out)) {
      if (auto* p = std::get_if<PacketReceived>(e)) delivered = p->packet == packet && p->peer == ka;
    }
  }
  EXPECT_TRUE(delivered);
}

TEST_F(SimBatch, RefusedAndBroadcastPacketsTakeTheGeneralWay) {
  Bytes spoofed = udp(Ipv4::from_octets(25, 9, 9, 9), vb, 1);
  Bytes nowhere = udp(va, Ipv4::from_octets(25, 1, 2, 3), 2);
  Bytes broadcast = udp(va, Ipv4::from_octets(255, 255, 255, 255), 3);
  Bytes garbage{1, 2, 3};
  PacketBatch sealed;
  net.client(alice).send_ip_batch(net.now(), {ByteView(spoofed), ByteView(nowhere), ByteView(broadcast), ByteView(garbage)},
                                  sealed);
  EXPECT_TRUE(sealed.empty());
  const ClientStats& st = net.client(alice).stats();
  EXPECT_EQ(st.ip_bad_source, 1u);
  EXPECT_EQ(st.ip_no_route, 1u);
  EXPECT_EQ(st.ip_malformed + st.ip_unsupported, 1u);  // the garbage
  std::size_t datagrams = 0;
  for (auto& out : net.client(alice).drain_outputs()) datagrams += std::holds_alternative<SendDatagram>(out);
  EXPECT_EQ(datagrams, 1u);  // the broadcast, to Bob
}

TEST_F(SimBatch, ReceivedGarbageAndOtherDatagramsAreHandledAsOnDatagram) {
  Bytes packet = udp(va, vb, 9);
  PacketBatch sealed;
  net.client(alice).send_ip_batch(net.now(), {ByteView(packet)}, sealed);
  ASSERT_EQ(sealed.size(), 1u);
  Bytes tampered = sealed.bytes(0).to_bytes();
  tampered.back() ^= 1;
  Bytes short_data{kProtocolVersion, 7, 0, 0, 0, 1, 0};
  Bytes empty;
  Bytes unknown_index = sealed.bytes(0).to_bytes();
  unknown_index[2] ^= 0x80;
  std::vector<ReceivedDatagram> in{{address(1), ByteView(empty)},
                                   {address(1), ByteView(short_data)},
                                   {address(1), ByteView(tampered)},
                                   {address(1), ByteView(unknown_index)},
                                   {address(1), sealed.bytes(0)}};
  PacketBatch opened(10);
  const std::uint64_t malformed_before = net.client(bob).stats().malformed_datagrams;
  net.client(bob).on_datagram_batch(net.now(), in, opened);
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened.bytes(0).to_bytes(), packet);
  const ClientStats& st = net.client(bob).stats();
  EXPECT_EQ(st.auth_failures, 1u);
  EXPECT_GE(st.unknown_session, 1u);
  EXPECT_GE(st.malformed_datagrams, malformed_before + 1);
}

TEST_F(SimBatch, NonPacketPayloadsInABatchGoThroughTheTunnel) {
  // A chat among the datagrams is not an IP packet: it becomes its event, as with
  // on_datagram, and the batch stays empty.
  ASSERT_TRUE(net.client(alice).send_chat(net.now(), net.client(bob).public_key(), "hello"));
  std::vector<Bytes> datagrams;
  for (auto& out : net.client(alice).drain_outputs()) {
    if (auto* d = std::get_if<SendDatagram>(&out)) datagrams.push_back(d->payload);
  }
  ASSERT_EQ(datagrams.size(), 1u);
  PacketBatch opened(10);
  net.client(bob).on_datagram_batch(net.now(), {ReceivedDatagram{address(1), ByteView(datagrams[0])}}, opened);
  EXPECT_TRUE(opened.empty());
  bool chat = false;
  for (auto& out : net.client(bob).drain_outputs()) {
    if (auto* e = std::get_if<ClientEvent>(&out)) chat = chat || std::holds_alternative<ChatReceived>(*e);
  }
  EXPECT_TRUE(chat);
}

}  // namespace
}  // namespace yt::sim
