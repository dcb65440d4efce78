#ifndef CAREBRIDGE_SERVICES_COMMON_THREAD_NAME_H_
#define CAREBRIDGE_SERVICES_COMMON_THREAD_NAME_H_

#include "absl/strings/string_view.h"

namespace carebridge {

// Names the calling thread for operators (`top -H`, `ps -L`, perf, gdb):
// e.g. "record.referral" for the record's consumer of the referral feed.
// Linux keeps 15 bytes of a name; a longer one keeps its first 15.
void NameThisThread(absl::string_view name);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_THREAD_NAME_H_
