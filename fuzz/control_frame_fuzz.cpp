// The control stream's frames and, on the same bytes, the sealed plaintext codec
// (protocol/messages.h). Besides "never crash", a decoded value must re-encode to
// exactly the input: the wire format has one encoding per value, so a difference is
// a codec asymmetry (a field the decoder accepts but the encoder cannot write back).
#include "fuzz/fuzz_support.h"

using namespace yt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in = fuzz::view(data, size);

  if (auto frame = decode_control_frame(in); frame.ok()) {
    Bytes again = encode_control_frame(*frame);
    FUZZ_CHECK(again == in.to_bytes());
    auto redecoded = decode_control_frame(again);
    FUZZ_CHECK(redecoded.ok());
    FUZZ_CHECK(redecoded->type == frame->type);
    FUZZ_CHECK(redecoded->body == frame->body);
    if (frame->type == ControlFrameType::kHandshakeReject) {
      FUZZ_CHECK(redecoded->reject_reason == frame->reject_reason);
      FUZZ_CHECK(redecoded->reject_text == frame->reject_text);
    } else if (frame->type == ControlFrameType::kTcpMapping) {
      // A token and nothing else (a TCP punch's mapping connection).
      FUZZ_CHECK(redecoded->token == frame->token);
      FUZZ_CHECK(frame->body.empty());
    } else {
      FUZZ_CHECK(!frame->body.empty());
    }
  }

  if (auto message = decode_control(in); message.ok()) {
    Bytes again = encode_control(*message);
    FUZZ_CHECK(again == in.to_bytes());
    auto redecoded = decode_control(again);
    FUZZ_CHECK(redecoded.ok());
    FUZZ_CHECK(redecoded->index() == message->index());
    FUZZ_CHECK(encode_control(*redecoded) == again);
  }
  return 0;
}
