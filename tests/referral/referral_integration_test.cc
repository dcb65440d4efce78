// ReferralService over real gRPC channels, with the directory it asks hosted
// in the same server: sending, reading and listing referrals.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/referral/referral_test_fixture.h"

namespace carebridge::referral {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::HasCode;
using ::carebridge::testing::HasCodeAndMessage;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST_F(ReferralTest, CreateSendsFromCallersTeamWithTheTeamsDeadline) {
  v1::CreateReferralRequest request = CreateRequest(crisis_.name(), v1::CRISIS);
  request.mutable_referral()->set_sending_team(voluntary_.name());  // spoof
  v1::Referral referral;
  ASSERT_GRPC_OK(Call(&Stub::CreateReferral, alice_, request, &referral));
  EXPECT_THAT(referral.name(), ::testing::StartsWith("referrals/"));
  EXPECT_EQ(referral.sending_team(), cmht_.name());
  EXPECT_EQ(referral.receiving_team(), crisis_.name());
  EXPECT_EQ(referral.created_by(), "members/alice");
  EXPECT_EQ(referral.state(), v1::SENT);
  EXPECT_EQ(FromProtoTimestamp(referral.create_time()), server_.clock().Now());
  EXPECT_EQ(FromProtoTimestamp(referral.response_due_time()),
            server_.clock().Now() + absl::Hours(2));
  EXPECT_FALSE(referral.overdue());
  ASSERT_THAT(referral.history(), SizeIs(1));
  EXPECT_EQ(referral.history(0).action(), v1::ReferralEvent::CREATED);

  EXPECT_THAT(Get(alice_, referral.name()), EqualsProto(referral));
  EXPECT_THAT(Get(bob_, referral.name()), EqualsProto(referral));
}

TEST_F(ReferralTest, DeadlineFollowsUrgencyWithDirectoryDefaults) {
  // The voluntary team kept the directory's defaults.
  const std::pair<v1::Urgency, absl::Duration> cases[] = {
      {v1::CRISIS, absl::Hours(4)},
      {v1::URGENT, absl::Hours(72)},
      {v1::ROUTINE, absl::Hours(14 * 24)},
  };
  for (const auto& [urgency, deadline] : cases) {
    v1::Referral referral = Send(voluntary_.name(), urgency);
    EXPECT_EQ(FromProtoTimestamp(referral.response_due_time()),
              server_.clock().Now() + deadline)
        << v1::Urgency_Name(urgency);
  }
}

TEST_F(ReferralTest, EveryRpcRefusesAnUnauthenticatedCall) {
  std::vector<std::function<grpc::Status(grpc::ClientContext*)>> calls = {
      [&](auto* c) {
        v1::Referral r;
        return stub_->CreateReferral(c, CreateRequest(crisis_.name()), &r);
      },
      [&](auto* c) {
        v1::Referral r;
        v1::GetReferralRequest q;
        q.set_name("referrals/x");
        return stub_->GetReferral(c, q, &r);
      },
      [&](auto* c) {
        v1::ListReferralsResponse r;
        return stub_->ListReferrals(c, Mailbox(v1::INBOX), &r);
      },
      [&](auto* c) {
        v1::Referral r;
        return stub_->AcknowledgeReferral(c, {}, &r);
      },
      [&](auto* c) {
        v1::Referral r;
        return stub_->AcceptReferral(c, {}, &r);
      },
      [&](auto* c) {
        v1::Referral r;
        return stub_->DeclineReferral(c, {}, &r);
      },
      [&](auto* c) {
        v1::RedirectReferralResponse r;
        return stub_->RedirectReferral(c, {}, &r);
      },
      [&](auto* c) {
        v1::Referral r;
        return stub_->WithdrawReferral(c, {}, &r);
      },
      [&](auto* c) {
        v1::Referral r;
        return stub_->CompleteReferral(c, {}, &r);
      },
  };
  for (size_t i = 0; i < calls.size(); ++i) {
    auto anonymous = server_.AnonymousContext();
    EXPECT_THAT(calls[i](anonymous.get()),
                HasCode(grpc::StatusCode::UNAUTHENTICATED))
        << "call " << i;
    auto forged = server_.AnonymousContext();
    forged->AddMetadata("authorization", "Bearer cb1.forged.token");
    EXPECT_THAT(calls[i](forged.get()),
                HasCode(grpc::StatusCode::UNAUTHENTICATED))
        << "call " << i;
  }
  EXPECT_THAT(ListAll(bob_, Mailbox(v1::INBOX)), IsEmpty());
}

TEST_F(ReferralTest, ExpiredTokenIsUnauthenticated) {
  Principal expired = alice_;
  expired.expire_time = server_.clock().Now() - absl::Seconds(1);
  v1::Referral referral;
  EXPECT_THAT(Call(&Stub::CreateReferral, expired,
                   CreateRequest(crisis_.name()), &referral),
              HasCode(grpc::StatusCode::UNAUTHENTICATED));
}

TEST_F(ReferralTest, CreateRejectsBadReferralsNamingTheField) {
  v1::Referral out;
  v1::CreateReferralRequest no_urgency = CreateRequest(crisis_.name());
  no_urgency.mutable_referral()->clear_urgency();
  EXPECT_THAT(Call(&Stub::CreateReferral, alice_, no_urgency, &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "referral.urgency: must be set"));

  v1::CreateReferralRequest long_reason = CreateRequest(crisis_.name());
  long_reason.mutable_referral()->set_reason(std::string(4001, 'x'));
  EXPECT_THAT(Call(&Stub::CreateReferral, alice_, long_reason, &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("referral.reason")));

  EXPECT_THAT(
      Call(&Stub::CreateReferral, alice_, CreateRequest(cmht_.name()), &out),
      HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                        HasSubstr("referral.receiving_team")));

  v1::CreateReferralRequest unknown_person = CreateRequest(crisis_.name());
  unknown_person.mutable_referral()->set_person("persons/nobody");
  EXPECT_THAT(Call(&Stub::CreateReferral, alice_, unknown_person, &out),
              HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                "referral.person: persons/nobody not found"));

  EXPECT_THAT(
      Call(&Stub::CreateReferral, alice_, CreateRequest("teams/nowhere"), &out),
      HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                        "referral.receiving_team: teams/nowhere not found"));

  EXPECT_THAT(
      Call(&Stub::CreateReferral, alice_, CreateRequest(closed_.name()), &out),
      HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION,
                        HasSubstr("not accepting referrals")));

  EXPECT_THAT(ListAll(alice_, Mailbox(v1::SENT_BY_TEAM)), IsEmpty());
}

TEST_F(ReferralTest, AdminsDoNotSendReferrals) {
  v1::Referral out;
  EXPECT_THAT(Call(&Stub::CreateReferral, testing::TestServer::Admin(),
                   CreateRequest(crisis_.name()), &out),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));
}

TEST_F(ReferralTest, RetryWithSameRequestIdNeverDuplicates) {
  v1::CreateReferralRequest request = CreateRequest(crisis_.name());
  request.set_request_id("cmht-2026-0001");
  v1::Referral first, retry;
  ASSERT_GRPC_OK(Call(&Stub::CreateReferral, alice_, request, &first));
  server_.clock().Advance(absl::Seconds(30));
  ASSERT_GRPC_OK(Call(&Stub::CreateReferral, alice_, request, &retry));
  EXPECT_EQ(retry.name(), first.name());
  EXPECT_THAT(retry, EqualsProto(first));
  EXPECT_THAT(ListAll(alice_, Mailbox(v1::SENT_BY_TEAM)),
              ElementsAre(first.name()));
  EXPECT_THAT(ListAll(bob_, Mailbox(v1::INBOX)), ElementsAre(first.name()));
}

TEST_F(ReferralTest, SameRequestIdFromAnotherTeamNeverReturnsTheFirstTeams) {
  v1::CreateReferralRequest request = CreateRequest(crisis_.name());
  request.set_request_id("shared-id");
  v1::Referral from_cmht, from_voluntary;
  ASSERT_GRPC_OK(Call(&Stub::CreateReferral, alice_, request, &from_cmht));
  ASSERT_GRPC_OK(Call(&Stub::CreateReferral, val_, request, &from_voluntary));
  EXPECT_NE(from_voluntary.name(), from_cmht.name());
  EXPECT_EQ(from_voluntary.sending_team(), voluntary_.name());
  EXPECT_THAT(ListAll(bob_, Mailbox(v1::INBOX)),
              ElementsAre(from_cmht.name(), from_voluntary.name()));
}

TEST_F(ReferralTest, RequestIdReusedForAnotherReferralIsAlreadyExists) {
  v1::CreateReferralRequest request = CreateRequest(crisis_.name());
  request.set_request_id("cmht-2026-0002");
  v1::Referral first, out;
  ASSERT_GRPC_OK(Call(&Stub::CreateReferral, alice_, request, &first));
  request.mutable_referral()->set_receiving_team(voluntary_.name());
  EXPECT_THAT(
      Call(&Stub::CreateReferral, alice_, request, &out),
      HasCodeAndMessage(
          grpc::StatusCode::ALREADY_EXISTS,
          HasSubstr(absl::StrCat("request_id: \"cmht-2026-0002\" was already "
                                 "used by ",
                                 cmht_.name(), " for ", first.name()))));
  EXPECT_THAT(ListAll(alice_, Mailbox(v1::SENT_BY_TEAM)),
              ElementsAre(first.name()));
}

TEST_F(ReferralTest, GetIsForTheTwoTeamsOnly) {
  v1::Referral referral = Send(crisis_.name());
  v1::GetReferralRequest request;
  request.set_name(referral.name());
  v1::Referral out;
  EXPECT_THAT(Call(&Stub::GetReferral, val_, request, &out),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));
  request.set_name("referrals/doesnotexist");
  EXPECT_THAT(Call(&Stub::GetReferral, alice_, request, &out),
              HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                HasSubstr("referrals/doesnotexist")));
  request.set_name("not a name");
  EXPECT_THAT(
      Call(&Stub::GetReferral, alice_, request, &out),
      HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT, HasSubstr("name")));
}

TEST_F(ReferralTest, InboxAndSentListsBelongToTheCallersTeam) {
  v1::Referral to_crisis = Send(crisis_.name());
  v1::Referral to_voluntary = Send(voluntary_.name());
  EXPECT_THAT(ListAll(alice_, Mailbox(v1::SENT_BY_TEAM)),
              ElementsAre(to_crisis.name(), to_voluntary.name()));
  EXPECT_THAT(ListAll(alice_, Mailbox(v1::INBOX)), IsEmpty());
  EXPECT_THAT(ListAll(bob_, Mailbox(v1::INBOX)), ElementsAre(to_crisis.name()));
  EXPECT_THAT(ListAll(val_, Mailbox(v1::INBOX)),
              ElementsAre(to_voluntary.name()));
}

TEST_F(ReferralTest, ListFiltersByStateAndPerson) {
  v1::Referral first = Send(crisis_.name());
  v1::Referral second = Send(crisis_.name());
  v1::AcceptReferralRequest accept;
  accept.set_name(second.name());
  v1::Referral accepted;
  ASSERT_GRPC_OK(Call(&Stub::AcceptReferral, bob_, accept, &accepted));

  v1::ListReferralsRequest by_state = Mailbox(v1::INBOX);
  by_state.add_states(v1::ACCEPTED);
  EXPECT_THAT(ListAll(bob_, by_state), ElementsAre(second.name()));
  by_state.add_states(v1::SENT);
  EXPECT_THAT(ListAll(bob_, by_state),
              ElementsAre(first.name(), second.name()));

  v1::ListReferralsRequest by_person = Mailbox(v1::INBOX);
  by_person.set_person(person_);
  EXPECT_THAT(ListAll(bob_, by_person), SizeIs(2));
  by_person.set_person("persons/someone-else");
  EXPECT_THAT(ListAll(bob_, by_person), IsEmpty());

  v1::ListReferralsResponse out;
  EXPECT_THAT(
      Call(&Stub::ListReferrals, bob_, v1::ListReferralsRequest(), &out),
      HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                        "mailbox: must be set"));
}

TEST_F(ReferralTest, PagesAreStableWhenReferralsArriveBetweenReads) {
  std::vector<std::string> expected;
  for (int i = 0; i < 5; ++i) expected.push_back(Send(crisis_.name()).name());

  v1::ListReferralsRequest request = Mailbox(v1::INBOX);
  request.set_page_size(2);
  v1::ListReferralsResponse page1;
  ASSERT_GRPC_OK(Call(&Stub::ListReferrals, bob_, request, &page1));
  ASSERT_THAT(page1.referrals(), SizeIs(2));
  ASSERT_FALSE(page1.next_page_token().empty());

  // Arrives while the team is reading: it goes to the end, shifting nothing.
  expected.push_back(Send(crisis_.name()).name());

  std::vector<std::string> seen = {page1.referrals(0).name(),
                                   page1.referrals(1).name()};
  request.set_page_token(page1.next_page_token());
  while (!request.page_token().empty()) {
    v1::ListReferralsResponse page;
    ASSERT_GRPC_OK(Call(&Stub::ListReferrals, bob_, request, &page));
    EXPECT_LE(page.referrals_size(), 2);
    for (const auto& r : page.referrals()) seen.push_back(r.name());
    request.set_page_token(page.next_page_token());
  }
  EXPECT_THAT(seen, ElementsAreArray(expected));
}

TEST_F(ReferralTest, PageTokenFromOtherFiltersIsRejected) {
  Send(crisis_.name());
  Send(crisis_.name());
  v1::ListReferralsRequest request = Mailbox(v1::INBOX);
  request.set_page_size(1);
  v1::ListReferralsResponse page;
  ASSERT_GRPC_OK(Call(&Stub::ListReferrals, bob_, request, &page));
  request.set_page_token(page.next_page_token());
  request.add_states(v1::SENT);
  EXPECT_THAT(Call(&Stub::ListReferrals, bob_, request, &page),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("page_token")));
}

TEST_F(ReferralTest, OverdueOnlyShowsUnansweredReferralsPastTheirDeadline) {
  v1::Referral crisis = Send(crisis_.name(), v1::CRISIS);    // due in 2 h
  v1::Referral urgent = Send(crisis_.name(), v1::URGENT);    // due in 24 h
  v1::Referral answered = Send(crisis_.name(), v1::CRISIS);  // accepted
  v1::AcceptReferralRequest accept;
  accept.set_name(answered.name());
  v1::Referral out;
  ASSERT_GRPC_OK(Call(&Stub::AcceptReferral, bob_, accept, &out));

  v1::ListReferralsRequest overdue = Mailbox(v1::INBOX);
  overdue.set_overdue_only(true);
  EXPECT_THAT(ListAll(bob_, overdue), IsEmpty());

  server_.clock().Advance(absl::Hours(3));
  EXPECT_THAT(ListAll(bob_, overdue), ElementsAre(crisis.name()));
  EXPECT_TRUE(Get(alice_, crisis.name()).overdue());
  EXPECT_FALSE(Get(alice_, answered.name()).overdue());

  server_.clock().Advance(absl::Hours(24));
  EXPECT_THAT(ListAll(bob_, overdue),
              ElementsAre(crisis.name(), urgent.name()));
  v1::ListReferralsRequest sent_overdue = Mailbox(v1::SENT_BY_TEAM);
  sent_overdue.set_overdue_only(true);
  EXPECT_THAT(ListAll(alice_, sent_overdue),
              ElementsAre(crisis.name(), urgent.name()));
}

TEST_F(ReferralTest, DirectoryIsStillReachedAfterTheServiceTokenLifetime) {
  Send(crisis_.name());
  // Far past the referral service's own one-hour token: it signs a new one.
  server_.clock().Advance(absl::Hours(30));
  v1::Referral later;
  ASSERT_GRPC_OK(Call(&Stub::CreateReferral, alice_,
                      CreateRequest(crisis_.name()), &later));
}

// A referral service whose directory is down: creates fail UNAVAILABLE
// (retryable) and store nothing.
TEST(ReferralWithoutDirectoryTest, CreateIsUnavailableWhenDirectoryIsDown) {
  // The database outlives the module, the module the server.
  std::optional<testing::TestDatabase> database;
  std::unique_ptr<ReferralModule> module;
  testing::TestServer server;
  auto created = testing::TestDatabase::Create(server.DataPath("."));
  ASSERT_TRUE(created.ok()) << created.status();
  database = *std::move(created);
  std::shared_ptr<grpc::Channel> nowhere =
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials());
  auto opened =
      ReferralModule::Open(server.env(), database->location("referral"),
                           directory_client::DirectoryChannelProvider(
                               [nowhere] { return nowhere; }));
  ASSERT_TRUE(opened.ok()) << opened.status();
  module = *std::move(opened);
  server.host().AddService(module->service(), ReferralModule::kServiceName);
  server.Start();
  auto stub = v1::ReferralService::NewStub(server.Channel());

  Principal alice = testing::TestServer::Member("members/alice", "teams/a");
  v1::CreateReferralRequest request;
  request.mutable_referral()->set_person("persons/p");
  request.mutable_referral()->set_receiving_team("teams/b");
  request.mutable_referral()->set_urgency(v1::ROUTINE);
  request.mutable_referral()->set_reason("Needs support.");
  v1::Referral out;
  auto context = server.ContextAs(alice);
  EXPECT_THAT(
      stub->CreateReferral(context.get(), request, &out),
      HasCodeAndMessage(grpc::StatusCode::UNAVAILABLE, HasSubstr("directory")));

  v1::ListReferralsResponse list;
  auto list_context = server.ContextAs(alice);
  v1::ListReferralsRequest sent;
  sent.set_mailbox(v1::SENT_BY_TEAM);
  ASSERT_GRPC_OK(stub->ListReferrals(list_context.get(), sent, &list));
  EXPECT_THAT(list.referrals(), IsEmpty());
}

}  // namespace
}  // namespace carebridge::referral
