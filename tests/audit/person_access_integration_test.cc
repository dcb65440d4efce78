// The person as a principal (issue 11): their lead team gives them a token
// bound to `persons/{id}`; with it they read their own plan, its versions
// and their care summary, record their own agreement and comment, and see
// who accessed their record; nothing else, and nobody else's. Forged and
// expired tokens are refused.

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "carebridge/audit/v1/audit.grpc.pb.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "tests/audit/person_access_fixture.h"

namespace carebridge::record::testing {
namespace {

namespace au = ::carebridge::audit::v1;
namespace cp = ::carebridge::careplan::v1;
using carebridge::testing::TestServer;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using PersonAccessTest = PersonAccessFixture;

TEST_F(PersonAccessTest, ThePersonReadsTheirOwnPlanSummaryAndAccesses) {
  cp::CarePlan plan;
  ASSERT_TRUE(GetPlanWith(AsAda(), ada_, &plan).ok());
  EXPECT_EQ(plan.person(), ada_);
  EXPECT_EQ(plan.lead_team(), crisis_);
  // The care team is in the plan.
  ASSERT_FALSE(plan.care_team().empty());
  EXPECT_EQ(plan.care_team(0).team(), crisis_);

  cp::ListCarePlanVersionsRequest versions;
  versions.set_parent(ada_ + "/carePlan");
  cp::ListCarePlanVersionsResponse listed;
  grpc::Status status =
      careplan_->ListCarePlanVersions(AsAda().get(), versions, &listed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(listed.versions().empty());

  v1::GetCareSummaryRequest summary_request;
  summary_request.set_name(ada_ + "/careSummary");
  v1::CareSummary summary;
  ASSERT_TRUE(Eventually([&] {
    summary.Clear();
    return record_->GetCareSummary(AsAda().get(), summary_request, &summary)
               .ok() &&
           summary.care_plan_visible();
  }));
  EXPECT_EQ(summary.lead_team(), crisis_);
  EXPECT_THAT(summary.gaps(), IsEmpty());

  au::ListAccessesRequest accesses_request;
  accesses_request.set_person(ada_);
  au::ListAccessesResponse accesses;
  status = audit_->ListAccesses(AsAda().get(), accesses_request, &accesses);
  ASSERT_TRUE(status.ok()) << status.error_message();
  bool saw_own_read = false;
  bool saw_lead_issuing = false;
  for (const au::Access& access : accesses.accesses()) {
    if (access.actor() == ada_ &&
        access.method() == "carebridge.careplan.v1.GetCarePlan") {
      EXPECT_EQ(access.role(), "person");
      saw_own_read = true;
    }
    if (access.actor() == "members/bob" &&
        access.method() == "carebridge.careplan.v1.IssuePersonToken") {
      saw_lead_issuing = true;
    }
  }
  EXPECT_TRUE(saw_own_read);
  EXPECT_TRUE(saw_lead_issuing);
}

TEST_F(PersonAccessTest, ThePersonRecordsTheirOwnAgreementInTheirWords) {
  cp::CarePlan plan;
  ASSERT_TRUE(GetPlanWith(AsAda(), ada_, &plan).ok());
  cp::RecordAgreementRequest request;
  request.set_name(ada_ + "/carePlan");
  request.set_version(plan.version());
  request.set_person_comment("I agree, and I want evening contact only.");
  cp::CarePlan agreed;
  grpc::Status status =
      careplan_->RecordAgreement(AsAda().get(), request, &agreed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(agreed.agreed());
  EXPECT_EQ(agreed.agreement().recorded_by(), ada_);
  EXPECT_EQ(agreed.agreement().recorded_by_team(), "");
  EXPECT_EQ(agreed.agreement().person_comment(),
            "I agree, and I want evening contact only.");
  // Nobody joined the care team on the way.
  EXPECT_EQ(agreed.care_team_size(), plan.care_team_size());
}

TEST_F(PersonAccessTest, TheLongestCommentIsKeptAsSaid) {
  cp::CarePlan plan;
  ASSERT_TRUE(GetPlanWith(AsAda(), ada_, &plan).ok());
  cp::RecordAgreementRequest request;
  request.set_name(ada_ + "/carePlan");
  request.set_version(plan.version());
  // At most 2,000 characters, in the person's own words.
  std::string comment;
  while (comment.size() < 2000) comment += "Evenings are hard; ring me. ";
  comment.resize(2000);
  request.set_person_comment(comment);
  cp::CarePlan agreed;
  grpc::Status status =
      careplan_->RecordAgreement(AsAda().get(), request, &agreed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(agreed.agreement().person_comment(), comment);
  request.set_person_comment(comment + "x");
  request.set_version(agreed.version());
  status = careplan_->RecordAgreement(AsAda().get(), request, &agreed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("person_comment"));
}

TEST_F(PersonAccessTest, NothingElseAndNobodyElses) {
  auto expect_denied = [](const grpc::Status& status, const char* what) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << what << ": " << status.error_message();
  };
  cp::CarePlan plan;
  // Another person's plan, summary and accesses.
  expect_denied(GetPlanWith(AsAda(), bea_, &plan), "Bea's plan");
  // Refused before Bea's plan was even read, and recorded.
  EXPECT_EQ(Accesses(bea_, ada_, "carebridge.careplan.v1.GetCarePlan",
                     "PERMISSION_DENIED"),
            1);
  // Whether someone unknown has a plan is not revealed either.
  expect_denied(GetPlanWith(AsAda(), "persons/nobody", &plan),
                "an unknown person's plan");
  v1::GetCareSummaryRequest summary_request;
  summary_request.set_name(bea_ + "/careSummary");
  v1::CareSummary summary;
  expect_denied(
      record_->GetCareSummary(AsAda().get(), summary_request, &summary),
      "Bea's summary");
  au::ListAccessesRequest accesses_request;
  accesses_request.set_person(bea_);
  au::ListAccessesResponse accesses;
  expect_denied(
      audit_->ListAccesses(AsAda().get(), accesses_request, &accesses),
      "Bea's accesses");
  cp::RecordAgreementRequest agree;
  agree.set_name(bea_ + "/carePlan");
  agree.set_version(1);
  expect_denied(careplan_->RecordAgreement(AsAda().get(), agree, &plan),
                "agreeing Bea's plan");

  // Their own record, beyond what is theirs to do.
  ASSERT_TRUE(GetPlanWith(AsAda(), ada_, &plan).ok());
  cp::UpdateCarePlanRequest update;
  update.mutable_care_plan()->set_name(ada_ + "/carePlan");
  update.mutable_care_plan()->mutable_review_date()->set_year(2027);
  update.mutable_care_plan()->mutable_review_date()->set_month(6);
  update.mutable_care_plan()->mutable_review_date()->set_day(1);
  update.mutable_update_mask()->add_paths("review_date");
  update.set_etag(plan.etag());
  update.set_reason("I want an earlier review");
  cp::CarePlan updated;
  expect_denied(careplan_->UpdateCarePlan(AsAda().get(), update, &updated),
                "changing the plan");
  cp::AddCareTeamMemberRequest add;
  add.set_name(ada_ + "/carePlan");
  add.set_team(voluntary_);
  add.set_role("peer support");
  add.set_reason("I asked for it");
  expect_denied(careplan_->AddCareTeamMember(AsAda().get(), add, &updated),
                "adding a team");
  cp::IssuePersonTokenResponse issued;
  cp::IssuePersonTokenRequest issue;
  issue.set_name(ada_ + "/carePlan");
  expect_denied(careplan_->IssuePersonToken(AsAda().get(), issue, &issued),
                "issuing tokens");
  v1::ListTimelineEntriesRequest timeline;
  timeline.set_parent(ada_);
  v1::ListTimelineEntriesResponse entries;
  expect_denied(record_->ListTimelineEntries(AsAda().get(), timeline, &entries),
                "the timeline (teams' steps)");
  directory::v1::GetPersonRequest get_person;
  get_person.set_name(ada_);
  directory::v1::Person person;
  expect_denied(directory_->GetPerson(AsAda().get(), get_person, &person),
                "the directory");
  referral::v1::ListReferralsRequest referrals;
  referrals.set_mailbox(referral::v1::INBOX);
  referrals.set_person(ada_);
  referral::v1::ListReferralsResponse listed;
  grpc::Status status =
      referral_->ListReferrals(AsAda().get(), referrals, &listed);
  expect_denied(status, "the referrals");
}

TEST_F(PersonAccessTest, OnlyTheLeadTeamIssuesWithinLimits) {
  cp::IssuePersonTokenResponse issued;
  // Not on the care team; an admin; a service.
  for (const Principal& refused : {alice_, TestServer::Admin(), Service()}) {
    SCOPED_TRACE(refused.subject);
    EXPECT_EQ(Issue(refused, ada_, &issued).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // On the care team but not leading it.
  Accept(Refer(ada_, voluntary_).name(), val_);
  ASSERT_TRUE(Eventually([&] {
    cp::CarePlan plan;
    return GetPlanWith(server_.ContextAs(Service()), ada_, &plan).ok() &&
           plan.care_team_size() == 2;
  }));
  grpc::Status status = Issue(val_, ada_, &issued);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("lead team"));
  // A person nobody has a plan for.
  std::string cai = MakePerson("Cai");
  EXPECT_EQ(Issue(bob_, cai, &issued).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Lifetimes.
  status = Issue(bob_, ada_, &issued, absl::Hours(24 * 91));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("ttl"));
  cp::IssuePersonTokenRequest negative;
  negative.set_name(ada_ + "/carePlan");
  negative.mutable_ttl()->set_seconds(-5);
  status = careplan_->IssuePersonToken(server_.ContextAs(bob_).get(), negative,
                                       &issued);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Issue(bob_, ada_, &issued, absl::Hours(2)).ok());
  EXPECT_EQ(issued.person(), ada_);
  EXPECT_EQ(issued.expire_time().seconds(),
            absl::ToUnixSeconds(server_.clock().Now() + absl::Hours(2)));
}

TEST_F(PersonAccessTest, ForgedAndExpiredTokensAreRefused) {
  cp::CarePlan plan;
  // The payload rebound to Bea, the signature left as it was.
  std::vector<std::string> parts = absl::StrSplit(ada_token_, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &payload));
  std::string forged_payload = payload;
  ASSERT_EQ(absl::StrReplaceAll({{ada_, bea_}}, &forged_payload), 1);
  std::string forged = absl::StrCat(
      parts[0], ".", absl::WebSafeBase64Escape(forged_payload), ".", parts[2]);
  EXPECT_EQ(GetPlanWith(WithToken(forged), bea_, &plan).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // The attempt is recorded against the plan it asked for.
  EXPECT_EQ(Accesses(bea_, "unauthenticated",
                     "carebridge.careplan.v1.GetCarePlan", "UNAUTHENTICATED"),
            1);
  // Signed with another key.
  TokenSigner other(std::string(32, 'z'));
  Principal bea;
  bea.subject = bea_;
  bea.role = Role::kPerson;
  bea.expire_time = server_.clock().Now() + absl::Hours(1);
  EXPECT_EQ(GetPlanWith(WithToken(other.Sign(bea)), bea_, &plan).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Past its lifetime.
  cp::IssuePersonTokenResponse issued;
  ASSERT_TRUE(Issue(bob_, ada_, &issued, absl::Hours(1)).ok());
  ASSERT_TRUE(GetPlanWith(WithToken(issued.token()), ada_, &plan).ok());
  server_.clock().Advance(absl::Hours(1) + absl::Seconds(1));
  EXPECT_EQ(GetPlanWith(WithToken(issued.token()), ada_, &plan).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace carebridge::record::testing
