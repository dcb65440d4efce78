// RecordDomain's timeline streams over a real store (SQLite, or PostgreSQL
// in the _postgresql run): the cursor counts the entries each source feed
// put on the timeline, so a step the record applies late, older than steps
// already sent, is not skipped, nor is a parked step applied on retry or a
// step of a re-anchored feed, and a step applied again is not sent again;
// a long history comes in several responses in time order, each entry
// once; a stream's person's commits wake it, others' do not, and another
// replica's commits wake it too (and not streams of other persons' groups).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/clock.h"
#include "services/common/consumer_ledger.h"
#include "services/record/record_domain.h"
#include "services/record/sqlite_record_store.h"
#include "tests/record/test_record_store.h"
#include "tests/support/eventually.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace carebridge::record {
namespace {

using ::carebridge::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01

Principal Service() {
  Principal service;
  service.subject = "services/test";
  service.role = Role::kService;
  service.expire_time = absl::InfiniteFuture();
  return service;
}

// A person whose streams another's group notice does not wake.
std::string PersonOfAnotherGroup(const std::string& person_id) {
  for (int i = 2;; ++i) {
    std::string other = absl::StrCat("p", i);
    if (TimelineChanges::GroupOf(other) !=
        TimelineChanges::GroupOf(person_id)) {
      return other;
    }
  }
}

std::vector<std::string> Names(const v1::WatchTimelineResponse& response) {
  std::vector<std::string> names;
  for (const v1::TimelineEntry& entry : response.entries()) {
    names.push_back(entry.name());
  }
  return names;
}

class RecordTimelineWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(store_.Open(), IsOk());
    domain_ = std::make_unique<RecordDomain>(&clock_, store_.get(),
                                             [] { return v1::Freshness(); });
  }

  // A step of `feed` (its next sequence) about persons/p1 at `time`.
  absl::Status Step(const std::string& feed, absl::Time time,
                    const std::string& reason = "",
                    const std::string& person_id = "p1") {
    const int64_t sequence = ++sequences_[FeedRank(feed)];
    PositionedChange change = Change(feed, sequence, time, reason, person_id);
    return store_->Apply(absl::MakeConstSpan(&change, 1));
  }

  // The step of `feed` at `sequence`, as its consumer applies it.
  PositionedChange Change(const std::string& feed, int64_t sequence,
                          absl::Time time, const std::string& reason = "",
                          const std::string& person_id = "p1") {
    PositionedChange change;
    change.change.time = time;
    change.change.person_id = person_id;
    TimelineRow row;
    row.person_id = person_id;
    row.time = time;
    row.feed = feed;
    row.sequence = sequence;
    row.kind = feed == "directory"  ? v1::PERSON
               : feed == "careplan" ? v1::CARE_PLAN
                                    : v1::REFERRAL;
    row.type = absl::StrCat(feed, ".changed");
    row.resource = absl::StrCat("things/", feed, sequence);
    row.summary = "Something changed";
    row.reason = reason;
    row.teams = {"teams/a"};
    change.change.entry = row;
    change.position = FeedPosition(feed, sequence);
    return change;
  }

  TimelineWatch Open(const std::string& cursor = "") {
    v1::WatchTimelineRequest request;
    request.set_parent("persons/p1");
    request.set_cursor(cursor);
    absl::StatusOr<TimelineWatch> watch =
        domain_->OpenTimelineWatch(Service(), request);
    EXPECT_TRUE(watch.ok()) << watch.status();
    return watch.value_or(TimelineWatch());
  }

  v1::WatchTimelineResponse Read(TimelineWatch& watch) {
    absl::StatusOr<v1::WatchTimelineResponse> response =
        domain_->ReadTimelineWatch(Service(), watch);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.value_or(v1::WatchTimelineResponse());
  }

  // Every entry of persons/p1 in time order, as ListTimelineEntries pages.
  std::vector<std::string> Listed() {
    std::vector<std::string> names;
    v1::ListTimelineEntriesRequest request;
    request.set_parent("persons/p1");
    request.set_page_size(1000);
    while (true) {
      absl::StatusOr<v1::ListTimelineEntriesResponse> page =
          domain_->ListTimelineEntries(Service(), request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return names;
      for (const v1::TimelineEntry& entry : page->entries()) {
        names.push_back(entry.name());
      }
      if (page->next_page_token().empty()) return names;
      request.set_page_token(page->next_page_token());
    }
  }

  FakeClock clock_;
  TestRecordStore store_;
  std::unique_ptr<RecordDomain> domain_;
  int64_t sequences_[kTimelineFeeds] = {};
};

// The care plan service's feed is behind: its step at 10:01 is applied
// after the referral's at 10:05 was sent. A cursor by time would skip it.
TEST_F(RecordTimelineWatchTest, AStepAppliedLateIsNotSkipped) {
  ASSERT_TRUE(Step("directory", kStart).ok());
  ASSERT_TRUE(Step("referral", kStart + absl::Minutes(5)).ok());
  TimelineWatch watch = Open();
  v1::WatchTimelineResponse first = Read(watch);
  EXPECT_THAT(Names(first), ElementsAre("persons/p1/timeline/directory-1",
                                        "persons/p1/timeline/referral-1"));
  EXPECT_TRUE(first.caught_up());

  ASSERT_TRUE(Step("careplan", kStart + absl::Minutes(1)).ok());
  // The same stream, and one resumed from the first response's cursor.
  TimelineWatch resumed = Open(first.cursor());
  for (TimelineWatch* stream : {&watch, &resumed}) {
    v1::WatchTimelineResponse next = Read(*stream);
    EXPECT_THAT(Names(next), ElementsAre("persons/p1/timeline/careplan-1"));
    EXPECT_TRUE(next.caught_up());
    EXPECT_THAT(Read(*stream).entries(), IsEmpty());
  }
}

// 250 referral steps and 60 care plan steps, interleaved in time, each with
// 1,000 characters of reason: several responses (each feed read 100 at a
// time, about 128 KB a response), together the list's order, each once.
TEST_F(RecordTimelineWatchTest, ALongHistoryComesInTimeOrderEachStepOnce) {
  const std::string reason(1000, 'r');
  for (int i = 0; i < 250; ++i) {
    ASSERT_TRUE(Step("referral", kStart + absl::Seconds(10 * i), reason).ok());
    if (i % 4 == 0) {
      ASSERT_TRUE(
          Step("careplan", kStart + absl::Seconds(10 * i + 5), reason).ok());
    }
  }
  const std::vector<std::string> listed = Listed();
  ASSERT_THAT(listed, SizeIs(250 + 63));

  TimelineWatch watch = Open();
  std::vector<std::string> streamed;
  int responses = 0;
  bool caught_up = false;
  while (!caught_up && responses < 100) {
    v1::WatchTimelineResponse response = Read(watch);
    ++responses;
    EXPECT_LE(response.ByteSizeLong(), 140u * 1024);
    for (std::string& name : Names(response)) {
      streamed.push_back(std::move(name));
    }
    caught_up = response.caught_up();
  }
  EXPECT_GT(responses, 2);
  EXPECT_EQ(streamed, listed);
}

// A commit about the stream's person wakes it (after the commit, so its
// read finds the step); one about somebody else does not.
TEST_F(RecordTimelineWatchTest, OnlyThePersonsCommitsWakeTheStream) {
  ASSERT_TRUE(Step("directory", kStart).ok());
  ASSERT_TRUE(Step("directory", kStart, "", "p2").ok());
  int wakes = 0;
  TimelineChanges::WatchId id =
      store_->timeline_changes()->Watch("p1", [&] { ++wakes; });
  ASSERT_TRUE(Step("referral", kStart + absl::Minutes(1), "", "p2").ok());
  EXPECT_EQ(wakes, 0);
  ASSERT_TRUE(Step("referral", kStart + absl::Minutes(2)).ok());
  EXPECT_EQ(wakes, 1);
  store_->timeline_changes()->Unwatch(id);
  ASSERT_TRUE(Step("referral", kStart + absl::Minutes(3)).ok());
  EXPECT_EQ(wakes, 1);
}

// Two replicas of the record on one PostgreSQL database (two processes):
// the follower's commit wakes the streams the other one serves.
TEST_F(RecordTimelineWatchTest, AnotherReplicasCommitWakesTheStream) {
  if (!carebridge::testing::TestOnPostgresql()) {
    GTEST_SKIP() << "replicas share a PostgreSQL database";
  }
  ASSERT_TRUE(Step("directory", kStart).ok());
  absl::StatusOr<std::unique_ptr<SqliteRecordStore>> other =
      SqliteRecordStore::Open(store_.location());
  ASSERT_TRUE(other.ok()) << other.status();
  std::atomic<int> wakes{0};
  TimelineChanges::WatchId id =
      (*other)->timeline_changes()->Watch("p1", [&] { ++wakes; });
  ASSERT_TRUE(Step("referral", kStart + absl::Minutes(1)).ok());
  EXPECT_TRUE(carebridge::testing::Eventually([&] { return wakes > 0; }));
  (*other)->timeline_changes()->Unwatch(id);
}

TEST_F(RecordTimelineWatchTest, ACursorIsForOnePersonsTimeline) {
  ASSERT_TRUE(Step("directory", kStart).ok());
  ASSERT_TRUE(Step("directory", kStart, "", "p2").ok());
  TimelineWatch watch = Open();
  const std::string cursor = Read(watch).cursor();
  v1::WatchTimelineRequest request;
  request.set_parent("persons/p2");
  request.set_cursor(cursor);
  absl::StatusOr<TimelineWatch> other =
      domain_->OpenTimelineWatch(Service(), request);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(other.status().message()),
              ::testing::StartsWith("cursor: "));
}

// The record's consumer parked the referral service's step 2 (it could not
// apply it yet) and went on; an administrator's retry applies it after step
// 3 was sent. The open stream and one resumed from the cursor after step 3
// each get it, once.
TEST_F(RecordTimelineWatchTest, AParkedStepAppliedOnRetryReachesTheStream) {
  ASSERT_THAT(Step("referral", kStart + absl::Minutes(1)), IsOk());
  events::v1::Event parked;
  parked.set_feed("referral");
  parked.set_sequence(++sequences_[FeedRank("referral")]);
  parked.set_id("referral/2");
  ASSERT_THAT(store_->ledger()->Park("referral", parked, "INTERNAL: not yet",
                                     /*attempts=*/5, kStart),
              IsOk());
  ASSERT_THAT(Step("referral", kStart + absl::Minutes(3)), IsOk());
  TimelineWatch watch = Open();
  v1::WatchTimelineResponse first = Read(watch);
  EXPECT_THAT(Names(first), ElementsAre("persons/p1/timeline/referral-1",
                                        "persons/p1/timeline/referral-3"));

  absl::StatusOr<std::vector<ParkedEvent>> parked_events =
      store_->ledger()->ListParked("referral", /*include_resolved=*/false,
                                   /*after_feed=*/"", /*after_id=*/0,
                                   /*limit=*/10);
  ASSERT_THAT(parked_events, IsOk());
  ASSERT_THAT(*parked_events, SizeIs(1));
  PositionedChange retry = Change("referral", 2, kStart + absl::Minutes(2));
  retry.position.parked_id = (*parked_events)[0].id;
  retry.position.retried_by = "members/admin";
  retry.position.retry_time = kStart + absl::Hours(1);
  ASSERT_THAT(store_->Apply(absl::MakeConstSpan(&retry, 1)), IsOk());
  EXPECT_THAT(Listed(), ElementsAre("persons/p1/timeline/referral-1",
                                    "persons/p1/timeline/referral-2",
                                    "persons/p1/timeline/referral-3"));

  TimelineWatch resumed = Open(first.cursor());
  for (TimelineWatch* stream : {&watch, &resumed}) {
    v1::WatchTimelineResponse next = Read(*stream);
    EXPECT_THAT(Names(next), ElementsAre("persons/p1/timeline/referral-2"));
    EXPECT_TRUE(next.caught_up());
    EXPECT_THAT(Read(*stream).entries(), IsEmpty());
  }
}

// The referral service's database was restored from a backup and the
// record re-anchored on it (FeedAdminService.ResetConsumer): its new steps
// number from 1 again, below those the stream has read. They come, once.
TEST_F(RecordTimelineWatchTest, StepsAfterAReanchoredFeedReachTheStream) {
  for (int i = 1; i <= 3; ++i) {
    ASSERT_THAT(Step("referral", kStart + absl::Minutes(i)), IsOk());
  }
  TimelineWatch watch = Open();
  v1::WatchTimelineResponse first = Read(watch);
  ASSERT_THAT(first.entries(), SizeIs(3));
  ASSERT_THAT(store_->ledger()->Reset("referral", 0, "restored"), IsOk());
  sequences_[FeedRank("referral")] = 0;
  for (int i = 1; i <= 2; ++i) {
    ASSERT_THAT(Step("referral", kStart + absl::Hours(i), "after the restore"),
                IsOk());
  }
  ASSERT_THAT(Listed(), SizeIs(5));
  TimelineWatch resumed = Open(first.cursor());
  for (TimelineWatch* stream : {&watch, &resumed}) {
    v1::WatchTimelineResponse next = Read(*stream);
    ASSERT_THAT(next.entries(), SizeIs(2));
    for (const v1::TimelineEntry& entry : next.entries()) {
      EXPECT_EQ(entry.reason(), "after the restore");
    }
    EXPECT_THAT(Read(*stream).entries(), IsEmpty());
  }
}

// Re-anchored backwards on the same database, the record applies steps it
// had applied again: streams were sent them once, and are not sent them
// again.
TEST_F(RecordTimelineWatchTest, StepsAppliedAgainAreNotSentAgain) {
  for (int i = 1; i <= 3; ++i) {
    ASSERT_THAT(Step("referral", kStart + absl::Minutes(i)), IsOk());
  }
  TimelineWatch watch = Open();
  ASSERT_THAT(Read(watch).entries(), SizeIs(3));
  ASSERT_THAT(store_->ledger()->Reset("referral", 1, ""), IsOk());
  for (int64_t sequence : {2, 3}) {
    PositionedChange again =
        Change("referral", sequence, kStart + absl::Minutes(sequence));
    ASSERT_THAT(store_->Apply(absl::MakeConstSpan(&again, 1)), IsOk());
  }
  ASSERT_THAT(Step("referral", kStart + absl::Minutes(4)), IsOk());
  EXPECT_THAT(Names(Read(watch)),
              ElementsAre("persons/p1/timeline/referral-4"));
}

// A notice about a group of persons (another replica's commit) wakes the
// streams of that group's persons only; one about every person wakes all.
TEST_F(RecordTimelineWatchTest, AGroupsNoticeWakesOnlyThatGroupsStreams) {
  const std::string other = PersonOfAnotherGroup("p1");
  TimelineChanges changes(/*db=*/nullptr);
  int p1_wakes = 0;
  int other_wakes = 0;
  TimelineChanges::WatchId p1_id = changes.Watch("p1", [&] { ++p1_wakes; });
  TimelineChanges::WatchId other_id =
      changes.Watch(other, [&] { ++other_wakes; });
  changes.ChangedGroup(TimelineChanges::GroupOf("p1"));
  EXPECT_EQ(p1_wakes, 1);
  EXPECT_EQ(other_wakes, 0);
  changes.ChangedAny();
  EXPECT_EQ(p1_wakes, 2);
  EXPECT_EQ(other_wakes, 1);
  changes.Unwatch(p1_id);
  changes.Unwatch(other_id);
}

// Two replicas on one PostgreSQL database: the follower's commit about p1
// wakes the other replica's streams of p1, not those of a person of
// another group. A commit about persons of more groups than are announced
// one by one wakes every stream.
TEST_F(RecordTimelineWatchTest, AnotherReplicasCommitWakesOnlyItsPersons) {
  if (!carebridge::testing::TestOnPostgresql()) {
    GTEST_SKIP() << "replicas share a PostgreSQL database";
  }
  const std::string other_person = PersonOfAnotherGroup("p1");
  ASSERT_THAT(Step("directory", kStart), IsOk());
  ASSERT_THAT(Step("directory", kStart, "", other_person), IsOk());
  absl::StatusOr<std::unique_ptr<SqliteRecordStore>> other =
      SqliteRecordStore::Open(store_.location());
  ASSERT_THAT(other, IsOk());
  std::atomic<int> p1_wakes{0};
  std::atomic<int> other_wakes{0};
  TimelineChanges* changes = (*other)->timeline_changes();
  TimelineChanges::WatchId p1_id = changes->Watch("p1", [&] { ++p1_wakes; });
  TimelineChanges::WatchId other_id =
      changes->Watch(other_person, [&] { ++other_wakes; });

  ASSERT_THAT(Step("referral", kStart + absl::Minutes(1)), IsOk());
  EXPECT_TRUE(carebridge::testing::Eventually([&] { return p1_wakes > 0; }));
  // Notices come in commit order on one session: a wake-up of the other
  // person's stream would have come with p1's.
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(other_wakes.load(), 0);

  std::vector<PositionedChange> many;
  std::set<int> groups;
  for (int i = 0; groups.size() <= TimelineChanges::kMostGroupsAnnounced; ++i) {
    const std::string person_id = absl::StrCat("many", i);
    const int group = TimelineChanges::GroupOf(person_id);
    if (group == TimelineChanges::GroupOf(other_person)) continue;
    groups.insert(group);
    many.push_back(Change("referral", ++sequences_[FeedRank("referral")],
                          kStart + absl::Minutes(2), "", person_id));
  }
  ASSERT_THAT(store_->Apply(many), IsOk());
  EXPECT_TRUE(carebridge::testing::Eventually([&] { return other_wakes > 0; }));
  changes->Unwatch(p1_id);
  changes->Unwatch(other_id);
}

}  // namespace
}  // namespace carebridge::record
