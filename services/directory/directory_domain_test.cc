#include "services/directory/directory_domain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/time_util.h"
#include "services/directory/roles.h"
#include "services/directory/sqlite_directory_store.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::directory {
namespace {

using ::testing::HasSubstr;

// 2026-01-01T00:00:00Z, the FakeClock's default start.
constexpr int64_t kStart = 1767225600;

// A store that runs `after_get_team` once, right after the first GetTeam
// returns: a way to slip a competing write between a read and the write
// that follows it.
class InterleavingStore : public DirectoryStore {
 public:
  explicit InterleavingStore(DirectoryStore* base) : base_(base) {}
  std::function<void()> after_get_team;

  absl::StatusOr<std::optional<absl::Time>> CountLookup(
      absl::string_view subject, absl::Time now, absl::Time since,
      int max) override {
    return base_->CountLookup(subject, now, since, max);
  }

  absl::StatusOr<v1::Team> GetTeam(absl::string_view name) override {
    absl::StatusOr<v1::Team> team = base_->GetTeam(name);
    if (after_get_team) std::exchange(after_get_team, nullptr)();
    return team;
  }
  EventLog* event_log() override { return base_->event_log(); }
  absl::StatusOr<v1::Team> CreateTeam(const v1::Team& team,
                                      const IdempotencyKey& key,
                                      const events::v1::Event& event) override {
    return base_->CreateTeam(team, key, event);
  }
  absl::Status ReplaceTeam(const v1::Team& team,
                           absl::string_view expected_etag,
                           const events::v1::Event& event) override {
    return base_->ReplaceTeam(team, expected_etag, event);
  }
  absl::StatusOr<std::vector<v1::Team>> ListTeams(
      const TeamFilter& filter, const std::optional<ListCursor>& after,
      int limit) override {
    return base_->ListTeams(filter, after, limit);
  }
  absl::StatusOr<v1::Member> CreateMember(
      const v1::Member& member, const IdempotencyKey& key,
      const events::v1::Event& event) override {
    return base_->CreateMember(member, key, event);
  }
  absl::StatusOr<v1::Member> GetMember(absl::string_view name) override {
    return base_->GetMember(name);
  }
  absl::Status ReplaceMember(const v1::Member& member,
                             absl::string_view expected_etag,
                             const events::v1::Event& event) override {
    return base_->ReplaceMember(member, expected_etag, event);
  }
  absl::Status AppendEvent(const events::v1::Event& event) override {
    return base_->AppendEvent(event);
  }
  absl::StatusOr<std::vector<v1::Member>> ListMembers(
      absl::string_view team, const std::optional<ListCursor>& after,
      int limit) override {
    return base_->ListMembers(team, after, limit);
  }
  absl::StatusOr<v1::Person> CreatePerson(
      const v1::Person& person, const IdempotencyKey& key,
      const events::v1::Event& event,
      std::vector<v1::Person>* possible_duplicates) override {
    return base_->CreatePerson(person, key, event, possible_duplicates);
  }
  absl::StatusOr<v1::Person> GetPerson(absl::string_view name) override {
    return base_->GetPerson(name);
  }
  absl::Status ReplacePerson(const v1::Person& person,
                             absl::string_view expected_etag,
                             const events::v1::Event& event) override {
    return base_->ReplacePerson(person, expected_etag, event);
  }
  absl::Status MergePerson(const v1::Person& duplicate,
                           absl::string_view expected_etag,
                           const events::v1::Event& event) override {
    return base_->MergePerson(duplicate, expected_etag, event);
  }
  absl::StatusOr<std::vector<v1::Person>> FindPersonsByNhsNumber(
      absl::string_view nhs_number) override {
    return base_->FindPersonsByNhsNumber(nhs_number);
  }
  absl::StatusOr<std::vector<v1::Person>> FindPersonsByNameAndBirth(
      absl::string_view family_name_key, absl::string_view birth_date,
      int limit) override {
    return base_->FindPersonsByNameAndBirth(family_name_key, birth_date, limit);
  }

 private:
  DirectoryStore* base_;
};

class DirectoryDomainTest : public ::testing::Test {
 protected:
  DirectoryDomainTest() : ids_(/*seed=*/7), signer_(std::string(32, 's')) {}

  void SetUp() override {
    // On the engine the run tests (TestDatabase).
    ASSERT_OK_AND_ASSIGN(database_, testing::TestDatabase::Create(dir_.path()));
    auto store = SqliteDirectoryStore::Open(database_->location("directory"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    domain_ = std::make_unique<DirectoryDomain>(&clock_, &ids_, &signer_,
                                                store_.get());
    admin_.subject = "members/admin";
    admin_.role = Role::kAdmin;
  }

  // A member of `team` with `role`, created by the admin.
  absl::StatusOr<v1::Member> CreateMember(const std::string& team,
                                          v1::Role role) {
    v1::CreateMemberRequest create;
    create.mutable_member()->set_display_name("Sam");
    create.mutable_member()->set_team(team);
    create.mutable_member()->set_role(role);
    return domain_->CreateMember(
        role == v1::ADMIN || role == v1::TEAM_MANAGER ? admin_ : Manager(team),
        create);
  }

  // The manager of `team`, who adds its clinical members and issues their
  // tokens.
  static Principal Manager(const std::string& team) {
    Principal manager;
    manager.subject = "members/manager";
    manager.team = team;
    manager.role = Role::kTeamManager;
    return manager;
  }

  v1::Team CreateTeam() {
    v1::CreateTeamRequest request;
    request.mutable_team()->set_display_name("North CMHT");
    request.mutable_team()->set_sector(v1::COMMUNITY_MENTAL_HEALTH);
    auto team = domain_->CreateTeam(admin_, request);
    EXPECT_TRUE(team.ok()) << team.status();
    return team.ok() ? *team : v1::Team();
  }

  Principal Clinician(const std::string& team) {
    Principal p;
    p.subject = "members/c";
    p.team = team;
    p.role = Role::kClinician;
    return p;
  }

  absl::Status CreatePersonBornOn(const std::string& birth_date,
                                  const std::string& team) {
    v1::CreatePersonRequest request;
    request.mutable_person()->set_given_name("Ada");
    request.mutable_person()->set_family_name("Okafor");
    request.mutable_person()->set_birth_date(birth_date);
    return domain_->CreatePerson(Clinician(team), request).status();
  }

  testing::TempDir dir_;
  std::optional<testing::TestDatabase> database_;
  FakeClock clock_;
  IdGenerator ids_;
  TokenSigner signer_;
  std::unique_ptr<SqliteDirectoryStore> store_;
  std::unique_ptr<DirectoryDomain> domain_;
  Principal admin_;
};

TEST_F(DirectoryDomainTest, CreateTeamFillsDefaultDeadlinesAndTimes) {
  v1::Team team = CreateTeam();
  EXPECT_EQ(FromProtoDuration(team.response_deadlines().crisis()),
            absl::Hours(4));
  EXPECT_EQ(FromProtoDuration(team.response_deadlines().urgent()),
            absl::Hours(72));
  EXPECT_EQ(FromProtoDuration(team.response_deadlines().routine()),
            absl::Hours(24 * 14));
  EXPECT_EQ(FromProtoTimestamp(team.create_time()), clock_.Now());
  EXPECT_FALSE(team.etag().empty());
}

TEST_F(DirectoryDomainTest, DeadlineBoundsAreInclusive) {
  v1::CreateTeamRequest request;
  request.mutable_team()->set_display_name("Crisis");
  request.mutable_team()->set_sector(v1::CRISIS);
  auto* deadlines = request.mutable_team()->mutable_response_deadlines();
  *deadlines->mutable_crisis() = ToProtoDuration(absl::Minutes(15));
  *deadlines->mutable_routine() = ToProtoDuration(absl::Hours(90 * 24));
  EXPECT_TRUE(domain_->CreateTeam(admin_, request).ok());

  *deadlines->mutable_crisis() =
      ToProtoDuration(absl::Minutes(15) - absl::Seconds(1));
  auto too_short = domain_->CreateTeam(admin_, request);
  EXPECT_EQ(too_short.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_short.status().message(),
              HasSubstr("team.response_deadlines.crisis"));

  *deadlines->mutable_crisis() = ToProtoDuration(absl::Hours(1));
  *deadlines->mutable_routine() =
      ToProtoDuration(absl::Hours(90 * 24) + absl::Seconds(1));
  auto too_long = domain_->CreateTeam(admin_, request);
  EXPECT_THAT(too_long.status().message(),
              HasSubstr("team.response_deadlines.routine"));
}

TEST_F(DirectoryDomainTest, UpdatingOneDeadlineKeepsTheOthers) {
  v1::Team team = CreateTeam();
  v1::UpdateTeamRequest request;
  request.mutable_team()->set_name(team.name());
  *request.mutable_team()->mutable_response_deadlines()->mutable_urgent() =
      ToProtoDuration(absl::Hours(24));
  request.mutable_update_mask()->add_paths("response_deadlines.urgent");
  request.set_etag(team.etag());
  auto updated = domain_->UpdateTeam(admin_, request);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(FromProtoDuration(updated->response_deadlines().urgent()),
            absl::Hours(24));
  EXPECT_EQ(FromProtoDuration(updated->response_deadlines().crisis()),
            absl::Hours(4));
  EXPECT_NE(updated->etag(), team.etag());
}

TEST_F(DirectoryDomainTest, ReplacingDeadlinesResetsUnsetOnesToDefaults) {
  v1::Team team = CreateTeam();
  v1::UpdateTeamRequest request;
  request.mutable_team()->set_name(team.name());
  *request.mutable_team()->mutable_response_deadlines()->mutable_crisis() =
      ToProtoDuration(absl::Hours(2));
  request.mutable_update_mask()->add_paths("response_deadlines");
  request.set_etag(team.etag());
  auto updated = domain_->UpdateTeam(admin_, request);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(FromProtoDuration(updated->response_deadlines().crisis()),
            absl::Hours(2));
  EXPECT_EQ(FromProtoDuration(updated->response_deadlines().routine()),
            absl::Hours(24 * 14));
}

TEST_F(DirectoryDomainTest, UpdateLosingARaceAfterItsReadIsAbortedNotApplied) {
  v1::Team team = CreateTeam();
  InterleavingStore store(store_.get());
  DirectoryDomain domain(&clock_, &ids_, &signer_, &store);
  v1::UpdateTeamRequest rename;
  rename.mutable_team()->set_name(team.name());
  rename.mutable_update_mask()->add_paths("display_name");
  rename.set_etag(team.etag());

  v1::Team winner;
  store.after_get_team = [&] {
    v1::UpdateTeamRequest first = rename;
    first.mutable_team()->set_display_name("First");
    absl::StatusOr<v1::Team> updated = domain_->UpdateTeam(admin_, first);
    ASSERT_TRUE(updated.ok()) << updated.status();
    winner = *updated;
  };
  rename.mutable_team()->set_display_name("Second");
  absl::StatusOr<v1::Team> late = domain.UpdateTeam(admin_, rename);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(late.status().message(), HasSubstr(team.name()));
  absl::StatusOr<v1::Team> stored = store_->GetTeam(team.name());
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->display_name(), "First");
  EXPECT_EQ(stored->etag(), winner.etag());
}

TEST_F(DirectoryDomainTest, ReusedRequestIdForAnotherTeamIsAlreadyExists) {
  v1::CreateTeamRequest request;
  request.mutable_team()->set_display_name("North CMHT");
  request.mutable_team()->set_sector(v1::COMMUNITY_MENTAL_HEALTH);
  request.set_request_id("t1");
  auto first = domain_->CreateTeam(admin_, request);
  ASSERT_TRUE(first.ok()) << first.status();

  v1::CreateTeamRequest other = request;
  other.mutable_team()->set_display_name("South CMHT");
  auto refused = domain_->CreateTeam(admin_, other);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(refused.status().message(),
            absl::StrCat("request_id: \"t1\" was already used by members/admin "
                         "for ",
                         first->name(),
                         ", which differs from this request; use a new "
                         "request_id for a new team"));

  // Output-only fields are ignored on create, so they do not make a retry
  // another request.
  v1::CreateTeamRequest retry = request;
  retry.mutable_team()->set_name("teams/whatever");
  retry.mutable_team()->set_etag("stale");
  auto again = domain_->CreateTeam(admin_, retry);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), first->name());
}

TEST_F(DirectoryDomainTest, RetryAfterTheTeamWasUpdatedStillReturnsIt) {
  // The retry is compared with the first request, not with the team as it
  // is now.
  v1::CreateTeamRequest request;
  request.mutable_team()->set_display_name("North CMHT");
  request.mutable_team()->set_sector(v1::COMMUNITY_MENTAL_HEALTH);
  request.set_request_id("t1");
  auto first = domain_->CreateTeam(admin_, request);
  ASSERT_TRUE(first.ok()) << first.status();
  v1::UpdateTeamRequest rename;
  rename.mutable_team()->set_name(first->name());
  rename.mutable_team()->set_display_name("North Community Team");
  rename.mutable_update_mask()->add_paths("display_name");
  rename.set_etag(first->etag());
  ASSERT_TRUE(domain_->UpdateTeam(admin_, rename).ok());

  auto again = domain_->CreateTeam(admin_, request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), first->name());
  EXPECT_EQ(again->display_name(), "North Community Team");
}

TEST_F(DirectoryDomainTest, ReusedRequestIdForAnotherMemberOrPersonFails) {
  const std::string team = CreateTeam().name();
  v1::CreateMemberRequest member;
  member.mutable_member()->set_display_name("Sam");
  member.mutable_member()->set_team(team);
  member.mutable_member()->set_role(v1::CLINICIAN);
  member.set_request_id("m1");
  auto sam = domain_->CreateMember(Manager(team), member);
  ASSERT_TRUE(sam.ok()) << sam.status();
  member.mutable_member()->set_role(v1::TEAM_LEAD);
  auto lead = domain_->CreateMember(Manager(team), member);
  EXPECT_EQ(lead.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(lead.status().message(), HasSubstr(sam->name()));
  EXPECT_THAT(lead.status().message(), HasSubstr("for a new member"));

  v1::CreatePersonRequest person;
  person.mutable_person()->set_given_name("Ada");
  person.mutable_person()->set_family_name("Okafor");
  person.mutable_person()->set_birth_date("1990-04-01");
  person.set_request_id("p1");
  auto ada = domain_->CreatePerson(Clinician(team), person);
  ASSERT_TRUE(ada.ok()) << ada.status();
  person.mutable_person()->set_birth_date("1990-04-02");
  auto other = domain_->CreatePerson(Clinician(team), person);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(other.status().message(), HasSubstr(ada->name()));
  EXPECT_THAT(other.status().message(), HasSubstr("for a new person"));
}

TEST_F(DirectoryDomainTest, BirthDateMayBeTodayButNotTomorrow) {
  std::string team = CreateTeam().name();
  clock_.Set(absl::FromUnixSeconds(kStart) + absl::Hours(12));
  EXPECT_TRUE(CreatePersonBornOn("2026-01-01", team).ok());
  absl::Status tomorrow = CreatePersonBornOn("2026-01-02", team);
  EXPECT_EQ(tomorrow.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(tomorrow.message(),
              HasSubstr("person.birth_date: must not be in the future"));
}

TEST_F(DirectoryDomainTest, BirthDateBoundFollowsTheUkDay) {
  std::string team = CreateTeam().name();
  // 23:30 UTC on 1 June is 00:30 on 2 June in London (BST): a baby born
  // there just after midnight is registered with today's UK date.
  clock_.Set(absl::FromUnixSeconds(kStart) + absl::Hours(151 * 24) +
             absl::Minutes(23 * 60 + 30));
  ASSERT_EQ(
      absl::FormatTime("%Y-%m-%dT%H:%M", clock_.Now(), absl::UTCTimeZone()),
      "2026-06-01T23:30");
  EXPECT_TRUE(CreatePersonBornOn("2026-06-02", team).ok());
  EXPECT_EQ(CreatePersonBornOn("2026-06-03", team).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(DirectoryDomainTest, BirthDateMustBeARealCalendarDate) {
  std::string team = CreateTeam().name();
  EXPECT_TRUE(CreatePersonBornOn("2024-02-29", team).ok());
  for (const char* date :
       {"2023-02-29", "2023-13-01", "2023-04-31", "2023-4-01", "01/04/2023",
        "2023-04-01T00:00", "20a3-04-01", "+023-04-01"}) {
    absl::Status status = CreatePersonBornOn(date, team);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << date;
    EXPECT_THAT(status.message(), HasSubstr("person.birth_date:")) << date;
  }
}

TEST_F(DirectoryDomainTest, IssuedTokenCarriesMemberTeamRoleAndExpiry) {
  std::string team = CreateTeam().name();
  absl::StatusOr<v1::Member> member = CreateMember(team, v1::TEAM_LEAD);
  ASSERT_TRUE(member.ok()) << member.status();

  v1::IssueTokenRequest request;
  request.set_member(member->name());
  *request.mutable_ttl() = ToProtoDuration(absl::Milliseconds(1500));
  auto issued = domain_->IssueToken(Manager(team), request);
  ASSERT_TRUE(issued.ok()) << issued.status();
  // Tokens carry whole seconds, rounded up.
  EXPECT_EQ(FromProtoTimestamp(issued->expire_time()),
            clock_.Now() + absl::Seconds(2));
  auto principal = signer_.Verify(issued->token(), clock_.Now());
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, member->name());
  EXPECT_EQ(principal->team, team);
  EXPECT_EQ(principal->role, Role::kTeamLead);
  EXPECT_FALSE(
      signer_.Verify(issued->token(), clock_.Now() + absl::Seconds(2)).ok());
}

// Each token is named: its id and issue time are in the response and in
// the token itself; two tokens for one member differ.
TEST_F(DirectoryDomainTest, IssuedTokensCarryAnIdAndTheirIssueTime) {
  std::string team = CreateTeam().name();
  absl::StatusOr<v1::Member> member = CreateMember(team, v1::CLINICIAN);
  ASSERT_TRUE(member.ok()) << member.status();
  v1::IssueTokenRequest request;
  request.set_member(member->name());
  clock_.Advance(absl::Milliseconds(300));
  auto first = domain_->IssueToken(Manager(team), request);
  auto second = domain_->IssueToken(Manager(team), request);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  // Whole seconds, as the token carries them.
  const absl::Time issued =
      absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(FromProtoTimestamp(first->issue_time()), issued);
  EXPECT_FALSE(first->token_id().empty());
  EXPECT_NE(first->token_id(), second->token_id());
  auto principal = signer_.Verify(first->token(), clock_.Now());
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->token_id, first->token_id());
  EXPECT_EQ(principal->issue_time, issued);
}

// The longest token is the deployment's to say: tokens default to 8 hours
// or that, whichever is shorter, and a longer ttl is refused naming it.
TEST_F(DirectoryDomainTest, TokenLifetimeIsBoundedByTheDeployment) {
  std::string team = CreateTeam().name();
  absl::StatusOr<v1::Member> member = CreateMember(team, v1::CLINICIAN);
  ASSERT_TRUE(member.ok()) << member.status();
  v1::IssueTokenRequest request;
  request.set_member(member->name());
  for (absl::Duration max : {absl::Hours(2), absl::Hours(24 * 30)}) {
    DirectoryDomain domain(&clock_, &ids_, &signer_, store_.get(), nullptr,
                           max);
    request.clear_ttl();
    auto by_default = domain.IssueToken(Manager(team), request);
    ASSERT_TRUE(by_default.ok()) << by_default.status();
    EXPECT_EQ(FromProtoTimestamp(by_default->expire_time()),
              clock_.Now() + std::min(max, absl::Hours(8)))
        << max;
    *request.mutable_ttl() = ToProtoDuration(max);
    auto longest = domain.IssueToken(Manager(team), request);
    ASSERT_TRUE(longest.ok()) << longest.status();
    EXPECT_EQ(FromProtoTimestamp(longest->expire_time()), clock_.Now() + max);
    *request.mutable_ttl() = ToProtoDuration(max + absl::Seconds(1));
    auto refused = domain.IssueToken(Manager(team), request);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(refused.status().message(),
                HasSubstr(absl::StrCat("ttl: must be at most ",
                                       absl::FormatDuration(max))));
  }
}

TEST_F(DirectoryDomainTest, RolesMapBothWays) {
  for (v1::Role role : {v1::CLINICIAN, v1::CARE_COORDINATOR, v1::TEAM_LEAD,
                        v1::PEER_SUPPORT_WORKER, v1::ADMIN}) {
    EXPECT_EQ(ToProtoRole(FromProtoRole(role)), role);
  }
  EXPECT_EQ(ToProtoRole(Role::kService), v1::ROLE_UNSPECIFIED);
}

}  // namespace
}  // namespace carebridge::directory
