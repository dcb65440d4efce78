// The directory's outbox: every write commits the event it was given, in the
// same transaction, and a write that stores nothing appends nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/event_log.h"
#include "services/common/time_util.h"
#include "services/directory/sqlite_directory_store.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::directory {
namespace {

using ::carebridge::testing::EqualsProto;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class SqliteDirectoryStoreEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, testing::TestDatabase::Create(dir_.path()));
    store_ = Open();
  }

  // On the engine the run tests (TestDatabase).
  std::unique_ptr<SqliteDirectoryStore> Open() {
    auto store = SqliteDirectoryStore::Open(database_->location("directory"));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  static v1::Team Team(const std::string& id) {
    v1::Team team;
    team.set_name(absl::StrCat("teams/", id));
    team.set_display_name(absl::StrCat("Team ", id));
    team.set_sector(v1::CRISIS);
    team.set_etag(absl::StrCat("etag-", id));
    *team.mutable_create_time() = ToProtoTimestamp(absl::FromUnixSeconds(1));
    return team;
  }
  static v1::Member Member(const std::string& id, const std::string& team) {
    v1::Member member;
    member.set_name(absl::StrCat("members/", id));
    member.set_team(team);
    member.set_display_name("Sam");
    member.set_role(v1::CLINICIAN);
    return member;
  }
  static v1::Person Person(const std::string& id,
                           const std::string& nhs_number) {
    v1::Person person;
    person.set_name(absl::StrCat("persons/", id));
    person.set_nhs_number(nhs_number);
    person.set_given_name("Ada");
    person.set_family_name("Okafor");
    person.set_birth_date("1990-04-01");
    return person;
  }

  template <typename Proto>
  static events::v1::Event EventFor(const std::string& type,
                                    const Proto& resource) {
    return MakeEvent(type, resource.name(), /*person=*/"", {"teams/a"},
                     "members/admin", absl::FromUnixSeconds(2), resource);
  }

  // Every event in the outbox, oldest first.
  std::vector<events::v1::Event> Events(SqliteDirectoryStore& store) {
    auto events = store.event_log()->ReadAfter(/*after=*/0, /*limit=*/100);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<events::v1::Event>();
  }
  std::vector<std::string> Types() {
    std::vector<std::string> types;
    for (const events::v1::Event& event : Events(*store_)) {
      types.push_back(event.type());
    }
    return types;
  }

  testing::TempDir dir_;
  std::optional<testing::TestDatabase> database_;
  std::unique_ptr<SqliteDirectoryStore> store_;
  const IdempotencyKey no_key_{};
};

TEST_F(SqliteDirectoryStoreEventsTest, EachWriteAppendsTheEventItWasGiven) {
  const v1::Team team = Team("a");
  const events::v1::Event created = EventFor("team.created", team);
  ASSERT_TRUE(store_->CreateTeam(team, no_key_, created).ok());
  v1::Team renamed = team;
  renamed.set_display_name("Renamed");
  renamed.set_etag("etag-2");
  ASSERT_TRUE(
      store_
          ->ReplaceTeam(renamed, team.etag(), EventFor("team.updated", renamed))
          .ok());
  ASSERT_TRUE(store_
                  ->CreateMember(Member("m", team.name()), no_key_,
                                 EventFor("member.created", Member("m", "")))
                  .ok());
  ASSERT_TRUE(store_
                  ->CreatePerson(Person("p", "9434765919"), no_key_,
                                 EventFor("person.created", Person("p", "")))
                  .ok());

  std::vector<events::v1::Event> events = Events(*store_);
  ASSERT_EQ(events.size(), 4u);
  events::v1::Event expected = created;
  expected.set_sequence(1);
  expected.set_id("directory/1");
  expected.set_feed("directory");
  EXPECT_THAT(events[0], EqualsProto(expected));
  EXPECT_EQ(events[1].type(), "team.updated");
  EXPECT_EQ(events[1].sequence(), 2);
  v1::Team payload;
  ASSERT_TRUE(events[1].payload().UnpackTo(&payload));
  EXPECT_THAT(payload, EqualsProto(renamed));
  EXPECT_EQ(events[2].type(), "member.created");
  EXPECT_EQ(events[3].type(), "person.created");
  EXPECT_EQ(events[3].id(), "directory/4");
}

TEST_F(SqliteDirectoryStoreEventsTest, RequestIdRetryAppendsNothing) {
  const IdempotencyKey key{"members/admin", "CreateTeam", "r1", "print-1"};
  ASSERT_TRUE(
      store_->CreateTeam(Team("a"), key, EventFor("team.created", Team("a")))
          .ok());
  auto retry =
      store_->CreateTeam(Team("b"), key, EventFor("team.created", Team("b")));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->name(), "teams/a");

  IdempotencyKey other_body = key;
  other_body.request_fingerprint = "print-2";
  EXPECT_EQ(store_
                ->CreateTeam(Team("c"), other_body,
                             EventFor("team.created", Team("c")))
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);

  const IdempotencyKey person_key{"members/c", "CreatePerson", "r1", "p"};
  const v1::Person person = Person("p", "");
  ASSERT_TRUE(
      store_
          ->CreatePerson(person, person_key, EventFor("person.created", person))
          .ok());
  ASSERT_TRUE(store_
                  ->CreatePerson(Person("q", ""), person_key,
                                 EventFor("person.created", Person("q", "")))
                  .ok());
  const IdempotencyKey member_key{"members/admin", "CreateMember", "r1", "m"};
  const v1::Member member = Member("m", "teams/a");
  ASSERT_TRUE(
      store_
          ->CreateMember(member, member_key, EventFor("member.created", member))
          .ok());
  ASSERT_TRUE(store_
                  ->CreateMember(Member("n", "teams/a"), member_key,
                                 EventFor("member.created", member))
                  .ok());

  EXPECT_THAT(Types(),
              ElementsAre("team.created", "person.created", "member.created"));
}

TEST_F(SqliteDirectoryStoreEventsTest, DuplicateNhsNumberAppendsNothing) {
  ASSERT_TRUE(store_
                  ->CreatePerson(Person("p1", "9434765919"), no_key_,
                                 EventFor("person.created", Person("p1", "")))
                  .ok());
  EXPECT_EQ(store_
                ->CreatePerson(Person("p2", "9434765919"), no_key_,
                               EventFor("person.created", Person("p2", "")))
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  std::vector<events::v1::Event> events = Events(*store_);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].subject(), "persons/p1");
}

TEST_F(SqliteDirectoryStoreEventsTest, RefusedReplaceAppendsNothing) {
  ASSERT_TRUE(
      store_
          ->CreateTeam(Team("a"), no_key_, EventFor("team.created", Team("a")))
          .ok());
  EXPECT_EQ(
      store_
          ->ReplaceTeam(Team("a"), "stale", EventFor("team.updated", Team("a")))
          .code(),
      absl::StatusCode::kAborted);
  EXPECT_EQ(store_
                ->ReplaceTeam(Team("gone"), "etag-gone",
                              EventFor("team.updated", Team("gone")))
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(Types(), ElementsAre("team.created"));
}

TEST_F(SqliteDirectoryStoreEventsTest, OnlyCommittedWritesWakeTheLog) {
  std::atomic<int> wakes{0};
  const EventLog::ListenerId listener =
      store_->event_log()->AddListener([&] { ++wakes; });
  ASSERT_TRUE(
      store_
          ->CreateTeam(Team("a"), no_key_, EventFor("team.created", Team("a")))
          .ok());
  EXPECT_EQ(wakes.load(), 1);
  auto head = store_->event_log()->Head();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(*head, 1);

  EXPECT_FALSE(
      store_
          ->ReplaceTeam(Team("a"), "stale", EventFor("team.updated", Team("a")))
          .ok());
  EXPECT_FALSE(
      store_
          ->CreateTeam(Team("a"), no_key_, EventFor("team.created", Team("a")))
          .ok());
  EXPECT_EQ(wakes.load(), 1);

  ASSERT_TRUE(store_
                  ->ReplaceTeam(Team("a"), "etag-a",
                                EventFor("team.updated", Team("a")))
                  .ok());
  EXPECT_EQ(wakes.load(), 2);
  store_->event_log()->RemoveListener(listener);
}

TEST_F(SqliteDirectoryStoreEventsTest, EventsSurviveReopening) {
  ASSERT_TRUE(
      store_
          ->CreateTeam(Team("a"), no_key_, EventFor("team.created", Team("a")))
          .ok());
  store_.reset();
  std::unique_ptr<SqliteDirectoryStore> reopened = Open();
  ASSERT_NE(reopened, nullptr);
  std::vector<events::v1::Event> events = Events(*reopened);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].subject(), "teams/a");
  // Sequences continue after a restart; they are never reused.
  ASSERT_TRUE(
      reopened
          ->CreateTeam(Team("b"), no_key_, EventFor("team.created", Team("b")))
          .ok());
  EXPECT_EQ(Events(*reopened).back().sequence(), 2);
}

TEST_F(SqliteDirectoryStoreEventsTest, ANewStoreHasAnEmptyFeed) {
  EXPECT_THAT(Events(*store_), IsEmpty());
  EXPECT_EQ(store_->event_log()->feed(), "directory");
}

}  // namespace
}  // namespace carebridge::directory
