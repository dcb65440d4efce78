// The care plan service cannot answer: a handover is refused with
// UNAVAILABLE and nothing is stored, nothing is published.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "tests/handover/handover_test_fixture.h"

namespace carebridge::handover {
namespace {

// Hosts the directory and the handover service; the handover service's
// link to the care plan service is whatever `careplan_channel_` yields.
class CarePlanDownTest : public ::testing::Test, public HandoverClient {
 protected:
  void OpenHandoverServer() {
    ASSERT_OK_AND_ASSIGN(database_,
                         testing::TestDatabase::Create(data_dir_.path()));
    auto in_process = [this] { return server_.host().InProcessChannel(); };
    auto directory = directory::DirectoryModule::Open(
        server_.env(), database_->location("directory"));
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    auto handover = HandoverModule::Open(
        server_.env(), database_->location("handover"), in_process,
        [this] { return careplan_channel_(); });
    ASSERT_TRUE(handover.ok()) << handover.status();
    handover_ = *std::move(handover);
    server_.host().AddService(directory_->service(),
                              directory::DirectoryModule::kServiceName);
    server_.host().AddService(handover_->service(),
                              HandoverModule::kServiceName);
    server_.Start();
    stub_ = v1::HandoverService::NewStub(server_.Channel());
    community_ = MakeTeam(server_, "North CMHT", dir::COMMUNITY_MENTAL_HEALTH);
    crisis_ = MakeTeam(server_, "Crisis Resolution", dir::CRISIS);
    bob_ = testing::TestServer::Member("members/bob", crisis_.name());
    person_ = MakePerson(server_, bob_);
  }

  void TearDown() override {
    if (careplan_ != nullptr) careplan_->StopBackgroundWork();
    if (handover_ != nullptr) handover_->StopBackgroundWork();
    if (directory_ != nullptr) directory_->StopBackgroundWork();
  }

  grpc::Status TryCreate(v1::Handover* out) {
    auto context = server_.ContextAs(bob_);
    return stub_->CreateHandover(
        context.get(), CreateRequest(person_, community_.name()), out);
  }

  // Nothing was stored and nothing published.
  void ExpectNothingStored() {
    v1::ListHandoversRequest sent;
    sent.set_mailbox(v1::SENT_BY_TEAM);
    v1::ListHandoversResponse response;
    auto context = server_.ContextAs(bob_);
    ASSERT_GRPC_OK(stub_->ListHandovers(context.get(), sent, &response));
    EXPECT_THAT(response.handovers(), IsEmpty());
    EXPECT_THAT(handover_->event_log()->Head(),
                ::carebridge::testing::IsOkAndHolds(0));
  }

  std::function<std::shared_ptr<grpc::Channel>()> careplan_channel_;
  // Where the services store (TestDatabase), declared before them.
  testing::TempDir data_dir_;
  std::optional<testing::TestDatabase> database_;
  // Declared before the servers so the services outlive them.
  std::unique_ptr<directory::DirectoryModule> directory_;
  std::unique_ptr<HandoverModule> handover_;
  std::unique_ptr<careplan::CarePlanModule> careplan_;
  testing::TestServer server_;
  testing::TestServer careplan_server_;
  std::unique_ptr<v1::HandoverService::Stub> stub_;
  dir::Team community_, crisis_;
  Principal bob_;
  std::string person_;
};

TEST_F(CarePlanDownTest, ServerWithoutTheCarePlanServiceIsUnavailable) {
  // The care plan service is configured at an address that does not host
  // it (here: this very server).
  careplan_channel_ = [this] { return server_.host().InProcessChannel(); };
  OpenHandoverServer();
  v1::Handover handover;
  EXPECT_THAT(
      TryCreate(&handover),
      HasCodeAndMessage(grpc::StatusCode::UNAVAILABLE, HasSubstr("careplan")));
  ExpectNothingStored();
}

TEST_F(CarePlanDownTest, StoppedCarePlanServerIsUnavailable) {
  // The care plan service in a process of its own, asking this server's
  // directory over TCP.
  careplan_channel_ = [this] { return careplan_server_.Channel(); };
  OpenHandoverServer();
  auto careplan = careplan::CarePlanModule::Open(
      careplan_server_.env(), careplan_server_.DataPath("careplan.db"),
      directory_client::DirectoryChannelProvider(
          [this] { return server_.Channel(); }));
  ASSERT_TRUE(careplan.ok()) << careplan.status();
  careplan_ = *std::move(careplan);
  careplan_server_.host().AddService(careplan_->service(),
                                     careplan::CarePlanModule::kServiceName);
  careplan_server_.Start();
  AddToCareTeam(careplan_server_, bob_, person_, crisis_.name());

  careplan_->StopBackgroundWork();
  careplan_server_.Stop();
  v1::Handover handover;
  EXPECT_THAT(TryCreate(&handover), HasCode(grpc::StatusCode::UNAVAILABLE));
  ExpectNothingStored();
}

TEST_F(CarePlanDownTest, HandoverWorksAcrossProcessesWhileTheCarePlanIsUp) {
  careplan_channel_ = [this] { return careplan_server_.Channel(); };
  OpenHandoverServer();
  auto careplan = careplan::CarePlanModule::Open(
      careplan_server_.env(), careplan_server_.DataPath("careplan.db"),
      directory_client::DirectoryChannelProvider(
          [this] { return server_.Channel(); }));
  ASSERT_TRUE(careplan.ok()) << careplan.status();
  careplan_ = *std::move(careplan);
  careplan_server_.host().AddService(careplan_->service(),
                                     careplan::CarePlanModule::kServiceName);
  careplan_server_.Start();
  cp::CarePlan plan =
      AddToCareTeam(careplan_server_, bob_, person_, crisis_.name());
  v1::Handover handover;
  ASSERT_GRPC_OK(TryCreate(&handover));
  EXPECT_EQ(handover.care_plan_version(), plan.version());
}

}  // namespace
}  // namespace carebridge::handover
