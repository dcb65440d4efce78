#include "services/directory/lookup_limiter.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/common/macros.h"

namespace carebridge::directory {

absl::Status LookupLimiter::Refused(absl::string_view subject,
                                    absl::Time earliest) const {
  // The message names whole seconds: rounded up, so a client that waits
  // until the moment named is admitted then.
  const absl::Time allowed =
      absl::UnixEpoch() +
      absl::Ceil(earliest + window_ - absl::UnixEpoch(), absl::Seconds(1));
  return absl::ResourceExhaustedError(absl::StrCat(
      "FindPersons: ", subject, " has looked up persons ", max_lookups_,
      " times in the last ", absl::FormatDuration(window_),
      "; bulk lookups are refused. The next is allowed at ",
      absl::FormatTime(absl::RFC3339_sec, allowed, absl::UTCTimeZone())));
}

absl::Status LookupLimiter::Admit(absl::string_view subject) {
  const absl::Time now = clock_->Now();
  if (ledger_ != nullptr) {
    ASSIGN_OR_RETURN(
        std::optional<absl::Time> earliest,
        ledger_->CountLookup(subject, now, now - window_, max_lookups_));
    if (earliest.has_value()) return Refused(subject, *earliest);
    return absl::OkStatus();
  }
  absl::MutexLock lock(&mu_);
  // Forget whoever has made no lookup within the window, so the map holds
  // only recent lookers.
  for (auto it = recent_.begin(); it != recent_.end();) {
    std::deque<absl::Time>& times = it->second;
    while (!times.empty() && times.front() <= now - window_) times.pop_front();
    if (times.empty()) {
      recent_.erase(it++);
    } else {
      ++it;
    }
  }
  std::deque<absl::Time>& times = recent_[std::string(subject)];
  if (static_cast<int>(times.size()) >= max_lookups_) {
    return Refused(subject, times.front());
  }
  times.push_back(now);
  return absl::OkStatus();
}

}  // namespace carebridge::directory
