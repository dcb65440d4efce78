// SqliteRecordStore's care gaps over a real database (SQLite, or
// PostgreSQL in the _postgresql run): a gap whose cause goes and comes back
// is a new gap, and the closed one stays as history.

#include "services/record/sqlite_record_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/audit_record.h"
#include "services/common/hmac.h"
#include "services/common/time_util.h"
#include "tests/record/test_record_store.h"
#include "tests/support/status_matchers.h"

namespace carebridge::record {
namespace {

using ::carebridge::testing::IsOk;
using ::testing::SizeIs;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01

class SqliteRecordStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(store_.Open(), IsOk()); }

  // Care plan version `version` of persons/p1 at `time`: led by teams/a,
  // agreed, review on `review` (a day).
  absl::Status Plan(int version, absl::Time time, absl::Time review,
                    const std::string& person_id = "p1") {
    PositionedChange change;
    change.change.time = time;
    change.change.person_id = person_id;
    PlanState state;
    state.person_id = person_id;
    state.time = time;
    state.plan.set_care_plan_version(version);
    state.plan.set_lead_team("teams/a");
    state.plan.set_agreed(true);
    *state.plan.mutable_review_time() = ToProtoTimestamp(review);
    v1::CareTeamMember* member = state.plan.add_care_team();
    member->set_team("teams/a");
    member->set_lead(true);
    *member->mutable_since() = ToProtoTimestamp(kStart);
    change.change.plan = std::move(state);
    change.position = FeedPosition("careplan", ++sequence_);
    return store_->Apply(absl::MakeConstSpan(&change, 1));
  }

  std::vector<v1::CareGap> ReviewGaps(absl::Time now) {
    GapQuery query;
    query.person_id = "p1";
    query.kinds = {v1::REVIEW_OVERDUE};
    query.include_closed = true;
    query.now = now;
    absl::StatusOr<std::vector<v1::CareGap>> gaps = store_->ListGaps(query);
    EXPECT_TRUE(gaps.ok()) << gaps.status();
    return gaps.ok() ? *gaps : std::vector<v1::CareGap>();
  }

  TestRecordStore store_;
  int64_t sequence_ = 0;
};

TEST_F(SqliteRecordStoreTest, AGapThatComesBackIsNewAndTheClosedOneStays) {
  const absl::Time review = kStart + absl::Hours(24 * 10);
  ASSERT_TRUE(Plan(1, kStart, review).ok());
  // Two days past the review date, a new version keeps it: overdue.
  ASSERT_TRUE(Plan(2, review + absl::Hours(48), review).ok());
  std::vector<v1::CareGap> gaps = ReviewGaps(review + absl::Hours(48));
  ASSERT_THAT(gaps, SizeIs(1));
  const std::string first = gaps[0].name();
  EXPECT_FALSE(gaps[0].has_close_time());

  // The review is moved a month on: the gap closes.
  ASSERT_TRUE(
      Plan(3, review + absl::Hours(72), review + absl::Hours(24 * 30)).ok());
  gaps = ReviewGaps(review + absl::Hours(72));
  ASSERT_THAT(gaps, SizeIs(1));
  EXPECT_TRUE(gaps[0].has_close_time());

  // And moved back to the same day: overdue again, a gap of its own; the
  // closed one keeps its name and its closing.
  ASSERT_TRUE(Plan(4, review + absl::Hours(96), review).ok());
  gaps = ReviewGaps(review + absl::Hours(96));
  ASSERT_THAT(gaps, SizeIs(2));
  int open = 0;
  for (const v1::CareGap& gap : gaps) {
    if (gap.name() == first) {
      EXPECT_TRUE(gap.has_close_time());
      EXPECT_EQ(FromProtoTimestamp(gap.close_time()), review + absl::Hours(72));
    } else {
      EXPECT_EQ(gap.name(), first + "-2");
      EXPECT_FALSE(gap.has_close_time());
      ++open;
    }
  }
  EXPECT_EQ(open, 1);

  // Later changes keep matching the open one (no third gap).
  ASSERT_TRUE(Plan(5, review + absl::Hours(120), review).ok());
  EXPECT_THAT(ReviewGaps(review + absl::Hours(120)), SizeIs(2));
}

// A gap a merge moved onto a key its new person already had is named
// `{base}-{n}-{m}` (FreshGapKey on the moved key); later changes still find
// it as the same gap rather than closing it and opening another.
TEST_F(SqliteRecordStoreTest, AGapMovedOntoATakenKeyIsStillTheSameGap) {
  const absl::Time review = kStart + absl::Hours(24 * 10);
  ASSERT_TRUE(Plan(1, kStart, review).ok());
  ASSERT_TRUE(Plan(2, review + absl::Hours(48), review).ok());
  std::vector<v1::CareGap> gaps = ReviewGaps(review + absl::Hours(48));
  ASSERT_THAT(gaps, SizeIs(1));
  const std::string key = gaps[0].name().substr(gaps[0].name().rfind('/') + 1);
  const std::string moved = key + "-2-2";
  ASSERT_TRUE(store_->db()
                  ->Write([&](Connection& conn) -> absl::Status {
                    for (const char* table : {"gaps", "gap_teams"}) {
                      absl::StatusOr<Statement> rename =
                          conn.Prepare(absl::StrCat(
                              "UPDATE ", table, " SET key = ? WHERE key = ?"));
                      if (!rename.ok()) return rename.status();
                      rename->Bind(1, moved).Bind(2, key);
                      absl::Status renamed = rename->Run();
                      if (!renamed.ok()) return renamed;
                    }
                    return absl::OkStatus();
                  })
                  .ok());

  ASSERT_TRUE(Plan(3, review + absl::Hours(72), review).ok());
  gaps = ReviewGaps(review + absl::Hours(72));
  ASSERT_THAT(gaps, SizeIs(1));
  EXPECT_EQ(gaps[0].name(), absl::StrCat("persons/p1/careGaps/", moved));
  EXPECT_FALSE(gaps[0].has_close_time());
}

// A care plan step keeps the sections its change touched (none is not
// unknown); a step without them (recorded before they were kept) reads
// back as unknown.
TEST_F(SqliteRecordStoreTest, AStepKeepsTheSectionsItsChangeTouched) {
  std::vector<PositionedChange> changes(3);
  for (int i = 0; i < 3; ++i) {
    TimelineRow row;
    row.person_id = "p1";
    row.time = kStart + absl::Minutes(i);
    row.feed = "careplan";
    row.sequence = i + 1;
    row.kind = v1::CARE_PLAN;
    row.type = "careplan.content_updated";
    row.resource = "persons/p1/carePlan";
    changes[i].change.time = row.time;
    changes[i].change.person_id = "p1";
    changes[i].change.entry = row;
    changes[i].position = FeedPosition("careplan", i + 1);
  }
  changes[0].change.entry->sections = std::vector<int>{1, 3};
  changes[1].change.entry->sections = std::vector<int>{};
  ASSERT_TRUE(store_->Apply(changes).ok());
  TimelineQuery query;
  query.person_id = "p1";
  absl::StatusOr<std::vector<TimelineRow>> rows = store_->ReadTimeline(query);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_THAT(*rows, SizeIs(3));
  EXPECT_EQ((*rows)[0].sections, std::optional<std::vector<int>>({1, 3}));
  EXPECT_EQ((*rows)[1].sections,
            std::optional<std::vector<int>>(std::vector<int>()));
  EXPECT_EQ((*rows)[2].sections, std::nullopt);
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*rows)[i], *changes[i].change.entry);
}

TEST_F(SqliteRecordStoreTest, TheSweepAnnouncesThousandsOfDueGapsOnce) {
  // 1,500 persons whose review falls due after their last change: more
  // than the sweep announces in one transaction.
  constexpr int kPersons = 1500;
  const absl::Time review = kStart + absl::Hours(24 * 10);
  for (int i = 0; i < kPersons; ++i) {
    ASSERT_TRUE(Plan(1, kStart, review, absl::StrCat("p", i)).ok());
  }
  // Before the threshold nothing is due.
  EXPECT_EQ(store_->AnnounceDueGaps(review).value_or(-1), 0);
  const absl::Time later = review + absl::Hours(48);
  EXPECT_EQ(store_->AnnounceDueGaps(later).value_or(-1), kPersons);
  EXPECT_EQ(store_->AnnounceDueGaps(later).value_or(-1), 0);
  // Each announcement is an inbox item for the care team.
  absl::StatusOr<FeedHead> head = store_->event_log()->ReadHead();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->sequence, kPersons);
}

// The record keeps the audit log of the calls to it in its own database,
// beside the projections, on either engine: the records of reads of a
// person come back newest first, and the chain verifies.
TEST(SqliteRecordStoreAuditTest, TheAuditLogSitsBesideTheRecord) {
  const HmacSha256 key(std::string(32, 'k'));
  TestRecordStore store;
  ASSERT_THAT(store.Open(GapSettings(), &key), IsOk());
  ASSERT_TRUE(store->db()->audited());

  PositionedChange change;
  change.change.time = kStart;
  change.change.person_id = "p1";
  change.position = FeedPosition("directory", 1);
  ASSERT_TRUE(store->Apply(absl::MakeConstSpan(&change, 1)).ok());
  std::vector<AuditRecord> records;
  for (int i = 0; i < 3; ++i) {
    AuditRecord& record = records.emplace_back();
    record.time = kStart + absl::Seconds(i);
    record.actor = "members/alice";
    record.team = "teams/a";
    record.role = "clinician";
    record.method = "/carebridge.record.v1.RecordService/ListTimelineEntries";
    record.resource = "persons/p1";
    record.person = "persons/p1";
    record.outcome = "OK";
  }
  ASSERT_TRUE(store->db()->AppendAudit(records).ok());
  absl::StatusOr<std::vector<AuditRecord>> listed =
      store->db()->ListAuditForPerson("persons/p1", 0, 10);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_THAT(*listed, SizeIs(3));
  EXPECT_EQ((*listed)[0].time, kStart + absl::Seconds(2));
  absl::StatusOr<AuditVerification> verified = store->db()->VerifyAudit();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->intact());
  EXPECT_EQ(verified->records, 3);
}

}  // namespace
}  // namespace carebridge::record
