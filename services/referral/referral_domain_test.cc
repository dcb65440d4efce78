// ReferralDomain: sending, reading and listing referrals.

#include <functional>
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

// --- CreateReferral ---

TEST_F(ReferralDomainTest, CreateSendsFromTheCallersTeam) {
  v1::CreateReferralRequest request = CreateRequest();
  request.mutable_referral()->set_sending_team(kVoluntary);  // a spoof
  ASSERT_OK_AND_ASSIGN(v1::Referral referral,
                       domain_->CreateReferral(kAlice, request));
  EXPECT_EQ(referral.sending_team(), kCmht);
  EXPECT_EQ(referral.created_by(), "members/alice");
  EXPECT_EQ(referral.state(), v1::SENT);
  EXPECT_THAT(referral.name(), HasSubstr("referrals/"));
  EXPECT_EQ(FromProtoTimestamp(referral.create_time()), clock_.Now());
  EXPECT_EQ(referral.person_wishes(), "I want someone to talk to tonight.");
  EXPECT_FALSE(referral.etag().empty());
  ASSERT_THAT(referral.history(), SizeIs(1));
  EXPECT_EQ(referral.history(0).action(), v1::ReferralEvent::CREATED);
  EXPECT_EQ(referral.history(0).actor(), "members/alice");
  EXPECT_EQ(referral.history(0).actor_team(), kCmht);
  EXPECT_EQ(referral.history(0).to_state(), v1::SENT);
}

TEST_F(ReferralDomainTest, CreateIgnoresOutputOnlyFields) {
  v1::CreateReferralRequest request = CreateRequest();
  v1::Referral* input = request.mutable_referral();
  input->set_name("referrals/chosen");
  input->set_state(v1::ACCEPTED);
  input->set_created_by("members/mallory");
  input->set_redirected_from("referrals/other");
  input->add_history()->set_note("forged");
  input->set_overdue(true);
  ASSERT_OK_AND_ASSIGN(v1::Referral referral,
                       domain_->CreateReferral(kAlice, request));
  EXPECT_NE(referral.name(), "referrals/chosen");
  EXPECT_EQ(referral.state(), v1::SENT);
  EXPECT_EQ(referral.created_by(), "members/alice");
  EXPECT_EQ(referral.redirected_from(), "");
  EXPECT_THAT(referral.history(), SizeIs(1));
  EXPECT_FALSE(referral.overdue());
}

TEST_F(ReferralDomainTest, ResponseDeadlineIsTheReceivingTeamsForTheUrgency) {
  const std::pair<v1::Urgency, absl::Duration> cases[] = {
      {v1::ROUTINE, absl::Hours(240)},
      {v1::URGENT, absl::Hours(48)},
      {v1::CRISIS, absl::Hours(2)},
  };
  for (const auto& [urgency, deadline] : cases) {
    ASSERT_OK_AND_ASSIGN(
        v1::Referral referral,
        domain_->CreateReferral(kAlice, CreateRequest(kCrisis, urgency)));
    EXPECT_EQ(FromProtoTimestamp(referral.response_due_time()),
              clock_.Now() + deadline)
        << v1::Urgency_Name(urgency);
  }
}

TEST_F(ReferralDomainTest, RetryWithSameRequestIdReturnsTheFirstReferral) {
  v1::CreateReferralRequest request = CreateRequest();
  request.set_request_id("retry-1");
  ASSERT_OK_AND_ASSIGN(v1::Referral first,
                       domain_->CreateReferral(kAlice, request));
  clock_.Advance(absl::Minutes(1));
  // Even a team that stopped accepting meanwhile answers the retry.
  directory_.SetAccepting(kCrisis, false);
  ASSERT_OK_AND_ASSIGN(v1::Referral retry,
                       domain_->CreateReferral(kAlice, request));
  EXPECT_EQ(retry.name(), first.name());
  EXPECT_EQ(retry.create_time().seconds(), first.create_time().seconds());
  EXPECT_THAT(SentNames(), ElementsAre(first.name()));
}

// A create is one transaction: the request_id is found (or not) in the
// write itself, with no read before it, for a first create and for a retry
// alike (on PostgreSQL that read was a transaction of its own per create).
TEST_F(ReferralDomainTest, ACreateWithARequestIdReadsNothingBeforeItsWrite) {
  v1::CreateReferralRequest request = CreateRequest();
  request.set_request_id("retry-2");
  ASSERT_OK_AND_ASSIGN(v1::Referral first,
                       domain_->CreateReferral(kAlice, request));
  ASSERT_OK_AND_ASSIGN(v1::Referral retry,
                       domain_->CreateReferral(kAlice, request));
  EXPECT_EQ(retry.name(), first.name());
  EXPECT_EQ(store_->request_id_lookups, 0);
  EXPECT_THAT(SentNames(), ElementsAre(first.name()));
}

// With the directory away, a retry is still answered from what was stored;
// a create that is not a retry fails with the directory's error.
TEST_F(ReferralDomainTest, RetryIsAnsweredWhileTheDirectoryIsAway) {
  v1::CreateReferralRequest request = CreateRequest();
  request.set_request_id("retry-3");
  ASSERT_OK_AND_ASSIGN(v1::Referral first,
                       domain_->CreateReferral(kAlice, request));
  directory_.FailWith(absl::UnavailableError("directory: failed to connect"));
  ASSERT_OK_AND_ASSIGN(v1::Referral retry,
                       domain_->CreateReferral(kAlice, request));
  EXPECT_EQ(retry.name(), first.name());
  v1::CreateReferralRequest another = request;
  another.set_request_id("retry-4");
  absl::Status status = domain_->CreateReferral(kAlice, another).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr("directory"));
  // Reused for another referral while the directory is away: still refused.
  v1::CreateReferralRequest reused = request;
  reused.mutable_referral()->set_reason("Another reason.");
  EXPECT_EQ(domain_->CreateReferral(kAlice, reused).status().code(),
            absl::StatusCode::kAlreadyExists);
  directory_.FailWith(absl::OkStatus());
  EXPECT_THAT(SentNames(), ElementsAre(first.name()));
}

TEST_F(ReferralDomainTest, SameRequestIdFromAnotherTeamIsAnotherReferral) {
  v1::CreateReferralRequest request = CreateRequest(kVoluntary);
  request.set_request_id("shared");
  ASSERT_OK_AND_ASSIGN(v1::Referral from_cmht,
                       domain_->CreateReferral(kAlice, request));
  ASSERT_OK_AND_ASSIGN(v1::Referral from_crisis,
                       domain_->CreateReferral(kBob, request));
  EXPECT_NE(from_cmht.name(), from_crisis.name());
}

// A request_id reused for another person (or anything else the sender wrote)
// is not a retry: answering it with the first referral would silently drop
// the second one.
TEST_F(ReferralDomainTest,
       RequestIdReusedForADifferentReferralIsAlreadyExists) {
  v1::CreateReferralRequest request = CreateRequest();
  request.set_request_id("rq-7");
  ASSERT_OK_AND_ASSIGN(v1::Referral first,
                       domain_->CreateReferral(kAlice, request));
  directory_.AddPerson("persons/p2");
  const std::function<void(v1::Referral&)> changes[] = {
      [](v1::Referral& r) { r.set_person("persons/p2"); },
      [](v1::Referral& r) { r.set_receiving_team(kVoluntary); },
      [](v1::Referral& r) { r.set_urgency(v1::CRISIS); },
      [](v1::Referral& r) { r.set_reason("Another reason."); },
      [](v1::Referral& r) { r.set_person_wishes("Other wishes."); },
      [](v1::Referral& r) { r.set_risk_summary("Other risk."); },
  };
  for (const auto& change : changes) {
    v1::CreateReferralRequest reused = request;
    change(*reused.mutable_referral());
    absl::Status status = domain_->CreateReferral(kAlice, reused).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
    EXPECT_THAT(std::string(status.message()),
                HasSubstr(absl::StrCat("request_id: \"rq-7\" was already used "
                                       "by teams/cmht for ",
                                       first.name())));
  }
  // Output-only fields are not part of what the sender asked for.
  v1::CreateReferralRequest retry = request;
  retry.mutable_referral()->set_sending_team(kVoluntary);
  retry.mutable_referral()->set_state(v1::ACCEPTED);
  ASSERT_OK_AND_ASSIGN(v1::Referral same,
                       domain_->CreateReferral(kAlice, retry));
  EXPECT_EQ(same.name(), first.name());
  EXPECT_THAT(SentNames(), ElementsAre(first.name()));
}

TEST_F(ReferralDomainTest, RequestIdReusedConcurrentlyForADifferentReferral) {
  v1::CreateReferralRequest mine = CreateRequest();
  mine.set_request_id("rq-8");
  v1::CreateReferralRequest theirs = mine;
  theirs.mutable_referral()->set_receiving_team(kVoluntary);
  v1::Referral won;
  // The other request lands between our look-up and our insert.
  store_->before_create = [&] {
    ASSERT_OK_AND_ASSIGN(won, domain_->CreateReferral(kAlice, theirs));
  };
  absl::Status status = domain_->CreateReferral(kAlice, mine).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(status.message()), HasSubstr(won.name()));
  EXPECT_THAT(SentNames(), ElementsAre(won.name()));
}

TEST_F(ReferralDomainTest, ConcurrentRetriesMakeOneReferral) {
  constexpr int kThreads = 8;
  v1::CreateReferralRequest request = CreateRequest();
  request.set_request_id("rq-9");
  std::vector<absl::StatusOr<v1::Referral>> results(
      kThreads, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = domain_->CreateReferral(kAlice, request); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->name(), results[0]->name());
  }
  EXPECT_THAT(SentNames(), ElementsAre(results[0]->name()));
}

TEST_F(ReferralDomainTest, OnlyClinicalStaffSendReferrals) {
  Principal admin;
  admin.subject = "members/root";
  admin.role = Role::kAdmin;
  Principal service;
  service.subject = "services/other";
  service.role = Role::kService;
  for (const Principal& caller : {admin, service}) {
    EXPECT_EQ(domain_->CreateReferral(caller, CreateRequest()).status().code(),
              absl::StatusCode::kPermissionDenied)
        << caller.subject;
  }
  EXPECT_TRUE(domain_
                  ->CreateReferral(
                      Staff("members/pat", kCmht, Role::kPeerSupportWorker),
                      CreateRequest())
                  .ok());
}

TEST_F(ReferralDomainTest, CreateValidationNamesTheField) {
  struct Case {
    std::string expected;
    std::function<void(v1::CreateReferralRequest&)> mutate;
  };
  const Case cases[] = {
      {"referral: must be set", [](auto& r) { r.clear_referral(); }},
      {"referral.person: must be set",
       [](auto& r) { r.mutable_referral()->clear_person(); }},
      {"referral.person: \"people/p1\" is not a resource name",
       [](auto& r) { r.mutable_referral()->set_person("people/p1"); }},
      {"referral.receiving_team: must be set",
       [](auto& r) { r.mutable_referral()->clear_receiving_team(); }},
      {"referral.urgency: must be set",
       [](auto& r) { r.mutable_referral()->clear_urgency(); }},
      {"referral.urgency: unknown value 42",
       [](auto& r) {
         r.mutable_referral()->set_urgency(static_cast<v1::Urgency>(42));
       }},
      {"referral.reason: must be set",
       [](auto& r) { r.mutable_referral()->set_reason("  "); }},
      {"referral.reason: must be at most 4000 characters",
       [](auto& r) {
         r.mutable_referral()->set_reason(std::string(4001, 'x'));
       }},
      {"referral.person_wishes: must be at most 4000 characters",
       [](auto& r) {
         r.mutable_referral()->set_person_wishes(std::string(4001, 'x'));
       }},
      {"referral.risk_summary: must be at most 4000 characters",
       [](auto& r) {
         r.mutable_referral()->set_risk_summary(std::string(4001, 'x'));
       }},
      {"request_id: must be at most 64 characters",
       [](auto& r) { r.set_request_id(std::string(65, 'r')); }},
      {"request_id: must be printable",
       [](auto& r) { r.set_request_id("has space"); }},
      {"referral.receiving_team: must be another team",
       [](auto& r) { r.mutable_referral()->set_receiving_team(kCmht); }},
  };
  for (const Case& c : cases) {
    v1::CreateReferralRequest request = CreateRequest();
    c.mutate(request);
    absl::Status status = domain_->CreateReferral(kAlice, request).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.expected;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.expected));
  }
  EXPECT_THAT(SentNames(), IsEmpty());
}

TEST_F(ReferralDomainTest, TextLimitsCountCharactersNotBytes) {
  v1::CreateReferralRequest request = CreateRequest();
  std::string wishes;
  for (int i = 0; i < 4000; ++i) wishes += "é";  // 2 bytes each
  request.mutable_referral()->set_person_wishes(wishes);
  EXPECT_TRUE(domain_->CreateReferral(kAlice, request).ok());
}

TEST_F(ReferralDomainTest, UnknownPersonIsNotFound) {
  v1::CreateReferralRequest request = CreateRequest();
  request.mutable_referral()->set_person("persons/nobody");
  absl::Status status = domain_->CreateReferral(kAlice, request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "referral.person: persons/nobody not found");
}

TEST_F(ReferralDomainTest, UnknownReceivingTeamIsNotFound) {
  absl::Status status =
      domain_->CreateReferral(kAlice, CreateRequest("teams/nowhere")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(),
            "referral.receiving_team: teams/nowhere not found");
}

TEST_F(ReferralDomainTest, TeamNotAcceptingIsFailedPrecondition) {
  absl::Status status =
      domain_->CreateReferral(kAlice, CreateRequest(kClosed)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("teams/closed (Team teams/closed) is not accepting"));
}

TEST_F(ReferralDomainTest, DirectoryOutagePassesThroughAndStoresNothing) {
  directory_.FailWith(absl::UnavailableError("directory: connection refused"));
  EXPECT_EQ(domain_->CreateReferral(kAlice, CreateRequest()).status().code(),
            absl::StatusCode::kUnavailable);
  directory_.FailWith(absl::OkStatus());
  EXPECT_THAT(SentNames(), IsEmpty());
}

// --- GetReferral ---

TEST_F(ReferralDomainTest, BothTeamsMayGetAReferralAndNobodyElse) {
  v1::Referral sent = Send();
  v1::GetReferralRequest request;
  request.set_name(sent.name());
  ASSERT_OK_AND_ASSIGN(v1::Referral by_sender,
                       domain_->GetReferral(kAlice, request));
  EXPECT_THAT(by_sender, carebridge::testing::EqualsProto(sent));
  EXPECT_TRUE(domain_->GetReferral(kBob, request).ok());
  absl::Status other = domain_->GetReferral(kVal, request).status();
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(other.message()), HasSubstr("members/val"));
}

TEST_F(ReferralDomainTest, ServicesMayGetAReferralAndAdminsMayNot) {
  v1::Referral sent = Send();
  v1::GetReferralRequest request;
  request.set_name(sent.name());
  Principal service;
  service.subject = "services/record";
  service.role = Role::kService;
  EXPECT_TRUE(domain_->GetReferral(service, request).ok());
  Principal admin = Staff("members/root", kCrisis, Role::kAdmin);
  EXPECT_EQ(domain_->GetReferral(admin, request).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ReferralDomainTest, GetUnknownIsNotFoundAndBadNameInvalid) {
  v1::GetReferralRequest request;
  request.set_name("referrals/unknown");
  EXPECT_EQ(domain_->GetReferral(kAlice, request).status().code(),
            absl::StatusCode::kNotFound);
  request.set_name("teams/x");
  EXPECT_EQ(domain_->GetReferral(kAlice, request).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ReferralDomainTest, OverdueIsComputedWhenRead) {
  v1::Referral sent = Send();  // urgent: 48 h
  v1::GetReferralRequest get;
  get.set_name(sent.name());
  clock_.Advance(absl::Hours(47));
  ASSERT_OK_AND_ASSIGN(v1::Referral on_time, domain_->GetReferral(kBob, get));
  EXPECT_FALSE(on_time.overdue());
  clock_.Advance(absl::Hours(2));
  ASSERT_OK_AND_ASSIGN(v1::Referral late, domain_->GetReferral(kBob, get));
  EXPECT_TRUE(late.overdue());
  ASSERT_OK_AND_ASSIGN(v1::Referral accepted, Accept(kBob, sent.name()));
  EXPECT_FALSE(accepted.overdue());
}

// --- ListReferrals ---

TEST_F(ReferralDomainTest, ListNeedsAMailboxAndAValidToken) {
  v1::ListReferralsRequest request;
  EXPECT_EQ(domain_->ListReferrals(kAlice, request).status().message(),
            "mailbox: must be set");
  request.set_mailbox(v1::INBOX);
  request.set_page_token("garbage");
  EXPECT_EQ(domain_->ListReferrals(kAlice, request).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ReferralDomainTest, ListStateFilterMustNameRealStatesAndBeShort) {
  v1::ListReferralsRequest request;
  request.set_mailbox(v1::INBOX);
  request.add_states(v1::STATE_UNSPECIFIED);
  EXPECT_EQ(domain_->ListReferrals(kAlice, request).status().message(),
            "states: unknown state 0");
  request.clear_states();
  for (int i = 0; i < 8; ++i) request.add_states(v1::SENT);
  EXPECT_EQ(domain_->ListReferrals(kAlice, request).status().message(),
            "states: must have at most 7 entries");
  request.mutable_states()->RemoveLast();
  EXPECT_TRUE(domain_->ListReferrals(kAlice, request).ok());
}

TEST_F(ReferralDomainTest, PageTokenOnlyWorksWithTheSameFilters) {
  Send();
  Send();
  v1::ListReferralsRequest request;
  request.set_mailbox(v1::SENT_BY_TEAM);
  request.set_page_size(1);
  ASSERT_OK_AND_ASSIGN(v1::ListReferralsResponse first,
                       domain_->ListReferrals(kAlice, request));
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_page_token(first.next_page_token());
  request.set_overdue_only(true);
  EXPECT_THAT(
      std::string(domain_->ListReferrals(kAlice, request).status().message()),
      HasSubstr("page_token"));
  request.set_overdue_only(false);
  request.mutable_identifier()->set_system("https://trust.example/ref");
  request.mutable_identifier()->set_value("R-1");
  EXPECT_THAT(
      std::string(domain_->ListReferrals(kAlice, request).status().message()),
      HasSubstr("page_token"));
}

TEST_F(ReferralDomainTest, ListOverdueOnlyFollowsTheClock) {
  v1::Referral crisis =
      domain_->CreateReferral(kAlice, CreateRequest(kCrisis, v1::CRISIS))
          .value();
  Send();  // urgent, 48 h
  v1::ListReferralsRequest request;
  request.set_mailbox(v1::INBOX);
  request.set_overdue_only(true);
  ASSERT_OK_AND_ASSIGN(v1::ListReferralsResponse none,
                       domain_->ListReferrals(kBob, request));
  EXPECT_THAT(none.referrals(), IsEmpty());
  clock_.Advance(absl::Hours(3));
  ASSERT_OK_AND_ASSIGN(v1::ListReferralsResponse late,
                       domain_->ListReferrals(kBob, request));
  ASSERT_THAT(late.referrals(), SizeIs(1));
  EXPECT_EQ(late.referrals(0).name(), crisis.name());
  EXPECT_TRUE(late.referrals(0).overdue());
}

TEST_F(ReferralDomainTest, ListIsForClinicalStaff) {
  Principal admin;
  admin.subject = "members/root";
  admin.role = Role::kAdmin;
  v1::ListReferralsRequest request;
  request.set_mailbox(v1::INBOX);
  EXPECT_EQ(domain_->ListReferrals(admin, request).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace carebridge::referral

namespace carebridge::referral {
namespace {

// The risk summary is read as the person's sharing choices say now
// (SHARED_RISK): not by a voluntary-sector team by default, by one the
// person shares it with, by nobody but the sender when the choices cannot
// be read; the sender always, and told when the receiver does not.
TEST_F(ReferralDomainTest, TheRiskSummaryIsReadAsThePersonsChoicesSay) {
  ASSERT_OK_AND_ASSIGN(
      v1::Referral sent,
      domain_->CreateReferral(kAlice, CreateRequest(kVoluntary)));
  const std::string risk = CreateRequest().referral().risk_summary();
  ASSERT_FALSE(risk.empty());
  EXPECT_EQ(sent.risk_summary(), risk);
  EXPECT_THAT(sent.withheld_from_receiving_team(), ElementsAre("risk_summary"));
  v1::GetReferralRequest get;
  get.set_name(sent.name());
  auto read = [&](const Principal& as) {
    absl::StatusOr<v1::Referral> referral = domain_->GetReferral(as, get);
    EXPECT_TRUE(referral.ok()) << referral.status();
    return referral.value_or(v1::Referral());
  };
  EXPECT_EQ(read(kVal).risk_summary(), "");
  EXPECT_THAT(read(kVal).withheld_from_receiving_team(),
              ElementsAre("risk_summary"));

  sharing::PersonSharing choices;
  choices.choices.emplace();
  careplan::v1::SharingRule* rule = choices.choices->add_rules();
  rule->set_team(kVoluntary);
  rule->add_parts(careplan::v1::SHARED_RISK);
  careplan_.SetSharing(kPerson, choices);
  EXPECT_EQ(read(kVal).risk_summary(), risk);
  EXPECT_THAT(read(kVal).withheld_from_receiving_team(), IsEmpty());

  careplan_.FailWith(absl::UnavailableError("careplan: down"));
  EXPECT_EQ(read(kVal).risk_summary(), "");
  EXPECT_EQ(read(kAlice).risk_summary(), risk);
}

// A read that would need the care plan service on gRPC's own thread asks to
// be run again where it may block; one without a risk summary does not.
TEST_F(ReferralDomainTest,
       AReadNeedingTheChoicesIsDeferredOffTheNetworkThread) {
  ASSERT_OK_AND_ASSIGN(v1::Referral with_risk,
                       domain_->CreateReferral(kAlice, CreateRequest()));
  v1::CreateReferralRequest bare = CreateRequest(kVoluntary);
  bare.mutable_referral()->clear_risk_summary();
  ASSERT_OK_AND_ASSIGN(v1::Referral without,
                       domain_->CreateReferral(kAlice, bare));
  const int calls = careplan_.sharing_calls();

  v1::GetReferralRequest get;
  get.set_name(with_risk.name());
  absl::StatusOr<v1::Referral> deferred =
      domain_->GetReferral(kBob, get, RemoteCalls::kDeferred);
  EXPECT_TRUE(IsRemoteCallDeferred(deferred.status())) << deferred.status();
  get.set_name(without.name());
  EXPECT_TRUE(domain_->GetReferral(kVal, get, RemoteCalls::kDeferred).ok());
  EXPECT_EQ(careplan_.sharing_calls(), calls);
  // A page asks once per person.
  v1::ListReferralsRequest list;
  list.set_mailbox(v1::SENT_BY_TEAM);
  ASSERT_OK_AND_ASSIGN(v1::ListReferralsResponse page,
                       domain_->ListReferrals(kAlice, list));
  EXPECT_THAT(page.referrals(), SizeIs(2));
  EXPECT_EQ(careplan_.sharing_calls(), calls + 1);
}

}  // namespace
}  // namespace carebridge::referral
