#include "services/directory/lookup_limiter.h"

#include "absl/strings/str_cat.h"

namespace carebridge::directory {

absl::Status LookupLimiter::Admit(absl::string_view subject) {
  const absl::Time now = clock_->Now();
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
    return absl::ResourceExhaustedError(absl::StrCat(
        "FindPersons: ", subject, " has looked up persons ", max_lookups_,
        " times in the last ", absl::FormatDuration(window_),
        "; bulk lookups are refused. The next is allowed at ",
        absl::FormatTime(absl::RFC3339_sec, times.front() + window_,
                         absl::UTCTimeZone())));
  }
  times.push_back(now);
  return absl::OkStatus();
}

}  // namespace carebridge::directory
