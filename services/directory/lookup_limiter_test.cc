#include "services/directory/lookup_limiter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"

namespace carebridge::directory {
namespace {

using ::testing::HasSubstr;

TEST(LookupLimiterTest, RefusesTheLookupPastTheLimitUntilTheWindowMoves) {
  FakeClock clock;
  LookupLimiter limiter(&clock, /*ledger=*/nullptr, /*max_lookups=*/3,
                        absl::Hours(1));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.Admit("members/m1").ok()) << i;
    clock.Advance(absl::Minutes(10));
  }
  absl::Status refused = limiter.Admit("members/m1");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(),
              HasSubstr("members/m1 has looked up persons 3 times in the "
                        "last 1h; bulk lookups are refused"));
  // Another member has a count of their own.
  EXPECT_TRUE(limiter.Admit("members/m2").ok());
  // A refusal is not counted: once the first lookup is an hour old, one
  // more is allowed, and then none until the second is.
  clock.Advance(absl::Minutes(30));
  EXPECT_TRUE(limiter.Admit("members/m1").ok());
  EXPECT_FALSE(limiter.Admit("members/m1").ok());
  clock.Advance(absl::Minutes(10));
  EXPECT_TRUE(limiter.Admit("members/m1").ok());
}

}  // namespace
}  // namespace carebridge::directory
