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
  ASSIGN_OR_RETURN(auto page, store.List("p1", /*before=*/0, /*limit=*/10000,
                                         /*unreviewed_only=*/false));
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

v1::BreakGlassReview ReviewBy(absl::string_view reviewer,
                              v1::BreakGlassReview::Outcome outcome) {
  v1::BreakGlassReview review;
  review.set_reviewer(std::string(reviewer));
  review.set_outcome(outcome);
  review.set_reason(absl::StrCat("reviewed by ", reviewer));
  return review;
}

// Each access's number and person, as listed.
std::vector<std::pair<int64_t, std::string>> Listed(
    const std::vector<std::pair<int64_t, v1::BreakGlassAccess>>& page) {
  std::vector<std::pair<int64_t, std::string>> listed;
  for (const auto& [seq, access] : page) {
    listed.emplace_back(seq, access.member());
  }
  return listed;
}

class BreakGlassReviewStoreTest : public BreakGlassNumberingTest {
 protected:
  void SetUp() override {
    BreakGlassNumberingTest::SetUp();
    ASSERT_OK_AND_ASSIGN(
        store_, SqliteCarePlanStore::Open(database_->location("careplan")));
    accesses_.emplace(store_->db(), store_->event_log());
  }

  std::unique_ptr<SqliteCarePlanStore> store_;
  std::optional<SqliteBreakGlassStore> accesses_;
};

TEST_F(BreakGlassReviewStoreTest,
       ConcurrentReviewsOfOneAccessKeepOneAndCommitOneEvent) {
  ASSERT_THAT(accesses_->Insert("p1", Access("members/a", "crisis")),
              IsOkAndHolds(1));
  constexpr int kReviewers = 3;  // under PgDb's pool of 4
  std::vector<absl::StatusOr<v1::BreakGlassAccess>> answers(
      kReviewers, absl::UnknownError("not run"));
  std::vector<std::thread> reviewers;
  for (int r = 0; r < kReviewers; ++r) {
    reviewers.emplace_back([&, r] {
      answers[r] = accesses_->Review("p1", 1,
                                     ReviewBy(absl::StrCat("members/r", r),
                                              v1::BreakGlassReview::JUSTIFIED));
    });
  }
  for (std::thread& reviewer : reviewers) reviewer.join();
  ASSERT_OK_AND_ASSIGN(v1::BreakGlassAccess kept, accesses_->Get("p1", 1));
  ASSERT_TRUE(kept.has_review());
  EXPECT_EQ(kept.member(), "members/a");
  EXPECT_EQ(kept.reason(), "crisis");
  // One reviewer's review is kept and told back to them; the others are
  // refused inside their transactions, naming who reviewed it.
  int kept_by = 0;
  for (const auto& answer : answers) {
    if (answer.ok()) {
      ++kept_by;
      EXPECT_THAT(*answer, ::carebridge::testing::EqualsProto(kept));
      continue;
    }
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kFailedPrecondition)
        << answer.status();
    EXPECT_THAT(std::string(answer.status().message()),
                ::testing::HasSubstr(kept.review().reviewer()));
  }
  EXPECT_EQ(kept_by, 1);
  // The access's event and one review's.
  EXPECT_THAT(store_->event_log()->Head(), IsOkAndHolds(2));
  // The same review again is a retry; another is refused; neither writes.
  ASSERT_OK_AND_ASSIGN(v1::BreakGlassAccess again,
                       accesses_->Review("p1", 1, kept.review()));
  EXPECT_THAT(again, ::carebridge::testing::EqualsProto(kept));
  EXPECT_EQ(accesses_
                ->Review("p1", 1,
                         ReviewBy("members/late",
                                  v1::BreakGlassReview::NOT_JUSTIFIED))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store_->event_log()->Head(), IsOkAndHolds(2));
}

TEST_F(BreakGlassReviewStoreTest, ListsUnreviewedAndEveryPersonsNewestFirst) {
  ASSERT_THAT(accesses_->Insert("p1", Access("members/a", "1")),
              IsOkAndHolds(1));
  ASSERT_THAT(accesses_->Insert("p2", Access("members/b", "2")),
              IsOkAndHolds(2));
  ASSERT_THAT(accesses_->Insert("p1", Access("members/c", "3")),
              IsOkAndHolds(3));
  ASSERT_THAT(
      accesses_->Review("p2", 2,
                        ReviewBy("members/r", v1::BreakGlassReview::JUSTIFIED)),
      IsOk());
  using Row = std::pair<int64_t, std::string>;
  ASSERT_OK_AND_ASSIGN(auto all, accesses_->List("", 0, 10, false));
  EXPECT_THAT(Listed(all), ElementsAre(Row{3, "members/c"}, Row{2, "members/b"},
                                       Row{1, "members/a"}));
  EXPECT_FALSE(all[0].second.has_review());
  EXPECT_EQ(all[1].second.review().reviewer(), "members/r");
  EXPECT_EQ(all[1].second.review().outcome(), v1::BreakGlassReview::JUSTIFIED);
  ASSERT_OK_AND_ASSIGN(auto unreviewed, accesses_->List("", 0, 10, true));
  EXPECT_THAT(Listed(unreviewed),
              ElementsAre(Row{3, "members/c"}, Row{1, "members/a"}));
  ASSERT_OK_AND_ASSIGN(auto below, accesses_->List("", 3, 1, true));
  EXPECT_THAT(Listed(below), ElementsAre(Row{1, "members/a"}));
  ASSERT_OK_AND_ASSIGN(auto p1, accesses_->List("p1", 0, 10, true));
  EXPECT_THAT(Listed(p1),
              ElementsAre(Row{3, "members/c"}, Row{1, "members/a"}));
  ASSERT_OK_AND_ASSIGN(auto p2, accesses_->List("p2", 0, 10, true));
  EXPECT_THAT(p2, ::testing::IsEmpty());
}

// A database made before the queue of unreviewed accesses (SQLite 10,
// PostgreSQL 8) queues those it holds with no review, and the queue then
// follows the reviews and accesses made.
TEST_F(BreakGlassNumberingTest, AnOlderDatabasesUnreviewedAccessesAreQueued) {
  const SchemaMigrations current = CarePlanMigrations();
  const std::vector<Migration> sqlite_before(current.sqlite->begin(),
                                             current.sqlite->begin() + 10);
  const std::vector<Migration> pg_before(current.postgresql->begin(),
                                         current.postgresql->begin() + 8);
  ASSERT_EQ(sqlite_before.back().sql, kBreakGlassReviewSchemaSql);
  ASSERT_EQ(pg_before.back().sql, kPgBreakGlassReviewSchemaSql);
  {
    ASSERT_OK_AND_ASSIGN(
        std::unique_ptr<Database> old,
        OpenDatabase(database_->location("careplan"),
                     SchemaMigrations{&sqlite_before, &pg_before},
                     DatabaseOptions()));
    // Accesses 1-4, of p1 and p2; 1 and 3 reviewed.
    ASSERT_THAT(old->Write([&](Connection& conn) -> absl::Status {
      for (int64_t seq = 1; seq <= 4; ++seq) {
        const std::string member = absl::StrCat("members/m", seq);
        ASSIGN_OR_RETURN(Statement insert,
                         conn.Prepare("INSERT INTO break_glass_accesses (seq, "
                                      "person_id, member, body) VALUES "
                                      "(?1, ?2, ?3, ?4)"));
        insert.Bind(1, seq)
            .Bind(2, seq % 2 == 0 ? "p2" : "p1")
            .Bind(3, member)
            .BindBlob(4, Access(member, "before").SerializeAsString());
        RETURN_IF_ERROR(insert.Run());
        if (seq % 2 == 0) continue;
        ASSIGN_OR_RETURN(
            Statement review,
            conn.Prepare(
                "INSERT INTO break_glass_reviews (seq, body) VALUES (?1, ?2)"));
        review.Bind(1, seq).BindBlob(
            2, ReviewBy("members/r", v1::BreakGlassReview::JUSTIFIED)
                   .SerializeAsString());
        RETURN_IF_ERROR(review.Run());
      }
      return conn.Exec("UPDATE break_glass_head SET seq = 4");
    }),
                IsOk());
  }
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<SqliteCarePlanStore> store,
      SqliteCarePlanStore::Open(database_->location("careplan")));
  SqliteBreakGlassStore accesses(store->db(), store->event_log());
  using Row = std::pair<int64_t, std::string>;
  ASSERT_OK_AND_ASSIGN(auto queued, accesses.List("", 0, 10, true));
  EXPECT_THAT(Listed(queued),
              ElementsAre(Row{4, "members/m4"}, Row{2, "members/m2"}));
  ASSERT_OK_AND_ASSIGN(auto p2, accesses.List("p2", 0, 10, true));
  EXPECT_THAT(Listed(p2),
              ElementsAre(Row{4, "members/m4"}, Row{2, "members/m2"}));
  EXPECT_THAT(accesses.List("p1", 0, 10, true),
              IsOkAndHolds(::testing::IsEmpty()));

  ASSERT_THAT(accesses.Insert("p1", Access("members/m5", "after")),
              IsOkAndHolds(5));
  ASSERT_THAT(
      accesses.Review("p2", 4,
                      ReviewBy("members/r", v1::BreakGlassReview::JUSTIFIED)),
      IsOk());
  ASSERT_OK_AND_ASSIGN(queued, accesses.List("", 0, 10, true));
  EXPECT_THAT(Listed(queued),
              ElementsAre(Row{5, "members/m5"}, Row{2, "members/m2"}));
  // Every access is still listed, with its review.
  ASSERT_OK_AND_ASSIGN(auto all, accesses.List("", 0, 10, false));
  ASSERT_EQ(all.size(), 5u);
  EXPECT_TRUE(all[1].second.has_review());
  EXPECT_FALSE(all[3].second.has_review());
}

TEST_F(BreakGlassReviewStoreTest,
       AnotherPersonsNumberIsNotFoundAndNotReviewed) {
  ASSERT_THAT(accesses_->Insert("p1", Access("members/a", "crisis")),
              IsOkAndHolds(1));
  EXPECT_EQ(accesses_->Get("p2", 1).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(accesses_
                ->Review("p2", 1,
                         ReviewBy("members/r", v1::BreakGlassReview::JUSTIFIED))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(accesses_->Get("p1", 2).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(v1::BreakGlassAccess access, accesses_->Get("p1", 1));
  EXPECT_FALSE(access.has_review());
  EXPECT_THAT(store_->event_log()->Head(), IsOkAndHolds(1));
}

}  // namespace
}  // namespace carebridge::careplan
