// Messages between servers that share a database (server/core/federation.h): the
// bytes come back from PostgreSQL, which a server trusts no more than the network.
// Decoding never crashes or over-allocates; what decodes re-encodes to bytes that
// decode to the same encoding again (an unset optional's endpoint bytes are not
// kept, so the first encoding may differ from the input).
#include "fuzz/fuzz_support.h"
#include "server/core/federation.h"

using namespace yt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto message = decode_federation(fuzz::view(data, size));
  if (!message.ok()) return 0;
  const Bytes again = encode_federation(*message);
  auto redecoded = decode_federation(again);
  FUZZ_CHECK(redecoded.ok());
  FUZZ_CHECK(redecoded->index() == message->index());
  FUZZ_CHECK(encode_federation(*redecoded) == again);
  return 0;
}
