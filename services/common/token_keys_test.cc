#include "services/common/token_keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/common/file_util.h"
#include "services/common/token.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::carebridge::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1780000000);
constexpr absl::Duration kOverlap = absl::Hours(12);

std::vector<std::string> Kids(const TokenKeySet& set) {
  std::vector<std::string> kids;
  for (const auto& [kid, key] : set.trusted) kids.push_back(kid);
  return kids;
}

std::vector<std::string> PemFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".pem") {
      files.push_back(entry.path().stem().string());
    }
  }
  return files;
}

Principal Lead(absl::Time expire_time) {
  Principal p;
  p.subject = "members/m1";
  p.team = "teams/cmht";
  p.role = Role::kTeamLead;
  p.expire_time = expire_time;
  return p;
}

TEST(TokenKeyTest, SignsAndVerifies) {
  std::unique_ptr<TokenKey> key = TokenKey::Generate("k1", kNow);
  std::string signature = key->Sign("data");
  EXPECT_EQ(signature.size(), 64u);
  EXPECT_TRUE(key->Verify("data", signature));
  EXPECT_FALSE(key->Verify("date", signature));
  EXPECT_FALSE(key->Verify("data", signature.substr(1)));
  EXPECT_FALSE(TokenKey::Generate("k2", kNow)->Verify("data", signature));
}

TEST(TokenKeyTest, PemAndPublicBytesRoundTrip) {
  std::unique_ptr<TokenKey> key = TokenKey::Generate("k1", kNow);
  absl::StatusOr<std::unique_ptr<TokenKey>> reread =
      TokenKey::FromPrivatePem("k1", kNow, key->PrivatePem());
  ASSERT_THAT(reread, IsOk());
  EXPECT_EQ((*reread)->public_bytes(), key->public_bytes());
  EXPECT_TRUE((*reread)->Verify("data", key->Sign("data")));
  absl::StatusOr<std::unique_ptr<TokenKey>> public_only =
      TokenKey::FromPublicBytes("k1", key->public_bytes());
  ASSERT_THAT(public_only, IsOk());
  EXPECT_FALSE((*public_only)->has_private());
  EXPECT_EQ((*public_only)->Sign("data"), "");
  EXPECT_EQ((*public_only)->PrivatePem(), "");
  EXPECT_TRUE((*public_only)->Verify("data", key->Sign("data")));
  EXPECT_THAT(TokenKey::FromPublicBytes("k1", "short"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("32 bytes, not 5")));
  EXPECT_THAT(TokenKey::FromPrivatePem("k1", kNow, "not a pem"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not an Ed25519 private key")));
}

TEST(TokenKeyTest, TheSameSeedMakesTheSameKeyAndKid) {
  EXPECT_EQ(TokenKey::FromSeed("a")->kid(), TokenKey::FromSeed("a")->kid());
  EXPECT_EQ(TokenKey::FromSeed("a")->public_bytes(),
            TokenKey::FromSeed("a")->public_bytes());
  EXPECT_NE(TokenKey::FromSeed("a")->kid(), TokenKey::FromSeed("b")->kid());
}

TEST(JwksTest, RoundTripsThePublicHalves) {
  auto set = std::make_shared<TokenKeySet>();
  set->signing = TokenKey::Generate("20261206T000000Z-aa", kNow);
  set->trusted[set->signing->kid()] = set->signing;
  std::shared_ptr<const TokenKey> older =
      TokenKey::Generate("20261106T000000Z-bb", kNow);
  set->trusted[older->kid()] = older;
  std::string jwks = set->ToJwks();
  EXPECT_THAT(jwks, HasSubstr(R"("kty":"OKP","crv":"Ed25519")"));
  EXPECT_THAT(jwks, ::testing::Not(HasSubstr("\"d\"")));  // no private part
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> parsed = ParseJwks(jwks);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ((*parsed)->signing, nullptr);
  EXPECT_THAT(Kids(**parsed), UnorderedElementsAre("20261206T000000Z-aa",
                                                   "20261106T000000Z-bb"));
  EXPECT_EQ((*parsed)->trusted.at(older->kid())->public_bytes(),
            older->public_bytes());
}

TEST(JwksTest, AnythingButEd25519SigningKeysIsRefusedByName) {
  std::string x = absl::WebSafeBase64Escape(std::string(32, 'x'));
  const struct {
    std::string json;
    std::string message;
  } cases[] = {
      {"not json", "not a JSON object"},
      {R"({"keys":{}})", "no `keys` list"},
      {R"({"keys":[7]})", "keys[0] is not an object"},
      {R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":")" + x + R"("}]})",
       "keys[0].kid"},
      {R"({"keys":[{"kid":"a b","kty":"OKP","crv":"Ed25519","x":")" + x +
           R"("}]})",
       "keys[0].kid"},
      {R"({"keys":[{"kid":"r1","kty":"RSA","n":"AQAB","e":"AQAB"}]})",
       "keys[0] (r1) is not an Ed25519 key"},
      {R"({"keys":[{"kid":"k","kty":"OKP","crv":"X25519","x":")" + x +
           R"("}]})",
       "not an Ed25519 key"},
      {R"({"keys":[{"kid":"k","kty":"OKP","crv":"Ed25519","alg":"RS256",)"
       R"("x":")" +
           x + R"("}]})",
       "has alg RS256"},
      {R"({"keys":[{"kid":"k","kty":"OKP","crv":"Ed25519","use":"enc",)"
       R"("x":")" +
           x + R"("}]})",
       "is for enc"},
      {R"({"keys":[{"kid":"k","kty":"OKP","crv":"Ed25519","x":"!!"}]})",
       "x is not base64url"},
      {R"({"keys":[{"kid":"k","kty":"OKP","crv":"Ed25519","x":"AAAA"}]})",
       "32 bytes"},
      {R"({"keys":[{"kid":"k","kty":"OKP","crv":"Ed25519","x":")" + x +
           R"("},{"kid":"k","kty":"OKP","crv":"Ed25519","x":")" + x + R"("}]})",
       "kid k appears twice"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(ParseJwks(c.json), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr(c.message)))
        << c.json;
  }
}

TEST(TokenKeyDirectoryTest, FirstLoadMakesOnePrivateKeyAndPublishesIt) {
  TempDir dir;
  TokenKeyDirectory keys(dir.File("keys"), kOverlap);
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> first = keys.Load(kNow);
  ASSERT_THAT(first, IsOk());
  ASSERT_NE((*first)->signing, nullptr);
  EXPECT_TRUE((*first)->signing->has_private());
  EXPECT_THAT((*first)->signing->kid(),
              ::testing::StartsWith(absl::FormatTime("%Y%m%dT%H%M%SZ", kNow,
                                                     absl::UTCTimeZone())));
  EXPECT_THAT(PemFiles(keys.dir()),
              UnorderedElementsAre((*first)->signing->kid()));
  struct stat st;
  ASSERT_EQ(stat(keys.dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(absl::StrCat(keys.dir(), "/", (*first)->signing->kid(), ".pem")
                     .c_str(),
                 &st),
            0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // The public key set holds the key, and a verifier built from it accepts
  // what the directory signs.
  absl::StatusOr<std::string> jwks = ReadFileToString(keys.JwksPath());
  ASSERT_THAT(jwks, IsOk());
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> published =
      ParseJwks(*jwks);
  ASSERT_THAT(published, IsOk());
  TokenSigner signer(*first);
  TokenSigner verifier(*published);
  EXPECT_THAT(verifier.Verify(signer.Sign(Lead(kNow + absl::Hours(1))), kNow),
              IsOk());
  // Loading again (a restart) finds the same key, makes no other.
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> again = keys.Load(kNow);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE((*again)->SameAs(**first));
  EXPECT_EQ(PemFiles(keys.dir()).size(), 1u);
}

// The rotation a security team asks for: the next key is published ahead,
// signs from its time, the old key verifies what it signed for the overlap,
// then is gone (file deleted, public key withdrawn, its tokens refused).
TEST(TokenKeyDirectoryTest, RotationOverlapsThenRetiresTheOldKey) {
  TempDir dir;
  TokenKeyDirectory keys(dir.File("keys"), kOverlap);
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> before = keys.Load(kNow);
  ASSERT_THAT(before, IsOk());
  const std::string old_kid = (*before)->signing->kid();
  TokenSigner signer(*before);
  const std::string old_token = signer.Sign(Lead(kNow + absl::Hours(12)));

  absl::StatusOr<std::string> next = keys.Rotate(kNow + absl::Hours(1));
  ASSERT_THAT(next, IsOk());
  EXPECT_GT(*next, old_kid);
  // Published ahead, not yet signing.
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> published =
      keys.Load(kNow + absl::Minutes(30));
  ASSERT_THAT(published, IsOk());
  EXPECT_EQ((*published)->signing->kid(), old_kid);
  EXPECT_THAT(Kids(**published), UnorderedElementsAre(old_kid, *next));
  EXPECT_THAT(*ReadFileToString(keys.JwksPath()), HasSubstr(*next));

  // From its time, the new key signs; the old still verifies.
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> rotated =
      keys.Load(kNow + absl::Hours(1));
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ((*rotated)->signing->kid(), *next);
  signer.SetKeys(*rotated);
  EXPECT_THAT(signer.Verify(old_token, kNow + absl::Hours(2)), IsOk());
  std::string new_token = signer.Sign(Lead(kNow + absl::Hours(20)));
  EXPECT_THAT(signer.Verify(new_token, kNow + absl::Hours(2)), IsOk());

  // Just before the overlap ends the old key stands; at its end it goes.
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> late =
      keys.Load(kNow + absl::Hours(1) + kOverlap - absl::Seconds(1));
  ASSERT_THAT(late, IsOk());
  EXPECT_THAT(Kids(**late), UnorderedElementsAre(old_kid, *next));
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> retired =
      keys.Load(kNow + absl::Hours(1) + kOverlap);
  ASSERT_THAT(retired, IsOk());
  EXPECT_THAT(Kids(**retired), UnorderedElementsAre(*next));
  EXPECT_THAT(PemFiles(keys.dir()), UnorderedElementsAre(*next));
  EXPECT_THAT(*ReadFileToString(keys.JwksPath()),
              ::testing::Not(HasSubstr(old_kid)));
  signer.SetKeys(*retired);
  EXPECT_THAT(signer.Verify(old_token, kNow + absl::Hours(2)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("retired by rotation")));
  EXPECT_THAT(signer.Verify(new_token, kNow + absl::Hours(2)), IsOk());
}

// A key withdrawn by hand (its file deleted: it leaked) is no longer
// trusted at the next load, overlap or not.
TEST(TokenKeyDirectoryTest, ADeletedKeyIsWithdrawnAtOnce) {
  TempDir dir;
  TokenKeyDirectory keys(dir.File("keys"), kOverlap);
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> before = keys.Load(kNow);
  ASSERT_THAT(before, IsOk());
  const std::string leaked = (*before)->signing->kid();
  ASSERT_THAT(keys.Rotate(kNow), IsOk());
  ASSERT_EQ(
      std::filesystem::remove(absl::StrCat(keys.dir(), "/", leaked, ".pem")),
      true);
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> after = keys.Load(kNow);
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ((*after)->trusted.count(leaked), 0u);
  EXPECT_NE((*after)->signing->kid(), leaked);
}

// Kids name whole seconds; a rotation in the same second as the newest
// key still makes a key that is newer, never a tie decided by chance.
TEST(TokenKeyDirectoryTest, ARotationInTheSameSecondStillMakesTheNewestKey) {
  for (int round = 0; round < 20; ++round) {
    TempDir dir;
    TokenKeyDirectory keys(dir.File("keys"), kOverlap);
    absl::StatusOr<std::shared_ptr<const TokenKeySet>> first = keys.Load(kNow);
    ASSERT_THAT(first, IsOk());
    absl::StatusOr<std::string> second =
        keys.Rotate(kNow + absl::Milliseconds(300));
    ASSERT_THAT(second, IsOk());
    absl::StatusOr<std::string> third = keys.Rotate(kNow);
    ASSERT_THAT(third, IsOk());
    absl::StatusOr<std::shared_ptr<const TokenKeySet>> later =
        keys.Load(kNow + absl::Seconds(2));
    ASSERT_THAT(later, IsOk());
    EXPECT_EQ((*later)->signing->kid(), *third) << "round " << round;
    EXPECT_LT((*first)->signing->kid(), *second);
    EXPECT_LT(*second, *third);
  }
}

// Years of monthly rotations: a hundred keys in the directory, each
// retired once its successor has signed for the overlap; only the newest
// signs and only those still within reach are trusted and kept.
TEST(TokenKeyDirectoryTest, AHundredRotationsKeepOnlyTheKeysStillInReach) {
  TempDir dir;
  constexpr absl::Duration kMonth = absl::Hours(24 * 30);
  TokenKeyDirectory keys(dir.File("keys"), 2 * kMonth);
  ASSERT_THAT(keys.Load(kNow), IsOk());
  std::vector<std::string> kids;
  for (int i = 1; i <= 100; ++i) {
    absl::StatusOr<std::string> kid = keys.Rotate(kNow + i * kMonth);
    ASSERT_THAT(kid, IsOk());
    kids.push_back(*kid);
  }
  EXPECT_EQ(PemFiles(keys.dir()).size(), 101u);
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> set =
      keys.Load(kNow + 100 * kMonth);
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ((*set)->signing->kid(), kids[99]);
  // The newest signs; the two before it are within the two-month overlap
  // of their successors' start (the one before them is exactly at its end).
  EXPECT_THAT(Kids(**set), UnorderedElementsAre(kids[97], kids[98], kids[99]));
  EXPECT_THAT(PemFiles(keys.dir()),
              UnorderedElementsAre(kids[97], kids[98], kids[99]));
}

TEST(TokenKeyDirectoryTest, ProcessesStartingTogetherMakeOneKey) {
  for (int round = 0; round < 10; ++round) {
    TempDir dir;
    std::vector<std::string> signing(6);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < signing.size(); ++i) {
      threads.emplace_back([&, i] {
        TokenKeyDirectory keys(dir.File("keys"), kOverlap);
        absl::StatusOr<std::shared_ptr<const TokenKeySet>> set =
            keys.Load(kNow);
        if (set.ok()) signing[i] = (*set)->signing->kid();
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(PemFiles(dir.File("keys")).size(), 1u) << "round " << round;
    for (const std::string& kid : signing) EXPECT_EQ(kid, signing[0]);
  }
}

TEST(TokenKeyDirectoryTest, ADamagedKeyFileStopsTheLoadByName) {
  TempDir dir;
  TokenKeyDirectory keys(dir.File("keys"), kOverlap);
  ASSERT_THAT(keys.Load(kNow), IsOk());
  std::ofstream(dir.File("keys/20270101T000000Z-dead.pem")) << "garbage";
  EXPECT_THAT(keys.Load(kNow), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("20270101T000000Z-dead")));
  // A file not named as a key is left alone and ignored.
  std::filesystem::remove(dir.File("keys/20270101T000000Z-dead.pem"));
  std::ofstream(dir.File("keys/backup.pem")) << "garbage";
  EXPECT_THAT(keys.Load(kNow), IsOk());
}

}  // namespace
}  // namespace carebridge
