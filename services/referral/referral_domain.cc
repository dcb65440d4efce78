#include "services/referral/referral_domain.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/call_audit.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/page_token.h"
#include "services/common/policy.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"
#include "services/referral/errors.h"
#include "services/referral/referral_escalation.h"
#include "services/referral/referral_validation.h"

namespace carebridge::referral {
namespace {

// A state change that lost a race with another writer is re-run on a fresh
// read when the caller gave no etag (they asked to act on whatever is
// current); with an etag the conflict is theirs to resolve.
constexpr int kMaxAttempts = 5;

v1::ReferralEvent HistoryEntry(v1::ReferralEvent::Action action, absl::Time now,
                               const Principal& caller, v1::State from,
                               v1::State to, absl::string_view note) {
  v1::ReferralEvent event;
  event.set_action(action);
  *event.mutable_time() = ToProtoTimestamp(now);
  event.set_actor(caller.subject);
  event.set_actor_team(caller.team);
  event.set_from_state(from);
  event.set_to_state(to);
  event.set_note(std::string(note));
  return event;
}

// A new SENT referral with what the sender wrote in `content` (person,
// urgency, reason, wishes, risk summary), due by the receiving team's
// deadline. The caller adds the CREATED event.
v1::Referral NewReferral(const v1::Referral& content, std::string name,
                         absl::string_view sending_team,
                         absl::string_view receiving_team,
                         absl::Duration deadline, absl::string_view created_by,
                         absl::Time now) {
  v1::Referral referral;
  referral.set_name(std::move(name));
  referral.set_person(content.person());
  referral.set_sending_team(std::string(sending_team));
  referral.set_receiving_team(std::string(receiving_team));
  referral.set_urgency(content.urgency());
  referral.set_reason(content.reason());
  referral.set_person_wishes(content.person_wishes());
  referral.set_risk_summary(content.risk_summary());
  referral.set_state(v1::SENT);
  referral.set_created_by(std::string(created_by));
  *referral.mutable_create_time() = ToProtoTimestamp(now);
  *referral.mutable_update_time() = ToProtoTimestamp(now);
  *referral.mutable_response_due_time() = ToProtoTimestamp(now + deadline);
  return referral;
}

bool SameIdentifiers(const v1::Referral& a, const v1::Referral& b) {
  return std::equal(
      a.identifiers().begin(), a.identifiers().end(), b.identifiers().begin(),
      b.identifiers().end(),
      [](const v1::ReferralIdentifier& x, const v1::ReferralIdentifier& y) {
        return x.system() == y.system() && x.value() == y.value();
      });
}

// Whether a create reusing a request_id asks for the referral stored under
// it. Only what the sender writes counts; output-only fields are ignored on
// create anyway.
bool AsksForTheSameReferral(const v1::Referral& input,
                            const v1::Referral& stored) {
  return input.person() == stored.person() &&
         input.receiving_team() == stored.receiving_team() &&
         input.urgency() == stored.urgency() &&
         input.reason() == stored.reason() &&
         input.person_wishes() == stored.person_wishes() &&
         input.risk_summary() == stored.risk_summary() &&
         SameIdentifiers(input, stored);
}

// What a referral is called in its audit records' sections
// (`whole referral`).
constexpr char kReferralKind[] = "referral";

// For steps that record only the event and the new state.
absl::Status NoChange(v1::Referral&) { return absl::OkStatus(); }

// Directory NOT_FOUND becomes NOT_FOUND naming the request field as well.
absl::Status NameField(absl::string_view field, absl::string_view resource,
                       const absl::Status& status) {
  if (absl::IsNotFound(status)) {
    return errors::ReferencedNotFound(field, resource);
  }
  if (absl::IsFailedPrecondition(status)) {
    // A person merged into another: the message says which to use.
    return absl::FailedPreconditionError(
        absl::StrCat(field, ": ", status.message()));
  }
  return status;
}

std::string ListFingerprint(const Principal& caller,
                            const v1::ListReferralsRequest& request) {
  std::vector<int> states(request.states().begin(), request.states().end());
  std::sort(states.begin(), states.end());
  states.erase(std::unique(states.begin(), states.end()), states.end());
  return absl::StrCat(request.mailbox(), "|", caller.team, "|",
                      absl::StrJoin(states, ","), "|", request.person(), "|",
                      request.overdue_only() ? 1 : 0,
                      // Appended only when set: tokens issued before the
                      // identifier filter existed stay good.
                      request.has_identifier()
                          ? absl::StrCat("|", request.identifier().system(),
                                         "|", request.identifier().value())
                          : "");
}

}  // namespace

absl::StatusOr<directory_client::TeamInfo> ReferralDomain::AcceptingTeam(
    absl::string_view field, absl::string_view team) {
  absl::StatusOr<directory_client::TeamInfo> info = directory_->GetTeam(team);
  if (!info.ok()) return NameField(field, team, info.status());
  if (!info->accepting_referrals) {
    return errors::NotAcceptingReferrals(field, team, info->display_name);
  }
  return info;
}

absl::Status ReferralDomain::ShowTo(
    careplan_client::ExchangeSharing::Reader& reader, v1::Referral& referral,
    careplan_client::ShownExchanges& shown) {
  referral.clear_withheld_from_receiving_team();
  return shown.Show(
      reader,
      {referral.person(), referral.sending_team(), referral.receiving_team()},
      referral.name(), careplan::v1::SHARED_RISK, "risk_summary",
      *referral.mutable_risk_summary(),
      *referral.mutable_withheld_from_receiving_team());
}

absl::StatusOr<v1::Referral> ReferralDomain::Shown(
    careplan_client::ExchangeSharing::Reader& reader, v1::Referral referral) {
  careplan_client::ShownExchanges shown(kReferralKind);
  RETURN_IF_ERROR(ShowTo(reader, referral, shown));
  shown.NoteOne();
  return referral;
}

absl::StatusOr<v1::Referral> ReferralDomain::Shown(const Principal& caller,
                                                   v1::Referral referral,
                                                   RemoteCalls remote) {
  careplan_client::ExchangeSharing::Reader reader =
      sharing_.ReaderFor(caller, remote);
  return Shown(reader, std::move(referral));
}

absl::StatusOr<v1::Referral> ReferralDomain::CreateReferral(
    const Principal& caller, const v1::CreateReferralRequest& request) {
  RETURN_IF_ERROR(policy::RequireClinical(caller, "send a referral"));
  RETURN_IF_ERROR(ValidateCreate(request));
  const v1::Referral& input = request.referral();
  if (input.receiving_team() == caller.team) {
    return errors::ReferralToOwnTeam("referral.receiving_team", caller.team);
  }
  // A retry whose checks pass is answered by Create, which finds the
  // request_id in its own transaction; only one whose checks fail looks it
  // up first, so a create is one transaction, with no read before it.
  absl::Status exists =
      NameField("referral.person", input.person(),
                directory_->CheckPersonExists(input.person()));
  if (!exists.ok()) return AnswerRetryOr(caller, request, std::move(exists));
  absl::StatusOr<directory_client::TeamInfo> accepting =
      AcceptingTeam("referral.receiving_team", input.receiving_team());
  if (!accepting.ok()) {
    return AnswerRetryOr(caller, request, accepting.status());
  }
  const directory_client::TeamInfo& team = *accepting;

  const absl::Time now = clock_->Now();
  v1::Referral referral =
      NewReferral(input, absl::StrCat("referrals/", ids_->NewId()), caller.team,
                  input.receiving_team(), team.DeadlineFor(input.urgency()),
                  caller.subject, now);
  *referral.mutable_identifiers() = input.identifiers();
  *referral.add_history() =
      HistoryEntry(v1::ReferralEvent::CREATED, now, caller,
                   v1::STATE_UNSPECIFIED, v1::SENT, /*note=*/"");
  // What the answer shows is noted before the create commits (its
  // transaction carries the record), and judged again by the same reader
  // on the referral as stored.
  careplan_client::ExchangeSharing::Reader reader =
      sharing_.ReaderFor(caller, RemoteCalls::kAllowed);
  RETURN_IF_ERROR(Shown(reader, Present({referral, 1}, now)).status());
  ASSIGN_OR_RETURN(
      StoredReferral stored,
      store_->Create(
          referral, request.request_id(),
          ReferralChangeEvent(kReferralCreated, Present({referral, 1}, now),
                              caller.subject, now)));
  // Another request with the same request_id was stored first.
  if (stored.referral.name() != referral.name()) {
    return AnswerRetry(caller, request, stored);
  }
  return Shown(reader, Present(stored, now));
}

absl::StatusOr<v1::Referral> ReferralDomain::AnswerRetry(
    const Principal& caller, const v1::CreateReferralRequest& request,
    const StoredReferral& existing) {
  if (!AsksForTheSameReferral(request.referral(), existing.referral)) {
    return errors::RequestIdReused(request.request_id(), caller.team,
                                   existing.referral.name());
  }
  return Shown(caller, Present(existing, clock_->Now()));
}

absl::StatusOr<v1::Referral> ReferralDomain::AnswerRetryOr(
    const Principal& caller, const v1::CreateReferralRequest& request,
    absl::Status failed) {
  if (request.request_id().empty()) return failed;
  ASSIGN_OR_RETURN(std::optional<StoredReferral> existing,
                   store_->FindByRequestId(caller.team, request.request_id()));
  if (!existing.has_value()) return failed;
  return AnswerRetry(caller, request, *existing);
}

absl::StatusOr<v1::Referral> ReferralDomain::GetReferral(
    const Principal& caller, const v1::GetReferralRequest& request,
    RemoteCalls remote) {
  RETURN_IF_ERROR(ValidateGet(request));
  ASSIGN_OR_RETURN(StoredReferral stored, store_->Get(request.name()));
  NoteAuditedPerson(stored.referral.person());
  const v1::Referral& referral = stored.referral;
  bool party =
      caller.is_clinical() && (caller.team == referral.sending_team() ||
                               caller.team == referral.receiving_team());
  if (!party && !caller.is_service()) {
    return errors::NotSenderOrReceiver("get", request.name(), caller.subject,
                                       caller.team);
  }
  return Shown(caller, Present(stored, clock_->Now()), remote);
}

absl::StatusOr<v1::ListReferralsResponse> ReferralDomain::ListReferrals(
    const Principal& caller, const v1::ListReferralsRequest& request,
    RemoteCalls remote) {
  RETURN_IF_ERROR(policy::RequireClinical(caller, "list referrals"));
  RETURN_IF_ERROR(ValidateList(request));
  const std::string fingerprint = ListFingerprint(caller, request);

  ReferralQuery query;
  ASSIGN_OR_RETURN(query.after, DecodeCreateOrderPageToken(request.page_token(),
                                                           fingerprint));
  ASSIGN_OR_RETURN(query.page_size,
                   CheckPageSize("page_size", request.page_size()));
  query.mailbox = request.mailbox() == v1::INBOX
                      ? ReferralQuery::Mailbox::kInbox
                      : ReferralQuery::Mailbox::kSentByTeam;
  query.team = caller.team;
  for (int state : request.states()) {
    query.states.push_back(static_cast<v1::State>(state));
  }
  query.person = request.person();
  query.overdue_only = request.overdue_only();
  if (request.has_identifier()) query.identifier = request.identifier();
  query.now = clock_->Now();
  ASSIGN_OR_RETURN(ReferralPage page, store_->List(query));

  v1::ListReferralsResponse response;
  // One read of each person's choices for the page.
  careplan_client::ExchangeSharing::Reader reader =
      sharing_.ReaderFor(caller, remote);
  careplan_client::ShownExchanges listed(kReferralKind);
  for (const StoredReferral& stored : page.referrals) {
    v1::Referral* shown = response.add_referrals();
    *shown = Present(stored, query.now);
    RETURN_IF_ERROR(ShowTo(reader, *shown, listed));
  }
  listed.NoteEach();
  if (page.next.has_value()) {
    response.set_next_page_token(
        EncodeCreateOrderPageToken(fingerprint, *page.next));
  }
  return response;
}

absl::StatusOr<std::pair<StoredReferral, v1::State>>
ReferralDomain::LoadForAction(const Principal& caller, absl::string_view name,
                              absl::string_view etag, ReferralAction action) {
  ASSIGN_OR_RETURN(StoredReferral stored, store_->Get(name));
  NoteAuditedPerson(stored.referral.person());
  const std::string& team = action == ReferralAction::kWithdraw
                                ? stored.referral.sending_team()
                                : stored.referral.receiving_team();
  RETURN_IF_ERROR(
      policy::RequireTeam(caller, team, absl::StrCat(Verb(action), " ", name)));
  if (!etag.empty() && etag != EtagOf(stored.version)) {
    return carebridge::errors::StaleEtag(name);
  }
  ASSIGN_OR_RETURN(v1::State next,
                   NextState(name, stored.referral.state(), action));
  return std::make_pair(std::move(stored), next);
}

absl::StatusOr<v1::Referral> ReferralDomain::Transition(
    const Principal& caller, absl::string_view name, absl::string_view etag,
    ReferralAction action, absl::string_view note,
    absl::FunctionRef<absl::Status(v1::Referral&)> apply) {
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(auto loaded, LoadForAction(caller, name, etag, action));
    auto& [stored, next] = loaded;
    v1::Referral& referral = stored.referral;
    RETURN_IF_ERROR(apply(referral));
    const absl::Time now = clock_->Now();
    *referral.add_history() = HistoryEntry(EventAction(action), now, caller,
                                           referral.state(), next, note);
    referral.set_state(next);
    *referral.mutable_update_time() = ToProtoTimestamp(now);
    v1::Referral after = Present({referral, stored.version + 1}, now);
    // Judged (and noted) before the write carries the call's record.
    ASSIGN_OR_RETURN(v1::Referral shown, Shown(caller, after));
    absl::StatusOr<int64_t> version = store_->Update(
        referral, stored.version,
        ReferralChangeEvent(EventTypeFor(action), after, caller.subject, now));
    if (version.ok()) return shown;
    if (!absl::IsAborted(version.status()) || !etag.empty() ||
        attempt == kMaxAttempts) {
      return version.status();
    }
  }
}

absl::StatusOr<v1::Referral> ReferralDomain::AcknowledgeReferral(
    const Principal& caller, const v1::AcknowledgeReferralRequest& request) {
  RETURN_IF_ERROR(ValidateAcknowledge(request));
  return Transition(caller, request.name(), request.etag(),
                    ReferralAction::kAcknowledge, request.note(), NoChange);
}

absl::StatusOr<v1::Referral> ReferralDomain::AcceptReferral(
    const Principal& caller, const v1::AcceptReferralRequest& request) {
  RETURN_IF_ERROR(ValidateAccept(request));
  return Transition(caller, request.name(), request.etag(),
                    ReferralAction::kAccept, request.note(), NoChange);
}

absl::StatusOr<v1::Referral> ReferralDomain::CompleteReferral(
    const Principal& caller, const v1::CompleteReferralRequest& request) {
  RETURN_IF_ERROR(ValidateComplete(request));
  return Transition(caller, request.name(), request.etag(),
                    ReferralAction::kComplete, request.note(), NoChange);
}

absl::StatusOr<v1::Referral> ReferralDomain::WithdrawReferral(
    const Principal& caller, const v1::WithdrawReferralRequest& request) {
  RETURN_IF_ERROR(ValidateWithdraw(request));
  return Transition(caller, request.name(), request.etag(),
                    ReferralAction::kWithdraw, request.reason(), NoChange);
}

absl::StatusOr<v1::Referral> ReferralDomain::DeclineReferral(
    const Principal& caller, const v1::DeclineReferralRequest& request) {
  RETURN_IF_ERROR(ValidateDecline(request));
  const v1::OnwardRoute& route = request.onward_route();
  return Transition(
      caller, request.name(), request.etag(), ReferralAction::kDecline,
      request.reason(), [&](v1::Referral& referral) -> absl::Status {
        if (!route.suggested_team().empty()) {
          if (route.suggested_team() == referral.receiving_team()) {
            return errors::SuggestedDecliningTeam(route.suggested_team());
          }
          if (route.suggested_team() == referral.sending_team()) {
            return errors::SuggestedSendingTeam(referral.name(),
                                                route.suggested_team());
          }
          RETURN_IF_ERROR(
              NameField("onward_route.suggested_team", route.suggested_team(),
                        directory_->GetTeam(route.suggested_team()).status()));
        }
        *referral.mutable_onward_route() = route;
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::RedirectReferralResponse> ReferralDomain::RedirectReferral(
    const Principal& caller, const v1::RedirectReferralRequest& request) {
  RETURN_IF_ERROR(ValidateRedirect(request));
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<v1::RedirectReferralResponse> response =
        RedirectOnce(caller, request);
    if (response.ok() || !absl::IsAborted(response.status()) ||
        !request.etag().empty() || attempt == kMaxAttempts) {
      return response;
    }
  }
}

absl::StatusOr<v1::RedirectReferralResponse> ReferralDomain::RedirectOnce(
    const Principal& caller, const v1::RedirectReferralRequest& request) {
  ASSIGN_OR_RETURN(auto loaded,
                   LoadForAction(caller, request.name(), request.etag(),
                                 ReferralAction::kRedirect));
  auto& [stored, next] = loaded;
  v1::Referral& old = stored.referral;
  const std::string& new_team_name = request.new_receiving_team();
  if (new_team_name == old.receiving_team()) {
    return errors::RedirectToSameTeam(old.name(), new_team_name);
  }
  if (new_team_name == old.sending_team()) {
    return errors::RedirectToSender(old.name(), new_team_name);
  }
  ASSIGN_OR_RETURN(directory_client::TeamInfo new_team,
                   AcceptingTeam("new_receiving_team", new_team_name));

  const absl::Time now = clock_->Now();
  v1::Referral created =
      NewReferral(old, absl::StrCat("referrals/", ids_->NewId()),
                  old.sending_team(), new_team_name,
                  new_team.DeadlineFor(old.urgency()), old.created_by(), now);
  created.set_redirected_from(old.name());
  *created.add_history() = HistoryEntry(
      v1::ReferralEvent::CREATED, now, caller, v1::STATE_UNSPECIFIED, v1::SENT,
      absl::StrCat("redirected from ", old.name(), ": ", request.reason()));

  *old.add_history() = HistoryEntry(v1::ReferralEvent::REDIRECTED, now, caller,
                                    old.state(), next, request.reason());
  old.set_state(next);
  old.set_redirected_to(created.name());
  *old.mutable_update_time() = ToProtoTimestamp(now);

  // Both referrals as the answer shows them, noted before the write carries
  // the call's record, and judged again by the same reader as stored.
  careplan_client::ExchangeSharing::Reader reader =
      sharing_.ReaderFor(caller, RemoteCalls::kAllowed);
  auto show_both =
      [&](StoredReferral redirected,
          StoredReferral made) -> absl::StatusOr<v1::RedirectReferralResponse> {
    v1::RedirectReferralResponse response;
    *response.mutable_redirected() = Present(redirected, now);
    *response.mutable_created() = Present(made, now);
    careplan_client::ShownExchanges shown(kReferralKind);
    RETURN_IF_ERROR(ShowTo(reader, *response.mutable_redirected(), shown));
    RETURN_IF_ERROR(ShowTo(reader, *response.mutable_created(), shown));
    shown.NoteEach();
    return response;
  };
  RETURN_IF_ERROR(show_both({old, stored.version + 1}, {created, 1}).status());
  ASSIGN_OR_RETURN(
      auto both,
      store_->Redirect(
          old, stored.version,
          ReferralChangeEvent(EventTypeFor(ReferralAction::kRedirect),
                              Present({old, stored.version + 1}, now),
                              caller.subject, now),
          created,
          ReferralChangeEvent(kReferralCreated, Present({created, 1}, now),
                              caller.subject, now)));
  return show_both(std::move(both.first), std::move(both.second));
}

absl::StatusOr<int> ReferralDomain::EscalateOverdue(absl::Time now) {
  return EscalateOverdueReferrals(*store_, now);
}

}  // namespace carebridge::referral
