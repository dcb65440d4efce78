// Request shape: names, update mask paths, dates and the other requests.
// Content limits are in careplan_content_validation_test.cc.

#include "services/careplan/careplan_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "services/careplan/careplan_names.h"
#include "tests/support/status_matchers.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

v1::Date Date(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

google::protobuf::FieldMask Mask(std::initializer_list<const char*> paths) {
  google::protobuf::FieldMask mask;
  for (const char* path : paths) mask.add_paths(path);
  return mask;
}

v1::UpdateCarePlanRequest Update() {
  v1::UpdateCarePlanRequest request;
  request.mutable_care_plan()->set_name("persons/p1/carePlan");
  request.mutable_update_mask()->add_paths("review_date");
  *request.mutable_care_plan()->mutable_review_date() = Date(2026, 6, 1);
  request.set_reason("Review agreed at the CPA meeting");
  return request;
}

// --- Names ---

TEST(CarePlanNamesTest, PlanNameGivesThePersonId) {
  EXPECT_THAT(ParseCarePlanName("name", "persons/p-1_a/carePlan"),
              ::carebridge::testing::IsOkAndHolds("p-1_a"));
  EXPECT_EQ(CarePlanName("p1"), "persons/p1/carePlan");
  EXPECT_EQ(CarePlanVersionName("p1", 7), "persons/p1/carePlan/versions/7");
  EXPECT_EQ(EtagOf(7), "7");
}

TEST(CarePlanNamesTest, OtherPlanNamesAreInvalidNamingTheField) {
  EXPECT_THAT(ParseCarePlanName("parent", ""),
              StatusIs(kInvalid, "parent: must be set"));
  for (const char* name :
       {"persons/p1", "persons/p1/careplan", "persons/P1/carePlan",
        "persons//carePlan", "teams/p1/carePlan", "persons/p1/carePlan/",
        "persons/p1/carePlan/versions/1"}) {
    EXPECT_THAT(ParseCarePlanName("name", name),
                StatusIs(kInvalid, HasSubstr("name: \"")))
        << name;
  }
}

TEST(CarePlanNamesTest, VersionNamesHaveADecimalNumberFromOne) {
  absl::StatusOr<CarePlanVersionRef> ref =
      ParseCarePlanVersionName("name", "persons/p1/carePlan/versions/12");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->person_id, "p1");
  EXPECT_EQ(ref->version, 12);
  for (const char* name :
       {"persons/p1/carePlan/versions/0", "persons/p1/carePlan/versions/07",
        "persons/p1/carePlan/versions/-1", "persons/p1/carePlan/versions/x",
        "persons/p1/carePlan/versions/", "persons/p1/carePlan/versions/1/x",
        "persons/p1/carePlan/versions/99999999999999999999",
        "persons/p1/carePlan"}) {
    EXPECT_THAT(ParseCarePlanVersionName("name", name),
                StatusIs(kInvalid, HasSubstr("persons/{person_id}/carePlan/"
                                             "versions/{n}")))
        << name;
  }
}

// --- Update mask ---

TEST(ParseUpdateMaskTest, EmptyMaskMustBeSet) {
  EXPECT_THAT(ParseUpdateMask(Mask({})),
              StatusIs(kInvalid, "update_mask: must be set"));
}

TEST(ParseUpdateMaskTest, SectionsAndFieldsOfMessageSections) {
  absl::StatusOr<UpdateMask> mask = ParseUpdateMask(
      Mask({"goals", "actions", "review_date", "crisis_plan.what_helps",
            "crisis_plan.contacts", "communication_preferences.supporters"}));
  ASSERT_TRUE(mask.ok()) << mask.status();
  EXPECT_TRUE(mask->goals);
  EXPECT_TRUE(mask->actions);
  EXPECT_TRUE(mask->review_date);
  EXPECT_FALSE(mask->crisis_plan);
  EXPECT_TRUE(mask->CoversCrisisPlanField("what_helps"));
  EXPECT_TRUE(mask->CoversCrisisPlanField("contacts"));
  EXPECT_FALSE(mask->CoversCrisisPlanField("triggers"));
  EXPECT_TRUE(mask->CoversCommunicationField("supporters"));
  EXPECT_FALSE(mask->CoversCommunicationField("other"));
}

TEST(ParseUpdateMaskTest, EveryFieldOfTheMessageSectionsIsAPath) {
  for (const auto* descriptor : {v1::CrisisPlan::descriptor(),
                                 v1::CommunicationPreferences::descriptor()}) {
    const std::string section = descriptor == v1::CrisisPlan::descriptor()
                                    ? "crisis_plan."
                                    : "communication_preferences.";
    for (int i = 0; i < descriptor->field_count(); ++i) {
      std::string path = section + descriptor->field(i)->name();
      EXPECT_THAT(ParseUpdateMask(Mask({path.c_str()})), IsOk()) << path;
    }
  }
}

TEST(ParseUpdateMaskTest, RepeatedPathsAreFineAndListedOnce) {
  absl::StatusOr<UpdateMask> mask =
      ParseUpdateMask(Mask({"goals", "crisis_plan", "goals"}));
  ASSERT_TRUE(mask.ok()) << mask.status();
  EXPECT_THAT(mask->paths, ElementsAre("crisis_plan", "goals"));
  EXPECT_TRUE(mask->CoversCrisisPlanField("triggers"));
}

TEST(ParseUpdateMaskTest, CareTeamPathsNameTheMethodsThatChangeThem) {
  EXPECT_THAT(
      ParseUpdateMask(Mask({"goals", "care_team"})),
      StatusIs(kInvalid,
               "update_mask.paths[1]: care_team cannot be updated here; use "
               "AddCareTeamMember, EndCareTeamInvolvement, ReviewCareTeamJoin "
               "or SetLeadTeam"));
  EXPECT_THAT(ParseUpdateMask(Mask({"care_team.role"})),
              StatusIs(kInvalid, HasSubstr("AddCareTeamMember")));
  EXPECT_THAT(ParseUpdateMask(Mask({"lead_team"})),
              StatusIs(kInvalid,
                       "update_mask.paths[0]: lead_team cannot be "
                       "updated here; use SetLeadTeam"));
}

TEST(ParseUpdateMaskTest, AgreementPathsNameRecordAgreement) {
  EXPECT_THAT(ParseUpdateMask(Mask({"agreement"})),
              StatusIs(kInvalid,
                       "update_mask.paths[0]: agreement cannot be "
                       "updated here; use RecordAgreement"));
  EXPECT_THAT(ParseUpdateMask(Mask({"agreed"})),
              StatusIs(kInvalid, HasSubstr("use RecordAgreement")));
}

TEST(ParseUpdateMaskTest, UnknownAndOutputOnlyPathsAreInvalid) {
  EXPECT_THAT(ParseUpdateMask(Mask({"goals", "foo"})),
              StatusIs(kInvalid, "update_mask.paths[1]: unknown path \"foo\""));
  EXPECT_THAT(ParseUpdateMask(Mask({""})),
              StatusIs(kInvalid, "update_mask.paths[0]: unknown path \"\""));
  EXPECT_THAT(ParseUpdateMask(Mask({"crisis_plan.nope"})),
              StatusIs(kInvalid, HasSubstr("unknown path")));
  EXPECT_THAT(ParseUpdateMask(Mask({"version"})),
              StatusIs(kInvalid,
                       "update_mask.paths[0]: version is output "
                       "only"));
  EXPECT_THAT(ParseUpdateMask(Mask({"section_stamps"})),
              StatusIs(kInvalid, HasSubstr("output only")));
}

TEST(ParseUpdateMaskTest, PathsInsideWholeSectionsPointAtTheSection) {
  EXPECT_THAT(ParseUpdateMask(Mask({"goals.description"})),
              StatusIs(kInvalid, HasSubstr("use the path \"goals\"")));
  EXPECT_THAT(ParseUpdateMask(Mask({"review_date.year"})),
              StatusIs(kInvalid, HasSubstr("use the path \"review_date\"")));
  EXPECT_THAT(
      ParseUpdateMask(Mask({"crisis_plan.contacts.name"})),
      StatusIs(kInvalid, HasSubstr("use the path \"crisis_plan.contacts\"")));
}

// --- Dates ---

TEST(CheckDateTest, UnsetDatesAndRealDaysAreFine) {
  EXPECT_THAT(CheckDate("d", v1::Date()), IsOk());
  EXPECT_THAT(CheckDate("d", Date(2024, 2, 29)), IsOk());
  EXPECT_THAT(CheckDate("d", Date(2000, 2, 29)), IsOk());
  EXPECT_THAT(CheckDate("d", Date(1900, 1, 1)), IsOk());
  EXPECT_THAT(CheckDate("d", Date(9999, 12, 31)), IsOk());
}

TEST(CheckDateTest, DaysThatDoNotExistAreNotDates) {
  EXPECT_THAT(CheckDate("care_plan.review_date", Date(2026, 2, 30)),
              StatusIs(kInvalid,
                       "care_plan.review_date: 2026-02-30 is not a "
                       "date"));
  EXPECT_THAT(CheckDate("d", Date(2023, 2, 29)), StatusIs(kInvalid));
  EXPECT_THAT(CheckDate("d", Date(1900, 2, 29)), StatusIs(kInvalid));
  EXPECT_THAT(CheckDate("d", Date(2026, 4, 31)), StatusIs(kInvalid));
  EXPECT_THAT(CheckDate("d", Date(2026, 13, 1)), StatusIs(kInvalid));
  EXPECT_THAT(CheckDate("d", Date(2026, 1, 0)), StatusIs(kInvalid));
}

TEST(CheckDateTest, PartlySetDatesAndYearsOutOfRangeAreNotDates) {
  EXPECT_THAT(CheckDate("d", Date(2026, 0, 0)),
              StatusIs(kInvalid, "d: 2026-00-00 is not a date"));
  EXPECT_THAT(CheckDate("d", Date(0, 5, 1)), StatusIs(kInvalid));
  EXPECT_THAT(CheckDate("d", Date(1899, 12, 31)),
              StatusIs(kInvalid, HasSubstr("years 1900 to 9999")));
  EXPECT_THAT(CheckDate("d", Date(10000, 1, 1)), StatusIs(kInvalid));
}

// --- UpdateCarePlan ---

TEST(ValidateUpdateTest, AValidUpdate) {
  EXPECT_THAT(ValidateUpdate(Update()), IsOk());
}

TEST(ValidateUpdateTest, NameMaskAndReasonAreRequired) {
  v1::UpdateCarePlanRequest request = Update();
  request.mutable_care_plan()->clear_name();
  EXPECT_THAT(ValidateUpdate(request),
              StatusIs(kInvalid, "care_plan.name: must be set"));
  request = Update();
  request.mutable_care_plan()->set_name("persons/p1");
  EXPECT_THAT(ValidateUpdate(request),
              StatusIs(kInvalid, HasSubstr("care_plan.name")));
  request = Update();
  request.clear_update_mask();
  EXPECT_THAT(ValidateUpdate(request),
              StatusIs(kInvalid, "update_mask: must be set"));
  request = Update();
  request.set_reason("  ");
  EXPECT_THAT(ValidateUpdate(request),
              StatusIs(kInvalid, "reason: must be set"));
  request.set_reason(std::string(501, 'r'));
  EXPECT_THAT(ValidateUpdate(request),
              StatusIs(kInvalid, HasSubstr("reason: must be at most 500")));
}

TEST(ValidateUpdateTest, RequestIdIsOptionalButPrintable) {
  v1::UpdateCarePlanRequest request = Update();
  request.set_request_id("r-1");
  EXPECT_THAT(ValidateUpdate(request), IsOk());
  request.set_request_id("has space");
  EXPECT_THAT(ValidateUpdate(request),
              StatusIs(kInvalid, HasSubstr("request_id")));
  request.set_request_id(std::string(65, 'x'));
  EXPECT_THAT(ValidateUpdate(request),
              StatusIs(kInvalid, HasSubstr("request_id")));
}

TEST(ValidateUpdateTest, MaskedDateIsChecked) {
  v1::UpdateCarePlanRequest request = Update();
  *request.mutable_care_plan()->mutable_review_date() = Date(2026, 2, 30);
  EXPECT_THAT(ValidateUpdate(request),
              StatusIs(kInvalid,
                       "care_plan.review_date: 2026-02-30 is not a "
                       "date"));
}

// --- The other requests ---

TEST(ValidateOtherRequestsTest, ReadsNeedTheirNames) {
  v1::GetCarePlanRequest get;
  EXPECT_THAT(ValidateGet(get), StatusIs(kInvalid, "name: must be set"));
  get.set_name("persons/p1/carePlan");
  EXPECT_THAT(ValidateGet(get), IsOk());

  v1::GetCarePlanVersionRequest version;
  version.set_name("persons/p1/carePlan");
  EXPECT_THAT(ValidateGetVersion(version), StatusIs(kInvalid));
  version.set_name("persons/p1/carePlan/versions/3");
  EXPECT_THAT(ValidateGetVersion(version), IsOk());
}

TEST(ValidateOtherRequestsTest, ListChecksParentPageSizeAndView) {
  v1::ListCarePlanVersionsRequest list;
  list.set_parent("persons/p1/carePlan");
  EXPECT_THAT(ValidateListVersions(list), IsOk());
  list.set_page_size(-1);
  EXPECT_THAT(ValidateListVersions(list),
              StatusIs(kInvalid, HasSubstr("page_size")));
  list.set_page_size(0);
  list.set_view(static_cast<v1::VersionView>(9));
  EXPECT_THAT(ValidateListVersions(list),
              StatusIs(kInvalid, HasSubstr("view: unknown value 9")));
  list.set_view(v1::FULL);
  list.set_parent("persons/p1");
  EXPECT_THAT(ValidateListVersions(list),
              StatusIs(kInvalid, HasSubstr("parent")));
}

TEST(ValidateOtherRequestsTest, DiffNeedsFromAndAToNotBeforeIt) {
  v1::DiffCarePlanVersionsRequest diff;
  diff.set_name("persons/p1/carePlan");
  EXPECT_THAT(ValidateDiff(diff),
              StatusIs(kInvalid, "from_version: must be set"));
  diff.set_from_version(-2);
  EXPECT_THAT(ValidateDiff(diff), StatusIs(kInvalid, HasSubstr("at least 1")));
  diff.set_from_version(5);
  EXPECT_THAT(ValidateDiff(diff), IsOk());  // to 0: the current version
  diff.set_to_version(2);
  EXPECT_THAT(ValidateDiff(diff),
              StatusIs(kInvalid, "to_version: 2 is before from_version 5"));
  diff.set_to_version(5);
  EXPECT_THAT(ValidateDiff(diff), IsOk());
  diff.set_to_version(-1);
  EXPECT_THAT(ValidateDiff(diff), StatusIs(kInvalid, HasSubstr("to_version")));
}

TEST(ValidateOtherRequestsTest, AgreementNeedsAVersionAndAShortComment) {
  v1::RecordAgreementRequest agree;
  agree.set_name("persons/p1/carePlan");
  EXPECT_THAT(ValidateRecordAgreement(agree),
              StatusIs(kInvalid, "version: must be set"));
  agree.set_version(3);
  agree.set_person_comment(std::string(2000, 'c'));
  EXPECT_THAT(ValidateRecordAgreement(agree), IsOk());
  agree.set_person_comment(std::string(2001, 'c'));
  EXPECT_THAT(ValidateRecordAgreement(agree),
              StatusIs(kInvalid, HasSubstr("person_comment")));
}

TEST(ValidateOtherRequestsTest, AddNeedsTeamRoleAndReason) {
  v1::AddCareTeamMemberRequest add;
  add.set_name("persons/p1/carePlan");
  add.set_team("teams/crisis");
  add.set_role("crisis support");
  add.set_reason("Referral accepted");
  EXPECT_THAT(ValidateAddCareTeamMember(add), IsOk());
  add.set_role("");
  EXPECT_THAT(ValidateAddCareTeamMember(add),
              StatusIs(kInvalid, "role: must be set"));
  add.set_role(std::string(201, 'r'));
  EXPECT_THAT(ValidateAddCareTeamMember(add),
              StatusIs(kInvalid, HasSubstr("role: must be at most 200")));
  add.set_role("crisis support");
  add.set_team("crisis");
  EXPECT_THAT(ValidateAddCareTeamMember(add),
              StatusIs(kInvalid, HasSubstr("team: \"crisis\"")));
  add.set_team("teams/crisis");
  add.clear_reason();
  EXPECT_THAT(ValidateAddCareTeamMember(add),
              StatusIs(kInvalid, "reason: must be set"));
}

TEST(ValidateOtherRequestsTest, EndAndSetLeadNeedTeamAndReasonNotRole) {
  v1::EndCareTeamInvolvementRequest end;
  end.set_name("persons/p1/carePlan");
  end.set_team("teams/crisis");
  EXPECT_THAT(ValidateEndCareTeamInvolvement(end),
              StatusIs(kInvalid, "reason: must be set"));
  end.set_reason("Discharged");
  EXPECT_THAT(ValidateEndCareTeamInvolvement(end), IsOk());

  v1::SetLeadTeamRequest lead;
  lead.set_name("persons/p1/carePlan");
  lead.set_team("teams/crisis");
  lead.set_reason("Care coordinator assigned");
  EXPECT_THAT(ValidateSetLeadTeam(lead), IsOk());
  lead.clear_team();
  EXPECT_THAT(ValidateSetLeadTeam(lead),
              StatusIs(kInvalid, "team: must be set"));
}

TEST(ValidateOtherRequestsTest, TransferLeadTakesABarePersonId) {
  EXPECT_THAT(ValidateTransferLead("p1", "teams/a", "teams/b", "", "Handover"),
              IsOk());
  EXPECT_THAT(
      ValidateTransferLead("persons/p1", "teams/a", "teams/b", "", "Handover"),
      StatusIs(kInvalid, HasSubstr("person")));
  EXPECT_THAT(ValidateTransferLead("p1", "a", "teams/b", "", "Handover"),
              StatusIs(kInvalid, HasSubstr("from_team")));
  EXPECT_THAT(ValidateTransferLead("p1", "teams/a", "teams/b", "", ""),
              StatusIs(kInvalid, "reason: must be set"));
}

}  // namespace
}  // namespace carebridge::careplan
