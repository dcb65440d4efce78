#ifndef CAREBRIDGE_TESTS_CAREPLAN_CAREPLAN_CONSUMERS_FIXTURE_H_
#define CAREBRIDGE_TESTS_CAREPLAN_CAREPLAN_CONSUMERS_FIXTURE_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "services/careplan/careplan_domain.h"
#include "services/careplan/careplan_module.h"
#include "services/common/feed_admin.h"
#include "services/common/feed_admin_grpc.h"
#include "services/directory/directory_module.h"
#include "services/referral/referral_module.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace carebridge::careplan::consumers_fixture {

namespace dir = ::carebridge::directory::v1;
namespace ref = ::carebridge::referral::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::SizeIs;

// Effects normally land well under a second; this bounds a slow CI run.
inline constexpr absl::Duration kEffectDeadline = absl::Seconds(10);
inline constexpr absl::Duration kPollInterval = absl::Milliseconds(10);

inline bool IsInvolved(const v1::CarePlan& plan, const std::string& team) {
  for (const v1::CareTeamMember& member : plan.care_team()) {
    if (member.team() == team && !member.has_end_time()) return true;
  }
  return false;
}

// One server hosting the directory, the referral service and the care plan
// service, as the all-in-one binary does; the care plan service follows the
// referral feed over the server's in-process channel. Alice (community
// team) refers; bob (crisis), val (voluntary) and otto (housing) accept.
class CarePlanConsumersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = directory::DirectoryModule::Open(
        server_.env(), server_.DataPath("directory.db"));
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    auto referral = referral::ReferralModule::Open(
        server_.env(), server_.DataPath("referral.db"), InProcess());
    ASSERT_TRUE(referral.ok()) << referral.status();
    referral_ = *std::move(referral);
    // The care plan data in SQLite, or on PostgreSQL under
    // CAREBRIDGE_TEST_DATABASE=postgresql.
    auto database = testing::TestDatabase::Create(server_.DataPath("."));
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = *std::move(database);
    careplan_ = OpenCarePlan();
    ASSERT_NE(careplan_, nullptr);
    server_.host().AddService(directory_->service(),
                              directory::DirectoryModule::kServiceName);
    server_.host().AddService(referral_->service(),
                              referral::ReferralModule::kServiceName);
    server_.host().AddService(careplan_->service(),
                              CarePlanModule::kServiceName);
    feed_admin_ = std::make_unique<FeedAdmin>(&server_.clock());
    feed_admin_service_ = std::make_unique<FeedAdminGrpcService>(
        server_.env().authenticator, server_.env().executor, feed_admin_.get());
    server_.host().AddService(feed_admin_service_.get(),
                              FeedAdminGrpcService::kServiceName);
    server_.Start();
    StartConsumers();
    directory_stub_ = dir::DirectoryService::NewStub(server_.Channel());
    referral_stub_ = ref::ReferralService::NewStub(server_.Channel());
    careplan_stub_ = v1::CarePlanService::NewStub(server_.Channel());

    community_ = MakeTeam("North CMHT", dir::COMMUNITY_MENTAL_HEALTH);
    crisis_ = MakeTeam("Crisis Resolution", dir::CRISIS);
    voluntary_ = MakeTeam("Peer Café", dir::VOLUNTARY_SECTOR);
    housing_ = MakeTeam("Housing Support", dir::SOCIAL_CARE);
    alice_ = testing::TestServer::Member("members/alice", community_);
    bob_ = testing::TestServer::Member("members/bob", crisis_);
    val_ = testing::TestServer::Member("members/val", voluntary_);
    otto_ = testing::TestServer::Member("members/otto", housing_);
    record_service_.subject = "services/record";
    record_service_.role = Role::kService;
    person_ = MakePerson();
  }

  // Starts careplan_'s consumers and lists them with the feed admin.
  void StartConsumers() {
    careplan_->StartConsumers(InProcess(), InProcess());
    for (EventConsumer* consumer : careplan_->consumers()) {
      feed_admin_->Add(consumer);
    }
  }
  void StopConsumers() {
    for (EventConsumer* consumer : careplan_->consumers()) {
      feed_admin_->Remove(consumer);
    }
    careplan_->StopBackgroundWork();
  }

  void TearDown() override {
    // Before the server goes: no consumer outlives what it talks to.
    StopConsumers();
    referral_->StopBackgroundWork();
  }

  ChannelProvider InProcess() {
    return [this] { return server_.host().InProcessChannel(); };
  }

  std::unique_ptr<CarePlanModule> OpenCarePlan() {
    auto careplan = CarePlanModule::Open(
        server_.env(), database_->location("careplan"), InProcess());
    EXPECT_TRUE(careplan.ok()) << careplan.status();
    return careplan.ok() ? *std::move(careplan) : nullptr;
  }

  std::string MakeTeam(const std::string& display_name, dir::Sector sector) {
    dir::CreateTeamRequest request;
    request.mutable_team()->set_display_name(display_name);
    request.mutable_team()->set_sector(sector);
    request.mutable_team()->set_accepting_referrals(true);
    dir::Team team;
    auto context = server_.ContextAs(testing::TestServer::Admin());
    grpc::Status status =
        directory_stub_->CreateTeam(context.get(), request, &team);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return team.name();
  }

  std::string MakePerson() {
    dir::CreatePersonRequest request;
    request.mutable_person()->set_given_name("Ada");
    request.mutable_person()->set_family_name("Okafor");
    request.mutable_person()->set_birth_date("1990-04-01");
    // Each call is another person who happens to share the name.
    request.set_allow_possible_duplicate(true);
    dir::Person person;
    auto context = server_.ContextAs(alice_);
    grpc::Status status =
        directory_stub_->CreatePerson(context.get(), request, &person);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return person.name();
  }

  // Alice refers the person to `team`, whose member `accepter` accepts.
  std::string ReferAndAccept(const std::string& team,
                             const Principal& accepter) {
    ref::CreateReferralRequest create;
    create.mutable_referral()->set_person(person_);
    create.mutable_referral()->set_receiving_team(team);
    create.mutable_referral()->set_urgency(ref::URGENT);
    create.mutable_referral()->set_reason("Needs support in the evenings.");
    ref::Referral referral;
    auto context = server_.ContextAs(alice_);
    grpc::Status status =
        referral_stub_->CreateReferral(context.get(), create, &referral);
    EXPECT_TRUE(status.ok()) << status.error_message();
    ref::AcceptReferralRequest accept;
    accept.set_name(referral.name());
    context = server_.ContextAs(accepter);
    status = referral_stub_->AcceptReferral(context.get(), accept, &referral);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return referral.name();
  }

  // Polls GetCarePlan until `done` holds of the plan; fails the test after
  // kEffectDeadline. Returns the last plan read.
  v1::CarePlan WaitForPlan(
      const std::function<bool(const v1::CarePlan&)>& done) {
    const absl::Time deadline = absl::Now() + kEffectDeadline;
    v1::GetCarePlanRequest request;
    request.set_name(absl::StrCat(person_, "/carePlan"));
    v1::CarePlan plan;
    while (true) {
      auto context = server_.ContextAs(record_service_);
      grpc::Status status =
          careplan_stub_->GetCarePlan(context.get(), request, &plan);
      if (status.ok() && done(plan)) return plan;
      if (absl::Now() > deadline) {
        ADD_FAILURE() << "care plan did not change within " << kEffectDeadline
                      << "; last read: " << status.error_message() << "\n"
                      << plan.DebugString();
        return plan;
      }
      absl::SleepFor(kPollInterval);
    }
  }

  // Waits until `module` has applied the referral feed up to its head.
  void WaitUntilCaughtUp(CarePlanModule& module) {
    const absl::Time deadline = absl::Now() + kEffectDeadline;
    absl::StatusOr<int64_t> head = referral_->event_log()->Head();
    ASSERT_TRUE(head.ok()) << head.status();
    while (module.applied_through("referral") < *head) {
      ASSERT_LT(absl::Now(), deadline) << "consumer stuck before " << *head;
      absl::SleepFor(kPollInterval);
    }
  }

  // Every version, newest first, read through `module`'s domain.
  std::vector<v1::CarePlan> Versions(CarePlanModule& module) {
    v1::ListCarePlanVersionsRequest request;
    request.set_parent(absl::StrCat(person_, "/carePlan"));
    request.set_page_size(100);
    request.set_view(v1::FULL);
    auto response =
        module.domain()->ListCarePlanVersions(record_service_, request);
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return {};
    return {response->versions().begin(), response->versions().end()};
  }

  // Declared before the services, which it outlives.
  std::optional<testing::TestDatabase> database_;
  // Declared before server_ so the services outlive the server hosting
  // them.
  std::unique_ptr<directory::DirectoryModule> directory_;
  std::unique_ptr<referral::ReferralModule> referral_;
  std::unique_ptr<CarePlanModule> careplan_;
  std::unique_ptr<FeedAdmin> feed_admin_;
  std::unique_ptr<FeedAdminGrpcService> feed_admin_service_;
  testing::TestServer server_;
  std::unique_ptr<dir::DirectoryService::Stub> directory_stub_;
  std::unique_ptr<ref::ReferralService::Stub> referral_stub_;
  std::unique_ptr<v1::CarePlanService::Stub> careplan_stub_;

  std::string community_, crisis_, voluntary_, housing_;
  Principal alice_, bob_, val_, otto_, record_service_;
  std::string person_;
};

}  // namespace carebridge::careplan::consumers_fixture

#endif  // CAREBRIDGE_TESTS_CAREPLAN_CAREPLAN_CONSUMERS_FIXTURE_H_
