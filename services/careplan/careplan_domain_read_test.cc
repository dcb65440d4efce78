// CarePlanDomain: reading the plan, its versions and what changed, and
// recording the person's agreement.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/careplan/careplan_domain_test_fixture.h"
#include "services/careplan/careplan_validation.h"
#include "services/common/resource_size.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr absl::StatusCode kDenied = absl::StatusCode::kPermissionDenied;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;

// --- GetCarePlan ---

TEST_F(CarePlanDomainTest, PlanNotWrittenYetIsNotFoundSayingSo) {
  EXPECT_THAT(Get(kAlice), StatusIs(kNotFound,
                                    "persons/p1/carePlan: persons/p1 has no "
                                    "care plan yet; the first update creates "
                                    "it"));
  EXPECT_THAT(Get(kAlice, "persons/p9/carePlan"),
              StatusIs(kNotFound, "persons/p9 not found"));
  directory_.FailWith(absl::UnavailableError("down"));
  EXPECT_THAT(Get(kAlice), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(CarePlanDomainTest, ReadsDeferOnlyTheDirectoryCallForAMissingPlan) {
  // Run inline on gRPC's thread, a read must not wait on the directory: a
  // plan that exists is answered from the store, a missing one asks to be
  // run again where it may call out.
  v1::GetCarePlanRequest missing;
  missing.set_name("persons/p9/carePlan");
  absl::StatusOr<v1::CarePlan> deferred =
      domain_->GetCarePlan(kAlice, missing, RemoteCalls::kDeferred);
  EXPECT_TRUE(IsRemoteCallDeferred(deferred.status())) << deferred.status();
  EXPECT_THAT(domain_->GetCarePlan(kAlice, missing, RemoteCalls::kAllowed),
              StatusIs(kNotFound, "persons/p9 not found"));

  v1::CarePlan written = WriteGoals(kAlice, {"One"});
  directory_.FailWith(absl::UnavailableError("down"));
  v1::GetCarePlanRequest existing;
  existing.set_name("persons/p1/carePlan");
  EXPECT_THAT(domain_->GetCarePlan(kAlice, existing, RemoteCalls::kDeferred),
              ::carebridge::testing::IsOkAndHolds(EqualsProto(written)));
}

TEST_F(CarePlanDomainTest, TheWireFormIsThePlanGetCarePlanReturns) {
  WriteGoals(kAlice, {"One", "Two"});
  v1::GetCarePlanRequest request;
  request.set_name("persons/p1/carePlan");
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan,
                       domain_->GetCarePlan(kAlice, request));
  ASSERT_OK_AND_ASSIGN(std::string wire,
                       domain_->GetCarePlanWire(kAlice, request));
  v1::CarePlan parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_THAT(parsed, EqualsProto(plan));
  EXPECT_EQ(parsed.name(), "persons/p1/carePlan");
  EXPECT_EQ(parsed.etag(), plan.etag());

  // The same checks as GetCarePlan, in the same order.
  EXPECT_THAT(domain_->GetCarePlanWire(kBob, request),
              StatusIs(kDenied, HasSubstr("teams/crisis is not involved")));
  request.set_name("persons/p9/carePlan");
  EXPECT_THAT(domain_->GetCarePlanWire(kAlice, request),
              StatusIs(kNotFound, "persons/p9 not found"));
  EXPECT_TRUE(IsRemoteCallDeferred(
      domain_->GetCarePlanWire(kAlice, request, RemoteCalls::kDeferred)
          .status()));
  request.set_name("persons/p1");
  EXPECT_THAT(domain_->GetCarePlanWire(kAlice, request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
}

TEST_F(CarePlanDomainTest, InvolvedTeamsAndServicesReadThePlan) {
  v1::CarePlan written = WriteGoals(kAlice, {"One"});
  EXPECT_THAT(Get(kAlice),
              ::carebridge::testing::IsOkAndHolds(EqualsProto(written)));
  EXPECT_THAT(Get(kRecordService), IsOk());
}

TEST_F(CarePlanDomainTest, TeamsNotInvolvedAndAdminsCannotRead) {
  WriteGoals(kAlice, {"One"});
  EXPECT_THAT(Get(kBob), StatusIs(kDenied,
                                  "only teams on persons/p1's care team may "
                                  "read its care plan; teams/crisis is not "
                                  "involved"));
  EXPECT_THAT(Get(kAdmin), StatusIs(kDenied, HasSubstr("GetCarePlan")));
  // An admin learns nothing, not even that there is no such person.
  EXPECT_THAT(Get(kAdmin, "persons/p9/carePlan"), StatusIs(kDenied));
}

// --- ListCarePlanVersions ---

TEST_F(CarePlanDomainTest, VersionsNewestFirstWithTheHistoryOnly) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(Add(kAlice, kCrisis).status());
  WriteWhatHelps(kBob, "Music");
  v1::ListCarePlanVersionsRequest request;
  request.set_parent(kPlan);
  ASSERT_OK_AND_ASSIGN(v1::ListCarePlanVersionsResponse response,
                       domain_->ListCarePlanVersions(kBob, request));
  ASSERT_THAT(response.versions(), SizeIs(3));
  EXPECT_TRUE(response.next_page_token().empty());
  const v1::CarePlan& newest = response.versions(0);
  EXPECT_EQ(newest.name(), "persons/p1/carePlan/versions/3");
  EXPECT_EQ(newest.person(), kPerson);
  EXPECT_EQ(newest.version(), 3);
  EXPECT_EQ(newest.change().actor(), "members/bob");
  EXPECT_EQ(newest.lead_team(), kCmht);
  EXPECT_TRUE(newest.has_create_time());
  EXPECT_TRUE(newest.has_update_time());
  EXPECT_EQ(newest.etag(), "");
  EXPECT_FALSE(newest.has_crisis_plan());
  EXPECT_THAT(newest.goals(), IsEmpty());
  EXPECT_THAT(newest.care_team(), IsEmpty());
  EXPECT_THAT(newest.section_stamps(), IsEmpty());
  EXPECT_EQ(response.versions(2).name(), "persons/p1/carePlan/versions/1");

  request.set_view(v1::FULL);
  ASSERT_OK_AND_ASSIGN(response, domain_->ListCarePlanVersions(kBob, request));
  EXPECT_EQ(response.versions(0).crisis_plan().what_helps(), "Music");
  EXPECT_THAT(response.versions(0).care_team(), SizeIs(2));
  EXPECT_EQ(response.versions(0).etag(), "");
}

// Found by the full-page audit tests: whole versions of the largest plan
// (50 goals and a crisis plan at their longest, in 3-byte characters:
// about 370 KB each) made a page of 50 larger than the 4 MB a default gRPC
// client accepts, so a clinician could not list the plan's history at all.
// A page now ends at kMaxListPageBytes, the rest on the next.
TEST_F(CarePlanDomainTest,
       FullVersionsOfTheLargestPlanComeInPagesAClientTakes) {
  auto text = [](int version, size_t chars) {
    std::string out = absl::StrCat(version, " ");
    while (out.size() < chars * 3) out += "\u20ac";
    return out;
  };
  constexpr int kVersions = 14;
  for (int v = 1; v <= kVersions; ++v) {
    v1::CarePlan content;
    for (size_t i = 0; i < kMaxGoals; ++i) {
      content.add_goals()->set_description(text(v, kMaxShortTextChars - 4));
    }
    v1::CrisisPlan& crisis = *content.mutable_crisis_plan();
    crisis.set_what_helps(text(v, kMaxLongTextChars - 4));
    crisis.set_triggers(text(v, kMaxLongTextChars - 4));
    crisis.set_early_warning_signs(text(v, kMaxLongTextChars - 4));
    ASSERT_OK(
        domain_
            ->UpdateCarePlan(kAlice, UpdateRequest({"goals", "crisis_plan"},
                                                   content, CurrentEtag()))
            .status());
  }
  v1::ListCarePlanVersionsRequest request;
  request.set_parent(kPlan);
  request.set_view(v1::FULL);
  std::vector<int64_t> listed;
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(v1::ListCarePlanVersionsResponse response,
                         domain_->ListCarePlanVersions(kAlice, request));
    ++pages;
    EXPECT_LE(response.ByteSizeLong(), kMaxListPageBytes + 64 * 1024);
    ASSERT_THAT(response.versions(), Not(IsEmpty()));
    for (const v1::CarePlan& version : response.versions()) {
      listed.push_back(version.version());
      EXPECT_EQ(version.goals_size(), static_cast<int>(kMaxGoals));
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  std::vector<int64_t> expected;
  for (int v = kVersions; v >= 1; --v) expected.push_back(v);
  EXPECT_EQ(listed, expected);
  EXPECT_GE(pages, 3);
}

TEST_F(CarePlanDomainTest, VersionsComeInPagesBoundToParentAndView) {
  for (const char* goal : {"a", "b", "c", "d", "e"}) WriteGoals(kAlice, {goal});
  v1::ListCarePlanVersionsRequest request;
  request.set_parent(kPlan);
  request.set_page_size(2);
  std::vector<int64_t> seen;
  std::string token;
  do {
    request.set_page_token(token);
    ASSERT_OK_AND_ASSIGN(v1::ListCarePlanVersionsResponse page,
                         domain_->ListCarePlanVersions(kAlice, request));
    for (const auto& version : page.versions())
      seen.push_back(version.version());
    token = page.next_page_token();
    if (seen.size() == 2) {
      v1::ListCarePlanVersionsRequest other_view = request;
      other_view.set_page_token(token);
      other_view.set_view(v1::FULL);
      EXPECT_THAT(domain_->ListCarePlanVersions(kAlice, other_view),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("page_token")));
    }
  } while (!token.empty());
  EXPECT_THAT(seen, ElementsAre(5, 4, 3, 2, 1));
}

TEST_F(CarePlanDomainTest, ListingNeedsTheSameAccessAsReading) {
  WriteGoals(kAlice, {"One"});
  v1::ListCarePlanVersionsRequest request;
  request.set_parent(kPlan);
  EXPECT_THAT(domain_->ListCarePlanVersions(kBob, request), StatusIs(kDenied));
  request.set_parent("persons/p2/carePlan");
  EXPECT_THAT(domain_->ListCarePlanVersions(kAlice, request),
              StatusIs(kNotFound, HasSubstr("has no care plan yet")));
}

// --- GetCarePlanVersion ---

TEST_F(CarePlanDomainTest, AVersionIsThePlanAsItWas) {
  v1::CarePlan first = WriteGoals(kAlice, {"One"});
  WriteGoals(kAlice, {"Two"});
  v1::GetCarePlanVersionRequest request;
  request.set_name("persons/p1/carePlan/versions/1");
  ASSERT_OK_AND_ASSIGN(v1::CarePlan version,
                       domain_->GetCarePlanVersion(kAlice, request));
  v1::CarePlan expected = first;
  expected.set_name("persons/p1/carePlan/versions/1");
  expected.clear_etag();
  EXPECT_THAT(version, EqualsProto(expected));

  request.set_name("persons/p1/carePlan/versions/2");
  ASSERT_OK_AND_ASSIGN(version, domain_->GetCarePlanVersion(kAlice, request));
  EXPECT_EQ(version.goals(0).description(), "Two");
  EXPECT_EQ(version.etag(), "");
}

TEST_F(CarePlanDomainTest, AVersionAfterTheNewestIsNotFoundNamingIt) {
  WriteGoals(kAlice, {"One"});
  v1::GetCarePlanVersionRequest request;
  request.set_name("persons/p1/carePlan/versions/2");
  EXPECT_THAT(domain_->GetCarePlanVersion(kAlice, request),
              StatusIs(kNotFound, "persons/p1/carePlan/versions/2 not found"));
}

TEST_F(CarePlanDomainTest, OldVersionsFollowTheCurrentCareTeamsAccess) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(Add(kAlice, kCrisis).status());
  WriteGoals(kBob, {"Two"});
  ASSERT_OK(End(kBob, kCrisis).status());
  v1::GetCarePlanVersionRequest request;
  request.set_name("persons/p1/carePlan/versions/3");  // bob wrote it
  EXPECT_THAT(domain_->GetCarePlanVersion(kBob, request), StatusIs(kDenied));
  EXPECT_THAT(domain_->GetCarePlanVersion(kAlice, request), IsOk());
}

// --- DiffCarePlanVersions ---

TEST_F(CarePlanDomainTest, DiffShowsChangedSectionsWithWhoChangedThemLast) {
  WriteGoals(kAlice, {"One"});               // v1
  ASSERT_OK(Add(kAlice, kCrisis).status());  // v2
  WriteWhatHelps(kBob, "Music");             // v3
  WriteGoals(kAlice, {"Two"});               // v4
  v1::DiffCarePlanVersionsRequest request;
  request.set_name(kPlan);
  request.set_from_version(1);
  ASSERT_OK_AND_ASSIGN(v1::CarePlanDiff diff,
                       domain_->DiffCarePlanVersions(kBob, request));
  EXPECT_EQ(diff.from_version(), "persons/p1/carePlan/versions/1");
  EXPECT_EQ(diff.to_version(), "persons/p1/carePlan/versions/4");
  ASSERT_THAT(diff.sections(), SizeIs(3));
  EXPECT_EQ(diff.sections(0).section(), v1::GOALS);
  EXPECT_EQ(diff.sections(0).last_changed().version(), 4);
  EXPECT_EQ(diff.sections(1).section(), v1::CRISIS_PLAN);
  EXPECT_EQ(diff.sections(1).last_changed().updated_by(), "members/bob");
  EXPECT_EQ(diff.sections(2).section(), v1::CARE_TEAM);
  EXPECT_EQ(diff.sections(2).last_changed().version(), 2);
  ASSERT_THAT(diff.versions(), SizeIs(3));
  EXPECT_EQ(diff.versions(0).version(), 4);
  EXPECT_EQ(diff.versions(2).version(), 2);
  EXPECT_THAT(diff.versions(0).goals(), IsEmpty());  // BASIC view

  request.set_from_version(2);
  request.set_to_version(3);
  ASSERT_OK_AND_ASSIGN(diff, domain_->DiffCarePlanVersions(kBob, request));
  ASSERT_THAT(diff.sections(), SizeIs(1));
  EXPECT_EQ(diff.sections(0).section(), v1::CRISIS_PLAN);
  ASSERT_THAT(diff.versions(), SizeIs(1));
  EXPECT_EQ(diff.versions(0).version(), 3);
}

TEST_F(CarePlanDomainTest, DiffOfAVersionWithItselfIsEmpty) {
  WriteGoals(kAlice, {"One"});
  v1::DiffCarePlanVersionsRequest request;
  request.set_name(kPlan);
  request.set_from_version(1);
  request.set_to_version(1);
  ASSERT_OK_AND_ASSIGN(v1::CarePlanDiff diff,
                       domain_->DiffCarePlanVersions(kAlice, request));
  EXPECT_THAT(diff.sections(), IsEmpty());
  EXPECT_THAT(diff.versions(), IsEmpty());
}

TEST_F(CarePlanDomainTest, DiffWithAMissingVersionIsNotFoundNamingIt) {
  WriteGoals(kAlice, {"One"});
  v1::DiffCarePlanVersionsRequest request;
  request.set_name(kPlan);
  request.set_from_version(3);
  EXPECT_THAT(domain_->DiffCarePlanVersions(kAlice, request),
              StatusIs(kNotFound, "persons/p1/carePlan/versions/3 not found"));
  request.set_from_version(1);
  request.set_to_version(2);
  EXPECT_THAT(domain_->DiffCarePlanVersions(kAlice, request),
              StatusIs(kNotFound, "persons/p1/carePlan/versions/2 not found"));
}

TEST_F(CarePlanDomainTest, DiffListsAtMostTheNewestHundredVersions) {
  for (int i = 0; i < 102; ++i) {
    WriteWhatHelps(kAlice, absl::StrCat("Version ", i + 1));
  }
  v1::DiffCarePlanVersionsRequest request;
  request.set_name(kPlan);
  request.set_from_version(1);
  ASSERT_OK_AND_ASSIGN(v1::CarePlanDiff diff,
                       domain_->DiffCarePlanVersions(kAlice, request));
  ASSERT_THAT(diff.versions(), SizeIs(100));
  EXPECT_EQ(diff.versions(0).version(), 102);
  EXPECT_EQ(diff.versions(99).version(), 3);
}

// --- RecordAgreement ---

TEST_F(CarePlanDomainTest, AgreementIsRecordedAsANewVersion) {
  v1::CarePlan written = WriteGoals(kAlice, {"Feel safe at home"});
  clock_.Advance(absl::Minutes(30));
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan,
                       Agree(kAlice, 1, "This is what I want"));
  EXPECT_EQ(plan.version(), 2);
  EXPECT_TRUE(plan.agreed());
  const v1::Agreement& agreement = plan.agreement();
  EXPECT_EQ(agreement.agreed_version(), "persons/p1/carePlan/versions/1");
  EXPECT_THAT(agreement.agree_time(),
              EqualsProto(ToProtoTimestamp(clock_.Now())));
  EXPECT_EQ(agreement.recorded_by(), "members/alice");
  EXPECT_EQ(agreement.recorded_by_team(), kCmht);
  EXPECT_EQ(agreement.person_comment(), "This is what I want");
  EXPECT_EQ(plan.change().kind(), v1::Change::AGREEMENT_RECORDED);
  EXPECT_THAT(plan.change().sections(), ElementsAre(v1::AGREEMENT));
  EXPECT_EQ(plan.section_stamps().rbegin()->section(), v1::AGREEMENT);
  EXPECT_EQ(plan.section_stamps().rbegin()->version(), 2);
  ASSERT_THAT(plan.goals(), SizeIs(1));
  EXPECT_THAT(plan.goals(0), EqualsProto(written.goals(0)));
}

TEST_F(CarePlanDomainTest, AgreementOnAVersionThatIsNotCurrentIsAborted) {
  WriteGoals(kAlice, {"One"});
  WriteGoals(kAlice, {"Two"});
  EXPECT_THAT(Agree(kAlice, 1),
              StatusIs(absl::StatusCode::kAborted,
                       "version: the care plan is now at version 2; show the "
                       "person what changed and record agreement on the "
                       "current version"));
  EXPECT_EQ(StoredVersion(), 2);
}

TEST_F(CarePlanDomainTest, ARetriedAgreementReturnsTheVersionItMade) {
  // The first answer was lost; the same request again is not a stale one.
  WriteGoals(kAlice, {"One"});
  ASSERT_OK_AND_ASSIGN(v1::CarePlan first, Agree(kAlice, 1, "Yes"));
  EXPECT_THAT(Agree(kAlice, 1, "Yes"),
              ::carebridge::testing::IsOkAndHolds(EqualsProto(first)));
  EXPECT_EQ(StoredVersion(), 2);
  // Anything else on version 1 is stale.
  EXPECT_THAT(Agree(kAlice, 1, "Yes, mostly"),
              StatusIs(absl::StatusCode::kAborted));
  WriteGoals(kAlice, {"Two"});
  EXPECT_THAT(Agree(kAlice, 1, "Yes"), StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(StoredVersion(), 3);
}

TEST_F(CarePlanDomainTest, AnAgreementRacingAContentChangeIsNeverRecorded) {
  // Alice shows the person version 1; Bob's team changes the plan just
  // before her agreement is stored. What the person agreed is no longer
  // what the plan says, so the agreement must not land on it.
  WriteGoals(kAlice, {"One"});
  store_->before_append = [&] { WriteGoals(kAlice, {"Changed meanwhile"}); };
  EXPECT_THAT(Agree(kAlice, 1, "Yes"), StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, Get(kAlice));
  EXPECT_EQ(plan.version(), 2);
  EXPECT_FALSE(plan.agreed());
}

TEST_F(CarePlanDomainTest, AgreementMayBeRecordedAgainWithANewComment) {
  WriteGoals(kAlice, {"One"});
  ASSERT_OK(Agree(kAlice, 1, "Yes").status());
  ASSERT_OK_AND_ASSIGN(v1::CarePlan plan, Agree(kAlice, 2, "Still yes"));
  EXPECT_EQ(plan.version(), 3);
  EXPECT_TRUE(plan.agreed());
  EXPECT_EQ(plan.agreement().agreed_version(),
            "persons/p1/carePlan/versions/2");
  EXPECT_EQ(plan.agreement().person_comment(), "Still yes");
}

TEST_F(CarePlanDomainTest, AgreementNeedsAPlanAndAnInvolvedClinician) {
  EXPECT_THAT(Agree(kAlice, 1),
              StatusIs(kNotFound, HasSubstr("has no care plan yet")));
  WriteGoals(kAlice, {"One"});
  EXPECT_THAT(Agree(kBob, 1), StatusIs(kDenied));
  EXPECT_THAT(Agree(kRecordService, 1), StatusIs(kDenied));
  EXPECT_EQ(StoredVersion(), 1);
}

}  // namespace
}  // namespace carebridge::careplan
