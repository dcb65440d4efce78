// Separated duties as a matrix: for each caller (an admin, the team's
// manager, another team's manager, a team lead and a clinician of the
// team, a service), what each may do to the directory's members.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "services/directory/directory_domain.h"
#include "services/directory/directory_domain_fixture.h"
#include "services/directory/sqlite_directory_store.h"
#include "tests/support/temp_dir.h"

namespace carebridge::directory {
namespace {

class SeparatedDutiesTest : public testing::DirectoryDomainFixture {
 protected:
  SeparatedDutiesTest() : DirectoryDomainFixture(/*seed=*/13) {}

  void SetUp() override {
    DirectoryDomainFixture::SetUp();
    north_ = CreateTeam("North CMHT");
    south_ = CreateTeam("South CMHT");
  }

  absl::StatusOr<v1::Member> Create(const Principal& by,
                                    const std::string& team, v1::Role role) {
    v1::CreateMemberRequest request;
    request.mutable_member()->set_display_name("Someone");
    request.mutable_member()->set_team(team);
    request.mutable_member()->set_role(role);
    return domain_->CreateMember(by, request);
  }

  std::string north_, south_;
};

TEST_F(SeparatedDutiesTest, WhoMayDoWhatToMembers) {
  // The admin appoints North's manager; North's manager adds its staff.
  auto manager = Create(admin_, north_, v1::TEAM_MANAGER);
  ASSERT_TRUE(manager.ok()) << manager.status();
  const Principal north_manager =
      Caller(manager->name(), north_, Role::kTeamManager);
  auto clinician = Create(north_manager, north_, v1::CLINICIAN);
  ASSERT_TRUE(clinician.ok()) << clinician.status();
  const Principal south_manager =
      Caller("members/south-manager", south_, Role::kTeamManager);
  const Principal lead = Caller("members/lead", north_, Role::kTeamLead);
  const Principal colleague =
      Caller("members/colleague", north_, Role::kClinician);
  const Principal service = Caller("services/referral", "", Role::kService);

  struct Action {
    std::string name;
    std::function<absl::Status(const Principal&)> run;
  };
  const std::vector<Action> actions = {
      {"create a clinician of North",
       [&](const Principal& by) {
         return Create(by, north_, v1::CLINICIAN).status();
       }},
      {"create a manager of North",
       [&](const Principal& by) {
         return Create(by, north_, v1::TEAM_MANAGER).status();
       }},
      {"create an admin",
       [&](const Principal& by) { return Create(by, "", v1::ADMIN).status(); }},
      {"issue the clinician a token",
       [&](const Principal& by) {
         v1::IssueTokenRequest request;
         request.set_member(clinician->name());
         return domain_->IssueToken(by, request).status();
       }},
      {"issue the manager a token",
       [&](const Principal& by) {
         v1::IssueTokenRequest request;
         request.set_member(manager->name());
         return domain_->IssueToken(by, request).status();
       }},
      {"rename the clinician",
       [&](const Principal& by) {
         v1::GetMemberRequest get;
         get.set_name(clinician->name());
         v1::UpdateMemberRequest request;
         request.mutable_member()->set_name(clinician->name());
         request.mutable_member()->set_display_name("Renamed");
         request.mutable_update_mask()->add_paths("display_name");
         request.set_etag(domain_->GetMember(admin_, get)->etag());
         return domain_->UpdateMember(by, request).status();
       }},
      {"end the clinician's tokens",
       [&](const Principal& by) {
         v1::RevokeMemberTokensRequest request;
         request.set_name(clinician->name());
         request.set_reason("incident");
         return domain_->RevokeMemberTokens(by, request).status();
       }},
      {"list North's members",
       [&](const Principal& by) {
         v1::ListMembersRequest request;
         request.set_team(north_);
         return domain_->ListMembers(by, request).status();
       }},
  };
  struct Row {
    std::string who;
    Principal caller;
    // One per action: may they?
    std::vector<bool> may;
  };
  const std::vector<Row> rows = {
      {"admin", admin_, {false, true, true, false, true, false, true, true}},
      {"North's manager",
       north_manager,
       {true, false, false, true, false, true, true, true}},
      {"South's manager",
       south_manager,
       {false, false, false, false, false, false, false, false}},
      {"North's team lead",
       lead,
       {false, false, false, false, false, false, false, true}},
      {"a North clinician",
       colleague,
       {false, false, false, false, false, false, false, true}},
      {"a service",
       service,
       {false, false, false, false, false, false, false, false}},
  };
  for (const Row& row : rows) {
    ASSERT_EQ(row.may.size(), actions.size());
    for (size_t i = 0; i < actions.size(); ++i) {
      absl::Status status = actions[i].run(row.caller);
      if (row.may[i]) {
        EXPECT_TRUE(status.ok())
            << row.who << " may " << actions[i].name << ": " << status;
      } else {
        EXPECT_TRUE(absl::IsPermissionDenied(status))
            << row.who << " may not " << actions[i].name << ": " << status;
      }
    }
  }
}

// An admin cannot make anyone clinical by an update either, nor a manager
// appoint an admin or manager: the role may not cross the line.
TEST_F(SeparatedDutiesTest, AnUpdateMayNotCrossTheLine) {
  auto manager = Create(admin_, north_, v1::TEAM_MANAGER);
  ASSERT_TRUE(manager.ok());
  v1::UpdateMemberRequest request;
  request.mutable_member()->set_name(manager->name());
  request.mutable_member()->set_role(v1::CLINICIAN);
  request.mutable_update_mask()->add_paths("role");
  request.set_etag(manager->etag());
  absl::Status status = domain_->UpdateMember(admin_, request).status();
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  EXPECT_THAT(status.message(), ::testing::HasSubstr("member.role"));

  const Principal north_manager =
      Caller(manager->name(), north_, Role::kTeamManager);
  auto clinician = Create(north_manager, north_, v1::CLINICIAN);
  ASSERT_TRUE(clinician.ok());
  request.mutable_member()->set_name(clinician->name());
  request.mutable_member()->set_role(v1::TEAM_MANAGER);
  request.set_etag(clinician->etag());
  status = domain_->UpdateMember(north_manager, request).status();
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  // Within the clinical roles, the manager may.
  request.mutable_member()->set_role(v1::TEAM_LEAD);
  EXPECT_TRUE(domain_->UpdateMember(north_manager, request).ok());
}

// A team manager is not clinical: no person may be registered or read.
TEST_F(SeparatedDutiesTest, ATeamManagerHasNoClinicalAccess) {
  const Principal manager =
      Caller("members/manager", north_, Role::kTeamManager);
  EXPECT_FALSE(manager.is_clinical());
  v1::CreatePersonRequest request;
  request.mutable_person()->set_given_name("Alex");
  request.mutable_person()->set_family_name("Morgan");
  request.mutable_person()->set_birth_date("1990-04-01");
  absl::Status status = domain_->CreatePerson(manager, request).status();
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  v1::FindPersonsRequest find;
  find.set_family_name("Morgan");
  find.set_birth_date("1990-04-01");
  status = domain_->FindPersons(manager, find).status();
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
}

}  // namespace
}  // namespace carebridge::directory
