#include "services/careplan/careplan_effects.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "carebridge/handover/v1/handover.pb.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "services/careplan/care_team.h"
#include "services/common/time_util.h"
#include "tests/support/status_matchers.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Kind = AcceptedHandOff::Kind;

constexpr char kSending[] = "teams/sending";
constexpr char kReceiving[] = "teams/receiving";
constexpr char kThird[] = "teams/third";
const absl::Time kNow = absl::FromUnixSeconds(1767225600);

// A care team entry before the event.
enum class Entry { kLead, kInvolved, kEnded };
struct Member {
  std::string team;
  Entry entry;
};

// A plan (version 3) with `members`; with no members and `exists` false,
// the empty plan of a person who has none.
v1::CarePlan PlanWith(const std::vector<Member>& members, bool exists = true) {
  v1::CarePlan plan;
  plan.set_person("persons/p1");
  if (exists) plan.set_version(3);
  for (const Member& member : members) {
    v1::CareTeamMember& entry = *plan.add_care_team();
    entry.set_team(member.team);
    entry.set_role("care coordination");
    *entry.mutable_start_time() = ToProtoTimestamp(kNow - absl::Hours(48));
    if (member.entry == Entry::kEnded) {
      *entry.mutable_end_time() = ToProtoTimestamp(kNow - absl::Hours(24));
    }
    if (member.entry == Entry::kLead) {
      entry.set_lead(true);
      plan.set_lead_team(member.team);
    }
  }
  return plan;
}

AcceptedHandOff HandOff(Kind kind) {
  AcceptedHandOff accepted;
  accepted.kind = kind;
  accepted.event_id = kind == Kind::kReferral ? "referral/42" : "handover/7";
  accepted.source = kind == Kind::kReferral ? "referrals/r1" : "handovers/h1";
  accepted.person_id = "p1";
  accepted.sending_team = kSending;
  accepted.receiving_team = kReceiving;
  return accepted;
}

// The role of `team`'s current entry; empty when it is not involved.
std::string RoleOf(const v1::CarePlan& plan, const std::string& team) {
  for (const v1::CareTeamMember& member : plan.care_team()) {
    if (member.team() == team && !member.has_end_time()) return member.role();
  }
  return "";
}

// One row of the rules: the plan before, and what the event makes of it.
struct EffectCase {
  std::string name;
  Kind kind;
  std::vector<Member> before;
  bool plan_exists;
  // Expected:
  bool changes;
  v1::Change::Kind change_kind;
  std::string lead_after;
  // The receiving team's role after; empty when it is not involved.
  std::string receiving_role;
  bool note;
};

const Member kSendingLeads{kSending, Entry::kLead};
const Member kSendingInvolved{kSending, Entry::kInvolved};
const Member kReceivingLeads{kReceiving, Entry::kLead};
const Member kReceivingInvolved{kReceiving, Entry::kInvolved};
const Member kReceivingEnded{kReceiving, Entry::kEnded};
const Member kThirdLeads{kThird, Entry::kLead};
const Member kSendingEnded{kSending, Entry::kEnded};

const v1::Change::Kind kNone = v1::Change::KIND_UNSPECIFIED;
const v1::Change::Kind kTeam = v1::Change::CARE_TEAM_CHANGED;
const v1::Change::Kind kLeadChanged = v1::Change::LEAD_CHANGED;

const EffectCase kCases[] = {
    // Accepted referral.
    {"ReferralWithNoPlanYetMakesReceivingTeamLead",
     Kind::kReferral,
     {},
     false,
     true,
     kTeam,
     kReceiving,
     kAcceptedReferralRole,
     false},
    {"ReferralWhenNobodyIsInvolvedMakesReceivingTeamLead",
     Kind::kReferral,
     {kSendingEnded},
     true,
     true,
     kTeam,
     kReceiving,
     kAcceptedReferralRole,
     false},
    {"ReferralJoinsAlongsideTheLead",
     Kind::kReferral,
     {kSendingLeads},
     true,
     true,
     kTeam,
     kSending,
     kAcceptedReferralRole,
     false},
    {"ReferralRejoinsATeamWhoseInvolvementEnded",
     Kind::kReferral,
     {kSendingLeads, kReceivingEnded},
     true,
     true,
     kTeam,
     kSending,
     kAcceptedReferralRole,
     false},
    {"ReferralToAnInvolvedTeamChangesNothing",
     Kind::kReferral,
     {kSendingLeads, kReceivingInvolved},
     true,
     false,
     kNone,
     kSending,
     "care coordination",
     false},
    {"ReferralToTheLeadChangesNothing",
     Kind::kReferral,
     {kReceivingLeads},
     true,
     false,
     kNone,
     kReceiving,
     "care coordination",
     false},
    // Accepted transfer of responsibility.
    {"TransferFromTheLeadPassesTheLead",
     Kind::kTransferOfResponsibility,
     {kSendingLeads},
     true,
     true,
     kLeadChanged,
     kReceiving,
     kDefaultLeadRole,
     false},
    {"TransferToAnInvolvedTeamPassesTheLeadInPlace",
     Kind::kTransferOfResponsibility,
     {kSendingLeads, kReceivingInvolved},
     true,
     true,
     kLeadChanged,
     kReceiving,
     "care coordination",
     false},
    {"TransferRedeliveredAfterTheLeadMovedChangesNothing",
     Kind::kTransferOfResponsibility,
     {kSendingInvolved, kReceivingLeads},
     true,
     false,
     kNone,
     kReceiving,
     "care coordination",
     false},
    {"TransferWithNoPlanYetMakesReceivingTeamLead",
     Kind::kTransferOfResponsibility,
     {},
     false,
     true,
     kLeadChanged,
     kReceiving,
     kDefaultLeadRole,
     false},
    {"TransferWhenNobodyIsInvolvedMakesReceivingTeamLead",
     Kind::kTransferOfResponsibility,
     {kSendingEnded},
     true,
     true,
     kLeadChanged,
     kReceiving,
     kDefaultLeadRole,
     false},
    {"TransferAfterAThirdTeamTookTheLeadJoinsAlongside",
     Kind::kTransferOfResponsibility,
     {kSendingInvolved, kThirdLeads},
     true,
     true,
     kTeam,
     kThird,
     kAcceptedHandoverRole,
     true},
    {"TransferAfterAThirdTeamTookTheLeadToAnInvolvedTeamChangesNothing",
     Kind::kTransferOfResponsibility,
     {kThirdLeads, kReceivingInvolved},
     true,
     false,
     kNone,
     kThird,
     "care coordination",
     true},
    // Accepted shared care.
    {"SharedCareJoinsAlongsideTheLead",
     Kind::kSharedCare,
     {kSendingLeads},
     true,
     true,
     kTeam,
     kSending,
     kSharedCareRole,
     false},
    {"SharedCareWithNoPlanYetMakesReceivingTeamLead",
     Kind::kSharedCare,
     {},
     false,
     true,
     kTeam,
     kReceiving,
     kSharedCareRole,
     false},
    {"SharedCareToAnInvolvedTeamChangesNothing",
     Kind::kSharedCare,
     {kSendingLeads, kReceivingInvolved},
     true,
     false,
     kNone,
     kSending,
     "care coordination",
     false},
    // Accepted information only.
    {"InformationOnlyChangesNothing",
     Kind::kInformationOnly,
     {kSendingLeads},
     true,
     false,
     kNone,
     kSending,
     "",
     false},
    {"InformationOnlyWithNoPlanChangesNothing",
     Kind::kInformationOnly,
     {},
     false,
     false,
     kNone,
     "",
     "",
     false},
};

class EffectRulesTest : public ::testing::TestWithParam<EffectCase> {};

TEST_P(EffectRulesTest, FollowsTheRule) {
  const EffectCase& c = GetParam();
  const v1::CarePlan before = PlanWith(c.before, c.plan_exists);
  absl::StatusOr<PlanEffect> effect = EffectOf(HandOff(c.kind), before, kNow);
  ASSERT_THAT(effect.status(), IsOk());

  EXPECT_EQ(effect->changes, c.changes);
  EXPECT_EQ(effect->note.empty(), !c.note) << effect->note;
  // Without a change the plan as it is answers the expectations.
  const v1::CarePlan& after = effect->changes ? effect->next : before;
  EXPECT_EQ(after.lead_team(), c.lead_after);
  EXPECT_EQ(RoleOf(after, kReceiving), c.receiving_role);
  EXPECT_THAT(CheckLeadInvariant(after), IsOk());
  if (!c.changes) return;

  EXPECT_EQ(effect->kind, c.change_kind);
  EXPECT_THAT(effect->reason,
              HasSubstr(c.kind == Kind::kReferral
                            ? "referral referrals/r1 accepted (event "
                              "referral/42)"
                            : "handover handovers/h1 accepted (event "
                              "handover/7)"));
  // The teams that were involved stay involved: hand-offs add, never end.
  for (const Member& member : c.before) {
    if (member.entry == Entry::kEnded) continue;
    EXPECT_THAT(RoleOf(after, member.team), Not(IsEmpty())) << member.team;
  }
  // Applying the same hand-off to its own result changes nothing more.
  absl::StatusOr<PlanEffect> again = EffectOf(HandOff(c.kind), after, kNow);
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_FALSE(again->changes);
}

INSTANTIATE_TEST_SUITE_P(Rules, EffectRulesTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<EffectCase>& info) {
                           return info.param.name;
                         });

TEST(EffectRulesTest, ThirdTeamLeadIsNamedInTheReason) {
  absl::StatusOr<PlanEffect> effect =
      EffectOf(HandOff(Kind::kTransferOfResponsibility),
               PlanWith({kSendingInvolved, kThirdLeads}), kNow);
  ASSERT_THAT(effect.status(), IsOk());
  EXPECT_THAT(effect->reason,
              HasSubstr("the lead stayed with teams/third because it had "
                        "moved since the handover was written"));
}

TEST(EffectRulesTest, JoiningTeamStartsNow) {
  absl::StatusOr<PlanEffect> effect =
      EffectOf(HandOff(Kind::kReferral), PlanWith({kSendingLeads}), kNow);
  ASSERT_THAT(effect.status(), IsOk());
  const v1::CareTeamMember& joined = effect->next.care_team(1);
  EXPECT_EQ(joined.team(), kReceiving);
  EXPECT_EQ(FromProtoTimestamp(joined.start_time()), kNow);
  EXPECT_FALSE(joined.lead());
}

TEST(EffectRulesTest, AJoinTheCareTeamDidNotSendIsMarkedForReview) {
  // Sent by a team on the care team: nothing to review.
  for (const Member& sender : {kSendingLeads, kSendingInvolved}) {
    absl::StatusOr<PlanEffect> effect =
        EffectOf(HandOff(Kind::kReferral),
                 sender.entry == Entry::kLead ? PlanWith({sender})
                                              : PlanWith({kThirdLeads, sender}),
                 kNow);
    ASSERT_THAT(effect.status(), IsOk());
    const v1::CareTeamMember& joined =
        effect->next.care_team(effect->next.care_team_size() - 1);
    EXPECT_EQ(joined.team(), kReceiving);
    EXPECT_FALSE(joined.unreviewed());
    EXPECT_EQ(joined.joined_through(), "");
  }
  // Sent from outside it (a referral or shared care): marked, with how.
  for (Kind kind : {Kind::kReferral, Kind::kSharedCare}) {
    absl::StatusOr<PlanEffect> effect =
        EffectOf(HandOff(kind), PlanWith({kThirdLeads}), kNow);
    ASSERT_THAT(effect.status(), IsOk());
    const v1::CareTeamMember& joined = effect->next.care_team(1);
    EXPECT_EQ(joined.team(), kReceiving);
    EXPECT_TRUE(joined.unreviewed());
    EXPECT_EQ(joined.joined_through(),
              kind == Kind::kReferral ? "referrals/r1" : "handovers/h1");
  }
  // The first team to join a plan nobody is on needs no review.
  absl::StatusOr<PlanEffect> first =
      EffectOf(HandOff(Kind::kReferral), PlanWith({}, false), kNow);
  ASSERT_THAT(first.status(), IsOk());
  EXPECT_FALSE(first->next.care_team(0).unreviewed());
}

// --- Parsing events ---------------------------------------------------------

events::v1::Event ReferralAccepted() {
  referral::v1::Referral referral;
  referral.set_name("referrals/r1");
  referral.set_person("persons/p1");
  referral.set_sending_team(kSending);
  referral.set_receiving_team(kReceiving);
  events::v1::Event event;
  event.set_sequence(42);
  event.set_feed("referral");
  event.set_id("referral/42");
  event.set_type("referral.accepted");
  event.mutable_payload()->PackFrom(referral);
  return event;
}

events::v1::Event HandoverAccepted(handover::v1::Kind kind) {
  handover::v1::Handover handover;
  handover.set_name("handovers/h1");
  handover.set_person("persons/p1");
  handover.set_sending_team(kSending);
  handover.set_receiving_team(kReceiving);
  handover.set_kind(kind);
  events::v1::Event event;
  event.set_sequence(7);
  event.set_feed("handover");
  event.set_type("handover.accepted");
  event.mutable_payload()->PackFrom(handover);
  return event;
}

TEST(ParseAcceptedEventTest, ReadsAnAcceptedReferral) {
  absl::StatusOr<std::optional<AcceptedHandOff>> parsed =
      ParseAcceptedEvent(ReferralAccepted());
  ASSERT_THAT(parsed.status(), IsOk());
  ASSERT_TRUE(parsed->has_value());
  const AcceptedHandOff& accepted = **parsed;
  EXPECT_EQ(accepted.kind, Kind::kReferral);
  EXPECT_EQ(accepted.event_id, "referral/42");
  EXPECT_EQ(accepted.source, "referrals/r1");
  EXPECT_EQ(accepted.person_id, "p1");
  EXPECT_EQ(accepted.sending_team, kSending);
  EXPECT_EQ(accepted.receiving_team, kReceiving);
}

TEST(ParseAcceptedEventTest, ReadsEachHandoverKind) {
  const std::pair<handover::v1::Kind, Kind> kinds[] = {
      {handover::v1::TRANSFER_OF_RESPONSIBILITY,
       Kind::kTransferOfResponsibility},
      {handover::v1::SHARED_CARE, Kind::kSharedCare},
      {handover::v1::INFORMATION_ONLY, Kind::kInformationOnly},
  };
  for (const auto& [wire, kind] : kinds) {
    absl::StatusOr<std::optional<AcceptedHandOff>> parsed =
        ParseAcceptedEvent(HandoverAccepted(wire));
    ASSERT_THAT(parsed.status(), IsOk());
    ASSERT_TRUE(parsed->has_value());
    EXPECT_EQ((*parsed)->kind, kind);
    EXPECT_EQ((*parsed)->source, "handovers/h1");
    // Without an id the position names the event.
    EXPECT_EQ((*parsed)->event_id, "handover/7");
  }
}

TEST(ParseAcceptedEventTest, OtherTypesAreNotActedOn) {
  for (const char* type :
       {"referral.created", "referral.declined", "handover.created",
        "handover.declined", "handover.escalated", "careplan.lead_changed"}) {
    events::v1::Event event = ReferralAccepted();
    event.set_type(type);
    absl::StatusOr<std::optional<AcceptedHandOff>> parsed =
        ParseAcceptedEvent(event);
    ASSERT_THAT(parsed.status(), IsOk()) << type;
    EXPECT_FALSE(parsed->has_value()) << type;
  }
}

TEST(ParseAcceptedEventTest, PayloadOfAnotherTypeIsInvalid) {
  events::v1::Event event = ReferralAccepted();
  event.set_type("handover.accepted");
  EXPECT_THAT(ParseAcceptedEvent(event).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("event referral/42: payload is not a "
                                 "carebridge.handover.v1.Handover")));
  event = ReferralAccepted();
  event.clear_payload();
  EXPECT_THAT(ParseAcceptedEvent(event).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseAcceptedEventTest, MissingPartiesAreInvalid) {
  referral::v1::Referral referral;
  ASSERT_TRUE(ReferralAccepted().payload().UnpackTo(&referral));
  for (int field = 0; field < 3; ++field) {
    referral::v1::Referral broken = referral;
    if (field == 0) broken.set_person("people/p1");
    if (field == 1) broken.clear_sending_team();
    if (field == 2) broken.set_receiving_team("teams/");
    events::v1::Event event = ReferralAccepted();
    event.mutable_payload()->PackFrom(broken);
    EXPECT_THAT(ParseAcceptedEvent(event).status(),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << field;
  }
}

TEST(ParseAcceptedEventTest, HandoverWithoutKindIsInvalid) {
  EXPECT_THAT(
      ParseAcceptedEvent(HandoverAccepted(handover::v1::KIND_UNSPECIFIED))
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("payload.kind: must be set")));
}

}  // namespace
}  // namespace carebridge::careplan
