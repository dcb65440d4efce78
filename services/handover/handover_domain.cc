#include "services/handover/handover_domain.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/call_audit.h"
#include "services/common/errors.h"
#include "services/common/event_log.h"
#include "services/common/fingerprint.h"
#include "services/common/macros.h"
#include "services/common/page_token.h"
#include "services/common/policy.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"
#include "services/handover/errors.h"
#include "services/handover/handover_validation.h"

namespace carebridge::handover {
namespace {

namespace common_errors = ::carebridge::errors;

// What feeds carry: never what the person's sharing choices decide on (a
// feed cannot ask them per subscriber).
v1::Handover ForFeed(v1::Handover handover) {
  handover.clear_assessment();
  handover.clear_withheld_from_receiving_team();
  return handover;
}

// What a handover is called in its audit records' sections
// (`whole handover`).
constexpr char kHandoverKind[] = "handover";

// A state change that lost a race with another writer is re-run on a fresh
// read when the caller gave no etag (they asked to act on whatever is
// current); with an etag the conflict is theirs to resolve.
constexpr int kMaxAttempts = 5;
// How many overdue handovers a scan reads at a time.
constexpr int kScanBatch = 100;

// How long after a team's transfer is accepted the handover service
// distrusts a care plan that still shows that team leading.
constexpr absl::Duration kTransferCatchUpWindow = absl::Minutes(5);

// The teams an event about `handover` concerns (and who may see it).
std::vector<std::string> TeamsOf(const v1::Handover& handover) {
  return {handover.sending_team(), handover.receiving_team()};
}

std::string ListFingerprint(const Principal& caller,
                            const v1::ListHandoversRequest& request) {
  std::vector<int> states(request.states().begin(), request.states().end());
  std::sort(states.begin(), states.end());
  states.erase(std::unique(states.begin(), states.end()), states.end());
  // Named, so a referral list's token (same filter shape) is refused here.
  return absl::StrCat("handovers|", request.mailbox(), "|", caller.team, "|",
                      absl::StrJoin(states, ","), "|", request.person(), "|",
                      request.overdue_only() ? 1 : 0);
}

// A new PENDING handover with what the sender wrote in `input`, due by the
// receiving team's deadline.
v1::Handover NewHandover(const v1::Handover& input, std::string name,
                         const Principal& caller, int64_t care_plan_version,
                         absl::Duration deadline, absl::Time now) {
  v1::Handover handover;
  handover.set_name(std::move(name));
  handover.set_person(input.person());
  handover.set_sending_team(caller.team);
  handover.set_receiving_team(input.receiving_team());
  handover.set_kind(input.kind());
  handover.set_urgency(input.urgency());
  handover.set_situation(input.situation());
  handover.set_background(input.background());
  handover.set_assessment(input.assessment());
  handover.set_recommendation(input.recommendation());
  handover.set_illness_severity(input.illness_severity());
  for (int i = 0; i < input.actions_size(); ++i) {
    v1::HandoverAction* action = handover.add_actions();
    *action = input.actions(i);
    action->set_id(absl::StrCat("a", i + 1));
  }
  *handover.mutable_contingencies() = input.contingencies();
  handover.set_care_plan_version(care_plan_version);
  handover.set_state(v1::PENDING);
  handover.set_created_by(caller.subject);
  *handover.mutable_create_time() = ToProtoTimestamp(now);
  *handover.mutable_update_time() = ToProtoTimestamp(now);
  *handover.mutable_response_due_time() = ToProtoTimestamp(now + deadline);
  return handover;
}

// A transfer of responsibility is accepted only with the receiving team's
// own account of the situation and of what it takes on.
absl::Status CheckReadBackForTransfer(
    const v1::Handover& handover, const v1::AcceptHandoverRequest& request) {
  if (!request.has_read_back()) {
    return errors::ReadBackRequired(handover.name());
  }
  RETURN_IF_ERROR(CheckRequiredText(
      "read_back.summary", request.read_back().summary(), kMaxLongTextChars));
  if (request.read_back().actions_taken_on().empty()) {
    return common_errors::Invalid(
        "read_back.actions_taken_on",
        "must name at least one action the receiving team takes on");
  }
  return absl::OkStatus();
}

}  // namespace

std::string EtagOf(int64_t version) { return absl::StrCat(version); }

absl::StatusOr<std::string> CreateFingerprint(const v1::Handover& input) {
  v1::Handover handover = input;
  handover.clear_name();
  handover.clear_sending_team();
  handover.clear_state();
  handover.clear_read_back();
  handover.clear_answer_note();
  handover.clear_answered_by();
  handover.clear_answer_time();
  handover.clear_created_by();
  handover.clear_create_time();
  handover.clear_update_time();
  handover.clear_response_due_time();
  handover.clear_overdue();
  handover.clear_escalate_time();
  handover.clear_etag();
  for (v1::HandoverAction& action : *handover.mutable_actions()) {
    action.clear_id();
  }
  handover.DiscardUnknownFields();
  return Sha256Hex(DeterministicBytes(handover));
}

v1::Handover HandoverDomain::Present(const v1::Handover& handover,
                                     int64_t version, absl::Time now) const {
  v1::Handover presented = handover;
  presented.set_etag(EtagOf(version));
  presented.set_overdue(AwaitsAnswer(presented.state()) &&
                        now >
                            FromProtoTimestamp(presented.response_due_time()));
  return presented;
}

absl::StatusOr<int64_t> HandoverDomain::CheckCareTeam(
    const Principal& caller, const v1::Handover& input) {
  const std::string& person = input.person();
  absl::StatusOr<CareTeamView> view = careplan_->GetCareTeam(person);
  if (absl::IsNotFound(view.status())) {
    return errors::ReferencedNotFound("handover.person", person);
  }
  if (!view.ok()) return errors::CarePlanFailed(view.status());
  if (!view->plan_exists) return errors::NoCarePlan(caller.team, person);
  if (!view->IsInvolved(caller.team)) {
    return errors::NotOnCareTeam(caller.team, person);
  }
  if (input.kind() == v1::TRANSFER_OF_RESPONSIBILITY) {
    if (view->lead_team != caller.team) {
      return errors::NotLeadTeam(caller.team, person, view->lead_team);
    }
    RETURN_IF_ERROR(CheckLastTransferApplied(caller, person, *view));
  }
  if (input.care_plan_version() > view->current_version) {
    return errors::CarePlanVersionAhead(input.care_plan_version(), person,
                                        view->current_version);
  }
  return input.care_plan_version() == 0 ? view->current_version
                                        : input.care_plan_version();
}

absl::Status HandoverDomain::CheckLastTransferApplied(
    const Principal& caller, absl::string_view person,
    const CareTeamView& view) {
  ASSIGN_OR_RETURN(std::optional<StoredHandover> last,
                   store_->LatestAcceptedTransferFrom(person, caller.team));
  if (!last.has_value()) return absl::OkStatus();
  const absl::Time accepted = FromProtoTimestamp(last->handover.answer_time());
  // Applied: the care team changed after the acceptance. Not applied, but
  // long ago: the lead came back some other way, or the two services'
  // clocks disagree; either way waiting longer would not help.
  if (view.care_team_change_time >= accepted ||
      clock_->Now() - accepted > kTransferCatchUpWindow) {
    return absl::OkStatus();
  }
  return errors::TransferNotYetApplied(caller.team, person,
                                       last->handover.name(),
                                       last->handover.receiving_team());
}

absl::StatusOr<directory_client::TeamInfo> HandoverDomain::CheckTeams(
    const v1::Handover& input) {
  absl::StatusOr<directory_client::TeamInfo> receiving =
      directory_->GetTeam(input.receiving_team());
  if (absl::IsNotFound(receiving.status())) {
    return errors::ReferencedNotFound("handover.receiving_team",
                                      input.receiving_team());
  }
  if (!receiving.ok()) return receiving.status();
  absl::flat_hash_set<std::string> known = {input.receiving_team()};
  for (int i = 0; i < input.actions_size(); ++i) {
    const std::string& team = input.actions(i).owning_team();
    if (known.contains(team)) continue;
    absl::Status exists = directory_->GetTeam(team).status();
    if (absl::IsNotFound(exists)) {
      return errors::OwningTeamNotFound(
          absl::StrCat("handover.actions[", i, "].owning_team"), team);
    }
    RETURN_IF_ERROR(exists);
    known.insert(team);
  }
  return receiving;
}

absl::StatusOr<v1::Handover> HandoverDomain::CreateHandover(
    const Principal& caller, const v1::CreateHandoverRequest& request) {
  RETURN_IF_ERROR(ValidateCreate(request));
  RETURN_IF_ERROR(policy::RequireClinical(caller, "hand over"));
  const v1::Handover& input = request.handover();
  if (input.receiving_team() == caller.team) {
    return errors::HandoverToOwnTeam(caller.team);
  }
  HandoverRequestKey key{request.request_id(), ""};
  if (!key.request_id.empty()) {
    ASSIGN_OR_RETURN(key.fingerprint, CreateFingerprint(input));
  }
  // A retry whose checks pass is answered by Create, which finds the
  // request_id in its own transaction; only one whose checks fail (the care
  // team changed since, a service is away) looks it up first, so a create
  // is one transaction, with no read before it.
  absl::StatusOr<int64_t> on_care_team = CheckCareTeam(caller, input);
  if (!on_care_team.ok()) {
    return AnswerRetryOr(caller, key, on_care_team.status());
  }
  const int64_t care_plan_version = *on_care_team;
  absl::StatusOr<directory_client::TeamInfo> teams = CheckTeams(input);
  if (!teams.ok()) return AnswerRetryOr(caller, key, teams.status());
  const directory_client::TeamInfo& receiving = *teams;

  const absl::Time now = clock_->Now();
  v1::Handover handover = NewHandover(
      input, absl::StrCat("handovers/", ids_->NewId()), caller,
      care_plan_version, receiving.DeadlineFor(input.urgency()), now);
  const events::v1::Event event = MakeEvent(
      "handover.created", handover.name(), handover.person(), TeamsOf(handover),
      caller.subject, now, ForFeed(Present(handover, 1, now)));
  // What the answer shows is noted before the create commits (its
  // transaction carries the record), and judged again by the same reader
  // on the handover as stored.
  careplan_client::ExchangeSharing::Reader reader =
      sharing_.ReaderFor(caller, RemoteCalls::kAllowed);
  RETURN_IF_ERROR(Shown(reader, Present(handover, 1, now)).status());
  ASSIGN_OR_RETURN(StoredHandover stored, store_->Create(handover, key, event));
  // Another request with the same request_id was stored first.
  if (stored.handover.name() != handover.name()) {
    return AnswerRetry(caller, key, stored);
  }
  return Shown(reader, Present(stored.handover, stored.version, now));
}

absl::StatusOr<v1::Handover> HandoverDomain::AnswerRetry(
    const Principal& caller, const HandoverRequestKey& key,
    const StoredHandover& existing) {
  if (existing.request_fingerprint != key.fingerprint) {
    return errors::RequestIdReused(key.request_id, caller.team,
                                   existing.handover.name());
  }
  return Shown(caller,
               Present(existing.handover, existing.version, clock_->Now()));
}

absl::StatusOr<v1::Handover> HandoverDomain::AnswerRetryOr(
    const Principal& caller, const HandoverRequestKey& key,
    absl::Status failed) {
  if (key.request_id.empty()) return failed;
  ASSIGN_OR_RETURN(std::optional<StoredHandover> existing,
                   store_->FindByRequestId(caller.team, key.request_id));
  if (!existing.has_value()) return failed;
  return AnswerRetry(caller, key, *existing);
}

absl::Status HandoverDomain::ShowTo(
    careplan_client::ExchangeSharing::Reader& reader, v1::Handover& handover,
    careplan_client::ShownExchanges& shown) {
  handover.clear_withheld_from_receiving_team();
  return shown.Show(
      reader,
      {handover.person(), handover.sending_team(), handover.receiving_team()},
      handover.name(), careplan::v1::SHARED_RISK, "assessment",
      *handover.mutable_assessment(),
      *handover.mutable_withheld_from_receiving_team());
}

absl::StatusOr<v1::Handover> HandoverDomain::Shown(
    careplan_client::ExchangeSharing::Reader& reader, v1::Handover handover) {
  careplan_client::ShownExchanges shown(kHandoverKind);
  RETURN_IF_ERROR(ShowTo(reader, handover, shown));
  shown.NoteOne();
  return handover;
}

absl::StatusOr<v1::Handover> HandoverDomain::Shown(const Principal& caller,
                                                   v1::Handover handover,
                                                   RemoteCalls remote) {
  careplan_client::ExchangeSharing::Reader reader =
      sharing_.ReaderFor(caller, remote);
  return Shown(reader, std::move(handover));
}

absl::StatusOr<v1::Handover> HandoverDomain::GetHandover(
    const Principal& caller, const v1::GetHandoverRequest& request,
    RemoteCalls remote) {
  RETURN_IF_ERROR(ValidateGet(request));
  RETURN_IF_ERROR(policy::RequireHandoverRole(caller, "read handovers"));
  ASSIGN_OR_RETURN(StoredHandover stored, store_->Get(request.name()));
  NoteAuditedPerson(stored.handover.person());
  RETURN_IF_ERROR(policy::RequireHandoverParty(
      caller, request.name(), stored.handover.sending_team(),
      stored.handover.receiving_team()));
  return Shown(caller, Present(stored.handover, stored.version, clock_->Now()),
               remote);
}

absl::StatusOr<v1::ListHandoversResponse> HandoverDomain::ListHandovers(
    const Principal& caller, const v1::ListHandoversRequest& request,
    RemoteCalls remote) {
  RETURN_IF_ERROR(ValidateList(request));
  RETURN_IF_ERROR(policy::RequireClinical(caller, "list handovers"));
  const std::string fingerprint = ListFingerprint(caller, request);

  HandoverQuery query;
  ASSIGN_OR_RETURN(query.after, DecodeCreateOrderPageToken(request.page_token(),
                                                           fingerprint));
  ASSIGN_OR_RETURN(query.page_size,
                   CheckPageSize("page_size", request.page_size()));
  query.mailbox = request.mailbox() == v1::INBOX
                      ? HandoverQuery::Mailbox::kInbox
                      : HandoverQuery::Mailbox::kSentByTeam;
  query.team = caller.team;
  for (int state : request.states()) {
    query.states.push_back(static_cast<v1::State>(state));
  }
  query.person = request.person();
  query.overdue_only = request.overdue_only();
  query.now = clock_->Now();
  ASSIGN_OR_RETURN(HandoverPage page, store_->List(query));

  v1::ListHandoversResponse response;
  // One read of each person's choices for the page.
  careplan_client::ExchangeSharing::Reader reader =
      sharing_.ReaderFor(caller, remote);
  careplan_client::ShownExchanges listed(kHandoverKind);
  for (const StoredHandover& stored : page.handovers) {
    v1::Handover* shown = response.add_handovers();
    *shown = Present(stored.handover, stored.version, query.now);
    RETURN_IF_ERROR(ShowTo(reader, *shown, listed));
  }
  listed.NoteEach();
  if (page.next.has_value()) {
    response.set_next_page_token(
        EncodeCreateOrderPageToken(fingerprint, *page.next));
  }
  return response;
}

absl::StatusOr<v1::Handover> HandoverDomain::Transition(
    const Principal& caller, absl::string_view name, absl::string_view etag,
    HandoverAction action,
    absl::FunctionRef<absl::Status(v1::Handover&, absl::Time)> apply) {
  const std::string what = absl::StrCat(Verb(action), " ", name);
  RETURN_IF_ERROR(policy::RequireClinical(caller, what));
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(StoredHandover stored, store_->Get(name));
    NoteAuditedPerson(stored.handover.person());
    v1::Handover& handover = stored.handover;
    const std::string& team = action == HandoverAction::kCancel
                                  ? handover.sending_team()
                                  : handover.receiving_team();
    RETURN_IF_ERROR(policy::RequireTeam(caller, team, what));
    if (!etag.empty() && etag != EtagOf(stored.version)) {
      return common_errors::StaleEtag(name);
    }
    ASSIGN_OR_RETURN(const v1::State next,
                     NextState(name, handover.state(), action));
    const absl::Time now = clock_->Now();
    RETURN_IF_ERROR(apply(handover, now));
    handover.set_state(next);
    handover.set_answered_by(caller.subject);
    *handover.mutable_answer_time() = ToProtoTimestamp(now);
    *handover.mutable_update_time() = ToProtoTimestamp(now);
    const v1::Handover presented = Present(handover, stored.version + 1, now);
    const events::v1::Event event =
        MakeEvent(EventType(action), handover.name(), handover.person(),
                  TeamsOf(handover), caller.subject, now, ForFeed(presented));
    // Judged (and noted) before the write carries the call's record.
    ASSIGN_OR_RETURN(v1::Handover shown, Shown(caller, presented));
    absl::StatusOr<int64_t> version =
        store_->Update(handover, stored.version, event);
    if (version.ok()) return shown;
    if (!absl::IsAborted(version.status()) || !etag.empty() ||
        attempt == kMaxAttempts) {
      return version.status();
    }
  }
}

absl::StatusOr<v1::Handover> HandoverDomain::AcceptHandover(
    const Principal& caller, const v1::AcceptHandoverRequest& request) {
  RETURN_IF_ERROR(ValidateAccept(request));
  return Transition(
      caller, request.name(), request.etag(), HandoverAction::kAccept,
      [&](v1::Handover& handover, absl::Time now) -> absl::Status {
        // A read-back given with any kind must be whole (ReadBack.summary
        // is required, at least one action): it is recorded as proof.
        if (handover.kind() == v1::TRANSFER_OF_RESPONSIBILITY ||
            request.has_read_back()) {
          RETURN_IF_ERROR(CheckReadBackForTransfer(handover, request));
        }
        if (request.has_read_back()) {
          v1::ReadBack* read_back = handover.mutable_read_back();
          *read_back = request.read_back();
          read_back->set_recorded_by(caller.subject);
          *read_back->mutable_record_time() = ToProtoTimestamp(now);
        }
        handover.set_answer_note(request.note());
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::Handover> HandoverDomain::DeclineHandover(
    const Principal& caller, const v1::DeclineHandoverRequest& request) {
  RETURN_IF_ERROR(ValidateDecline(request));
  return Transition(caller, request.name(), request.etag(),
                    HandoverAction::kDecline,
                    [&](v1::Handover& handover, absl::Time) -> absl::Status {
                      handover.set_answer_note(request.reason());
                      return absl::OkStatus();
                    });
}

absl::StatusOr<v1::Handover> HandoverDomain::CancelHandover(
    const Principal& caller, const v1::CancelHandoverRequest& request) {
  RETURN_IF_ERROR(ValidateCancel(request));
  return Transition(caller, request.name(), request.etag(),
                    HandoverAction::kCancel,
                    [&](v1::Handover& handover, absl::Time) -> absl::Status {
                      handover.set_answer_note(request.reason());
                      return absl::OkStatus();
                    });
}

absl::StatusOr<int> HandoverDomain::EscalateOverdue(absl::Time now) {
  int escalated = 0;
  // What this scan escalated: a store that listed one again would otherwise
  // keep the scan escalating it forever.
  absl::flat_hash_set<std::string> done;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<StoredHandover> batch,
                     store_->ListUnescalatedOverdue(now, kScanBatch));
    int progressed = 0;
    for (StoredHandover& stored : batch) {
      v1::Handover& handover = stored.handover;
      if (!done.insert(handover.name()).second) continue;
      *handover.mutable_escalate_time() = ToProtoTimestamp(now);
      *handover.mutable_update_time() = ToProtoTimestamp(now);
      const events::v1::Event event =
          MakeEvent("handover.escalated", handover.name(), handover.person(),
                    TeamsOf(handover), kServiceActor, now,
                    ForFeed(Present(handover, stored.version + 1, now)));
      absl::StatusOr<int64_t> version =
          store_->Update(handover, stored.version, event);
      if (version.ok()) {
        ++escalated;
        ++progressed;
      } else if (!absl::IsAborted(version.status())) {
        return version.status();
      }
      // ABORTED: answered (or escalated by another scan) since it was read;
      // either way there is nothing left to escalate.
    }
    // A batch that escalated nothing (each handover changed under us, or was
    // seen already) ends the scan rather than spinning; the next scan picks
    // up whatever is still due.
    if (batch.size() < static_cast<size_t>(kScanBatch) || progressed == 0) {
      break;
    }
  }
  return escalated;
}

}  // namespace carebridge::handover
