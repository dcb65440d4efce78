#include "services/handover/handover_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"

namespace carebridge::handover {
namespace {

using ::testing::Combine;
using ::testing::ValuesIn;

constexpr v1::State kAllStates[] = {
    v1::STATE_UNSPECIFIED, v1::PENDING,   v1::ACCEPTED,
    v1::DECLINED,          v1::CANCELLED,
};

// The whole legal graph (handover.proto); every pair not listed is illegal.
const std::map<std::pair<v1::State, HandoverAction>, v1::State>& Legal() {
  static const auto* legal =
      new std::map<std::pair<v1::State, HandoverAction>, v1::State>{
          {{v1::PENDING, HandoverAction::kAccept}, v1::ACCEPTED},
          {{v1::PENDING, HandoverAction::kDecline}, v1::DECLINED},
          {{v1::PENDING, HandoverAction::kCancel}, v1::CANCELLED},
      };
  return *legal;
}

class TransitionTest
    : public ::testing::TestWithParam<std::tuple<v1::State, HandoverAction>> {};

TEST_P(TransitionTest, FollowsTheStateMachine) {
  const auto [from, action] = GetParam();
  absl::StatusOr<v1::State> next = NextState("handovers/h1", from, action);
  auto legal = Legal().find({from, action});
  if (legal != Legal().end()) {
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(*next, legal->second);
  } else {
    ASSERT_FALSE(next.ok())
        << "illegal move was allowed to " << v1::State_Name(*next);
    EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(next.status().message(),
              absl::StrCat("handovers/h1 is ", v1::State_Name(from),
                           "; it cannot be ", PastParticiple(action)));
  }
}

INSTANTIATE_TEST_SUITE_P(AllStatesAndActions, TransitionTest,
                         Combine(ValuesIn(kAllStates),
                                 ValuesIn(kAllHandoverActions)),
                         [](const auto& info) {
                           return absl::StrCat(
                               v1::State_Name(std::get<0>(info.param)), "_",
                               Verb(std::get<1>(info.param)));
                         });

TEST(HandoverStateTest, OnlyPendingAwaitsAnAnswer) {
  for (v1::State state : kAllStates) {
    EXPECT_EQ(AwaitsAnswer(state), state == v1::PENDING)
        << v1::State_Name(state);
  }
}

TEST(HandoverStateTest, EachActionHasItsOwnWordsAndEventType) {
  EXPECT_EQ(Verb(HandoverAction::kAccept), "accept");
  EXPECT_EQ(Verb(HandoverAction::kDecline), "decline");
  EXPECT_EQ(Verb(HandoverAction::kCancel), "cancel");
  EXPECT_EQ(PastParticiple(HandoverAction::kAccept), "accepted");
  EXPECT_EQ(PastParticiple(HandoverAction::kDecline), "declined");
  EXPECT_EQ(PastParticiple(HandoverAction::kCancel), "cancelled");
  EXPECT_EQ(EventType(HandoverAction::kAccept), "handover.accepted");
  EXPECT_EQ(EventType(HandoverAction::kDecline), "handover.declined");
  EXPECT_EQ(EventType(HandoverAction::kCancel), "handover.cancelled");
}

}  // namespace
}  // namespace carebridge::handover
