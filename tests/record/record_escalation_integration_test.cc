// Escalation in the record: a referral and a handover left unanswered past
// their deadlines, escalated by the referral and handover services'
// deadline scans, as the timeline, the teams' inboxes, the care summary's
// open loops and the team report show them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/common/time_util.h"
#include "tests/record/record_test_fixture.h"

namespace carebridge::record::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// The inbox.escalated items among `items`.
std::vector<v1::InboxItem> Escalated(
    const std::vector<events::v1::Event>& items) {
  std::vector<v1::InboxItem> escalated;
  for (const events::v1::Event& event : items) {
    if (event.type() != "inbox.escalated") continue;
    v1::InboxItem item;
    EXPECT_TRUE(event.payload().UnpackTo(&item));
    escalated.push_back(item);
  }
  return escalated;
}

// Eve: the voluntary team took her on (and leads); the community team
// refers her to housing and the voluntary team hands her over to the
// crisis team, both urgent (72 hours to answer). Neither answers in time.
TEST_F(RecordTest, AnEscalatedReferralAndHandoverShowAcrossTheRecord) {
  const absl::Time start = server_.clock().Now();
  const std::string eve = MakePerson("Eve");
  Accept(Refer(eve, voluntary_).name(), val_);
  // Registered, sent, accepted, the voluntary team joining.
  ASSERT_TRUE(RecordShows(eve, 4));
  server_.clock().Advance(absl::Minutes(1));
  const std::string to_housing = Refer(eve, housing_, ref::URGENT).name();
  const std::string to_crisis = HandOver(val_, eve, crisis_).name();
  ASSERT_TRUE(RecordShows(eve, 6));

  // Before the deadline scans nothing is escalated, anywhere.
  server_.clock().Advance(absl::Hours(73));
  v1::CareSummary summary;
  ASSERT_TRUE(Summary(Service(), eve, &summary).ok());
  ASSERT_THAT(summary.open_loops(), SizeIs(2));
  for (const v1::OpenLoop& loop : summary.open_loops()) {
    EXPECT_TRUE(loop.overdue()) << loop.resource();
    EXPECT_FALSE(loop.has_escalate_time()) << loop.resource();
  }
  EXPECT_THAT(Escalated(Inbox(alice_)), IsEmpty());

  const absl::Time escalated_at = server_.clock().Now();
  EXPECT_EQ(ScanReferralDeadlines(), 1);
  EXPECT_EQ(ScanHandoverDeadlines(), 1);
  ASSERT_TRUE(RecordShows(eve, 8));

  // The timeline: one ESCALATION entry each, last, naming the resource and
  // whose deadline passed; no team acted, so none is credited with it.
  std::vector<v1::TimelineEntry> entries = Timeline(Service(), eve);
  ASSERT_THAT(entries, SizeIs(8));
  const v1::TimelineEntry& referral = entries[6];
  const v1::TimelineEntry& handover = entries[7];
  EXPECT_EQ(referral.type(), "referral.escalated");
  EXPECT_EQ(referral.kind(), v1::ESCALATION);
  EXPECT_EQ(referral.resource(), to_housing);
  EXPECT_EQ(referral.summary(), "Referral to " + housing_ +
                                    " unanswered past its deadline (urgent)");
  EXPECT_EQ(referral.actor_team(), "");
  EXPECT_EQ(FromProtoTimestamp(referral.time()), escalated_at);
  EXPECT_EQ(handover.type(), "handover.escalated");
  EXPECT_EQ(handover.kind(), v1::ESCALATION);
  EXPECT_EQ(handover.resource(), to_crisis);
  EXPECT_EQ(handover.summary(), "Handover (shared care) to " + crisis_ +
                                    " unanswered past its deadline (urgent)");
  // Filtered by kind, the escalations alone.
  v1::ListTimelineEntriesRequest request;
  request.set_parent(eve);
  request.add_kinds(v1::ESCALATION);
  v1::ListTimelineEntriesResponse escalations;
  ASSERT_TRUE(List(Service(), request, &escalations).ok());
  ASSERT_THAT(escalations.entries(), SizeIs(2));
  EXPECT_EQ(escalations.entries(0).name(), referral.name());
  EXPECT_EQ(escalations.entries(1).name(), handover.name());
  // Each escalation is its hand-off's two teams' business.
  EXPECT_THAT(
      Types(Timeline(otto_, eve)),
      ElementsAre("person.created", "referral.created", "referral.escalated"));
  EXPECT_THAT(
      Types(Timeline(bob_, eve)),
      ElementsAre("person.created", "handover.created", "handover.escalated"));

  // The inboxes: both teams of each hand-off are told, once.
  struct Told {
    Principal team_member;
    std::string team;
    const v1::TimelineEntry* entry;
  };
  for (const Told& told :
       {Told{alice_, community_, &referral}, Told{otto_, housing_, &referral},
        Told{val_, voluntary_, &handover}, Told{bob_, crisis_, &handover}}) {
    std::vector<v1::InboxItem> items = Escalated(Inbox(told.team_member));
    ASSERT_THAT(items, SizeIs(1)) << told.team;
    EXPECT_EQ(items[0].team(), told.team);
    EXPECT_EQ(items[0].person(), eve);
    EXPECT_EQ(items[0].resource(), told.entry->resource());
    EXPECT_EQ(items[0].summary(), told.entry->summary());
    EXPECT_EQ(items[0].entry(), told.entry->name());
    EXPECT_EQ(FromProtoTimestamp(items[0].time()), escalated_at);
  }

  // The summary's open loops carry the escalate mark.
  ASSERT_TRUE(Summary(Service(), eve, &summary).ok());
  ASSERT_THAT(summary.open_loops(), SizeIs(2));
  for (const v1::OpenLoop& loop : summary.open_loops()) {
    EXPECT_TRUE(loop.has_escalate_time()) << loop.resource();
    EXPECT_EQ(FromProtoTimestamp(loop.escalate_time()), escalated_at)
        << loop.resource();
    EXPECT_TRUE(loop.overdue()) << loop.resource();
  }
  // The community team sees its own referral's.
  ASSERT_TRUE(Summary(alice_, eve, &summary).ok());
  ASSERT_THAT(summary.open_loops(), SizeIs(1));
  EXPECT_EQ(summary.open_loops(0).resource(), to_housing);
  EXPECT_EQ(FromProtoTimestamp(summary.open_loops(0).escalate_time()),
            escalated_at);

  // The reports: each receiving team counts the escalation of what it was
  // sent; the voluntary team answered in time.
  const absl::Time end = server_.clock().Now() + absl::Hours(1);
  v1::TeamReport report;
  ASSERT_TRUE(Report(otto_, housing_, start, end, &report).ok());
  EXPECT_EQ(report.escalations(), 1);
  EXPECT_EQ(report.referrals_received(), 1);
  EXPECT_EQ(report.unanswered(), 1);
  ASSERT_TRUE(Report(bob_, crisis_, start, end, &report).ok());
  EXPECT_EQ(report.escalations(), 1);
  EXPECT_EQ(report.handovers_received(), 1);
  EXPECT_EQ(report.referrals_received(), 0);
  ASSERT_TRUE(Report(val_, voluntary_, start, end, &report).ok());
  EXPECT_EQ(report.escalations(), 0);
  EXPECT_EQ(report.accepted(), 1);

  // Answered late, the escalations stay counted and the loops close.
  Accept(to_housing, otto_);
  AcceptHandover(to_crisis, bob_);
  ASSERT_TRUE(Eventually([&] {
    return Summary(Service(), eve, &summary).ok() &&
           summary.open_loops_size() == 0;
  }));
  ASSERT_TRUE(Report(otto_, housing_, start, end, &report).ok());
  EXPECT_EQ(report.escalations(), 1);
  EXPECT_EQ(report.accepted(), 1);
  ASSERT_TRUE(Report(bob_, crisis_, start, end, &report).ok());
  EXPECT_EQ(report.escalations(), 1);
  EXPECT_EQ(report.handovers_accepted(), 1);
}

}  // namespace
}  // namespace carebridge::record::testing
