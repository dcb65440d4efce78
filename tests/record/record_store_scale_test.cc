// The record store at real sizes, on SQLite and (the _postgresql run) on
// PostgreSQL: a person with thousands of timeline entries read through
// every page, both ways and by kind, texts as long as the services let
// them be; hundreds of persons' care gaps listed page by page in the same
// order on both engines (person ids that sort differently in a language's
// collation than byte by byte); events applied twice changing nothing; and
// the gap sweep's inbox items in the record's feed without a gap.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "services/common/clock.h"
#include "services/common/database.h"
#include "services/common/macros.h"
#include "services/common/principal.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"
#include "services/record/record_domain.h"
#include "services/record/record_projection.h"
#include "services/record/sqlite_record_store.h"
#include "tests/record/test_record_store.h"
#include "tests/support/status_matchers.h"

namespace carebridge::record {
namespace {

using ::carebridge::testing::IsOk;
using ::testing::SizeIs;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01
constexpr int kEntries = 3000;
const char* const kFeeds[] = {"directory", "referral", "careplan", "handover"};

Principal Service() {
  Principal service;
  service.subject = "services/test";
  service.role = Role::kService;
  return service;
}

// `count` characters of `unit` (one character, perhaps several bytes).
std::string Repeat(absl::string_view unit, size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i) absl::StrAppend(&text, unit);
  return text;
}

// A team name as long as names may be (kMaxNameChars), ending in `tag`.
std::string LongTeam(absl::string_view tag) {
  const std::string prefix = "teams/";
  return absl::StrCat(
      prefix, Repeat("x", kMaxNameChars - prefix.size() - tag.size()), tag);
}

class RecordStoreScaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(store_.Open(), IsOk());
    domain_ = std::make_unique<RecordDomain>(&clock_, store_.get(),
                                             [] { return v1::Freshness(); });
  }

  // Entry `i` of persons/p1's timeline: three entries a minute from the
  // four feeds in turn (so entries of one minute are ordered by feed, and
  // a feed's by sequence); every 50th with texts as long as a referral's
  // reason and a decline's note may be, in three-byte characters.
  TimelineRow Entry(int i) {
    TimelineRow row;
    row.person_id = "p1";
    row.time = kStart + absl::Minutes(i / 3);
    row.feed = kFeeds[i % 4];
    row.sequence = ++sequences_[row.feed];
    row.kind = static_cast<v1::EntryKind>(1 + i % 6);
    row.type = absl::StrCat("test.step_", i);
    row.resource = absl::StrCat("referrals/r", i);
    row.actor = "members/alice";
    row.actor_team = LongTeam("a");
    row.summary = absl::StrCat("Step ", i);
    if (i % 50 == 0) {
      row.summary = Repeat("\xe2\x82\xac", kMaxLongTextChars);  // €
      row.reason = Repeat("\xc3\xa9", kMaxLongTextChars);       // é
    }
    row.teams = {LongTeam("a"), LongTeam("b")};
    if (i % 7 == 0) row.ended_teams = {LongTeam("c")};
    if (row.kind == v1::CARE_PLAN) row.sections = std::vector<int>{1, 3};
    return row;
  }

  // Applies the rows in batches of 250, as a consumer's batches do.
  void ApplyRows(const std::vector<TimelineRow>& rows) {
    for (size_t start = 0; start < rows.size(); start += 250) {
      std::vector<PositionedChange> batch;
      for (size_t i = start; i < std::min(rows.size(), start + 250); ++i) {
        PositionedChange& change = batch.emplace_back();
        change.change.time = rows[i].time;
        change.change.person_id = rows[i].person_id;
        change.change.entry = rows[i];
        change.position = FeedPosition(rows[i].feed, rows[i].sequence);
      }
      ASSERT_THAT(store_->Apply(batch), IsOk());
    }
  }

  // Every entry of persons/p1 through pages of `page_size`.
  std::vector<v1::TimelineEntry> ListAll(int page_size, bool newest_first,
                                         std::vector<v1::EntryKind> kinds = {},
                                         int* pages = nullptr) {
    std::vector<v1::TimelineEntry> entries;
    std::string token;
    int count = 0;
    do {
      v1::ListTimelineEntriesRequest request;
      request.set_parent("persons/p1");
      request.set_page_size(page_size);
      request.set_page_token(token);
      request.set_newest_first(newest_first);
      for (v1::EntryKind kind : kinds) request.add_kinds(kind);
      absl::StatusOr<v1::ListTimelineEntriesResponse> page =
          domain_->ListTimelineEntries(Service(), request);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) break;
      ++count;
      entries.insert(entries.end(), page->entries().begin(),
                     page->entries().end());
      token = page->next_page_token();
    } while (!token.empty());
    if (pages != nullptr) *pages = count;
    return entries;
  }

  // Care plan version `version` of `person_id` at `time`, led by teams/a
  // with teams/b-c on the care team, review on `review`.
  absl::Status Plan(const std::string& person_id, int version, absl::Time time,
                    absl::Time review) {
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
    for (const char* team : {"teams/a", "teams/b-c"}) {
      v1::CareTeamMember* member = state.plan.add_care_team();
      member->set_team(team);
      member->set_lead(std::string(team) == "teams/a");
      *member->mutable_since() = ToProtoTimestamp(kStart);
    }
    change.change.plan = std::move(state);
    change.position = FeedPosition("careplan", ++sequences_["careplan"]);
    return store_->Apply(absl::MakeConstSpan(&change, 1));
  }

  // Every gap on `parent`'s list (of `person` when set) through pages of
  // `page_size`.
  std::vector<v1::CareGap> Gaps(const std::string& parent, int page_size,
                                bool include_closed,
                                const std::string& person = "") {
    std::vector<v1::CareGap> gaps;
    std::string token;
    do {
      v1::ListCareGapsRequest request;
      request.set_parent(parent);
      request.set_person(person);
      request.set_include_closed(include_closed);
      request.set_page_size(page_size);
      request.set_page_token(token);
      absl::StatusOr<v1::ListCareGapsResponse> page =
          domain_->ListCareGaps(Service(), request);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) break;
      gaps.insert(gaps.end(), page->gaps().begin(), page->gaps().end());
      token = page->next_page_token();
    } while (!token.empty());
    return gaps;
  }

  FakeClock clock_{kStart};
  TestRecordStore store_;
  std::unique_ptr<RecordDomain> domain_;
  std::map<std::string, int64_t> sequences_;
};

// The order the timeline lists entries in: time, then feed, then sequence.
bool Before(const TimelineRow& a, const TimelineRow& b) {
  return std::make_tuple(a.time, FeedRank(a.feed), a.sequence) <
         std::make_tuple(b.time, FeedRank(b.feed), b.sequence);
}

std::string NameOf(const TimelineRow& row) {
  return absl::StrCat("persons/", row.person_id, "/timeline/", row.feed, "-",
                      row.sequence);
}

TEST_F(RecordStoreScaleTest, ThousandsOfEntriesReadThroughEveryPage) {
  std::vector<TimelineRow> rows;
  for (int i = 0; i < kEntries; ++i) rows.push_back(Entry(i));
  ApplyRows(rows);
  std::vector<TimelineRow> expected = rows;
  std::stable_sort(expected.begin(), expected.end(), Before);

  // The store's own pages (keyset after the last row) give back every row
  // as written, long texts and all.
  std::vector<TimelineRow> read;
  TimelineQuery query;
  query.person_id = "p1";
  query.limit = 100;
  while (true) {
    absl::StatusOr<std::vector<TimelineRow>> page = store_->ReadTimeline(query);
    ASSERT_THAT(page, IsOk());
    read.insert(read.end(), page->begin(), page->end());
    if (static_cast<int>(page->size()) < query.limit) break;
    const TimelineRow& last = page->back();
    query.after =
        TimelineCursor{absl::ToUnixMicros(last.time), last.feed, last.sequence};
  }
  ASSERT_THAT(read, SizeIs(kEntries));
  for (int i = 0; i < kEntries; ++i) {
    ASSERT_EQ(read[i], expected[i]) << "row " << i;
  }

  // Through the service's page tokens, oldest first and newest first.
  int pages = 0;
  std::vector<v1::TimelineEntry> oldest = ListAll(100, false, {}, &pages);
  EXPECT_EQ(pages, kEntries / 100);
  ASSERT_THAT(oldest, SizeIs(kEntries));
  for (int i = 0; i < kEntries; ++i) {
    ASSERT_EQ(oldest[i].name(), NameOf(expected[i])) << "entry " << i;
  }
  EXPECT_EQ(oldest[0].summary(), expected[0].summary);
  EXPECT_EQ(oldest[0].summary().size(), 3 * kMaxLongTextChars);
  std::vector<v1::TimelineEntry> newest = ListAll(97, true);
  ASSERT_THAT(newest, SizeIs(kEntries));
  for (int i = 0; i < kEntries; ++i) {
    ASSERT_EQ(newest[i].name(), NameOf(expected[kEntries - 1 - i]))
        << "entry " << i;
  }

  // One kind, and two, through pages.
  for (const std::vector<v1::EntryKind>& kinds :
       std::vector<std::vector<v1::EntryKind>>{{v1::REFERRAL},
                                               {v1::HANDOVER, v1::PERSON}}) {
    std::vector<std::string> wanted;
    for (const TimelineRow& row : expected) {
      if (std::find(kinds.begin(), kinds.end(), row.kind) != kinds.end()) {
        wanted.push_back(NameOf(row));
      }
    }
    std::vector<std::string> listed;
    for (const v1::TimelineEntry& entry : ListAll(100, false, kinds)) {
      listed.push_back(entry.name());
    }
    EXPECT_EQ(listed, wanted);
  }
}

TEST_F(RecordStoreScaleTest, EventsAppliedAgainChangeNothing) {
  std::vector<TimelineRow> rows;
  for (int i = 0; i < 600; ++i) rows.push_back(Entry(i));
  ApplyRows(rows);
  const std::vector<v1::TimelineEntry> before = ListAll(1000, false);
  ASSERT_THAT(before, SizeIs(600));
  // Redelivered (a consumer restarted before its cursor moved on): the
  // same positions with other content, which must not land.
  std::vector<TimelineRow> again = rows;
  for (TimelineRow& row : again) row.summary = "changed";
  for (size_t start = 0; start < again.size(); start += 250) {
    std::vector<PositionedChange> batch;
    for (size_t i = start; i < std::min(again.size(), start + 250); ++i) {
      PositionedChange& change = batch.emplace_back();
      change.change.time = again[i].time;
      change.change.person_id = "p1";
      change.change.entry = again[i];
      change.position = FeedPosition(again[i].feed, again[i].sequence);
    }
    ASSERT_THAT(store_->Apply(batch), IsOk());
  }
  const std::vector<v1::TimelineEntry> after = ListAll(1000, false);
  ASSERT_THAT(after, SizeIs(600));
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].summary(), before[i].summary()) << i;
  }
  absl::StatusOr<ConsumerPosition> cursor =
      store_->ledger()->Position("referral");
  ASSERT_THAT(cursor, IsOk());
  EXPECT_EQ(cursor->sequence, sequences_["referral"]);
}

TEST_F(RecordStoreScaleTest, HundredsOfPersonsGapsListedInByteOrder) {
  // Ids a language's collation orders otherwise (punctuation ignored at
  // first): byte order is what page tokens and SQLite keep.
  const std::vector<std::string> prefixes = {"a", "a-", "a_", "b",   "ab",
                                             "-", "_",  "z",  "a-b", "a_b"};
  constexpr int kPerPrefix = 60;
  const absl::Time review = kStart + absl::Hours(24 * 10);
  std::vector<std::string> persons;
  for (int i = 0; i < kPerPrefix; ++i) {
    for (const std::string& prefix : prefixes) {
      const std::string id = absl::StrCat(prefix, i % 7, "x", i);
      persons.push_back(id);
      // Three review dates, so gaps share opening times in groups.
      ASSERT_THAT(Plan(id, 1, kStart, review + absl::Hours(24 * (i % 3))),
                  IsOk());
    }
  }
  const int total = static_cast<int>(persons.size());
  clock_.Set(review + absl::Hours(24 * 5));

  // The sweep announces each gap once, to both teams: the record's feed
  // holds every item, sequences without a gap.
  EXPECT_EQ(store_->AnnounceDueGaps(clock_.Now()).value_or(-1), total);
  EXPECT_EQ(store_->AnnounceDueGaps(clock_.Now()).value_or(-1), 0);
  absl::StatusOr<std::vector<events::v1::Event>> inbox =
      store_->event_log()->ReadAfter(0, 10 * total);
  ASSERT_THAT(inbox, IsOk());
  ASSERT_THAT(*inbox, SizeIs(2 * total));
  for (int i = 0; i < 2 * total; ++i) {
    ASSERT_EQ((*inbox)[i].sequence(), i + 1);
  }

  // Every list, in pages of 37, is the one list in (open time, person
  // byte order) order.
  auto ordered = [&](const std::vector<v1::CareGap>& gaps) {
    for (size_t i = 1; i < gaps.size(); ++i) {
      const auto a = std::make_tuple(
          FromProtoTimestamp(gaps[i - 1].open_time()), gaps[i - 1].person());
      const auto b = std::make_tuple(FromProtoTimestamp(gaps[i].open_time()),
                                     gaps[i].person());
      if (!(a < b)) return false;
    }
    return true;
  };
  const std::vector<v1::CareGap> everyone = Gaps("teams/-", 37, false);
  ASSERT_THAT(everyone, SizeIs(total));
  EXPECT_TRUE(ordered(everyone));
  std::set<std::string> listed;
  for (const v1::CareGap& gap : everyone) listed.insert(gap.person());
  EXPECT_THAT(listed, SizeIs(total));
  for (const char* team : {"teams/a", "teams/b-c"}) {
    const std::vector<v1::CareGap> teams = Gaps(team, 37, false);
    ASSERT_THAT(teams, SizeIs(total)) << team;
    EXPECT_TRUE(ordered(teams)) << team;
    for (int i = 0; i < total; ++i) {
      ASSERT_EQ(teams[i].name(), everyone[i].name()) << team << " " << i;
    }
  }
  const std::vector<v1::CareGap> one =
      Gaps("teams/-", 37, false, absl::StrCat("persons/", persons[5]));
  ASSERT_THAT(one, SizeIs(1));
  EXPECT_EQ(one[0].kind(), v1::REVIEW_OVERDUE);

  // Half the reviews are moved on: those gaps close; the open list drops
  // them and the full list keeps them, in the same order as before.
  for (int i = 0; i < total; i += 2) {
    ASSERT_THAT(
        Plan(persons[i], 2, clock_.Now(), clock_.Now() + absl::Hours(24 * 30)),
        IsOk());
  }
  const std::vector<v1::CareGap> open = Gaps("teams/b-c", 37, false);
  EXPECT_THAT(open, SizeIs(total / 2));
  EXPECT_TRUE(ordered(open));
  for (const v1::CareGap& gap : open) EXPECT_FALSE(gap.has_close_time());
  const std::vector<v1::CareGap> all = Gaps("teams/b-c", 37, true);
  ASSERT_THAT(all, SizeIs(total));
  for (int i = 0; i < total; ++i) {
    ASSERT_EQ(all[i].name(), everyone[i].name()) << i;
  }
}

// The test cluster's default collation may be byte order already; a
// production database's often is not (en_US.UTF-8 ignores punctuation at
// first): the columns lists page by say "C" themselves.
TEST_F(RecordStoreScaleTest, PagedTextColumnsSortByBytesOnPostgresql) {
  if (store_->db()->engine() != "postgresql") GTEST_SKIP() << "SQLite";
  int64_t byte_ordered = -1;
  ASSERT_THAT(store_->db()->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement select,
        conn.Prepare(
            "SELECT count(*) FROM information_schema.columns WHERE "
            "table_schema = current_schema() AND collation_name = 'C' AND "
            "(table_name, column_name) IN (('persons', 'person_id'), "
            "('timeline', 'person_id'), ('gaps', 'person_id'), "
            "('gaps', 'key'), ('gap_teams', 'team'), "
            "('gap_teams', 'person_id'), ('gap_teams', 'key'), "
            "('open_loops', 'resource'), ('merged_persons', 'person_id'))"));
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (row) byte_ordered = select.ColumnInt64(0);
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_EQ(byte_ordered, 9);
}

}  // namespace
}  // namespace carebridge::record
