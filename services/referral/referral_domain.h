#ifndef CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_DOMAIN_H_
#define CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_DOMAIN_H_

#include <string>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "services/careplan_client/careplan_lookup.h"
#include "services/careplan_client/exchange_sharing.h"
#include "services/careplan_client/shown_exchanges.h"
#include "services/common/clock.h"
#include "services/common/ids.h"
#include "services/common/principal.h"
#include "services/common/remote_calls.h"
#include "services/directory_client/directory_lookup.h"
#include "services/referral/referral_events.h"
#include "services/referral/referral_state.h"
#include "services/referral/referral_store.h"

namespace carebridge::referral {

// The rules of referrals: who may send, answer and withdraw them, what a
// valid referral is, the record every step leaves and the event it tells
// other services (referral_events.h). Takes an authenticated caller and a
// request, returns the resource as the API shows it. The sending team is
// always the caller's team. The risk summary is shown as the person's
// sharing choices say (SHARED_RISK), asked of the care plan service at every
// read (`careplan`; null in a deployment without one: the sector defaults
// hold). This class is thread-safe (its collaborators are).
class ReferralDomain {
 public:
  ReferralDomain(const Clock* clock, IdGenerator* ids,
                 directory_client::DirectoryLookup* directory,
                 ReferralStore* store,
                 careplan_client::CarePlanLookup* careplan = nullptr)
      : clock_(clock),
        ids_(ids),
        directory_(directory),
        store_(store),
        sharing_(careplan, directory) {}

  absl::StatusOr<v1::Referral> CreateReferral(
      const Principal& caller, const v1::CreateReferralRequest& request);
  // Reads: with RemoteCalls::kDeferred, RemoteCallDeferred() when a risk
  // summary needs the person's sharing choices.
  absl::StatusOr<v1::Referral> GetReferral(
      const Principal& caller, const v1::GetReferralRequest& request,
      RemoteCalls remote = RemoteCalls::kAllowed);
  absl::StatusOr<v1::ListReferralsResponse> ListReferrals(
      const Principal& caller, const v1::ListReferralsRequest& request,
      RemoteCalls remote = RemoteCalls::kAllowed);
  absl::StatusOr<v1::Referral> AcknowledgeReferral(
      const Principal& caller, const v1::AcknowledgeReferralRequest& request);
  absl::StatusOr<v1::Referral> AcceptReferral(
      const Principal& caller, const v1::AcceptReferralRequest& request);
  absl::StatusOr<v1::Referral> DeclineReferral(
      const Principal& caller, const v1::DeclineReferralRequest& request);
  absl::StatusOr<v1::RedirectReferralResponse> RedirectReferral(
      const Principal& caller, const v1::RedirectReferralRequest& request);
  absl::StatusOr<v1::Referral> WithdrawReferral(
      const Principal& caller, const v1::WithdrawReferralRequest& request);
  absl::StatusOr<v1::Referral> CompleteReferral(
      const Principal& caller, const v1::CompleteReferralRequest& request);

  // The deadline scan: escalates every referral awaiting an answer past its
  // response_due_time at `now` that is not escalated yet (escalate_time =
  // `now`, history ESCALATED, event `referral.escalated`, actor
  // `services/referral`), each in its own compare-and-swap write, so a
  // referral answered meanwhile is left alone and none is escalated twice,
  // however often or concurrently scans run. Returns how many it escalated.
  absl::StatusOr<int> EscalateOverdue(absl::Time now);

 private:
  // A state change: `apply` adds what is particular to the action (an
  // onward route, ...) after the common checks and before the write.
  absl::StatusOr<v1::Referral> Transition(
      const Principal& caller, absl::string_view name, absl::string_view etag,
      ReferralAction action, absl::string_view note,
      absl::FunctionRef<absl::Status(v1::Referral&)> apply);
  // Loads `name` for `action`: checks the caller acts for the right team,
  // the etag and the state machine. Returns the stored referral and the
  // state `action` leads to.
  absl::StatusOr<std::pair<StoredReferral, v1::State>> LoadForAction(
      const Principal& caller, absl::string_view name, absl::string_view etag,
      ReferralAction action);
  // Answers a create whose request_id the caller's team already used: the
  // stored referral when the request asks for the same one, else
  // ALREADY_EXISTS.
  absl::StatusOr<v1::Referral> AnswerRetry(
      const Principal& caller, const v1::CreateReferralRequest& request,
      const StoredReferral& existing);
  // A create whose checks failed with `failed`: answered as a retry when
  // the caller's team already stored a referral under its request_id (the
  // team may have stopped accepting since, or the directory be away),
  // `failed` otherwise.
  absl::StatusOr<v1::Referral> AnswerRetryOr(
      const Principal& caller, const v1::CreateReferralRequest& request,
      absl::Status failed);
  absl::StatusOr<v1::RedirectReferralResponse> RedirectOnce(
      const Principal& caller, const v1::RedirectReferralRequest& request);
  // `referral` (as presented) as `reader`'s caller reads it under the
  // person's sharing choices now; `shown` learns what that left of it.
  static absl::Status ShowTo(careplan_client::ExchangeSharing::Reader& reader,
                             v1::Referral& referral,
                             careplan_client::ShownExchanges& shown);
  // ShowTo for a call returning `referral` alone, noting what it returns in
  // the call's audit record (a write: before it commits, so the record
  // its transaction carries says it).
  static absl::StatusOr<v1::Referral> Shown(
      careplan_client::ExchangeSharing::Reader& reader, v1::Referral referral);
  absl::StatusOr<v1::Referral> Shown(
      const Principal& caller, v1::Referral referral,
      RemoteCalls remote = RemoteCalls::kAllowed);
  // The team `field` names, which must exist and accept referrals.
  absl::StatusOr<directory_client::TeamInfo> AcceptingTeam(
      absl::string_view field, absl::string_view team);

  const Clock* const clock_;
  IdGenerator* const ids_;
  directory_client::DirectoryLookup* const directory_;
  ReferralStore* const store_;
  const careplan_client::ExchangeSharing sharing_;
};

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_DOMAIN_H_
