#ifndef CAREBRIDGE_TESTS_CAREPLAN_CAREPLAN_TEST_FIXTURE_H_
#define CAREBRIDGE_TESTS_CAREPLAN_CAREPLAN_TEST_FIXTURE_H_

#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/sync_stream.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/careplan/careplan_module.h"
#include "services/common/time_util.h"
#include "services/directory/directory_module.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/sample_care_plan.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace carebridge::careplan {

namespace dir = ::carebridge::directory::v1;

// The matchers the care plan integration tests share.
using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::HasCode;
using ::carebridge::testing::HasCodeAndMessage;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Property;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

// Every content section, as UpdateCarePlan's update_mask paths: the ones the
// sample plan fills.
inline std::vector<std::string> AllContentPaths() {
  const google::protobuf::FieldMask mask = testing::SampleCarePlanMask();
  return {mask.paths().begin(), mask.paths().end()};
}

inline v1::Date MakeDate(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

// One server hosting the directory and the care plan service, as the
// all-in-one binary does: the care plan service reaches the directory over
// the server's in-process channel, and tests talk to both over TCP.
//
// Four teams: a community mental health team, a crisis team, a
// voluntary-sector organisation and a housing team that is never put on the
// care team. Staff: alice and carol (community), bob (crisis), val (a peer
// support worker in the voluntary team), otto (housing); an admin; and a
// service identity. One registered person, whose plan is not written yet.
class CarePlanTest : public ::testing::Test {
 protected:
  using Stub = v1::CarePlanService::Stub;

  void SetUp() override {
    auto directory = directory::DirectoryModule::Open(
        server_.env(), server_.DataPath("directory.db"));
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    // The care plan data in SQLite, or on PostgreSQL under
    // CAREBRIDGE_TEST_DATABASE=postgresql
    // (careplan_integration_test_postgresql).
    auto database = testing::TestDatabase::Create(server_.DataPath("."));
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = *std::move(database);
    auto careplan =
        CarePlanModule::Open(server_.env(), database_->location("careplan"),
                             directory_client::DirectoryChannelProvider([this] {
                               return server_.host().InProcessChannel();
                             }));
    ASSERT_TRUE(careplan.ok()) << careplan.status();
    careplan_ = *std::move(careplan);
    server_.host().AddService(directory_->service(),
                              directory::DirectoryModule::kServiceName);
    server_.host().AddService(careplan_->service(),
                              CarePlanModule::kServiceName);
    // As every server does (audit::RegisterAuditLogs): refusals before
    // anything is read are recorded in careplan.db's audit log.
    server_.authenticator().SetAuditLog("carebridge.careplan.v1",
                                        careplan_->audit_log());
    server_.Start();
    directory_stub_ = dir::DirectoryService::NewStub(server_.Channel());
    stub_ = v1::CarePlanService::NewStub(server_.Channel());

    community_ = MakeTeam("North CMHT", dir::COMMUNITY_MENTAL_HEALTH);
    crisis_ = MakeTeam("Crisis Resolution", dir::CRISIS);
    voluntary_ = MakeTeam("Peer Café", dir::VOLUNTARY_SECTOR);
    housing_ = MakeTeam("Housing Support", dir::SOCIAL_CARE);
    alice_ = Member("members/alice", community_.name());
    carol_ = Member("members/carol", community_.name(), Role::kCareCoordinator);
    bob_ = Member("members/bob", crisis_.name());
    val_ = Member("members/val", voluntary_.name(), Role::kPeerSupportWorker);
    otto_ = Member("members/otto", housing_.name());
    admin_ = testing::TestServer::Admin();
    service_ = ServiceIdentity("services/record");
    person_ = MakePerson("Ada", "Okafor");
    plan_ = PlanName(person_);
  }

  // --- Directory set-up -----------------------------------------------------

  dir::Team MakeTeam(const std::string& display_name, dir::Sector sector) {
    dir::CreateTeamRequest request;
    request.mutable_team()->set_display_name(display_name);
    request.mutable_team()->set_sector(sector);
    request.mutable_team()->set_accepting_referrals(true);
    dir::Team team;
    auto context = server_.ContextAs(testing::TestServer::Admin());
    grpc::Status status =
        directory_stub_->CreateTeam(context.get(), request, &team);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return team;
  }

  // A person registered in the directory (by alice's team).
  std::string MakePerson(const std::string& given_name,
                         const std::string& family_name) {
    dir::CreatePersonRequest request;
    request.mutable_person()->set_given_name(given_name);
    request.mutable_person()->set_family_name(family_name);
    request.mutable_person()->set_birth_date("1990-04-01");
    // Tests make one person per case, often with the same name: each is
    // someone else.
    request.set_allow_possible_duplicate(true);
    dir::Person person;
    auto context = server_.ContextAs(
        testing::TestServer::Member("members/registrar", community_.name()));
    grpc::Status status =
        directory_stub_->CreatePerson(context.get(), request, &person);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return person.name();
  }

  static Principal Member(const std::string& subject, const std::string& team,
                          Role role = Role::kClinician) {
    return testing::TestServer::Member(subject, team, role);
  }

  static Principal ServiceIdentity(const std::string& subject) {
    Principal principal;
    principal.subject = subject;
    principal.role = Role::kService;
    return principal;
  }

  static std::string PlanName(const std::string& person) {
    return absl::StrCat(person, "/carePlan");
  }
  std::string VersionName(int64_t version) const {
    return absl::StrCat(plan_, "/versions/", version);
  }

  // A channel of its own (its own TCP connection), for concurrent clients.
  std::shared_ptr<grpc::Channel> NewChannel() {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_.port()),
                                     grpc::InsecureChannelCredentials(), args);
  }

  // --- Calls ----------------------------------------------------------------

  // Calls a CarePlanService method as `as`.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                 const Request&, Response*),
                    const Principal& as, const Request& request,
                    Response* response) {
    auto context = server_.ContextAs(as);
    return (stub_.get()->*method)(context.get(), request, response);
  }

  grpc::Status TryGet(const Principal& as, const std::string& name,
                      v1::CarePlan* out) {
    v1::GetCarePlanRequest request;
    request.set_name(name);
    return Call(&Stub::GetCarePlan, as, request, out);
  }

  // The current plan as the service identity sees it.
  v1::CarePlan Get() { return GetAs(service_); }
  v1::CarePlan GetAs(const Principal& as) {
    v1::CarePlan plan;
    grpc::Status status = TryGet(as, plan_, &plan);
    EXPECT_TRUE(status.ok())
        << status.error_code() << ": " << status.error_message();
    return plan;
  }

  // An update of `paths` with the content of `content`.
  v1::UpdateCarePlanRequest UpdateRequest(
      const v1::CarePlan& content, const std::vector<std::string>& paths,
      const std::string& etag,
      const std::string& reason = "Reviewed with the person.") const {
    v1::UpdateCarePlanRequest request;
    *request.mutable_care_plan() = content;
    request.mutable_care_plan()->set_name(plan_);
    for (const std::string& path : paths) {
      request.mutable_update_mask()->add_paths(path);
    }
    request.set_etag(etag);
    request.set_reason(reason);
    return request;
  }

  grpc::Status Update(const Principal& as,
                      const v1::UpdateCarePlanRequest& request,
                      v1::CarePlan* out) {
    return Call(&Stub::UpdateCarePlan, as, request, out);
  }

  // An update expected to succeed.
  v1::CarePlan Write(const Principal& as, const v1::CarePlan& content,
                     const std::vector<std::string>& paths,
                     const std::string& etag,
                     const std::string& reason = "Reviewed with the person.") {
    v1::CarePlan plan;
    grpc::Status status =
        Update(as, UpdateRequest(content, paths, etag, reason), &plan);
    EXPECT_TRUE(status.ok())
        << status.error_code() << ": " << status.error_message();
    return plan;
  }

  // The sample plan's content, its actions owned by the community, crisis
  // and voluntary teams.
  v1::CarePlan RealisticCarePlan() const {
    return testing::SampleCarePlan(
        {community_.name(), crisis_.name(), voluntary_.name()});
  }

  // Writes version 1 of the person's plan: the sample plan (see
  // RealisticCarePlan), as `as` (alice by default, whose team becomes the
  // lead).
  v1::CarePlan CreateRealisticPlan() { return CreateRealisticPlanAs(alice_); }
  v1::CarePlan CreateRealisticPlanAs(const Principal& as) {
    return Write(as, RealisticCarePlan(), AllContentPaths(), /*etag=*/"",
                 "First plan made with Ada.");
  }

  // A plan content with one goal per description.
  static v1::CarePlan Goals(const std::vector<std::string>& descriptions) {
    v1::CarePlan content;
    for (const std::string& description : descriptions) {
      content.add_goals()->set_description(description);
    }
    return content;
  }

  static v1::CarePlan WhatHelps(const std::string& text) {
    v1::CarePlan content;
    content.mutable_crisis_plan()->set_what_helps(text);
    return content;
  }

  grpc::Status AddTeam(const Principal& as, const std::string& team,
                       const std::string& role, v1::CarePlan* out,
                       const std::string& etag = "",
                       const std::string& reason = "Joining Ada's care.") {
    v1::AddCareTeamMemberRequest request;
    request.set_name(plan_);
    request.set_team(team);
    request.set_role(role);
    request.set_etag(etag);
    request.set_reason(reason);
    return Call(&Stub::AddCareTeamMember, as, request, out);
  }

  v1::CarePlan MustAddTeam(const Principal& as, const std::string& team,
                           const std::string& role) {
    v1::CarePlan plan;
    grpc::Status status = AddTeam(as, team, role, &plan);
    EXPECT_TRUE(status.ok())
        << status.error_code() << ": " << status.error_message();
    return plan;
  }

  // What `as` is shown of the feed after `after`, up to the head now.
  std::vector<events::v1::Event> ReadFeed(const Principal& as,
                                          int64_t after = 0) {
    events::v1::SubscribeRequest request;
    request.set_after_sequence(after);
    request.set_stop_when_caught_up(true);
    auto context = server_.ContextAs(as);
    auto reader = stub_->Subscribe(context.get(), request);
    std::vector<events::v1::Event> events;
    events::v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      for (const events::v1::Event& event : response.events())
        events.push_back(event);
    }
    grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return events;
  }

  // Replaces the person's sharing choices with `rules`, as `as`.
  grpc::Status Share(const Principal& as, std::vector<v1::SharingRule> rules,
                     v1::SharingChoices* out,
                     const std::string& reason = "The person chose this.") {
    v1::UpdateSharingChoicesRequest request;
    request.mutable_sharing_choices()->set_name(
        absl::StrCat(person_, "/sharingChoices"));
    for (v1::SharingRule& rule : rules) {
      *request.mutable_sharing_choices()->add_rules() = std::move(rule);
    }
    request.set_reason(reason);
    return Call(&Stub::UpdateSharingChoices, as, request, out);
  }

  // A rule sharing `parts` with `team`.
  static v1::SharingRule TeamRule(const std::string& team,
                                  std::initializer_list<v1::SharedPart> parts) {
    v1::SharingRule rule;
    rule.set_team(team);
    for (v1::SharedPart part : parts) rule.add_parts(part);
    return rule;
  }

  // A rule sharing every part of the plan with `team`.
  static v1::SharingRule ShareEverything(const std::string& team) {
    v1::SharingRule rule;
    rule.set_team(team);
    rule.add_parts(v1::SHARED_GOALS);
    rule.add_parts(v1::SHARED_ALL_ACTIONS);
    rule.add_parts(v1::SHARED_CRISIS_PLAN);
    rule.add_parts(v1::SHARED_COMMUNICATION_PREFERENCES);
    rule.add_parts(v1::SHARED_REVIEW_DATE);
    rule.add_parts(v1::SHARED_CARE_TEAM);
    rule.add_parts(v1::SHARED_AGREEMENT);
    return rule;
  }

  grpc::Status EndTeam(const Principal& as, const std::string& team,
                       v1::CarePlan* out, const std::string& etag = "",
                       const std::string& reason = "Support finished.") {
    v1::EndCareTeamInvolvementRequest request;
    request.set_name(plan_);
    request.set_team(team);
    request.set_etag(etag);
    request.set_reason(reason);
    return Call(&Stub::EndCareTeamInvolvement, as, request, out);
  }

  v1::CarePlan MustEndTeam(const Principal& as, const std::string& team) {
    v1::CarePlan plan;
    grpc::Status status = EndTeam(as, team, &plan);
    EXPECT_TRUE(status.ok())
        << status.error_code() << ": " << status.error_message();
    return plan;
  }

  grpc::Status SetLead(const Principal& as, const std::string& team,
                       v1::CarePlan* out, const std::string& role = "",
                       const std::string& etag = "",
                       const std::string& reason = "Agreed at the review.") {
    v1::SetLeadTeamRequest request;
    request.set_name(plan_);
    request.set_team(team);
    request.set_role(role);
    request.set_etag(etag);
    request.set_reason(reason);
    return Call(&Stub::SetLeadTeam, as, request, out);
  }

  v1::CarePlan MustSetLead(const Principal& as, const std::string& team,
                           const std::string& role = "") {
    v1::CarePlan plan;
    grpc::Status status = SetLead(as, team, &plan, role);
    EXPECT_TRUE(status.ok())
        << status.error_code() << ": " << status.error_message();
    return plan;
  }

  grpc::Status Agree(const Principal& as, int64_t version, v1::CarePlan* out,
                     const std::string& comment = "") {
    v1::RecordAgreementRequest request;
    request.set_name(plan_);
    request.set_version(version);
    request.set_person_comment(comment);
    return Call(&Stub::RecordAgreement, as, request, out);
  }

  v1::CarePlan MustAgree(const Principal& as, int64_t version,
                         const std::string& comment = "") {
    v1::CarePlan plan;
    grpc::Status status = Agree(as, version, &plan, comment);
    EXPECT_TRUE(status.ok())
        << status.error_code() << ": " << status.error_message();
    return plan;
  }

  grpc::Status Diff(const Principal& as, int64_t from_version,
                    int64_t to_version, v1::CarePlanDiff* out) {
    v1::DiffCarePlanVersionsRequest request;
    request.set_name(plan_);
    request.set_from_version(from_version);
    request.set_to_version(to_version);
    return Call(&Stub::DiffCarePlanVersions, as, request, out);
  }

  grpc::Status GetVersion(const Principal& as, const std::string& name,
                          v1::CarePlan* out) {
    v1::GetCarePlanVersionRequest request;
    request.set_name(name);
    return Call(&Stub::GetCarePlanVersion, as, request, out);
  }

  // Every version of `parent` (this person's plan by default), following
  // next_page_token, as the service identity sees them.
  std::vector<v1::CarePlan> ListAllVersions(v1::VersionView view = v1::FULL,
                                            int page_size = 0,
                                            const std::string& parent = "") {
    v1::ListCarePlanVersionsRequest request;
    request.set_parent(parent.empty() ? plan_ : parent);
    request.set_view(view);
    request.set_page_size(page_size);
    std::vector<v1::CarePlan> versions;
    do {
      v1::ListCarePlanVersionsResponse response;
      grpc::Status status =
          Call(&Stub::ListCarePlanVersions, service_, request, &response);
      EXPECT_TRUE(status.ok())
          << status.error_code() << ": " << status.error_message();
      if (!status.ok()) break;
      for (const v1::CarePlan& v : response.versions()) versions.push_back(v);
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return versions;
  }

  // --- Checking that a failed call changed nothing ---------------------------

  // The plan and its history at one moment.
  struct Snapshot {
    bool exists = false;
    v1::CarePlan current;
    std::vector<v1::CarePlan> versions;
  };

  Snapshot Take() {
    Snapshot snapshot;
    grpc::Status status = TryGet(service_, plan_, &snapshot.current);
    snapshot.exists = status.ok();
    if (snapshot.exists) snapshot.versions = ListAllVersions(v1::FULL);
    return snapshot;
  }

  // The plan is exactly as it was (no version made, nothing changed).
  void ExpectUnchanged(const Snapshot& before) {
    Snapshot now = Take();
    ASSERT_EQ(now.exists, before.exists);
    if (!before.exists) return;
    EXPECT_THAT(now.current, testing::EqualsProto(before.current));
    ASSERT_EQ(now.versions.size(), before.versions.size());
    for (size_t i = 0; i < now.versions.size(); ++i) {
      EXPECT_THAT(now.versions[i], testing::EqualsProto(before.versions[i]));
    }
  }

  // Only the content sections of `plan` (what the person agrees to).
  static v1::CarePlan ContentOf(const v1::CarePlan& plan) {
    v1::CarePlan content;
    *content.mutable_goals() = plan.goals();
    *content.mutable_actions() = plan.actions();
    if (plan.has_crisis_plan()) {
      *content.mutable_crisis_plan() = plan.crisis_plan();
    }
    if (plan.has_communication_preferences()) {
      *content.mutable_communication_preferences() =
          plan.communication_preferences();
    }
    if (plan.has_review_date()) {
      *content.mutable_review_date() = plan.review_date();
    }
    return content;
  }

  // --- Care team inspection
  // ---------------------------------------------------

  // Entries without end_time.
  static std::vector<v1::CareTeamMember> Involved(const v1::CarePlan& plan) {
    std::vector<v1::CareTeamMember> involved;
    for (const v1::CareTeamMember& m : plan.care_team()) {
      if (!m.has_end_time()) involved.push_back(m);
    }
    return involved;
  }

  // The lead-team invariant: while anyone is involved, exactly one entry
  // has `lead`, it is involved, and it is `lead_team`; otherwise no lead.
  static void ExpectOneLeadWhileAnyoneIsInvolved(const v1::CarePlan& plan) {
    int leads = 0;
    for (const v1::CareTeamMember& m : plan.care_team()) {
      if (!m.lead()) continue;
      ++leads;
      EXPECT_FALSE(m.has_end_time())
          << "lead entry has ended in version " << plan.version();
      EXPECT_EQ(m.team(), plan.lead_team()) << "version " << plan.version();
    }
    if (Involved(plan).empty()) {
      EXPECT_EQ(leads, 0) << "version " << plan.version();
      EXPECT_EQ(plan.lead_team(), "") << "version " << plan.version();
    } else {
      EXPECT_EQ(leads, 1) << "version " << plan.version();
      EXPECT_NE(plan.lead_team(), "") << "version " << plan.version();
    }
  }

  // PERMISSION_DENIED with a message that says who was refused: the caller
  // or, for staff, their team.
  static auto DeniedTo(const Principal& who) {
    return testing::HasCodeAndMessage(
        grpc::StatusCode::PERMISSION_DENIED,
        ::testing::AnyOf(
            ::testing::HasSubstr(who.subject),
            ::testing::HasSubstr(who.team.empty() ? who.subject : who.team)));
  }

  static const v1::SectionStamp* StampFor(const v1::CarePlan& plan,
                                          v1::Section section) {
    const v1::SectionStamp* found = nullptr;
    for (const v1::SectionStamp& stamp : plan.section_stamps()) {
      if (stamp.section() != section) continue;
      EXPECT_EQ(found, nullptr) << "two stamps for " << section;
      found = &stamp;
    }
    return found;
  }

  absl::Time Now() { return server_.clock().Now(); }

  // Declared before the services, which it outlives.
  std::optional<testing::TestDatabase> database_;
  // Declared before server_ so both services outlive the server hosting
  // them.
  std::unique_ptr<directory::DirectoryModule> directory_;
  std::unique_ptr<CarePlanModule> careplan_;
  testing::TestServer server_;
  std::unique_ptr<dir::DirectoryService::Stub> directory_stub_;
  std::unique_ptr<Stub> stub_;

  dir::Team community_, crisis_, voluntary_, housing_;
  Principal alice_, carol_, bob_, val_, otto_, admin_, service_;
  std::string person_;  // persons/{id}
  std::string plan_;    // persons/{id}/carePlan
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_TESTS_CAREPLAN_CAREPLAN_TEST_FIXTURE_H_
