// Timeline stream cursors across the upgrade that gave timeline entries
// positions (schema step 17 on SQLite, 8 on PostgreSQL) and across a
// rebuild of the record: a cursor issued before the upgrade (it counted
// source sequences) resumes exactly where it stood, and a cursor of a
// record since rebuilt is refused naming `cursor`. Over a real database
// (SQLite, or PostgreSQL in the _postgresql run).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/clock.h"
#include "services/common/database_opener.h"
#include "services/common/macros.h"
#include "services/common/page_token.h"
#include "services/common/time_util.h"
#include "services/record/record_domain.h"
#include "services/record/sqlite_record_rows.h"
#include "services/record/sqlite_record_schema.h"
#include "services/record/sqlite_record_store.h"
#include "tests/record/test_record_store.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::record {
namespace {

using ::carebridge::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::StartsWith;

const absl::Time kNoon = absl::FromUnixSeconds(1767268800);  // 2026-01-01

Principal Caller() {
  Principal service;
  service.subject = "services/test";
  service.role = Role::kService;
  service.expire_time = absl::InfiniteFuture();
  return service;
}

// A step of `feed` at `sequence` about `person_id`, `minutes` after noon.
TimelineRow Row(const std::string& feed, int64_t sequence, int minutes,
                const std::string& person_id = "p1") {
  TimelineRow row;
  row.person_id = person_id;
  row.time = kNoon + absl::Minutes(minutes);
  row.feed = feed;
  row.sequence = sequence;
  row.kind = feed == "directory"  ? v1::PERSON
             : feed == "careplan" ? v1::CARE_PLAN
                                  : v1::REFERRAL;
  row.type = absl::StrCat(feed, ".changed");
  row.resource = absl::StrCat("things/", feed, sequence);
  row.summary = "Something changed";
  row.teams = {"teams/a"};
  return row;
}

// How a stream or the list shows an entry: its name and time (two steps of
// one feed before and after a re-anchoring may share a name).
std::string Shown(const v1::TimelineEntry& entry) {
  return absl::StrCat(
      entry.name(), "@",
      absl::FormatTime("%H:%M", FromProtoTimestamp(entry.time()),
                       absl::UTCTimeZone()));
}

class TimelinePositionsTest : public ::testing::Test {
 protected:
  // The record as it was before the upgrade, holding `rows`; then opened
  // (and so upgraded) as the record service opens it.
  absl::Status OpenUpgraded(const std::vector<TimelineRow>& rows) {
    ASSIGN_OR_RETURN(carebridge::testing::TestDatabase database,
                     carebridge::testing::TestDatabase::Create(dir_.path()));
    database_ = std::move(database);
    const DatabaseLocation location = database_->location("record");
    const SchemaMigrations all = RecordMigrations();
    const std::vector<Migration> sqlite(all.sqlite->begin(),
                                        all.sqlite->begin() + 16);
    const std::vector<Migration> postgresql(all.postgresql->begin(),
                                            all.postgresql->begin() + 7);
    {
      ASSIGN_OR_RETURN(
          std::unique_ptr<Database> before,
          OpenDatabase(location, {&sqlite, &postgresql}, DatabaseOptions()));
      RETURN_IF_ERROR(before->Write([&](Connection& conn) -> absl::Status {
        for (const TimelineRow& row : rows) {
          ASSIGN_OR_RETURN(
              Statement insert,
              conn.Prepare(absl::StrCat(
                  "INSERT INTO timeline (", kTimelineColumns,
                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
          insert.Bind(1, row.person_id)
              .Bind(2, absl::ToUnixMicros(row.time))
              .Bind(3, row.feed)
              .Bind(4, row.sequence)
              .Bind(5, static_cast<int64_t>(row.kind))
              .Bind(6, row.type)
              .Bind(7, row.resource)
              .Bind(8, row.actor)
              .Bind(9, row.actor_team)
              .Bind(10, row.summary)
              .Bind(11, row.reason)
              .Bind(12, JoinTeams(row.teams))
              .Bind(13, JoinTeams(row.ended_teams))
              .Bind(14, static_cast<int64_t>(FeedRank(row.feed)))
              .BindNull(15);
          RETURN_IF_ERROR(insert.Run());
          ASSIGN_OR_RETURN(
              Statement person,
              conn.Prepare("INSERT INTO persons (person_id) VALUES (?) ON "
                           "CONFLICT (person_id) DO NOTHING"));
          person.Bind(1, row.person_id);
          RETURN_IF_ERROR(person.Run());
        }
        return absl::OkStatus();
      }));
    }
    ASSIGN_OR_RETURN(store_, SqliteRecordStore::Open(location));
    domain_ = std::make_unique<RecordDomain>(&clock_, store_.get(),
                                             [] { return v1::Freshness(); });
    return absl::OkStatus();
  }

  absl::Status Apply(const TimelineRow& row) {
    PositionedChange change;
    change.change.time = row.time;
    change.change.person_id = row.person_id;
    change.change.entry = row;
    change.position = FeedPosition(row.feed, row.sequence);
    return store_->Apply(absl::MakeConstSpan(&change, 1));
  }

  absl::StatusOr<TimelineWatch> Open(const std::string& cursor) {
    v1::WatchTimelineRequest request;
    request.set_parent("persons/p1");
    request.set_cursor(cursor);
    return domain_->OpenTimelineWatch(Caller(), request);
  }

  // Everything the stream sends until it is caught up.
  std::vector<std::string> Streamed(TimelineWatch& watch) {
    std::vector<std::string> shown;
    for (int responses = 0; responses < 10; ++responses) {
      absl::StatusOr<v1::WatchTimelineResponse> response =
          domain_->ReadTimelineWatch(Caller(), watch);
      EXPECT_THAT(response, IsOk());
      if (!response.ok()) break;
      for (const v1::TimelineEntry& entry : response->entries()) {
        shown.push_back(Shown(entry));
      }
      if (response->caught_up()) break;
    }
    return shown;
  }

  // A cursor as streams gave them before the upgrade: each feed's last
  // sequence read (directory, referral, handover, careplan), every kind.
  static std::string CursorOfSequences(const std::vector<int64_t>& sequences) {
    std::vector<std::string> parts;
    for (int64_t sequence : sequences) parts.push_back(absl::StrCat(sequence));
    parts.push_back("");
    return EncodePageToken("WatchTimeline|persons/p1", parts);
  }

  FakeClock clock_{kNoon + absl::Hours(24)};
  carebridge::testing::TempDir dir_;
  // Before store_, so the store closes its connections first.
  std::optional<carebridge::testing::TestDatabase> database_;
  std::unique_ptr<SqliteRecordStore> store_;
  std::unique_ptr<RecordDomain> domain_;
};

// Before the upgrade a stream read the directory's step 1 and the referral
// service's step 1 of p1. The referral service's database was once
// restored, so p1 also has a step 3 from before that (at 11:00) besides the
// one after; another person's step 2 lies between. Resumed after the
// upgrade, the stream sends exactly what it had not sent, then the steps
// applied since.
TEST_F(TimelinePositionsTest,
       ACursorIssuedBeforeTheUpgradeResumesWhereItStood) {
  ASSERT_THAT(
      OpenUpgraded({Row("referral", 3, -60), Row("directory", 1, 0),
                    Row("referral", 1, 10), Row("referral", 2, 15, "p2"),
                    Row("referral", 3, 20), Row("careplan", 1, 30),
                    Row("referral", 4, 40)}),
      IsOk());
  absl::StatusOr<TimelineWatch> watch = Open(CursorOfSequences({1, 1, 0, 0}));
  ASSERT_THAT(watch, IsOk());
  EXPECT_THAT(Streamed(*watch),
              ElementsAre("persons/p1/timeline/referral-3@11:00",
                          "persons/p1/timeline/referral-3@12:20",
                          "persons/p1/timeline/careplan-1@12:30",
                          "persons/p1/timeline/referral-4@12:40"));
  ASSERT_THAT(Apply(Row("referral", 5, 50)), IsOk());
  EXPECT_THAT(Streamed(*watch),
              ElementsAre("persons/p1/timeline/referral-5@12:50"));

  // A cursor past both steps 3 and the care plan's step.
  absl::StatusOr<TimelineWatch> later = Open(CursorOfSequences({1, 3, 0, 1}));
  ASSERT_THAT(later, IsOk());
  EXPECT_THAT(Streamed(*later),
              ElementsAre("persons/p1/timeline/referral-4@12:40",
                          "persons/p1/timeline/referral-5@12:50"));
}

// Without a cursor the upgraded timeline comes whole, in time order, as the
// list shows it; its cursor resumes with nothing more.
TEST_F(TimelinePositionsTest, TheUpgradedTimelineComesWholeOnce) {
  ASSERT_THAT(OpenUpgraded({Row("directory", 1, 0), Row("referral", 1, 10),
                            Row("careplan", 1, 5), Row("referral", 2, 20)}),
              IsOk());
  absl::StatusOr<TimelineWatch> watch = Open("");
  ASSERT_THAT(watch, IsOk());
  v1::ListTimelineEntriesRequest list;
  list.set_parent("persons/p1");
  absl::StatusOr<v1::ListTimelineEntriesResponse> listed =
      domain_->ListTimelineEntries(Caller(), list);
  ASSERT_THAT(listed, IsOk());
  std::vector<std::string> expected;
  for (const v1::TimelineEntry& entry : listed->entries()) {
    expected.push_back(Shown(entry));
  }
  EXPECT_THAT(Streamed(*watch), ElementsAreArray(expected));
  absl::StatusOr<v1::WatchTimelineResponse> again =
      domain_->ReadTimelineWatch(Caller(), *watch);
  ASSERT_THAT(again, IsOk());
  absl::StatusOr<TimelineWatch> resumed = Open(again->cursor());
  ASSERT_THAT(resumed, IsOk());
  EXPECT_THAT(Streamed(*resumed), IsEmpty());
}

// The record was rebuilt from the feeds (a new database): its positions are
// not the ones the cursor counted, so the cursor is refused, saying to
// watch again without one; nothing is skipped silently.
TEST_F(TimelinePositionsTest, ACursorOfTheRecordBeforeARebuildIsRefused) {
  ASSERT_THAT(OpenUpgraded({Row("directory", 1, 0)}), IsOk());
  absl::StatusOr<TimelineWatch> watch = Open("");
  ASSERT_THAT(watch, IsOk());
  absl::StatusOr<v1::WatchTimelineResponse> first =
      domain_->ReadTimelineWatch(Caller(), *watch);
  ASSERT_THAT(first, IsOk());

  TestRecordStore rebuilt;
  ASSERT_THAT(rebuilt.Open(), IsOk());
  RecordDomain rebuilt_domain(&clock_, rebuilt.get(),
                              [] { return v1::Freshness(); });
  PositionedChange change;
  change.change.person_id = "p1";
  change.change.entry = Row("directory", 1, 0);
  change.position = FeedPosition("directory", 1);
  ASSERT_THAT(rebuilt->Apply(absl::MakeConstSpan(&change, 1)), IsOk());
  v1::WatchTimelineRequest request;
  request.set_parent("persons/p1");
  request.set_cursor(first->cursor());
  absl::StatusOr<TimelineWatch> refused =
      rebuilt_domain.OpenTimelineWatch(Caller(), request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()),
              StartsWith("cursor: was given by the record service before its "
                         "database was rebuilt"));
  request.clear_cursor();
  EXPECT_THAT(rebuilt_domain.OpenTimelineWatch(Caller(), request), IsOk());
}

}  // namespace
}  // namespace carebridge::record
