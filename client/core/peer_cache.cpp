#include "client/core/peer_cache.h"

#include <sodium.h>

#include <algorithm>

#include "protocol/wire.h"

namespace yt {
namespace {

constexpr char kMagic[] = "ytpc";
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kTagSize = 32;
constexpr std::size_t kMaxPaths = 4096;

std::array<std::uint8_t, 32> cache_key(const Identity& identity) {
  // A key of its own, so the tag says nothing about the secret key itself.
  static constexpr char kLabel[] = "yellowtail peer cache v1";
  std::array<std::uint8_t, 32> key{};
  crypto_generichash(key.data(), key.size(), reinterpret_cast<const unsigned char*>(kLabel), sizeof kLabel - 1,
                     identity.secret_key.data(), identity.secret_key.size());
  return key;
}

std::array<std::uint8_t, kTagSize> tag_of(ByteView body, const Identity& identity) {
  const auto key = cache_key(identity);
  std::array<std::uint8_t, kTagSize> tag{};
  crypto_generichash(tag.data(), tag.size(), body.data(), body.size(), key.data(), key.size());
  return tag;
}

}  // namespace

Bytes encode_peer_cache(const PeerCache& cache, const Identity& identity) {
  WireWriter w;
  w.raw(as_bytes(std::string_view(kMagic, 4)));
  w.u8(kVersion);
  w.fixed(identity.public_key);
  w.u32(cache.virtual_ip.value);
  w.u8(cache.prefix_length);
  Bytes networks = encode_control(cache.networks);
  w.u32(static_cast<std::uint32_t>(networks.size()));
  w.raw(networks);
  const std::size_t paths = std::min(cache.direct.size(), kMaxPaths);
  w.u16(static_cast<std::uint16_t>(paths));
  for (std::size_t i = 0; i < paths; ++i) {
    w.fixed(cache.direct[i].peer);
    w.endpoint(cache.direct[i].endpoint);
  }
  Bytes body = w.take();
  const auto tag = tag_of(body, identity);
  body.insert(body.end(), tag.begin(), tag.end());
  return body;
}

Result<PeerCache, std::string> decode_peer_cache(ByteView blob, const Identity& identity) {
  if (blob.size() < 4 + 1 + kTagSize) return Err{std::string("too short to be a peer cache")};
  const ByteView body = blob.subview(0, blob.size() - kTagSize);
  const auto expected = tag_of(body, identity);
  if (sodium_memcmp(expected.data(), blob.data() + body.size(), kTagSize) != 0) {
    return Err{std::string("it does not authenticate under our key (changed, or another identity's)")};
  }
  WireReader r(body);
  ByteView magic = r.raw(4);
  if (magic.size() != 4 || std::string_view(reinterpret_cast<const char*>(magic.data()), 4) != "ytpc") {
    return Err{std::string("not a peer cache")};
  }
  if (r.u8() != kVersion) return Err{std::string("a peer cache of another version")};
  if (r.fixed<kKeySize>() != identity.public_key) return Err{std::string("the cache of another identity")};
  PeerCache cache;
  cache.virtual_ip.value = r.u32();
  cache.prefix_length = r.u8();
  const std::uint32_t size = r.u32();
  if (size > r.remaining()) return Err{std::string("truncated")};
  auto decoded = decode_control(r.raw(size));
  if (!decoded) return Err{std::string("its network list does not decode")};
  auto* snapshot = std::get_if<NetworkSnapshot>(&decoded.value());
  if (!snapshot) return Err{std::string("its network list is not one")};
  cache.networks = std::move(*snapshot);
  const std::uint16_t paths = r.u16();
  for (std::uint16_t i = 0; i < paths && !r.failed(); ++i) {
    PeerCache::Path p;
    p.peer = r.fixed<kKeySize>();
    p.endpoint = r.endpoint();
    cache.direct.push_back(p);
  }
  if (!r.done() || cache.prefix_length > 32) return Err{std::string("malformed")};
  return cache;
}

std::uint64_t resume_tunnel_id(const PublicKey& a, const PublicKey& b) {
  const PublicKey& low = std::min(a, b);
  const PublicKey& high = std::max(a, b);
  static constexpr char kLabel[] = "yellowtail resume";
  crypto_generichash_state st;
  std::array<std::uint8_t, 16> out{};
  crypto_generichash_init(&st, nullptr, 0, out.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kLabel), sizeof kLabel - 1);
  crypto_generichash_update(&st, low.data(), low.size());
  crypto_generichash_update(&st, high.data(), high.size());
  crypto_generichash_final(&st, out.data(), out.size());
  std::uint64_t id = 0;
  for (int i = 0; i < 8; ++i) id = id << 8 | out[i];
  return id;
}

}  // namespace yt
