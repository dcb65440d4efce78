// The directory store at the sizes a real register reaches, on the engine
// the run tests (TestDatabase): resources at the longest the validators
// allow round-trip unchanged, and thousands of rows list through every page
// in byte order of (sort key, name), as on SQLite.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"
#include "services/directory/directory_validation.h"
#include "services/directory/sqlite_directory_store.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::directory {
namespace {

using ::carebridge::testing::EqualsProto;
using ::testing::ElementsAreArray;

// `chars` characters cycling through one-, two-, three- and four-byte UTF-8
// sequences, so a limit in characters is also tested in bytes.
std::string LongText(size_t chars) {
  static const char* const kPieces[] = {"a", "\xc3\xa9", "\xe2\x82\xac",
                                        "\xf0\x9f\x98\x80"};  // a é € 😀
  std::string text;
  for (size_t i = 0; i < chars; ++i) text += kPieces[i % 4];
  return text;
}

// Display names whose sort keys collide (case), differ only past ASCII
// (É, é) and sort before and after letters (digits, `~`).
std::string DisplayName(int i) {
  static const char* const kNames[] = {"North CMHT",
                                       "north cmht",
                                       "\xc3\x89ire Team",
                                       "\xc3\xa9ire team",
                                       "Zeta",
                                       "alpha",
                                       "Alpha",
                                       "10 Downing",
                                       "~tilde",
                                       "Crisis \xe2\x82\xac"};
  return absl::StrCat(kNames[i % 10], " ", i % 7);
}

class DirectoryStoreScaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, testing::TestDatabase::Create(dir_.path()));
    ASSERT_OK_AND_ASSIGN(
        store_, SqliteDirectoryStore::Open(database_->location("directory")));
  }

  // Ids that do not sort in creation order.
  static std::string Id(int i) {
    return absl::StrFormat("%08x", static_cast<uint32_t>(i) * 2654435761u);
  }

  static v1::Team Team(int i) {
    v1::Team team;
    team.set_name(absl::StrCat("teams/", Id(i)));
    team.set_display_name(DisplayName(i));
    team.set_sector(i % 3 == 0 ? v1::CRISIS : v1::INPATIENT);
    team.set_accepting_referrals(i % 2 == 0);
    team.set_etag(absl::StrCat("etag-", i));
    *team.mutable_create_time() = ToProtoTimestamp(absl::FromUnixSeconds(i));
    return team;
  }

  events::v1::Event EventFor(const std::string& name) const {
    return MakeEvent("test.changed", name, /*person=*/"", {"teams/a"},
                     "members/admin", absl::FromUnixSeconds(1), v1::Team());
  }

  testing::TempDir dir_;
  std::optional<testing::TestDatabase> database_;
  std::unique_ptr<SqliteDirectoryStore> store_;
  const IdempotencyKey no_key_{};
};

TEST_F(DirectoryStoreScaleTest, ResourcesAtTheirLongestRoundTrip) {
  v1::Team team = Team(1);
  team.set_display_name(LongText(kMaxNameChars));
  team.set_service_description(LongText(kMaxTeamTextChars));
  team.set_eligibility(LongText(kMaxTeamTextChars));
  team.set_contact(LongText(kMaxContactChars));
  team.mutable_response_deadlines()->mutable_crisis()->set_seconds(4 * 3600);
  *team.mutable_update_time() = ToProtoTimestamp(absl::FromUnixSeconds(9));
  ASSERT_OK(store_->CreateTeam(team, no_key_, EventFor(team.name())).status());
  ASSERT_OK_AND_ASSIGN(v1::Team stored, store_->GetTeam(team.name()));
  EXPECT_THAT(stored, EqualsProto(team));
  team.set_eligibility(LongText(kMaxTeamTextChars - 1));
  team.set_etag("etag-2");
  ASSERT_OK(store_->ReplaceTeam(team, "etag-1", EventFor(team.name())));
  ASSERT_OK_AND_ASSIGN(stored, store_->GetTeam(team.name()));
  EXPECT_THAT(stored, EqualsProto(team));

  v1::Member member;
  member.set_name("members/m");
  member.set_team(team.name());
  member.set_display_name(LongText(kMaxNameChars));
  member.set_role(v1::CLINICIAN);
  member.set_email(std::string(kMaxEmailChars - 12, 'x') + "@example.org");
  member.set_etag("etag-m");
  member.set_state_reason(LongText(kMaxReasonChars));
  ASSERT_OK(
      store_->CreateMember(member, no_key_, EventFor(member.name())).status());
  ASSERT_OK_AND_ASSIGN(v1::Member stored_member,
                       store_->GetMember(member.name()));
  EXPECT_THAT(stored_member, EqualsProto(member));

  v1::Person person;
  person.set_name("persons/p");
  person.set_nhs_number("9434765919");
  person.set_given_name(LongText(kMaxNameChars));
  person.set_family_name(LongText(kMaxNameChars));
  person.set_preferred_name(LongText(kMaxNameChars));
  person.set_birth_date("1990-04-01");
  person.set_etag("etag-p");
  for (int i = 0; i < kMaxLocalIdentifiers; ++i) {
    v1::LocalIdentifier* id = person.add_local_identifiers();
    id->set_system(absl::StrCat(i, LongText(kMaxSystemChars - 2)));
    id->set_value(LongText(kMaxIdentifierValueChars));
  }
  ASSERT_OK(
      store_->CreatePerson(person, no_key_, EventFor(person.name())).status());
  ASSERT_OK_AND_ASSIGN(v1::Person stored_person,
                       store_->GetPerson(person.name()));
  EXPECT_THAT(stored_person, EqualsProto(person));
  ASSERT_OK_AND_ASSIGN(
      std::vector<v1::Person> named,
      store_->FindPersonsByNameAndBirth(FamilyNameKey(person.family_name()),
                                        "1990-04-01", 10));
  ASSERT_EQ(named.size(), 1u);
  EXPECT_THAT(named[0], EqualsProto(person));
}

TEST_F(DirectoryStoreScaleTest, ThousandsOfTeamsListThroughEveryPageInOrder) {
  constexpr int kTeams = 2500;
  std::vector<v1::Team> teams;
  for (int i = 0; i < kTeams; ++i) {
    teams.push_back(Team(i));
    ASSERT_OK(store_->CreateTeam(teams.back(), no_key_, EventFor("teams/x"))
                  .status());
  }
  // Byte order of (sort key, name): std::string compares as unsigned bytes.
  auto key = [](const v1::Team& team) {
    return std::make_pair(SortKey(team.display_name()), team.name());
  };
  std::sort(
      teams.begin(), teams.end(),
      [&](const v1::Team& a, const v1::Team& b) { return key(a) < key(b); });

  for (const TeamFilter& filter : {TeamFilter{}, TeamFilter{v1::CRISIS, false},
                                   TeamFilter{v1::SECTOR_UNSPECIFIED, true}}) {
    std::vector<std::string> expected;
    for (const v1::Team& team : teams) {
      if ((filter.sector == v1::SECTOR_UNSPECIFIED ||
           team.sector() == filter.sector) &&
          (!filter.accepting_referrals_only || team.accepting_referrals())) {
        expected.push_back(team.name());
      }
    }
    std::vector<std::string> listed;
    std::optional<ListCursor> after;
    int pages = 0;
    while (true) {
      // A page size that does not divide the count.
      ASSERT_OK_AND_ASSIGN(std::vector<v1::Team> page,
                           store_->ListTeams(filter, after, 97));
      for (const v1::Team& team : page) listed.push_back(team.name());
      if (page.size() < 97) break;
      after =
          ListCursor{SortKey(page.back().display_name()), page.back().name()};
      ASSERT_LT(++pages, kTeams);
    }
    EXPECT_THAT(listed, ElementsAreArray(expected))
        << "sector " << filter.sector << " accepting only "
        << filter.accepting_referrals_only;
  }
}

TEST_F(DirectoryStoreScaleTest, ThousandsOfMembersListThroughEveryPageInOrder) {
  constexpr int kMembers = 1500;
  std::vector<std::pair<std::string, std::string>> expected;
  for (int i = 0; i < kMembers; ++i) {
    v1::Member member;
    member.set_name(absl::StrCat("members/", Id(i)));
    // Every fifth in another team, which the listing leaves out.
    member.set_team(i % 5 == 0 ? "teams/b" : "teams/a");
    member.set_display_name(DisplayName(i));
    member.set_role(v1::CLINICIAN);
    ASSERT_OK(store_->CreateMember(member, no_key_, EventFor(member.name()))
                  .status());
    if (member.team() == "teams/a") {
      expected.emplace_back(SortKey(member.display_name()), member.name());
    }
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> expected_names;
  for (const auto& [sort_key, name] : expected) expected_names.push_back(name);

  std::vector<std::string> listed;
  std::optional<ListCursor> after;
  while (true) {
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Member> page,
                         store_->ListMembers("teams/a", after, 100));
    for (const v1::Member& member : page) listed.push_back(member.name());
    if (page.size() < 100) break;
    after = ListCursor{SortKey(page.back().display_name()), page.back().name()};
    ASSERT_LE(listed.size(), expected_names.size());
  }
  EXPECT_THAT(listed, ElementsAreArray(expected_names));
}

TEST_F(DirectoryStoreScaleTest, PersonsOfOneNameAndDayComeInNameOrder) {
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) {
    v1::Person person;
    person.set_name(absl::StrCat("persons/", Id(i)));
    person.set_given_name(absl::StrCat("Ada ", i));
    person.set_family_name("Okafor");
    person.set_birth_date("1990-04-01");
    ASSERT_OK(store_->CreatePerson(person, no_key_, EventFor(person.name()))
                  .status());
    names.push_back(person.name());
  }
  std::sort(names.begin(), names.end());
  names.resize(200);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Person> found,
                       store_->FindPersonsByNameAndBirth(
                           FamilyNameKey("OKAFOR"), "1990-04-01", 200));
  std::vector<std::string> found_names;
  for (const v1::Person& person : found) found_names.push_back(person.name());
  EXPECT_THAT(found_names, ElementsAreArray(names));
}

}  // namespace
}  // namespace carebridge::directory
