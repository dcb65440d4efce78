// ReferralDomain's events: every change tells other services exactly once,
// with the referral as the API shows it after the change; a change that
// fails tells nothing.

#include <string>
#include <vector>

#include "services/common/time_util.h"
#include "services/referral/referral_domain_test_fixture.h"
#include "tests/support/status_matchers.h"

namespace carebridge::referral {
namespace {

using ::carebridge::testing::EqualsProto;
using ::testing::ElementsAre;
using ::testing::SizeIs;

v1::Referral PayloadOf(const events::v1::Event& event) {
  v1::Referral referral;
  EXPECT_TRUE(event.payload().UnpackTo(&referral)) << event.DebugString();
  return referral;
}

class ReferralDomainEventsTest : public ReferralDomainTest {
 protected:
  // The one event appended since `before` events were in the outbox.
  events::v1::Event OnlyEventSince(size_t before) {
    std::vector<events::v1::Event> events = Events();
    EXPECT_EQ(events.size(), before + 1);
    return events.size() == before + 1 ? events.back() : events::v1::Event();
  }

  // Checks `event` says `actor` made a change of `type` that left the
  // referral as `after` (which is also what Get shows now).
  void ExpectDescribes(const events::v1::Event& event, absl::string_view type,
                       const v1::Referral& after, absl::string_view actor) {
    EXPECT_EQ(event.type(), type);
    EXPECT_EQ(event.feed(), "referral");
    EXPECT_EQ(event.subject(), after.name());
    EXPECT_EQ(event.person(), kPerson);
    EXPECT_THAT(event.teams(),
                ElementsAre(after.sending_team(), after.receiving_team()));
    EXPECT_EQ(event.actor(), actor);
    EXPECT_EQ(FromProtoTimestamp(event.time()), clock_.Now());
    // What the person's sharing choices decide on is never in a feed.
    v1::Referral carried = after;
    carried.clear_risk_summary();
    carried.clear_withheld_from_receiving_team();
    EXPECT_THAT(PayloadOf(event), EqualsProto(carried));
    // Read by the sending team, a party to every referral here.
    v1::GetReferralRequest get;
    get.set_name(after.name());
    EXPECT_THAT(domain_->GetReferral(kAlice, get),
                ::carebridge::testing::IsOkAndHolds(EqualsProto(after)));
  }

  v1::Referral Acknowledged(const v1::Referral& sent) {
    v1::AcknowledgeReferralRequest request;
    request.set_name(sent.name());
    absl::StatusOr<v1::Referral> acknowledged =
        domain_->AcknowledgeReferral(kBob, request);
    EXPECT_TRUE(acknowledged.ok()) << acknowledged.status();
    return acknowledged.value_or(v1::Referral());
  }
};

TEST_F(ReferralDomainEventsTest, CreateTellsReferralCreated) {
  v1::Referral sent = Send();
  events::v1::Event event = OnlyEventSince(0);
  ExpectDescribes(event, "referral.created", sent, "members/alice");
  EXPECT_THAT(event.teams(), ElementsAre(kCmht, kCrisis));
  EXPECT_EQ(PayloadOf(event).etag(), "1");
}

TEST_F(ReferralDomainEventsTest, RetriedCreateTellsNothingMore) {
  v1::CreateReferralRequest request = CreateRequest();
  request.set_request_id("req-1");
  ASSERT_OK_AND_ASSIGN(v1::Referral first,
                       domain_->CreateReferral(kAlice, request));
  ASSERT_OK_AND_ASSIGN(v1::Referral retry,
                       domain_->CreateReferral(kAlice, request));
  EXPECT_EQ(retry.name(), first.name());
  EXPECT_THAT(Events(), SizeIs(1));
}

// The retry's check found nothing, then the first request committed before
// the retry's insert: the store returns the first, and only it was told.
TEST_F(ReferralDomainEventsTest, RetryRacingTheFirstRequestTellsOnce) {
  v1::CreateReferralRequest request = CreateRequest();
  request.set_request_id("req-1");
  absl::StatusOr<v1::Referral> first;
  store_->before_create = [&] {
    first = domain_->CreateReferral(kAlice, request);
  };
  ASSERT_OK_AND_ASSIGN(v1::Referral retry,
                       domain_->CreateReferral(kAlice, request));
  ASSERT_OK(first.status());
  EXPECT_EQ(retry.name(), first->name());
  std::vector<events::v1::Event> events = Events();
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].subject(), first->name());
}

TEST_F(ReferralDomainEventsTest, ReusedRequestIdTellsNothing) {
  v1::CreateReferralRequest request = CreateRequest();
  request.set_request_id("req-1");
  ASSERT_OK(domain_->CreateReferral(kAlice, request).status());
  request.mutable_referral()->set_reason("Something else entirely.");
  EXPECT_EQ(domain_->CreateReferral(kAlice, request).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Events(), SizeIs(1));
}

TEST_F(ReferralDomainEventsTest, EveryAnswerTellsItsOwnType) {
  v1::Referral sent = Send();
  clock_.Advance(absl::Minutes(5));
  v1::Referral acknowledged = Acknowledged(sent);
  ExpectDescribes(OnlyEventSince(1), "referral.acknowledged", acknowledged,
                  "members/bob");

  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(v1::Referral accepted, Accept(kBob, sent.name()));
  ExpectDescribes(OnlyEventSince(2), "referral.accepted", accepted,
                  "members/bob");

  clock_.Advance(absl::Minutes(5));
  v1::CompleteReferralRequest complete;
  complete.set_name(sent.name());
  ASSERT_OK_AND_ASSIGN(v1::Referral completed,
                       domain_->CompleteReferral(kBob, complete));
  ExpectDescribes(OnlyEventSince(3), "referral.completed", completed,
                  "members/bob");
}

TEST_F(ReferralDomainEventsTest, DeclineTellsReferralDeclined) {
  v1::Referral sent = Send();
  ASSERT_OK_AND_ASSIGN(
      v1::Referral declined,
      domain_->DeclineReferral(kBob, DeclineRequest(sent.name())));
  events::v1::Event event = OnlyEventSince(1);
  ExpectDescribes(event, "referral.declined", declined, "members/bob");
  EXPECT_TRUE(PayloadOf(event).has_onward_route());
}

TEST_F(ReferralDomainEventsTest, WithdrawTellsReferralWithdrawn) {
  v1::Referral sent = Send();
  v1::WithdrawReferralRequest request;
  request.set_name(sent.name());
  request.set_reason("The person found support elsewhere.");
  ASSERT_OK_AND_ASSIGN(v1::Referral withdrawn,
                       domain_->WithdrawReferral(kAlice, request));
  ExpectDescribes(OnlyEventSince(1), "referral.withdrawn", withdrawn,
                  "members/alice");
}

TEST_F(ReferralDomainEventsTest, RedirectTellsRedirectedThenCreated) {
  v1::Referral sent = Send();
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(
      v1::RedirectReferralResponse response,
      domain_->RedirectReferral(kBob, RedirectRequest(sent.name())));
  std::vector<events::v1::Event> events = Events();
  ASSERT_THAT(events, SizeIs(3));
  ExpectDescribes(events[1], "referral.redirected", response.redirected(),
                  "members/bob");
  ExpectDescribes(events[2], "referral.created", response.created(),
                  "members/bob");
  EXPECT_THAT(events[2].teams(), ElementsAre(kCmht, kVoluntary));
  EXPECT_EQ(events[2].sequence(), events[1].sequence() + 1);
}

TEST_F(ReferralDomainEventsTest, PayloadShowsOverdueAsGetWould) {
  v1::Referral sent = Send();
  clock_.Advance(absl::Hours(49));  // The crisis team's urgent deadline: 48h.
  v1::Referral acknowledged = Acknowledged(sent);
  ASSERT_TRUE(acknowledged.overdue());
  ExpectDescribes(OnlyEventSince(1), "referral.acknowledged", acknowledged,
                  "members/bob");
}

TEST_F(ReferralDomainEventsTest, StaleEtagTellsNothingAndChangesNothing) {
  v1::Referral sent = Send();
  v1::Referral acknowledged = Acknowledged(sent);
  EXPECT_EQ(Accept(kBob, sent.name(), sent.etag()).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_THAT(Events(), SizeIs(2));
  EXPECT_THAT(Reread(sent.name()), EqualsProto(acknowledged));
}

TEST_F(ReferralDomainEventsTest, IllegalTransitionTellsNothing) {
  v1::Referral sent = Send();
  ASSERT_OK_AND_ASSIGN(v1::Referral accepted, Accept(kBob, sent.name()));
  EXPECT_EQ(domain_->DeclineReferral(kBob, DeclineRequest(sent.name()))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(domain_->RedirectReferral(kBob, RedirectRequest(sent.name()))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Events(), SizeIs(2));
  EXPECT_THAT(Reread(sent.name()), EqualsProto(accepted));
}

// A change that lost a race and was re-run tells once: the losing write
// rolled back with its event.
TEST_F(ReferralDomainEventsTest, ReRunAfterLostRaceTellsOnce) {
  v1::Referral sent = Send();
  store_->before_write = [&] { Acknowledged(sent); };
  ASSERT_OK_AND_ASSIGN(v1::Referral accepted, Accept(kBob, sent.name()));
  std::vector<events::v1::Event> events = Events();
  ASSERT_THAT(events, SizeIs(3));
  EXPECT_EQ(events[1].type(), "referral.acknowledged");
  ExpectDescribes(events[2], "referral.accepted", accepted, "members/bob");
  EXPECT_EQ(accepted.etag(), "3");
}

}  // namespace
}  // namespace carebridge::referral
