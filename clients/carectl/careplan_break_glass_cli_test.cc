// `carectl careplan break-glass open|list|review` against a fake
// CarePlanService: what each sends and prints.

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "clients/carectl/careplan_cli_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace cp = ::carebridge::careplan::v1;
using careplan_cli_testing::CarePlanCliTest;
using careplan_cli_testing::Result;
using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(CarePlanCliTest, BreakGlassOpensAndListsAccesses) {
  Result r = Run({"careplan", "break-glass", "open", "p1",
                  "--reason=Found in distress at 3am"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("access:       persons/p1/breakGlassAccesses/3"));
  EXPECT_THAT(r.out, HasSubstr("reason:       Found in distress at 3am"));
  EXPECT_THAT(r.out, HasSubstr("not shared:   the crisis plan beyond what "
                               "helps"));
  EXPECT_THAT(r.out, HasSubstr("CRISIS PLAN  (as of version 4)"));
  EXPECT_THAT(r.out, HasSubstr("What helps:\n      Music"));
  r = Run({"careplan", "break-glass", "list", "persons/p1", "--page_size=5"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("OPENED"));
  EXPECT_THAT(r.out, HasSubstr("members/nina"));
  EXPECT_THAT(r.out, HasSubstr("Found in distress at 3am"));
  EXPECT_THAT(r.out, HasSubstr("next page: more"));
  {
    absl::MutexLock lock(&service_.mu_);
    EXPECT_EQ(service_.break_glass_.name(), "persons/p1/carePlan");
    EXPECT_EQ(service_.break_glass_.reason(), "Found in distress at 3am");
    EXPECT_EQ(service_.list_break_glass_.parent(), "persons/p1");
    EXPECT_EQ(service_.list_break_glass_.page_size(), 5);
  }
  r = Run({"careplan", "break-glass", "list", "p1", "--all"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("next page")));
}

TEST_F(CarePlanCliTest, BreakGlassReviewAndTheReviewQueue) {
  Result r = Run({"careplan", "break-glass", "review",
                  "persons/p1/breakGlassAccesses/3", "--outcome=Not_Justified",
                  "--reason=No emergency: raised with their manager"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("review:       NOT justified by members/alice "
                               "(teams/cmht), 2026-01-01"));
  EXPECT_THAT(r.out, HasSubstr("found:        No emergency: raised with their "
                               "manager"));
  // A review's answer carries no crisis plan, and does not print one.
  EXPECT_THAT(r.out, Not(HasSubstr("CRISIS PLAN")));
  {
    absl::MutexLock lock(&service_.mu_);
    EXPECT_EQ(service_.review_break_glass_.name(),
              "persons/p1/breakGlassAccesses/3");
    EXPECT_EQ(service_.review_break_glass_.outcome(),
              cp::BreakGlassReview::NOT_JUSTIFIED);
    EXPECT_EQ(service_.review_break_glass_.reason(),
              "No emergency: raised with their manager");
  }
  r = Run({"careplan", "break-glass", "list", "-", "--unreviewed"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ACCESS"));
  EXPECT_THAT(r.out, HasSubstr("persons/p1/breakGlassAccesses/3"));
  EXPECT_THAT(r.out, HasSubstr("not reviewed"));
  {
    absl::MutexLock lock(&service_.mu_);
    EXPECT_EQ(service_.list_break_glass_.parent(), "persons/-");
    EXPECT_TRUE(service_.list_break_glass_.unreviewed_only());
  }
  r = Run({"careplan", "break-glass", "list", "p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.list_break_glass_.parent(), "persons/p1");
  EXPECT_FALSE(service_.list_break_glass_.unreviewed_only());
}

}  // namespace
}  // namespace carebridge::carectl
