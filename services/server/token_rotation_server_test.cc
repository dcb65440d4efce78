// Key rotation in a running carebridge-server (issue 12): a key added with
// --rotate_token_key signs new tokens once the server reads its keys again,
// tokens of the key before still work through the overlap, and a key
// withdrawn (its file deleted) is refused at the next read, the bootstrap
// admin token signed again with the key that remains.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "services/common/file_util.h"
#include "services/server/bootstrap.h"
#include "services/server/carebridge_server.h"
#include "tests/support/eventually.h"

namespace carebridge::server {
namespace {

namespace dir = ::carebridge::directory::v1;
using ::carebridge::testing::Eventually;

class TokenRotationServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "cb-rotation-XXXXXX")
            .string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    config_.listen = "127.0.0.1:0";
    config_.data_dir = dir_ + "/data";
    config_.shutdown_grace = absl::Milliseconds(200);
    config_.token_keys_reload_interval = absl::Seconds(1);
    auto server = CarebridgeServer::Start(config_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = dir::DirectoryService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string BootstrapToken() {
    absl::StatusOr<std::string> token =
        ReadFileToString(server_->bootstrap_token_path());
    return token.ok() ? std::string(absl::StripAsciiWhitespace(*token)) : "";
  }

  // The kid in a token's header.
  static std::string KidOf(const std::string& token) {
    std::vector<std::string> parts = absl::StrSplit(token, '.');
    std::string header;
    if (parts.empty() || !absl::WebSafeBase64Unescape(parts[0], &header)) {
      return "";
    }
    const std::string marker = "\"kid\":\"";
    size_t at = header.find(marker);
    if (at == std::string::npos) return "";
    at += marker.size();
    return header.substr(at, header.find('"', at) - at);
  }

  grpc::Status ListTeams(const std::string& token) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    dir::ListTeamsResponse response;
    return stub_->ListTeams(&context, dir::ListTeamsRequest(), &response);
  }

  // A new admin's token, issued now by the directory.
  std::string IssueAdminToken(const std::string& admin_token) {
    grpc::ClientContext create;
    create.AddMetadata("authorization", absl::StrCat("Bearer ", admin_token));
    dir::CreateMemberRequest request;
    request.mutable_member()->set_display_name("Second admin");
    request.mutable_member()->set_role(dir::ADMIN);
    dir::Member member;
    grpc::Status status = stub_->CreateMember(&create, request, &member);
    EXPECT_TRUE(status.ok()) << status.error_message();
    grpc::ClientContext issue;
    issue.AddMetadata("authorization", absl::StrCat("Bearer ", admin_token));
    dir::IssueTokenRequest issue_request;
    issue_request.set_member(member.name());
    dir::IssueTokenResponse issued;
    status = stub_->IssueToken(&issue, issue_request, &issued);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return issued.token();
  }

  std::string dir_;
  ServerConfig config_;
  std::unique_ptr<CarebridgeServer> server_;
  std::unique_ptr<dir::DirectoryService::Stub> stub_;
};

TEST_F(TokenRotationServerTest, ARotatedKeySignsWhileTheOldOneStillVerifies) {
  const std::string first = BootstrapToken();
  const std::string old_kid = KidOf(first);
  ASSERT_FALSE(old_kid.empty());
  ASSERT_EQ(KidOf(IssueAdminToken(first)), old_kid);

  absl::StatusOr<std::string> new_kid =
      RotateTokenKey(config_, absl::Now(), absl::ZeroDuration());
  ASSERT_TRUE(new_kid.ok()) << new_kid.status();
  ASSERT_NE(*new_kid, old_kid);
  // Published at once for processes that only verify.
  absl::StatusOr<std::string> jwks =
      ReadFileToString(config_.data_dir + "/token-keys/jwks.json");
  ASSERT_TRUE(jwks.ok());
  EXPECT_TRUE(absl::StrContains(*jwks, *new_kid));
  EXPECT_TRUE(absl::StrContains(*jwks, old_kid));

  // Within a reload or two the directory signs with the new key.
  std::string rotated;
  ASSERT_TRUE(Eventually(
      [&] {
        rotated = IssueAdminToken(first);
        return KidOf(rotated) == *new_kid;
      },
      absl::Seconds(5)));
  // Both keys' tokens work through the overlap.
  EXPECT_TRUE(ListTeams(first).ok());
  EXPECT_TRUE(ListTeams(rotated).ok());
}

TEST_F(TokenRotationServerTest, AWithdrawnKeyIsRefusedAndTheBootstrapResigned) {
  const std::string first = BootstrapToken();
  const std::string old_kid = KidOf(first);
  absl::StatusOr<std::string> new_kid =
      RotateTokenKey(config_, absl::Now(), absl::ZeroDuration());
  ASSERT_TRUE(new_kid.ok()) << new_kid.status();
  // The old key leaked: its file is deleted.
  ASSERT_TRUE(std::filesystem::remove(
      absl::StrCat(config_.data_dir, "/token-keys/", old_kid, ".pem")));
  grpc::Status refused;
  ASSERT_TRUE(Eventually(
      [&] {
        refused = ListTeams(first);
        return refused.error_code() == grpc::StatusCode::UNAUTHENTICATED;
      },
      absl::Seconds(5)));
  EXPECT_TRUE(absl::StrContains(refused.error_message(), old_kid))
      << refused.error_message();
  // The bootstrap admin token is signed again with the key that remains.
  ASSERT_TRUE(Eventually([&] { return KidOf(BootstrapToken()) == *new_kid; },
                         absl::Seconds(5)));
  EXPECT_TRUE(ListTeams(BootstrapToken()).ok());
}

}  // namespace
}  // namespace carebridge::server
