// The events the directory's domain writes with its changes: one per change,
// typed `{resource}.{verb}`, naming the resource, the teams concerned and the
// caller, carrying the resource after the change; none when nothing changed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "services/common/event_log.h"
#include "services/common/time_util.h"
#include "services/directory/directory_domain.h"
#include "services/directory/fake_care_relationships.h"
#include "services/directory/sqlite_directory_store.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::directory {
namespace {

using ::carebridge::testing::EqualsProto;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class DirectoryDomainEventsTest : public ::testing::Test {
 protected:
  DirectoryDomainEventsTest()
      : ids_(/*seed=*/7), signer_(std::string(32, 's')) {
    admin_.subject = "members/admin";
    admin_.role = Role::kAdmin;
  }

  // The store on the engine the run tests (TestDatabase).
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, testing::TestDatabase::Create(dir_.path()));
    auto store = SqliteDirectoryStore::Open(database_->location("directory"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    domain_ = std::make_unique<DirectoryDomain>(&clock_, &ids_, &signer_,
                                                store_.get(), &relationships_);
  }

  static Principal Clinician(const std::string& team) {
    Principal p;
    p.subject = "members/c";
    p.team = team;
    p.role = Role::kClinician;
    return p;
  }

  static v1::CreateTeamRequest TeamRequest(const std::string& request_id = "") {
    v1::CreateTeamRequest request;
    request.mutable_team()->set_display_name("North CMHT");
    request.mutable_team()->set_sector(v1::COMMUNITY_MENTAL_HEALTH);
    request.set_request_id(request_id);
    return request;
  }
  v1::Team CreateTeam() {
    auto team = domain_->CreateTeam(admin_, TeamRequest());
    EXPECT_TRUE(team.ok()) << team.status();
    return team.ok() ? *team : v1::Team();
  }
  static v1::CreatePersonRequest PersonRequest(
      const std::string& nhs_number, const std::string& request_id = "") {
    v1::CreatePersonRequest request;
    request.mutable_person()->set_nhs_number(nhs_number);
    request.mutable_person()->set_given_name("Ada");
    request.mutable_person()->set_family_name("Okafor");
    request.mutable_person()->set_birth_date("1990-04-01");
    request.set_request_id(request_id);
    return request;
  }

  std::vector<events::v1::Event> Events() {
    auto events = store_->event_log()->ReadAfter(/*after=*/0, /*limit=*/100);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<events::v1::Event>();
  }
  std::vector<std::string> Types() {
    std::vector<std::string> types;
    for (const events::v1::Event& event : Events()) {
      types.push_back(event.type());
    }
    return types;
  }
  // The event the domain should have built, before the store numbers it.
  template <typename Proto>
  events::v1::Event Expected(const std::string& type, const Proto& resource,
                             const std::string& person,
                             std::vector<std::string> teams,
                             const Principal& actor) {
    return MakeEvent(type, resource.name(), person, std::move(teams),
                     actor.subject, clock_.Now(), resource);
  }
  // `event` without the fields the store fills in.
  static events::v1::Event Unnumbered(events::v1::Event event) {
    event.clear_sequence();
    event.clear_id();
    event.clear_feed();
    return event;
  }

  testing::TempDir dir_;
  std::optional<testing::TestDatabase> database_;
  FakeClock clock_;
  IdGenerator ids_;
  TokenSigner signer_;
  FakeCareRelationships relationships_;
  std::unique_ptr<SqliteDirectoryStore> store_;
  std::unique_ptr<DirectoryDomain> domain_;
  Principal admin_;
};

TEST_F(DirectoryDomainEventsTest, CreateTeamWritesTeamCreated) {
  clock_.Advance(absl::Minutes(5));
  v1::Team team = CreateTeam();
  std::vector<events::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_THAT(Unnumbered(events[0]),
              EqualsProto(Expected("team.created", team, /*person=*/"",
                                   {team.name()}, admin_)));
  EXPECT_EQ(FromProtoTimestamp(events[0].time()), clock_.Now());
}

TEST_F(DirectoryDomainEventsTest, UpdateTeamWritesTeamUpdatedWithTheNewTeam) {
  v1::Team team = CreateTeam();
  clock_.Advance(absl::Hours(1));
  v1::UpdateTeamRequest request;
  request.mutable_team()->set_name(team.name());
  request.mutable_team()->set_display_name("North CMHT (East)");
  request.mutable_update_mask()->add_paths("display_name");
  request.set_etag(team.etag());
  auto updated = domain_->UpdateTeam(admin_, request);
  ASSERT_TRUE(updated.ok()) << updated.status();

  std::vector<events::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_THAT(Unnumbered(events[1]),
              EqualsProto(Expected("team.updated", *updated, /*person=*/"",
                                   {team.name()}, admin_)));
}

TEST_F(DirectoryDomainEventsTest, CreateMemberWritesMemberCreatedForItsTeam) {
  v1::Team team = CreateTeam();
  v1::CreateMemberRequest request;
  request.mutable_member()->set_display_name("Sam Patel");
  request.mutable_member()->set_team(team.name());
  // The admin appoints the team's manager.
  request.mutable_member()->set_role(v1::TEAM_MANAGER);
  auto member = domain_->CreateMember(admin_, request);
  ASSERT_TRUE(member.ok()) << member.status();

  std::vector<events::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_THAT(Unnumbered(events[1]),
              EqualsProto(Expected("member.created", *member, /*person=*/"",
                                   {team.name()}, admin_)));
}

TEST_F(DirectoryDomainEventsTest, AdminWithoutTeamConcernsNoTeam) {
  v1::CreateMemberRequest request;
  request.mutable_member()->set_display_name("Ops");
  request.mutable_member()->set_role(v1::ADMIN);
  auto member = domain_->CreateMember(admin_, request);
  ASSERT_TRUE(member.ok()) << member.status();
  std::vector<events::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].subject(), member->name());
  EXPECT_THAT(events[0].teams(), IsEmpty());
}

TEST_F(DirectoryDomainEventsTest, CreatePersonWritesPersonCreatedForTheTeam) {
  const Principal clinician = Clinician("teams/crisis");
  auto person = domain_->CreatePerson(clinician, PersonRequest("943 476 5919"));
  ASSERT_TRUE(person.ok()) << person.status();

  std::vector<events::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_THAT(Unnumbered(events[0]),
              EqualsProto(Expected("person.created", *person, person->name(),
                                   {"teams/crisis"}, clinician)));
}

TEST_F(DirectoryDomainEventsTest, MergePersonsWritesPersonMergedWithTheMerged) {
  const Principal clinician = Clinician("teams/crisis");
  auto kept = domain_->CreatePerson(clinician, PersonRequest("9434765919"));
  ASSERT_TRUE(kept.ok()) << kept.status();
  v1::CreatePersonRequest again = PersonRequest("");
  again.set_allow_possible_duplicate(true);
  auto duplicate = domain_->CreatePerson(clinician, again);
  ASSERT_TRUE(duplicate.ok()) << duplicate.status();
  relationships_.Lead(kept->name(), "teams/crisis");
  relationships_.Relate(duplicate->name(), "teams/crisis");
  v1::MergePersonsRequest merge;
  merge.set_person(kept->name());
  merge.set_duplicate(duplicate->name());
  merge.set_duplicate_etag(duplicate->etag());
  // Refused (a stale etag): nothing written.
  merge.set_duplicate_etag("stale");
  ASSERT_FALSE(domain_->MergePersons(clinician, merge).ok());
  EXPECT_EQ(Events().size(), 2u);

  merge.set_duplicate_etag(duplicate->etag());
  clock_.Advance(absl::Minutes(5));
  ASSERT_TRUE(domain_->MergePersons(clinician, merge).ok());
  auto merged = store_->GetPerson(duplicate->name());
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->merged_into(), kept->name());
  std::vector<events::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_THAT(Unnumbered(events[2]),
              EqualsProto(Expected("person.merged", *merged, merged->name(),
                                   {"teams/crisis"}, clinician)));
}

TEST_F(DirectoryDomainEventsTest, IssueTokenWritesNothing) {
  v1::Team team = CreateTeam();
  v1::CreateMemberRequest create;
  create.mutable_member()->set_display_name("Sam Patel");
  create.mutable_member()->set_team(team.name());
  create.mutable_member()->set_role(v1::TEAM_MANAGER);
  auto member = domain_->CreateMember(admin_, create);
  ASSERT_TRUE(member.ok()) << member.status();
  v1::IssueTokenRequest request;
  request.set_member(member->name());
  ASSERT_TRUE(domain_->IssueToken(admin_, request).ok());
  EXPECT_THAT(Types(), ElementsAre("team.created", "member.created"));
}

TEST_F(DirectoryDomainEventsTest, DuplicateNhsNumberWritesNoEvent) {
  ASSERT_TRUE(
      domain_
          ->CreatePerson(Clinician("teams/crisis"), PersonRequest("9434765919"))
          .ok());
  auto duplicate = domain_->CreatePerson(Clinician("teams/crisis"),
                                         PersonRequest("943 476 5919"));
  EXPECT_EQ(duplicate.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Types(), ElementsAre("person.created"));
}

TEST_F(DirectoryDomainEventsTest, UpdateWithStaleEtagWritesNoEvent) {
  v1::Team team = CreateTeam();
  v1::UpdateTeamRequest request;
  request.mutable_team()->set_name(team.name());
  request.mutable_team()->set_display_name("Renamed");
  request.mutable_update_mask()->add_paths("display_name");
  request.set_etag("stale");
  EXPECT_EQ(domain_->UpdateTeam(admin_, request).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_THAT(Types(), ElementsAre("team.created"));
}

TEST_F(DirectoryDomainEventsTest, RequestIdRetryWritesNoSecondEvent) {
  auto first = domain_->CreateTeam(admin_, TeamRequest("t1"));
  ASSERT_TRUE(first.ok()) << first.status();
  auto retry = domain_->CreateTeam(admin_, TeamRequest("t1"));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->name(), first->name());

  const Principal clinician = Clinician(first->name());
  ASSERT_TRUE(
      domain_->CreatePerson(clinician, PersonRequest("9434765919", "p1")).ok());
  ASSERT_TRUE(
      domain_->CreatePerson(clinician, PersonRequest("9434765919", "p1")).ok());
  v1::CreateMemberRequest member;
  member.mutable_member()->set_display_name("Sam Patel");
  member.mutable_member()->set_team(first->name());
  member.mutable_member()->set_role(v1::TEAM_MANAGER);
  member.set_request_id("m1");
  ASSERT_TRUE(domain_->CreateMember(admin_, member).ok());
  ASSERT_TRUE(domain_->CreateMember(admin_, member).ok());

  std::vector<events::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].subject(), first->name());
  EXPECT_EQ(events[1].type(), "person.created");
  EXPECT_EQ(events[2].type(), "member.created");
}

}  // namespace
}  // namespace carebridge::directory
