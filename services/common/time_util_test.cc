#include "services/common/time_util.h"

#include <gtest/gtest.h>

namespace carebridge {
namespace {

const absl::Time kEpoch = absl::UnixEpoch();

TEST(TimestampTest, WholeSecondsRoundTrip) {
  absl::Time t = absl::FromUnixSeconds(1767225600);
  google::protobuf::Timestamp ts = ToProtoTimestamp(t);
  EXPECT_EQ(ts.seconds(), 1767225600);
  EXPECT_EQ(ts.nanos(), 0);
  EXPECT_EQ(FromProtoTimestamp(ts), t);
}

TEST(TimestampTest, SubSecondRoundTripsToTheNanosecond) {
  absl::Time t =
      absl::FromUnixSeconds(1767225600) + absl::Nanoseconds(123456789);
  google::protobuf::Timestamp ts = ToProtoTimestamp(t);
  EXPECT_EQ(ts.seconds(), 1767225600);
  EXPECT_EQ(ts.nanos(), 123456789);
  EXPECT_EQ(FromProtoTimestamp(ts), t);
}

TEST(TimestampTest, BeforeTheEpochKeepsNanosNonNegative) {
  // google.protobuf.Timestamp: nanos is always in [0, 1e9), even before 1970.
  absl::Time t = kEpoch - absl::Milliseconds(1500);
  google::protobuf::Timestamp ts = ToProtoTimestamp(t);
  EXPECT_EQ(ts.seconds(), -2);
  EXPECT_EQ(ts.nanos(), 500000000);
  EXPECT_EQ(FromProtoTimestamp(ts), t);
}

TEST(TimestampTest, EpochIsZero) {
  google::protobuf::Timestamp ts = ToProtoTimestamp(kEpoch);
  EXPECT_EQ(ts.seconds(), 0);
  EXPECT_EQ(ts.nanos(), 0);
}

TEST(DurationTest, PositiveDurationsRoundTrip) {
  for (absl::Duration d :
       {absl::ZeroDuration(), absl::Nanoseconds(1), absl::Milliseconds(1500),
        absl::Hours(72), absl::Seconds(59) + absl::Nanoseconds(999999999)}) {
    SCOPED_TRACE(absl::FormatDuration(d));
    EXPECT_EQ(FromProtoDuration(ToProtoDuration(d)), d);
  }
}

TEST(DurationTest, FieldsFollowTheProtoEncoding) {
  google::protobuf::Duration pd = ToProtoDuration(absl::Milliseconds(1500));
  EXPECT_EQ(pd.seconds(), 1);
  EXPECT_EQ(pd.nanos(), 500000000);
}

TEST(DurationTest, NegativeDurationsHaveSecondsAndNanosOfTheSameSign) {
  // google.protobuf.Duration: for negative values both fields are <= 0.
  google::protobuf::Duration pd = ToProtoDuration(-absl::Milliseconds(1500));
  EXPECT_EQ(pd.seconds(), -1);
  EXPECT_EQ(pd.nanos(), -500000000);

  google::protobuf::Duration sub_second =
      ToProtoDuration(-absl::Milliseconds(250));
  EXPECT_EQ(sub_second.seconds(), 0);
  EXPECT_EQ(sub_second.nanos(), -250000000);
}

TEST(DurationTest, NegativeDurationsRoundTrip) {
  for (absl::Duration d : {-absl::Nanoseconds(1), -absl::Milliseconds(250),
                           -absl::Milliseconds(1500), -absl::Hours(72)}) {
    SCOPED_TRACE(absl::FormatDuration(d));
    EXPECT_EQ(FromProtoDuration(ToProtoDuration(d)), d);
  }
}

TEST(UnixMicrosTest, IsExactAndOrdered) {
  absl::Time t = absl::FromUnixSeconds(1767225600) + absl::Microseconds(7);
  EXPECT_EQ(ToUnixMicrosUtc(t), 1767225600000007);
  EXPECT_LT(ToUnixMicrosUtc(t), ToUnixMicrosUtc(t + absl::Microseconds(1)));
  EXPECT_EQ(ToUnixMicrosUtc(kEpoch - absl::Microseconds(1)), -1);
}

TEST(WholeSecondTest, RoundsUpToTheNextWholeSecond) {
  const absl::Time second = absl::FromUnixSeconds(1767225600);
  EXPECT_EQ(WholeSecondAtOrAfter(second + absl::Nanoseconds(1)),
            second + absl::Seconds(1));
  EXPECT_EQ(WholeSecondAtOrAfter(second + absl::Milliseconds(999)),
            second + absl::Seconds(1));
}

TEST(WholeSecondTest, AWholeSecondIsItself) {
  const absl::Time second = absl::FromUnixSeconds(1767225600);
  EXPECT_EQ(WholeSecondAtOrAfter(second), second);
  EXPECT_EQ(WholeSecondAtOrAfter(kEpoch), kEpoch);
}

TEST(WholeSecondTest, BeforeTheEpochRoundsTowardTheEpoch) {
  // Half a second before the epoch is rounded up to the epoch, not down.
  EXPECT_EQ(WholeSecondAtOrAfter(kEpoch - absl::Milliseconds(500)), kEpoch);
  EXPECT_EQ(WholeSecondAtOrAfter(kEpoch - absl::Milliseconds(1500)),
            kEpoch - absl::Seconds(1));
}

}  // namespace
}  // namespace carebridge
