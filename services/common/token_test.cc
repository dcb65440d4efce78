#include "services/common/token.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::carebridge::testing::TempDir;
using ::testing::HasSubstr;

constexpr absl::StatusCode kUnauthenticated =
    absl::StatusCode::kUnauthenticated;

const std::string kKey(32, 'k');
const absl::Time kNow = absl::FromUnixSeconds(1767225600);

Principal Lead() {
  Principal p;
  p.subject = "members/m1";
  p.team = "teams/cmht";
  p.role = Role::kTeamLead;
  p.expire_time = kNow + absl::Hours(24);
  return p;
}

std::string B64(absl::string_view data) {
  return absl::WebSafeBase64Escape(data);
}

// A token of `header` and `claims` (JSON) signed with `key`, built the way
// the signer builds one, to reach the checks after the signature's.
std::string SignRaw(const TokenKey& key, absl::string_view header,
                    absl::string_view claims) {
  std::string signed_part = absl::StrCat(B64(header), ".", B64(claims));
  return absl::StrCat(signed_part, ".", B64(key.Sign(signed_part)));
}

std::string Header(const TokenKey& key) {
  return absl::StrCat(R"({"alg":"EdDSA","typ":"JWT","kid":")", key.kid(),
                      R"("})");
}

std::string Decoded(absl::string_view part) {
  std::string out;
  EXPECT_TRUE(absl::WebSafeBase64Unescape(part, &out)) << part;
  return out;
}

TEST(TokenSignerTest, RoundTripKeepsSubjectTeamRoleAndExpiry) {
  TokenSigner signer(kKey);
  absl::StatusOr<Principal> verified = signer.Verify(signer.Sign(Lead()), kNow);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->subject, "members/m1");
  EXPECT_EQ(verified->team, "teams/cmht");
  EXPECT_EQ(verified->role, Role::kTeamLead);
  EXPECT_EQ(verified->expire_time, kNow + absl::Hours(24));
}

TEST(TokenSignerTest, RoundTripKeepsEveryRoleAndAnEmptyTeam) {
  TokenSigner signer(kKey);
  for (Role role : {Role::kClinician, Role::kCareCoordinator, Role::kTeamLead,
                    Role::kPeerSupportWorker, Role::kAdmin, Role::kService,
                    Role::kPerson, Role::kTeamManager}) {
    Principal p = Lead();
    p.role = role;
    p.team = role == Role::kAdmin ? "" : "teams/cmht";
    absl::StatusOr<Principal> verified = signer.Verify(signer.Sign(p), kNow);
    ASSERT_THAT(verified, IsOk()) << RoleName(role);
    EXPECT_EQ(verified->role, role);
    EXPECT_EQ(verified->team, p.team);
  }
}

// Integrators can read a token with any JWT library: three base64url parts,
// an EdDSA header naming its key, the claims by their registered names.
TEST(TokenSignerTest, TokenIsAJwtSignedWithEdDsa) {
  TokenSigner signer(kKey);
  Principal p = Lead();
  p.issue_time = kNow;
  p.token_id = "t1";
  std::string token = signer.Sign(p);
  EXPECT_THAT(token, ::testing::MatchesRegex(
                         "[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+"));
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(Decoded(parts[0]),
            absl::StrCat(R"({"alg":"EdDSA","typ":"JWT","kid":")",
                         signer.keys()->signing->kid(), R"("})"));
  EXPECT_EQ(Decoded(parts[1]),
            absl::StrCat(R"({"iss":"carebridge","sub":"members/m1",)",
                         R"("team":"teams/cmht","role":"team_lead",)",
                         R"("iat":1767225600,"exp":1767312000,"jti":"t1"})"));
  EXPECT_EQ(Decoded(parts[2]).size(), 64u);  // an Ed25519 signature
}

TEST(TokenSignerTest, TextThatNeedsEscapingRoundTrips) {
  TokenSigner signer(kKey);
  Principal p = Lead();
  p.subject = "members/a\"b\\c\n\x01";
  p.team = "teams/\xc3\xa9quipe";
  absl::StatusOr<Principal> verified = signer.Verify(signer.Sign(p), kNow);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->subject, p.subject);
  EXPECT_EQ(verified->team, p.team);
}

TEST(TokenSignerTest, ExpiredAtAndAfterTheExpiryTime) {
  TokenSigner signer(kKey);
  Principal p = Lead();
  std::string token = signer.Sign(p);
  EXPECT_THAT(signer.Verify(token, p.expire_time - absl::Seconds(1)), IsOk());
  EXPECT_THAT(signer.Verify(token, p.expire_time),
              StatusIs(kUnauthenticated, HasSubstr("expired")));
  // Also once it is remembered as verified.
  EXPECT_THAT(signer.Verify(token, p.expire_time + absl::Hours(1)),
              StatusIs(kUnauthenticated, HasSubstr("expired")));
  TokenSigner fresh(kKey);
  EXPECT_THAT(fresh.Verify(token, p.expire_time + absl::Hours(1)),
              StatusIs(kUnauthenticated, HasSubstr("expired")));
}

TEST(TokenSignerTest, PrincipalWithoutExpiryIsNeverValid) {
  TokenSigner signer(kKey);
  Principal p = Lead();
  p.expire_time = absl::InfinitePast();
  EXPECT_THAT(signer.Verify(signer.Sign(p), kNow), StatusIs(kUnauthenticated));
}

TEST(TokenSignerTest, TamperedClaimsAreRejected) {
  TokenSigner signer(kKey);
  std::vector<std::string> parts = absl::StrSplit(signer.Sign(Lead()), '.');
  // Same signature, claims rewritten to the admin role.
  std::string claims = Decoded(parts[1]);
  absl::StrReplaceAll({{"team_lead", "admin"}}, &claims);
  EXPECT_THAT(
      signer.Verify(absl::StrCat(parts[0], ".", B64(claims), ".", parts[2]),
                    kNow),
      StatusIs(kUnauthenticated, HasSubstr("signature")));
}

TEST(TokenSignerTest, AnySingleCharacterChangeIsRejected) {
  TokenSigner signer(kKey);
  std::string token = signer.Sign(Lead());
  for (size_t i = 0; i < token.size(); ++i) {
    std::string altered = token;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    EXPECT_THAT(signer.Verify(altered, kNow), StatusIs(kUnauthenticated))
        << "position " << i << " of " << token;
  }
}

TEST(TokenSignerTest, TamperedSignatureIsRejected) {
  TokenSigner signer(kKey);
  std::vector<std::string> parts = absl::StrSplit(signer.Sign(Lead()), '.');
  std::string signature = Decoded(parts[2]);
  signature[0] ^= 1;
  EXPECT_THAT(
      signer.Verify(absl::StrCat(parts[0], ".", parts[1], ".", B64(signature)),
                    kNow),
      StatusIs(kUnauthenticated, HasSubstr("signature")));
  // A truncated signature is not a shorter valid one.
  EXPECT_THAT(signer.Verify(absl::StrCat(parts[0], ".", parts[1], ".",
                                         B64(signature.substr(0, 32))),
                            kNow),
              StatusIs(kUnauthenticated));
  EXPECT_THAT(signer.Verify(absl::StrCat(parts[0], ".", parts[1], "."), kNow),
              StatusIs(kUnauthenticated));
}

TEST(TokenSignerTest, TokenFromAnotherKeyIsRejected) {
  std::string token = TokenSigner(std::string(32, 'x')).Sign(Lead());
  EXPECT_THAT(
      TokenSigner(kKey).Verify(token, kNow),
      StatusIs(kUnauthenticated, HasSubstr("is not one this server trusts")));
  // Another key that claims this one's kid fails on its signature.
  std::unique_ptr<TokenKey> impostor =
      TokenKey::Generate(TokenKey::FromSeed(kKey)->kid(), kNow);
  EXPECT_THAT(TokenSigner(kKey).Verify(
                  SignRaw(*impostor, Header(*impostor),
                          R"({"iss":"carebridge","sub":"members/m1",)"
                          R"("role":"admin","exp":1767312000,"jti":"t"})"),
                  kNow),
              StatusIs(kUnauthenticated, HasSubstr("signature is not valid")));
}

// What a process given only the public keys can do: verify every token the
// directory signs, and sign none.
TEST(TokenSignerTest, PublicKeysVerifyButCannotSign) {
  TokenSigner signer(kKey);
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> public_keys =
      ParseJwks(signer.keys()->ToJwks());
  ASSERT_THAT(public_keys, IsOk());
  TokenSigner verifier(*public_keys);
  EXPECT_TRUE(signer.can_sign());
  EXPECT_FALSE(verifier.can_sign());
  EXPECT_EQ(verifier.Sign(Lead()), "");
  absl::StatusOr<Principal> verified =
      verifier.Verify(signer.Sign(Lead()), kNow);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->subject, "members/m1");
}

TEST(TokenSignerTest, AlgorithmsOtherThanEdDsaAreRefused) {
  TokenSigner signer(kKey);
  std::unique_ptr<TokenKey> key = TokenKey::FromSeed(kKey);
  const std::string claims =
      R"({"iss":"carebridge","sub":"members/m1","role":"admin",)"
      R"("exp":1767312000,"jti":"t"})";
  // `none` with no signature at all.
  std::string unsigned_token = absl::StrCat(
      B64(absl::StrCat(R"({"alg":"none","kid":")", key->kid(), R"("})")), ".",
      B64(claims), ".");
  EXPECT_THAT(signer.Verify(unsigned_token, kNow),
              StatusIs(kUnauthenticated, HasSubstr("algorithm `none`")));
  for (absl::string_view alg : {"none", "HS256", "RS256", "ES256", "eddsa"}) {
    std::string header =
        absl::StrCat(R"({"alg":")", alg, R"(","kid":")", key->kid(), R"("})");
    EXPECT_THAT(signer.Verify(SignRaw(*key, header, claims), kNow),
                StatusIs(kUnauthenticated,
                         HasSubstr(absl::StrCat("algorithm `", alg, "`"))))
        << alg;
  }
  // The same claims under the right header verify: the header alone failed.
  EXPECT_THAT(signer.Verify(SignRaw(*key, Header(*key), claims), kNow), IsOk());
}

TEST(TokenSignerTest, SignedButMalformedTokensAreRejected) {
  TokenSigner signer(kKey);
  std::unique_ptr<TokenKey> key = TokenKey::FromSeed(kKey);
  const struct {
    std::string header;
    std::string claims;
    std::string message;
  } cases[] = {
      {"not json", "{}", "header is not base64url JSON"},
      {R"({"kid":"x"})", "{}", "no `alg`"},
      {R"({"alg":"EdDSA"})", "{}", "no `kid`"},
      {Header(*key), "[1,2]", "payload is not base64url JSON"},
      {Header(*key),
       R"({"iss":"elsewhere","sub":"members/m1","role":"admin",)"
       R"("exp":1767312000,"jti":"t"})",
       "issuer `elsewhere`"},
      {Header(*key),
       R"({"sub":"members/m1","role":"admin","exp":1767312000,)"
       R"("jti":"t"})",
       "issuer"},
      {Header(*key),
       R"({"iss":"carebridge","role":"admin",)"
       R"("exp":1767312000,"jti":"t"})",
       "needs sub"},
      {Header(*key),
       R"({"iss":"carebridge","sub":"","role":"admin",)"
       R"("exp":1767312000,"jti":"t"})",
       "needs sub"},
      {Header(*key),
       R"({"iss":"carebridge","sub":"members/m1",)"
       R"("role":"superuser","exp":1767312000,"jti":"t"})",
       "needs sub"},
      {Header(*key),
       R"({"iss":"carebridge","sub":"members/m1",)"
       R"("role":"admin","exp":"soon","jti":"t"})",
       "needs sub"},
      {Header(*key),
       R"({"iss":"carebridge","sub":"members/m1",)"
       R"("role":"admin","exp":-5,"jti":"t"})",
       "needs sub"},
      {Header(*key),
       R"({"iss":"carebridge","sub":"members/m1",)"
       R"("role":"admin","exp":1767312000})",
       "needs sub"},
      {Header(*key),
       R"({"iss":"carebridge","sub":"members/m1","team":7,)"
       R"("role":"admin","exp":1767312000,"jti":"t"})",
       "team is not a string"},
      {Header(*key),
       R"({"iss":"carebridge","sub":"members/m1","iat":"x",)"
       R"("role":"admin","exp":1767312000,"jti":"t"})",
       "iat is not a time"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(signer.Verify(SignRaw(*key, c.header, c.claims), kNow),
                StatusIs(kUnauthenticated, HasSubstr(c.message)))
        << c.header << " " << c.claims;
  }
}

TEST(TokenSignerTest, MalformedStringsAreRejected) {
  TokenSigner signer(kKey);
  std::string good = signer.Sign(Lead());
  std::vector<std::string> parts = absl::StrSplit(good, '.');
  const std::string cases[] = {
      "",
      ".",
      "..",
      "abc",
      absl::StrCat(parts[0], ".", parts[1]),
      absl::StrCat(".", parts[1], ".", parts[2]),
      absl::StrCat(good, ".extra"),
      absl::StrCat("Bearer ", good),
      absl::StrCat(parts[0], ".", parts[1], ".", parts[2], "!"),
      absl::StrCat(parts[0], ".", parts[1], "$.", parts[2]),
      std::string(5000, 'a'),
      absl::StrCat(parts[0], ".", std::string(5000, 'a'), ".", parts[2]),
  };
  for (const std::string& token : cases) {
    EXPECT_THAT(signer.Verify(token, kNow), StatusIs(kUnauthenticated))
        << token.substr(0, 60);
  }
}

// Each token names itself: an id (random unless the issuer chose one) and
// when it was issued, both signed, so one of a member's tokens can be told
// from another (to revoke or trace it).
TEST(TokenSignerTest, TokensCarryAnIdAndTheirIssueTime) {
  TokenSigner signer(kKey);
  Principal p = Lead();
  p.issue_time = kNow - absl::Minutes(5);
  absl::StatusOr<Principal> first = signer.Verify(signer.Sign(p), kNow);
  absl::StatusOr<Principal> second = signer.Verify(signer.Sign(p), kNow);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->issue_time, kNow - absl::Minutes(5));
  EXPECT_EQ(first->token_id.size(), 16u);
  EXPECT_THAT(first->token_id, ::testing::MatchesRegex("[A-Za-z0-9_-]+"));
  EXPECT_NE(first->token_id, second->token_id);
  // An id the issuer gave is kept; a token with no issue time says none.
  p.token_id = "chosen-id";
  p.issue_time = absl::InfinitePast();
  absl::StatusOr<Principal> chosen = signer.Verify(signer.Sign(p), kNow);
  ASSERT_THAT(chosen, IsOk());
  EXPECT_EQ(chosen->token_id, "chosen-id");
  EXPECT_EQ(chosen->issue_time, absl::InfinitePast());
  // A thousand tokens, a thousand ids.
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<Principal> verified =
        signer.Verify(signer.Sign(Lead()), kNow);
    ASSERT_THAT(verified, IsOk());
    ids.insert(verified->token_id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

// Tokens of the earlier, HMAC-signed forms are refused with a message that
// says to ask for a new one.
TEST(TokenSignerTest, TokensOfTheEarlierFormsAreRefused) {
  TokenSigner signer(kKey);
  for (absl::string_view old :
       {"cb1.bWVtYmVycy9tMQ.c2ln", "cb2.bWVtYmVycy9tMQ.c2ln"}) {
    EXPECT_THAT(signer.Verify(old, kNow),
                StatusIs(kUnauthenticated, HasSubstr("no longer accepted")));
  }
}

// A verified token is remembered, but only under the keys it was checked
// with: once its key is withdrawn, it is refused at once.
TEST(TokenSignerTest, NewKeysForgetTokensVerifiedUnderTheOldOnes) {
  TokenSigner signer(kKey);
  std::string token = signer.Sign(Lead());
  ASSERT_THAT(signer.Verify(token, kNow), IsOk());
  signer.SetKeys(TokenKeySet::Of(TokenKey::FromSeed("another key")));
  EXPECT_THAT(signer.Verify(token, kNow),
              StatusIs(kUnauthenticated, HasSubstr("not one this server")));
  // And tokens signed now carry the new key.
  EXPECT_THAT(signer.Verify(signer.Sign(Lead()), kNow), IsOk());
}

// More distinct tokens than are remembered (20,000): the memory starts
// again and every token, early or late, still verifies.
TEST(TokenSignerTest, MoreTokensThanAreRememberedAllStillVerify) {
  TokenSigner signer(kKey);
  std::vector<std::string> tokens;
  for (int i = 0; i < 20500; ++i) {
    Principal p = Lead();
    p.subject = absl::StrCat("members/m", i);
    tokens.push_back(signer.Sign(p));
  }
  for (int i = 0; i < 20500; ++i) {
    absl::StatusOr<Principal> verified = signer.Verify(tokens[i], kNow);
    ASSERT_THAT(verified, IsOk()) << i;
    ASSERT_EQ(verified->subject, absl::StrCat("members/m", i));
  }
  for (int i : {0, 1, 19999, 20000, 20499}) {
    absl::StatusOr<Principal> again = signer.Verify(tokens[i], kNow);
    ASSERT_THAT(again, IsOk()) << i;
    EXPECT_EQ(again->subject, absl::StrCat("members/m", i));
  }
}

// Verifying from many threads while the keys change: every answer is right
// for the keys of its moment (the old token verifies or names its key as
// untrusted; the new ones always verify).
TEST(TokenSignerTest, VerifyIsSafeWhileKeysChange) {
  TokenSigner signer(kKey);
  std::shared_ptr<const TokenKeySet> both = [] {
    auto set = std::make_shared<TokenKeySet>();
    set->signing = TokenKey::FromSeed(kKey);
    set->trusted[set->signing->kid()] = set->signing;
    return std::shared_ptr<const TokenKeySet>(set);
  }();
  std::vector<std::string> tokens;
  for (int i = 0; i < 50; ++i) tokens.push_back(signer.Sign(Lead()));
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        for (const std::string& token : tokens) {
          if (!signer.Verify(token, kNow).ok()) ++failures;
        }
      }
    });
  }
  for (int i = 0; i < 200; ++i) signer.SetKeys(both);
  stop = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// --- LoadOrCreateKey ---

TEST(LoadOrCreateKeyTest, CreatesAPrivateFileOf32RandomBytes) {
  TempDir dir;
  std::string path = dir.File("token.key");
  absl::StatusOr<std::string> key = LoadOrCreateKey(path);
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->size(), 32u);
  EXPECT_NE(*key, std::string(32, '\0'));

  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  // Nothing else (such as a temporary file) is left behind.
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(LoadOrCreateKeyTest, ReturnsTheSameKeyNextTime) {
  TempDir dir;
  std::string path = dir.File("token.key");
  absl::StatusOr<std::string> first = LoadOrCreateKey(path);
  absl::StatusOr<std::string> second = LoadOrCreateKey(path);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(*first, *second);
  // And tokens signed before a restart still verify after it.
  std::string token = TokenSigner(*first).Sign(Lead());
  EXPECT_THAT(TokenSigner(*second).Verify(token, kNow), IsOk());
}

TEST(LoadOrCreateKeyTest, DifferentFilesGetDifferentKeys) {
  TempDir dir;
  absl::StatusOr<std::string> a = LoadOrCreateKey(dir.File("a.key"));
  absl::StatusOr<std::string> b = LoadOrCreateKey(dir.File("b.key"));
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_NE(*a, *b);
}

TEST(LoadOrCreateKeyTest, ConcurrentCallersAllGetTheKeyOnDisk) {
  // Callers racing on a fresh path must never see a half-written key or
  // each return a different one.
  for (int round = 0; round < 20; ++round) {
    TempDir dir;
    std::string path = dir.File("token.key");
    constexpr int kThreads = 8;
    std::vector<absl::StatusOr<std::string>> keys(kThreads);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        ++ready;
        while (ready.load() < kThreads) {
        }
        keys[i] = LoadOrCreateKey(path);
      });
    }
    for (std::thread& t : threads) t.join();
    absl::StatusOr<std::string> on_disk = LoadOrCreateKey(path);
    ASSERT_THAT(on_disk, IsOk());
    for (const absl::StatusOr<std::string>& key : keys) {
      ASSERT_THAT(key, IsOk()) << "round " << round;
      EXPECT_EQ(*key, *on_disk) << "round " << round;
    }
  }
}

TEST(LoadOrCreateKeyTest, ShortKeyFileIsRefused) {
  TempDir dir;
  std::string path = dir.File("token.key");
  std::ofstream(path, std::ios::binary) << std::string(31, 'k');
  EXPECT_THAT(LoadOrCreateKey(path),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("shorter than 32")));
  // The short file is left for an administrator to look at, not replaced.
  EXPECT_EQ(std::filesystem::file_size(path), 31u);
}

TEST(LoadOrCreateKeyTest, EmptyKeyFileIsRefused) {
  TempDir dir;
  std::string path = dir.File("token.key");
  std::ofstream(path, std::ios::binary).flush();
  EXPECT_THAT(LoadOrCreateKey(path),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(LoadOrCreateKeyTest, MissingDirectoryIsAnErrorNotACrash) {
  TempDir dir;
  EXPECT_THAT(LoadOrCreateKey(dir.File("no/such/dir/token.key")),
              ::testing::Not(IsOk()));
}

TEST(LoadOrCreateKeyTest, UnreadableKeyFileIsAnError) {
  if (geteuid() == 0) GTEST_SKIP() << "root can read any file";
  TempDir dir;
  std::string path = dir.File("token.key");
  std::ofstream(path, std::ios::binary) << std::string(32, 'k');
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  EXPECT_THAT(LoadOrCreateKey(path),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace carebridge
