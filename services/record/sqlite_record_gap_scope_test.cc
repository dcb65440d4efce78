// Judging only the gaps a change may alter (GapScope) leaves the record as
// judging every gap would: after each of many random changes to two persons
// (referrals made, declined, redirected, accepted; handovers; deadlines
// moved; plans led or not, agreed or not, reviewed, with a crisis team or
// not; break-glass accesses opened and reviewed; a team's sector changed;
// time passing), a merge of an unknown
// duplicate into each, which judges every gap again, changes no gap and
// announces nothing; and the inbox says each gap opened once per team,
// once its threshold passed, and never of a gap not kept. SQLite, or
// PostgreSQL in the _postgresql run.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "carebridge/record/v1/record.pb.h"
#include "services/common/time_util.h"
#include "services/record/sqlite_record_store.h"
#include "tests/record/test_record_store.h"
#include "tests/support/status_matchers.h"

namespace carebridge::record {
namespace {

using ::carebridge::testing::IsOk;
const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01
constexpr char kCrisisTeam[] = "teams/crisis";
// A team whose sector changes during the walk (crisis or not).
constexpr char kTurningTeam[] = "teams/t1";
const std::vector<std::string> kPersons = {"p1", "p2"};

class GapScopeTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    // Thresholds small enough that bounces and unanswered onward routes
    // happen within the walk.
    GapSettings settings;
    settings.bounce_teams = 2;
    settings.onward_route_grace = absl::Hours(24);
    settings.agreement_grace = absl::Hours(48);
    settings.break_glass_review_grace = absl::Hours(12);
    ASSERT_THAT(store_.Open(settings), IsOk());
    random_.seed(GetParam());
  }

  int Pick(int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(random_);
  }
  std::string Team() { return absl::StrCat("teams/t", Pick(4)); }

  PositionedChange Change(const std::string& feed, const std::string& person) {
    PositionedChange change;
    change.change.time = now_;
    change.change.person_id = person;
    change.position = FeedPosition(feed, ++sequences_[feed]);
    return change;
  }

  TimelineRow Step(const std::string& feed, v1::EntryKind kind,
                   const std::string& person, const std::string& type,
                   const std::string& resource, const std::string& actor_team,
                   const std::vector<std::string>& teams) {
    TimelineRow row;
    row.person_id = person;
    row.time = now_;
    row.feed = feed;
    row.sequence = sequences_[feed];
    row.kind = kind;
    row.type = type;
    row.resource = resource;
    row.actor = "members/m";
    row.actor_team = actor_team;
    row.teams = teams;
    return row;
  }

  // A new referral (or handover) between two teams, awaiting an answer due
  // in 0 to 4 days.
  PositionedChange Open(const std::string& person, bool handover) {
    const std::string feed = handover ? "handover" : "referral";
    PositionedChange change = Change(feed, person);
    const std::string resource =
        absl::StrCat(handover ? "handovers/h" : "referrals/r", ++resources_);
    const std::string from = Team();
    std::string to = Team();
    if (to == from) to = kCrisisTeam;
    change.change.entry =
        Step(feed, handover ? v1::HANDOVER : v1::REFERRAL, person,
             handover ? "handover.created" : "referral.created", resource, from,
             {from, to});
    LoopChange loop;
    loop.resource = resource;
    loop.person_id = person;
    loop.open = true;
    loop.loop.set_resource(resource);
    loop.loop.set_kind(handover ? v1::HANDOVER : v1::REFERRAL);
    loop.loop.set_sending_team(from);
    loop.loop.set_receiving_team(to);
    *loop.loop.mutable_since() = ToProtoTimestamp(now_);
    *loop.loop.mutable_due_time() =
        ToProtoTimestamp(now_ + absl::Hours(24 * Pick(5)));
    change.change.loop = loop;
    open_.push_back(loop);
    return change;
  }

  // One awaiting referral or handover: answered (accepted, declined,
  // redirected), or acknowledged with its deadline moved (escalated or
  // extended), staying open.
  PositionedChange Answer() {
    const int at = Pick(static_cast<int>(open_.size()));
    LoopChange loop = open_[at];
    const bool handover = loop.loop.kind() == v1::HANDOVER;
    const std::string feed = handover ? "handover" : "referral";
    PositionedChange change = Change(feed, loop.person_id);
    const std::vector<std::string> teams = {loop.loop.sending_team(),
                                            loop.loop.receiving_team()};
    if (Pick(4) == 0) {
      change.change.entry =
          Step(feed, handover ? v1::HANDOVER : v1::REFERRAL, loop.person_id,
               handover ? "handover.acknowledged" : "referral.acknowledged",
               loop.resource, loop.loop.receiving_team(), teams);
      *loop.loop.mutable_due_time() =
          ToProtoTimestamp(now_ + absl::Hours(12 * (Pick(5) - 1)));
      open_[at] = loop;
      change.change.loop = loop;
      return change;
    }
    open_.erase(open_.begin() + at);
    static constexpr const char* kAnswers[] = {
        "referral.accepted", "referral.declined", "referral.declined",
        "referral.redirected"};
    change.change.entry =
        Step(feed, handover ? v1::HANDOVER : v1::REFERRAL, loop.person_id,
             handover ? "handover.accepted" : kAnswers[Pick(4)], loop.resource,
             loop.loop.receiving_team(), teams);
    LoopChange closed;
    closed.resource = loop.resource;
    closed.person_id = loop.person_id;
    change.change.loop = closed;
    return change;
  }

  // A new version of a plan: led or not, agreed or not, a review date
  // before or after now, the crisis team or the turning team on it or
  // not, a join unreviewed.
  PositionedChange Plan(const std::string& person) {
    PositionedChange change = Change("careplan", person);
    PlanState state;
    state.person_id = person;
    state.time = now_;
    state.plan.set_care_plan_version(++plan_versions_[person]);
    const std::string lead = Pick(4) == 0 ? "" : Team();
    state.plan.set_lead_team(lead);
    state.plan.set_agreed(Pick(2) == 0);
    state.plan.set_has_crisis_plan(Pick(3) == 0);
    *state.plan.mutable_review_time() =
        ToProtoTimestamp(now_ + absl::Hours(24 * (Pick(7) - 3)));
    for (const std::string& team :
         {std::string("teams/t0"), std::string(kTurningTeam),
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

  // A break-glass step of `person`'s: one of their accesses not yet
  // reviewed is reviewed, or a team opens a new one.
  PositionedChange BreakGlass(const std::string& person) {
    PositionedChange change = Change("careplan", person);
    std::vector<std::string>& unreviewed = unreviewed_[person];
    std::string type = "careplan.break_glass";
    std::string access;
    if (!unreviewed.empty() && Pick(2) == 0) {
      const int at = Pick(static_cast<int>(unreviewed.size()));
      access = unreviewed[at];
      unreviewed.erase(unreviewed.begin() + at);
      type = "careplan.break_glass_reviewed";
    } else {
      access = absl::StrCat("persons/", person, "/breakGlassAccesses/",
                            ++resources_);
      unreviewed.push_back(access);
    }
    change.change.entry = Step("careplan", v1::BREAK_GLASS, person, type,
                               access, Team(), {Team()});
    return change;
  }

  PositionedChange Sector(const std::string& team, bool crisis) {
    PositionedChange change = Change("directory", "");
    change.change.team =
        TeamSector{team, crisis ? directory::v1::CRISIS
                                : directory::v1::COMMUNITY_MENTAL_HEALTH};
    return change;
  }

  absl::Status Apply(std::vector<PositionedChange> changes) {
    return store_->Apply(changes);
  }

  // Every gap of `person`, open or closed, opened yet or not, as stored.
  std::vector<v1::CareGap> Gaps(const std::string& person) {
    GapQuery query;
    query.person_id = person;
    query.include_closed = true;
    query.now = absl::InfiniteFuture();
    query.limit = 1000;
    absl::StatusOr<std::vector<v1::CareGap>> gaps = store_->ListGaps(query);
    EXPECT_TRUE(gaps.ok()) << gaps.status();
    return gaps.value_or(std::vector<v1::CareGap>());
  }
  static std::vector<std::string> Printed(
      const std::vector<v1::CareGap>& gaps) {
    std::vector<std::string> out;
    for (const v1::CareGap& gap : gaps) out.push_back(gap.ShortDebugString());
    return out;
  }

  int64_t InboxHead() {
    absl::StatusOr<FeedHead> head = store_->event_log()->ReadHead();
    EXPECT_TRUE(head.ok()) << head.status();
    return head.ok() ? head->sequence : -1;
  }

  // The inbox agrees with the gaps kept: a gap opened is said to a team
  // once (again only after the team had left its list), not before its
  // threshold, and only of a gap kept; an open gap of a person whose
  // threshold passed by their last change judged (`judged`) has been said
  // to have opened to each team on its list now (also to one that joined
  // the list after it opened). `several`: the persons (`persons/{id}`) the
  // last batch changed more than once.
  void CheckInbox(const std::map<std::string, absl::Time>& judged,
                  const std::set<std::string>& several) {
    std::set<std::pair<std::string, std::string>> this_batch;
    absl::StatusOr<std::vector<events::v1::Event>> items =
        store_->event_log()->ReadAfter(seen_, 1 << 20);
    ASSERT_TRUE(items.ok()) << items.status();
    std::map<std::string, v1::CareGap> kept;
    for (const std::string& person : kPersons) {
      for (const v1::CareGap& gap : Gaps(person)) kept[gap.name()] = gap;
    }
    for (const events::v1::Event& item : *items) {
      seen_ = item.sequence();
      if (item.type() != "inbox.gap_opened") continue;
      v1::InboxItem note;
      ASSERT_TRUE(item.payload().UnpackTo(&note));
      auto gap = kept.find(note.resource());
      ASSERT_NE(gap, kept.end()) << "opened, not kept: " << note.resource();
      EXPECT_GE(FromProtoTimestamp(note.time()),
                FromProtoTimestamp(gap->second.open_time()))
          << note.resource();
      const bool again = !opened_.insert({note.team(), note.resource()}).second;
      // (A person with several changes in the batch may have left a list
      // and joined it again within it.)
      EXPECT_FALSE(again && listed_[note.resource()].count(note.team()) &&
                   !several.count(note.person()))
          << "opened twice: " << note.resource() << " to " << note.team();
      EXPECT_TRUE(this_batch.insert({note.team(), note.resource()}).second)
          << "opened twice at once: " << note.resource() << " to "
          << note.team();
    }
    listed_.clear();
    for (const auto& [name, gap] : kept) {
      if (gap.has_close_time()) continue;
      listed_[name].insert(gap.teams().begin(), gap.teams().end());
      const auto at =
          judged.find(gap.person().substr(gap.person().find('/') + 1));
      if (at == judged.end() ||
          FromProtoTimestamp(gap.open_time()) > at->second) {
        continue;
      }
      for (const std::string& team : gap.teams()) {
        EXPECT_TRUE(opened_.count({team, name}))
            << "open and due, never said to " << team << ": " << name;
      }
    }
  }

  TestRecordStore store_;
  std::mt19937 random_;
  std::map<std::string, int64_t> sequences_;
  absl::Time now_ = kStart;
  int resources_ = 0;
  std::map<std::string, int64_t> plan_versions_;
  int merges_ = 0;
  int joins_ = 0;
  std::vector<LoopChange> open_;
  // Each person's break-glass accesses not yet reviewed.
  std::map<std::string, std::vector<std::string>> unreviewed_;
  // What CheckInbox has read of the inbox: up to `seen_`, which gaps were
  // said to open to which teams, and the teams on each open gap's list.
  int64_t seen_ = 0;
  std::set<std::pair<std::string, std::string>> opened_;
  std::map<std::string, std::set<std::string>> listed_;
};

TEST_P(GapScopeTest, JudgingWhatChangedLeavesWhatJudgingEverythingWould) {
  ASSERT_TRUE(Apply({Sector(kCrisisTeam, true)}).ok());
  std::set<int> kinds;
  int closed = 0;
  // When each person's gaps were last judged.
  std::map<std::string, absl::Time> judged;
  for (int step = 0; step < 200; ++step) {
    now_ += absl::Hours(Pick(40));
    // One to three changes in one transaction, as a consumer's batch.
    std::vector<PositionedChange> batch;
    if (Pick(15) == 0) {
      // A team's sector changes; it reaches the plans at each person's next
      // change, as it did when every change judged everything.
      batch.push_back(Sector(kTurningTeam, Pick(2) == 0));
      for (const std::string& person : kPersons) {
        batch.push_back(Open(person, false));
      }
    }
    for (int n = 1 + Pick(3); n > 0; --n) {
      const std::string& person = kPersons[Pick(2)];
      const int what = Pick(14);
      if (what >= 12) {
        batch.push_back(BreakGlass(person));
      } else if (what < 4 || open_.empty()) {
        batch.push_back(Open(person, what == 0));
      } else if (what < 9) {
        batch.push_back(Answer());
      } else {
        batch.push_back(Plan(person));
      }
    }
    std::map<std::string, int> changes;
    for (const PositionedChange& change : batch) {
      if (!change.change.person_id.empty()) {
        judged[change.change.person_id] = now_;
        ++changes[change.change.person_id];
      }
    }
    std::set<std::string> several;
    for (const auto& [person, n] : changes) {
      if (n > 1) several.insert(absl::StrCat("persons/", person));
    }
    ASSERT_TRUE(Apply(std::move(batch)).ok()) << "step " << step;
    CheckInbox(judged, several);
    if (HasFatalFailure()) return;

    for (const std::string& person : kPersons) {
      if (!judged.count(person)) continue;
      const std::vector<std::string> gaps = Printed(Gaps(person));
      const int64_t inbox = InboxHead();
      // A merge of a person never seen into this one: nothing moves, and
      // every gap of theirs is judged again as of their last change (any
      // later change announces what fell due since, judged as it may be).
      PositionedChange merge = Change("directory", person);
      merge.change.time = judged[person];
      merge.change.merge = PersonMerge{absl::StrCat("dup", ++merges_), person};
      ASSERT_TRUE(Apply({merge}).ok()) << "step " << step;
      const std::vector<std::string> judged_all = Printed(Gaps(person));
      for (const std::string& gap : gaps) {
        EXPECT_THAT(judged_all, ::testing::Contains(gap))
            << "step " << step << ": judging everything changed or lost it";
      }
      for (const std::string& gap : judged_all) {
        EXPECT_THAT(gaps, ::testing::Contains(gap))
            << "step " << step << ": judging everything made it";
      }
      ASSERT_EQ(judged_all, gaps) << "step " << step;
      if (InboxHead() != inbox) {
        const auto extra = store_->event_log()->ReadAfter(inbox, 100);
        for (const events::v1::Event& e : extra.value()) {
          ADD_FAILURE() << "step " << step << ": judging everything said "
                        << e.ShortDebugString();
        }
      }
      ASSERT_EQ(InboxHead(), inbox) << "step " << step;
    }
  }
  for (const std::string& person : kPersons) {
    for (const v1::CareGap& gap : Gaps(person)) {
      kinds.insert(gap.kind());
      if (gap.has_close_time()) ++closed;
    }
  }
  // The walk made gaps of every kind and closed some (it tested
  // something).
  EXPECT_EQ(kinds.size(), v1::GapKind_ARRAYSIZE - 1);
  EXPECT_GT(closed, 20);
}

// At real size: one person referred 1,500 times (batches of 64, as a
// consumer applies a backlog), each step with a 4,000-character reason and
// summary, half the deadlines passed and a third of the referrals
// answered. Judging what changed leaves what judging everything would, and
// every overdue answer still open is said once to both its teams.
TEST_P(GapScopeTest,
       AtRealSizeJudgingWhatChangedLeavesWhatJudgingEverythingWould) {
  if (GetParam() != 1) GTEST_SKIP() << "one seed is enough at this size";
  const std::string text(4000, 'x');
  std::map<std::string, absl::Time> judged;
  for (int made = 0; made < 1500;) {
    std::vector<PositionedChange> batch;
    for (int n = 0; n < 64 && made < 1500; ++n, ++made) {
      now_ += absl::Minutes(5);
      batch.push_back(made % 3 == 2 ? Answer() : Open("p1", false));
      batch.back().change.entry->reason = text;
      batch.back().change.entry->summary = text;
    }
    judged["p1"] = now_;
    ASSERT_TRUE(Apply(std::move(batch)).ok()) << made;
  }
  CheckInbox(judged, {"persons/p1"});
  if (HasFatalFailure()) return;
  const std::vector<std::string> gaps = Printed(Gaps("p1"));
  const int64_t inbox = InboxHead();
  PositionedChange merge = Change("directory", "p1");
  merge.change.time = judged["p1"];
  merge.change.merge = PersonMerge{"dup-real-size", "p1"};
  ASSERT_TRUE(Apply({merge}).ok());
  EXPECT_EQ(Printed(Gaps("p1")), gaps);
  EXPECT_EQ(InboxHead(), inbox);
  int overdue_open = 0;
  for (const v1::CareGap& gap : Gaps("p1")) {
    if (gap.kind() == v1::ANSWER_OVERDUE && !gap.has_close_time() &&
        FromProtoTimestamp(gap.open_time()) <= now_) {
      ++overdue_open;
    }
  }
  EXPECT_GT(overdue_open, 100);
}

INSTANTIATE_TEST_SUITE_P(Seeds, GapScopeTest, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace carebridge::record
