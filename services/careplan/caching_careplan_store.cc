#include "services/careplan/caching_careplan_store.h"

#include <utility>

#include "services/common/call_audit.h"

namespace carebridge::careplan {

absl::StatusOr<v1::CarePlan> CachingCarePlanStore::GetCurrent(
    absl::string_view person_id) {
  absl::StatusOr<std::shared_ptr<const CurrentPlan>> current =
      GetCurrentShared(person_id);
  if (!current.ok()) return current.status();
  return (*current)->plan;
}

absl::StatusOr<std::shared_ptr<const CurrentPlan>>
CachingCarePlanStore::GetCurrentShared(absl::string_view person_id) {
  // Served from memory, the read is still the database's to record.
  NoteAuditedAccess(audited_);
  if (std::shared_ptr<const CurrentPlan> cached = Find(person_id)) {
    return cached;
  }
  const uint64_t generation = Generation();
  absl::StatusOr<std::shared_ptr<const CurrentPlan>> loaded =
      inner_->GetCurrentShared(person_id);
  if (loaded.ok()) Offer(person_id, *loaded, generation, /*committed=*/false);
  return loaded;
}

absl::Status CachingCarePlanStore::Append(absl::string_view person_id,
                                          const v1::CarePlan& plan,
                                          const PlanRequestKey* request) {
  const uint64_t generation = Generation();
  absl::Status appended = inner_->Append(person_id, plan, request);
  if (appended.ok()) Appended(person_id, plan, generation);
  return appended;
}

absl::Status CachingCarePlanStore::AppendApplied(absl::string_view person_id,
                                                 const v1::CarePlan& plan,
                                                 const FeedPosition& applied) {
  const uint64_t generation = Generation();
  absl::Status appended = inner_->AppendApplied(person_id, plan, applied);
  if (appended.ok()) Appended(person_id, plan, generation);
  return appended;
}

absl::Status CachingCarePlanStore::RecordApplied(const FeedPosition& applied) {
  return inner_->RecordApplied(applied);
}

absl::StatusOr<bool> CachingCarePlanStore::IsPending(
    const FeedPosition& position) {
  return inner_->IsPending(position);
}

absl::StatusOr<int64_t> CachingCarePlanStore::AppliedThrough(
    absl::string_view feed) {
  return inner_->AppliedThrough(feed);
}

void CachingCarePlanStore::Appended(absl::string_view person_id,
                                    const v1::CarePlan& plan,
                                    uint64_t generation) {
  auto current = std::make_shared<CurrentPlan>();
  current->plan = plan;
  current->wire = plan.SerializeAsString();
  Offer(person_id, std::move(current), generation, /*committed=*/true);
}

absl::StatusOr<std::optional<PlanRequestRecord>>
CachingCarePlanStore::FindRequest(absl::string_view person_id,
                                  absl::string_view team,
                                  absl::string_view request_id) {
  return inner_->FindRequest(person_id, team, request_id);
}

absl::StatusOr<v1::CarePlan> CachingCarePlanStore::GetVersion(
    absl::string_view person_id, int64_t version) {
  return inner_->GetVersion(person_id, version);
}

absl::StatusOr<std::vector<v1::CarePlan>> CachingCarePlanStore::ListVersions(
    absl::string_view person_id, int64_t before_version, int limit) {
  return inner_->ListVersions(person_id, before_version, limit);
}

size_t CachingCarePlanStore::size() const {
  absl::MutexLock lock(&mu_);
  return plans_.size();
}

std::shared_ptr<const CurrentPlan> CachingCarePlanStore::Find(
    absl::string_view person_id) const {
  absl::MutexLock lock(&mu_);
  auto it = plans_.find(person_id);
  return it == plans_.end() ? nullptr : it->second;
}

uint64_t CachingCarePlanStore::Generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

void CachingCarePlanStore::Offer(absl::string_view person_id,
                                 std::shared_ptr<const CurrentPlan> plan,
                                 uint64_t generation, bool committed) {
  // What is dropped is destroyed after the lock is released.
  std::shared_ptr<const CurrentPlan> replaced;
  absl::flat_hash_map<std::string, std::shared_ptr<const CurrentPlan>> evicted;
  absl::MutexLock lock(&mu_);
  if (!committed && generation != generation_) {
    // Entries were dropped during the read: a newer version may have been
    // written and dropped meanwhile, so this one may be stale.
    replaced = std::move(plan);
    return;
  }
  auto it = plans_.find(person_id);
  if (it != plans_.end()) {
    if (it->second->plan.version() < plan->plan.version()) {
      replaced = std::exchange(it->second, std::move(plan));
    } else {
      replaced = std::move(plan);
    }
    return;
  }
  if (generation != generation_) {
    // A write whose place was emptied while it ran: a newer write may have
    // been held and dropped since. Not held; nor are reads in flight, which
    // may have read what this write replaced.
    ++generation_;
    replaced = std::move(plan);
    return;
  }
  if (plans_.size() >= max_entries_) {
    evicted.swap(plans_);
    ++generation_;
  }
  plans_.emplace(std::string(person_id), std::move(plan));
}

}  // namespace carebridge::careplan
