// The person's own tokens in the care plan's rules: who may end them (the
// person, their lead team now, admins), what is asked of the directory,
// bad input, and the id and issue time a new token carries so that it
// works after an earlier revocation.

#include <memory>
#include <string>

#include "services/careplan/careplan_domain_test_fixture.h"
#include "services/common/time_util.h"
#include "services/common/token_revocations.h"
#include "services/directory_client/fake_person_tokens.h"

namespace carebridge::careplan {
namespace {

using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class CarePlanPersonTokensTest : public CarePlanDomainTest {
 protected:
  void SetUp() override {
    CarePlanDomainTest::SetUp();
    domain_ = std::make_unique<CarePlanDomain>(
        &clock_, &directory_, store_.get(), &signer_, sharing_.get(),
        /*break_glass=*/nullptr, /*incoming=*/nullptr, &person_tokens_);
    // The crisis team leads p1's care; the voluntary team is involved too.
    ASSERT_TRUE(Add(kBob, kCrisis).ok());
    ASSERT_TRUE(Add(kBob, kVoluntary, CurrentEtag(), "peer support").ok());
    ada_.subject = kPerson;
    ada_.role = Role::kPerson;
  }

  absl::StatusOr<directory::v1::PersonTokenRevocation> Revoke(
      const Principal& caller, const std::string& reason,
      const std::string& token_id = "", const std::string& name = kPlan) {
    v1::RevokePersonTokensRequest request;
    request.set_name(name);
    request.set_reason(reason);
    request.set_token_id(token_id);
    return domain_->RevokePersonTokens(caller, request);
  }

  absl::StatusOr<v1::IssuePersonTokenResponse> Issue() {
    v1::IssuePersonTokenRequest request;
    request.set_name(kPlan);
    return domain_->IssuePersonToken(kBob, request);
  }

  TokenSigner signer_{std::string(32, 'k')};
  directory_client::FakePersonTokens person_tokens_{&clock_};
  Principal ada_;
};

TEST_F(CarePlanPersonTokensTest, TheLeadTeamEndsEveryTokenThroughTheDirectory) {
  ASSERT_OK_AND_ASSIGN(directory::v1::PersonTokenRevocation revocation,
                       Revoke(kBob, "phone lost"));
  EXPECT_EQ(revocation.person(), kPerson);
  ASSERT_THAT(person_tokens_.asked(), SizeIs(1));
  EXPECT_EQ(person_tokens_.asked()[0].name(), kPerson);
  EXPECT_EQ(person_tokens_.asked()[0].reason(), "phone lost");
  EXPECT_EQ(person_tokens_.asked()[0].token_id(), "");
}

TEST_F(CarePlanPersonTokensTest, ThePersonSignsOutOneDeviceWithoutAReason) {
  ASSERT_TRUE(Revoke(ada_, /*reason=*/"", "phone-token").ok());
  ASSERT_THAT(person_tokens_.asked(), SizeIs(1));
  EXPECT_EQ(person_tokens_.asked()[0].token_id(), "phone-token");
  EXPECT_EQ(person_tokens_.asked()[0].reason(), "the person signed out");
}

TEST_F(CarePlanPersonTokensTest, AnAdminEndsThemWhoeverLeads) {
  EXPECT_TRUE(Revoke(kAdmin, "account compromised").ok());
  // Also for a person nobody leads the care of.
  EXPECT_TRUE(Revoke(kAdmin, "account compromised", "",
                     std::string(kOtherPerson) + "/carePlan")
                  .ok());
  EXPECT_THAT(person_tokens_.asked(), SizeIs(2));
}

TEST_F(CarePlanPersonTokensTest, AnyoneElseIsRefusedAndNothingIsAsked) {
  Principal bea;
  bea.subject = kOtherPerson;
  bea.role = Role::kPerson;
  const Principal manager = Caller("members/m", kCrisis, Role::kTeamManager);
  // Not involved; involved but not leading; another person; a service; the
  // lead team's manager (not clinical).
  for (const Principal& refused :
       {kAlice, kVal, bea, kRecordService, manager}) {
    SCOPED_TRACE(refused.subject);
    EXPECT_THAT(Revoke(refused, "because").status(),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("clinical staff of their lead team")));
  }
  EXPECT_THAT(Revoke(kVal, "because").status(),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("their lead team (teams/crisis)")));
  // Nobody leads p2's care: their tokens are theirs and the admins' to end.
  EXPECT_THAT(
      Revoke(kBob, "because", "", std::string(kOtherPerson) + "/carePlan")
          .status(),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("nobody leads their care now")));
  EXPECT_THAT(person_tokens_.asked(), IsEmpty());
}

TEST_F(CarePlanPersonTokensTest, BadInputNamesTheFieldAndAsksNothing) {
  EXPECT_THAT(Revoke(kBob, "lost", "", "persons/p1").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  EXPECT_THAT(Revoke(kBob, "").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("reason: must be set")));
  EXPECT_THAT(
      Revoke(kAdmin, " ").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(
      Revoke(ada_, std::string(501, 'r')).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  EXPECT_THAT(
      Revoke(kBob, "lost", "two words").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("token_id")));
  EXPECT_THAT(person_tokens_.asked(), IsEmpty());
}

// A token issued in the second its person's tokens were ended carries the
// next second, so it works; one issued before the revocation does not.
TEST_F(CarePlanPersonTokensTest, ATokenIssuedAfterARevocationWorks) {
  clock_.Advance(absl::Milliseconds(200));
  ASSERT_OK_AND_ASSIGN(v1::IssuePersonTokenResponse before, Issue());
  EXPECT_FALSE(before.token_id().empty());
  clock_.Advance(absl::Milliseconds(300));
  ASSERT_OK_AND_ASSIGN(directory::v1::PersonTokenRevocation revocation,
                       Revoke(kBob, "phone lost"));
  clock_.Advance(absl::Milliseconds(300));
  ASSERT_OK_AND_ASSIGN(v1::IssuePersonTokenResponse after, Issue());
  EXPECT_NE(after.token_id(), before.token_id());
  const absl::Time revoked =
      FromProtoTimestamp(revocation.tokens_valid_after());
  EXPECT_EQ(FromProtoTimestamp(after.issue_time()),
            WholeSecondAtOrAfter(revoked));

  TokenRevocations revocations(&clock_);
  revocations.RevokeIssuedBefore(kPerson, revoked, "phone lost");
  ASSERT_OK_AND_ASSIGN(Principal old_token,
                       signer_.Verify(before.token(), clock_.Now()));
  EXPECT_EQ(old_token.token_id, before.token_id());
  EXPECT_THAT(
      revocations.Check(old_token),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("phone lost")));
  ASSERT_OK_AND_ASSIGN(Principal new_token,
                       signer_.Verify(after.token(), clock_.Now()));
  EXPECT_EQ(new_token.issue_time, FromProtoTimestamp(after.issue_time()));
  EXPECT_TRUE(revocations.Check(new_token).ok());
}

TEST_F(CarePlanPersonTokensTest, ADirectoryOutageIsSaid) {
  person_tokens_.FailWith(absl::UnavailableError("directory: unreachable"));
  EXPECT_THAT(Revoke(kBob, "phone lost").status(),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(Issue().status(), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace carebridge::careplan
