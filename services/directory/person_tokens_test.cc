// Ending a person's own tokens in the directory's rules: who may, what is
// kept (Person.tokens_valid_after for all of them, the event alone for one),
// what the feed says for every process to follow, and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/common/call_audit.h"
#include "services/common/time_util.h"
#include "services/common/token_revocations.h"
#include "services/directory/directory_domain_fixture.h"
#include "services/directory/fake_care_relationships.h"
#include "services/directory_client/revocation_follower.h"
#include "tests/support/status_matchers.h"

namespace carebridge::directory {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;

class PersonTokensTest : public testing::DirectoryDomainFixture {
 protected:
  PersonTokensTest() : DirectoryDomainFixture(/*seed=*/23) {}

  void SetUp() override {
    DirectoryDomainFixture::SetUp();
    // Who cares for whom, for corrections (UpdatePerson).
    domain_ = std::make_unique<DirectoryDomain>(&clock_, &ids_, &signer_,
                                                store_.get(), &relationships_);
    team_ = CreateTeam("Crisis team");
    clinician_ = Caller("members/bob", team_, Role::kClinician);
    v1::CreatePersonRequest create;
    create.mutable_person()->set_given_name("Ada");
    create.mutable_person()->set_family_name("Okafor");
    create.mutable_person()->set_birth_date("1990-04-01");
    // Output only: ignored on create.
    *create.mutable_person()->mutable_tokens_valid_after() =
        ToProtoTimestamp(clock_.Now() + absl::Hours(1));
    ASSERT_OK_AND_ASSIGN(person_, domain_->CreatePerson(clinician_, create));
    ada_.subject = person_.name();
    ada_.role = Role::kPerson;
    careplan_.subject = "services/careplan";
    careplan_.role = Role::kService;
  }

  absl::StatusOr<v1::PersonTokenRevocation> Revoke(
      const Principal& caller, const std::string& reason,
      const std::string& token_id = "") {
    v1::RevokePersonTokensRequest request;
    request.set_name(person_.name());
    request.set_reason(reason);
    request.set_token_id(token_id);
    return domain_->RevokePersonTokens(caller, request);
  }

  v1::Person Stored() {
    absl::StatusOr<v1::Person> person = store_->GetPerson(person_.name());
    EXPECT_TRUE(person.ok()) << person.status();
    return person.value_or(v1::Person());
  }

  // The directory feed's events after `after`.
  std::vector<events::v1::Event> EventsAfter(int64_t after) {
    auto events = store_->event_log()->ReadAfter(after, /*limit=*/100);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.value_or(std::vector<events::v1::Event>());
  }
  int64_t Head() {
    auto head = store_->event_log()->ReadHead();
    EXPECT_TRUE(head.ok()) << head.status();
    return head.ok() ? head->sequence : -1;
  }

  // A token of Ada issued at `issued` (as IssueTimeFor carries it).
  Principal AdaToken(absl::Time issued, const std::string& id = "t1") {
    Principal token = ada_;
    token.issue_time = issued;
    token.expire_time = issued + absl::Hours(24 * 30);
    token.token_id = id;
    return token;
  }

  FakeCareRelationships relationships_;
  std::string team_;
  Principal clinician_, ada_, careplan_;
  v1::Person person_;
};

TEST_F(PersonTokensTest, AnAdminEndsEveryTokenIssuedBeforeNow) {
  EXPECT_FALSE(person_.has_tokens_valid_after());
  const int64_t head = Head();
  const Principal before = AdaToken(
      TokenRevocations::IssueTimeFor(clock_.Now(), absl::InfinitePast()));
  clock_.Advance(absl::Milliseconds(1500));
  const absl::Time now = clock_.Now();
  ASSERT_OK_AND_ASSIGN(v1::PersonTokenRevocation revocation,
                       Revoke(admin_, "phone seen by someone else"));
  EXPECT_EQ(revocation.person(), person_.name());
  EXPECT_EQ(revocation.token_id(), "");
  EXPECT_EQ(revocation.reason(), "phone seen by someone else");
  EXPECT_EQ(revocation.revoked_by(), admin_.subject);
  EXPECT_EQ(revocation.on_behalf_of(), "");
  EXPECT_EQ(FromProtoTimestamp(revocation.tokens_valid_after()), now);
  EXPECT_FALSE(revocation.has_expire_time());

  // Kept on the person (a new etag), read whole by services.
  const v1::Person stored = Stored();
  EXPECT_EQ(FromProtoTimestamp(stored.tokens_valid_after()), now);
  EXPECT_EQ(stored.tokens_valid_after_reason(), "phone seen by someone else");
  EXPECT_NE(stored.etag(), person_.etag());
  v1::GetPersonRequest get;
  get.set_name(person_.name());
  ASSERT_OK_AND_ASSIGN(v1::Person read, domain_->GetPerson(careplan_, get));
  EXPECT_EQ(FromProtoTimestamp(read.tokens_valid_after()), now);

  // One event, which a process's revocations apply: the token from before
  // stops; one issued now, in the same second, stands.
  std::vector<events::v1::Event> events = EventsAfter(head);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type(), "person_tokens.revoked");
  EXPECT_EQ(events[0].person(), person_.name());
  EXPECT_EQ(events[0].actor(), admin_.subject);
  v1::PersonTokenRevocation payload;
  ASSERT_TRUE(events[0].payload().UnpackTo(&payload));
  EXPECT_THAT(payload, EqualsProto(revocation));
  TokenRevocations revocations(&clock_);
  directory_client::RevocationFollower::Apply(events[0], &revocations);
  EXPECT_THAT(revocations.Check(before),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("phone seen by someone else")));
  const Principal after =
      AdaToken(TokenRevocations::IssueTimeFor(clock_.Now(), now), "t2");
  EXPECT_TRUE(revocations.Check(after).ok());
}

TEST_F(PersonTokensTest, ThePersonSignsOutOneDeviceWithoutAReason) {
  const int64_t head = Head();
  ASSERT_OK_AND_ASSIGN(v1::PersonTokenRevocation revocation,
                       Revoke(ada_, /*reason=*/"", "phone-token"));
  EXPECT_EQ(revocation.token_id(), "phone-token");
  EXPECT_EQ(revocation.reason(), "the person signed out");
  EXPECT_EQ(revocation.revoked_by(), person_.name());
  EXPECT_FALSE(revocation.has_tokens_valid_after());
  EXPECT_EQ(FromProtoTimestamp(revocation.expire_time()),
            clock_.Now() + absl::Hours(24 * 90));
  // The event is the record: the person is unchanged.
  EXPECT_THAT(Stored(), EqualsProto(person_));
  std::vector<events::v1::Event> events = EventsAfter(head);
  ASSERT_EQ(events.size(), 1u);
  TokenRevocations revocations(&clock_);
  directory_client::RevocationFollower::Apply(events[0], &revocations);
  const absl::Time issued = clock_.Now() - absl::Hours(1);
  EXPECT_THAT(revocations.Check(AdaToken(issued, "phone-token")),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("the person signed out")));
  EXPECT_TRUE(revocations.Check(AdaToken(issued, "laptop-token")).ok());

  // Signing out everywhere, in their own words.
  ASSERT_OK_AND_ASSIGN(revocation, Revoke(ada_, "I changed my phone"));
  EXPECT_EQ(Stored().tokens_valid_after_reason(), "I changed my phone");
}

TEST_F(PersonTokensTest, AServiceEndsThemForWhomItCalls) {
  CallAudit call =
      BeginCallAudit(careplan_, clock_.Now(), v1::RevokePersonTokensRequest());
  SetOnBehalfOf(call, Requester{"members/bob", team_, "clinician"});
  absl::StatusOr<v1::PersonTokenRevocation> revocation;
  {
    ScopedCallAudit scoped(&call);
    revocation = Revoke(careplan_, "lead team: phone lost");
  }
  ASSERT_TRUE(revocation.ok()) << revocation.status();
  EXPECT_EQ(revocation->revoked_by(), "services/careplan");
  EXPECT_EQ(revocation->on_behalf_of(),
            absl::StrCat("members/bob (", team_, ", clinician)"));
}

TEST_F(PersonTokensTest, AnyoneElseIsRefusedAndNothingChanges) {
  const int64_t head = Head();
  Principal bea;
  bea.subject = "persons/bea";
  bea.role = Role::kPerson;
  for (const Principal& refused : {clinician_, ManagerOf(team_), bea}) {
    SCOPED_TRACE(refused.subject);
    EXPECT_THAT(Revoke(refused, "because").status(),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("CarePlanService.RevokePersonTokens")));
    EXPECT_THAT(Revoke(refused, "because", "t1").status(),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
  EXPECT_EQ(Head(), head);
  EXPECT_THAT(Stored(), EqualsProto(person_));
}

TEST_F(PersonTokensTest, BadInputNamesTheField) {
  const int64_t head = Head();
  v1::RevokePersonTokensRequest request;
  request.set_name("members/bob");
  request.set_reason("lost");
  EXPECT_THAT(domain_->RevokePersonTokens(admin_, request).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  request.clear_name();
  EXPECT_THAT(domain_->RevokePersonTokens(admin_, request).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  EXPECT_THAT(Revoke(admin_, "").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("reason: must be set")));
  EXPECT_THAT(
      Revoke(admin_, "   ").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(
      Revoke(ada_, std::string(501, 'r')).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(
      Revoke(admin_, "lost", "a token").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("token_id")));
  request.set_name("persons/nobody");
  EXPECT_THAT(domain_->RevokePersonTokens(admin_, request).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Head(), head);
  EXPECT_THAT(Stored(), EqualsProto(person_));
}

// A correction made on what was read before the revocation is refused
// (the etag moved), so it cannot undo it; one made after keeps it.
TEST_F(PersonTokensTest, ACorrectionKeepsTheRevocation) {
  ASSERT_TRUE(Revoke(admin_, "phone lost").ok());
  v1::UpdatePersonRequest update;
  update.mutable_person()->set_name(person_.name());
  update.mutable_person()->set_preferred_name("Ade");
  update.mutable_update_mask()->add_paths("preferred_name");
  update.set_etag(person_.etag());
  relationships_.Relate(person_.name(), team_);
  EXPECT_THAT(domain_->UpdatePerson(clinician_, update).status(),
              StatusIs(absl::StatusCode::kAborted));
  update.set_etag(Stored().etag());
  ASSERT_OK_AND_ASSIGN(v1::Person updated,
                       domain_->UpdatePerson(clinician_, update));
  EXPECT_EQ(updated.tokens_valid_after_reason(), "phone lost");
  EXPECT_EQ(Stored().tokens_valid_after_reason(), "phone lost");
}

}  // namespace
}  // namespace carebridge::directory
