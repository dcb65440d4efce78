#ifndef CAREBRIDGE_SERVICES_SERVER_SERVER_TEST_FIXTURE_H_
#define CAREBRIDGE_SERVICES_SERVER_SERVER_TEST_FIXTURE_H_

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/server/carebridge_server.h"
#include "tests/support/test_database.h"

namespace carebridge::server {

namespace dir = ::carebridge::directory::v1;
using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

// A temporary data directory per test, and calls to a started server. Under
// CAREBRIDGE_TEST_DATABASE=postgresql (ctest's *_postgresql entries) each
// configuration name also gets a database of its own on the test cluster,
// as --database: a restart under the same name finds its data again, two
// names are two deployments.
class ServerTestFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "cb-server-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    databases_.clear();
    std::filesystem::remove_all(dir_);
  }

  ServerConfig Config(const std::string& name) {
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.data_dir = absl::StrCat(dir_, "/", name);
    config.shutdown_grace = absl::Milliseconds(200);
    config.database = DatabaseUrl(name);
    return config;
  }

  // The --database of the configuration `name`: "" on SQLite.
  std::string DatabaseUrl(const std::string& name) {
    if (!::carebridge::testing::TestOnPostgresql()) return "";
    auto it = databases_.find(name);
    if (it == databases_.end()) {
      absl::StatusOr<::carebridge::testing::TestDatabase> database =
          ::carebridge::testing::TestDatabase::Create(dir_);
      EXPECT_TRUE(database.ok()) << database.status();
      if (!database.ok()) return "postgresql://unavailable-test-database";
      it = databases_.emplace(name, *std::move(database)).first;
    }
    return it->second.url();
  }

  static std::shared_ptr<grpc::Channel> ChannelTo(const CarebridgeServer& s) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", s.port()),
                               grpc::InsecureChannelCredentials());
  }

  static std::string ReadToken(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return std::string(absl::StripAsciiWhitespace(buffer.str()));
  }

  static void Authorize(grpc::ClientContext& context,
                        const std::string& token) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
  }

  static HealthCheckResponse::ServingStatus HealthOf(
      grpc::Channel& channel, const std::string& service,
      grpc::StatusCode* code = nullptr) {
    auto stub = Health::NewStub(
        std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
    grpc::ClientContext context;
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, request, &response);
    if (code != nullptr) *code = status.error_code();
    return response.status();
  }

  static dir::Team CreateTeam(grpc::Channel& channel, const std::string& token,
                              const std::string& display_name,
                              grpc::Status* status_out = nullptr) {
    auto stub = dir::DirectoryService::NewStub(
        std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
    grpc::ClientContext context;
    Authorize(context, token);
    dir::CreateTeamRequest request;
    request.mutable_team()->set_display_name(display_name);
    request.mutable_team()->set_sector(dir::CRISIS);
    request.mutable_team()->set_accepting_referrals(true);
    dir::Team team;
    grpc::Status status = stub->CreateTeam(&context, request, &team);
    if (status_out != nullptr) *status_out = status;
    EXPECT_TRUE(status.ok()) << status.error_message();
    return team;
  }

  // A clinician of `team` and their token, made by `admin`.
  static std::string ClinicianToken(grpc::Channel& channel,
                                    const std::string& admin,
                                    const std::string& team) {
    // The admin appoints the team's manager, who adds the clinician.
    return MemberToken(channel,
                       MemberToken(channel, admin, team, dir::TEAM_MANAGER),
                       team, dir::CLINICIAN);
  }

  // A member of `team` with `role`, added by `by`, and their token.
  static std::string MemberToken(grpc::Channel& channel, const std::string& by,
                                 const std::string& team, dir::Role role) {
    auto stub = dir::DirectoryService::NewStub(
        std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
    dir::Member member;
    {
      grpc::ClientContext context;
      Authorize(context, by);
      dir::CreateMemberRequest request;
      request.mutable_member()->set_display_name("Sam Clinician");
      request.mutable_member()->set_team(team);
      request.mutable_member()->set_role(role);
      grpc::Status status = stub->CreateMember(&context, request, &member);
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    grpc::ClientContext context;
    Authorize(context, by);
    dir::IssueTokenRequest request;
    request.set_member(member.name());
    dir::IssueTokenResponse response;
    grpc::Status status = stub->IssueToken(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.token();
  }

  static dir::Person CreatePerson(grpc::Channel& channel,
                                  const std::string& token) {
    auto stub = dir::DirectoryService::NewStub(
        std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
    grpc::ClientContext context;
    Authorize(context, token);
    dir::CreatePersonRequest request;
    request.mutable_person()->set_given_name("Alex");
    request.mutable_person()->set_family_name("Morgan");
    request.mutable_person()->set_birth_date("1990-04-01");
    dir::Person person;
    grpc::Status status = stub->CreatePerson(&context, request, &person);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return person;
  }

  // The one-service-per-process topology in one test process: the
  // directory in one server, and `peer` (a config naming the services it
  // hosts) in another that finds it through --directory_address, both
  // sharing the token keys. Fails the test (leaving them null) when either
  // does not start.
  void StartBesideDirectory(ServerConfig peer,
                            std::unique_ptr<CarebridgeServer>* directory,
                            std::unique_ptr<CarebridgeServer>* started) {
    ServerConfig directory_config = Config("directory");
    directory_config.services = {"directory"};
    auto started_directory = CarebridgeServer::Start(directory_config);
    ASSERT_TRUE(started_directory.ok()) << started_directory.status();
    peer.directory_address =
        absl::StrCat("127.0.0.1:", (*started_directory)->port());
    peer.token_keys_dir = directory_config.data_dir + "/token-keys";
    auto started_peer = CarebridgeServer::Start(peer);
    ASSERT_TRUE(started_peer.ok()) << started_peer.status();
    *directory = *std::move(started_directory);
    *started = *std::move(started_peer);
  }
  // The same with the referral service as the peer.
  void StartDirectoryAndReferral(std::unique_ptr<CarebridgeServer>* directory,
                                 std::unique_ptr<CarebridgeServer>* referral) {
    ServerConfig config = Config("referral");
    config.services = {"referral"};
    StartBesideDirectory(std::move(config), directory, referral);
  }

  // Who a referral needs, made through `directory` by its bootstrap admin:
  // the sending and receiving teams, a clinician of the sender and their
  // token, and the person.
  struct ReferralParties {
    std::string admin;
    dir::Team from;
    dir::Team to;
    std::string clinician;
    dir::Person person;
  };
  static ReferralParties MakeReferralParties(
      const CarebridgeServer& directory) {
    ReferralParties parties;
    parties.admin = ReadToken(directory.bootstrap_token_path());
    auto channel = ChannelTo(directory);
    parties.from = CreateTeam(*channel, parties.admin, "Community team");
    parties.to = CreateTeam(*channel, parties.admin, "Crisis team");
    parties.clinician =
        ClinicianToken(*channel, parties.admin, parties.from.name());
    parties.person = CreatePerson(*channel, parties.clinician);
    return parties;
  }

  // A crisis referral of the parties' person to their receiving team.
  static referral::v1::CreateReferralRequest CrisisReferral(
      const ReferralParties& parties) {
    referral::v1::CreateReferralRequest request;
    request.mutable_referral()->set_person(parties.person.name());
    request.mutable_referral()->set_receiving_team(parties.to.name());
    request.mutable_referral()->set_urgency(referral::v1::CRISIS);
    request.mutable_referral()->set_reason("Escalating distress this week");
    return request;
  }

  std::string dir_;
  std::map<std::string, ::carebridge::testing::TestDatabase> databases_;
};

}  // namespace carebridge::server

#endif  // CAREBRIDGE_SERVICES_SERVER_SERVER_TEST_FIXTURE_H_
