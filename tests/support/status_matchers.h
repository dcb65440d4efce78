#ifndef CAREBRIDGE_TESTS_SUPPORT_STATUS_MATCHERS_H_
#define CAREBRIDGE_TESTS_SUPPORT_STATUS_MATCHERS_H_

// gMock matchers for absl::Status and absl::StatusOr, with no gRPC
// dependency, so unit tests of domain and store code can use them:
//   EXPECT_THAT(CheckText(...), IsOk());
//   EXPECT_THAT(Parse(...), StatusIs(absl::StatusCode::kInvalidArgument,
//                                    HasSubstr("person.name")));
//   EXPECT_THAT(ListKeys(...), IsOkAndHolds(ElementsAre("a")));

#include <gmock/gmock.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace carebridge::testing {

inline const absl::Status& StatusOf(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& status = StatusOf(arg);
  if (status.ok()) return true;
  *result_listener << status;
  return false;
}

MATCHER_P(StatusIs, code, "") {
  const absl::Status& status = StatusOf(arg);
  if (status.code() == code) return true;
  *result_listener << status;
  return false;
}

MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& status = StatusOf(arg);
  if (status.code() != code) {
    *result_listener << status;
    return false;
  }
  return ::testing::ExplainMatchResult(
      message_matcher, std::string(status.message()), result_listener);
}

// EXPECT_THAT(status_or, IsOkAndHolds(ElementsAre(1, 2)))
MATCHER_P(IsOkAndHolds, value_matcher, "") {
  if (!arg.ok()) {
    *result_listener << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace carebridge::testing

#endif  // CAREBRIDGE_TESTS_SUPPORT_STATUS_MATCHERS_H_
