#include "tests/support/test_server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace carebridge::testing {

TestServer::TestServer()
    : ids_(/*seed=*/42),
      signer_(std::string(32, 'k')),
      authenticator_(&signer_, &clock_),
      executor_(/*threads=*/16) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "carebridge-test-XXXXXX")
          .string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  dir_ = pattern;
  env_.clock = &clock_;
  env_.ids = &ids_;
  env_.signer = &signer_;
  env_.audit_key = &audit_key_;
  env_.authenticator = &authenticator_;
  env_.executor = &executor_;
  host_ = std::make_unique<ServerHost>(&authenticator_);
}

TestServer::~TestServer() {
  channel_.reset();
  host_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string TestServer::DataPath(absl::string_view file) const {
  return absl::StrCat(dir_, "/", file);
}

void TestServer::Start() {
  absl::Status status =
      host_->Start("127.0.0.1:0", grpc::InsecureServerCredentials(),
                   /*log_calls=*/false);
  if (!status.ok()) {
    std::fprintf(stderr, "TestServer: %s\n", status.ToString().c_str());
    std::abort();
  }
}

void TestServer::Stop() { host_->Shutdown(absl::Seconds(1)); }

std::shared_ptr<grpc::Channel> TestServer::Channel() {
  if (channel_ == nullptr) {
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port()),
                                   grpc::InsecureChannelCredentials());
  }
  return channel_;
}

std::string TestServer::TokenFor(Principal principal) {
  if (principal.expire_time == absl::InfinitePast()) {
    principal.expire_time = clock_.Now() + absl::Hours(24);
  }
  return signer_.Sign(principal);
}

std::unique_ptr<grpc::ClientContext> TestServer::ContextAs(
    const Principal& principal) {
  auto context = AnonymousContext();
  context->AddMetadata(kAuthorizationHeader,
                       absl::StrCat(kBearerPrefix, TokenFor(principal)));
  return context;
}

std::unique_ptr<grpc::ClientContext> TestServer::AnonymousContext() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  return context;
}

Principal TestServer::Admin() {
  Principal admin;
  admin.subject = "members/test-admin";
  admin.role = Role::kAdmin;
  return admin;
}

Principal TestServer::Manager(absl::string_view team) {
  return Member(
      absl::StrCat("members/manager-of-", team.substr(team.rfind('/') + 1)),
      team, Role::kTeamManager);
}

Principal TestServer::Member(absl::string_view member, absl::string_view team,
                             Role role) {
  Principal principal;
  principal.subject = std::string(member);
  principal.team = std::string(team);
  principal.role = role;
  return principal;
}

}  // namespace carebridge::testing
