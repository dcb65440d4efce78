// The break-glass review queue at real size (issue 11), on SQLite and
// (under CAREBRIDGE_TEST_DATABASE=postgresql) PostgreSQL: thousands of
// accesses over hundreds of persons, most of them reviewed. An admin paging
// through every person's unreviewed accesses (parent `persons/-`) by their
// page tokens gets each unreviewed one once, newest first, and the engine
// finds them without reading the reviewed ones.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/careplan/careplan_domain.h"
#include "services/careplan/careplan_validation.h"
#include "services/careplan/sqlite_break_glass_store.h"
#include "services/careplan/sqlite_careplan_store.h"
#include "services/common/clock.h"
#include "services/common/macros.h"
#include "services/directory_client/fake_directory_lookup.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::TestDatabase;

constexpr int kPersons = 300;
constexpr int kAccesses = 3000;
// The review queue's page in the tests below.
constexpr int kQueuePage = 25;

// Access `i` is to this person's plan: the persons take turns, out of
// order.
std::string QueuePersonId(int i) {
  return absl::StrCat("p", (i * 37) % kPersons);
}

// Left unreviewed: the 20 oldest (a queue nobody cleared) and one in 40
// after them; every other access is reviewed.
bool LeftUnreviewed(int i) { return i < 20 || i % 40 == 7; }

// The longest reason, naming access `i`: kMaxReasonChars characters, with
// two- and three-byte ones throughout.
std::string LongestReason(int i) {
  std::string reason = absl::StrCat("access ", i, ": ");
  size_t chars = reason.size();
  for (size_t k = 0; chars < kMaxReasonChars; ++k, ++chars) {
    static constexpr const char* kChars[] = {"c", "a", "f", "é", " ", "—", " "};
    reason += kChars[k % 7];
  }
  return reason;
}

Principal QueueAdmin() {
  Principal admin;
  admin.subject = "members/admin";
  admin.role = Role::kAdmin;
  return admin;
}

class BreakGlassQueueScaleTest : public ::testing::Test {
 protected:
  // Seeded once for the suite through the store (Insert, Review), as the
  // service makes them.
  static void SetUpTestSuite() {
    dir_ = new ::carebridge::testing::TempDir();
    absl::StatusOr<TestDatabase> database = TestDatabase::Create(dir_->path());
    ASSERT_THAT(database.status(), IsOk());
    database_ = new TestDatabase(std::move(*database));
    absl::StatusOr<std::unique_ptr<SqliteCarePlanStore>> store =
        SqliteCarePlanStore::Open(database_->location("careplan"));
    ASSERT_THAT(store.status(), IsOk());
    store_ = store->release();
    accesses_ = new SqliteBreakGlassStore(store_->db(), store_->event_log());
    unreviewed_ = new std::vector<std::string>();
    reasons_ = new std::vector<std::string>(kAccesses + 1);
    for (int i = 0; i < kAccesses; ++i) {
      const std::string person_id = QueuePersonId(i);
      v1::BreakGlassAccess access;
      access.set_person(absl::StrCat("persons/", person_id));
      access.set_member(absl::StrCat("members/m", i % 11));
      access.set_team("teams/crisis");
      access.set_reason(LongestReason(i));
      absl::StatusOr<int64_t> seq = accesses_->Insert(person_id, access);
      ASSERT_THAT(seq.status(), IsOk());
      ASSERT_EQ(*seq, i + 1);
      (*reasons_)[*seq] = access.reason();
      if (LeftUnreviewed(i)) {
        unreviewed_->push_back(
            absl::StrCat("persons/", person_id, "/breakGlassAccesses/", *seq));
        continue;
      }
      v1::BreakGlassReview review;
      review.set_reviewer(absl::StrCat("members/r", i % 5));
      review.set_outcome(v1::BreakGlassReview::JUSTIFIED);
      review.set_reason(absl::StrCat("reviewed access ", i));
      ASSERT_THAT(accesses_->Review(person_id, *seq, review).status(), IsOk());
    }
    std::reverse(unreviewed_->begin(), unreviewed_->end());
  }

  static void TearDownTestSuite() {
    delete accesses_;
    delete store_;
    delete database_;
    delete dir_;
    delete unreviewed_;
    delete reasons_;
  }

  void SetUp() override {
    ASSERT_NE(accesses_, nullptr);
    domain_ = std::make_unique<CarePlanDomain>(&clock_, &directory_, store_,
                                               /*signer=*/nullptr,
                                               /*sharing=*/nullptr, accesses_);
  }

  // The lines of the engine's plan for List's statement with these binds:
  // SQLite's EXPLAIN QUERY PLAN; on PostgreSQL, the plan run (EXPLAIN
  // ANALYZE), with the rows each step read.
  static absl::StatusOr<std::vector<std::string>> Plan(
      bool every_person, int64_t below, int64_t limit,
      const std::string& person_id) {
    std::vector<std::string> lines;
    RETURN_IF_ERROR(store_->db()->Read([&](Connection& conn) -> absl::Status {
      const bool pg = conn.engine() == "postgresql";
      ASSIGN_OR_RETURN(
          Statement explain,
          conn.Prepare(absl::StrCat(
              pg ? "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) "
                 : "EXPLAIN QUERY PLAN ",
              BreakGlassListSql(every_person, /*unreviewed_only=*/true))));
      explain.Bind(1, below).Bind(2, limit);
      if (!every_person) explain.Bind(3, person_id);
      while (true) {
        ASSIGN_OR_RETURN(bool row, explain.Step());
        if (!row) return absl::OkStatus();
        // SQLite: id, parent, notused, detail.
        lines.push_back(explain.ColumnText(pg ? 0 : 3));
      }
    }));
    return lines;
  }

  static ::carebridge::testing::TempDir* dir_;
  static TestDatabase* database_;
  static SqliteCarePlanStore* store_;
  static SqliteBreakGlassStore* accesses_;
  // Every unreviewed access's name, newest first.
  static std::vector<std::string>* unreviewed_;
  // Each access's reason, by its number.
  static std::vector<std::string>* reasons_;

  FakeClock clock_;
  directory_client::FakeDirectoryLookup directory_;
  std::unique_ptr<CarePlanDomain> domain_;
};

::carebridge::testing::TempDir* BreakGlassQueueScaleTest::dir_ = nullptr;
TestDatabase* BreakGlassQueueScaleTest::database_ = nullptr;
SqliteCarePlanStore* BreakGlassQueueScaleTest::store_ = nullptr;
SqliteBreakGlassStore* BreakGlassQueueScaleTest::accesses_ = nullptr;
std::vector<std::string>* BreakGlassQueueScaleTest::unreviewed_ = nullptr;
std::vector<std::string>* BreakGlassQueueScaleTest::reasons_ = nullptr;

TEST_F(BreakGlassQueueScaleTest,
       EveryPersonsUnreviewedAccessesPageNewestFirstEachOnce) {
  ASSERT_EQ(unreviewed_->size(), 94u);
  v1::ListBreakGlassAccessesRequest request;
  request.set_parent("persons/-");
  request.set_unreviewed_only(true);
  request.set_page_size(kQueuePage);
  std::vector<std::string> listed;
  int pages = 0;
  while (pages < 100) {
    absl::StatusOr<v1::ListBreakGlassAccessesResponse> page =
        domain_->ListBreakGlassAccesses(QueueAdmin(), request);
    ASSERT_THAT(page.status(), IsOk());
    ++pages;
    for (const v1::BreakGlassAccess& access : page->accesses()) {
      EXPECT_FALSE(access.has_review()) << access.name();
      int64_t seq = 0;
      ASSERT_TRUE(absl::SimpleAtoi(
          std::vector<std::string>(absl::StrSplit(access.name(), '/')).back(),
          &seq))
          << access.name();
      EXPECT_EQ(access.reason(), (*reasons_)[seq]) << access.name();
      EXPECT_TRUE(absl::StartsWith(access.name(), access.person() + "/"))
          << access.name();
      listed.push_back(access.name());
    }
    if (page->next_page_token().empty()) break;
    // A page before the last is full.
    EXPECT_EQ(page->accesses_size(), kQueuePage);
    request.set_page_token(page->next_page_token());
  }
  // Exactly the unreviewed, each once, in order.
  EXPECT_EQ(listed, *unreviewed_);
  EXPECT_EQ(pages, (94 + kQueuePage - 1) / kQueuePage);

  // The largest page (1000 asks for more than the 500 allowed) holds the
  // whole queue, with no token.
  request.clear_page_token();
  request.set_page_size(1000);
  absl::StatusOr<v1::ListBreakGlassAccessesResponse> whole =
      domain_->ListBreakGlassAccesses(QueueAdmin(), request);
  ASSERT_THAT(whole.status(), IsOk());
  EXPECT_EQ(whole->accesses_size(), 94);
  EXPECT_EQ(whole->next_page_token(), "");

  // One person's queue: theirs alone, from the same accesses.
  // p259 has 5 unreviewed accesses of its 10.
  const std::string person = "persons/p259";
  std::vector<std::string> expected;
  for (const std::string& name : *unreviewed_) {
    if (absl::StartsWith(name, person + "/")) expected.push_back(name);
  }
  ASSERT_EQ(expected.size(), 5u);
  request.set_parent(person);
  request.set_page_size(1);
  listed.clear();
  for (pages = 0; pages < 100; ++pages) {
    absl::StatusOr<v1::ListBreakGlassAccessesResponse> page =
        domain_->ListBreakGlassAccesses(QueueAdmin(), request);
    ASSERT_THAT(page.status(), IsOk());
    for (const v1::BreakGlassAccess& access : page->accesses()) {
      listed.push_back(access.name());
    }
    if (page->next_page_token().empty()) break;
    request.set_page_token(page->next_page_token());
  }
  EXPECT_EQ(listed, expected);
}

// The numbers in `line` after `label` (`actual rows=51`, `Rows Removed by
// Filter: 2906`).
std::vector<int64_t> CountsAfter(const std::string& line,
                                 const std::string& label) {
  std::vector<int64_t> counts;
  for (size_t at = line.find(label); at != std::string::npos;
       at = line.find(label, at + 1)) {
    size_t end = at + label.size();
    while (end < line.size() && absl::ascii_isdigit(line[end])) ++end;
    int64_t count = 0;
    if (absl::SimpleAtoi(absl::string_view(line).substr(
                             at + label.size(), end - at - label.size()),
                         &count)) {
      counts.push_back(count);
    }
  }
  return counts;
}

// The queue's pages, every person's and one person's, from the newest and
// from the middle: the engine reads the unreviewed accesses and no reviewed
// one. SQLite walks the unreviewed accesses alone and fetches each access
// by its number; PostgreSQL's run reads no more rows at any step than
// there are unreviewed accesses (the reviewed are 2906).
TEST_F(BreakGlassQueueScaleTest, TheQueueIsReadWithoutReadingReviewedAccesses) {
  const int64_t unreviewed = static_cast<int64_t>(unreviewed_->size());
  const bool pg = ::carebridge::testing::TestOnPostgresql();
  // PostgreSQL plans before autovacuum has analyzed the tables and after.
  for (bool analyzed : {false, true}) {
    if (analyzed && pg) {
      ASSERT_THAT(store_->db()->Write([](Connection& conn) {
        return conn.Exec(
            "ANALYZE break_glass_accesses; ANALYZE break_glass_reviews; "
            "ANALYZE break_glass_unreviewed");
      }),
                  IsOk());
    }
    for (bool every_person : {true, false}) {
      for (int64_t below : {int64_t{0}, int64_t{kAccesses / 2}}) {
        absl::StatusOr<std::vector<std::string>> plan =
            Plan(every_person,
                 below <= 0 ? std::numeric_limits<int64_t>::max() : below,
                 kQueuePage + 1, "p259");
        ASSERT_THAT(plan.status(), IsOk());
        const std::string shown = absl::StrJoin(*plan, "\n");
        SCOPED_TRACE(absl::StrCat(every_person ? "persons/-" : "persons/p259",
                                  " below ", below, ":\n", shown));
        ASSERT_FALSE(plan->empty());
        for (const std::string& line : *plan) {
          if (pg) {
            for (const char* label :
                 {"actual rows=", "Rows Removed by Filter: ",
                  "Rows Removed by Join Filter: "}) {
              for (int64_t count : CountsAfter(line, label)) {
                EXPECT_LE(count, unreviewed) << line;
              }
            }
            continue;
          }
          // SQLite: an access or its review is read by its number alone.
          if (absl::StartsWith(line, "SEARCH a ") ||
              absl::StartsWith(line, "SCAN a") ||
              absl::StartsWith(line, "SEARCH r ") ||
              absl::StartsWith(line, "SCAN r")) {
            EXPECT_TRUE(absl::StrContains(line, "(rowid=?)")) << line;
          }
        }
        if (!pg) {
          EXPECT_TRUE(std::any_of(plan->begin(), plan->end(),
                                  [](const std::string& line) {
                                    return absl::StrContains(line, " u ") ||
                                           absl::EndsWith(line, " u");
                                  }))
              << "the unreviewed accesses are walked";
        }
      }
    }
  }
}

}  // namespace
}  // namespace carebridge::careplan
