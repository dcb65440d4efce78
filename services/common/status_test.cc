#include "services/common/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "services/common/validation.h"

namespace carebridge {
namespace {

using ::testing::SizeIs;

TEST(StatusConversionTest, OkMapsToOkBothWays) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(StatusConversionTest, EveryCanonicalCodeMapsOneToOneBothWays) {
  const std::pair<absl::StatusCode, grpc::StatusCode> kPairs[] = {
      {absl::StatusCode::kCancelled, grpc::StatusCode::CANCELLED},
      {absl::StatusCode::kUnknown, grpc::StatusCode::UNKNOWN},
      {absl::StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
      {absl::StatusCode::kDeadlineExceeded,
       grpc::StatusCode::DEADLINE_EXCEEDED},
      {absl::StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
      {absl::StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
      {absl::StatusCode::kPermissionDenied,
       grpc::StatusCode::PERMISSION_DENIED},
      {absl::StatusCode::kResourceExhausted,
       grpc::StatusCode::RESOURCE_EXHAUSTED},
      {absl::StatusCode::kFailedPrecondition,
       grpc::StatusCode::FAILED_PRECONDITION},
      {absl::StatusCode::kAborted, grpc::StatusCode::ABORTED},
      {absl::StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE},
      {absl::StatusCode::kUnimplemented, grpc::StatusCode::UNIMPLEMENTED},
      {absl::StatusCode::kInternal, grpc::StatusCode::INTERNAL},
      {absl::StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
      {absl::StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS},
      {absl::StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
  };
  for (const auto& [absl_code, grpc_code] : kPairs) {
    SCOPED_TRACE(absl::StatusCodeToString(absl_code));
    grpc::Status to = ToGrpcStatus(absl::Status(absl_code, "why"));
    EXPECT_EQ(to.error_code(), grpc_code);
    EXPECT_EQ(to.error_message(), "why");
    absl::Status from = FromGrpcStatus(grpc::Status(grpc_code, "why"));
    EXPECT_EQ(from.code(), absl_code);
    EXPECT_EQ(from.message(), "why");
  }
}

TEST(StatusConversionTest, FieldErrorsKeepTheirTextAtTheEdge) {
  grpc::Status status =
      ToGrpcStatus(CheckRequiredText("referral.reason", "", 10));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "referral.reason: must be set");
}

TEST(StatusConversionTest, NonCanonicalCodesBecomeUnknown) {
  // Only the absl side can be built with a non-canonical code: a
  // grpc::StatusCode of 99 is outside the enum's range (undefined
  // behaviour, which the sanitizer build rejects).
  EXPECT_EQ(ToGrpcStatus(absl::Status(static_cast<absl::StatusCode>(99), "x"))
                .error_code(),
            grpc::StatusCode::UNKNOWN);
}

TEST(StatusConversionTest, MessageAtTheCapIsKeptWhole) {
  std::string message(kMaxErrorMessageLength, 'm');
  EXPECT_EQ(ToGrpcStatus(absl::InternalError(message)).error_message(),
            message);
}

TEST(StatusConversionTest, LongMessagesAreCapped) {
  std::string message = "field: " + std::string(100000, 'x');
  grpc::Status status = ToGrpcStatus(absl::InvalidArgumentError(message));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), SizeIs(kMaxErrorMessageLength));
  EXPECT_EQ(status.error_message(), message.substr(0, kMaxErrorMessageLength));
}

TEST(StatusConversionTest, CappingNeverSplitsAUtf8Character) {
  // 1023 ASCII bytes then "€" (3 bytes) straddling the cap.
  std::string message =
      std::string(kMaxErrorMessageLength - 1, 'a') + "\xE2\x82\xAC" + "tail";
  std::string capped =
      ToGrpcStatus(absl::InvalidArgumentError(message)).error_message();
  EXPECT_EQ(capped, std::string(kMaxErrorMessageLength - 1, 'a'));
  EXPECT_THAT(CheckText("message", capped, kMaxErrorMessageLength),
              ::testing::Property(&absl::Status::ok, true));
}

}  // namespace
}  // namespace carebridge
