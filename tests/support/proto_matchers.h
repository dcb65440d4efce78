#ifndef CAREBRIDGE_TESTS_SUPPORT_PROTO_MATCHERS_H_
#define CAREBRIDGE_TESTS_SUPPORT_PROTO_MATCHERS_H_

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>

#include <string>

#include "services/common/macros.h"
#include "services/common/status.h"

namespace carebridge::testing {

// EXPECT_THAT(actual, EqualsProto(expected)): field-by-field equality, with
// the difference printed on failure.
MATCHER_P(EqualsProto, expected, "") {
  google::protobuf::util::MessageDifferencer differencer;
  std::string diff;
  differencer.ReportDifferencesToString(&diff);
  if (differencer.Compare(expected, arg)) return true;
  *result_listener << "differs: " << diff;
  return false;
}

// EXPECT_THAT(grpc_status, HasCode(grpc::StatusCode::NOT_FOUND)).
MATCHER_P(HasCode, code, "") {
  if (arg.error_code() == code) return true;
  *result_listener << "code " << arg.error_code() << ": "
                   << arg.error_message();
  return false;
}

// EXPECT_THAT(grpc_status, HasCodeAndMessage(code, HasSubstr("field")))
MATCHER_P2(HasCodeAndMessage, code, message_matcher, "") {
  if (arg.error_code() != code) {
    *result_listener << "code " << arg.error_code() << ": "
                     << arg.error_message();
    return false;
  }
  return ::testing::ExplainMatchResult(message_matcher, arg.error_message(),
                                       result_listener);
}

}  // namespace carebridge::testing

#define ASSERT_GRPC_OK(expr)                                                  \
  do {                                                                        \
    const ::grpc::Status cb_grpc_status_ = (expr);                            \
    ASSERT_TRUE(cb_grpc_status_.ok()) << cb_grpc_status_.error_code() << ": " \
                                      << cb_grpc_status_.error_message();     \
  } while (false)

#define ASSERT_OK(expr)                                              \
  do {                                                               \
    const ::absl::Status cb_absl_status_ = (expr);                   \
    ASSERT_TRUE(cb_absl_status_.ok()) << cb_absl_status_.ToString(); \
  } while (false)

#define ASSERT_OK_AND_ASSIGN(lhs, expr)                        \
  auto CB_CONCAT_(cb_assign_, __LINE__) = (expr);              \
  ASSERT_TRUE(CB_CONCAT_(cb_assign_, __LINE__).ok())           \
      << CB_CONCAT_(cb_assign_, __LINE__).status().ToString(); \
  lhs = std::move(CB_CONCAT_(cb_assign_, __LINE__)).value()

#endif  // CAREBRIDGE_TESTS_SUPPORT_PROTO_MATCHERS_H_
