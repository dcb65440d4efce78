#include "clients/carectl/events_requests.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<EventsCall> Build(const std::vector<std::string>& args) {
  auto line = Tokenize(args);
  EXPECT_TRUE(line.ok());
  auto flags = Flags::Bind(line->flags, EventsFlags());
  if (!flags.ok()) return flags.status();
  return BuildEventsCall(*flags);
}

TEST(EventsCallTest, WithoutFollowStopsWhenCaughtUp) {
  auto call = Build({"--feed=referral"});
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->feed, "referral");
  EXPECT_FALSE(call->follow);
  EXPECT_TRUE(call->request.stop_when_caught_up());
  EXPECT_EQ(call->request.after_sequence(), 0);
  EXPECT_TRUE(call->request.type_prefixes().empty());
}

TEST(EventsCallTest, FollowKeepsTheStreamOpen) {
  auto call = Build({"--feed=handover", "--follow", "--after=17"});
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->feed, "handover");
  EXPECT_TRUE(call->follow);
  EXPECT_FALSE(call->request.stop_when_caught_up());
  EXPECT_EQ(call->request.after_sequence(), 17);
}

TEST(EventsCallTest, EveryFeedIsKnown) {
  for (const char* feed : {"directory", "referral", "careplan", "handover"}) {
    auto call = Build({std::string("--feed=") + feed});
    ASSERT_TRUE(call.ok()) << feed;
    EXPECT_EQ(call->feed, feed);
  }
}

TEST(EventsCallTest, TypesRepeatOrComeAsAList) {
  auto call = Build({"--feed=referral", "--type=referral.accepted",
                     "--type=referral.escalated,referral.declined"});
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_THAT(call->request.type_prefixes(),
              ElementsAre("referral.accepted", "referral.escalated",
                          "referral.declined"));
}

TEST(EventsCallTest, BadFlagsAreNamed) {
  const std::pair<std::vector<std::string>, const char*> cases[] = {
      {{}, "--feed: required"},
      {{"--feed=audit"},
       "--feed: 'audit' is not one of directory, referral, careplan, "
       "handover"},
      {{"--feed=referral", "--after=-1"},
       "--after: must be a sequence number (0, 1, 2, ...), not '-1'"},
      {{"--feed=referral", "--after=ten"}, "--after: must be a sequence"},
      {{"--feed=referral", "--after="}, "--after: must be a sequence"},
      {{"--feed=referral", "--type="}, "--type: give a type or prefix"},
      {{"--feed=referral", "--follow=maybe"},
       "--follow: must be true or false"},
  };
  for (const auto& [args, message] : cases) {
    auto call = Build(args);
    ASSERT_FALSE(call.ok()) << message;
    EXPECT_THAT(call.status().message(), HasSubstr(message));
  }
}

}  // namespace
}  // namespace carebridge::carectl
