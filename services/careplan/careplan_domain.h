#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_DOMAIN_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_DOMAIN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/careplan/break_glass_store.h"
#include "services/careplan/careplan_sharing.h"
#include "services/careplan/careplan_store.h"
#include "services/careplan/incoming_transfers.h"
#include "services/careplan/sharing_store.h"
#include "services/common/clock.h"
#include "services/common/ids.h"
#include "services/common/principal.h"
#include "services/common/remote_calls.h"
#include "services/common/token.h"
#include "services/directory_client/directory_lookup.h"
#include "services/directory_client/person_tokens.h"

namespace carebridge::careplan {

// The rules of the shared care plan: who may read and write it, what a
// valid change is, and the version every write leaves (who, when, why,
// which sections). Takes an authenticated caller and a request, returns the
// resource as the API shows it. Checks run in one order: request shape
// (INVALID_ARGUMENT), the caller's role (PERMISSION_DENIED), the plan
// (NOT_FOUND), the caller's relationship (PERMISSION_DENIED), the etag
// (ABORTED), the rules (FAILED_PRECONDITION / ALREADY_EXISTS), the
// directory for the teams named, then the write. A failed call writes
// nothing. This class is thread-safe (its collaborators are).
class CarePlanDomain {
 public:
  // `signer` signs the persons' own tokens (IssuePersonToken); null: none
  // are issued (UNAVAILABLE). `sharing` keeps the persons' sharing choices;
  // null: none can be made and every team sees its sector's default.
  // `break_glass` keeps break-glass accesses; null: none can be made.
  // `incoming` tells which referrals and handovers await a team's answer;
  // null: a team asked to take a person on reads nothing of their plan
  // before it answers. `person_tokens` is the directory's part in the
  // persons' own tokens (what ended them); null: none are ended
  // (UNAVAILABLE) and each is issued as if none ever were.
  CarePlanDomain(const Clock* clock,
                 directory_client::DirectoryLookup* directory,
                 CarePlanStore* store, const TokenSigner* signer = nullptr,
                 SharingStore* sharing = nullptr,
                 BreakGlassStore* break_glass = nullptr,
                 IncomingTransfers* incoming = nullptr,
                 directory_client::PersonTokens* person_tokens = nullptr)
      : clock_(clock),
        directory_(directory),
        store_(store),
        signer_(signer),
        sharing_(sharing),
        break_glass_(break_glass),
        incoming_(incoming),
        person_tokens_(person_tokens) {}

  absl::StatusOr<v1::CarePlan> GetCarePlan(
      const Principal& caller, const v1::GetCarePlanRequest& request,
      RemoteCalls remote = RemoteCalls::kAllowed);
  // GetCarePlan's answer already serialized, for the gRPC edge to send as
  // bytes: the same plan GetCarePlan returns, without building, copying or
  // serializing a message per call.
  absl::StatusOr<std::string> GetCarePlanWire(
      const Principal& caller, const v1::GetCarePlanRequest& request,
      RemoteCalls remote = RemoteCalls::kAllowed);
  absl::StatusOr<v1::CarePlan> UpdateCarePlan(
      const Principal& caller, const v1::UpdateCarePlanRequest& request);
  absl::StatusOr<v1::ListCarePlanVersionsResponse> ListCarePlanVersions(
      const Principal& caller, const v1::ListCarePlanVersionsRequest& request,
      RemoteCalls remote = RemoteCalls::kAllowed);
  absl::StatusOr<v1::CarePlan> GetCarePlanVersion(
      const Principal& caller, const v1::GetCarePlanVersionRequest& request,
      RemoteCalls remote = RemoteCalls::kAllowed);
  absl::StatusOr<v1::CarePlanDiff> DiffCarePlanVersions(
      const Principal& caller, const v1::DiffCarePlanVersionsRequest& request,
      RemoteCalls remote = RemoteCalls::kAllowed);
  absl::StatusOr<v1::CarePlan> RecordAgreement(
      const Principal& caller, const v1::RecordAgreementRequest& request);
  // The person's own tokens (careplan_person_access.cc): issued by their
  // lead team, ended by the person, their lead team or an admin (kept by
  // the directory, asked as this service for the caller).
  absl::StatusOr<v1::IssuePersonTokenResponse> IssuePersonToken(
      const Principal& caller, const v1::IssuePersonTokenRequest& request);
  absl::StatusOr<directory::v1::PersonTokenRevocation> RevokePersonTokens(
      const Principal& caller, const v1::RevokePersonTokensRequest& request);
  absl::StatusOr<v1::CarePlan> AddCareTeamMember(
      const Principal& caller, const v1::AddCareTeamMemberRequest& request);
  absl::StatusOr<v1::CarePlan> EndCareTeamInvolvement(
      const Principal& caller,
      const v1::EndCareTeamInvolvementRequest& request);
  // CareTeamMember.unreviewed cleared for the request's team, by the person
  // or their lead team.
  absl::StatusOr<v1::CarePlan> ReviewCareTeamJoin(
      const Principal& caller, const v1::ReviewCareTeamJoinRequest& request);
  absl::StatusOr<v1::CarePlan> SetLeadTeam(
      const Principal& caller, const v1::SetLeadTeamRequest& request);

  // The person's sharing choices (careplan_domain_sharing.cc). Every plan
  // this class returns to a caller is shown as the choices let the caller's
  // team see it (Withhold in careplan_sharing.h).
  absl::StatusOr<v1::SharingChoices> GetSharingChoices(
      const Principal& caller, const v1::GetSharingChoicesRequest& request);
  absl::StatusOr<v1::SharingChoices> UpdateSharingChoices(
      const Principal& caller, const v1::UpdateSharingChoicesRequest& request);
  absl::StatusOr<v1::ListSharingChoicesVersionsResponse>
  ListSharingChoicesVersions(
      const Principal& caller,
      const v1::ListSharingChoicesVersionsRequest& request);

  // Break-glass (careplan_break_glass.cc).
  absl::StatusOr<v1::BreakGlassAccess> BreakGlass(
      const Principal& caller, const v1::BreakGlassRequest& request);
  absl::StatusOr<v1::ListBreakGlassAccessesResponse> ListBreakGlassAccesses(
      const Principal& caller,
      const v1::ListBreakGlassAccessesRequest& request);
  absl::StatusOr<v1::BreakGlassAccess> ReviewBreakGlassAccess(
      const Principal& caller,
      const v1::ReviewBreakGlassAccessRequest& request);

  // What `caller` sees of the plan whose current version is `current`: all
  // of it for the person, services and the lead team; for another team, its
  // rule under the person's choices. With RemoteCalls::kDeferred,
  // RemoteCallDeferred() when the directory would be asked.
  absl::StatusOr<SharedParts> PartsShownTo(const Principal& caller,
                                           const v1::CarePlan& current,
                                           RemoteCalls remote);

  // Passes the lead of person `person_id`'s care (the bare id, `p1`) from
  // `from_team`, which must lead now, to `to_team`, which joins with `role`
  // (default "care coordination") if not involved: one LEAD_CHANGED version.
  // `actor` is a service identity (the accepted transfer-of-responsibility
  // handover) or clinical staff of `from_team` (SetLeadTeam). No etag: it
  // applies to the plan as it is. Not idempotent: once the lead has moved,
  // a repeat is FAILED_PRECONDITION naming the new lead.
  absl::StatusOr<v1::CarePlan> TransferLead(const Principal& actor,
                                            absl::string_view person_id,
                                            absl::string_view from_team,
                                            absl::string_view to_team,
                                            absl::string_view role,
                                            absl::string_view reason);

  // Applies an event of another service's feed (what the care plan
  // service's consumers call): an accepted referral or handover changes the
  // care team (careplan_effects.h) in a version made by `services/careplan`,
  // committed with `position` recorded (the feed's cursor at the event, or
  // a parked event marked applied). An event with no effect records the
  // position alone; an event no longer pending was applied already: OK,
  // nothing written. An event that can never be applied (a malformed
  // payload) is INVALID_ARGUMENT, for the consumer to park. Never asks the
  // directory: the producing service checked the person and teams. A lost
  // race runs again on a fresh read, as writes do.
  absl::Status ApplyEvent(const events::v1::Event& event,
                          const FeedPosition& position);
  // The consumer's own delivery: the position is the event's.
  absl::Status ApplyEvent(const events::v1::Event& event);
  // The last sequence of `feed` applied; 0 when none was.
  absl::StatusOr<int64_t> AppliedThrough(absl::string_view feed);

 private:
  // Stamps each member of the care team in `next` (a version about to be
  // written) with its team's sector as the directory says now (a cached
  // answer mostly): the feed's events carry it to those following them. A
  // team the directory cannot answer for keeps the sector it had, so a
  // directory outage never fails a write.
  void StampSectors(v1::CarePlan& next);

  // The plan a write starts from: the current version, or for a registered
  // person without a plan an empty one (version 0).
  struct Loaded {
    v1::CarePlan plan;
    bool exists = false;
  };
  // What a write makes of the plan it loaded.
  struct Draft {
    // Starts as a copy of the loaded plan.
    v1::CarePlan next;
    v1::Change::Kind kind = v1::Change::KIND_UNSPECIFIED;
    std::vector<v1::Section> sections;
    std::string reason;
    // When set, the call returns this and writes nothing.
    std::optional<v1::CarePlan> answer;

    // A change of `change_kind` to the care team section alone, for `why`:
    // what every care-team and lead write records.
    void CareTeamChange(v1::Change::Kind change_kind, absl::string_view why) {
      kind = change_kind;
      sections = {v1::CARE_TEAM};
      reason = std::string(why);
    }
  };
  using Build =
      absl::FunctionRef<absl::Status(const Loaded&, absl::Time, Draft&)>;

  // Load, `build`, append, and the plan as the caller may see it (decided
  // before the append). A write that lost a race (ABORTED from the store)
  // runs again on a fresh read, so etag checks in `build` then report the
  // conflict and etag-less writes apply to the new plan. With `request`, a
  // lost race may be a concurrent retry, answered with its version.
  absl::StatusOr<v1::CarePlan> Write(const Principal& caller,
                                     absl::string_view person_id,
                                     const PlanRequestKey* request,
                                     Build build);
  absl::StatusOr<Loaded> LoadForWrite(absl::string_view person_id);
  // The current plan; NOT_FOUND naming the person or saying there is no
  // plan yet.
  // Why a person has no plan: NOT_FOUND naming the person when the directory
  // does not know them, NOT_FOUND saying there is no plan yet otherwise.
  // With RemoteCalls::kDeferred, RemoteCallDeferred() instead of asking the
  // directory.
  absl::Status NoPlan(absl::string_view person_id, RemoteCalls remote);
  // With RemoteCalls::kDeferred, RemoteCallDeferred() instead of asking the
  // directory.
  absl::StatusOr<v1::CarePlan> LoadForRead(absl::string_view person_id,
                                           RemoteCalls remote);
  // How a clinician whose team is not on the care team reads the current
  // plan (GetCarePlan alone; no versions, diffs or sharing choices).
  enum class OutsideRead {
    // On the care team, the person, or a service: PartsShownTo.
    kNone,
    // An open break-glass access: the crisis plan.
    kBreakGlass,
    // A referral or handover about the person awaits the team's answer:
    // the crisis plan and communication preferences.
    kAwaitingAnswer,
  };
  // The current plan, after the role and relationship checks for reading;
  // `how`, when given, is set to how the caller reads it.
  absl::StatusOr<v1::CarePlan> LoadReadable(const Principal& caller,
                                            absl::string_view person_id,
                                            absl::string_view action,
                                            RemoteCalls remote,
                                            OutsideRead* how = nullptr);
  // `plan` (a version of the plan whose current version is `current`) as
  // `caller` may see it (PartsShownTo, Withhold).
  absl::StatusOr<v1::CarePlan> ShownTo(const Principal& caller,
                                       const v1::CarePlan& current,
                                       v1::CarePlan plan, RemoteCalls remote);
  // What a read lets `caller` see of the plan whose current version is
  // `current`: PartsShownTo, or for staff not on the care team no more than
  // `how` opens (the crisis plan; with a referral or handover awaiting their
  // answer, also the communication preferences), and no more of that than
  // the person's choices share with their team; PERMISSION_DENIED when the
  // choices keep all of it from them.
  absl::StatusOr<SharedParts> ReadableParts(
      const Principal& caller, const v1::CarePlan& current, RemoteCalls remote,
      OutsideRead how = OutsideRead::kBreakGlass);
  // policy::RequireCarePlanRead for `plan`, or, for clinical staff not on
  // the care team when `action` is GetCarePlan: a referral or handover
  // about the person awaiting their team's answer, else a break-glass
  // access of theirs still open (either goes in the call's audit record as
  // the reason). PERMISSION_DENIED saying when a break-glass access ended,
  // or, when whether an answer is awaited cannot be told and nothing else
  // opens the plan, saying so. With RemoteCalls::kDeferred,
  // RemoteCallDeferred() before the record service would be asked.
  absl::StatusOr<OutsideRead> RequireReadable(const Principal& caller,
                                              const v1::CarePlan& plan,
                                              absl::string_view action,
                                              RemoteCalls remote);
  // OK when `caller` holds a break-glass access to `plan` still open (its
  // reason noted for the audit); `refused` when they hold none;
  // PERMISSION_DENIED saying when the last one ended.
  absl::Status RequireOpenBreakGlass(const Principal& caller,
                                     const v1::CarePlan& plan,
                                     absl::Status refused);
  // OK when `caller` oversees break-glass accesses to the person: their
  // lead team's clinical staff and admins, and with `person_may` the person
  // themself and services; PERMISSION_DENIED naming `action` otherwise.
  absl::Status RequireBreakGlassOverseer(const Principal& caller,
                                         absl::string_view person_id,
                                         absl::string_view action,
                                         bool person_may);
  // The newest sharing choices; nullopt when none were made.
  absl::StatusOr<std::optional<v1::SharingChoices>> CurrentSharing(
      absl::string_view person_id);
  // Version `version` of a plan whose current version is `current`.
  absl::StatusOr<v1::CarePlan> VersionOf(const v1::CarePlan& current,
                                         int64_t version);
  // What `request` made before: nullopt when the team has not used the id
  // on this plan; the plan as that version made it when the fingerprint
  // matches; else ALREADY_EXISTS.
  absl::StatusOr<std::optional<v1::CarePlan>> AnswerRetry(
      absl::string_view person_id, const PlanRequestKey& request);
  // NOT_FOUND naming `team` when the directory does not know it.
  absl::Status CheckTeamExists(absl::string_view team);
  // INVALID_ARGUMENT naming the action whose owning team does not exist.
  absl::Status CheckOwningTeams(const v1::UpdateCarePlanRequest& request);
  // The draft of passing the lead from `from_team` to `to_team` (care
  // team rule PassLead), after the actor's and the etag's checks.
  absl::Status BuildPassLead(const Principal& actor, const Loaded& loaded,
                             absl::Time now, absl::string_view from_team,
                             absl::string_view to_team, absl::string_view role,
                             absl::string_view reason, absl::string_view etag,
                             Draft& draft);

  const Clock* const clock_;
  directory_client::DirectoryLookup* const directory_;
  CarePlanStore* const store_;
  const TokenSigner* const signer_;
  SharingStore* const sharing_;
  BreakGlassStore* const break_glass_;
  IncomingTransfers* const incoming_;
  directory_client::PersonTokens* const person_tokens_;
  // The persons' tokens' ids (random).
  IdGenerator token_ids_;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_DOMAIN_H_
