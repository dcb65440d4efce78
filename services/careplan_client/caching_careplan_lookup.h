#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_CACHING_CAREPLAN_LOOKUP_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_CACHING_CAREPLAN_LOOKUP_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/careplan_client/careplan_lookup.h"
#include "services/common/clock.h"

namespace carebridge::careplan_client {

// Remembers each person's sharing choices (and lead team) so a referral,
// handover or record read does not ask the care plan service every time,
// while a change of choices or of who leads still holds from the moment
// the care plan service's feed delivers it to this process.
//
// The cache is used only while something follows the care plan feed and
// says so (SetFollowing(true)): then every change of a person's plan or
// choices is passed on as Invalidate(person), and what is remembered is
// never older than the last such change delivered. When the follower is
// not following (not yet connected, the care plan service down, the stream
// broken), everything remembered is dropped and every call asks the care
// plan service afresh. An answer asked for while a change was delivered is
// not remembered (it may predate the change). As a backstop against a
// stream that stops without an error, nothing is kept longer than
// `max_age`. Failures are never remembered. GetCareTeam is passed on as
// it is (it is asked only when a decision needs the care team now).
//
// This class is thread-safe.
class CachingCarePlanLookup : public CarePlanLookup {
 public:
  static constexpr absl::Duration kDefaultMaxAge = absl::Seconds(30);
  static constexpr size_t kDefaultMaxEntries = 100000;

  // `inner` and `clock` outlive this.
  CachingCarePlanLookup(CarePlanLookup* inner, const Clock* clock,
                        absl::Duration max_age = kDefaultMaxAge,
                        size_t max_entries = kDefaultMaxEntries)
      : inner_(inner),
        clock_(clock),
        max_age_(max_age),
        max_entries_(max_entries) {}

  absl::StatusOr<CareTeamView> GetCareTeam(absl::string_view person) override;
  absl::StatusOr<sharing::PersonSharing> GetSharing(
      absl::string_view person) override ABSL_LOCKS_EXCLUDED(mu_);
  std::optional<sharing::PersonSharing> RememberedSharing(
      absl::string_view person) override ABSL_LOCKS_EXCLUDED(mu_);

  // The person's plan or choices changed (`persons/{id}`).
  void Invalidate(absl::string_view person) ABSL_LOCKS_EXCLUDED(mu_);
  // Whether every change is being passed on now. Either way what is
  // remembered is dropped (a follower that just caught up does not know
  // what it missed before).
  void SetFollowing(bool following) ABSL_LOCKS_EXCLUDED(mu_);
  bool following() const ABSL_LOCKS_EXCLUDED(mu_);

  // Answers given from memory since construction (for tests and logs).
  int64_t hits() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // The remembered answer, if fresh (counted as a hit); a stale one is
  // dropped.
  std::optional<sharing::PersonSharing> Fresh(absl::string_view person)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  struct Entry {
    sharing::PersonSharing sharing;
    absl::Time fetched;
  };

  CarePlanLookup* const inner_;
  const Clock* const clock_;
  const absl::Duration max_age_;
  const size_t max_entries_;

  mutable absl::Mutex mu_;
  bool following_ ABSL_GUARDED_BY(mu_) = false;
  // Moves on with every invalidation: an answer asked for under an older
  // generation is not remembered.
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge::careplan_client

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_CACHING_CAREPLAN_LOOKUP_H_
