// CarePlanDomain::ApplyEvent: accepted referrals and handovers from other
// services' feeds, applied effectively once.

#include "absl/strings/str_cat.h"
#include "carebridge/handover/v1/handover.pb.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "services/careplan/care_team.h"
#include "services/careplan/careplan_domain_test_fixture.h"
#include "services/careplan/careplan_effects.h"
#include "services/common/time_util.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::SizeIs;

events::v1::Event ReferralAccepted(int64_t sequence,
                                   const std::string& receiving,
                                   const std::string& person = kPerson,
                                   const std::string& sending = kCmht) {
  referral::v1::Referral referral;
  referral.set_name(absl::StrCat("referrals/r", sequence));
  referral.set_person(person);
  referral.set_sending_team(sending);
  referral.set_receiving_team(receiving);
  events::v1::Event event;
  event.set_sequence(sequence);
  event.set_feed("referral");
  event.set_id(absl::StrCat("referral/", sequence));
  event.set_type("referral.accepted");
  event.mutable_payload()->PackFrom(referral);
  return event;
}

events::v1::Event HandoverAccepted(int64_t sequence, handover::v1::Kind kind,
                                   const std::string& sending,
                                   const std::string& receiving) {
  handover::v1::Handover handover;
  handover.set_name(absl::StrCat("handovers/h", sequence));
  handover.set_person(kPerson);
  handover.set_sending_team(sending);
  handover.set_receiving_team(receiving);
  handover.set_kind(kind);
  events::v1::Event event;
  event.set_sequence(sequence);
  event.set_feed("handover");
  event.set_id(absl::StrCat("handover/", sequence));
  event.set_type("handover.accepted");
  event.mutable_payload()->PackFrom(handover);
  return event;
}

class CarePlanDomainEventsTest : public CarePlanDomainTest {
 protected:
  v1::CarePlan Current(absl::string_view person_id = "p1") {
    absl::StatusOr<v1::CarePlan> plan = sqlite_->GetCurrent(person_id);
    EXPECT_THAT(plan.status(), IsOk());
    return plan.value_or(v1::CarePlan());
  }
  int64_t Events() { return sqlite_->event_log()->Head().value_or(-1); }
};

TEST_F(CarePlanDomainEventsTest, AcceptedReferralCreatesThePlanWithTheLead) {
  clock_.Advance(absl::Minutes(3));
  ASSERT_THAT(domain_->ApplyEvent(ReferralAccepted(42, kCrisis)), IsOk());

  v1::CarePlan plan = Current();
  EXPECT_EQ(plan.version(), 1);
  EXPECT_EQ(plan.change().kind(), v1::Change::CARE_TEAM_CHANGED);
  EXPECT_EQ(plan.change().actor(), "services/careplan");
  EXPECT_EQ(plan.change().reason(),
            "referral referrals/r42 accepted (event referral/42)");
  EXPECT_THAT(plan.change().sections(), ElementsAre(v1::CARE_TEAM));
  EXPECT_EQ(plan.lead_team(), kCrisis);
  ASSERT_THAT(plan.care_team(), SizeIs(1));
  EXPECT_EQ(plan.care_team(0).role(), kAcceptedReferralRole);
  EXPECT_EQ(FromProtoTimestamp(plan.create_time()), clock_.Now());
  EXPECT_THAT(domain_->AppliedThrough("referral"), IsOkAndHolds(42));
  EXPECT_EQ(Events(), 1);
}

TEST_F(CarePlanDomainEventsTest, NeverAsksTheDirectory) {
  // The referral service validated the person; the directory may be down.
  directory_.FailWith(absl::UnavailableError("directory down"));
  ASSERT_THAT(domain_->ApplyEvent(
                  ReferralAccepted(1, kCrisis, /*person=*/"persons/p9")),
              IsOk());
  EXPECT_EQ(Current("p9").lead_team(), kCrisis);
}

TEST_F(CarePlanDomainEventsTest, SameEventTwiceMakesOneVersion) {
  ASSERT_THAT(domain_->ApplyEvent(ReferralAccepted(5, kCrisis)), IsOk());
  ASSERT_THAT(domain_->ApplyEvent(ReferralAccepted(5, kCrisis)), IsOk());
  // An older event redelivered after a newer one was applied.
  ASSERT_THAT(domain_->ApplyEvent(ReferralAccepted(6, kVoluntary)), IsOk());
  ASSERT_THAT(domain_->ApplyEvent(ReferralAccepted(5, kCrisis)), IsOk());
  EXPECT_THAT(History(), ElementsAre(Pair(2, v1::Change::CARE_TEAM_CHANGED),
                                     Pair(1, v1::Change::CARE_TEAM_CHANGED)));
  EXPECT_EQ(store_->appends, 2);
  EXPECT_EQ(Events(), 2);
}

TEST_F(CarePlanDomainEventsTest, SecondReferralJoinsAlongsideTheLead) {
  ASSERT_THAT(domain_->ApplyEvent(ReferralAccepted(1, kCrisis)), IsOk());
  ASSERT_THAT(domain_->ApplyEvent(ReferralAccepted(2, kVoluntary)), IsOk());
  v1::CarePlan plan = Current();
  EXPECT_EQ(plan.lead_team(), kCrisis);
  ASSERT_THAT(plan.care_team(), SizeIs(2));
  EXPECT_EQ(plan.care_team(1).team(), kVoluntary);
  EXPECT_FALSE(plan.care_team(1).lead());
}

TEST_F(CarePlanDomainEventsTest, ReferralToAnInvolvedTeamMovesOnlyTheCursor) {
  WriteGoals(kAlice, {"Sleep better"});  // cmht leads
  ASSERT_THAT(domain_->ApplyEvent(ReferralAccepted(7, kCmht)), IsOk());
  EXPECT_EQ(StoredVersion(), 1);
  EXPECT_EQ(Events(), 1);
  EXPECT_THAT(domain_->AppliedThrough("referral"), IsOkAndHolds(7));
}

TEST_F(CarePlanDomainEventsTest, OtherEventTypesMoveOnlyTheCursor) {
  events::v1::Event declined = ReferralAccepted(3, kCrisis);
  declined.set_type("referral.declined");
  ASSERT_THAT(domain_->ApplyEvent(declined), IsOk());
  EXPECT_EQ(StoredVersion(), 0);
  EXPECT_THAT(domain_->AppliedThrough("referral"), IsOkAndHolds(3));
}

// A lasting error, so the consumer parks the event (never skipped silently,
// never holding up the feed).
TEST_F(CarePlanDomainEventsTest, MalformedEventIsRefusedForTheConsumerToPark) {
  events::v1::Event broken = ReferralAccepted(4, kCrisis);
  broken.clear_payload();
  EXPECT_THAT(domain_->ApplyEvent(broken),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("payload is not")));
  EXPECT_EQ(StoredVersion(), 0);
  EXPECT_THAT(domain_->AppliedThrough("referral"), IsOkAndHolds(0));
}

TEST_F(CarePlanDomainEventsTest, ARetriedParkedEventIsAppliedOnceAndMarked) {
  const events::v1::Event accepted = ReferralAccepted(4, kCrisis);
  ASSERT_THAT(sqlite_->consumer_ledger()->Park("referral", accepted, "why", 5,
                                               clock_.Now()),
              IsOk());
  EXPECT_THAT(domain_->AppliedThrough("referral"), IsOkAndHolds(4));
  // The consumer's own redelivery is below the cursor: nothing happens.
  ASSERT_THAT(domain_->ApplyEvent(accepted), IsOk());
  EXPECT_EQ(StoredVersion(), 0);

  FeedPosition retry("referral", 4);
  retry.parked_id = 1;
  retry.retried_by = "members/admin";
  retry.retry_time = clock_.Now();
  ASSERT_THAT(domain_->ApplyEvent(accepted, retry), IsOk());
  EXPECT_EQ(StoredVersion(), 1);
  ASSERT_OK_AND_ASSIGN(ParkedEvent parked,
                       sqlite_->consumer_ledger()->GetParked("referral", 1));
  EXPECT_EQ(parked.event.sequence(), 4);
  EXPECT_EQ(parked.state, ParkedState::kApplied);
  EXPECT_EQ(parked.resolved_by, "members/admin");
  // Retried again: no second version.
  ASSERT_THAT(domain_->ApplyEvent(accepted, retry), IsOk());
  EXPECT_EQ(StoredVersion(), 1);
}

TEST_F(CarePlanDomainEventsTest, APositionThatIsNotTheEventsIsInvalid) {
  EXPECT_THAT(domain_->ApplyEvent(ReferralAccepted(4, kCrisis),
                                  FeedPosition("referral", 5)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(StoredVersion(), 0);
}

TEST_F(CarePlanDomainEventsTest, EventWithoutPositionIsInvalid) {
  events::v1::Event event = ReferralAccepted(4, kCrisis);
  event.clear_feed();
  EXPECT_THAT(domain_->ApplyEvent(event),
              StatusIs(absl::StatusCode::kInvalidArgument));
  event = ReferralAccepted(0, kCrisis);
  EXPECT_THAT(domain_->ApplyEvent(event),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(StoredVersion(), 0);
}

TEST_F(CarePlanDomainEventsTest, LostRaceIsAppliedToTheNewerPlan) {
  WriteGoals(kAlice, {"Sleep better"});
  store_->before_append = [&] { WriteGoals(kAlice, {"Walk daily"}); };
  ASSERT_THAT(domain_->ApplyEvent(ReferralAccepted(1, kCrisis)), IsOk());
  v1::CarePlan plan = Current();
  EXPECT_EQ(plan.version(), 3);
  EXPECT_EQ(plan.goals(0).description(), "Walk daily");
  EXPECT_EQ(plan.care_team(1).team(), kCrisis);
  EXPECT_THAT(domain_->AppliedThrough("referral"), IsOkAndHolds(1));
}

TEST_F(CarePlanDomainEventsTest, ConcurrentDeliveryOfTheSameEventAppliesOnce) {
  WriteGoals(kAlice, {"Sleep better"});
  // Another delivery applies the event just before this one appends.
  store_->before_append = [&] {
    ASSERT_THAT(domain_->ApplyEvent(ReferralAccepted(1, kCrisis)), IsOk());
  };
  ASSERT_THAT(domain_->ApplyEvent(ReferralAccepted(1, kCrisis)), IsOk());
  EXPECT_EQ(StoredVersion(), 2);
}

// --- Handovers --------------------------------------------------------------

TEST_F(CarePlanDomainEventsTest, AcceptedTransferPassesTheLead) {
  WriteGoals(kAlice, {"Sleep better"});  // cmht leads
  ASSERT_THAT(domain_->ApplyEvent(HandoverAccepted(
                  1, handover::v1::TRANSFER_OF_RESPONSIBILITY, kCmht, kCrisis)),
              IsOk());
  v1::CarePlan plan = Current();
  EXPECT_EQ(plan.version(), 2);
  EXPECT_EQ(plan.change().kind(), v1::Change::LEAD_CHANGED);
  EXPECT_EQ(plan.change().reason(),
            "handover handovers/h1 accepted (event handover/1)");
  EXPECT_EQ(plan.lead_team(), kCrisis);
  EXPECT_TRUE(IsInvolved(plan, kCmht));
  EXPECT_THAT(domain_->AppliedThrough("handover"), IsOkAndHolds(1));
}

TEST_F(CarePlanDomainEventsTest, TransferSeenAgainAfterTheLeadMovedIsANoOp) {
  WriteGoals(kAlice, {"Sleep better"});
  ASSERT_THAT(domain_->ApplyEvent(HandoverAccepted(
                  1, handover::v1::TRANSFER_OF_RESPONSIBILITY, kCmht, kCrisis)),
              IsOk());
  // The same handover under a later position (a replayed feed): the lead
  // has moved to the receiving team, so nothing is left to do.
  ASSERT_THAT(domain_->ApplyEvent(HandoverAccepted(
                  2, handover::v1::TRANSFER_OF_RESPONSIBILITY, kCmht, kCrisis)),
              IsOk());
  EXPECT_EQ(StoredVersion(), 2);
  EXPECT_THAT(domain_->AppliedThrough("handover"), IsOkAndHolds(2));
}

TEST_F(CarePlanDomainEventsTest, TransferAfterAThirdTeamTookTheLeadKeepsIt) {
  WriteGoals(kAlice, {"Sleep better"});  // cmht leads
  ASSERT_OK(SetLead(kAlice, kVoluntary).status());
  ASSERT_THAT(domain_->ApplyEvent(HandoverAccepted(
                  1, handover::v1::TRANSFER_OF_RESPONSIBILITY, kCmht, kCrisis)),
              IsOk());
  v1::CarePlan plan = Current();
  EXPECT_EQ(plan.lead_team(), kVoluntary);
  EXPECT_TRUE(IsInvolved(plan, kCrisis));
  EXPECT_EQ(plan.change().kind(), v1::Change::CARE_TEAM_CHANGED);
  EXPECT_THAT(plan.change().reason(),
              ::testing::HasSubstr("the lead stayed with teams/vcs"));
}

TEST_F(CarePlanDomainEventsTest, SharedCareJoinsAlongside) {
  WriteGoals(kAlice, {"Sleep better"});
  ASSERT_THAT(domain_->ApplyEvent(HandoverAccepted(1, handover::v1::SHARED_CARE,
                                                   kCmht, kVoluntary)),
              IsOk());
  v1::CarePlan plan = Current();
  EXPECT_EQ(plan.lead_team(), kCmht);
  EXPECT_TRUE(IsInvolved(plan, kVoluntary));
  EXPECT_EQ(plan.care_team(1).role(), kSharedCareRole);
}

TEST_F(CarePlanDomainEventsTest, InformationOnlyMovesOnlyTheCursor) {
  WriteGoals(kAlice, {"Sleep better"});
  ASSERT_THAT(domain_->ApplyEvent(HandoverAccepted(
                  3, handover::v1::INFORMATION_ONLY, kCmht, kVoluntary)),
              IsOk());
  EXPECT_EQ(StoredVersion(), 1);
  EXPECT_THAT(domain_->AppliedThrough("handover"), IsOkAndHolds(3));
  EXPECT_THAT(domain_->AppliedThrough("referral"), IsOkAndHolds(0));
}

TEST_F(CarePlanDomainEventsTest, AppliedVersionIsInTheCarePlanFeed) {
  ASSERT_THAT(domain_->ApplyEvent(ReferralAccepted(1, kCrisis)), IsOk());
  ASSERT_OK_AND_ASSIGN(std::vector<events::v1::Event> events,
                       sqlite_->event_log()->ReadAfter(0, 10));
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].type(), "careplan.care_team_changed");
  EXPECT_EQ(events[0].actor(), "services/careplan");
  EXPECT_THAT(events[0].teams(), ElementsAre(kCrisis));
}

// --- A team joining from outside the care team -----------------------------

class CarePlanDomainJoinsTest : public CarePlanDomainEventsTest {
 protected:
  void SetUp() override {
    CarePlanDomainEventsTest::SetUp();
    person_ = Caller(kPerson, "", Role::kPerson);
    other_person_ = Caller("persons/p2", "", Role::kPerson);
    // The community team leads; the voluntary team, not on the care team,
    // refers to the crisis team, which accepts and joins.
    WriteGoals(kAlice, {"One"});
    ASSERT_THAT(
        domain_->ApplyEvent(ReferralAccepted(7, kCrisis, kPerson, kVoluntary)),
        IsOk());
  }

  absl::StatusOr<v1::CarePlan> Review(
      const Principal& caller, const std::string& team,
      const std::string& reason = "Talked it through with Sam") {
    v1::ReviewCareTeamJoinRequest request;
    request.set_name(kPlan);
    request.set_team(team);
    request.set_reason(reason);
    return domain_->ReviewCareTeamJoin(caller, request);
  }

  const v1::CareTeamMember& Entry(const v1::CarePlan& plan,
                                  const std::string& team) {
    for (const v1::CareTeamMember& member : plan.care_team()) {
      if (member.team() == team && !member.has_end_time()) return member;
    }
    static const v1::CareTeamMember kNone;
    return kNone;
  }

  Principal person_, other_person_;
};

TEST_F(CarePlanDomainJoinsTest, TheJoinIsShownUntilTheLeadTeamReviewsIt) {
  const v1::CarePlan joined = Current();
  EXPECT_TRUE(Entry(joined, kCrisis).unreviewed());
  EXPECT_EQ(Entry(joined, kCrisis).joined_through(), "referrals/r7");
  // The person sees it on their plan.
  ASSERT_OK_AND_ASSIGN(v1::CarePlan seen, Get(person_));
  EXPECT_TRUE(Entry(seen, kCrisis).unreviewed());

  clock_.Advance(absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(v1::CarePlan reviewed, Review(kAlice, kCrisis));
  EXPECT_EQ(reviewed.version(), joined.version() + 1);
  EXPECT_FALSE(Entry(reviewed, kCrisis).unreviewed());
  EXPECT_EQ(Entry(reviewed, kCrisis).joined_through(), "referrals/r7");
  EXPECT_EQ(reviewed.change().kind(), v1::Change::CARE_TEAM_CHANGED);
  EXPECT_EQ(reviewed.change().actor(), kAlice.subject);
  EXPECT_EQ(reviewed.change().reason(), "Talked it through with Sam");
  EXPECT_TRUE(IsInvolved(reviewed, kCrisis));
  // Reviewed once is enough.
  EXPECT_THAT(Review(kAlice, kCrisis),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("needs no review")));
}

TEST_F(CarePlanDomainJoinsTest, ThePersonMayReviewTheJoin) {
  ASSERT_OK_AND_ASSIGN(v1::CarePlan reviewed, Review(person_, kCrisis));
  EXPECT_FALSE(Entry(reviewed, kCrisis).unreviewed());
  EXPECT_EQ(reviewed.change().actor(), kPerson);
}

TEST_F(CarePlanDomainJoinsTest, ThePersonObjectsAndTheTeamLosesAccess) {
  ASSERT_THAT(Get(kBob), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::CarePlan ended, End(person_, kCrisis));
  EXPECT_FALSE(IsInvolved(ended, kCrisis));
  EXPECT_EQ(ended.change().actor(), kPerson);
  EXPECT_EQ(ended.change().reason(), "Support finished");
  EXPECT_THAT(Get(kBob), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(CarePlanDomainJoinsTest, OnlyThePersonOrTheLeadTeamReviews) {
  const int64_t before = StoredVersion();
  // The team that joined cannot wave its own join through.
  EXPECT_THAT(Review(kBob, kCrisis),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("only persons/p1 or clinical staff of their "
                                 "lead team")));
  // A team not involved learns nothing, not even who leads.
  EXPECT_THAT(Review(kVal, kCrisis),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("teams/vcs is not involved")));
  EXPECT_THAT(Review(kAdmin, kCrisis),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Review(kRecordService, kCrisis),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Review(other_person_, kCrisis),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(StoredVersion(), before);
}

TEST_F(CarePlanDomainJoinsTest, ThePersonCannotEndTheLeadOrAnotherPersonsTeam) {
  const int64_t before = StoredVersion();
  EXPECT_THAT(End(person_, kCmht),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("but the lead team's (teams/cmht)")));
  EXPECT_THAT(End(other_person_, kCrisis),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Another person learns nothing of a plan that does not exist either.
  v1::EndCareTeamInvolvementRequest request;
  request.set_name("persons/p404/carePlan");
  request.set_team(kCrisis);
  request.set_reason("x");
  EXPECT_THAT(domain_->EndCareTeamInvolvement(other_person_, request),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(StoredVersion(), before);
}

TEST_F(CarePlanDomainJoinsTest, BadReviewsNameTheFieldAndChangeNothing) {
  const int64_t before = StoredVersion();
  EXPECT_THAT(
      Review(kAlice, kCrisis, ""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(
      Review(kAlice, kCrisis, std::string(501, 'r')),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(Review(kAlice, "crisis"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("team")));
  EXPECT_THAT(Review(kAlice, kVoluntary),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Review(kAlice, kCmht),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(StoredVersion(), before);
}

TEST_F(CarePlanDomainJoinsTest, AReferralFromTheCareTeamNeedsNoReview) {
  ASSERT_THAT(domain_->ApplyEvent(ReferralAccepted(8, kVoluntary)), IsOk());
  EXPECT_FALSE(Entry(Current(), kVoluntary).unreviewed());
  EXPECT_EQ(Entry(Current(), kVoluntary).joined_through(), "");
}

TEST_F(CarePlanDomainJoinsTest, ATeamNotReviewedBringsInNobodyUnseen) {
  // It may add no team itself ...
  const int64_t before = StoredVersion();
  EXPECT_THAT(Add(kBob, kVoluntary),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("its join is not reviewed yet")));
  EXPECT_EQ(StoredVersion(), before);
  // ... and a team it refers joins marked for review too.
  ASSERT_THAT(
      domain_->ApplyEvent(ReferralAccepted(9, kVoluntary, kPerson, kCrisis)),
      IsOk());
  EXPECT_TRUE(Entry(Current(), kVoluntary).unreviewed());
  EXPECT_EQ(Entry(Current(), kVoluntary).joined_through(), "referrals/r9");
  // Once reviewed, it is on the care team like any other.
  ASSERT_THAT(Review(kAlice, kCrisis).status(), IsOk());
  ASSERT_THAT(End(kAlice, kVoluntary).status(), IsOk());
  EXPECT_THAT(Add(kBob, kVoluntary).status(), IsOk());
}

TEST_F(CarePlanDomainJoinsTest, ATeamGivenTheLeadCannotReviewItsOwnJoin) {
  ASSERT_THAT(SetLead(kAlice, kCrisis).status(), IsOk());
  const int64_t before = StoredVersion();
  EXPECT_THAT(Review(kBob, kCrisis),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("cannot review its own join")));
  EXPECT_TRUE(Entry(Current(), kCrisis).unreviewed());
  EXPECT_EQ(StoredVersion(), before);
  EXPECT_THAT(Review(person_, kCrisis).status(), IsOk());
  // Reviewed, there is nothing left for it to review.
  EXPECT_THAT(Review(kBob, kCrisis),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("needs no review")));
}

}  // namespace
}  // namespace carebridge::careplan
