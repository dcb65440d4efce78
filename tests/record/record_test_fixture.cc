#include "tests/record/record_test_fixture.h"

#include "services/common/time_util.h"
#include "services/handover/handover_module.h"
#include "services/referral/referral_module.h"
#include "tests/support/eventually.h"

namespace carebridge::record::testing {

using carebridge::testing::TestServer;

void RecordTest::SetUp() {
  server_.Start();
  modules_.Start();
  directory_ = dir::DirectoryService::NewStub(server_.Channel());
  referral_ = ref::ReferralService::NewStub(server_.Channel());
  record_ = v1::RecordService::NewStub(server_.Channel());
  community_ = MakeTeam("North CMHT", dir::COMMUNITY_MENTAL_HEALTH);
  crisis_ = MakeTeam("Crisis Resolution", dir::CRISIS);
  voluntary_ = MakeTeam("Peer Cafe", dir::VOLUNTARY_SECTOR);
  housing_ = MakeTeam("Housing Support", dir::SOCIAL_CARE);
  alice_ = TestServer::Member("members/alice", community_);
  bob_ = TestServer::Member("members/bob", crisis_);
  val_ = TestServer::Member("members/val", voluntary_);
  otto_ = TestServer::Member("members/otto", housing_);
}

Principal TestService() {
  Principal service;
  service.subject = "services/test";
  service.role = Role::kService;
  return service;
}

std::string CreateTestTeam(::carebridge::testing::TestServer& server,
                           dir::DirectoryService::Stub& directory,
                           const std::string& display_name,
                           dir::Sector sector) {
  dir::CreateTeamRequest request;
  request.mutable_team()->set_display_name(display_name);
  request.mutable_team()->set_sector(sector);
  request.mutable_team()->set_accepting_referrals(true);
  dir::Team team;
  auto context = server.ContextAs(TestServer::Admin());
  grpc::Status status = directory.CreateTeam(context.get(), request, &team);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return team.name();
}

std::string CreateTestPerson(::carebridge::testing::TestServer& server,
                             dir::DirectoryService::Stub& directory,
                             const Principal& as, const std::string& given_name,
                             const std::string& family_name,
                             bool allow_possible_duplicate) {
  dir::CreatePersonRequest request;
  request.set_allow_possible_duplicate(allow_possible_duplicate);
  request.mutable_person()->set_given_name(given_name);
  request.mutable_person()->set_family_name(family_name);
  request.mutable_person()->set_birth_date("1990-04-01");
  dir::Person person;
  auto context = server.ContextAs(as);
  grpc::Status status = directory.CreatePerson(context.get(), request, &person);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return person.name();
}

std::vector<std::string> Types(const std::vector<v1::TimelineEntry>& entries) {
  std::vector<std::string> types;
  for (const v1::TimelineEntry& entry : entries) types.push_back(entry.type());
  return types;
}

ref::Referral CreateTestReferral(::carebridge::testing::TestServer& server,
                                 ref::ReferralService::Stub& referral,
                                 const Principal& as, const std::string& person,
                                 const std::string& team,
                                 ref::Urgency urgency) {
  ref::CreateReferralRequest create;
  create.mutable_referral()->set_person(person);
  create.mutable_referral()->set_receiving_team(team);
  create.mutable_referral()->set_urgency(urgency);
  create.mutable_referral()->set_reason("Needs support in the evenings.");
  ref::Referral created;
  auto context = server.ContextAs(as);
  grpc::Status status =
      referral.CreateReferral(context.get(), create, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return created;
}

Principal RecordTest::Service() { return TestService(); }

std::string RecordTest::MakeTeam(const std::string& display_name,
                                 dir::Sector sector) {
  return CreateTestTeam(server_, *directory_, display_name, sector);
}

std::string RecordTest::MakePerson(const std::string& given_name,
                                   bool allow_possible_duplicate) {
  return CreateTestPerson(server_, *directory_, alice_, given_name, "Okafor",
                          allow_possible_duplicate);
}

ref::Referral RecordTest::Refer(const std::string& person,
                                const std::string& team, ref::Urgency urgency) {
  return ReferAs(alice_, person, team, urgency);
}

ref::Referral RecordTest::ReferAs(const Principal& as,
                                  const std::string& person,
                                  const std::string& team,
                                  ref::Urgency urgency) {
  return CreateTestReferral(server_, *referral_, as, person, team, urgency);
}

ref::Referral RecordTest::ReferWithRisk(const Principal& as,
                                        const std::string& person,
                                        const std::string& team,
                                        const std::string& risk) {
  ref::CreateReferralRequest create;
  create.mutable_referral()->set_person(person);
  create.mutable_referral()->set_receiving_team(team);
  create.mutable_referral()->set_urgency(ref::ROUTINE);
  create.mutable_referral()->set_reason("Evening peer support.");
  create.mutable_referral()->set_risk_summary(risk);
  ref::Referral referral;
  auto context = server_.ContextAs(as);
  grpc::Status status =
      referral_->CreateReferral(context.get(), create, &referral);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return referral;
}

ref::Referral RecordTest::GetReferral(const Principal& as,
                                      const std::string& referral) {
  ref::GetReferralRequest request;
  request.set_name(referral);
  ref::Referral got;
  auto context = server_.ContextAs(as);
  grpc::Status status = referral_->GetReferral(context.get(), request, &got);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return got;
}

ref::ListReferralsResponse RecordTest::ListReferralsAs(
    const Principal& as, ref::Mailbox box, const std::string& person) {
  ref::ListReferralsRequest request;
  request.set_mailbox(box);
  request.set_person(person);
  request.set_page_size(500);
  ref::ListReferralsResponse response;
  auto context = server_.ContextAs(as);
  grpc::Status status =
      referral_->ListReferrals(context.get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

void RecordTest::Accept(const std::string& referral, const Principal& by) {
  ref::AcceptReferralRequest accept;
  accept.set_name(referral);
  accept.set_note("We can see Ada on Tuesdays.");
  ref::Referral answered;
  auto context = server_.ContextAs(by);
  grpc::Status status =
      referral_->AcceptReferral(context.get(), accept, &answered);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

void RecordTest::ShareWithTeam(
    const Principal& as, const std::string& person, const std::string& team,
    std::initializer_list<careplan::v1::SharedPart> parts) {
  careplan::v1::UpdateSharingChoicesRequest request;
  request.mutable_sharing_choices()->set_name(person + "/sharingChoices");
  careplan::v1::SharingRule& rule =
      *request.mutable_sharing_choices()->add_rules();
  rule.set_team(team);
  for (careplan::v1::SharedPart part : parts) rule.add_parts(part);
  request.set_reason("What the person wants this team to see");
  careplan::v1::SharingChoices choices;
  auto context = server_.ContextAs(as);
  grpc::Status status =
      careplan::v1::CarePlanService::NewStub(server_.Channel())
          ->UpdateSharingChoices(context.get(), request, &choices);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // The choices hold in the referral, handover and record services once
  // the care plan feed delivers them.
  ASSERT_TRUE(modules_.CarePlanChangesDelivered());
}

void RecordTest::Decline(const std::string& referral, const Principal& by,
                         const std::string& suggested) {
  ref::DeclineReferralRequest decline;
  decline.set_name(referral);
  decline.set_reason("Not in crisis now; evening support fits better.");
  decline.mutable_onward_route()->set_suggested_team(
      suggested.empty() ? voluntary_ : suggested);
  ref::Referral answered;
  auto context = server_.ContextAs(by);
  grpc::Status status =
      referral_->DeclineReferral(context.get(), decline, &answered);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

ref::Referral RecordTest::Redirect(const std::string& referral,
                                   const Principal& by, const std::string& to) {
  ref::RedirectReferralRequest redirect;
  redirect.set_name(referral);
  redirect.set_new_receiving_team(to);
  redirect.set_reason("Better placed with a team that visits at home.");
  ref::RedirectReferralResponse redirected;
  auto context = server_.ContextAs(by);
  grpc::Status status =
      referral_->RedirectReferral(context.get(), redirect, &redirected);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return redirected.created();
}

void RecordTest::Withdraw(const std::string& referral, const Principal& by) {
  ref::WithdrawReferralRequest withdraw;
  withdraw.set_name(referral);
  withdraw.set_reason("Support was found closer to home.");
  ref::Referral withdrawn;
  auto context = server_.ContextAs(by);
  grpc::Status status =
      referral_->WithdrawReferral(context.get(), withdraw, &withdrawn);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

ho::Handover RecordTest::HandOver(const Principal& as,
                                  const std::string& person,
                                  const std::string& team,
                                  ref::Urgency urgency) {
  ho::CreateHandoverRequest create;
  ho::Handover& handover = *create.mutable_handover();
  handover.set_person(person);
  handover.set_receiving_team(team);
  handover.set_kind(ho::SHARED_CARE);
  handover.set_urgency(urgency);
  handover.set_situation("Evenings are hard again since the anniversary.");
  handover.set_assessment("Sleeping badly; her sister helps.");
  handover.set_recommendation("Evening check-ins for two weeks.");
  handover.set_illness_severity(ho::WATCHER);
  ho::Handover created;
  auto context = server_.ContextAs(as);
  grpc::Status status = ho::HandoverService::NewStub(server_.Channel())
                            ->CreateHandover(context.get(), create, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return created;
}

void RecordTest::AcceptHandover(const std::string& handover,
                                const Principal& by) {
  ho::AcceptHandoverRequest accept;
  accept.set_name(handover);
  accept.mutable_read_back()->set_summary("Evenings hard; sister helps.");
  accept.mutable_read_back()->add_actions_taken_on("Evening calls");
  ho::Handover accepted;
  auto context = server_.ContextAs(by);
  grpc::Status status = ho::HandoverService::NewStub(server_.Channel())
                            ->AcceptHandover(context.get(), accept, &accepted);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

void RecordTest::DeclineHandover(const std::string& handover,
                                 const Principal& by) {
  ho::DeclineHandoverRequest decline;
  decline.set_name(handover);
  decline.set_reason("No evening capacity this month.");
  ho::Handover declined;
  auto context = server_.ContextAs(by);
  grpc::Status status =
      ho::HandoverService::NewStub(server_.Channel())
          ->DeclineHandover(context.get(), decline, &declined);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

void RecordTest::CancelHandover(const std::string& handover,
                                const Principal& by) {
  ho::CancelHandoverRequest cancel;
  cancel.set_name(handover);
  cancel.set_reason("Her sister is staying for the month.");
  ho::Handover cancelled;
  auto context = server_.ContextAs(by);
  grpc::Status status = ho::HandoverService::NewStub(server_.Channel())
                            ->CancelHandover(context.get(), cancel, &cancelled);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

int RecordTest::ScanReferralDeadlines() {
  absl::StatusOr<int> escalated =
      modules_.As<referral::ReferralModule>("referral")->ScanDeadlines();
  EXPECT_TRUE(escalated.ok()) << escalated.status();
  return escalated.value_or(-1);
}

int RecordTest::ScanHandoverDeadlines() {
  absl::StatusOr<int> escalated =
      modules_.As<handover::HandoverModule>("handover")->ScanDeadlines();
  EXPECT_TRUE(escalated.ok()) << escalated.status();
  return escalated.value_or(-1);
}

grpc::Status RecordTest::Report(const Principal& as, const std::string& team,
                                absl::Time start, absl::Time end,
                                v1::TeamReport* report) {
  v1::GetTeamReportRequest request;
  request.set_team(team);
  *request.mutable_start_time() = ToProtoTimestamp(start);
  *request.mutable_end_time() = ToProtoTimestamp(end);
  auto context = server_.ContextAs(as);
  return record_->GetTeamReport(context.get(), request, report);
}

bool RecordTest::Eventually(const std::function<bool()>& done) {
  return carebridge::testing::Eventually(done);
}

bool RecordTest::RecordShows(const std::string& person, int entries) {
  return Eventually([&] {
    v1::ListTimelineEntriesRequest request;
    request.set_parent(person);
    request.set_page_size(1000);
    v1::ListTimelineEntriesResponse response;
    return List(Service(), request, &response).ok() &&
           response.freshness().caught_up() &&
           response.entries_size() == entries;
  });
}

grpc::Status RecordTest::List(const Principal& as,
                              const v1::ListTimelineEntriesRequest& request,
                              v1::ListTimelineEntriesResponse* response) {
  auto context = server_.ContextAs(as);
  return record_->ListTimelineEntries(context.get(), request, response);
}

std::vector<v1::TimelineEntry> RecordTest::Timeline(const Principal& as,
                                                    const std::string& person,
                                                    int page_size) {
  std::vector<v1::TimelineEntry> entries;
  v1::ListTimelineEntriesRequest request;
  request.set_parent(person);
  request.set_page_size(page_size);
  for (int page = 0; page < 1000; ++page) {
    v1::ListTimelineEntriesResponse response;
    grpc::Status status = List(as, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    entries.insert(entries.end(), response.entries().begin(),
                   response.entries().end());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  return entries;
}

grpc::Status RecordTest::Summary(const Principal& as, const std::string& person,
                                 v1::CareSummary* summary) {
  v1::GetCareSummaryRequest request;
  request.set_name(person + "/careSummary");
  auto context = server_.ContextAs(as);
  return record_->GetCareSummary(context.get(), request, summary);
}

std::vector<events::v1::Event> RecordTest::Inbox(const Principal& as,
                                                 int64_t after) {
  events::v1::SubscribeRequest request;
  request.set_after_sequence(after);
  request.add_type_prefixes("inbox.");
  request.set_stop_when_caught_up(true);
  auto context = server_.ContextAs(as);
  auto reader = record_->Subscribe(context.get(), request);
  std::vector<events::v1::Event> items;
  events::v1::SubscribeResponse response;
  while (reader->Read(&response)) {
    for (const events::v1::Event& event : response.events()) {
      items.push_back(event);
    }
  }
  grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  return items;
}

grpc::Status RecordTest::Gaps(const Principal& as, const std::string& parent,
                              v1::ListCareGapsResponse* response,
                              bool include_closed) {
  v1::ListCareGapsRequest request;
  request.set_parent(parent);
  request.set_include_closed(include_closed);
  auto context = server_.ContextAs(as);
  return record_->ListCareGaps(context.get(), request, response);
}

}  // namespace carebridge::record::testing
