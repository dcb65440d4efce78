#ifndef CAREBRIDGE_SERVICES_COMMON_TIME_UTIL_H_
#define CAREBRIDGE_SERVICES_COMMON_TIME_UTIL_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace carebridge {

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t);
absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& ts);
google::protobuf::Duration ToProtoDuration(absl::Duration d);
absl::Duration FromProtoDuration(const google::protobuf::Duration& d);

// Microseconds since the Unix epoch: how stores keep times in integer
// columns (sortable, exact).
int64_t ToUnixMicrosUtc(absl::Time t);

// `t` rounded up to a whole second (itself when it is one): tokens carry
// whole seconds, and rounding up means a token never expires, nor a cut-off
// falls, before the moment asked for.
absl::Time WholeSecondAtOrAfter(absl::Time t);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_TIME_UTIL_H_
