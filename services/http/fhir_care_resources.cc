#include "services/http/fhir_care_resources.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "services/common/time_util.h"

namespace carebridge::http::fhir {
namespace {

namespace cp = ::carebridge::careplan::v1;
namespace ho = ::carebridge::handover::v1;

std::string Instant(const google::protobuf::Timestamp& time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", FromProtoTimestamp(time),
                          absl::UTCTimeZone());
}

std::string DateOf(const cp::Date& date) {
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(),
                         date.day());
}

bool HasDate(const cp::Date& date) { return date.year() != 0; }

Json Ref(absl::string_view type, absl::string_view name) {
  return Json{{"reference", absl::StrCat(type, "/", IdOf(name))}};
}

// A member (no FHIR resource of their own here) by identifier.
Json MemberRef(const std::string& member, const std::string& team) {
  Json who{{"identifier",
            {{"system", "https://carebridge.nhs.example/members"},
             {"value", member}}},
           {"display", member}};
  if (!team.empty()) who["display"] = absl::StrCat(member, " (", team, ")");
  return who;
}

std::string GoalStatus(cp::Goal::Status status) {
  switch (status) {
    case cp::Goal::ACHIEVED:
      return "completed";
    case cp::Goal::PAUSED:
      return "on-hold";
    default:
      return "active";
  }
}

std::string ActivityStatus(cp::Action::Status status) {
  switch (status) {
    case cp::Action::SCHEDULED:
      return "scheduled";
    case cp::Action::IN_PROGRESS:
      return "in-progress";
    case cp::Action::ON_HOLD:
      return "on-hold";
    case cp::Action::COMPLETED:
      return "completed";
    case cp::Action::CANCELLED:
      return "cancelled";
    case cp::Action::STOPPED:
      return "stopped";
    case cp::Action::NOT_STARTED:
      return "not-started";
    default:
      return "unknown";
  }
}

void Note(Json& notes, absl::string_view label, const std::string& text) {
  if (!text.empty()) notes.push_back({{"text", absl::StrCat(label, text)}});
}

std::string ChangeText(cp::Change::Kind kind) {
  switch (kind) {
    case cp::Change::CONTENT_UPDATED:
      return "Content updated";
    case cp::Change::AGREEMENT_RECORDED:
      return "Agreement with the person recorded";
    case cp::Change::CARE_TEAM_CHANGED:
      return "Care team changed";
    case cp::Change::LEAD_CHANGED:
      return "Lead team changed";
    default:
      return "Changed";
  }
}

std::string Priority(referral::v1::Urgency urgency) {
  switch (urgency) {
    case referral::v1::CRISIS:
      return "stat";
    case referral::v1::URGENT:
      return "urgent";
    default:
      return "routine";
  }
}

}  // namespace

Json CarePlan(const cp::CarePlan& plan) {
  const std::string id = IdOf(plan.person());
  Json out{{"resourceType", "CarePlan"}, {"id", id}};
  out["meta"] = {{"versionId", std::to_string(plan.version())},
                 {"lastUpdated", Instant(plan.update_time())}};
  Json contained = Json::array();
  Json goal_refs = Json::array();
  for (const cp::Goal& goal : plan.goals()) {
    const std::string goal_id = absl::StrCat("goal-", goal.id());
    Json g{{"resourceType", "Goal"},
           {"id", goal_id},
           {"lifecycleStatus", GoalStatus(goal.status())}};
    if (goal.status() == cp::Goal::ACHIEVED) {
      g["achievementStatus"] = {{"text", "Achieved"}};
    }
    g["description"] = {{"text", goal.description()}};
    g["subject"] = Ref("Patient", plan.person());
    if (HasDate(goal.target_date())) {
      g["target"] = Json::array({{{"dueDate", DateOf(goal.target_date())}}});
    }
    contained.push_back(g);
    goal_refs.push_back({{"reference", absl::StrCat("#", goal_id)}});
  }
  if (!contained.empty()) out["contained"] = contained;
  out["status"] = "active";
  out["intent"] = "plan";
  out["title"] = "Shared care plan";
  out["subject"] = Ref("Patient", plan.person());
  out["created"] = Instant(plan.create_time());
  if (!plan.care_team().empty()) {
    out["careTeam"] = Json::array({Ref("CareTeam", plan.person())});
  }
  if (!goal_refs.empty()) out["goal"] = goal_refs;
  Json activities = Json::array();
  for (const cp::Action& action : plan.actions()) {
    Json detail{{"status", ActivityStatus(action.status())},
                {"description", action.description()}};
    if (HasDate(action.due_date())) {
      detail["scheduledPeriod"] = {{"end", DateOf(action.due_date())}};
    }
    if (!action.owning_team().empty()) {
      detail["performer"] =
          Json::array({Ref("HealthcareService", action.owning_team())});
    }
    activities.push_back({{"detail", detail}});
  }
  if (!activities.empty()) out["activity"] = activities;
  Json notes = Json::array();
  if (plan.has_crisis_plan()) {
    const cp::CrisisPlan& crisis = plan.crisis_plan();
    Note(notes,
         "Crisis plan: early warning signs: ", crisis.early_warning_signs());
    Note(notes, "Crisis plan: triggers: ", crisis.triggers());
    Note(notes, "Crisis plan: what helps: ", crisis.what_helps());
    Note(notes, "Crisis plan: what to avoid: ", crisis.what_to_avoid());
    Note(notes,
         "Crisis plan: preferred response: ", crisis.preferred_response());
    Note(notes,
         "Crisis plan: advance statements: ", crisis.advance_statements());
    for (const cp::CrisisContact& contact : crisis.contacts()) {
      Note(notes, "Crisis plan: contact: ",
           absl::StrJoin({contact.name(), contact.relationship(),
                          contact.how_to_contact(), contact.when_to_contact()},
                         "; "));
    }
  }
  if (plan.has_communication_preferences()) {
    const cp::CommunicationPreferences& prefs =
        plan.communication_preferences();
    std::vector<std::string> methods;
    for (int method : prefs.contact_methods()) {
      methods.push_back(cp::ContactMethod_Name(method));
    }
    Note(notes, "Communication: contact by ", absl::StrJoin(methods, ", "));
    Note(notes, "Communication: contact times: ", prefs.contact_times());
    Note(notes, "Communication: interpreter: ", prefs.interpreter_language());
    Note(notes,
         "Communication: accessibility needs: ", prefs.accessibility_needs());
    for (const cp::Supporter& supporter : prefs.supporters()) {
      Note(notes, "Communication: supporter: ",
           absl::StrCat(supporter.name(), " (", supporter.relationship(), "), ",
                        supporter.contact(),
                        supporter.may_be_contacted()
                            ? "; may be contacted"
                            : "; may not be contacted"));
    }
    Note(notes, "Communication: ", prefs.other());
  }
  if (HasDate(plan.review_date())) {
    Note(notes, "Review by ", DateOf(plan.review_date()));
  }
  if (plan.agreed() && plan.has_agreement()) {
    Note(notes, "Agreed with the person: ",
         absl::StrCat(
             Instant(plan.agreement().agree_time()), " (recorded by ",
             plan.agreement().recorded_by(), ")",
             plan.agreement().person_comment().empty()
                 ? ""
                 : absl::StrCat(": ", plan.agreement().person_comment())));
  }
  if (!notes.empty()) out["note"] = notes;
  return out;
}

Json CareTeam(const cp::CarePlan& plan) {
  Json out{{"resourceType", "CareTeam"}, {"id", IdOf(plan.person())}};
  out["meta"] = {{"versionId", std::to_string(plan.version())},
                 {"lastUpdated", Instant(plan.update_time())}};
  out["status"] = "active";
  out["name"] = "Care team";
  out["subject"] = Ref("Patient", plan.person());
  Json participants = Json::array();
  for (const cp::CareTeamMember& member : plan.care_team()) {
    std::string role = member.lead() ? "Lead team" : "Involved team";
    if (!member.role().empty()) role = absl::StrCat(role, ": ", member.role());
    Json participant{{"role", Json::array({{{"text", role}}})},
                     {"member", Ref("Organization", member.team())}};
    Json period{{"start", Instant(member.start_time())}};
    if (member.has_end_time()) period["end"] = Instant(member.end_time());
    participant["period"] = period;
    participants.push_back(participant);
  }
  if (!participants.empty()) out["participant"] = participants;
  if (!plan.lead_team().empty()) {
    out["managingOrganization"] =
        Json::array({Ref("Organization", plan.lead_team())});
  }
  return out;
}

Json Provenance(const cp::CarePlan& version) {
  const std::string id = IdOf(version.person());
  Json out{{"resourceType", "Provenance"},
           {"id", absl::StrCat(id, "-v", version.version())}};
  out["target"] =
      Json::array({{{"reference", absl::StrCat("CarePlan/", id, "/_history/",
                                               version.version())}}});
  const cp::Change& change = version.change();
  out["recorded"] = Instant(
      change.time().seconds() != 0 ? change.time() : version.update_time());
  if (!change.reason().empty()) {
    out["reason"] = Json::array({{{"text", change.reason()}}});
  }
  out["activity"] = {{"text", ChangeText(change.kind())}};
  Json agent{{"who", MemberRef(change.actor(), change.actor_team())}};
  if (!change.actor_team().empty()) {
    agent["onBehalfOf"] = Ref("Organization", change.actor_team());
  }
  out["agent"] = Json::array({agent});
  return out;
}

Json Communication(const ho::Handover& handover) {
  Json out{{"resourceType", "Communication"}, {"id", IdOf(handover.name())}};
  out["meta"] = {{"versionId", handover.etag()},
                 {"lastUpdated", Instant(handover.update_time())}};
  switch (handover.state()) {
    case ho::ACCEPTED:
      out["status"] = "completed";
      break;
    case ho::DECLINED:
      out["status"] = "not-done";
      if (!handover.answer_note().empty()) {
        out["statusReason"] = {{"text", handover.answer_note()}};
      }
      break;
    case ho::CANCELLED:
      out["status"] = "stopped";
      break;
    default:
      out["status"] = "in-progress";
  }
  std::string kind = handover.kind() == ho::TRANSFER_OF_RESPONSIBILITY
                         ? "Handover: transfer of responsibility"
                     : handover.kind() == ho::SHARED_CARE
                         ? "Handover: shared care"
                         : "Handover: information only";
  out["category"] = Json::array({{{"text", kind}}});
  out["priority"] = Priority(handover.urgency());
  out["subject"] = Ref("Patient", handover.person());
  out["topic"] = {{"text", "Handover (SBAR)"}};
  out["sent"] = Instant(handover.create_time());
  if (handover.has_answer_time()) {
    out["received"] = Instant(handover.answer_time());
  }
  out["recipient"] =
      Json::array({Ref("HealthcareService", handover.receiving_team())});
  out["sender"] = Ref("HealthcareService", handover.sending_team());
  Json payload = Json::array();
  auto add = [&payload](absl::string_view label, const std::string& text) {
    if (!text.empty()) {
      payload.push_back({{"contentString", absl::StrCat(label, text)}});
    }
  };
  add("Situation: ", handover.situation());
  add("Background: ", handover.background());
  add("Assessment: ", handover.assessment());
  add("Recommendation: ", handover.recommendation());
  if (handover.illness_severity() != ho::ILLNESS_SEVERITY_UNSPECIFIED) {
    add("Illness severity: ",
        ho::IllnessSeverity_Name(handover.illness_severity()));
  }
  for (const ho::HandoverAction& action : handover.actions()) {
    add("Action: ",
        absl::StrCat(action.description(),
                     action.owning_team().empty()
                         ? ""
                         : absl::StrCat(" (", action.owning_team(), ")"),
                     action.has_due_time()
                         ? absl::StrCat(", due ", Instant(action.due_time()))
                         : ""));
  }
  for (const ho::Contingency& contingency : handover.contingencies()) {
    add("If ",
        absl::StrCat(contingency.if_this(), ", then ", contingency.then_do()));
  }
  if (!payload.empty()) out["payload"] = payload;
  Json notes = Json::array();
  if (handover.has_read_back()) {
    notes.push_back({{"authorString", handover.read_back().recorded_by()},
                     {"time", Instant(handover.read_back().record_time())},
                     {"text", absl::StrCat("Read back: ",
                                           handover.read_back().summary())}});
  }
  if (handover.state() == ho::ACCEPTED && !handover.answer_note().empty()) {
    notes.push_back(
        {{"text", absl::StrCat("Accepted: ", handover.answer_note())}});
  }
  if (!notes.empty()) out["note"] = notes;
  return out;
}

}  // namespace carebridge::http::fhir
