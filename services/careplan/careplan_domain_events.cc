// CarePlanDomain: applying other services' events.

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/careplan/careplan_domain.h"
#include "services/careplan/careplan_effects.h"
#include "services/careplan/careplan_names.h"
#include "services/careplan/careplan_version.h"
#include "services/careplan/errors.h"
#include "services/common/log.h"
#include "services/common/macros.h"

namespace carebridge::careplan {
namespace {

// As in Write: a version that lost a race is built again on a fresh read,
// this many times at most; then the consumer retries the event later.
constexpr int kMaxAttempts = 5;

Principal ServiceActor() {
  Principal actor;
  actor.subject = "services/careplan";
  actor.role = Role::kService;
  return actor;
}

}  // namespace

absl::StatusOr<int64_t> CarePlanDomain::AppliedThrough(absl::string_view feed) {
  return store_->AppliedThrough(feed);
}

absl::Status CarePlanDomain::ApplyEvent(const events::v1::Event& event) {
  FeedPosition position;
  position.feed = event.feed();
  position.sequence = event.sequence();
  return ApplyEvent(event, position);
}

absl::Status CarePlanDomain::ApplyEvent(const events::v1::Event& event,
                                        const FeedPosition& position) {
  if (event.feed().empty() || event.sequence() < 1 ||
      event.feed() != position.feed || event.sequence() != position.sequence) {
    return absl::InvalidArgumentError(
        absl::StrCat("event: feed (\"", event.feed(), "\") and sequence (",
                     event.sequence(), ") must be set and match the position (",
                     position.feed, "/", position.sequence, ")"));
  }
  // Retrying a malformed event would never succeed: the error says so, and
  // the consumer parks the event for an administrator.
  ASSIGN_OR_RETURN(std::optional<AcceptedHandOff> parsed,
                   ParseAcceptedEvent(event));
  if (!parsed.has_value()) return store_->RecordApplied(position);
  const AcceptedHandOff& accepted = *parsed;

  for (int attempt = 1;; ++attempt) {
    // Check first: a redelivered event costs one read, not a plan load.
    ASSIGN_OR_RETURN(bool pending, store_->IsPending(position));
    if (!pending) return absl::OkStatus();

    v1::CarePlan plan;
    absl::StatusOr<v1::CarePlan> current =
        store_->GetCurrent(accepted.person_id);
    if (current.ok()) {
      plan = *std::move(current);
    } else if (absl::IsNotFound(current.status())) {
      plan.set_person(PersonName(accepted.person_id));
    } else {
      return current.status();
    }
    const absl::Time now = clock_->Now();
    ASSIGN_OR_RETURN(PlanEffect effect, EffectOf(accepted, plan, now));
    if (!effect.changes) {
      RETURN_IF_ERROR(store_->RecordApplied(position));
      if (!effect.note.empty())
        LogLine(absl::StrCat("careplan: ", effect.note));
      return absl::OkStatus();
    }
    FinishVersion(plan, effect.kind, {v1::CARE_TEAM}, effect.reason,
                  ServiceActor(), now, effect.next);
    StampSectors(effect.next);
    absl::Status appended =
        store_->AppendApplied(accepted.person_id, effect.next, position);
    if (appended.ok()) {
      if (!effect.note.empty())
        LogLine(absl::StrCat("careplan: ", effect.note));
      return absl::OkStatus();
    }
    // Applied by a concurrent delivery of the same event.
    if (absl::IsAlreadyExists(appended)) return absl::OkStatus();
    if (!absl::IsAborted(appended)) return appended;
    if (attempt == kMaxAttempts) {
      return errors::KeptChanging(CarePlanName(accepted.person_id), attempt);
    }
  }
}

}  // namespace carebridge::careplan
