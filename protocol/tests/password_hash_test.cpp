#include "protocol/password_hash.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace yt {
namespace {

std::string hash(std::string_view password, std::uint64_t seed = 1) {
  SeededRandom rng(seed);
  auto r = hash_password(password, rng, PwhashStrength::minimum());
  EXPECT_TRUE(r.ok());
  return r.ok() ? r.value() : std::string();
}

// Field i (0 = prefix) of an encoding.
std::string field(const std::string& encoded, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = encoded.find('$', start) + 1;
  std::size_t end = encoded.find('$', start);
  return encoded.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

TEST(PasswordHashTest, VerifiesCorrectPassword) {
  std::string encoded = hash("correct horse");
  EXPECT_TRUE(verify_password("correct horse", encoded));
}

TEST(PasswordHashTest, RejectsWrongPassword) {
  std::string encoded = hash("correct horse");
  EXPECT_FALSE(verify_password("correct horsf", encoded));
  EXPECT_FALSE(verify_password("", encoded));
  EXPECT_FALSE(verify_password("correct horse ", encoded));
}

TEST(PasswordHashTest, EmptyAndBinaryPasswordsWork) {
  EXPECT_TRUE(verify_password("", hash("")));
  std::string binary("a\0b", 3);
  std::string encoded = hash(binary);
  EXPECT_TRUE(verify_password(binary, encoded));
  EXPECT_FALSE(verify_password("a", encoded));
}

TEST(PasswordHashTest, SaltComesFromInjectedRandomness) {
  EXPECT_EQ(hash("pw", 5), hash("pw", 5));
  EXPECT_NE(hash("pw", 5), hash("pw", 6));
}

TEST(PasswordHashTest, FixedEncoding) {
  // Pins the stored format; SeededRandom(1) supplies the salt.
  std::string encoded = hash("password");
  EXPECT_EQ(field(encoded, 0), "yt-argon2id");
  EXPECT_EQ(field(encoded, 1), "1");
  EXPECT_EQ(field(encoded, 2), "8192");
  EXPECT_EQ(field(encoded, 3).size(), 32u);
  EXPECT_EQ(field(encoded, 4).size(), 64u);
  // Cross-checked with cryptography's Argon2id (t=1, m=8 KiB, p=1, 32-byte output).
  EXPECT_EQ(encoded,
            "yt-argon2id$1$8192$1276eeac0bf4abf9a39d8b21c16a813c$"
            "c4be39b86055a7f71148d03b76ba9fb876b977636540437288d923a7b565043d");
}

TEST(PasswordHashTest, TamperedSaltOrHashRejected) {
  std::string encoded = hash("pw");
  std::size_t salt_at = encoded.find('$', std::string("yt-argon2id$1$8192").size()) + 1;
  std::string bad_salt = encoded;
  bad_salt[salt_at] = bad_salt[salt_at] == '0' ? '1' : '0';
  EXPECT_FALSE(verify_password("pw", bad_salt));

  std::string bad_hash = encoded;
  bad_hash.back() = bad_hash.back() == '0' ? '1' : '0';
  EXPECT_FALSE(verify_password("pw", bad_hash));

  // Same params re-encoded with a different (valid) ops count no longer matches.
  std::string other_ops = encoded;
  other_ops.replace(std::string("yt-argon2id$").size(), 1, "2");
  EXPECT_FALSE(verify_password("pw", other_ops));
}

TEST(PasswordHashTest, MalformedEncodingsRejected) {
  std::string good = hash("pw");
  ASSERT_TRUE(verify_password("pw", good));
  std::string salt = field(good, 3), digest = field(good, 4);
  std::string upper_salt = salt;
  for (char& c : upper_salt) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));

  const std::string bad[] = {
      "",
      "yt-argon2id",
      "yt-argon2id$",
      "yt-argon2id$1$8192$" + salt,
      "yt-argon2id$1$8192$" + salt + "$",
      "yt-argon2i$1$8192$" + salt + "$" + digest,
      "YT-ARGON2ID$1$8192$" + salt + "$" + digest,
      "yt-argon2id$01$8192$" + salt + "$" + digest,     // non-canonical number
      "yt-argon2id$+1$8192$" + salt + "$" + digest,
      "yt-argon2id$1$8192 $" + salt + "$" + digest,
      "yt-argon2id$$8192$" + salt + "$" + digest,
      "yt-argon2id$1$8192$" + upper_salt + "$" + digest,  // non-canonical hex
      "yt-argon2id$1$8192$" + salt.substr(2) + "$" + digest,
      "yt-argon2id$1$8192$" + salt + "$" + digest.substr(2),
      "yt-argon2id$1$8192$" + salt + "$" + digest + "00",
      good + "$",
      good + "\n",
      "yt-argon2id$1$8192$" + salt + "$" + digest + "$extra",
      "yt-argon2id$18446744073709551616$8192$" + salt + "$" + digest,  // 2^64
  };
  for (const std::string& s : bad) EXPECT_FALSE(verify_password("pw", s)) << s;
}

TEST(PasswordHashTest, OutOfRangeParametersRejectedWithoutHashing) {
  std::string good = hash("pw");
  std::string tail = "$" + field(good, 3) + "$" + field(good, 4);
  // If these were honoured they would take terabytes or hours; the test finishing
  // quickly is part of the assertion.
  EXPECT_FALSE(verify_password("pw", "yt-argon2id$1$1099511627776" + tail));  // 1 TiB
  EXPECT_FALSE(verify_password("pw", "yt-argon2id$4294967295$8192" + tail));
  EXPECT_FALSE(verify_password("pw", "yt-argon2id$0$8192" + tail));           // below floor
  EXPECT_FALSE(verify_password("pw", "yt-argon2id$1$1024" + tail));           // below floor
  EXPECT_FALSE(verify_password("pw", "yt-argon2id$1$8193" + tail));           // not whole KiB
}

TEST(PasswordHashTest, HashRefusesOutOfRangeStrength) {
  SeededRandom rng(1);
  auto too_big = hash_password("pw", rng, {kPwhashMaxOpsLimit, kPwhashMaxMemLimit + 1024});
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error(), PasswordHashError::kStrengthOutOfRange);
  auto too_small = hash_password("pw", rng, {0, PwhashStrength::minimum().memlimit});
  ASSERT_FALSE(too_small.ok());
  EXPECT_EQ(too_small.error(), PasswordHashError::kStrengthOutOfRange);
}

TEST(PasswordHashTest, InteractivePresetIsWithinCeilings) {
  PwhashStrength s = PwhashStrength::interactive();
  EXPECT_EQ(s.opslimit, 2u);
  EXPECT_EQ(s.memlimit, std::size_t{64} << 20);
  EXPECT_LE(s.opslimit, kPwhashMaxOpsLimit);
  EXPECT_LE(s.memlimit, kPwhashMaxMemLimit);
}

}  // namespace
}  // namespace yt
