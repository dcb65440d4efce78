#include "services/record/timeline_changes.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/macros.h"

namespace carebridge::record {
namespace {

std::string GroupChannel(int group) {
  return absl::StrCat(TimelineChanges::kChannel, ".", group);
}

}  // namespace

int TimelineChanges::GroupOf(absl::string_view person_id) {
  // FNV-1a: the same in every process and build (std::hash need not be).
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : person_id) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return static_cast<int>(hash % kPersonGroups);
}

absl::Status TimelineChanges::Announce(
    Connection& conn, const std::set<std::string>& person_ids) {
  if (person_ids.empty()) return absl::OkStatus();
  std::set<int> groups;
  for (const std::string& person_id : person_ids) {
    groups.insert(GroupOf(person_id));
  }
  if (groups.size() > static_cast<size_t>(kMostGroupsAnnounced)) {
    return conn.Announce(kChannel);
  }
  for (int group : groups) RETURN_IF_ERROR(conn.Announce(GroupChannel(group)));
  return absl::OkStatus();
}

TimelineChanges::~TimelineChanges() {
  // Once they are gone, the watches call nothing more.
  std::unique_ptr<DatabaseWatch> watch_all;
  std::array<std::unique_ptr<DatabaseWatch>, kPersonGroups> group_watches;
  absl::MutexLock lock(&watch_mu_);
  watch_all = std::move(watch_all_);
  group_watches = std::move(group_watches_);
}

TimelineChanges::WatchId TimelineChanges::Watch(
    std::string person_id, std::function<void()> on_change) {
  const int group = GroupOf(person_id);
  EnsureWatching(group);
  absl::MutexLock lock(&mu_);
  const WatchId id = next_id_++;
  PersonKey key(group, std::move(person_id));
  person_of_[id] = key;
  watchers_[std::move(key)][id] = std::move(on_change);
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
    auto of_person = watchers_.find(PersonKey(GroupOf(person_id), person_id));
    if (of_person == watchers_.end()) continue;
    for (auto& [id, on_change] : of_person->second) on_change();
  }
}

void TimelineChanges::ChangedGroup(int group) {
  absl::MutexLock lock(&mu_);
  for (auto of_person = watchers_.lower_bound(PersonKey(group, ""));
       of_person != watchers_.end() && of_person->first.first == group;
       ++of_person) {
    for (auto& [id, on_change] : of_person->second) on_change();
  }
}

void TimelineChanges::ChangedAny() {
  absl::MutexLock lock(&mu_);
  CallAll();
}

void TimelineChanges::Shutdown() {
  shutting_down_ = true;
  absl::MutexLock lock(&mu_);
  CallAll();
}

void TimelineChanges::CallAll() {
  for (auto& [person, of_person] : watchers_) {
    for (auto& [id, on_change] : of_person) on_change();
  }
}

void TimelineChanges::EnsureWatching(int group) {
  absl::MutexLock lock(&watch_mu_);
  if (db_ == nullptr) return;
  WatchChannel(
      kChannel, [this] { ChangedAny(); }, watch_all_);
  WatchChannel(
      GroupChannel(group), [this, group] { ChangedGroup(group); },
      group_watches_[group]);
  // A commit of another process before the watch began is found by the
  // stream's own first read, which follows.
}

void TimelineChanges::WatchChannel(const std::string& channel,
                                   std::function<void()> on_notice,
                                   std::unique_ptr<DatabaseWatch>& kept) {
  if (kept != nullptr || nothing_to_watch_) return;
  absl::StatusOr<std::unique_ptr<DatabaseWatch>> made =
      db_->Watch(channel, std::move(on_notice));
  if (!made.ok()) {
    LogLine(absl::StrCat(
        "record: timeline streams cannot watch other processes' commits yet "
        "(tried again when the next stream opens): ",
        made.status().ToString()));
    return;
  }
  kept = *std::move(made);
  nothing_to_watch_ = kept == nullptr;
}

}  // namespace carebridge::record
