// SqliteBreakGlassStore's numbering on the engine the test runs on (SQLite,
// or PostgreSQL under CAREBRIDGE_TEST_DATABASE=postgresql): accesses made
// at once are numbered 1..N with no gap and in commit order, so a reader
// paging ("everything after N") at any moment misses none; a database made
// before the head row keeps its numbers and goes on from the largest.
#include "services/careplan/sqlite_break_glass_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/careplan/careplan_migrations.h"
#include "services/careplan/sqlite_careplan_store.h"
#include "services/common/macros.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::TestDatabase;
using ::testing::ElementsAre;

v1::BreakGlassAccess Access(absl::string_view member, absl::string_view why) {
  v1::BreakGlassAccess access;
  access.set_member(std::string(member));
  access.set_reason(std::string(why));
  return access;
}

// Every number `store` lists for persons/p1, newest first.
absl::StatusOr<std::vector<int64_t>> Numbers(SqliteBreakGlassStore& store) {
  std::vector<int64_t> numbers;
  ASSIGN_OR_RETURN(auto page, store.List("p1", /*before=*/0, /*limit=*/10000));
  for (const auto& [seq, access] : page) numbers.push_back(seq);
  return numbers;
}

class BreakGlassNumberingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, TestDatabase::Create(dir_.path()));
  }

  ::carebridge::testing::TempDir dir_;
  std::optional<TestDatabase> database_;
};

TEST_F(BreakGlassNumberingTest,
       ConcurrentAccessesAreNumberedOneToNAndAReaderNeverSeesAGap) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<SqliteCarePlanStore> store,
      SqliteCarePlanStore::Open(database_->location("careplan")));
  SqliteBreakGlassStore accesses(store->db(), store->event_log());
  constexpr int kWriters = 3;  // with the reader, under PgDb's pool of 4
  constexpr int kEach = 30;
  constexpr int kTotal = kWriters * kEach;

  // The reader pages as a follower would: after the largest number it has
  // seen, it must find the very next one, never a larger one first.
  std::atomic<bool> writing{true};
  absl::Mutex mu;
  std::vector<std::string> problems;
  int reads = 0;
  std::thread reader([&] {
    int64_t seen = 0;
    while (true) {
      const bool last = !writing.load();
      absl::StatusOr<std::vector<int64_t>> numbers = Numbers(accesses);
      absl::MutexLock lock(&mu);
      ++reads;
      if (!numbers.ok()) {
        problems.push_back(numbers.status().ToString());
      } else {
        std::vector<int64_t> after;
        for (int64_t n : *numbers) {
          if (n > seen) after.push_back(n);
        }
        std::sort(after.begin(), after.end());
        for (int64_t n : after) {
          if (n != seen + 1) {
            problems.push_back(absl::StrCat("after ", seen, " came ", n));
          }
          seen = n;
        }
      }
      if (last) return;
    }
  });

  std::vector<std::thread> writers;
  std::vector<std::vector<int64_t>> given(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        absl::StatusOr<int64_t> seq = accesses.Insert(
            "p1", Access(absl::StrCat("members/m", w), absl::StrCat(i)));
        if (!seq.ok()) {
          absl::MutexLock lock(&mu);
          problems.push_back(seq.status().ToString());
          continue;
        }
        given[w].push_back(*seq);
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  writing.store(false);
  reader.join();

  EXPECT_THAT(problems, ::testing::IsEmpty());
  EXPECT_GT(reads, 1);
  std::vector<int64_t> all;
  for (const std::vector<int64_t>& one : given) {
    // Each writer's accesses commit one after another: increasing numbers.
    EXPECT_TRUE(std::is_sorted(one.begin(), one.end()));
    all.insert(all.end(), one.begin(), one.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<int64_t> one_to_n(kTotal);
  for (int i = 0; i < kTotal; ++i) one_to_n[i] = i + 1;
  EXPECT_EQ(all, one_to_n);
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> listed, Numbers(accesses));
  EXPECT_EQ(listed, std::vector<int64_t>(one_to_n.rbegin(), one_to_n.rend()));
  // Each access committed with its careplan.break_glass event.
  EXPECT_THAT(store->event_log()->Head(), IsOkAndHolds(kTotal));
}

TEST_F(BreakGlassNumberingTest,
       AnOlderDatabaseKeepsItsNumbersAndGoesOnFromThem) {
  const SchemaMigrations current = CarePlanMigrations();
  // The schema as it was before break_glass_head (SQLite 8, PostgreSQL 6).
  const std::vector<Migration> sqlite_before(current.sqlite->begin(),
                                             current.sqlite->begin() + 8);
  const std::vector<Migration> pg_before(current.postgresql->begin(),
                                         current.postgresql->begin() + 6);
  ASSERT_EQ(sqlite_before.back().sql, kBreakGlassSchemaSql);
  {
    ASSERT_OK_AND_ASSIGN(
        std::unique_ptr<Database> old,
        OpenDatabase(database_->location("careplan"),
                     SchemaMigrations{&sqlite_before, &pg_before},
                     DatabaseOptions()));
    // Numbered by the old schema (AUTOINCREMENT, the identity).
    for (const char* member : {"members/a", "members/b", "members/c"}) {
      ASSERT_THAT(old->Write([&](Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(
            Statement insert,
            conn.Prepare("INSERT INTO break_glass_accesses (person_id, "
                         "member, body) VALUES (?1, ?2, ?3)"));
        insert.Bind(1, "p1").Bind(2, member).BindBlob(
            3, Access(member, "before").SerializeAsString());
        return insert.Run();
      }),
                  IsOk());
    }
  }
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<SqliteCarePlanStore> store,
      SqliteCarePlanStore::Open(database_->location("careplan")));
  SqliteBreakGlassStore accesses(store->db(), store->event_log());
  EXPECT_THAT(accesses.Insert("p1", Access("members/d", "after")),
              IsOkAndHolds(4));
  EXPECT_THAT(accesses.Insert("p2", Access("members/d", "after")),
              IsOkAndHolds(5));
  EXPECT_THAT(Numbers(accesses), IsOkAndHolds(ElementsAre(4, 3, 2, 1)));
}

}  // namespace
}  // namespace carebridge::careplan
