// Timeline streams (WatchTimeline) across person merges: the duplicate's
// steps join the kept person's timeline at their own times but after the
// stream's cursor, so an open stream of the kept person, and one resumed
// from a cursor of before the merge, are sent them, each once; a merge
// delivered again sends nothing more; the duplicate's own stream ends
// naming the person kept. Events are applied as the record's consumers
// apply them, over a real database (SQLite, or PostgreSQL in the
// _postgresql run).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/record/person_merge_fixture.h"

namespace carebridge::record::merge_testing {
namespace {

using ::carebridge::testing::StatusIs;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

std::vector<std::string> Names(const std::vector<v1::TimelineEntry>& entries) {
  std::vector<std::string> names;
  for (const v1::TimelineEntry& entry : entries) names.push_back(entry.name());
  return names;
}

class PersonMergeWatchTest : public PersonMergeTest {
 protected:
  TimelineWatch Open(const std::string& person,
                     const std::string& cursor = "") {
    v1::WatchTimelineRequest request;
    request.set_parent(person);
    request.set_cursor(cursor);
    absl::StatusOr<TimelineWatch> watch =
        domain_->OpenTimelineWatch(Service(), request);
    EXPECT_THAT(watch, IsOk());
    return watch.value_or(TimelineWatch());
  }

  // What the stream sends until it is caught up; `cursor` (when given)
  // gets its last cursor.
  std::vector<std::string> Streamed(TimelineWatch& watch,
                                    std::string* cursor = nullptr) {
    std::vector<v1::TimelineEntry> entries;
    for (int responses = 0; responses < 20; ++responses) {
      absl::StatusOr<v1::WatchTimelineResponse> response =
          domain_->ReadTimelineWatch(Service(), watch);
      EXPECT_THAT(response, IsOk());
      if (!response.ok()) break;
      entries.insert(entries.end(), response->entries().begin(),
                     response->entries().end());
      if (cursor != nullptr) *cursor = response->cursor();
      if (response->caught_up()) break;
    }
    return Names(entries);
  }

  // Ada (persons/k) and her duplicate Adaeze (persons/d), whose referral
  // bounced; then steps of Ada's in both feeds, so a stream of hers has
  // read past the duplicate's steps in each feed. The stream of persons/k
  // opened then, and its cursor.
  void TwoRegistrationsAndAStreamOfTheKeptOne(TimelineWatch& watch,
                                              std::string& cursor) {
    ASSERT_THAT(Apply(Registered("k", "Ada", kStart)), IsOk());
    ASSERT_THAT(Apply(Registered("d", "Adaeze", kStart + absl::Hours(1))),
                IsOk());
    DuplicateBounced();
    ASSERT_THAT(
        Apply(ReferralEvent(
            "referral.created",
            Referral("referrals/r2", "k", kVoluntary,
                     {{rf::ReferralEvent::CREATED, kStart + absl::Hours(4)}}))),
        IsOk());
    const dir::Person ada = Person("k", "Ada");
    ASSERT_THAT(
        Apply(Next("directory", "person.updated", ada.name(), ada.name(),
                   {kCommunity}, kStart + absl::Minutes(270), ada)),
        IsOk());
    watch = Open("persons/k");
    ASSERT_THAT(Streamed(watch, &cursor), ::testing::SizeIs(3));
  }

  // The entries of persons/k not in `sent`.
  std::vector<std::string> NotIn(const std::vector<std::string>& sent) {
    std::vector<std::string> left;
    for (const std::string& name : Names(Timeline("persons/k"))) {
      if (std::find(sent.begin(), sent.end(), name) == sent.end()) {
        left.push_back(name);
      }
    }
    return left;
  }
};

TEST_F(PersonMergeWatchTest, TheKeptPersonsStreamIsSentTheDuplicatesSteps) {
  TimelineWatch watch;
  std::string before_merge;
  TwoRegistrationsAndAStreamOfTheKeptOne(watch, before_merge);
  const std::vector<std::string> sent = Names(Timeline("persons/k"));
  ASSERT_THAT(Apply(Merged("d", "Adaeze", "k", kStart + absl::Hours(5))),
              IsOk());

  // The duplicate's registration and referral steps, and the merge.
  const std::vector<std::string> expected = NotIn(sent);
  ASSERT_EQ(expected.size(), 4u);
  std::string after_merge;
  EXPECT_THAT(Streamed(watch, &after_merge),
              UnorderedElementsAreArray(expected));
  EXPECT_THAT(Streamed(watch), IsEmpty());
  // A stream resumed from before the merge is sent them too; from after
  // it, nothing.
  TimelineWatch resumed = Open("persons/k", before_merge);
  EXPECT_THAT(Streamed(resumed), UnorderedElementsAreArray(expected));
  TimelineWatch caught_up = Open("persons/k", after_merge);
  EXPECT_THAT(Streamed(caught_up), IsEmpty());
}

// The merge and the duplicate's steps delivered again (a consumer
// re-anchored backwards) change nothing, and send nothing again.
TEST_F(PersonMergeWatchTest, AMergeDeliveredAgainSendsNothingMore) {
  TimelineWatch watch;
  std::string before_merge;
  TwoRegistrationsAndAStreamOfTheKeptOne(watch, before_merge);
  const events::v1::Event merge =
      Merged("d", "Adaeze", "k", kStart + absl::Hours(5));
  ASSERT_THAT(Apply(merge), IsOk());
  ASSERT_THAT(Streamed(watch), ::testing::SizeIs(4));

  ASSERT_THAT(store_->ledger()->Reset("directory", 0, ""), IsOk());
  ASSERT_THAT(store_->ledger()->Reset("referral", 0, ""), IsOk());
  sequences_.clear();
  ASSERT_THAT(Apply(Registered("k", "Ada", kStart)), IsOk());
  ASSERT_THAT(Apply(Registered("d", "Adaeze", kStart + absl::Hours(1))),
              IsOk());
  DuplicateBounced();
  ASSERT_THAT(Apply(merge), IsOk());
  EXPECT_THAT(Streamed(watch), IsEmpty());
}

// a is merged into b, then b into c: c's stream is sent a's and b's steps,
// each once.
TEST_F(PersonMergeWatchTest, MergesChainOnTheStream) {
  ASSERT_THAT(Apply(Registered("a", "Ada", kStart)), IsOk());
  ASSERT_THAT(Apply(Registered("b", "Adaeze", kStart + absl::Hours(1))),
              IsOk());
  ASSERT_THAT(Apply(Registered("c", "Ada", kStart + absl::Hours(2))), IsOk());
  ASSERT_THAT(Apply(Merged("a", "Ada", "b", kStart + absl::Hours(3))), IsOk());
  TimelineWatch watch = Open("persons/c");
  std::vector<std::string> streamed = Streamed(watch);
  ASSERT_THAT(Apply(Merged("b", "Adaeze", "c", kStart + absl::Hours(4))),
              IsOk());
  for (std::string& name : Streamed(watch)) streamed.push_back(name);
  EXPECT_THAT(streamed,
              UnorderedElementsAreArray(Names(Timeline("persons/c"))));
  EXPECT_EQ(streamed.size(), 5u);
}

// The duplicate's own stream ends at its next read, naming the person kept.
TEST_F(PersonMergeWatchTest, TheDuplicatesStreamEndsNamingThePersonKept) {
  ASSERT_THAT(Apply(Registered("k", "Ada", kStart)), IsOk());
  ASSERT_THAT(Apply(Registered("d", "Adaeze", kStart + absl::Hours(1))),
              IsOk());
  TimelineWatch watch = Open("persons/d");
  ASSERT_THAT(Streamed(watch), ::testing::SizeIs(1));
  ASSERT_THAT(Apply(Merged("d", "Adaeze", "k", kStart + absl::Hours(2))),
              IsOk());
  EXPECT_THAT(domain_->ReadTimelineWatch(Service(), watch),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "persons/d was merged into persons/k: read that "
                       "record"));
}

}  // namespace
}  // namespace carebridge::record::merge_testing
