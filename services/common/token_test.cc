#include "services/common/token.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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

// A token over `payload` with a valid MAC, built the way the signer does, to
// reach the checks that follow the signature check.
std::string SignRawPayload(const std::string& key, absl::string_view payload) {
  std::string encoded = absl::WebSafeBase64Escape(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(encoded.data()), encoded.size(),
       mac, &mac_len);
  return absl::StrCat("cb2.", encoded, ".",
                      absl::WebSafeBase64Escape(absl::string_view(
                          reinterpret_cast<const char*>(mac), mac_len)));
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
                    Role::kPeerSupportWorker, Role::kAdmin, Role::kService}) {
    Principal p = Lead();
    p.role = role;
    p.team = role == Role::kAdmin ? "" : "teams/cmht";
    absl::StatusOr<Principal> verified = signer.Verify(signer.Sign(p), kNow);
    ASSERT_THAT(verified, IsOk()) << RoleName(role);
    EXPECT_EQ(verified->role, role);
    EXPECT_EQ(verified->team, p.team);
  }
}

TEST(TokenSignerTest, TokenHasThePublishedShape) {
  std::string token = TokenSigner(kKey).Sign(Lead());
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], "cb2");
  EXPECT_THAT(token,
              ::testing::MatchesRegex("cb2\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+"));
}

TEST(TokenSignerTest, ExpiredAtAndAfterTheExpiryTime) {
  TokenSigner signer(kKey);
  Principal p = Lead();
  std::string token = signer.Sign(p);
  EXPECT_THAT(signer.Verify(token, p.expire_time - absl::Seconds(1)), IsOk());
  EXPECT_THAT(signer.Verify(token, p.expire_time),
              StatusIs(kUnauthenticated, HasSubstr("expired")));
  EXPECT_THAT(signer.Verify(token, p.expire_time + absl::Hours(1)),
              StatusIs(kUnauthenticated, HasSubstr("expired")));
}

TEST(TokenSignerTest, PrincipalWithoutExpiryIsNeverValid) {
  TokenSigner signer(kKey);
  Principal p = Lead();
  p.expire_time = absl::InfinitePast();
  EXPECT_THAT(signer.Verify(signer.Sign(p), kNow), StatusIs(kUnauthenticated));
}

TEST(TokenSignerTest, TamperedPayloadIsRejected) {
  TokenSigner signer(kKey);
  std::string token = signer.Sign(Lead());
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  // Same MAC, payload rewritten to claim the admin role.
  std::string forged_payload = absl::WebSafeBase64Escape(
      absl::StrCat("members/m1|teams/cmht|", static_cast<int>(Role::kAdmin),
                   "|", absl::ToUnixSeconds(kNow + absl::Hours(24))));
  EXPECT_THAT(
      signer.Verify(absl::StrCat("cb2.", forged_payload, ".", parts[2]), kNow),
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

TEST(TokenSignerTest, TamperedMacIsRejected) {
  TokenSigner signer(kKey);
  std::string token = signer.Sign(Lead());
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  std::string mac;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[2], &mac));
  mac[0] ^= 1;
  EXPECT_THAT(signer.Verify(absl::StrCat(parts[0], ".", parts[1], ".",
                                         absl::WebSafeBase64Escape(mac)),
                            kNow),
              StatusIs(kUnauthenticated, HasSubstr("signature")));
  // A truncated MAC is not a shorter valid MAC.
  EXPECT_THAT(
      signer.Verify(absl::StrCat(parts[0], ".", parts[1], ".",
                                 absl::WebSafeBase64Escape(mac.substr(0, 16))),
                    kNow),
      StatusIs(kUnauthenticated));
  EXPECT_THAT(signer.Verify(absl::StrCat(parts[0], ".", parts[1], "."), kNow),
              StatusIs(kUnauthenticated));
}

TEST(TokenSignerTest, TokenFromAnotherKeyIsRejected) {
  std::string token = TokenSigner(std::string(32, 'x')).Sign(Lead());
  EXPECT_THAT(TokenSigner(kKey).Verify(token, kNow),
              StatusIs(kUnauthenticated, HasSubstr("signature")));
}

TEST(TokenSignerTest, MalformedStringsAreRejected) {
  TokenSigner signer(kKey);
  std::string good = signer.Sign(Lead());
  std::vector<std::string> parts = absl::StrSplit(good, '.');
  const std::string cases[] = {
      "",
      "cb2",
      "cb2.",
      "cb2..",
      "cb2.abc",
      absl::StrCat("cb3.", parts[1], ".", parts[2]),
      absl::StrCat(good, ".extra"),
      absl::StrCat("Bearer ", good),
      absl::StrCat("cb2.", parts[1], ".", parts[2], "!"),
      absl::StrCat("cb2.", parts[1], "$.", parts[2]),
      std::string(5000, 'a'),
      absl::StrCat("cb2.", std::string(5000, 'a'), ".", parts[2]),
  };
  for (const std::string& token : cases) {
    EXPECT_THAT(signer.Verify(token, kNow), StatusIs(kUnauthenticated))
        << token.substr(0, 60);
  }
}

TEST(TokenSignerTest, SignedButMalformedPayloadIsRejected) {
  TokenSigner signer(kKey);
  for (absl::string_view payload :
       {"members/m1|teams/cmht|3", "members/m1|teams/cmht|3|soon",
        "members/m1|teams/cmht|lead|1767312000", "a|b|c|d|e", "",
        // The form before ids and issue times.
        "members/m1|teams/cmht|3|1767312000",
        "members/m1|teams/cmht|3|1767312000|then|t1",
        "members/m1|teams/cmht|3|1767312000|-5|t1",
        "members/m1|teams/cmht|3|1767312000|1767225600|",
        "members/m1|teams/cmht|3|1767312000|1767225600|t1|x"}) {
    EXPECT_THAT(signer.Verify(SignRawPayload(kKey, payload), kNow),
                StatusIs(kUnauthenticated, HasSubstr("malformed")))
        << payload;
  }
  // The same construction with a good payload verifies, so the cases above
  // fail for their payload alone.
  EXPECT_THAT(signer.Verify(SignRawPayload(kKey,
                                           "members/m1|teams/cmht|3|"
                                           "1767312000|1767225600|t1"),
                            kNow),
              IsOk());
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

// Tokens of the earlier form (no id, up to 90 days long) are refused, with
// a message that says to ask for a new one, even with a good signature.
TEST(TokenSignerTest, TokensOfTheEarlierFormAreRefused) {
  TokenSigner signer(kKey);
  std::string old = SignRawPayload(kKey, "members/m1|teams/cmht|3|1767312000");
  old.replace(0, 3, "cb1");
  EXPECT_THAT(signer.Verify(old, kNow),
              StatusIs(kUnauthenticated, HasSubstr("no longer accepted")));
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
