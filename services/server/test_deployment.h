#ifndef CAREBRIDGE_SERVICES_SERVER_TEST_DEPLOYMENT_H_
#define CAREBRIDGE_SERVICES_SERVER_TEST_DEPLOYMENT_H_

// For server tests: the directory and the referral service in one
// all-in-one carebridge-server, or split (the directory alone, the referral
// service in a process of its own that learns from the directory's feed),
// with the bootstrap admin's token and a stub of each.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "services/common/macros.h"
#include "services/server/carebridge_server.h"
#include "tests/support/test_database.h"

namespace carebridge::server {

// Bearer `token` on `context`, and a deadline of 10 s.
inline void AuthorizeForTest(grpc::ClientContext& context,
                             const std::string& token) {
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
}

struct TestDeployment {
  // The temporary directory the processes keep their data in (DIR/NAME),
  // removed by Stop.
  std::string dir;
  std::unique_ptr<CarebridgeServer> directory;
  // Null when all-in-one.
  std::unique_ptr<CarebridgeServer> referral;
  std::string admin_token;
  std::unique_ptr<directory::v1::DirectoryService::Stub> directory_stub;
  std::unique_ptr<referral::v1::ReferralService::Stub> referral_stub;
  // Under CAREBRIDGE_TEST_DATABASE=postgresql: each process's --database
  // on the test cluster, by name; dropped by Stop.
  std::map<std::string, ::carebridge::testing::TestDatabase> databases;

  ~TestDeployment() { Stop(); }

  // Starts it in a new temporary directory. Each process `name`
  // ("directory", "referral") listens on a free port with its data in
  // DIR/NAME and a short shutdown grace, and `customize` (when given) adds
  // to its config. Split, the two share the directory's token keys.
  absl::Status Start(
      bool split,
      const std::function<void(const std::string& name, ServerConfig*)>&
          customize = nullptr) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "cb-server-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError("mkdtemp failed");
    }
    dir = pattern;
    auto config = [&](const std::string& name) {
      ServerConfig config;
      config.listen = "127.0.0.1:0";
      config.data_dir = absl::StrCat(dir, "/", name);
      config.shutdown_grace = absl::Milliseconds(200);
      if (::carebridge::testing::TestOnPostgresql()) {
        absl::StatusOr<::carebridge::testing::TestDatabase> database =
            ::carebridge::testing::TestDatabase::Create(dir);
        if (database.ok()) {
          config.database = database->url();
          databases.emplace(name, *std::move(database));
        } else {
          config.database = "postgresql://unavailable-test-database";
        }
      }
      if (customize) customize(name, &config);
      return config;
    };
    ServerConfig first = config("directory");
    if (split) first.services = {"directory"};
    ASSIGN_OR_RETURN(directory, CarebridgeServer::Start(first));
    if (split) {
      ServerConfig second = config("referral");
      second.services = {"referral"};
      second.directory_address = absl::StrCat("127.0.0.1:", directory->port());
      second.token_keys_dir = first.data_dir + "/token-keys";
      ASSIGN_OR_RETURN(referral, CarebridgeServer::Start(second));
    }
    std::ifstream in(directory->bootstrap_token_path());
    std::stringstream buffer;
    buffer << in.rdbuf();
    admin_token = std::string(absl::StripAsciiWhitespace(buffer.str()));
    directory_stub = directory::v1::DirectoryService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", directory->port()),
                            grpc::InsecureChannelCredentials()));
    const int referral_port =
        referral != nullptr ? referral->port() : directory->port();
    referral_stub = referral::v1::ReferralService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", referral_port),
                            grpc::InsecureChannelCredentials()));
    return absl::OkStatus();
  }

  // Stops the processes, the referral one first, and removes their data.
  void Stop() {
    referral.reset();
    directory.reset();
    databases.clear();
    if (!dir.empty()) std::filesystem::remove_all(dir);
    dir.clear();
  }

  // A team the bootstrap admin creates, accepting referrals; its name.
  absl::StatusOr<std::string> CreateTeam(const std::string& display_name) {
    grpc::ClientContext context;
    AuthorizeForTest(context, admin_token);
    directory::v1::CreateTeamRequest request;
    request.mutable_team()->set_display_name(display_name);
    request.mutable_team()->set_sector(directory::v1::COMMUNITY_MENTAL_HEALTH);
    request.mutable_team()->set_accepting_referrals(true);
    directory::v1::Team team;
    grpc::Status status = directory_stub->CreateTeam(&context, request, &team);
    if (!status.ok()) {
      return absl::InternalError(
          absl::StrCat("CreateTeam: ", status.error_message()));
    }
    return team.name();
  }

  // The referral service's answer to `token` reading its team's inbox.
  grpc::Status ReadInbox(const std::string& token) const {
    grpc::ClientContext context;
    AuthorizeForTest(context, token);
    referral::v1::ListReferralsRequest request;
    request.set_mailbox(referral::v1::INBOX);
    referral::v1::ListReferralsResponse response;
    return referral_stub->ListReferrals(&context, request, &response);
  }
};

}  // namespace carebridge::server

#endif  // CAREBRIDGE_SERVICES_SERVER_TEST_DEPLOYMENT_H_
