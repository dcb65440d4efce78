// Judging only the gaps a change may alter (GapScope) leaves the record as
// judging every gap would: after each of many random changes to a person
// (referrals made, declined, redirected, accepted; plans led or not,
// agreed or not, reviewed, with a crisis team or not; time passing), a
// merge of an unknown duplicate into them, which judges every gap again,
// changes no gap and announces nothing. SQLite, or PostgreSQL in the
// _postgresql run.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "services/common/time_util.h"
#include "services/record/sqlite_record_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::record {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01
constexpr char kCrisisTeam[] = "teams/crisis";

class GapScopeTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    absl::StatusOr<carebridge::testing::TestDatabase> database =
        carebridge::testing::TestDatabase::Create(dir_.path());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = *std::move(database);
    // Thresholds small enough that bounces and unanswered onward routes
    // happen within the walk.
    GapSettings settings;
    settings.bounce_teams = 2;
    settings.onward_route_grace = absl::Hours(24);
    settings.agreement_grace = absl::Hours(48);
    absl::StatusOr<std::unique_ptr<SqliteRecordStore>> store =
        SqliteRecordStore::Open(database_->location("record"), settings);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    random_.seed(GetParam());
  }

  int Pick(int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(random_);
  }
  std::string Team() { return absl::StrCat("teams/t", Pick(4)); }

  PositionedChange Change(const std::string& feed) {
    PositionedChange change;
    change.change.time = now_;
    change.change.person_id = "p1";
    change.position = FeedPosition(feed, ++sequences_[feed]);
    return change;
  }

  TimelineRow Step(const std::string& type, const std::string& resource,
                   const std::string& actor_team,
                   const std::vector<std::string>& teams) {
    TimelineRow row;
    row.person_id = "p1";
    row.time = now_;
    row.feed = "referral";
    row.sequence = sequences_["referral"];
    row.kind = v1::REFERRAL;
    row.type = type;
    row.resource = resource;
    row.actor = "members/m";
    row.actor_team = actor_team;
    row.teams = teams;
    return row;
  }

  // A new referral between two teams, awaiting an answer due in 0 to 4
  // days.
  PositionedChange Refer() {
    PositionedChange change = Change("referral");
    const std::string resource = absl::StrCat("referrals/r", ++referrals_);
    const std::string from = Team();
    std::string to = Team();
    if (to == from) to = kCrisisTeam;
    change.change.entry = Step("referral.created", resource, from, {from, to});
    LoopChange loop;
    loop.resource = resource;
    loop.person_id = "p1";
    loop.open = true;
    loop.loop.set_resource(resource);
    loop.loop.set_kind(v1::REFERRAL);
    loop.loop.set_sending_team(from);
    loop.loop.set_receiving_team(to);
    *loop.loop.mutable_since() = ToProtoTimestamp(now_);
    *loop.loop.mutable_due_time() =
        ToProtoTimestamp(now_ + absl::Hours(24 * Pick(5)));
    change.change.loop = loop;
    open_.push_back(loop.loop);
    return change;
  }

  // An answer to one awaiting referral: accepted, declined or redirected.
  PositionedChange Answer() {
    const int at = Pick(static_cast<int>(open_.size()));
    const v1::OpenLoop loop = open_[at];
    open_.erase(open_.begin() + at);
    static constexpr const char* kAnswers[] = {
        "referral.accepted", "referral.declined", "referral.declined",
        "referral.redirected"};
    PositionedChange change = Change("referral");
    change.change.entry =
        Step(kAnswers[Pick(4)], loop.resource(), loop.receiving_team(),
             {loop.sending_team(), loop.receiving_team()});
    LoopChange closed;
    closed.resource = loop.resource();
    closed.person_id = "p1";
    change.change.loop = closed;
    return change;
  }

  // A new version of the plan: led or not, agreed or not, a review date
  // before or after now, the crisis team on it or not, a join unreviewed.
  PositionedChange Plan() {
    PositionedChange change = Change("careplan");
    PlanState state;
    state.person_id = "p1";
    state.time = now_;
    state.plan.set_care_plan_version(++plan_version_);
    const std::string lead = Pick(4) == 0 ? "" : Team();
    state.plan.set_lead_team(lead);
    state.plan.set_agreed(Pick(2) == 0);
    state.plan.set_has_crisis_plan(Pick(3) == 0);
    *state.plan.mutable_review_time() =
        ToProtoTimestamp(now_ + absl::Hours(24 * (Pick(7) - 3)));
    for (const std::string& team :
         {std::string("teams/t0"), std::string("teams/t1"),
          std::string(kCrisisTeam)}) {
      if (team != lead && Pick(2) == 0) continue;
      v1::CareTeamMember* member = state.plan.add_care_team();
      member->set_team(team);
      member->set_lead(team == lead);
      *member->mutable_since() = ToProtoTimestamp(kStart);
      if (team != lead && Pick(3) == 0) {
        member->set_unreviewed(true);
        // A referral has one receiving team: each join its own.
        member->set_joined_through(absl::StrCat("referrals/j", ++joins_));
      }
    }
    change.change.plan = std::move(state);
    return change;
  }

  absl::Status Apply(std::vector<PositionedChange> changes) {
    return store_->Apply(changes);
  }

  // Every gap of p1, open or closed, opened yet or not, as stored.
  std::vector<std::string> Gaps() {
    GapQuery query;
    query.person_id = "p1";
    query.include_closed = true;
    query.now = absl::InfiniteFuture();
    query.limit = 1000;
    absl::StatusOr<std::vector<v1::CareGap>> gaps = store_->ListGaps(query);
    EXPECT_TRUE(gaps.ok()) << gaps.status();
    gaps_ = gaps.value_or(std::vector<v1::CareGap>());
    std::vector<std::string> out;
    for (const v1::CareGap& gap : gaps_) {
      out.push_back(gap.ShortDebugString());
    }
    return out;
  }

  int64_t InboxHead() {
    absl::StatusOr<FeedHead> head = store_->event_log()->ReadHead();
    EXPECT_TRUE(head.ok()) << head.status();
    return head.ok() ? head->sequence : -1;
  }

  carebridge::testing::TempDir dir_;
  std::optional<carebridge::testing::TestDatabase> database_;
  std::unique_ptr<SqliteRecordStore> store_;
  std::mt19937 random_;
  std::map<std::string, int64_t> sequences_;
  absl::Time now_ = kStart;
  int referrals_ = 0;
  int64_t plan_version_ = 0;
  int merges_ = 0;
  int joins_ = 0;
  std::vector<v1::OpenLoop> open_;
  // What Gaps() read last.
  std::vector<v1::CareGap> gaps_;
};

TEST_P(GapScopeTest, JudgingWhatChangedLeavesWhatJudgingEverythingWould) {
  {
    PositionedChange crisis = Change("directory");
    crisis.change.person_id.clear();
    crisis.change.team = TeamSector{kCrisisTeam, directory::v1::CRISIS};
    ASSERT_TRUE(Apply({crisis}).ok());
  }
  std::set<int> kinds;
  int closed = 0;
  for (int step = 0; step < 150; ++step) {
    now_ += absl::Hours(Pick(40));
    // One to three changes in one transaction, as a consumer's batch.
    std::vector<PositionedChange> batch;
    for (int n = 1 + Pick(3); n > 0; --n) {
      const int what = Pick(10);
      if (what < 4 || open_.empty()) {
        batch.push_back(Refer());
      } else if (what < 8) {
        batch.push_back(Answer());
      } else {
        batch.push_back(Plan());
      }
    }
    ASSERT_TRUE(Apply(std::move(batch)).ok()) << "step " << step;
    const std::vector<std::string> gaps = Gaps();
    const int64_t inbox = InboxHead();

    // A merge of a person never seen into p1: nothing moves, and every gap
    // of p1 is judged again as of the same moment.
    PositionedChange merge = Change("directory");
    merge.change.merge = PersonMerge{absl::StrCat("dup", ++merges_), "p1"};
    ASSERT_TRUE(Apply({merge}).ok()) << "step " << step;
    const std::vector<std::string> judged = Gaps();
    for (const std::string& gap : gaps) {
      EXPECT_THAT(judged, ::testing::Contains(gap))
          << "step " << step << ": judging everything changed or lost it";
    }
    for (const std::string& gap : judged) {
      EXPECT_THAT(gaps, ::testing::Contains(gap))
          << "step " << step << ": judging everything made it";
    }
    ASSERT_EQ(judged, gaps) << "step " << step;
    ASSERT_EQ(InboxHead(), inbox) << "step " << step;
    closed = 0;
    for (const v1::CareGap& gap : gaps_) {
      kinds.insert(gap.kind());
      if (gap.has_close_time()) ++closed;
    }
  }
  // The walk made gaps of every kind and closed some (it tested
  // something).
  EXPECT_EQ(kinds.size(), v1::GapKind_ARRAYSIZE - 1);
  EXPECT_GT(closed, 10);
}

INSTANTIATE_TEST_SUITE_P(Seeds, GapScopeTest, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace carebridge::record
