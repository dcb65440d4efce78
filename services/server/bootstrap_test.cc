// The bootstrap admin token file: written when missing or near expiry, and
// kept or left out, not fatal, when it is provided read-only (a Kubernetes
// Secret mounted over it).

#include "services/server/bootstrap.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "absl/strings/ascii.h"
#include "services/common/clock.h"
#include "services/common/file_util.h"
#include "services/common/token.h"

namespace carebridge::server {
namespace {

class BootstrapTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "bootstrap-admin.token").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Token() {
    absl::StatusOr<std::string> text = ReadFileToString(path_);
    EXPECT_TRUE(text.ok()) << text.status();
    return std::string(absl::StripAsciiWhitespace(text.value_or("")));
  }
  // Writes an admin token that expires `ttl` from now.
  void Provide(absl::Duration ttl) {
    Principal admin;
    admin.subject = kBootstrapAdmin;
    admin.role = Role::kAdmin;
    admin.expire_time = clock_.Now() + ttl;
    ASSERT_TRUE(
        WriteFileAtomically(path_, signer_.Sign(admin) + "\n", 0600).ok());
  }
  // Makes the file impossible to replace, even for root: the temporary
  // file it would be written through is taken by a directory.
  void MakeReadOnly() { std::filesystem::create_directories(path_ + ".tmp"); }

  FakeClock clock_;
  TokenSigner signer_{std::string(32, 'k')};
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(BootstrapTokenTest, WritesOneWhenMissingAndKeepsOneStillGood) {
  absl::StatusOr<std::string> path =
      EnsureBootstrapToken(dir_.string(), signer_, clock_);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, path_);
  const std::string first = Token();
  EXPECT_TRUE(signer_.Verify(first, clock_.Now()).ok());

  clock_.Advance(absl::Hours(24));
  ASSERT_TRUE(EnsureBootstrapToken(dir_.string(), signer_, clock_).ok());
  EXPECT_EQ(Token(), first);
}

TEST_F(BootstrapTokenTest, RenewsOneWithinADayOfExpiry) {
  Provide(absl::Hours(2));
  const std::string near = Token();
  ASSERT_TRUE(EnsureBootstrapToken(dir_.string(), signer_, clock_).ok());
  EXPECT_NE(Token(), near);
  EXPECT_TRUE(signer_.Verify(Token(), clock_.Now() + absl::Hours(48)).ok());
}

TEST_F(BootstrapTokenTest, KeepsAReadOnlyTokenNearExpiryInsteadOfFailing) {
  Provide(absl::Hours(2));
  const std::string provided = Token();
  MakeReadOnly();

  absl::StatusOr<std::string> path =
      EnsureBootstrapToken(dir_.string(), signer_, clock_);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, path_);
  EXPECT_EQ(Token(), provided);
}

TEST_F(BootstrapTokenTest, LeavesOutAReadOnlyTokenNoLongerValid) {
  Provide(absl::Hours(2));
  MakeReadOnly();
  clock_.Advance(absl::Hours(3));

  absl::StatusOr<std::string> path =
      EnsureBootstrapToken(dir_.string(), signer_, clock_);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, "");
}

TEST_F(BootstrapTokenTest, AnUnwritableDataDirWithNoTokenIsAnError) {
  MakeReadOnly();
  absl::StatusOr<std::string> path =
      EnsureBootstrapToken(dir_.string(), signer_, clock_);
  EXPECT_FALSE(path.ok());
  EXPECT_NE(path.status().message().find("bootstrap-admin.token"),
            std::string::npos)
      << path.status();
}

}  // namespace
}  // namespace carebridge::server
