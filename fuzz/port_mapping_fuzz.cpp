// PCP and NAT-PMP (protocol/port_mapping_wire.h) as a gateway's answers reach a
// client and as requests reach the modeled gateway (nat-models/port_mapping_service.h):
// decoders never read past the end, a decoded value encodes to bytes that decode to
// the same value, and the service answers anything without crashing.
#include "fuzz/fuzz_support.h"
#include "nat-models/nat_profiles.h"
#include "nat-models/port_mapping_service.h"
#include "protocol/port_mapping_wire.h"

using namespace yt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in = fuzz::view(data, size);

  if (auto r = decode_pcp_map_response(in); r.ok()) {
    auto again = decode_pcp_map_response(encode_pcp_map_response(*r));
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->nonce == r->nonce && again->external == r->external && again->result == r->result);
  }
  if (auto r = decode_pcp_map_request(in); r.ok()) {
    auto again = decode_pcp_map_request(encode_pcp_map_request(*r));
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->nonce == r->nonce && again->client == r->client && again->lifetime_s == r->lifetime_s &&
               again->protocol == r->protocol);
  }
  if (auto r = decode_nat_pmp_response(in); r.ok()) {
    auto again = decode_nat_pmp_response(encode_nat_pmp_response(*r));
    FUZZ_CHECK(again.ok() && again->index() == r->index());
  }
  if (auto r = decode_nat_pmp_request(in); r.ok()) {
    // Not byte for byte: a map request's reserved field is ignored on reception
    // (RFC 6886 3.3) and written as zero.
    auto again = decode_nat_pmp_request(encode_nat_pmp_request(*r));
    FUZZ_CHECK(again.ok() && again->index() == r->index());
    if (auto* m = std::get_if<NatPmpMapRequest>(&*r)) {
      auto* m2 = std::get_if<NatPmpMapRequest>(&*again);
      FUZZ_CHECK(m2->internal_port == m->internal_port && m2->suggested_port == m->suggested_port &&
                 m2->lifetime_s == m->lifetime_s && m2->tcp == m->tcp);
    }
  }

  // The modeled gateway, answering both protocols, with its first byte's worth of state.
  SeededRandom rng(1, 1);
  nat::NatConfig config = *nat::profile("home-router-pcp");
  nat::NatModel model(config, {*Ipv4::parse("203.0.113.1")}, rng);
  const Endpoint host = *Endpoint::parse("192.168.1.10:4000");
  if (auto answer = nat::answer_port_mapping(model, Time{}, host, in)) {
    FUZZ_CHECK(!answer->empty() && answer->size() <= kPcpMaxSize);
  }
  return 0;
}
