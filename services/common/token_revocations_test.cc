#include "services/common/token_revocations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr absl::StatusCode kUnauthenticated =
    absl::StatusCode::kUnauthenticated;
const absl::Time kStart = absl::FromUnixSeconds(1796083200);  // 2026-12-01

class TokenRevocationsTest : public ::testing::Test {
 protected:
  // A token of `subject` issued `ago` before now, lasting 8 hours from
  // then.
  Principal Token(const std::string& subject, const std::string& id,
                  absl::Duration ago = absl::Minutes(10)) {
    Principal p;
    p.subject = subject;
    p.team = "teams/cmht";
    p.role = Role::kClinician;
    p.token_id = id;
    p.issue_time = TokenRevocations::IssueTimeFor(clock_.Now() - ago,
                                                  absl::InfinitePast());
    p.expire_time = p.issue_time + absl::Hours(8);
    return p;
  }

  FakeClock clock_{kStart};
  TokenRevocations revocations_{&clock_};
};

TEST_F(TokenRevocationsTest, NothingSaidEverythingStands) {
  EXPECT_THAT(revocations_.Check(Token("members/sam", "t1")), IsOk());
  Principal service;
  service.subject = "services/careplan";
  service.role = Role::kService;
  EXPECT_THAT(revocations_.Check(service), IsOk());
}

// A revoked token stops, with what and why; the member's other tokens and
// everyone else's stand.
TEST_F(TokenRevocationsTest, ARevokedTokenStopsAndOnlyIt) {
  const Principal leaked = Token("members/sam", "t1");
  revocations_.RevokeToken("t1", leaked.expire_time, "left on a shared PC");
  EXPECT_THAT(revocations_.Check(leaked),
              StatusIs(kUnauthenticated,
                       AllOf(HasSubstr("bearer token t1 was revoked at "
                                       "2026-12-01T00:00:00Z"),
                             HasSubstr("(left on a shared PC)"))));
  EXPECT_THAT(revocations_.Check(Token("members/sam", "t2")), IsOk());
  EXPECT_THAT(revocations_.Check(Token("members/jo", "t3")), IsOk());
  EXPECT_EQ(revocations_.revoked_tokens(), 1u);
}

// A revocation naming whose token it is ends that subject's token alone:
// naming a token id as one's own ends nobody else's token of that id.
TEST_F(TokenRevocationsTest, ARevokedTokenOfOneSubjectLeavesAnothersStanding) {
  const Principal theirs = Token("persons/p1", "t1");
  revocations_.RevokeToken("t1", theirs.expire_time, "signed out", clock_.Now(),
                           "persons/p1");
  EXPECT_THAT(revocations_.Check(theirs),
              StatusIs(kUnauthenticated, HasSubstr("(signed out)")));
  EXPECT_THAT(revocations_.Check(Token("members/sam", "t1")), IsOk());
}

// A revoked token is remembered until it would have expired anyway, then
// forgotten (the list does not grow for ever).
TEST_F(TokenRevocationsTest, RevokedTokensAreForgottenOnceExpired) {
  for (int i = 0; i < 1000; ++i) {
    revocations_.RevokeToken(absl::StrCat("t", i),
                             clock_.Now() + absl::Hours(1 + i % 8), "");
  }
  EXPECT_EQ(revocations_.revoked_tokens(), 1000u);
  // Already expired: nothing to remember.
  revocations_.RevokeToken("old", clock_.Now(), "");
  EXPECT_EQ(revocations_.revoked_tokens(), 1000u);
  clock_.Advance(absl::Hours(4));
  revocations_.RevokeToken("new", clock_.Now() + absl::Hours(8), "");
  // Those of 1 to 4 hours are gone: 4 of every 8.
  EXPECT_EQ(revocations_.revoked_tokens(), 501u);
  clock_.Advance(absl::Hours(8));
  revocations_.RevokeToken("newer", clock_.Now() + absl::Hours(8), "");
  EXPECT_EQ(revocations_.revoked_tokens(), 1u);
}

// A role or team change: every token issued before it stops (it carries the
// old role or team); one issued after, even in the same second, stands.
TEST_F(TokenRevocationsTest, TokensIssuedBeforeAChangeStop) {
  clock_.Advance(absl::Milliseconds(500));
  const Principal before = Token("members/sam", "t1", absl::Milliseconds(300));
  const absl::Time change = clock_.Now();
  revocations_.RevokeIssuedBefore("members/sam", change,
                                  "moved to teams/crisis");
  EXPECT_THAT(
      revocations_.Check(before),
      StatusIs(kUnauthenticated,
               AllOf(HasSubstr("issued before 2026-12-01T00:00:00Z, when "
                               "members/sam's tokens were revoked"),
                     HasSubstr("(moved to teams/crisis); ask for a new one"))));
  // Issued 200 ms after the change, in the same second.
  clock_.Advance(absl::Milliseconds(200));
  Principal after = Token("members/sam", "t2", absl::ZeroDuration());
  after.issue_time = TokenRevocations::IssueTimeFor(clock_.Now(), change);
  EXPECT_EQ(after.issue_time, kStart + absl::Seconds(1));
  EXPECT_THAT(revocations_.Check(after), IsOk());
  // An earlier moment said later changes nothing.
  revocations_.RevokeIssuedBefore("members/sam", change - absl::Hours(1), "");
  EXPECT_FALSE(revocations_.Check(before).ok());
  EXPECT_THAT(revocations_.Check(Token("members/jo", "t3")), IsOk());
}

// A second, later revocation of a subject's tokens is told with its own
// reason, not the first's (nor none).
TEST_F(TokenRevocationsTest, ALaterRevocationSaysItsOwnReason) {
  revocations_.RevokeIssuedBefore("persons/p1", clock_.Now(), "phone lost");
  clock_.Advance(absl::Hours(1));
  const Principal token = Token("persons/p1", "t1");
  revocations_.RevokeIssuedBefore("persons/p1", clock_.Now(),
                                  "the person signed out");
  EXPECT_THAT(
      revocations_.Check(token),
      StatusIs(kUnauthenticated,
               HasSubstr("(the person signed out); ask for a new one")));
}

// A deactivated member's tokens all stop, even one issued later; once
// reactivated, only tokens issued since stand.
TEST_F(TokenRevocationsTest, ADeactivatedMembersTokensAllStop) {
  const Principal old_token = Token("members/sam", "t1");
  clock_.Advance(absl::Minutes(1));
  revocations_.Deactivate("members/sam", "left the trust");
  const absl::Time deactivated = clock_.Now();
  EXPECT_THAT(revocations_.Check(old_token),
              StatusIs(kUnauthenticated,
                       AllOf(HasSubstr("members/sam was deactivated at "
                                       "2026-12-01T00:01:00Z"),
                             HasSubstr("(left the trust); their tokens no "
                                       "longer work"))));
  clock_.Advance(absl::Minutes(1));
  Principal later = Token("members/sam", "t2", absl::ZeroDuration());
  EXPECT_FALSE(revocations_.Check(later).ok());
  revocations_.Reactivate("members/sam");
  EXPECT_THAT(revocations_.Check(old_token),
              StatusIs(kUnauthenticated, HasSubstr("issued before")));
  later.issue_time = TokenRevocations::IssueTimeFor(clock_.Now(), deactivated);
  EXPECT_THAT(revocations_.Check(later), IsOk());
}

TEST_F(TokenRevocationsTest, IssueTimesAreWholeSecondsAfterTheLastChange) {
  const absl::Time t = kStart + absl::Milliseconds(700);
  EXPECT_EQ(TokenRevocations::IssueTimeFor(t, absl::InfinitePast()), kStart);
  EXPECT_EQ(TokenRevocations::IssueTimeFor(t, kStart), kStart);
  EXPECT_EQ(TokenRevocations::IssueTimeFor(t, kStart + absl::Milliseconds(1)),
            kStart + absl::Seconds(1));
  EXPECT_EQ(TokenRevocations::IssueTimeFor(t + absl::Seconds(1),
                                           kStart + absl::Milliseconds(1)),
            kStart + absl::Seconds(1));
}

// Listeners hear every change (so a stream can end when its caller no
// longer stands), and not after they are removed.
TEST_F(TokenRevocationsTest, ListenersHearEachChangeUntilRemoved) {
  int heard = 0;
  const Principal token = Token("members/sam", "t1");
  bool stood_when_told = true;
  const int id = revocations_.AddListener([&] {
    ++heard;
    stood_when_told = revocations_.Check(token).ok();
  });
  revocations_.RevokeToken("t1", token.expire_time, "");
  EXPECT_EQ(heard, 1);
  // Told after the change took effect.
  EXPECT_FALSE(stood_when_told);
  revocations_.RevokeIssuedBefore("members/jo", clock_.Now(), "");
  revocations_.Deactivate("members/kim", "");
  revocations_.Reactivate("members/kim");
  EXPECT_EQ(heard, 4);
  revocations_.RemoveListener(id);
  revocations_.Deactivate("members/kim", "");
  EXPECT_EQ(heard, 4);
}

// Checks from many threads while revocations arrive: each check sees a
// revocation either wholly or not at all, and every revoked token ends up
// refused.
TEST_F(TokenRevocationsTest, ChecksAndRevocationsFromManyThreads) {
  constexpr int kTokens = 2000;
  std::vector<Principal> tokens;
  for (int i = 0; i < kTokens; ++i) {
    tokens.push_back(
        Token(absl::StrCat("members/m", i % 50), absl::StrCat("t", i)));
  }
  std::atomic<bool> done{false};
  std::vector<std::thread> checkers;
  for (int t = 0; t < 3; ++t) {
    checkers.emplace_back([&] {
      while (!done.load()) {
        for (const Principal& p : tokens) {
          absl::Status status = revocations_.Check(p);
          if (!status.ok()) {
            ASSERT_EQ(status.code(), kUnauthenticated);
          }
        }
      }
    });
  }
  for (int i = 0; i < kTokens; i += 2) {
    revocations_.RevokeToken(tokens[i].token_id, tokens[i].expire_time, "");
  }
  done = true;
  for (std::thread& t : checkers) t.join();
  for (int i = 0; i < kTokens; ++i) {
    EXPECT_EQ(revocations_.Check(tokens[i]).ok(), i % 2 == 1) << i;
  }
}

}  // namespace
}  // namespace carebridge
