#include "services/common/time_util.h"

namespace carebridge {

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t s = absl::ToUnixSeconds(t);
  ts.set_seconds(s);
  ts.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(s))));
  return ts;
}

absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t s = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(s);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

absl::Duration FromProtoDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

int64_t ToUnixMicrosUtc(absl::Time t) { return absl::ToUnixMicros(t); }

absl::Time WholeSecondAtOrAfter(absl::Time t) {
  // ToUnixSeconds rounds toward the infinite past, so this is the floor.
  const absl::Time floor = absl::FromUnixSeconds(absl::ToUnixSeconds(t));
  return floor < t ? floor + absl::Seconds(1) : floor;
}

}  // namespace carebridge
