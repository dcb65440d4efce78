// Care gaps as a deployment sets them and as time passes: thresholds from
// carebridge-server's --gap_* flags (through ModuleContext), and the gap
// sweep that announces in the teams' inboxes a gap whose threshold passed
// while nothing happened to the person.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "services/common/time_util.h"
#include "services/record/record_module.h"
#include "tests/record/record_test_fixture.h"
#include "tests/support/recording_metric_sink.h"
#include "tests/support/status_matchers.h"

namespace carebridge::record::testing {
namespace {

using ::carebridge::testing::IsOkAndHolds;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// The gap_opened items among `items`, by team.
std::vector<v1::InboxItem> GapsOpened(
    const std::vector<events::v1::Event>& items) {
  std::vector<v1::InboxItem> opened;
  for (const events::v1::Event& event : items) {
    if (event.type() != "inbox.gap_opened") continue;
    v1::InboxItem item;
    EXPECT_TRUE(event.payload().UnpackTo(&item));
    opened.push_back(item);
  }
  return opened;
}

std::vector<v1::GapKind> Kinds(const v1::ListCareGapsResponse& gaps) {
  std::vector<v1::GapKind> kinds;
  for (const v1::CareGap& gap : gaps.gaps()) kinds.push_back(gap.kind());
  return kinds;
}

class RecordGapSweepTest : public RecordTest {
 protected:
  RecordGapSweepTest() = default;
  explicit RecordGapSweepTest(const CareGapThresholds& care_gaps)
      : RecordTest(care_gaps) {}

  RecordModule* record() { return modules_.As<RecordModule>("record"); }
  // What a metrics scrape says is open of `kind`.
  std::optional<double> OpenGapsCounted(const std::string& kind) {
    ::carebridge::testing::RecordingMetricSink scraped;
    record()->CollectMetrics(scraped);
    return scraped.Value("carebridge_care_gaps_open", {{"kind", kind}});
  }
};

TEST_F(RecordGapSweepTest, AGapWhoseThresholdPassesQuietlyIsAnnouncedOnce) {
  const std::string dee = MakePerson("Dee");
  const std::string referral = Refer(dee, crisis_).name();
  ASSERT_TRUE(RecordShows(dee, 2));
  // Nothing is due yet.
  EXPECT_THAT(record()->AnnounceDueGaps(), IsOkAndHolds(0));
  EXPECT_EQ(OpenGapsCounted("ANSWER_OVERDUE"), 0);

  // The referral waits past its deadline and nothing else happens (no
  // deadline scan runs here, so no event says so).
  server_.clock().Advance(absl::Hours(24 * 20));
  v1::ListCareGapsResponse gaps;
  ASSERT_TRUE(Gaps(alice_, community_, &gaps).ok());
  ASSERT_THAT(gaps.gaps(), SizeIs(1));
  EXPECT_EQ(gaps.gaps(0).kind(), v1::ANSWER_OVERDUE);
  EXPECT_EQ(OpenGapsCounted("ANSWER_OVERDUE"), 1);
  EXPECT_EQ(OpenGapsCounted("BOUNCED"), 0);
  // Listed, but nobody's inbox has said so yet.
  EXPECT_THAT(GapsOpened(Inbox(alice_)), IsEmpty());
  EXPECT_THAT(GapsOpened(Inbox(bob_)), IsEmpty());

  // The sweep announces it to both teams, as of now; a second sweep
  // announces nothing again.
  EXPECT_THAT(record()->AnnounceDueGaps(), IsOkAndHolds(1));
  EXPECT_THAT(record()->AnnounceDueGaps(), IsOkAndHolds(0));
  for (const Principal& team : {alice_, bob_}) {
    std::vector<v1::InboxItem> opened = GapsOpened(Inbox(team));
    ASSERT_THAT(opened, SizeIs(1)) << team.team;
    EXPECT_EQ(opened[0].team(), team.team);
    EXPECT_EQ(opened[0].person(), dee);
    EXPECT_EQ(opened[0].resource(), gaps.gaps(0).name());
    EXPECT_EQ(FromProtoTimestamp(opened[0].time()), server_.clock().Now());
  }

  // Answered at last: the gap closes, announced once more as closed, and
  // the sweep has nothing to say about it.
  Accept(referral, bob_);
  ASSERT_TRUE(Eventually([&] {
    std::vector<events::v1::Event> items = Inbox(alice_);
    for (const events::v1::Event& item : items) {
      if (item.type() == "inbox.gap_closed") return true;
    }
    return false;
  }));
  EXPECT_THAT(record()->AnnounceDueGaps(), IsOkAndHolds(0));
  EXPECT_THAT(GapsOpened(Inbox(alice_)), SizeIs(1));
  EXPECT_EQ(OpenGapsCounted("ANSWER_OVERDUE"), 0);
}

TEST_F(RecordGapSweepTest, DefaultThresholdsTwoRefusalsAreNotABounce) {
  const std::string eli = MakePerson("Eli");
  Decline(Refer(eli, crisis_).name(), bob_);
  Decline(Refer(eli, housing_).name(), otto_);
  ASSERT_TRUE(RecordShows(eli, 5));
  server_.clock().Advance(absl::Hours(24 * 3));
  EXPECT_THAT(record()->AnnounceDueGaps(), IsOkAndHolds(0));
  v1::ListCareGapsResponse gaps;
  ASSERT_TRUE(Gaps(alice_, community_, &gaps).ok());
  EXPECT_THAT(gaps.gaps(), IsEmpty());
}

// A deployment that judges "bounced" at two teams and chases an onward
// route after two days.
CareGapThresholds Strict() {
  CareGapThresholds strict;
  strict.bounce_teams = 2;
  strict.onward_route_grace = absl::Hours(48);
  return strict;
}

class RecordStrictGapsTest : public RecordGapSweepTest {
 protected:
  RecordStrictGapsTest() : RecordGapSweepTest(Strict()) {}
};

TEST_F(RecordStrictGapsTest, TheDeploymentsThresholdsDecide) {
  const std::string eli = MakePerson("Eli");
  Decline(Refer(eli, crisis_).name(), bob_);
  Decline(Refer(eli, housing_).name(), otto_);
  ASSERT_TRUE(RecordShows(eli, 5));
  v1::ListCareGapsResponse gaps;
  ASSERT_TRUE(Gaps(alice_, community_, &gaps).ok());
  ASSERT_THAT(Kinds(gaps), ::testing::ElementsAre(v1::BOUNCED));
  EXPECT_THAT(gaps.gaps(0).detail(), HasSubstr("by 2 teams"));

  // Three days on, nobody took the onward route the last decline gave (two
  // days here; the first was taken: the referral to housing came after
  // it): it is on the referrer's list, and the sweep announces it.
  server_.clock().Advance(absl::Hours(24 * 3));
  ASSERT_TRUE(Gaps(alice_, community_, &gaps).ok());
  EXPECT_THAT(Kinds(gaps), ::testing::UnorderedElementsAre(
                               v1::BOUNCED, v1::ONWARD_ROUTE_NOT_TAKEN));
  EXPECT_THAT(record()->AnnounceDueGaps(), IsOkAndHolds(1));
  EXPECT_THAT(GapsOpened(Inbox(alice_)), SizeIs(2));
}

}  // namespace
}  // namespace carebridge::record::testing
