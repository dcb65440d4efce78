#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CACHING_CAREPLAN_STORE_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CACHING_CAREPLAN_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "services/careplan/careplan_store.h"
#include "services/common/database.h"

namespace carebridge::careplan {

// Keeps the newest version of recently read or written plans in memory,
// parsed and serialized, in front of another store: reading a plan — by
// far the most frequent call — then costs no database read, parse or
// serialization. Everything else passes through (the inner store writes
// the events and cursors); the cache learns of a version only once the
// inner store has committed it.
//
// Only correct while this process is the only writer of `inner`: true of
// the SQLite store, whose file one server process owns. A store shared by
// several processes (PostgreSQL behind replicas) must not be wrapped.
//
// An entry is replaced only by a newer version, so a slow reader that
// loaded an older version never overwrites a write that finished after it.
// At most `max_entries` plans are held; when full the cache is emptied and
// refilled (simple and bounded). Emptying forgets which versions were
// newest, so what a read or write begun before it offers is not trusted to
// fill an empty place (see `generation_`). This class is thread-safe.
class CachingCarePlanStore : public CarePlanStore {
 public:
  // `audited`: the database whose audit log records the calls this store
  // serves (a read from memory included); may be null.
  CachingCarePlanStore(std::unique_ptr<CarePlanStore> inner,
                       size_t max_entries = 4096, Database* audited = nullptr)
      : inner_(std::move(inner)),
        max_entries_(max_entries),
        audited_(audited) {}

  absl::StatusOr<v1::CarePlan> GetCurrent(absl::string_view person_id) override;
  absl::StatusOr<std::shared_ptr<const CurrentPlan>> GetCurrentShared(
      absl::string_view person_id) override;
  absl::Status Append(absl::string_view person_id, const v1::CarePlan& plan,
                      const PlanRequestKey* request) override;
  absl::Status AppendApplied(absl::string_view person_id,
                             const v1::CarePlan& plan,
                             const FeedPosition& applied) override;
  absl::Status RecordApplied(const FeedPosition& applied) override;
  absl::StatusOr<bool> IsPending(const FeedPosition& position) override;
  absl::StatusOr<int64_t> AppliedThrough(absl::string_view feed) override;
  absl::StatusOr<std::optional<PlanRequestRecord>> FindRequest(
      absl::string_view person_id, absl::string_view team,
      absl::string_view request_id) override;
  absl::StatusOr<v1::CarePlan> GetVersion(absl::string_view person_id,
                                          int64_t version) override;
  absl::StatusOr<std::vector<v1::CarePlan>> ListVersions(
      absl::string_view person_id, int64_t before_version, int limit) override;

  // How many plans are held (for tests).
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  std::shared_ptr<const CurrentPlan> Find(absl::string_view person_id) const
      ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t Generation() const ABSL_LOCKS_EXCLUDED(mu_);
  // `plan` as read (`committed` false) or written (true) by a call to
  // `inner_` begun at `generation`.
  void Offer(absl::string_view person_id,
             std::shared_ptr<const CurrentPlan> plan, uint64_t generation,
             bool committed) ABSL_LOCKS_EXCLUDED(mu_);
  // After `inner_` committed `plan` in a write begun at `generation`: it is
  // the newest version.
  void Appended(absl::string_view person_id, const v1::CarePlan& plan,
                uint64_t generation) ABSL_LOCKS_EXCLUDED(mu_);

  const std::unique_ptr<CarePlanStore> inner_;
  const size_t max_entries_;
  Database* const audited_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const CurrentPlan>> plans_
      ABSL_GUARDED_BY(mu_);
  // Raised whenever entries are dropped, or a committed version is not
  // held. A plan read from `inner_` is held only if this did not change
  // during the read: otherwise a newer version may have been written and
  // dropped meanwhile. A written plan may take a place emptied during its
  // write only if nothing newer can have been written and dropped since;
  // when it cannot tell, it is not held, and this is raised so that reads
  // in flight, which may predate the write, are not held either.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CACHING_CAREPLAN_STORE_H_
