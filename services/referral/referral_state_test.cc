#include "services/referral/referral_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"

namespace carebridge::referral {
namespace {

using ::testing::Combine;
using ::testing::ValuesIn;

constexpr v1::State kAllStates[] = {
    v1::STATE_UNSPECIFIED, v1::SENT,       v1::ACKNOWLEDGED, v1::ACCEPTED,
    v1::DECLINED,          v1::REDIRECTED, v1::WITHDRAWN,    v1::COMPLETED,
};

// The whole legal graph (referral.proto); every pair not listed is illegal.
const std::map<std::pair<v1::State, ReferralAction>, v1::State>& Legal() {
  static const auto* legal =
      new std::map<std::pair<v1::State, ReferralAction>, v1::State>{
          {{v1::SENT, ReferralAction::kAcknowledge}, v1::ACKNOWLEDGED},
          {{v1::SENT, ReferralAction::kAccept}, v1::ACCEPTED},
          {{v1::SENT, ReferralAction::kDecline}, v1::DECLINED},
          {{v1::SENT, ReferralAction::kRedirect}, v1::REDIRECTED},
          {{v1::SENT, ReferralAction::kWithdraw}, v1::WITHDRAWN},
          {{v1::ACKNOWLEDGED, ReferralAction::kAccept}, v1::ACCEPTED},
          {{v1::ACKNOWLEDGED, ReferralAction::kDecline}, v1::DECLINED},
          {{v1::ACKNOWLEDGED, ReferralAction::kRedirect}, v1::REDIRECTED},
          {{v1::ACKNOWLEDGED, ReferralAction::kWithdraw}, v1::WITHDRAWN},
          {{v1::ACCEPTED, ReferralAction::kComplete}, v1::COMPLETED},
      };
  return *legal;
}

class TransitionTest
    : public ::testing::TestWithParam<std::tuple<v1::State, ReferralAction>> {};

TEST_P(TransitionTest, FollowsTheStateMachine) {
  const auto [from, action] = GetParam();
  absl::StatusOr<v1::State> next = NextState("referrals/r1", from, action);
  auto legal = Legal().find({from, action});
  if (legal != Legal().end()) {
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(*next, legal->second);
  } else {
    ASSERT_FALSE(next.ok())
        << "illegal move was allowed to " << v1::State_Name(*next);
    EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(next.status().message(),
              absl::StrCat("referrals/r1 is ", v1::State_Name(from),
                           "; it cannot be ", PastParticiple(action)));
  }
}

std::string CaseName(
    const ::testing::TestParamInfo<std::tuple<v1::State, ReferralAction>>&
        info) {
  return absl::StrCat(v1::State_Name(std::get<0>(info.param)), "_",
                      Verb(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(AllStatesTimesAllActions, TransitionTest,
                         Combine(ValuesIn(kAllStates),
                                 ValuesIn(kAllReferralActions)),
                         CaseName);

TEST(ReferralStateTest, RepeatingAnActionIsIllegal) {
  for (ReferralAction action : kAllReferralActions) {
    absl::StatusOr<v1::State> once = NextState(
        "referrals/r1",
        action == ReferralAction::kComplete ? v1::ACCEPTED : v1::SENT, action);
    ASSERT_TRUE(once.ok()) << Verb(action);
    EXPECT_EQ(NextState("referrals/r1", *once, action).status().code(),
              absl::StatusCode::kFailedPrecondition)
        << Verb(action) << " twice";
  }
}

TEST(ReferralStateTest, DeclineOfAcceptedNamesTheState) {
  EXPECT_EQ(NextState("referrals/x", v1::ACCEPTED, ReferralAction::kDecline)
                .status()
                .message(),
            "referrals/x is ACCEPTED; it cannot be declined");
}

TEST(ReferralStateTest, OnlySentAndAcknowledgedAwaitAnAnswer) {
  for (v1::State state : kAllStates) {
    EXPECT_EQ(AwaitsAnswer(state),
              state == v1::SENT || state == v1::ACKNOWLEDGED)
        << v1::State_Name(state);
  }
}

TEST(ReferralStateTest, EveryActionRecordsItsOwnEvent) {
  EXPECT_EQ(EventAction(ReferralAction::kAcknowledge),
            v1::ReferralEvent::ACKNOWLEDGED);
  EXPECT_EQ(EventAction(ReferralAction::kAccept), v1::ReferralEvent::ACCEPTED);
  EXPECT_EQ(EventAction(ReferralAction::kDecline), v1::ReferralEvent::DECLINED);
  EXPECT_EQ(EventAction(ReferralAction::kRedirect),
            v1::ReferralEvent::REDIRECTED);
  EXPECT_EQ(EventAction(ReferralAction::kWithdraw),
            v1::ReferralEvent::WITHDRAWN);
  EXPECT_EQ(EventAction(ReferralAction::kComplete),
            v1::ReferralEvent::COMPLETED);
}

}  // namespace
}  // namespace carebridge::referral
