#include "services/directory/lookup_limiter.h"

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
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

// The moment a refusal names, as the time it is.
absl::Time NamedMoment(const absl::Status& refused) {
  constexpr absl::string_view kAllowedAt = "The next is allowed at ";
  const absl::string_view message = refused.message();
  const size_t at = message.find(kAllowedAt);
  EXPECT_NE(at, absl::string_view::npos) << message;
  if (at == absl::string_view::npos) return absl::InfinitePast();
  absl::Time named;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full,
                              message.substr(at + kAllowedAt.size()), &named,
                              &error))
      << error << ": " << message;
  return named;
}

TEST(LookupLimiterTest, ALookupAtTheMomentARefusalNamesIsAllowed) {
  // The first lookup is made part way through a second.
  FakeClock clock(absl::FromUnixSeconds(1767225600) + absl::Milliseconds(250));
  LookupLimiter limiter(&clock, /*ledger=*/nullptr, /*max_lookups=*/2,
                        absl::Hours(1));
  ASSERT_TRUE(limiter.Admit("members/m1").ok());
  clock.Advance(absl::Minutes(10));
  ASSERT_TRUE(limiter.Admit("members/m1").ok());
  const absl::Status refused = limiter.Admit("members/m1");
  ASSERT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  // The whole second after the first lookup leaves the window.
  const absl::Time named = NamedMoment(refused);
  EXPECT_EQ(named, absl::FromUnixSeconds(1767225600 + 3600 + 1));
  clock.Set(named - absl::Seconds(1));
  EXPECT_EQ(limiter.Admit("members/m1").code(),
            absl::StatusCode::kResourceExhausted);
  clock.Set(named);
  EXPECT_TRUE(limiter.Admit("members/m1").ok());
}

}  // namespace
}  // namespace carebridge::directory
