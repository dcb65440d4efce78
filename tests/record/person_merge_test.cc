// The record follows person merges (directory `person.merged`): the
// duplicate's history moves to the person kept in the merge's transaction,
// later events about the duplicate land there too, and reads of the
// duplicate say which record to read. Events are applied as the record's
// consumers apply them (RecordDomain::ApplyEvent, one feed position each),
// in the orders the feeds can deliver them, over a real database (SQLite,
// or PostgreSQL in the _postgresql run) and a fake clock.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "tests/record/person_merge_fixture.h"

namespace carebridge::record::merge_testing {
namespace {

using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST_F(PersonMergeTest, MergeMovesTheDuplicatesHistoryToThePersonKept) {
  ASSERT_THAT(Apply(Registered("k", "Ada", kStart)), IsOk());
  ASSERT_THAT(Apply(Registered("d", "Adaeze", kStart + absl::Hours(1))),
              IsOk());
  DuplicateBounced();
  absl::StatusOr<v1::ListCareGapsResponse> duplicate_gaps = Gaps("persons/d");
  ASSERT_THAT(duplicate_gaps, IsOk());
  ASSERT_THAT(duplicate_gaps->gaps(), SizeIs(1));
  EXPECT_EQ(duplicate_gaps->gaps(0).kind(), v1::BOUNCED);
  ASSERT_THAT(Apply(Merged("d", "Adaeze", "k", kStart + absl::Hours(5))),
              IsOk());

  // Interleaved by time; the moved entries keep their resources, summaries
  // and times, named under the person kept.
  const std::vector<v1::TimelineEntry> entries = Timeline("persons/k");
  ASSERT_THAT(entries, SizeIs(5));
  EXPECT_EQ(entries[0].resource(), "persons/k");
  EXPECT_EQ(entries[1].resource(), "persons/d");
  EXPECT_EQ(entries[1].summary(), "Registered with carebridge");
  EXPECT_EQ(FromProtoTimestamp(entries[1].time()), kStart + absl::Hours(1));
  EXPECT_EQ(entries[1].name(), "persons/k/timeline/directory-2");
  EXPECT_EQ(entries[2].type(), "referral.created");
  EXPECT_EQ(entries[2].resource(), "referrals/r1");
  EXPECT_EQ(entries[2].summary(),
            "Referral sent by teams/community to teams/crisis (urgent)");
  EXPECT_EQ(entries[3].type(), "referral.declined");
  EXPECT_EQ(entries[3].summary(), "Referral declined by teams/crisis");
  EXPECT_EQ(entries[4].type(), "person.merged");
  EXPECT_EQ(entries[4].kind(), v1::PERSON);
  EXPECT_EQ(entries[4].resource(), "persons/d");
  EXPECT_EQ(entries[4].actor(), "members/alice");
  EXPECT_EQ(entries[4].summary(),
            "Registered twice: persons/d (Adaeze Okafor, born 1990-04-01) "
            "merged into this record");
  EXPECT_EQ(FromProtoTimestamp(entries[4].time()), kStart + absl::Hours(5));

  // The bounce is the kept person's now, still open from the decline, and
  // the onward route not taken with it (open 14 days after the decline).
  clock_.Set(kStart + absl::Hours(24 * 20));
  absl::StatusOr<v1::ListCareGapsResponse> gaps = Gaps("persons/k");
  ASSERT_THAT(gaps, IsOk());
  ASSERT_THAT(gaps->gaps(), SizeIs(2));
  for (const v1::CareGap& gap : gaps->gaps()) {
    EXPECT_EQ(gap.person(), "persons/k");
    EXPECT_TRUE(absl::StartsWith(gap.name(), "persons/k/careGaps/"));
    EXPECT_FALSE(gap.has_close_time()) << gap.name();
  }
  EXPECT_EQ(gaps->gaps(0).kind(), v1::BOUNCED);
  EXPECT_EQ(gaps->gaps(0).subject(), "persons/k");
  EXPECT_EQ(FromProtoTimestamp(gaps->gaps(0).open_time()),
            kStart + absl::Hours(3));
  EXPECT_EQ(gaps->gaps(1).kind(), v1::ONWARD_ROUTE_NOT_TAKEN);
  EXPECT_EQ(gaps->gaps(1).subject(), "referrals/r1");
  // Nothing is left under the duplicate.
  absl::StatusOr<v1::ListCareGapsResponse> everyone = Gaps("");
  ASSERT_THAT(everyone, IsOk());
  EXPECT_THAT(everyone->gaps(), SizeIs(2));

  // The crisis team's report counts the referral under the person kept.
  v1::GetTeamReportRequest report_request;
  report_request.set_team(kCrisis);
  *report_request.mutable_start_time() = ToProtoTimestamp(kStart);
  *report_request.mutable_end_time() =
      ToProtoTimestamp(kStart + absl::Hours(24));
  absl::StatusOr<v1::TeamReport> report =
      domain_->GetTeamReport(Service(), report_request);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->referrals_received(), 1);
  EXPECT_EQ(report->declined(), 1);
  EXPECT_EQ(report->bounced_persons_seen(), 1);
}

// Both registrations bounced: the merged record has one bounce, from the
// first decline; the duplicate's closes, saying why.
TEST_F(PersonMergeTest, TwoBouncesBecomeOne) {
  ASSERT_THAT(Apply(Registered("k", "Ada", kStart)), IsOk());
  ASSERT_THAT(Apply(Registered("d", "Adaeze", kStart + absl::Hours(1))),
              IsOk());
  const absl::Time sent = kStart + absl::Minutes(10);
  ASSERT_THAT(
      Apply(ReferralEvent(
          "referral.declined",
          Referral("referrals/r0", "k", kVoluntary,
                   {{rf::ReferralEvent::CREATED, sent},
                    {rf::ReferralEvent::DECLINED, sent + absl::Minutes(20)}}))),
      IsOk());
  DuplicateBounced();
  ASSERT_THAT(Apply(Merged("d", "Adaeze", "k", kStart + absl::Hours(5))),
              IsOk());

  absl::StatusOr<v1::ListCareGapsResponse> gaps = Gaps("persons/k");
  ASSERT_THAT(gaps, IsOk());
  std::vector<const v1::CareGap*> bounces;
  for (const v1::CareGap& gap : gaps->gaps()) {
    if (gap.kind() == v1::BOUNCED) bounces.push_back(&gap);
  }
  ASSERT_THAT(bounces, SizeIs(2));
  EXPECT_EQ(FromProtoTimestamp(bounces[0]->open_time()),
            sent + absl::Minutes(20));
  EXPECT_FALSE(bounces[0]->has_close_time());
  EXPECT_EQ(bounces[0]->detail(),
            "Declined or redirected by 2 teams since 2026-01-01, with no "
            "referral accepted since");
  EXPECT_EQ(FromProtoTimestamp(bounces[1]->open_time()),
            kStart + absl::Hours(3));
  EXPECT_EQ(FromProtoTimestamp(bounces[1]->close_time()),
            kStart + absl::Hours(5));
  EXPECT_EQ(bounces[1]->close_reason(),
            "the person's two registrations were merged");
}

TEST_F(PersonMergeTest, ReadsOfTheDuplicateNameThePersonKept) {
  ASSERT_THAT(Apply(Registered("k", "Ada", kStart)), IsOk());
  ASSERT_THAT(Apply(Registered("d", "Adaeze", kStart + absl::Hours(1))),
              IsOk());
  ASSERT_THAT(Apply(Merged("d", "Adaeze", "k", kStart + absl::Hours(2))),
              IsOk());
  const std::string message =
      "persons/d was merged into persons/k: read that record";
  EXPECT_THAT(List("persons/d"),
              StatusIs(absl::StatusCode::kFailedPrecondition, message));
  EXPECT_THAT(Summary("persons/d"),
              StatusIs(absl::StatusCode::kFailedPrecondition, message));
  EXPECT_THAT(Gaps("persons/d"),
              StatusIs(absl::StatusCode::kFailedPrecondition, message));
  EXPECT_THAT(Summary("persons/k"), IsOk());
  // A person the record never heard of is still not found.
  EXPECT_THAT(List("persons/x"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PersonMergeTest,
       ALateReferralEventAboutTheDuplicateLandsOnThePersonKept) {
  ASSERT_THAT(Apply(Registered("k", "Ada", kStart)), IsOk());
  ASSERT_THAT(Apply(Registered("d", "Adaeze", kStart + absl::Hours(1))),
              IsOk());
  // The directory's feed is ahead: the merge comes before the referral
  // steps about the duplicate that happened before it.
  ASSERT_THAT(Apply(Merged("d", "Adaeze", "k", kStart + absl::Hours(5))),
              IsOk());
  DuplicateBounced();
  const absl::Time sent = kStart + absl::Hours(6);
  ASSERT_THAT(
      Apply(ReferralEvent("referral.created",
                          Referral("referrals/r2", "d", kVoluntary,
                                   {{rf::ReferralEvent::CREATED, sent}}))),
      IsOk());

  EXPECT_THAT(
      Types("persons/k"),
      ElementsAre("person.created", "person.created", "referral.created",
                  "referral.declined", "person.merged", "referral.created"));
  absl::StatusOr<v1::CareSummary> summary = Summary("persons/k");
  ASSERT_THAT(summary, IsOk());
  ASSERT_THAT(summary->open_loops(), SizeIs(1));
  EXPECT_EQ(summary->open_loops(0).resource(), "referrals/r2");
  // The bounce is judged on the kept person; the new referral took the
  // onward route, so only the bounce is open.
  absl::StatusOr<v1::ListCareGapsResponse> gaps = Gaps("persons/k");
  ASSERT_THAT(gaps, IsOk());
  ASSERT_THAT(gaps->gaps(), SizeIs(1));
  EXPECT_EQ(gaps->gaps(0).kind(), v1::BOUNCED);
  EXPECT_EQ(gaps->gaps(0).subject(), "persons/k");
  absl::StatusOr<v1::ListCareGapsResponse> everyone = Gaps("");
  ASSERT_THAT(everyone, IsOk());
  EXPECT_THAT(everyone->gaps(), SizeIs(1));

  // The teams' inbox items name the person kept and entries that exist.
  std::vector<events::v1::Event> inbox = Inbox();
  ASSERT_FALSE(inbox.empty());
  for (const events::v1::Event& item : inbox) {
    v1::InboxItem payload;
    ASSERT_TRUE(item.payload().UnpackTo(&payload));
    EXPECT_EQ(item.person(), "persons/k") << item.type();
    EXPECT_EQ(payload.person(), "persons/k") << item.type();
    if (!payload.entry().empty()) {
      EXPECT_TRUE(absl::StartsWith(payload.entry(), "persons/k/timeline/"))
          << payload.entry();
    }
  }
  EXPECT_EQ(inbox.back().type(), "inbox.referral_received");
  v1::InboxItem received;
  ASSERT_TRUE(inbox.back().payload().UnpackTo(&received));
  EXPECT_EQ(received.entry(), "persons/k/timeline/referral-3");
}

TEST_F(PersonMergeTest, ARedeliveredMergeChangesNothingMore) {
  ASSERT_THAT(Apply(Registered("k", "Ada", kStart)), IsOk());
  ASSERT_THAT(Apply(Registered("d", "Adaeze", kStart + absl::Hours(1))),
              IsOk());
  DuplicateBounced();
  const events::v1::Event merge =
      Merged("d", "Adaeze", "k", kStart + absl::Hours(5));
  ASSERT_THAT(Apply(merge), IsOk());
  const std::vector<v1::TimelineEntry> before = Timeline("persons/k");
  absl::StatusOr<v1::ListCareGapsResponse> gaps_before = Gaps("");
  ASSERT_THAT(gaps_before, IsOk());
  const size_t inbox_before = Inbox().size();

  ASSERT_THAT(Apply(merge), IsOk());
  // And the steps moved by it, delivered again, stay where they went.
  sequences_["referral"] = 0;
  DuplicateBounced();

  const std::vector<v1::TimelineEntry> after = Timeline("persons/k");
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].SerializeAsString(), before[i].SerializeAsString()) << i;
  }
  absl::StatusOr<v1::ListCareGapsResponse> gaps_after = Gaps("");
  ASSERT_THAT(gaps_after, IsOk());
  EXPECT_EQ(gaps_after->SerializeAsString(), gaps_before->SerializeAsString());
  EXPECT_EQ(Inbox().size(), inbox_before);
  EXPECT_THAT(Summary("persons/d"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(PersonMergeTest, MergesChain) {
  ASSERT_THAT(Apply(Registered("a", "Ada", kStart)), IsOk());
  ASSERT_THAT(Apply(Registered("b", "Adaeze", kStart + absl::Hours(1))),
              IsOk());
  ASSERT_THAT(Apply(Registered("c", "Ada", kStart + absl::Hours(2))), IsOk());
  ASSERT_THAT(Apply(Merged("a", "Ada", "b", kStart + absl::Hours(3))), IsOk());
  ASSERT_THAT(Apply(Merged("b", "Adaeze", "c", kStart + absl::Hours(4))),
              IsOk());
  // A late step about the first duplicate follows both merges.
  ASSERT_THAT(
      Apply(ReferralEvent(
          "referral.created",
          Referral("referrals/r1", "a", kCrisis,
                   {{rf::ReferralEvent::CREATED, kStart + absl::Hours(5)}}))),
      IsOk());

  const std::vector<v1::TimelineEntry> entries = Timeline("persons/c");
  std::vector<std::string> resources;
  for (const v1::TimelineEntry& entry : entries) {
    resources.push_back(entry.resource());
  }
  EXPECT_THAT(resources, ElementsAre("persons/a", "persons/b", "persons/c",
                                     "persons/a", "persons/b", "referrals/r1"));
  EXPECT_THAT(List("persons/a"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "persons/a was merged into persons/c: read that "
                       "record"));
  EXPECT_THAT(List("persons/b"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "persons/b was merged into persons/c: read that "
                       "record"));
  absl::StatusOr<v1::CareSummary> summary = Summary("persons/c");
  ASSERT_THAT(summary, IsOk());
  EXPECT_THAT(summary->open_loops(), SizeIs(1));
}

// A duplicate with a long history: 2,000 steps, interleaved in time with
// the kept person's own 500, all on the kept timeline in time order when
// read page by page, oldest or newest first.
TEST_F(PersonMergeTest, ALongHistoryMovesWholeAndInOrder) {
  constexpr int kDuplicateSteps = 2000;
  constexpr int kKeptSteps = 500;
  std::vector<events::v1::Event> batch;
  std::set<std::string> duplicate_events;
  for (int i = 0; i < kDuplicateSteps; ++i) {
    const dir::Person person = Person("d", "Adaeze");
    const absl::Time time = kStart + absl::Minutes(i);
    batch.push_back(
        Next("directory", i == 0 ? "person.created" : "person.updated",
             person.name(), person.name(), {kCommunity}, time, person));
    duplicate_events.insert(batch.back().id());
    if (i % 4 == 0) {
      const dir::Person kept = Person("k", "Ada");
      batch.push_back(Next("directory",
                           i == 0 ? "person.created" : "person.updated",
                           kept.name(), kept.name(), {kCommunity},
                           time + absl::Seconds(30), kept));
    }
  }
  std::vector<const events::v1::Event*> pointers;
  for (const events::v1::Event& event : batch) pointers.push_back(&event);
  for (size_t at = 0; at < pointers.size(); at += 500) {
    const size_t size = std::min<size_t>(500, pointers.size() - at);
    ASSERT_THAT(
        domain_->ApplyEvents(absl::MakeConstSpan(pointers).subspan(at, size),
                             "directory"),
        IsOk());
  }
  ASSERT_THAT(Apply(Merged("d", "Adaeze", "k",
                           kStart + absl::Minutes(kDuplicateSteps + 1))),
              IsOk());

  for (bool newest_first : {false, true}) {
    std::vector<v1::TimelineEntry> entries;
    std::string token;
    do {
      v1::ListTimelineEntriesRequest request;
      request.set_parent("persons/k");
      request.set_page_size(100);
      request.set_page_token(token);
      request.set_newest_first(newest_first);
      absl::StatusOr<v1::ListTimelineEntriesResponse> page =
          domain_->ListTimelineEntries(Service(), request);
      ASSERT_THAT(page, IsOk());
      entries.insert(entries.end(), page->entries().begin(),
                     page->entries().end());
      token = page->next_page_token();
    } while (!token.empty());
    ASSERT_THAT(entries, SizeIs(kDuplicateSteps + kKeptSteps + 1));
    std::set<std::string> moved;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) {
        const absl::Time previous = FromProtoTimestamp(entries[i - 1].time());
        const absl::Time time = FromProtoTimestamp(entries[i].time());
        EXPECT_TRUE(newest_first ? previous > time : previous < time) << i;
      }
      if (entries[i].resource() == "persons/d" &&
          entries[i].type() != "person.merged") {
        moved.insert(entries[i].event());
      }
    }
    EXPECT_EQ(moved, duplicate_events);
    EXPECT_EQ(entries[newest_first ? 0 : entries.size() - 1].type(),
              "person.merged");
  }
}

}  // namespace
}  // namespace carebridge::record::merge_testing
