#include "services/record/timeline_changes.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace carebridge::record {

TimelineChanges::~TimelineChanges() {
  // Once it is gone, the watch calls ChangedAny no more.
  std::unique_ptr<DatabaseWatch> watch;
  absl::MutexLock lock(&watch_mu_);
  watch = std::move(watch_);
}

TimelineChanges::WatchId TimelineChanges::Watch(
    std::string person_id, std::function<void()> on_change) {
  EnsureWatching();
  absl::MutexLock lock(&mu_);
  const WatchId id = next_id_++;
  person_of_[id] = person_id;
  watchers_[std::move(person_id)][id] = std::move(on_change);
  return id;
}

void TimelineChanges::Unwatch(WatchId id) {
  // Callbacks run under mu_: once it is ours, none is running.
  absl::MutexLock lock(&mu_);
  auto person = person_of_.find(id);
  if (person == person_of_.end()) return;
  auto of_person = watchers_.find(person->second);
  of_person->second.erase(id);
  if (of_person->second.empty()) watchers_.erase(of_person);
  person_of_.erase(person);
}

void TimelineChanges::Changed(const std::vector<std::string>& person_ids) {
  absl::MutexLock lock(&mu_);
  for (const std::string& person_id : person_ids) {
    auto of_person = watchers_.find(person_id);
    if (of_person == watchers_.end()) continue;
    for (auto& [id, on_change] : of_person->second) on_change();
  }
}

void TimelineChanges::ChangedAny() {
  absl::MutexLock lock(&mu_);
  for (auto& [person_id, of_person] : watchers_) {
    for (auto& [id, on_change] : of_person) on_change();
  }
}

void TimelineChanges::Shutdown() {
  shutting_down_ = true;
  absl::MutexLock lock(&mu_);
  for (auto& [person_id, of_person] : watchers_) {
    for (auto& [id, on_change] : of_person) on_change();
  }
}

void TimelineChanges::EnsureWatching() {
  absl::MutexLock lock(&watch_mu_);
  if (watch_ != nullptr || nothing_to_watch_ || db_ == nullptr) return;
  absl::StatusOr<std::unique_ptr<DatabaseWatch>> watch =
      db_->Watch(kChannel, [this] { ChangedAny(); });
  if (!watch.ok()) {
    LogLine(absl::StrCat(
        "record: timeline streams cannot watch other processes' commits yet "
        "(tried again when the next stream opens): ",
        watch.status().ToString()));
    return;
  }
  watch_ = *std::move(watch);
  nothing_to_watch_ = watch_ == nullptr;
  // A commit of another process before the watch began is found by the
  // stream's own first read, which follows.
}

}  // namespace carebridge::record
