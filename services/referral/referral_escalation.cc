#include "services/referral/referral_escalation.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/macros.h"
#include "services/common/time_util.h"
#include "services/referral/referral_events.h"
#include "services/referral/referral_state.h"

namespace carebridge::referral {
namespace {

// Referrals read per query: bounds memory when a long outage left many
// overdue at once.
constexpr int kBatchSize = 100;

// A referral another writer changes while the scan escalates it is read
// again this many times.
constexpr int kMaxAttempts = 5;

bool AwaitsEscalation(const v1::Referral& referral, absl::Time now) {
  return AwaitsAnswer(referral.state()) && !referral.has_escalate_time() &&
         FromProtoTimestamp(referral.response_due_time()) < now;
}

// One compare-and-swap write; false when the referral changed since it was
// read.
absl::StatusOr<bool> TryEscalate(ReferralStore& store, StoredReferral stored,
                                 absl::Time now) {
  v1::Referral& referral = stored.referral;
  const absl::Time due = FromProtoTimestamp(referral.response_due_time());
  *referral.mutable_escalate_time() = ToProtoTimestamp(now);
  *referral.mutable_update_time() = ToProtoTimestamp(now);
  v1::ReferralEvent* entry = referral.add_history();
  entry->set_action(v1::ReferralEvent::ESCALATED);
  *entry->mutable_time() = ToProtoTimestamp(now);
  entry->set_actor(kReferralServiceActor);
  entry->set_from_state(referral.state());
  entry->set_to_state(referral.state());
  entry->set_note(absl::StrCat(
      "no answer by the response deadline, ",
      absl::FormatTime(absl::RFC3339_sec, due, absl::UTCTimeZone())));
  absl::StatusOr<int64_t> version = store.Update(
      referral, stored.version,
      ReferralChangeEvent(kReferralEscalated,
                          Present({referral, stored.version + 1}, now),
                          kReferralServiceActor, now));
  if (version.ok()) return true;
  if (absl::IsAborted(version.status())) return false;
  return version.status();
}

// Escalates `stored`, reading it again after a lost race; false when it no
// longer awaits escalation (answered, or escalated by a concurrent scan).
absl::StatusOr<bool> Escalate(ReferralStore& store, StoredReferral stored,
                              absl::Time now) {
  for (int attempt = 1;; ++attempt) {
    const std::string name = stored.referral.name();
    ASSIGN_OR_RETURN(bool escalated,
                     TryEscalate(store, std::move(stored), now));
    if (escalated || attempt == kMaxAttempts) return escalated;
    ASSIGN_OR_RETURN(stored, store.Get(name));
    if (!AwaitsEscalation(stored.referral, now)) return false;
  }
}

}  // namespace

absl::StatusOr<int> EscalateOverdueReferrals(ReferralStore& store,
                                             absl::Time now) {
  int escalated = 0;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<StoredReferral> batch,
                     store.ListUnescalatedOverdue(now, kBatchSize));
    int in_batch = 0;
    for (StoredReferral& stored : batch) {
      ASSIGN_OR_RETURN(bool done, Escalate(store, std::move(stored), now));
      if (done) ++in_batch;
    }
    escalated += in_batch;
    // A full batch that escalated nothing lost every race, again and again:
    // leave those referrals to the next scan rather than spin.
    if (static_cast<int>(batch.size()) < kBatchSize || in_batch == 0) {
      return escalated;
    }
  }
}

}  // namespace carebridge::referral
