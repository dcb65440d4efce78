// ReferralDomain: the sending system's identifiers of a referral, kept as
// given and searched by (ListReferrals' `identifier`).

#include <string>
#include <vector>

#include "services/referral/referral_domain_test_fixture.h"

namespace carebridge::referral {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kTrustRefs[] = "https://trust.example/ref";

v1::ReferralIdentifier Identifier(absl::string_view system,
                                  absl::string_view value) {
  v1::ReferralIdentifier identifier;
  identifier.set_system(std::string(system));
  identifier.set_value(std::string(value));
  return identifier;
}

class ReferralIdentifiersTest : public ReferralDomainTest {
 protected:
  v1::CreateReferralRequest CreateWith(
      std::vector<v1::ReferralIdentifier> identifiers,
      absl::string_view receiving_team = kCrisis) {
    v1::CreateReferralRequest request = CreateRequest(receiving_team);
    for (v1::ReferralIdentifier& identifier : identifiers) {
      *request.mutable_referral()->add_identifiers() = std::move(identifier);
    }
    return request;
  }

  // The names `caller`'s mailbox lists with `identifier`.
  std::vector<std::string> Carrying(const Principal& caller,
                                    v1::Mailbox mailbox,
                                    const v1::ReferralIdentifier& identifier,
                                    int page_size = 0) {
    v1::ListReferralsRequest request;
    request.set_mailbox(mailbox);
    *request.mutable_identifier() = identifier;
    request.set_page_size(page_size);
    std::vector<std::string> names;
    do {
      absl::StatusOr<v1::ListReferralsResponse> page =
          domain_->ListReferrals(caller, request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const v1::Referral& referral : page->referrals()) {
        names.push_back(referral.name());
      }
      request.set_page_token(page->next_page_token());
    } while (!request.page_token().empty());
    return names;
  }
};

TEST_F(ReferralIdentifiersTest, AReferralKeepsTheIdentifiersItWasSentWith) {
  ASSERT_OK_AND_ASSIGN(
      v1::Referral sent,
      domain_->CreateReferral(
          kAlice, CreateWith({Identifier(kTrustRefs, "R-123"),
                              Identifier("urn:oid:1.2.3", "000123")})));
  ASSERT_EQ(sent.identifiers_size(), 2);
  EXPECT_EQ(sent.identifiers(0).system(), kTrustRefs);
  EXPECT_EQ(sent.identifiers(0).value(), "R-123");
  EXPECT_EQ(sent.identifiers(1).value(), "000123");
  // Read back, and after a step.
  v1::Referral read = Reread(sent.name());
  ASSERT_EQ(read.identifiers_size(), 2);
  EXPECT_EQ(read.identifiers(1).system(), "urn:oid:1.2.3");
  ASSERT_OK_AND_ASSIGN(v1::Referral accepted, Accept(kBob, sent.name()));
  EXPECT_EQ(accepted.identifiers_size(), 2);
}

TEST_F(ReferralIdentifiersTest,
       BadIdentifiersAreRefusedNamingThemAndStoreNothing) {
  const std::pair<std::vector<v1::ReferralIdentifier>, const char*> cases[] = {
      {{Identifier("", "R-1")}, "referral.identifiers[0].system: must be set"},
      {{Identifier(kTrustRefs, " ")},
       "referral.identifiers[0].value: must be set"},
      {{Identifier("urn:a|b", "R-1")},
       "referral.identifiers[0].system: a URI, without `|` or white space"},
      {{Identifier("urn:a b", "R-1")},
       "referral.identifiers[0].system: a URI, without `|` or white space"},
      {{Identifier(kTrustRefs, "R-1"), Identifier(kTrustRefs, "R-1")},
       "referral.identifiers[1]: repeats referral.identifiers[0]"},
      {{Identifier(kTrustRefs, std::string(101, 'x'))},
       "referral.identifiers[0].value"},
      {std::vector<v1::ReferralIdentifier>(11, Identifier(kTrustRefs, "R")),
       "referral.identifiers"},
  };
  for (const auto& [identifiers, says] : cases) {
    absl::Status status =
        domain_->CreateReferral(kAlice, CreateWith(identifiers)).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << says;
    EXPECT_THAT(std::string(status.message()), HasSubstr(says));
  }
  EXPECT_THAT(SentNames(), IsEmpty());
}

// Identifiers are not keys: every referral carrying one is found, in the
// caller's mailbox only, paged like any listing.
TEST_F(ReferralIdentifiersTest,
       ListingByIdentifierFindsEveryReferralCarryingIt) {
  const v1::ReferralIdentifier r1 = Identifier(kTrustRefs, "R-1");
  std::vector<std::string> carrying;
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_OK_AND_ASSIGN(
        v1::Referral sent,
        domain_->CreateReferral(
            kAlice, CreateWith({Identifier("urn:other", "x"), r1})));
    carrying.push_back(sent.name());
  }
  ASSERT_OK(
      domain_
          ->CreateReferral(kAlice, CreateWith({Identifier(kTrustRefs, "R-2")}))
          .status());
  // The same identifier from another team, and in another system.
  ASSERT_OK_AND_ASSIGN(
      v1::Referral elsewhere,
      domain_->CreateReferral(kVal, CreateWith({r1}, kCrisis)));
  ASSERT_OK(
      domain_
          ->CreateReferral(kAlice, CreateWith({Identifier("urn:other", "R-1")}))
          .status());

  EXPECT_THAT(Carrying(kAlice, v1::SENT_BY_TEAM, r1),
              ElementsAre(carrying[0], carrying[1], carrying[2]));
  EXPECT_THAT(Carrying(kAlice, v1::SENT_BY_TEAM, r1, /*page_size=*/2),
              ElementsAre(carrying[0], carrying[1], carrying[2]));
  EXPECT_THAT(
      Carrying(kBob, v1::INBOX, r1),
      ElementsAre(carrying[0], carrying[1], carrying[2], elsewhere.name()));
  EXPECT_THAT(Carrying(kAlice, v1::SENT_BY_TEAM, Identifier(kTrustRefs, "R-9")),
              IsEmpty());
  EXPECT_THAT(Carrying(kAlice, v1::INBOX, r1), IsEmpty());

  v1::ListReferralsRequest bad;
  bad.set_mailbox(v1::SENT_BY_TEAM);
  *bad.mutable_identifier() = Identifier(kTrustRefs, "");
  absl::Status status = domain_->ListReferrals(kAlice, bad).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("identifier.value: must be set"));
}

TEST_F(ReferralIdentifiersTest, ARetryWithOtherIdentifiersIsNotARetry) {
  v1::CreateReferralRequest request =
      CreateWith({Identifier(kTrustRefs, "R-1")});
  request.set_request_id("retry-1");
  ASSERT_OK_AND_ASSIGN(v1::Referral first,
                       domain_->CreateReferral(kAlice, request));
  ASSERT_OK_AND_ASSIGN(v1::Referral again,
                       domain_->CreateReferral(kAlice, request));
  EXPECT_EQ(again.name(), first.name());
  request.mutable_referral()->mutable_identifiers(0)->set_value("R-2");
  absl::Status status = domain_->CreateReferral(kAlice, request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(status.message()), HasSubstr(first.name()));
}

// The referral a redirect opens is the receiving team's, not the sending
// system's: it does not carry the identifiers.
TEST_F(ReferralIdentifiersTest, ARedirectsSuccessorDoesNotCarryThem) {
  const v1::ReferralIdentifier r1 = Identifier(kTrustRefs, "R-1");
  ASSERT_OK_AND_ASSIGN(v1::Referral sent,
                       domain_->CreateReferral(kAlice, CreateWith({r1})));
  ASSERT_OK_AND_ASSIGN(
      v1::RedirectReferralResponse redirected,
      domain_->RedirectReferral(kBob, RedirectRequest(sent.name())));
  EXPECT_EQ(redirected.redirected().identifiers_size(), 1);
  EXPECT_EQ(redirected.created().identifiers_size(), 0);
  EXPECT_THAT(Carrying(kAlice, v1::SENT_BY_TEAM, r1), ElementsAre(sent.name()));
}

}  // namespace
}  // namespace carebridge::referral
