#include "services/common/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/status_matchers.h"

namespace carebridge::policy {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::StatusCode kDenied = absl::StatusCode::kPermissionDenied;
constexpr char kTeam[] = "teams/cmht";
constexpr char kOtherTeam[] = "teams/crisis";

Principal Make(std::string subject, std::string team, Role role) {
  Principal p;
  p.subject = std::move(subject);
  p.team = std::move(team);
  p.role = role;
  return p;
}

Principal Admin() { return Make("members/admin", "", Role::kAdmin); }
Principal Clinician() { return Make("members/c", kTeam, Role::kClinician); }
Principal Lead() { return Make("members/l", kTeam, Role::kTeamLead); }
Principal OtherLead() { return Make("members/o", kOtherTeam, Role::kTeamLead); }
Principal Service() { return Make("services/record", "", Role::kService); }
Principal Unspecified() { return Make("members/u", kTeam, Role::kUnspecified); }

// --- RequireAdmin ---

TEST(RequireAdminTest, AdminsAndServicesMay) {
  EXPECT_THAT(RequireAdmin(Admin(), "CreateTeam"), IsOk());
  EXPECT_THAT(RequireAdmin(Service(), "CreateTeam"), StatusIs(kDenied));
}

TEST(RequireAdminTest, ClinicalStaffIncludingTeamLeadsMayNot) {
  for (const Principal& caller :
       {Clinician(), Lead(), Make("members/p", kTeam, Role::kPeerSupportWorker),
        Make("members/cc", kTeam, Role::kCareCoordinator), Unspecified()}) {
    EXPECT_THAT(RequireAdmin(caller, "CreateTeam"),
                StatusIs(kDenied, HasSubstr("CreateTeam: only an admin")))
        << caller.subject;
  }
}

TEST(RequireAdminTest, DenialSaysWhoTheCallerIs) {
  EXPECT_THAT(RequireAdmin(Lead(), "IssueToken"),
              StatusIs(kDenied, HasSubstr("members/l is team_lead")));
}

// --- RequireClinical ---

TEST(RequireClinicalTest, EveryClinicalRoleInATeamMay) {
  for (Role role : {Role::kClinician, Role::kCareCoordinator, Role::kTeamLead,
                    Role::kPeerSupportWorker}) {
    EXPECT_THAT(
        RequireClinical(Make("members/x", kTeam, role), "CreateReferral"),
        IsOk())
        << RoleName(role);
  }
}

TEST(RequireClinicalTest, AdminsServicesAndTeamlessStaffMayNot) {
  EXPECT_THAT(RequireClinical(Admin(), "CreateReferral"),
              StatusIs(kDenied, HasSubstr("CreateReferral: only clinical")));
  EXPECT_THAT(RequireClinical(Make("members/a", kTeam, Role::kAdmin), "x"),
              StatusIs(kDenied));
  EXPECT_THAT(RequireClinical(Service(), "CreateReferral"), StatusIs(kDenied));
  EXPECT_THAT(RequireClinical(Make("members/c", "", Role::kClinician), "x"),
              StatusIs(kDenied));
  EXPECT_THAT(RequireClinical(Unspecified(), "x"), StatusIs(kDenied));
}

// --- RequireTeam ---

TEST(RequireTeamTest, MembersOfThatTeamMay) {
  EXPECT_THAT(RequireTeam(Clinician(), kTeam, "AcceptReferral"), IsOk());
  EXPECT_THAT(RequireTeam(Lead(), kTeam, "AcceptReferral"), IsOk());
}

TEST(RequireTeamTest, MembersOfAnotherTeamMayNot) {
  EXPECT_THAT(RequireTeam(OtherLead(), kTeam, "AcceptReferral"),
              StatusIs(kDenied,
                       HasSubstr("AcceptReferral: only members of teams/cmht "
                                 "may do this; members/o is in teams/crisis")));
}

TEST(RequireTeamTest, AdminsMayNotActForATeam) {
  EXPECT_THAT(RequireTeam(Admin(), kTeam, "AcceptReferral"),
              StatusIs(kDenied, HasSubstr("is in no team")));
  // Not even an admin listed in the team.
  EXPECT_THAT(RequireTeam(Make("members/a", kTeam, Role::kAdmin), kTeam, "x"),
              StatusIs(kDenied));
}

TEST(RequireTeamTest, ServicesMay) {
  EXPECT_THAT(RequireTeam(Service(), kTeam, "AcceptReferral"),
              StatusIs(kDenied));
}

// --- RequireTeamAdmin ---

TEST(RequireTeamAdminTest, AdminsServicesAndThatTeamsLeadMay) {
  EXPECT_THAT(RequireTeamAdmin(Admin(), kTeam, "UpdateTeam"), IsOk());
  EXPECT_THAT(RequireTeamAdmin(Service(), kTeam, "UpdateTeam"),
              StatusIs(kDenied));
  EXPECT_THAT(RequireTeamAdmin(Lead(), kTeam, "UpdateTeam"), IsOk());
}

TEST(RequireTeamAdminTest, AnotherTeamsLeadAndOtherStaffMayNot) {
  EXPECT_THAT(RequireTeamAdmin(OtherLead(), kTeam, "UpdateTeam"),
              StatusIs(kDenied, HasSubstr("UpdateTeam: only an admin, or the "
                                          "team lead or manager of "
                                          "teams/cmht")));
  EXPECT_THAT(RequireTeamAdmin(Clinician(), kTeam, "UpdateTeam"),
              StatusIs(kDenied));
  EXPECT_THAT(
      RequireTeamAdmin(Make("members/cc", kTeam, Role::kCareCoordinator), kTeam,
                       "UpdateTeam"),
      StatusIs(kDenied));
}

// --- RequirePersonAccess ---

TEST(RequirePersonAccessTest, ClinicalStaffAndServicesMay) {
  EXPECT_THAT(RequirePersonAccess(Clinician(), "persons/p1", "GetPerson"),
              IsOk());
  EXPECT_THAT(RequirePersonAccess(OtherLead(), "persons/p1", "GetPerson"),
              IsOk());
  EXPECT_THAT(RequirePersonAccess(Service(), "persons/p1", "GetPerson"),
              IsOk());
}

TEST(RequirePersonAccessTest, AdminsMayNotReadPersons) {
  EXPECT_THAT(
      RequirePersonAccess(Admin(), "persons/p1", "GetPerson"),
      StatusIs(kDenied, HasSubstr("GetPerson: members/admin (admin) has "
                                  "no care relationship with "
                                  "persons/p1")));
  EXPECT_THAT(RequirePersonAccess(Unspecified(), "persons/p1", "GetPerson"),
              StatusIs(kDenied));
}

// --- Handovers ---

TEST(RequireHandoverRoleTest, ClinicalStaffAndServicesMay) {
  EXPECT_THAT(RequireHandoverRole(Clinician(), "read handovers"), IsOk());
  EXPECT_THAT(RequireHandoverRole(Service(), "read handovers"), IsOk());
}

TEST(RequireHandoverRoleTest, AdminsAndCallersWithoutARoleMayNot) {
  EXPECT_THAT(RequireHandoverRole(Admin(), "read handovers"),
              StatusIs(kDenied, HasSubstr("read handovers: only clinical "
                                          "staff of a team or a service")));
  EXPECT_THAT(RequireHandoverRole(Unspecified(), "read handovers"),
              StatusIs(kDenied));
}

TEST(RequireHandoverPartyTest, SendingAndReceivingTeamsAndServicesMay) {
  EXPECT_THAT(
      RequireHandoverParty(Clinician(), "handovers/h1", kTeam, kOtherTeam),
      IsOk());
  EXPECT_THAT(
      RequireHandoverParty(OtherLead(), "handovers/h1", kTeam, kOtherTeam),
      IsOk());
  EXPECT_THAT(
      RequireHandoverParty(Service(), "handovers/h1", kTeam, kOtherTeam),
      IsOk());
}

TEST(RequireHandoverPartyTest, OtherTeamsAndAdminsMayNot) {
  EXPECT_THAT(
      RequireHandoverParty(Clinician(), "handovers/h1", kOtherTeam,
                           "teams/vcs"),
      StatusIs(kDenied, HasSubstr("read handovers/h1: only the sending and "
                                  "the receiving team may do this; "
                                  "members/c is in teams/cmht")));
  EXPECT_THAT(RequireHandoverParty(Admin(), "handovers/h1", kTeam, kOtherTeam),
              StatusIs(kDenied, HasSubstr("members/admin is in no team")));
}

// --- Care plans ---

TEST(RequireCarePlanRoleTest, ClinicalStaffMayAndServicesOnlyWhenAllowed) {
  EXPECT_THAT(RequireCarePlanRole(Clinician(), /*services_may=*/false, "x"),
              IsOk());
  EXPECT_THAT(RequireCarePlanRole(Service(), /*services_may=*/true, "x"),
              IsOk());
  EXPECT_THAT(
      RequireCarePlanRole(Service(), /*services_may=*/false, "UpdateCarePlan"),
      StatusIs(kDenied, HasSubstr("UpdateCarePlan: only clinical staff of a "
                                  "team may do this; services/record is "
                                  "service")));
}

TEST(RequireCarePlanRoleTest, AdminsNever) {
  EXPECT_THAT(
      RequireCarePlanRole(Admin(), /*services_may=*/true, "GetCarePlan"),
      StatusIs(kDenied, HasSubstr("GetCarePlan: only clinical staff of a team "
                                  "or a service may do this; members/admin is "
                                  "admin")));
  EXPECT_THAT(RequireCarePlanRole(Unspecified(), true, "x"), StatusIs(kDenied));
}

TEST(RequireCarePlanReadTest, InvolvedTeamsAndServicesMay) {
  EXPECT_THAT(RequireCarePlanRead(Clinician(), "persons/p1", true), IsOk());
  EXPECT_THAT(RequireCarePlanRead(Service(), "persons/p1", false), IsOk());
}

TEST(RequireCarePlanReadTest, TeamsNotInvolvedAndAdminsMayNot) {
  EXPECT_THAT(RequireCarePlanRead(OtherLead(), "persons/p1", false),
              StatusIs(kDenied, HasSubstr("only teams on persons/p1's care "
                                          "team may read its care plan; "
                                          "teams/crisis is not involved")));
  EXPECT_THAT(RequireCarePlanRead(Admin(), "persons/p1", true),
              StatusIs(kDenied));
}

TEST(RequireCarePlanWriteTest, InvolvedTeamsOrAnyTeamWhenNobodyIs) {
  EXPECT_THAT(RequireCarePlanWrite(Clinician(), "persons/p1", true, true),
              IsOk());
  EXPECT_THAT(RequireCarePlanWrite(OtherLead(), "persons/p1", false, false),
              IsOk());
  EXPECT_THAT(RequireCarePlanWrite(OtherLead(), "persons/p1", false, true),
              StatusIs(kDenied, HasSubstr("only teams on persons/p1's care "
                                          "team may change its care plan; "
                                          "teams/crisis is not involved")));
}

TEST(RequireCarePlanWriteTest, ServicesAndAdminsMayNotWriteContent) {
  EXPECT_THAT(RequireCarePlanWrite(Service(), "persons/p1", false, false),
              StatusIs(kDenied));
  EXPECT_THAT(RequireCarePlanWrite(Admin(), "persons/p1", false, false),
              StatusIs(kDenied));
}

TEST(RequireCareTeamAddTest, ServicesMayAsWellAsWriters) {
  EXPECT_THAT(
      RequireCareTeamAdd(Service(), "persons/p1", kOtherTeam, false, true),
      IsOk());
  EXPECT_THAT(
      RequireCareTeamAdd(Clinician(), "persons/p1", kOtherTeam, true, true),
      IsOk());
  EXPECT_THAT(
      RequireCareTeamAdd(OtherLead(), "persons/p1", kOtherTeam, false, false),
      IsOk());
  EXPECT_THAT(
      RequireCareTeamAdd(OtherLead(), "persons/p1", kOtherTeam, false, true),
      StatusIs(kDenied, HasSubstr("teams/crisis is not involved")));
  EXPECT_THAT(
      RequireCareTeamAdd(Admin(), "persons/p1", kOtherTeam, false, false),
      StatusIs(kDenied));
}

TEST(RequireCareTeamAddTest, APlanNobodyLooksAfterIsPickedUpOnlyByOnesOwnTeam) {
  // Otherwise the caller would get back a plan it may not read.
  EXPECT_THAT(
      RequireCareTeamAdd(OtherLead(), "persons/p1", kTeam, false, false),
      StatusIs(kDenied, HasSubstr("may only pick it up itself")));
  EXPECT_THAT(RequirePickUpOwnTeam(OtherLead(), "persons/p1", kOtherTeam),
              IsOk());
  EXPECT_THAT(RequirePickUpOwnTeam(OtherLead(), "persons/p1", kTeam),
              StatusIs(kDenied, HasSubstr("not " + std::string(kTeam))));
  EXPECT_THAT(RequirePickUpOwnTeam(Admin(), "persons/p1", kTeam),
              StatusIs(kDenied));
}

TEST(RequireCareTeamEndTest, TheTeamItselfTheLeadOrAService) {
  EXPECT_THAT(
      RequireCareTeamEnd(Clinician(), "persons/p1", kTeam, kOtherTeam, true),
      IsOk());
  EXPECT_THAT(
      RequireCareTeamEnd(OtherLead(), "persons/p1", kTeam, kOtherTeam, true),
      IsOk());
  EXPECT_THAT(
      RequireCareTeamEnd(Service(), "persons/p1", kTeam, kOtherTeam, false),
      IsOk());
  // Nobody involved (no lead): the care team rules say the team is not on
  // it.
  EXPECT_THAT(RequireCareTeamEnd(Clinician(), "persons/p1", kTeam, "", false),
              IsOk());
}

TEST(RequireCareTeamEndTest, OtherTeamsAndAdminsMayNot) {
  EXPECT_THAT(
      RequireCareTeamEnd(OtherLead(), "persons/p1", kTeam, "teams/vcs", true),
      StatusIs(kDenied, HasSubstr("only teams/cmht itself or the lead team "
                                  "(teams/vcs) may end its involvement in "
                                  "persons/p1's care; members/o is in "
                                  "teams/crisis")));
  EXPECT_THAT(RequireCareTeamEnd(Admin(), "persons/p1", kTeam, "", false),
              StatusIs(kDenied, HasSubstr("is in no team")));
}

TEST(RequireCareTeamEndTest, TeamsNotInvolvedAreNotToldWhoLeads) {
  // Even naming themselves or the lead team: an outsider learns nothing.
  for (const char* team : {kOtherTeam, kTeam}) {
    absl::Status status =
        RequireCareTeamEnd(OtherLead(), "persons/p1", team, kTeam,
                           /*caller_team_involved=*/false);
    EXPECT_THAT(status, StatusIs(kDenied,
                                 "only teams on persons/p1's care team may "
                                 "change its care team; teams/crisis is not "
                                 "involved"));
  }
}

TEST(RequireLeadTransferTest, ServicesOrStaffOfTheInvolvedFromTeam) {
  EXPECT_THAT(RequireLeadTransfer(Service(), "persons/p1", kTeam, false),
              IsOk());
  EXPECT_THAT(RequireLeadTransfer(Clinician(), "persons/p1", kTeam, true),
              IsOk());
}

TEST(RequireLeadTransferTest, TeamsNotInvolvedOrActingForAnotherMayNot) {
  EXPECT_THAT(RequireLeadTransfer(Clinician(), "persons/p1", kTeam, false),
              StatusIs(kDenied, HasSubstr("teams/cmht is not involved")));
  EXPECT_THAT(
      RequireLeadTransfer(OtherLead(), "persons/p1", kTeam, true),
      StatusIs(kDenied, HasSubstr("only staff of teams/cmht may pass its lead "
                                  "of persons/p1's care on")));
  EXPECT_THAT(RequireLeadTransfer(Admin(), "persons/p1", kTeam, true),
              StatusIs(kDenied));
}

// --- EventVisibilityFor ---

events::v1::Event EventFor(std::vector<std::string> teams) {
  events::v1::Event event;
  event.set_type("referral.accepted");
  for (std::string& team : teams) event.add_teams(std::move(team));
  return event;
}

TEST(EventVisibilityForTest, ServicesSeeEveryEventInFull) {
  EXPECT_EQ(EventVisibilityFor(Service(), EventFor({kOtherTeam})),
            EventVisibility::kFull);
  EXPECT_EQ(EventVisibilityFor(Service(), EventFor({})),
            EventVisibility::kFull);
}

TEST(EventVisibilityForTest, ClinicalStaffSeeEventsNamingTheirTeamInFull) {
  EXPECT_EQ(EventVisibilityFor(Clinician(), EventFor({kOtherTeam, kTeam})),
            EventVisibility::kFull);
  EXPECT_EQ(EventVisibilityFor(Lead(), EventFor({kTeam})),
            EventVisibility::kFull);
}

TEST(EventVisibilityForTest, ClinicalStaffDoNotSeeOtherTeamsEvents) {
  EXPECT_EQ(EventVisibilityFor(Clinician(), EventFor({kOtherTeam})),
            EventVisibility::kHidden);
  EXPECT_EQ(EventVisibilityFor(Clinician(), EventFor({})),
            EventVisibility::kHidden);
}

TEST(EventVisibilityForTest, AdminsSeeEveryEventWithoutItsPayload) {
  EXPECT_EQ(EventVisibilityFor(Admin(), EventFor({kTeam})),
            EventVisibility::kMetadataOnly);
  EXPECT_EQ(EventVisibilityFor(Admin(), EventFor({})),
            EventVisibility::kMetadataOnly);
}

TEST(EventVisibilityForTest, CallersWithoutARoleOrTeamSeeNothing) {
  EXPECT_EQ(EventVisibilityFor(Unspecified(), EventFor({kTeam})),
            EventVisibility::kHidden);
  EXPECT_EQ(EventVisibilityFor(Make("members/x", "", Role::kClinician),
                               EventFor({""})),
            EventVisibility::kHidden);
}

}  // namespace
}  // namespace carebridge::policy
