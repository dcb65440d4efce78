// RecordDomain's timeline streams over a real store (SQLite, or PostgreSQL
// in the _postgresql run): the cursor counts each source feed, so a step
// the record applies late, older than steps already sent, is not skipped;
// a long history comes in several responses in time order, each entry
// once; a stream's person's commits wake it, others' do not, and another
// replica's commits wake it too.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/clock.h"
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
    return store_->Apply(absl::MakeConstSpan(&change, 1));
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

}  // namespace
}  // namespace carebridge::record
