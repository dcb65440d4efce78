#include "services/directory/sqlite_directory_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/clock.h"
#include "services/common/event_log.h"
#include "services/common/macros.h"
#include "services/common/sqlite_db.h"
#include "services/common/time_util.h"
#include "services/directory/lookup_limiter.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::directory {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The store on the engine the run tests (TestDatabase): an SQLite file, or
// a database of its own on the test PostgreSQL cluster.
class SqliteDirectoryStoreTest : public ::testing::Test {
 protected:
  SqliteDirectoryStoreTest() : path_(dir_.File("directory.db")) {}

  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, testing::TestDatabase::Create(dir_.path()));
  }

  std::unique_ptr<SqliteDirectoryStore> OpenStore() {
    auto store = SqliteDirectoryStore::Open(database_->location("directory"));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // The schema version a migrated store has on this run's engine.
  static int LatestSchemaVersion() {
    return testing::TestOnPostgresql()
               ? SqliteDirectoryStore::PostgresqlMigrations().back().version
               : SqliteDirectoryStore::Migrations().back().version;
  }

  static v1::Team Team(const std::string& id, const std::string& display_name,
                       v1::Sector sector = v1::CRISIS, bool accepting = true) {
    v1::Team team;
    team.set_name(absl::StrCat("teams/", id));
    team.set_display_name(display_name);
    team.set_sector(sector);
    team.set_accepting_referrals(accepting);
    team.set_etag(absl::StrCat("etag-", id));
    *team.mutable_create_time() = ToProtoTimestamp(absl::FromUnixSeconds(1));
    return team;
  }

  static v1::Person Person(const std::string& id, const std::string& nhs_number,
                           const std::string& family_name = "Okafor") {
    v1::Person person;
    person.set_name(absl::StrCat("persons/", id));
    person.set_nhs_number(nhs_number);
    person.set_given_name("Ada");
    person.set_family_name(family_name);
    person.set_birth_date("1990-04-01");
    return person;
  }

  static std::vector<std::string> Names(const std::vector<v1::Team>& teams) {
    std::vector<std::string> names;
    for (const v1::Team& team : teams) names.push_back(team.name());
    return names;
  }

  testing::TempDir dir_;
  // The SQLite file (SqliteFile tests: the engine's own file).
  const std::string path_;
  std::optional<testing::TestDatabase> database_;
  const IdempotencyKey no_key_{};
  // What every write here appends; sqlite_directory_store_events_test.cc
  // checks the outbox itself.
  const events::v1::Event event_ =
      MakeEvent("test.changed", "teams/a", /*person=*/"", {"teams/a"},
                "members/admin", absl::FromUnixSeconds(1), v1::Team());
};

// Cases about the SQLite file itself (its schema history, its pragmas):
// they run on SQLite only (GTEST_FILTER in CMakeLists.txt).
using SqliteFileDirectoryStoreTest = SqliteDirectoryStoreTest;

TEST_F(SqliteDirectoryStoreTest, FreshOpenCreatesSchema) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), LatestSchemaVersion());
  ASSERT_TRUE(store->CreateTeam(Team("a", "North CMHT"), no_key_, event_).ok());
  auto team = store->GetTeam("teams/a");
  ASSERT_TRUE(team.ok()) << team.status();
  EXPECT_EQ(team->display_name(), "North CMHT");
}

// Person lookups are counted in the database: the directory's other
// replicas (another store on the same database) and a restart see the same
// count, where a count in each process's memory let N replicas allow N
// times the limit and a restart start it again.
TEST_F(SqliteDirectoryStoreTest, LookupsAreCountedForEveryReplicaAndRestart) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  {
    auto replica = OpenStore();
    ASSERT_NE(replica, nullptr);
    LookupLimiter limiter(&clock, replica.get(), /*max_lookups=*/3,
                          absl::Hours(1));
    EXPECT_TRUE(limiter.Admit("members/m1").ok());
    clock.Advance(absl::Minutes(10));
    EXPECT_TRUE(limiter.Admit("members/m1").ok());
    EXPECT_TRUE(limiter.Admit("members/m2").ok());
  }
  auto other = OpenStore();
  ASSERT_NE(other, nullptr);
  LookupLimiter limiter(&clock, other.get(), /*max_lookups=*/3, absl::Hours(1));
  clock.Advance(absl::Minutes(10));
  EXPECT_TRUE(limiter.Admit("members/m1").ok());
  absl::Status refused = limiter.Admit("members/m1");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(refused.message()),
              ::testing::HasSubstr(absl::StrCat(
                  "The next is allowed at ",
                  absl::FormatTime(absl::RFC3339_sec, start + absl::Hours(1),
                                   absl::UTCTimeZone()))));
  // Another member's count is theirs.
  EXPECT_TRUE(limiter.Admit("members/m2").ok());
  // Past the first lookup's hour, one more.
  clock.Advance(absl::Minutes(41));
  EXPECT_TRUE(limiter.Admit("members/m1").ok());
  EXPECT_EQ(limiter.Admit("members/m1").code(),
            absl::StatusCode::kResourceExhausted);
}

// Two replicas counting one member's lookups at once (PostgreSQL, where
// replicas share the database): exactly the limit is admitted, however
// the counts interleave (SERIALIZABLE: a count that raced another runs
// again).
TEST_F(SqliteDirectoryStoreTest, ReplicasCountingAtOnceAdmitExactlyTheLimit) {
  if (!testing::TestOnPostgresql()) {
    GTEST_SKIP() << "replicas share a database on PostgreSQL only";
  }
  constexpr int kLimit = 20;
  constexpr int kThreadsPerReplica = 4;
  constexpr int kTriesPerThread = 10;
  FakeClock clock;
  auto first = OpenStore();
  auto second = OpenStore();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  LookupLimiter at_first(&clock, first.get(), kLimit, absl::Hours(1));
  LookupLimiter at_second(&clock, second.get(), kLimit, absl::Hours(1));
  std::atomic<int> admitted{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kThreadsPerReplica; ++t) {
    LookupLimiter* limiter = t % 2 == 0 ? &at_first : &at_second;
    threads.emplace_back([&, limiter] {
      for (int i = 0; i < kTriesPerThread; ++i) {
        absl::Status status = limiter->Admit("members/m1");
        if (status.ok()) {
          ++admitted;
        } else {
          EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted)
              << status;
          ++refused;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), kLimit);
  EXPECT_EQ(refused.load(), 2 * kThreadsPerReplica * kTriesPerThread - kLimit);
}

TEST_F(SqliteDirectoryStoreTest, ReopenKeepsData) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(
        store->CreateTeam(Team("a", "North CMHT"), no_key_, event_).ok());
    v1::Member member;
    member.set_name("members/m");
    member.set_team("teams/a");
    member.set_display_name("Sam");
    member.set_role(v1::CLINICIAN);
    ASSERT_TRUE(store->CreateMember(member, no_key_, event_).ok());
    ASSERT_TRUE(
        store->CreatePerson(Person("p", "9434765919"), no_key_, event_).ok());
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->GetTeam("teams/a").ok());
  EXPECT_TRUE(store->GetMember("members/m").ok());
  auto found = store->FindPersonsByNhsNumber("9434765919");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].name(), "persons/p");
}

TEST_F(SqliteFileDirectoryStoreTest, NewerSchemaIsRefused) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  auto store = SqliteDirectoryStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("newer"));
}

TEST_F(SqliteFileDirectoryStoreTest,
       UpgradesAFileFromEveryEarlierSchemaVersion) {
  const std::vector<Migration>& all = SqliteDirectoryStore::Migrations();
  for (size_t applied = 0; applied <= all.size(); ++applied) {
    const std::string path = dir_.File(absl::StrCat("v", applied, ".db"));
    {
      auto older = SqliteDb::Open(
          path, std::vector<Migration>(all.begin(), all.begin() + applied));
      ASSERT_TRUE(older.ok()) << older.status();
    }
    auto store = SqliteDirectoryStore::Open(path);
    ASSERT_TRUE(store.ok())
        << "from version " << applied << ": " << store.status();
    EXPECT_EQ((*store)->schema_version(), all.back().version);
    ASSERT_TRUE(
        (*store)->CreatePerson(Person("p", "9434765919"), no_key_, event_).ok())
        << "from version " << applied;
    EXPECT_EQ((*store)
                  ->CreatePerson(Person("q", "9434765919"), no_key_, event_)
                  .status()
                  .code(),
              absl::StatusCode::kAlreadyExists)
        << "from version " << applied;
  }
}

TEST_F(SqliteDirectoryStoreTest, MissingResourcesAreNotFound) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->GetTeam("teams/x").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->GetMember("members/x").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->GetPerson("persons/x").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteDirectoryStoreTest, ReusedRequestIdReturnsFirstTeam) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  IdempotencyKey key{"members/admin", "CreateTeam", "r1"};
  ASSERT_TRUE(store->CreateTeam(Team("a", "First"), key, event_).ok());
  auto again = store->CreateTeam(Team("b", "Second"), key, event_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), "teams/a");
  EXPECT_EQ(store->GetTeam("teams/b").status().code(),
            absl::StatusCode::kNotFound);
  // Another caller's identical request id is a different request.
  IdempotencyKey other{"members/other", "CreateTeam", "r1"};
  auto theirs = store->CreateTeam(Team("c", "Third"), other, event_);
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_EQ(theirs->name(), "teams/c");
}

TEST_F(SqliteDirectoryStoreTest, ReusedRequestIdForAnotherRequestNamesFirst) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  IdempotencyKey key{"members/admin", "CreateTeam", "r1", "fingerprint-1"};
  ASSERT_TRUE(store->CreateTeam(Team("a", "First"), key, event_).ok());
  key.request_fingerprint = "fingerprint-2";
  auto other = store->CreateTeam(Team("b", "Second"), key, event_);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(other.status().message(), HasSubstr("\"r1\""));
  EXPECT_THAT(other.status().message(), HasSubstr("teams/a"));
  EXPECT_EQ(store->GetTeam("teams/b").status().code(),
            absl::StatusCode::kNotFound);

  // The same for members and persons.
  v1::Member member;
  member.set_name("members/m");
  member.set_team("teams/a");
  member.set_display_name("Sam");
  member.set_role(v1::CLINICIAN);
  IdempotencyKey member_key{"members/admin", "CreateMember", "r1", "m-1"};
  ASSERT_TRUE(store->CreateMember(member, member_key, event_).ok());
  member.set_name("members/n");
  member_key.request_fingerprint = "m-2";
  auto other_member = store->CreateMember(member, member_key, event_);
  EXPECT_EQ(other_member.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(other_member.status().message(), HasSubstr("members/m"));
  EXPECT_EQ(store->GetMember("members/n").status().code(),
            absl::StatusCode::kNotFound);

  IdempotencyKey person_key{"members/c", "CreatePerson", "r1", "p-1"};
  ASSERT_TRUE(store->CreatePerson(Person("p", ""), person_key, event_).ok());
  person_key.request_fingerprint = "p-2";
  auto other_person = store->CreatePerson(Person("q", ""), person_key, event_);
  EXPECT_EQ(other_person.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(other_person.status().message(), HasSubstr("persons/p"));
  EXPECT_EQ(store->GetPerson("persons/q").status().code(),
            absl::StatusCode::kNotFound);
  // A retry of the first request is still answered.
  person_key.request_fingerprint = "p-1";
  auto retry = store->CreatePerson(Person("r", ""), person_key, event_);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->name(), "persons/p");
}

TEST_F(SqliteDirectoryStoreTest, RacingCreatesWithOneRequestIdMakeOneResource) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  // Half retry one request, half send another under the same id: whichever
  // is stored first, the rest either get it back or are refused naming it.
  constexpr int kThreads = 8;
  std::vector<absl::StatusOr<v1::Person>> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      IdempotencyKey key{"members/c", "CreatePerson", "r1",
                         absl::StrCat("fingerprint-", i % 2)};
      results[i] =
          store->CreatePerson(Person(absl::StrCat("p", i), ""), key, event_);
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::string winner;
  for (int i = 0; i < kThreads && winner.empty(); ++i) {
    if (results[i].ok()) winner = results[i]->name();
  }
  ASSERT_FALSE(winner.empty());
  int refused = 0;
  for (int i = 0; i < kThreads; ++i) {
    if (results[i].ok()) {
      EXPECT_EQ(results[i]->name(), winner) << i;
    } else {
      ++refused;
      EXPECT_EQ(results[i].status().code(), absl::StatusCode::kAlreadyExists);
      EXPECT_THAT(results[i].status().message(), HasSubstr(winner));
    }
  }
  EXPECT_EQ(refused, kThreads / 2);
  auto found = store->FindPersonsByNameAndBirth("okafor", "1990-04-01", 50);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->size(), 1u);
}

TEST_F(SqliteFileDirectoryStoreTest,
       RequestIdsFromBeforeFingerprintsAnswerFirst) {
  // A schema-1 file knows only which resource a request id made, not what
  // was asked; after the upgrade, reusing such an id still answers with
  // that resource rather than refusing a retry it cannot recognise.
  {
    auto v1_db = SqliteDb::Open(path_, {SqliteDirectoryStore::Migrations()[0]});
    ASSERT_TRUE(v1_db.ok()) << v1_db.status();
    absl::Status written =
        (*v1_db)->Write([&](Connection& conn) -> absl::Status {
          ASSIGN_OR_RETURN(
              Statement team,
              conn.Prepare("INSERT INTO teams (name, sort_key, "
                           "sector, accepting_referrals, etag, "
                           "resource) VALUES ('teams/old', 'old', 2, "
                           "1, 'etag-old', ?1)"));
          team.BindBlob(1, Team("old", "Old").SerializeAsString());
          RETURN_IF_ERROR(team.Run());
          ASSIGN_OR_RETURN(Statement key,
                           conn.Prepare("INSERT INTO request_ids VALUES "
                                        "('members/admin', 'CreateTeam', 'r1', "
                                        "'teams/old', 1)"));
          return key.Run();
        });
    ASSERT_TRUE(written.ok()) << written;
  }
  auto store = SqliteDirectoryStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  auto again = (*store)->CreateTeam(
      Team("new", "New"), {"members/admin", "CreateTeam", "r1", "anything"},
      event_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), "teams/old");
  EXPECT_EQ((*store)->GetTeam("teams/new").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteDirectoryStoreTest, SameRequestIdForAnotherMethodIsAnotherCreate) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->CreateTeam(Team("a", "North"),
                               {"members/admin", "CreateTeam", "r1"}, event_)
                  .ok());
  v1::Member member;
  member.set_name("members/m");
  member.set_team("teams/a");
  member.set_display_name("Sam");
  member.set_role(v1::CLINICIAN);
  auto created = store->CreateMember(
      member, {"members/admin", "CreateMember", "r1"}, event_);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name(), "members/m");
  EXPECT_TRUE(store->GetMember("members/m").ok());
}

TEST_F(SqliteDirectoryStoreTest, DuplicateNhsNumberNamesExistingPerson) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(
      store->CreatePerson(Person("p1", "9434765919"), no_key_, event_).ok());
  auto second =
      store->CreatePerson(Person("p2", "9434765919"), no_key_, event_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(second.status().message(), HasSubstr("persons/p1"));
  EXPECT_EQ(store->GetPerson("persons/p2").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteDirectoryStoreTest, PersonsWithoutNhsNumberDoNotCollide) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->CreatePerson(Person("p1", ""), no_key_, event_).ok());
  EXPECT_TRUE(store->CreatePerson(Person("p2", ""), no_key_, event_).ok());
}

TEST_F(SqliteDirectoryStoreTest, FailedCreateDoesNotRecordRequestId) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(
      store->CreatePerson(Person("p1", "9434765919"), no_key_, event_).ok());
  IdempotencyKey key{"members/c", "CreatePerson", "r1"};
  EXPECT_EQ(store->CreatePerson(Person("p2", "9434765919"), key, event_)
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  auto retry = store->CreatePerson(Person("p3", "4010232137"), key, event_);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->name(), "persons/p3");
}

TEST_F(SqliteDirectoryStoreTest, ConcurrentRegistrationsOfOneNhsNumber) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  std::atomic<int> created{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto result = store->CreatePerson(
          Person(absl::StrCat("p", i), "9434765919"), IdempotencyKey{}, event_);
      if (result.ok()) {
        ++created;
      } else if (result.status().code() == absl::StatusCode::kAlreadyExists) {
        ++refused;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(refused.load(), 7);
}

TEST_F(SqliteDirectoryStoreTest, ReplaceTeamChecksEtag) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateTeam(Team("a", "North"), no_key_, event_).ok());
  v1::Team updated = Team("a", "South");
  updated.set_etag("etag-2");
  EXPECT_EQ(store->ReplaceTeam(updated, "stale", event_).code(),
            absl::StatusCode::kAborted);
  ASSERT_TRUE(store->ReplaceTeam(updated, "etag-a", event_).ok());
  EXPECT_EQ(store->GetTeam("teams/a")->display_name(), "South");
  EXPECT_EQ(store->ReplaceTeam(updated, "etag-a", event_).code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(store->ReplaceTeam(Team("zzz", "Gone"), "etag-zzz", event_).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteDirectoryStoreTest, ListTeamsOrdersCaseInsensitivelyThenByName) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateTeam(Team("b", "beta"), no_key_, event_).ok());
  ASSERT_TRUE(store->CreateTeam(Team("a", "Beta"), no_key_, event_).ok());
  ASSERT_TRUE(store->CreateTeam(Team("c", "Alpha"), no_key_, event_).ok());
  ASSERT_TRUE(store
                  ->CreateTeam(Team("d", "alpha", v1::INPATIENT, false),
                               no_key_, event_)
                  .ok());
  auto all = store->ListTeams(TeamFilter{}, std::nullopt, 10);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(Names(*all),
              ElementsAre("teams/c", "teams/d", "teams/a", "teams/b"));

  auto after =
      store->ListTeams(TeamFilter{}, ListCursor{"alpha", "teams/d"}, 10);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_THAT(Names(*after), ElementsAre("teams/a", "teams/b"));

  auto crisis =
      store->ListTeams(TeamFilter{v1::CRISIS, false}, std::nullopt, 10);
  ASSERT_TRUE(crisis.ok());
  EXPECT_THAT(Names(*crisis), ElementsAre("teams/c", "teams/a", "teams/b"));
  auto accepting = store->ListTeams(TeamFilter{v1::SECTOR_UNSPECIFIED, true},
                                    std::nullopt, 2);
  ASSERT_TRUE(accepting.ok());
  EXPECT_THAT(Names(*accepting), ElementsAre("teams/c", "teams/a"));
}

TEST(DirectoryKeysTest, FoldOnlyAsciiLetters) {
  // As directory.proto documents for ListTeams and FindPersons.
  EXPECT_EQ(SortKey("North CMHT"), SortKey("north cmht"));
  EXPECT_NE(SortKey("\xc3\x89ire"), SortKey("\xc3\xa9ire"));  // Éire, éire
  EXPECT_GT(SortKey("\xc3\x89ire"), SortKey("Zeta"));
  EXPECT_EQ(FamilyNameKey(" O'NEILL "), FamilyNameKey("O'Neill"));
  EXPECT_EQ(FamilyNameKey("\xc3\x93 BRIAIN"),  // Ó BRIAIN
            FamilyNameKey("\xc3\x93 Briain"));
  EXPECT_NE(FamilyNameKey("\xc3\xb3 briain"),  // ó briain
            FamilyNameKey("\xc3\x93 Briain"));
}

TEST_F(SqliteDirectoryStoreTest, FindsPersonsByFamilyNameKeyAndBirthDate) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(
      store->CreatePerson(Person("p1", "", "O'Neill"), no_key_, event_).ok());
  ASSERT_TRUE(
      store->CreatePerson(Person("p2", "", "o'neill "), no_key_, event_).ok());
  ASSERT_TRUE(
      store->CreatePerson(Person("p3", "", "Neill"), no_key_, event_).ok());
  auto found = store->FindPersonsByNameAndBirth(FamilyNameKey("O'NEILL"),
                                                "1990-04-01", 50);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].name(), "persons/p1");
  EXPECT_EQ((*found)[1].name(), "persons/p2");
  auto other_day = store->FindPersonsByNameAndBirth(FamilyNameKey("O'Neill"),
                                                    "1990-04-02", 50);
  ASSERT_TRUE(other_day.ok());
  EXPECT_TRUE(other_day->empty());
}

}  // namespace
}  // namespace carebridge::directory
