// ReferralService over real gRPC channels: answering, redirecting,
// withdrawing and completing referrals, and who may do each.

#include <string>

#include "absl/strings/str_cat.h"
#include "tests/referral/referral_test_fixture.h"

namespace carebridge::referral {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::HasCode;
using ::carebridge::testing::HasCodeAndMessage;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class ReferralLifecycleTest : public ReferralTest {
 protected:
  grpc::Status Acknowledge(const Principal& as, const std::string& name,
                           v1::Referral* out, const std::string& etag = "") {
    v1::AcknowledgeReferralRequest request;
    request.set_name(name);
    request.set_etag(etag);
    request.set_note("Seen by the duty worker.");
    return Call(&Stub::AcknowledgeReferral, as, request, out);
  }
  grpc::Status Accept(const Principal& as, const std::string& name,
                      v1::Referral* out, const std::string& etag = "") {
    v1::AcceptReferralRequest request;
    request.set_name(name);
    request.set_etag(etag);
    return Call(&Stub::AcceptReferral, as, request, out);
  }
  static v1::DeclineReferralRequest DeclineRequest(const std::string& name) {
    v1::DeclineReferralRequest request;
    request.set_name(name);
    request.set_reason("We only see people already known to crisis services.");
    request.mutable_onward_route()->set_signposting(
        "Samaritans 116 123, any time; the peer café on Tuesdays.");
    return request;
  }
  grpc::Status Withdraw(const Principal& as, const std::string& name,
                        v1::Referral* out) {
    v1::WithdrawReferralRequest request;
    request.set_name(name);
    request.set_reason("The person asked us not to go ahead.");
    return Call(&Stub::WithdrawReferral, as, request, out);
  }
  grpc::Status Redirect(const Principal& as, const std::string& name,
                        const std::string& new_team,
                        v1::RedirectReferralResponse* out) {
    v1::RedirectReferralRequest request;
    request.set_name(name);
    request.set_new_receiving_team(new_team);
    request.set_reason("Peer support matches what the person asked for.");
    return Call(&Stub::RedirectReferral, as, request, out);
  }
};

TEST_F(ReferralLifecycleTest, AcknowledgeAcceptCompleteKeepsFullHistory) {
  v1::Referral sent = Send(crisis_.name());
  v1::Referral acknowledged, accepted, completed;
  server_.clock().Advance(absl::Minutes(5));
  ASSERT_GRPC_OK(Acknowledge(bob_, sent.name(), &acknowledged));
  EXPECT_EQ(acknowledged.state(), v1::ACKNOWLEDGED);
  server_.clock().Advance(absl::Minutes(5));
  ASSERT_GRPC_OK(Accept(bob_, sent.name(), &accepted));
  EXPECT_EQ(accepted.state(), v1::ACCEPTED);
  v1::CompleteReferralRequest complete;
  complete.set_name(sent.name());
  complete.set_note("Crisis passed; back with the CMHT.");
  ASSERT_GRPC_OK(Call(&Stub::CompleteReferral, bob_, complete, &completed));
  EXPECT_EQ(completed.state(), v1::COMPLETED);

  ASSERT_THAT(completed.history(), SizeIs(4));
  const v1::ReferralEvent& ack = completed.history(1);
  EXPECT_EQ(ack.action(), v1::ReferralEvent::ACKNOWLEDGED);
  EXPECT_EQ(ack.actor(), "members/bob");
  EXPECT_EQ(ack.actor_team(), crisis_.name());
  EXPECT_EQ(ack.from_state(), v1::SENT);
  EXPECT_EQ(ack.to_state(), v1::ACKNOWLEDGED);
  EXPECT_EQ(ack.note(), "Seen by the duty worker.");
  EXPECT_EQ(FromProtoTimestamp(ack.time()),
            FromProtoTimestamp(sent.create_time()) + absl::Minutes(5));
  EXPECT_EQ(completed.history(2).action(), v1::ReferralEvent::ACCEPTED);
  EXPECT_EQ(completed.history(3).action(), v1::ReferralEvent::COMPLETED);
  EXPECT_EQ(completed.history(3).note(), "Crisis passed; back with the CMHT.");
  EXPECT_THAT(Get(alice_, sent.name()), EqualsProto(completed));
}

TEST_F(ReferralLifecycleTest, OnlyTheReceivingTeamAnswers) {
  v1::Referral sent = Send(crisis_.name());
  v1::Referral out;
  v1::RedirectReferralResponse redirected;
  for (const Principal& other : {alice_, val_}) {
    EXPECT_THAT(Acknowledge(other, sent.name(), &out),
                HasCode(grpc::StatusCode::PERMISSION_DENIED));
    EXPECT_THAT(Accept(other, sent.name(), &out),
                HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                  HasSubstr(crisis_.name())));
    EXPECT_THAT(
        Call(&Stub::DeclineReferral, other, DeclineRequest(sent.name()), &out),
        HasCode(grpc::StatusCode::PERMISSION_DENIED));
    EXPECT_THAT(Redirect(other, sent.name(), closed_.name(), &redirected),
                HasCode(grpc::StatusCode::PERMISSION_DENIED));
  }
  EXPECT_EQ(Get(bob_, sent.name()).state(), v1::SENT);
}

TEST_F(ReferralLifecycleTest, OnlyTheSenderWithdraws) {
  v1::Referral sent = Send(crisis_.name());
  v1::Referral out;
  EXPECT_THAT(Withdraw(bob_, sent.name(), &out),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_THAT(Withdraw(val_, sent.name(), &out),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));
  ASSERT_GRPC_OK(Withdraw(alice_, sent.name(), &out));
  EXPECT_EQ(out.state(), v1::WITHDRAWN);
  EXPECT_EQ(out.history(1).note(), "The person asked us not to go ahead.");
  // An answer after withdrawal names the state.
  EXPECT_THAT(
      Accept(bob_, sent.name(), &out),
      HasCodeAndMessage(
          grpc::StatusCode::FAILED_PRECONDITION,
          absl::StrCat(sent.name(), " is WITHDRAWN; it cannot be accepted")));
}

TEST_F(ReferralLifecycleTest, OnlyTheReceivingTeamCompletes) {
  v1::Referral sent = Send(crisis_.name());
  v1::Referral out;
  ASSERT_GRPC_OK(Accept(bob_, sent.name(), &out));
  v1::CompleteReferralRequest complete;
  complete.set_name(sent.name());
  for (const Principal& other : {alice_, val_}) {
    EXPECT_THAT(Call(&Stub::CompleteReferral, other, complete, &out),
                HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                  HasSubstr(absl::StrCat(
                                      "complete ", sent.name(),
                                      ": only members of ", crisis_.name()))));
  }
  EXPECT_EQ(Get(alice_, sent.name()).state(), v1::ACCEPTED);
  ASSERT_GRPC_OK(Call(&Stub::CompleteReferral, bob_, complete, &out));
  EXPECT_EQ(out.state(), v1::COMPLETED);
}

TEST_F(ReferralLifecycleTest, IllegalTransitionNamesTheCurrentState) {
  v1::Referral sent = Send(crisis_.name());
  v1::Referral out;
  ASSERT_GRPC_OK(Accept(bob_, sent.name(), &out));
  EXPECT_THAT(
      Call(&Stub::DeclineReferral, bob_, DeclineRequest(sent.name()), &out),
      HasCodeAndMessage(
          grpc::StatusCode::FAILED_PRECONDITION,
          absl::StrCat(sent.name(), " is ACCEPTED; it cannot be declined")));
  EXPECT_THAT(Accept(bob_, sent.name(), &out),
              HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION,
                                HasSubstr("is ACCEPTED")));
  EXPECT_THAT(Withdraw(alice_, sent.name(), &out),
              HasCode(grpc::StatusCode::FAILED_PRECONDITION));
  v1::Referral fresh = Send(crisis_.name());
  v1::CompleteReferralRequest complete;
  complete.set_name(fresh.name());
  EXPECT_THAT(Call(&Stub::CompleteReferral, bob_, complete, &out),
              HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION,
                                HasSubstr("is SENT; it cannot be completed")));
}

TEST_F(ReferralLifecycleTest, StaleEtagIsAborted) {
  v1::Referral sent = Send(crisis_.name());
  v1::Referral acknowledged, out;
  ASSERT_GRPC_OK(Acknowledge(bob_, sent.name(), &acknowledged, sent.etag()));
  EXPECT_NE(acknowledged.etag(), sent.etag());
  EXPECT_THAT(
      Accept(bob_, sent.name(), &out, sent.etag()),
      HasCodeAndMessage(grpc::StatusCode::ABORTED, HasSubstr(sent.name())));
  v1::DeclineReferralRequest decline = DeclineRequest(sent.name());
  decline.set_etag(sent.etag());
  EXPECT_THAT(Call(&Stub::DeclineReferral, bob_, decline, &out),
              HasCode(grpc::StatusCode::ABORTED));
  EXPECT_EQ(Get(bob_, sent.name()).state(), v1::ACKNOWLEDGED);
  ASSERT_GRPC_OK(Accept(bob_, sent.name(), &out, acknowledged.etag()));
  EXPECT_EQ(out.state(), v1::ACCEPTED);
}

TEST_F(ReferralLifecycleTest, DeclineCarriesReasonAndOnwardRoute) {
  v1::Referral sent = Send(crisis_.name());
  v1::DeclineReferralRequest request = DeclineRequest(sent.name());
  request.mutable_onward_route()->set_suggested_team(voluntary_.name());
  v1::Referral declined;
  ASSERT_GRPC_OK(Call(&Stub::DeclineReferral, bob_, request, &declined));
  EXPECT_EQ(declined.state(), v1::DECLINED);
  EXPECT_THAT(declined.onward_route(), EqualsProto(request.onward_route()));
  EXPECT_EQ(declined.history(1).note(), request.reason());
  EXPECT_THAT(Get(alice_, sent.name()), EqualsProto(declined));
}

TEST_F(ReferralLifecycleTest, DeclineWithoutOnwardRouteFails) {
  v1::Referral sent = Send(crisis_.name());
  v1::Referral out;
  v1::DeclineReferralRequest no_route = DeclineRequest(sent.name());
  no_route.clear_onward_route();
  EXPECT_THAT(Call(&Stub::DeclineReferral, bob_, no_route, &out),
              HasCodeAndMessage(
                  grpc::StatusCode::INVALID_ARGUMENT,
                  "onward_route: must give signposting or suggested_team"));
  v1::DeclineReferralRequest no_reason = DeclineRequest(sent.name());
  no_reason.clear_reason();
  EXPECT_THAT(Call(&Stub::DeclineReferral, bob_, no_reason, &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "reason: must be set"));
  v1::DeclineReferralRequest ghost = DeclineRequest(sent.name());
  ghost.mutable_onward_route()->set_suggested_team("teams/ghost");
  EXPECT_THAT(
      Call(&Stub::DeclineReferral, bob_, ghost, &out),
      HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                        "onward_route.suggested_team: teams/ghost not found"));
  EXPECT_EQ(Get(bob_, sent.name()).state(), v1::SENT);
}

TEST_F(ReferralLifecycleTest, RedirectChainIsVisibleOnBothReferrals) {
  v1::Referral sent = Send(crisis_.name(), v1::ROUTINE);
  server_.clock().Advance(absl::Hours(1));
  v1::RedirectReferralResponse response;
  ASSERT_GRPC_OK(Redirect(bob_, sent.name(), voluntary_.name(), &response));
  const v1::Referral& old = response.redirected();
  const v1::Referral& created = response.created();
  EXPECT_EQ(old.state(), v1::REDIRECTED);
  EXPECT_EQ(old.redirected_to(), created.name());
  EXPECT_EQ(created.redirected_from(), old.name());
  EXPECT_EQ(created.state(), v1::SENT);
  EXPECT_EQ(created.sending_team(), cmht_.name());
  EXPECT_EQ(created.receiving_team(), voluntary_.name());
  EXPECT_EQ(created.person(), sent.person());
  EXPECT_EQ(created.urgency(), v1::ROUTINE);
  EXPECT_EQ(created.reason(), sent.reason());
  EXPECT_EQ(created.person_wishes(), sent.person_wishes());
  EXPECT_EQ(created.risk_summary(), sent.risk_summary());
  // A fresh deadline from the new team (directory default routine: 14 d).
  EXPECT_EQ(FromProtoTimestamp(created.response_due_time()),
            server_.clock().Now() + absl::Hours(14 * 24));

  // Both ends see both links.
  EXPECT_THAT(Get(alice_, old.name()), EqualsProto(old));
  EXPECT_THAT(Get(bob_, old.name()), EqualsProto(old));
  EXPECT_THAT(Get(alice_, created.name()), EqualsProto(created));
  // The voluntary team reads it without the risk summary (its sector's
  // default under the person's sharing choices); both other teams are told.
  EXPECT_THAT(created.withheld_from_receiving_team(),
              ElementsAre("risk_summary"));
  v1::Referral to_val = created;
  to_val.clear_risk_summary();
  EXPECT_THAT(Get(val_, created.name()), EqualsProto(to_val));
  EXPECT_THAT(ListAll(val_, Mailbox(v1::INBOX)), ElementsAre(created.name()));
  EXPECT_THAT(ListAll(alice_, Mailbox(v1::SENT_BY_TEAM)),
              ElementsAre(old.name(), created.name()));

  // The new team answers the new referral; the old one is closed.
  v1::Referral out;
  ASSERT_GRPC_OK(Accept(val_, created.name(), &out));
  EXPECT_THAT(Accept(bob_, old.name(), &out),
              HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION,
                                HasSubstr("is REDIRECTED")));
}

TEST_F(ReferralLifecycleTest, RedirectNeedsAnotherAcceptingTeam) {
  v1::Referral sent = Send(crisis_.name());
  v1::RedirectReferralResponse out;
  EXPECT_THAT(Redirect(bob_, sent.name(), crisis_.name(), &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("new_receiving_team")));
  EXPECT_THAT(Redirect(bob_, sent.name(), closed_.name(), &out),
              HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION,
                                HasSubstr("not accepting referrals")));
  EXPECT_THAT(
      Redirect(bob_, sent.name(), "teams/ghost", &out),
      HasCodeAndMessage(grpc::StatusCode::NOT_FOUND, HasSubstr("teams/ghost")));
  EXPECT_THAT(Redirect(bob_, sent.name(), "", &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "new_receiving_team: must be set"));
  EXPECT_EQ(Get(bob_, sent.name()).state(), v1::SENT);
  EXPECT_THAT(ListAll(alice_, Mailbox(v1::SENT_BY_TEAM)),
              ElementsAre(sent.name()));
}

}  // namespace
}  // namespace carebridge::referral
