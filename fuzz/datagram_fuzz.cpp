// UDP datagrams and peer payload plaintexts (protocol/messages.h), with the same
// exact round trip as control_frame_fuzz: one encoding per value.
#include "fuzz/fuzz_support.h"

using namespace yt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in = fuzz::view(data, size);

  if (auto datagram = decode_datagram(in); datagram.ok()) {
    Bytes again = encode_datagram(*datagram);
    FUZZ_CHECK(again == in.to_bytes());
    auto redecoded = decode_datagram(again);
    FUZZ_CHECK(redecoded.ok());
    FUZZ_CHECK(redecoded->index() == datagram->index());
    FUZZ_CHECK(encode_datagram(*redecoded) == again);
  }

  if (auto payload = decode_peer_payload(in); payload.ok()) {
    Bytes again = encode_peer_payload(*payload);
    FUZZ_CHECK(again == in.to_bytes());
    auto redecoded = decode_peer_payload(again);
    FUZZ_CHECK(redecoded.ok());
    FUZZ_CHECK(redecoded->type == payload->type);
    FUZZ_CHECK(redecoded->body == payload->body);
    FUZZ_CHECK(redecoded->network == payload->network);
    FUZZ_CHECK(redecoded->nonce == payload->nonce);
    if (payload->type == PeerPayloadType::kChat) FUZZ_CHECK(payload->body.size() <= kMaxChatLength);
  }
  return 0;
}
