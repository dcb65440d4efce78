#include "services/careplan_client/caching_careplan_lookup.h"

#include <utility>

namespace carebridge::careplan_client {

absl::StatusOr<CareTeamView> CachingCarePlanLookup::GetCareTeam(
    absl::string_view person) {
  return inner_->GetCareTeam(person);
}

absl::StatusOr<sharing::PersonSharing> CachingCarePlanLookup::GetSharing(
    absl::string_view person) {
  int64_t generation = 0;
  bool following = false;
  {
    absl::MutexLock lock(&mu_);
    following = following_;
    if (following) {
      if (std::optional<sharing::PersonSharing> found = Fresh(person)) {
        return *std::move(found);
      }
    }
    generation = generation_;
  }
  // Asked outside the lock: a slow care plan service never holds up
  // remembered answers.
  if (!following) return inner_->GetSharing(person);
  const absl::Time asked = clock_->Now();
  absl::StatusOr<sharing::PersonSharing> found = inner_->GetSharing(person);
  if (!found.ok()) return found;
  absl::MutexLock lock(&mu_);
  if (following_ && generation_ == generation) {
    // Simple and bounded: the working set of persons read at once is far
    // smaller than this.
    if (entries_.size() >= max_entries_) entries_.clear();
    entries_[person] = Entry{*found, asked};
  }
  return found;
}

std::optional<sharing::PersonSharing> CachingCarePlanLookup::RememberedSharing(
    absl::string_view person) {
  absl::MutexLock lock(&mu_);
  if (!following_) return std::nullopt;
  return Fresh(person);
}

std::optional<sharing::PersonSharing> CachingCarePlanLookup::Fresh(
    absl::string_view person) {
  auto it = entries_.find(person);
  if (it == entries_.end()) return std::nullopt;
  if (clock_->Now() - it->second.fetched >= max_age_) {
    entries_.erase(it);
    return std::nullopt;
  }
  ++hits_;
  return it->second.sharing;
}

void CachingCarePlanLookup::Invalidate(absl::string_view person) {
  absl::MutexLock lock(&mu_);
  entries_.erase(person);
  ++generation_;
}

void CachingCarePlanLookup::SetFollowing(bool following) {
  absl::MutexLock lock(&mu_);
  following_ = following;
  entries_.clear();
  ++generation_;
}

bool CachingCarePlanLookup::following() const {
  absl::MutexLock lock(&mu_);
  return following_;
}

int64_t CachingCarePlanLookup::hits() const {
  absl::MutexLock lock(&mu_);
  return hits_;
}

}  // namespace carebridge::careplan_client
