// SqliteRecordStore::Apply over a real database (SQLite, or PostgreSQL in
// the _postgresql run): a batch reads each feed's cursor and each person
// once and moves each cursor once, and still applies exactly what one event
// at a time would.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/event_log.h"
#include "services/common/time_util.h"
#include "services/record/sqlite_record_store.h"
#include "tests/record/test_record_store.h"
#include "tests/support/status_matchers.h"

namespace carebridge::record {
namespace {

using ::carebridge::testing::IsOk;
using ::testing::ElementsAre;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01

// Event `feed`/`sequence` about persons/{person_id}: a handover step on the
// timeline and one item in teams/a's inbox.
PositionedChange Step(const std::string& feed, int64_t sequence,
                      const std::string& person_id) {
  PositionedChange one;
  one.position = FeedPosition(feed, sequence);
  RecordChange& change = one.change;
  change.time = kStart + absl::Seconds(sequence);
  change.person_id = person_id;
  TimelineRow row;
  row.person_id = person_id;
  row.time = change.time;
  row.feed = feed;
  row.sequence = sequence;
  row.kind = v1::HANDOVER;
  row.type = "handover.accepted";
  row.resource = absl::StrCat("handovers/h", sequence);
  row.summary = absl::StrCat("step ", sequence);
  row.teams = {"teams/a"};
  change.entry = row;
  InboxNote note;
  note.type = "inbox.handover_answered";
  note.item.set_team("teams/a");
  note.item.set_person(absl::StrCat("persons/", person_id));
  note.item.set_resource(row.resource);
  change.inbox.push_back(note);
  return one;
}

// directory/`sequence`: persons/{duplicate} merged into persons/{into}.
PositionedChange Merge(int64_t sequence, const std::string& duplicate,
                       const std::string& into) {
  PositionedChange one;
  one.position = FeedPosition("directory", sequence);
  one.change.time = kStart + absl::Seconds(sequence);
  one.change.person_id = into;
  one.change.merge = PersonMerge{duplicate, into};
  return one;
}

class RecordStoreBatchTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(store_.Open(), IsOk()); }

  absl::Status Apply(const std::vector<PositionedChange>& changes) {
    return store_->Apply(changes);
  }

  int64_t Cursor(const std::string& feed) {
    absl::StatusOr<ConsumerPosition> position =
        store_->ledger()->Position(feed);
    EXPECT_TRUE(position.ok()) << position.status();
    return position.ok() ? position->sequence : -1;
  }

  // The sequences of the events on persons/{person_id}'s timeline.
  std::vector<std::string> Timeline(const std::string& person_id) {
    TimelineQuery query;
    query.person_id = person_id;
    absl::StatusOr<std::vector<TimelineRow>> rows = store_->ReadTimeline(query);
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::vector<std::string> events;
    for (const TimelineRow& row : rows.value_or(std::vector<TimelineRow>())) {
      events.push_back(absl::StrCat(row.feed, "/", row.sequence));
    }
    return events;
  }

  int64_t InboxItems() {
    absl::StatusOr<int64_t> head = store_->event_log()->Head();
    EXPECT_TRUE(head.ok()) << head.status();
    return head.value_or(-1);
  }

  TestRecordStore store_;
};

TEST_F(RecordStoreBatchTest, ABatchAppliesOnlyWhatItsCursorHasNotPassed) {
  ASSERT_TRUE(Apply({Step("handover", 1, "p1"), Step("handover", 2, "p1"),
                     Step("handover", 3, "p1")})
                  .ok());
  EXPECT_EQ(Cursor("handover"), 3);
  // Delivered again from 2 (a consumer that resubscribed): 2 and 3 change
  // nothing, 4 and 5 are applied, each once.
  ASSERT_TRUE(Apply({Step("handover", 2, "p1"), Step("handover", 3, "p1"),
                     Step("handover", 4, "p1"), Step("handover", 5, "p1")})
                  .ok());
  EXPECT_EQ(Cursor("handover"), 5);
  EXPECT_EQ(InboxItems(), 5);
  EXPECT_THAT(Timeline("p1"),
              ElementsAre("handover/1", "handover/2", "handover/3",
                          "handover/4", "handover/5"));
}

TEST_F(RecordStoreBatchTest, EachFeedsCursorMovesToItsOwnLastEvent) {
  ASSERT_TRUE(Apply({Step("handover", 7, "p1"), Step("referral", 3, "p2"),
                     Step("handover", 9, "p1"), Step("referral", 4, "p1")})
                  .ok());
  EXPECT_EQ(Cursor("handover"), 9);
  EXPECT_EQ(Cursor("referral"), 4);
  // The same events again change nothing.
  ASSERT_TRUE(
      Apply({Step("handover", 9, "p1"), Step("referral", 4, "p1")}).ok());
  EXPECT_EQ(InboxItems(), 4);
}

TEST_F(RecordStoreBatchTest, EventsAfterAMergeInTheSameBatchFollowThePerson) {
  ASSERT_TRUE(Apply({Step("handover", 1, "p2"), Merge(1, "p2", "p1"),
                     Step("handover", 2, "p2")})
                  .ok());
  // Both steps about the duplicate are the kept person's now, the one
  // after the merge included.
  EXPECT_THAT(Timeline("p1"), ElementsAre("handover/1", "handover/2"));
  EXPECT_THAT(Timeline("p2"), ElementsAre());
  absl::StatusOr<std::optional<std::string>> into = store_->MergedInto("p2");
  ASSERT_TRUE(into.ok()) << into.status();
  EXPECT_EQ(into->value_or(""), "p1");
  EXPECT_EQ(Cursor("directory"), 1);
}

TEST_F(RecordStoreBatchTest, AFailedBatchMovesNoCursor) {
  ASSERT_TRUE(Apply({Step("handover", 1, "p1")}).ok());
  // The last event's inbox item is larger than any event may be: nothing
  // of the batch stays, its cursor move included.
  std::vector<PositionedChange> batch = {Step("handover", 2, "p1"),
                                         Step("handover", 3, "p1")};
  batch[1].change.inbox[0].item.set_summary(
      std::string(kMaxEventBytes + 1, 'x'));
  EXPECT_FALSE(Apply(batch).ok());
  EXPECT_EQ(Cursor("handover"), 1);
  EXPECT_EQ(InboxItems(), 1);
  EXPECT_THAT(Timeline("p1"), ElementsAre("handover/1"));
}

}  // namespace
}  // namespace carebridge::record
