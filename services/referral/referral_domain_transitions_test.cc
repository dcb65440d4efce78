// ReferralDomain: answering, withdrawing, declining and redirecting.

#include <string>
#include <thread>
#include <vector>

#include "services/common/time_util.h"
#include "services/referral/referral_domain_test_fixture.h"

namespace carebridge::referral {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// --- State changes ---

TEST_F(ReferralDomainTest, AcknowledgeRecordsWhoWhenAndNote) {
  v1::Referral sent = Send();
  clock_.Advance(absl::Minutes(10));
  v1::AcknowledgeReferralRequest request;
  request.set_name(sent.name());
  request.set_note("Seen by duty worker.");
  ASSERT_OK_AND_ASSIGN(v1::Referral acknowledged,
                       domain_->AcknowledgeReferral(kBob, request));
  EXPECT_EQ(acknowledged.state(), v1::ACKNOWLEDGED);
  EXPECT_NE(acknowledged.etag(), sent.etag());
  EXPECT_EQ(FromProtoTimestamp(acknowledged.update_time()), clock_.Now());
  ASSERT_THAT(acknowledged.history(), SizeIs(2));
  const v1::ReferralEvent& event = acknowledged.history(1);
  EXPECT_EQ(event.action(), v1::ReferralEvent::ACKNOWLEDGED);
  EXPECT_EQ(event.actor(), "members/bob");
  EXPECT_EQ(event.actor_team(), kCrisis);
  EXPECT_EQ(event.from_state(), v1::SENT);
  EXPECT_EQ(event.to_state(), v1::ACKNOWLEDGED);
  EXPECT_EQ(event.note(), "Seen by duty worker.");
  EXPECT_EQ(FromProtoTimestamp(event.time()), clock_.Now());
}

TEST_F(ReferralDomainTest, OnlyTheReceivingTeamAnswers) {
  v1::Referral sent = Send();
  for (const Principal& caller : {kAlice, kVal}) {
    EXPECT_EQ(Accept(caller, sent.name()).status().code(),
              absl::StatusCode::kPermissionDenied)
        << caller.subject;
    EXPECT_EQ(domain_->DeclineReferral(caller, DeclineRequest(sent.name()))
                  .status()
                  .code(),
              absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(domain_->RedirectReferral(caller, RedirectRequest(sent.name()))
                  .status()
                  .code(),
              absl::StatusCode::kPermissionDenied);
  }
  v1::Referral unchanged = Reread(sent.name());
  EXPECT_EQ(unchanged.state(), v1::SENT);
}

// An answer is a person's decision, recorded against them and their team.
TEST_F(ReferralDomainTest, ServicesNeitherAnswerNorWithdraw) {
  v1::Referral sent = Send();
  Principal service;
  service.subject = "services/record";
  service.role = Role::kService;
  EXPECT_EQ(Accept(service, sent.name()).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::WithdrawReferralRequest withdraw;
  withdraw.set_name(sent.name());
  withdraw.set_reason("Automated clean-up.");
  EXPECT_EQ(domain_->WithdrawReferral(service, withdraw).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Reread(sent.name()).state(), v1::SENT);
}

TEST_F(ReferralDomainTest, OnlyTheSendingTeamWithdraws) {
  v1::Referral sent = Send();
  v1::WithdrawReferralRequest request;
  request.set_name(sent.name());
  request.set_reason("Person has moved out of area.");
  EXPECT_EQ(domain_->WithdrawReferral(kBob, request).status().code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_OK_AND_ASSIGN(v1::Referral withdrawn,
                       domain_->WithdrawReferral(kAlice, request));
  EXPECT_EQ(withdrawn.state(), v1::WITHDRAWN);
  EXPECT_EQ(withdrawn.history(1).note(), "Person has moved out of area.");
}

TEST_F(ReferralDomainTest, WithdrawNeedsAReason) {
  v1::Referral sent = Send();
  v1::WithdrawReferralRequest request;
  request.set_name(sent.name());
  EXPECT_EQ(domain_->WithdrawReferral(kAlice, request).status().message(),
            "reason: must be set");
}

TEST_F(ReferralDomainTest, IllegalTransitionNamesTheCurrentState) {
  v1::Referral sent = Send();
  ASSERT_OK(Accept(kBob, sent.name()).status());
  absl::Status status =
      domain_->DeclineReferral(kBob, DeclineRequest(sent.name())).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            absl::StrCat(sent.name(), " is ACCEPTED; it cannot be declined"));
  EXPECT_EQ(Accept(kBob, sent.name()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ReferralDomainTest, CompleteFollowsAcceptance) {
  v1::Referral sent = Send();
  v1::CompleteReferralRequest complete;
  complete.set_name(sent.name());
  complete.set_note("Crisis resolved; back with CMHT.");
  EXPECT_EQ(domain_->CompleteReferral(kBob, complete).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_OK(Accept(kBob, sent.name()).status());
  ASSERT_OK_AND_ASSIGN(v1::Referral completed,
                       domain_->CompleteReferral(kBob, complete));
  EXPECT_EQ(completed.state(), v1::COMPLETED);
  EXPECT_THAT(completed.history(), SizeIs(3));
}

TEST_F(ReferralDomainTest, StaleEtagIsAbortedAndCurrentEtagWorks) {
  v1::Referral sent = Send();
  v1::AcknowledgeReferralRequest ack;
  ack.set_name(sent.name());
  ack.set_etag(sent.etag());
  ASSERT_OK_AND_ASSIGN(v1::Referral acknowledged,
                       domain_->AcknowledgeReferral(kBob, ack));
  absl::Status stale = Accept(kBob, sent.name(), sent.etag()).status();
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(stale.message()), HasSubstr(sent.name()));
  ASSERT_OK_AND_ASSIGN(v1::Referral accepted,
                       Accept(kBob, sent.name(), acknowledged.etag()));
  EXPECT_EQ(accepted.state(), v1::ACCEPTED);
}

TEST_F(ReferralDomainTest, LostRaceWithEtagIsAbortedAndWritesNothing) {
  v1::Referral sent = Send();
  store_->before_write = [&] { ASSERT_OK(Accept(kBob, sent.name()).status()); };
  v1::DeclineReferralRequest decline = DeclineRequest(sent.name());
  decline.set_etag(sent.etag());
  EXPECT_EQ(domain_->DeclineReferral(kBob, decline).status().code(),
            absl::StatusCode::kAborted);
  v1::Referral now = Reread(sent.name());
  EXPECT_EQ(now.state(), v1::ACCEPTED);
  EXPECT_THAT(now.history(), SizeIs(2));
}

TEST_F(ReferralDomainTest, LostRaceWithoutEtagIsRetriedOnTheNewState) {
  v1::Referral sent = Send();
  v1::AcknowledgeReferralRequest ack;
  ack.set_name(sent.name());
  store_->before_write = [&] {
    ASSERT_OK(domain_->AcknowledgeReferral(kBob, ack).status());
  };
  // Accepting retries on ACKNOWLEDGED and succeeds.
  ASSERT_OK_AND_ASSIGN(v1::Referral accepted, Accept(kBob, sent.name()));
  EXPECT_EQ(accepted.state(), v1::ACCEPTED);
  ASSERT_THAT(accepted.history(), SizeIs(3));
  EXPECT_EQ(accepted.history(2).from_state(), v1::ACKNOWLEDGED);
}

// --- Decline ---

TEST_F(ReferralDomainTest, DeclineRecordsReasonAndOnwardRoute) {
  v1::Referral sent = Send();
  v1::DeclineReferralRequest request = DeclineRequest(sent.name());
  request.mutable_onward_route()->set_suggested_team(kVoluntary);
  ASSERT_OK_AND_ASSIGN(v1::Referral declined,
                       domain_->DeclineReferral(kBob, request));
  EXPECT_EQ(declined.state(), v1::DECLINED);
  EXPECT_EQ(declined.onward_route().suggested_team(), kVoluntary);
  EXPECT_EQ(declined.onward_route().signposting(),
            "The local crisis café is open 6pm-midnight.");
  EXPECT_EQ(declined.history(1).note(), "We cannot offer evening support.");
}

TEST_F(ReferralDomainTest, DeclineWithoutOnwardRouteFails) {
  v1::Referral sent = Send();
  v1::DeclineReferralRequest request = DeclineRequest(sent.name());
  request.mutable_onward_route()->set_signposting("   ");
  absl::Status status = domain_->DeclineReferral(kBob, request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "onward_route: must give signposting or suggested_team");
}

TEST_F(ReferralDomainTest, DeclineWithoutReasonFails) {
  v1::Referral sent = Send();
  v1::DeclineReferralRequest request = DeclineRequest(sent.name());
  request.clear_reason();
  EXPECT_EQ(domain_->DeclineReferral(kBob, request).status().message(),
            "reason: must be set");
}

TEST_F(ReferralDomainTest, DeclineSuggestingUnknownTeamIsNotFound) {
  v1::Referral sent = Send();
  v1::DeclineReferralRequest request = DeclineRequest(sent.name());
  request.mutable_onward_route()->set_suggested_team("teams/ghost");
  absl::Status status = domain_->DeclineReferral(kBob, request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(),
            "onward_route.suggested_team: teams/ghost not found");
}

TEST_F(ReferralDomainTest, DeclineCannotSuggestTheDecliningTeam) {
  v1::Referral sent = Send();
  v1::DeclineReferralRequest request = DeclineRequest(sent.name());
  request.mutable_onward_route()->set_suggested_team(kCrisis);
  EXPECT_EQ(domain_->DeclineReferral(kBob, request).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The sender cannot refer to itself, so "back to the sender" leads nowhere.
TEST_F(ReferralDomainTest, DeclineCannotSuggestTheSendingTeam) {
  v1::Referral sent = Send();
  v1::DeclineReferralRequest request = DeclineRequest(sent.name());
  request.mutable_onward_route()->set_suggested_team(kCmht);
  absl::Status status = domain_->DeclineReferral(kBob, request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("onward_route.suggested_team: teams/cmht sent"));
  v1::Referral unchanged = Reread(sent.name());
  EXPECT_EQ(unchanged.state(), v1::SENT);
}

TEST_F(ReferralDomainTest, ConcurrentAnswersLeaveExactlyOneAnswer) {
  v1::Referral sent = Send();
  constexpr int kThreads = 8;
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      results[i] =
          i % 2 == 0
              ? Accept(kBob, sent.name()).status()
              : domain_->DeclineReferral(kBob, DeclineRequest(sent.name()))
                    .status();
    });
  }
  for (std::thread& thread : threads) thread.join();
  int answered = 0;
  for (const absl::Status& status : results) {
    if (status.ok()) {
      ++answered;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
    }
  }
  EXPECT_EQ(answered, 1);
  v1::Referral now = Reread(sent.name());
  EXPECT_THAT(now.history(), SizeIs(2));
}

// --- Redirect ---

TEST_F(ReferralDomainTest, RedirectClosesThisAndOpensALinkedReferral) {
  v1::Referral sent = Send();
  clock_.Advance(absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(
      v1::RedirectReferralResponse response,
      domain_->RedirectReferral(kBob, RedirectRequest(sent.name())));
  const v1::Referral& old = response.redirected();
  const v1::Referral& created = response.created();
  EXPECT_EQ(old.state(), v1::REDIRECTED);
  EXPECT_EQ(old.redirected_to(), created.name());
  EXPECT_EQ(old.history(1).action(), v1::ReferralEvent::REDIRECTED);
  EXPECT_EQ(created.state(), v1::SENT);
  EXPECT_EQ(created.redirected_from(), old.name());
  EXPECT_EQ(created.sending_team(), kCmht);
  EXPECT_EQ(created.created_by(), "members/alice");
  EXPECT_EQ(created.receiving_team(), kVoluntary);
  EXPECT_EQ(created.person(), sent.person());
  EXPECT_EQ(created.urgency(), sent.urgency());
  EXPECT_EQ(created.reason(), sent.reason());
  EXPECT_EQ(created.person_wishes(), sent.person_wishes());
  EXPECT_EQ(created.risk_summary(), sent.risk_summary());
  // The new team's own deadline (default urgent: 72 h), from now.
  EXPECT_EQ(FromProtoTimestamp(created.response_due_time()),
            clock_.Now() + absl::Hours(72));
  ASSERT_THAT(created.history(), SizeIs(1));
  EXPECT_EQ(created.history(0).actor(), "members/bob");
  EXPECT_THAT(SentNames(), ElementsAre(sent.name(), created.name()));
  // The new receiver can answer it; the old one no longer can.
  EXPECT_TRUE(Accept(kVal, created.name()).ok());
  EXPECT_EQ(Accept(kBob, sent.name()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ReferralDomainTest, RedirectRecordsWhoWhenAndWhyOnBothReferrals) {
  v1::Referral sent = Send();
  clock_.Advance(absl::Hours(2));
  v1::RedirectReferralRequest request = RedirectRequest(sent.name());
  ASSERT_OK_AND_ASSIGN(v1::RedirectReferralResponse response,
                       domain_->RedirectReferral(kBob, request));
  for (const v1::ReferralEvent& event :
       {response.redirected().history(1), response.created().history(0)}) {
    EXPECT_EQ(event.actor(), "members/bob");
    EXPECT_EQ(event.actor_team(), kCrisis);
    EXPECT_EQ(FromProtoTimestamp(event.time()), clock_.Now());
    EXPECT_THAT(event.note(), HasSubstr(request.reason()));
  }
  const v1::ReferralEvent& closed = response.redirected().history(1);
  EXPECT_EQ(closed.from_state(), v1::SENT);
  EXPECT_EQ(closed.to_state(), v1::REDIRECTED);
  const v1::ReferralEvent& opened = response.created().history(0);
  EXPECT_EQ(opened.action(), v1::ReferralEvent::CREATED);
  EXPECT_EQ(opened.to_state(), v1::SENT);
  EXPECT_THAT(opened.note(), HasSubstr(sent.name()));
}

TEST_F(ReferralDomainTest, RedirectTargetMustBeAnotherAcceptingTeam) {
  v1::Referral sent = Send();
  struct Case {
    const char* team;
    absl::StatusCode code;
  };
  for (const Case& c : {Case{kCrisis, absl::StatusCode::kInvalidArgument},
                        Case{kCmht, absl::StatusCode::kInvalidArgument},
                        Case{kClosed, absl::StatusCode::kFailedPrecondition},
                        Case{"teams/ghost", absl::StatusCode::kNotFound}}) {
    EXPECT_EQ(
        domain_->RedirectReferral(kBob, RedirectRequest(sent.name(), c.team))
            .status()
            .code(),
        c.code)
        << c.team;
  }
  v1::RedirectReferralRequest no_reason = RedirectRequest(sent.name());
  no_reason.clear_reason();
  EXPECT_EQ(domain_->RedirectReferral(kBob, no_reason).status().message(),
            "reason: must be set");
  EXPECT_THAT(SentNames(), ElementsAre(sent.name()));
}

TEST_F(ReferralDomainTest, RedirectLosingARaceWritesNeitherReferral) {
  v1::Referral sent = Send();
  store_->before_write = [&] { ASSERT_OK(Accept(kBob, sent.name()).status()); };
  v1::RedirectReferralRequest request = RedirectRequest(sent.name());
  request.set_etag(sent.etag());
  EXPECT_EQ(domain_->RedirectReferral(kBob, request).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_THAT(SentNames(), ElementsAre(sent.name()));
  // Without an etag the retry sees ACCEPTED and refuses.
  v1::Referral second = Send();
  store_->before_write = [&] {
    ASSERT_OK(Accept(kBob, second.name()).status());
  };
  absl::Status status =
      domain_->RedirectReferral(kBob, RedirectRequest(second.name())).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(SentNames(), ElementsAre(sent.name(), second.name()));
}

}  // namespace
}  // namespace carebridge::referral
