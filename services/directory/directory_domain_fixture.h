#ifndef CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_DOMAIN_FIXTURE_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_DOMAIN_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "services/common/clock.h"
#include "services/common/ids.h"
#include "services/common/principal.h"
#include "services/common/token.h"
#include "services/directory/directory_domain.h"
#include "services/directory/sqlite_directory_store.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::directory::testing {

// A DirectoryDomain over a real SQLite store in a temporary directory, a
// fake clock and an admin: what the member tests share.
class DirectoryDomainFixture : public ::testing::Test {
 protected:
  explicit DirectoryDomainFixture(uint64_t seed)
      : ids_(seed), signer_(std::string(32, 's')) {
    admin_.subject = "members/admin";
    admin_.role = Role::kAdmin;
  }

  void SetUp() override {
    // On the engine the run tests (TestDatabase).
    ASSERT_OK_AND_ASSIGN(
        database_, carebridge::testing::TestDatabase::Create(dir_.path()));
    auto store = SqliteDirectoryStore::Open(database_->location("directory"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    domain_ = std::make_unique<DirectoryDomain>(&clock_, &ids_, &signer_,
                                                store_.get());
  }

  // A community team made by the admin; its name.
  std::string CreateTeam(const std::string& display_name) {
    v1::CreateTeamRequest request;
    request.mutable_team()->set_display_name(display_name);
    request.mutable_team()->set_sector(v1::COMMUNITY_MENTAL_HEALTH);
    auto team = domain_->CreateTeam(admin_, request);
    EXPECT_TRUE(team.ok()) << team.status();
    return team.ok() ? team->name() : "";
  }

  static Principal Caller(const std::string& subject, const std::string& team,
                          Role role) {
    Principal principal;
    principal.subject = subject;
    principal.team = team;
    principal.role = role;
    return principal;
  }
  // The manager of `team`: who manages its clinical members.
  static Principal ManagerOf(const std::string& team) {
    return Caller("members/manager-of-" + team.substr(team.rfind('/') + 1),
                  team, Role::kTeamManager);
  }

  carebridge::testing::TempDir dir_;
  std::optional<carebridge::testing::TestDatabase> database_;
  FakeClock clock_;
  IdGenerator ids_;
  TokenSigner signer_;
  std::unique_ptr<SqliteDirectoryStore> store_;
  std::unique_ptr<DirectoryDomain> domain_;
  Principal admin_;
};

}  // namespace carebridge::directory::testing

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_DOMAIN_FIXTURE_H_
