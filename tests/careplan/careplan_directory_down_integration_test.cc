// The care plan service when the directory it asks cannot be reached: calls
// that need the directory are UNAVAILABLE (retry later), never a wrong
// NOT_FOUND or INVALID_ARGUMENT, and nothing is written.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

#include "tests/careplan/careplan_test_fixture.h"

namespace carebridge::careplan {
namespace {

TEST(CarePlanDirectoryDownTest, CallsThatNeedTheDirectoryAreUnavailable) {
  // Declared before the server so it outlives the server hosting it.
  std::unique_ptr<CarePlanModule> careplan;
  testing::TestServer server;
  // Nothing listens on port 1.
  auto opened = CarePlanModule::Open(
      server.env(), server.DataPath("careplan.db"),
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(opened.ok()) << opened.status();
  careplan = *std::move(opened);
  server.host().AddService(careplan->service(), CarePlanModule::kServiceName);
  server.Start();
  auto stub = v1::CarePlanService::NewStub(server.Channel());
  const Principal alice =
      testing::TestServer::Member("members/alice", "teams/community");
  const std::string plan = "persons/ada/carePlan";
  const auto unavailable = HasCodeAndMessage(
      grpc::StatusCode::UNAVAILABLE,
      AllOf(StartsWith("directory: "), Not(HasSubstr("directory: directory"))));

  v1::UpdateCarePlanRequest update;
  update.mutable_care_plan()->set_name(plan);
  v1::Action* action = update.mutable_care_plan()->add_actions();
  action->set_description("Weekly sessions.");
  action->set_owning_team("teams/community");
  update.mutable_update_mask()->add_paths("actions");
  update.set_reason("First plan.");
  v1::CarePlan out;
  auto context = server.ContextAs(alice);
  EXPECT_THAT(stub->UpdateCarePlan(context.get(), update, &out), unavailable);

  v1::AddCareTeamMemberRequest add;
  add.set_name(plan);
  add.set_team("teams/community");
  add.set_role("care coordination");
  add.set_reason("Starting care.");
  context = server.ContextAs(alice);
  EXPECT_THAT(stub->AddCareTeamMember(context.get(), add, &out), unavailable);

  // Telling "unknown person" from "no plan yet" needs the directory too.
  v1::GetCarePlanRequest get;
  get.set_name(plan);
  context = server.ContextAs(alice);
  EXPECT_THAT(stub->GetCarePlan(context.get(), get, &out), unavailable);
}

}  // namespace
}  // namespace carebridge::careplan
