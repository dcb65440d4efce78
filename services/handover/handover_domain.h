#ifndef CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_DOMAIN_H_
#define CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_DOMAIN_H_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "carebridge/handover/v1/handover.pb.h"
#include "services/careplan_client/careplan_lookup.h"
#include "services/careplan_client/exchange_sharing.h"
#include "services/careplan_client/shown_exchanges.h"
#include "services/common/clock.h"
#include "services/common/ids.h"
#include "services/common/principal.h"
#include "services/directory_client/directory_lookup.h"
#include "services/handover/handover_state.h"
#include "services/handover/handover_store.h"

namespace carebridge::handover {

using careplan_client::CarePlanLookup;
using careplan_client::CareTeamView;

// The rules of handovers: who may hand over, answer and cancel, what a
// valid handover is, and the event every change leaves. Takes an
// authenticated caller and a request, returns the resource as the API shows
// it. The sending team is always the caller's team. Checks run in the order
// the care plan domain uses: request shape (INVALID_ARGUMENT), the caller's
// role (PERMISSION_DENIED), the handover (NOT_FOUND), the caller's
// relationship to it (PERMISSION_DENIED), the etag (ABORTED), the rules
// (FAILED_PRECONDITION, ALREADY_EXISTS, INVALID_ARGUMENT for what the
// handover's kind requires), then the other services (care plan, directory)
// and the write. A failed call writes nothing. The assessment is shown as
// the person's sharing choices say (SHARED_RISK), asked of the care plan
// service at every read. This class is thread-safe (its collaborators are).
class HandoverDomain {
 public:
  // Who escalations are recorded as.
  static constexpr char kServiceActor[] = "services/handover";

  HandoverDomain(const Clock* clock, IdGenerator* ids,
                 directory_client::DirectoryLookup* directory,
                 CarePlanLookup* careplan, HandoverStore* store)
      : clock_(clock),
        ids_(ids),
        directory_(directory),
        careplan_(careplan),
        store_(store),
        sharing_(careplan, directory) {}

  absl::StatusOr<v1::Handover> CreateHandover(
      const Principal& caller, const v1::CreateHandoverRequest& request);
  // Reads: with RemoteCalls::kDeferred, RemoteCallDeferred() when the
  // assessment needs the person's sharing choices.
  absl::StatusOr<v1::Handover> GetHandover(
      const Principal& caller, const v1::GetHandoverRequest& request,
      RemoteCalls remote = RemoteCalls::kAllowed);
  absl::StatusOr<v1::ListHandoversResponse> ListHandovers(
      const Principal& caller, const v1::ListHandoversRequest& request,
      RemoteCalls remote = RemoteCalls::kAllowed);
  absl::StatusOr<v1::Handover> AcceptHandover(
      const Principal& caller, const v1::AcceptHandoverRequest& request);
  absl::StatusOr<v1::Handover> DeclineHandover(
      const Principal& caller, const v1::DeclineHandoverRequest& request);
  absl::StatusOr<v1::Handover> CancelHandover(
      const Principal& caller, const v1::CancelHandoverRequest& request);

  // The deadline scan: escalates every PENDING handover whose
  // response_due_time is before `now` and that was never escalated (sets
  // escalate_time, one `handover.escalated` event each, as kServiceActor).
  // Returns how many it escalated; a handover is escalated once, however
  // often the scan runs.
  absl::StatusOr<int> EscalateOverdue(absl::Time now);

 private:
  // A state change: `apply` adds what is particular to the action (the
  // read-back, the reason) after the common checks and before the write.
  absl::StatusOr<v1::Handover> Transition(
      const Principal& caller, absl::string_view name, absl::string_view etag,
      HandoverAction action,
      absl::FunctionRef<absl::Status(v1::Handover&, absl::Time)> apply);
  // Answers a create whose request_id the caller's team already used: the
  // stored handover when the request asks for the same one, else
  // ALREADY_EXISTS.
  absl::StatusOr<v1::Handover> AnswerRetry(const Principal& caller,
                                           const HandoverRequestKey& key,
                                           const StoredHandover& existing);
  // A create whose checks failed with `failed`: answered as a retry when
  // the caller's team already stored a handover under its request_id,
  // `failed` otherwise.
  absl::StatusOr<v1::Handover> AnswerRetryOr(const Principal& caller,
                                             const HandoverRequestKey& key,
                                             absl::Status failed);
  // The care plan version the handover is written against, after checking
  // the caller's team is on the person's care team (and leads it, for a
  // transfer of responsibility).
  absl::StatusOr<int64_t> CheckCareTeam(const Principal& caller,
                                        const v1::Handover& input);
  // ABORTED when the caller's team's own last accepted transfer for the
  // person has not reached the care plan yet (it still shows the caller
  // leading, but responsibility has already passed on): a second transfer
  // now would hand over what the team no longer holds. Effects normally
  // land within milliseconds; after kTransferCatchUpWindow the care plan
  // is believed (the lead may have come back by SetLeadTeam).
  absl::Status CheckLastTransferApplied(const Principal& caller,
                                        absl::string_view person,
                                        const CareTeamView& view);
  // The receiving team (NOT_FOUND naming the field when it does not exist),
  // after checking every action's owning team exists (INVALID_ARGUMENT).
  absl::StatusOr<directory_client::TeamInfo> CheckTeams(
      const v1::Handover& input);
  // The API view: etag from the version, `overdue` from `now`.
  v1::Handover Present(const v1::Handover& handover, int64_t version,
                       absl::Time now) const;
  // `handover` (as presented) as `reader`'s caller reads it under the
  // person's sharing choices now; `shown` learns what that left of it.
  static absl::Status ShowTo(careplan_client::ExchangeSharing::Reader& reader,
                             v1::Handover& handover,
                             careplan_client::ShownExchanges& shown);
  // ShowTo for a call returning `handover` alone, noting what it returns in
  // the call's audit record (a write: before it commits, so the record
  // its transaction carries says it).
  static absl::StatusOr<v1::Handover> Shown(
      careplan_client::ExchangeSharing::Reader& reader, v1::Handover handover);
  absl::StatusOr<v1::Handover> Shown(
      const Principal& caller, v1::Handover handover,
      RemoteCalls remote = RemoteCalls::kAllowed);

  const Clock* const clock_;
  IdGenerator* const ids_;
  directory_client::DirectoryLookup* const directory_;
  CarePlanLookup* const careplan_;
  HandoverStore* const store_;
  const careplan_client::ExchangeSharing sharing_;
};

// The etag a handover at `version` shows.
std::string EtagOf(int64_t version);

// What a create asks for, as a short stable string (SHA-256 hex of the
// handover as sent, without its output-only fields), so that a reused
// request_id tells a retry from a different request. Stored: it must stay
// stable across processes and releases.
absl::StatusOr<std::string> CreateFingerprint(const v1::Handover& input);

}  // namespace carebridge::handover

#endif  // CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_DOMAIN_H_
