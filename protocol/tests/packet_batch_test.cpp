#include "protocol/packet_batch.h"

#include <gtest/gtest.h>

#include "protocol/messages.h"
#include "protocol/peer_data_view.h"

namespace yt {
namespace {

void add(PacketBatch& batch, const Bytes& bytes, std::size_t skip = 0) {
  std::uint8_t* p = batch.begin_entry(bytes.size() + skip);
  std::copy(bytes.begin(), bytes.end(), p + skip);
  batch.commit_entry(skip, bytes.size(), Endpoint{Ipv4{1}, 2});
}

TEST(PacketBatch, EntriesLieBackToBackAndSurviveGrowth) {
  PacketBatch batch;
  std::vector<Bytes> added;
  for (std::size_t i = 0; i < 100; ++i) {
    added.push_back(Bytes(1000 + i * 37, static_cast<std::uint8_t>(i)));
    add(batch, added.back());
  }
  ASSERT_EQ(batch.size(), 100u);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(batch.bytes(i).to_bytes(), added[i]);
    if (i > 0) {
      EXPECT_EQ(batch.entry(i).offset, batch.entry(i - 1).offset + batch.entry(i - 1).size);
    }
  }
  batch.clear();
  EXPECT_TRUE(batch.empty());
  add(batch, Bytes{9});
  EXPECT_EQ(batch.entry(0).offset, 0u);
}

TEST(PacketBatch, HeadroomAndSkipLeaveRoomInFrontOfEachEntry) {
  PacketBatch batch(10);
  add(batch, Bytes(5, 1), 1);
  add(batch, Bytes(7, 2), 1);
  EXPECT_EQ(batch.entry(0).offset, 11u);
  EXPECT_EQ(batch.entry(1).offset, 11u + 5 + 11);
  EXPECT_EQ(batch.bytes(1).to_bytes(), Bytes(7, 2));
  // A begun entry that is never committed adds nothing.
  (void)batch.begin_entry(100);
  EXPECT_EQ(batch.size(), 2u);
}

TEST(PeerDataView, ReadsWhatEncodeDatagramWritesAndWritesWhatItReads) {
  Bytes encoded = encode_datagram(PeerData{0x01020304, Bytes{7, 8, 9}});
  auto view = peek_peer_data(encoded);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->receiver_index, 0x01020304u);
  EXPECT_EQ(view->sealed.to_bytes(), (Bytes{7, 8, 9}));
  std::uint8_t header[kPeerDataHeaderSize];
  write_peer_data_header(header, 0x01020304);
  EXPECT_TRUE(std::equal(header, header + kPeerDataHeaderSize, encoded.begin()));

  EXPECT_FALSE(peek_peer_data(ByteView(encoded.data(), kPeerDataHeaderSize)));  // nothing sealed
  EXPECT_FALSE(peek_peer_data(ByteView()));
  Bytes other = encode_datagram(PunchProbe{1, 2});
  EXPECT_FALSE(peek_peer_data(other));
  encoded[0] = 2;  // another version
  EXPECT_FALSE(peek_peer_data(encoded));
}

}  // namespace
}  // namespace yt
