#include "services/common/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

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
              StatusIs(kDenied, HasSubstr("UpdateTeam: only an admin or the "
                                          "team lead of teams/cmht")));
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

}  // namespace
}  // namespace carebridge::policy
