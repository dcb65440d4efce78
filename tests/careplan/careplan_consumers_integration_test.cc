// The care plan service's consumers over real gRPC: accepted referrals in
// the referral service change care teams, eventually and effectively once,
// also across a restart of the care plan service.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "services/careplan/careplan_domain.h"
#include "services/careplan/careplan_module.h"
#include "services/directory/directory_module.h"
#include "services/referral/referral_module.h"
#include "tests/support/test_server.h"

namespace carebridge::careplan {
namespace {

namespace dir = ::carebridge::directory::v1;
namespace ref = ::carebridge::referral::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::SizeIs;

// Effects normally land well under a second; this bounds a slow CI run.
constexpr absl::Duration kEffectDeadline = absl::Seconds(10);
constexpr absl::Duration kPollInterval = absl::Milliseconds(10);

bool IsInvolved(const v1::CarePlan& plan, const std::string& team) {
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
    careplan_ = OpenCarePlan();
    ASSERT_NE(careplan_, nullptr);
    server_.host().AddService(directory_->service(),
                              directory::DirectoryModule::kServiceName);
    server_.host().AddService(referral_->service(),
                              referral::ReferralModule::kServiceName);
    server_.host().AddService(careplan_->service(),
                              CarePlanModule::kServiceName);
    server_.Start();
    careplan_->StartConsumers(InProcess(), InProcess());
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

  void TearDown() override {
    // Before the server goes: no consumer outlives what it talks to.
    careplan_->StopBackgroundWork();
    referral_->StopBackgroundWork();
  }

  ChannelProvider InProcess() {
    return [this] { return server_.host().InProcessChannel(); };
  }

  std::unique_ptr<CarePlanModule> OpenCarePlan() {
    auto careplan = CarePlanModule::Open(
        server_.env(), server_.DataPath("careplan.db"), InProcess());
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

  // Declared before server_ so the services outlive the server hosting
  // them.
  std::unique_ptr<directory::DirectoryModule> directory_;
  std::unique_ptr<referral::ReferralModule> referral_;
  std::unique_ptr<CarePlanModule> careplan_;
  testing::TestServer server_;
  std::unique_ptr<dir::DirectoryService::Stub> directory_stub_;
  std::unique_ptr<ref::ReferralService::Stub> referral_stub_;
  std::unique_ptr<v1::CarePlanService::Stub> careplan_stub_;

  std::string community_, crisis_, voluntary_, housing_;
  Principal alice_, bob_, val_, otto_, record_service_;
  std::string person_;
};

TEST_F(CarePlanConsumersTest, AcceptedReferralMakesTheReceivingTeamLead) {
  const std::string referral = ReferAndAccept(crisis_, bob_);
  const v1::CarePlan plan = WaitForPlan(
      [&](const v1::CarePlan& p) { return p.lead_team() == crisis_; });
  EXPECT_EQ(plan.version(), 1);
  EXPECT_EQ(plan.change().kind(), v1::Change::CARE_TEAM_CHANGED);
  EXPECT_EQ(plan.change().actor(), "services/careplan");
  EXPECT_THAT(plan.change().reason(),
              HasSubstr(absl::StrCat("referral ", referral, " accepted")));
  // The version is in the care plan feed, for whoever follows it.
  auto events = careplan_->event_log()->ReadAfter(0, 10);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_THAT(*events, SizeIs(1));
  EXPECT_EQ((*events)[0].type(), "careplan.care_team_changed");
}

TEST_F(CarePlanConsumersTest, SecondAcceptedReferralJoinsAlongside) {
  ReferAndAccept(crisis_, bob_);
  WaitForPlan([&](const v1::CarePlan& p) { return p.lead_team() == crisis_; });
  ReferAndAccept(voluntary_, val_);
  const v1::CarePlan plan = WaitForPlan(
      [&](const v1::CarePlan& p) { return IsInvolved(p, voluntary_); });
  EXPECT_EQ(plan.version(), 2);
  EXPECT_EQ(plan.lead_team(), crisis_);
}

TEST_F(CarePlanConsumersTest, ResumesAfterARestartWithoutApplyingTwice) {
  ReferAndAccept(crisis_, bob_);
  ReferAndAccept(voluntary_, val_);
  WaitForPlan([&](const v1::CarePlan& p) { return IsInvolved(p, voluntary_); });
  // The voluntary team's part ends. Were its referral applied again, it
  // would rejoin.
  v1::EndCareTeamInvolvementRequest end;
  end.set_name(absl::StrCat(person_, "/carePlan"));
  end.set_team(voluntary_);
  end.set_reason("Peer support finished.");
  v1::CarePlan ended;
  auto context = server_.ContextAs(val_);
  grpc::Status status =
      careplan_stub_->EndCareTeamInvolvement(context.get(), end, &ended);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // The care plan service stops; referrals are accepted meanwhile.
  careplan_->StopBackgroundWork();
  const int64_t applied_before = careplan_->applied_through("referral");
  ReferAndAccept(housing_, otto_);
  ReferAndAccept(crisis_, bob_);  // already involved: no effect
  EXPECT_EQ(careplan_->applied_through("referral"), applied_before);

  // Restarted on the same database, it catches up from its cursor.
  std::unique_ptr<CarePlanModule> restarted = OpenCarePlan();
  ASSERT_NE(restarted, nullptr);
  restarted->StartConsumers(InProcess(), InProcess());
  WaitUntilCaughtUp(*restarted);
  restarted->StopBackgroundWork();

  std::vector<std::pair<int64_t, std::string>> history;
  for (const v1::CarePlan& version : Versions(*restarted)) {
    history.emplace_back(version.version(), version.change().actor());
  }
  EXPECT_THAT(
      history,
      ElementsAre(Pair(4, "services/careplan"), Pair(3, val_.subject),
                  Pair(2, "services/careplan"), Pair(1, "services/careplan")));
  const std::vector<v1::CarePlan> versions = Versions(*restarted);
  ASSERT_FALSE(versions.empty());
  EXPECT_TRUE(IsInvolved(versions[0], housing_));
  EXPECT_FALSE(IsInvolved(versions[0], voluntary_));
  EXPECT_EQ(versions[0].lead_team(), crisis_);
}

}  // namespace
}  // namespace carebridge::careplan
