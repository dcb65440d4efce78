#include "services/server/carebridge_server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/channel_provider.h"
#include "services/server/server_test_fixture.h"

namespace carebridge::server {
namespace {

namespace cp = ::carebridge::careplan::v1;
namespace ref = ::carebridge::referral::v1;

class CarebridgeServerTest : public ServerTestFixture {};

TEST_F(CarebridgeServerTest, ReportsHealthPerHostedService) {
  auto server = CarebridgeServer::Start(Config("all"));
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = ChannelTo(**server);
  EXPECT_EQ(HealthOf(*channel, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(HealthOf(*channel, "carebridge.directory.v1.DirectoryService"),
            HealthCheckResponse::SERVING);
  EXPECT_EQ(HealthOf(*channel, "carebridge.referral.v1.ReferralService"),
            HealthCheckResponse::SERVING);
  EXPECT_EQ(HealthOf(*channel, "carebridge.careplan.v1.CarePlanService"),
            HealthCheckResponse::SERVING);
  EXPECT_EQ(HealthOf(*channel, "carebridge.handover.v1.HandoverService"),
            HealthCheckResponse::SERVING);
  EXPECT_EQ(HealthOf(*channel, "carebridge.record.v1.RecordService"),
            HealthCheckResponse::SERVING);
  // A service carebridge does not have is not claimed.
  grpc::StatusCode code;
  HealthOf(*channel, "carebridge.fhir.v1.FhirService", &code);
  EXPECT_EQ(code, grpc::StatusCode::NOT_FOUND);
}

TEST_F(CarebridgeServerTest, HostsOnlyTheServicesAsked) {
  ServerConfig config = Config("directory-only");
  config.services = {"directory"};
  auto server = CarebridgeServer::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = ChannelTo(**server);
  grpc::StatusCode code;
  HealthOf(*channel, "carebridge.referral.v1.ReferralService", &code);
  EXPECT_EQ(code, grpc::StatusCode::NOT_FOUND);
  HealthOf(*channel, "carebridge.careplan.v1.CarePlanService", &code);
  EXPECT_EQ(code, grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(HealthOf(*channel, "carebridge.directory.v1.DirectoryService"),
            HealthCheckResponse::SERVING);
}

TEST_F(CarebridgeServerTest, ShutdownTurnsHealthNotServing) {
  auto server = CarebridgeServer::Start(Config("shutdown"));
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = ChannelTo(**server);
  ASSERT_EQ(HealthOf(*channel, ""), HealthCheckResponse::SERVING);
  (*server)->Shutdown();
  (*server)->Wait();
  grpc::StatusCode code;
  HealthCheckResponse::ServingStatus status = HealthOf(*channel, "", &code);
  EXPECT_TRUE(code != grpc::StatusCode::OK ||
              status == HealthCheckResponse::NOT_SERVING);
}

TEST_F(CarebridgeServerTest, BootstrapTokenIsAnAdminTokenKeptAcrossRestarts) {
  ServerConfig config = Config("restart");
  std::string token;
  std::string team_name;
  {
    auto server = CarebridgeServer::Start(config);
    ASSERT_TRUE(server.ok()) << server.status();
    token = ReadToken((*server)->bootstrap_token_path());
    ASSERT_FALSE(token.empty());
    EXPECT_EQ(std::filesystem::status((*server)->bootstrap_token_path())
                      .permissions() &
                  std::filesystem::perms::others_read,
              std::filesystem::perms::none);
    auto channel = ChannelTo(**server);
    team_name = CreateTeam(*channel, token, "Crisis team").name();
    (*server)->Shutdown();
    (*server)->Wait();
  }
  auto server = CarebridgeServer::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(ReadToken((*server)->bootstrap_token_path()), token);
  auto stub = dir::DirectoryService::NewStub(ChannelTo(**server));
  grpc::ClientContext context;
  Authorize(context, token);
  dir::GetTeamRequest request;
  request.set_name(team_name);
  dir::Team team;
  grpc::Status status = stub->GetTeam(&context, request, &team);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(team.display_name(), "Crisis team");
}

TEST_F(CarebridgeServerTest, ReferralServiceReachesARemoteDirectory) {
  // The one-service-per-process topology, in one test process: the
  // directory in one server, the referral service in another that finds it
  // through --directory_address. Both share the token keys.
  std::unique_ptr<CarebridgeServer> directory;
  std::unique_ptr<CarebridgeServer> referral;
  ASSERT_NO_FATAL_FAILURE(StartDirectoryAndReferral(&directory, &referral));
  ReferralParties parties = MakeReferralParties(*directory);
  ASSERT_FALSE(parties.person.name().empty());

  auto referral_stub = ref::ReferralService::NewStub(ChannelTo(*referral));
  grpc::ClientContext context;
  Authorize(context, parties.clinician);
  ref::Referral created;
  grpc::Status status = referral_stub->CreateReferral(
      &context, CrisisReferral(parties), &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.sending_team(), parties.from.name());
  EXPECT_EQ(created.state(), ref::SENT);
}

TEST_F(CarebridgeServerTest, CarePlanServiceReachesARemoteDirectory) {
  // As above for the care plan service: it asks the remote directory whether
  // the person exists before creating their plan, as services/careplan.
  ServerConfig careplan_config = Config("careplan");
  careplan_config.services = {"careplan"};
  // Feeds it follows; nobody serves them here, so its consumers wait and
  // retry, which must not get in the way of its own calls.
  careplan_config.referral_address = "127.0.0.1:1";
  careplan_config.handover_address = "127.0.0.1:1";
  std::unique_ptr<CarebridgeServer> directory;
  std::unique_ptr<CarebridgeServer> careplan;
  ASSERT_NO_FATAL_FAILURE(
      StartBesideDirectory(careplan_config, &directory, &careplan));
  // Its data in its own file, or (--database) in PostgreSQL and no file.
  EXPECT_EQ(std::filesystem::exists(careplan_config.data_dir + "/careplan.db"),
            !::carebridge::testing::TestOnPostgresql());

  std::string admin = ReadToken(directory->bootstrap_token_path());
  auto directory_channel = ChannelTo(*directory);
  dir::Team team = CreateTeam(*directory_channel, admin, "Community team");
  std::string clinician =
      ClinicianToken(*directory_channel, admin, team.name());
  dir::Person person = CreatePerson(*directory_channel, clinician);
  ASSERT_FALSE(person.name().empty());

  auto stub = cp::CarePlanService::NewStub(ChannelTo(*careplan));
  {
    grpc::ClientContext context;
    Authorize(context, clinician);
    cp::UpdateCarePlanRequest request;
    request.mutable_care_plan()->set_name(person.name() + "/carePlan");
    request.mutable_care_plan()->add_goals()->set_description(
        "Feel safe at home");
    request.mutable_update_mask()->add_paths("goals");
    request.set_reason("First plan, made with Alex");
    cp::CarePlan plan;
    grpc::Status status = stub->UpdateCarePlan(&context, request, &plan);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(plan.version(), 1);
    EXPECT_EQ(plan.lead_team(), team.name());
  }
  // A person the directory does not know has no plan to write.
  grpc::ClientContext context;
  Authorize(context, clinician);
  cp::GetCarePlanRequest request;
  request.set_name("persons/nobody/carePlan");
  cp::CarePlan plan;
  grpc::Status status = stub->GetCarePlan(&context, request, &plan);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "persons/nobody not found");
}

// A peer that was down (a referral service whose feed the care plan
// follows, a directory) must be tried again within seconds once it is back:
// with gRPC's default the channel waits up to two minutes between attempts
// after a long outage, and every effect and call waits with it.
TEST(PeerChannelArgumentsTest, RetryConnectingAPeerAtLeastEveryTwoSeconds) {
  grpc::ChannelArguments args = PeerChannelArguments();
  const grpc_channel_args channel_args = args.c_channel_args();
  int max_backoff_ms = -1;
  for (size_t i = 0; i < channel_args.num_args; ++i) {
    if (std::string(channel_args.args[i].key) ==
        GRPC_ARG_MAX_RECONNECT_BACKOFF_MS) {
      max_backoff_ms = channel_args.args[i].value.integer;
    }
  }
  EXPECT_GT(max_backoff_ms, 0) << "gRPC's default (120 s) applies";
  EXPECT_LE(max_backoff_ms, 2000);
}

}  // namespace
}  // namespace carebridge::server
