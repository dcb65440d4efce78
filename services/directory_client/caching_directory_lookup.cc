#include "services/directory_client/caching_directory_lookup.h"

namespace carebridge::directory_client {

std::optional<TeamInfo> CachingDirectoryLookup::RememberedTeam(
    absl::string_view team_name) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = teams_.find(team_name);
  if (it != teams_.end() && now - it->second.fetched < team_ttl_) {
    return it->second.team;
  }
  return std::nullopt;
}

absl::StatusOr<TeamInfo> CachingDirectoryLookup::GetTeam(
    absl::string_view team_name) {
  const absl::Time now = clock_->Now();
  if (std::optional<TeamInfo> team = RememberedTeam(team_name)) return *team;
  // Asked outside the lock: concurrent misses may each ask, which is
  // harmless, and a slow directory never blocks cached answers.
  absl::StatusOr<TeamInfo> team = inner_->GetTeam(team_name);
  if (team.ok()) {
    absl::MutexLock lock(&mu_);
    if (teams_.size() >= max_entries_) teams_.clear();
    teams_[team_name] = CachedTeam{*team, now};
  }
  return team;
}

absl::Status CachingDirectoryLookup::CheckPersonExists(
    absl::string_view person_name) {
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = persons_.find(person_name);
    if (it != persons_.end() && now - it->second < team_ttl_) {
      return absl::OkStatus();
    }
  }
  absl::Status status = inner_->CheckPersonExists(person_name);
  if (status.ok()) {
    absl::MutexLock lock(&mu_);
    if (persons_.size() >= max_entries_) persons_.clear();
    persons_[person_name] = now;
  }
  return status;
}

}  // namespace carebridge::directory_client
