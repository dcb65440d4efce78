#include "services/http/fhir_resources.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "services/common/time_util.h"

namespace carebridge::http::fhir {
namespace {

namespace dir = ::carebridge::directory::v1;
namespace ref = ::carebridge::referral::v1;

// A FHIR instant (milliseconds, UTC).
std::string Instant(const google::protobuf::Timestamp& time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", FromProtoTimestamp(time),
                          absl::UTCTimeZone());
}

Json Reference(absl::string_view type, absl::string_view name) {
  return Json{{"reference", absl::StrCat(type, "/", IdOf(name))}};
}

// The resource's meta: its version and when it last changed, each when
// known (left out when neither is: FHIR JSON has no empty objects).
void SetMeta(Json& resource, const google::protobuf::Timestamp& updated,
             const std::string& etag) {
  Json meta = Json::object();
  if (!etag.empty()) meta["versionId"] = etag;
  if (updated.seconds() != 0) meta["lastUpdated"] = Instant(updated);
  if (!meta.empty()) resource["meta"] = std::move(meta);
}

std::string SectorText(dir::Sector sector) {
  switch (sector) {
    case dir::COMMUNITY_MENTAL_HEALTH:
      return "Community mental health";
    case dir::CRISIS:
      return "Crisis";
    case dir::VOLUNTARY_SECTOR:
      return "Voluntary sector";
    case dir::PRIMARY_CARE:
      return "Primary care";
    case dir::INPATIENT:
      return "Inpatient";
    case dir::SOCIAL_CARE:
      return "Social care";
    default:
      return "Other";
  }
}

std::string Priority(ref::Urgency urgency) {
  switch (urgency) {
    case ref::CRISIS:
      return "stat";
    case ref::URGENT:
      return "urgent";
    default:
      return "routine";
  }
}

std::string StateText(ref::State state) {
  switch (state) {
    case ref::SENT:
      return "Sent";
    case ref::ACKNOWLEDGED:
      return "Acknowledged";
    case ref::ACCEPTED:
      return "Accepted";
    case ref::DECLINED:
      return "Declined";
    case ref::REDIRECTED:
      return "Redirected";
    case ref::WITHDRAWN:
      return "Withdrawn";
    case ref::COMPLETED:
      return "Completed";
    default:
      return "Unknown";
  }
}

// The note of the referral's last event of `action` (a decline's reason).
std::string LastNote(const ref::Referral& referral,
                     ref::ReferralEvent::Action action) {
  for (int i = referral.history_size() - 1; i >= 0; --i) {
    if (referral.history(i).action() == action) {
      return referral.history(i).note();
    }
  }
  return "";
}

// "3 days", "4 hours", "1 hour 30 minutes": a deadline as a referrer
// reads it (whole seconds; days when it is a whole number of them).
std::string DurationText(const google::protobuf::Duration& duration) {
  int64_t seconds = std::max<int64_t>(0, duration.seconds());
  auto unit = [](int64_t n, const char* name) {
    return absl::StrCat(n, " ", name, n == 1 ? "" : "s");
  };
  constexpr int64_t kDay = 24 * 3600;
  if (seconds > 0 && seconds % kDay == 0) return unit(seconds / kDay, "day");
  std::vector<std::string> parts;
  if (seconds >= 3600) parts.push_back(unit(seconds / 3600, "hour"));
  if (seconds % 3600 >= 60)
    parts.push_back(unit(seconds % 3600 / 60, "minute"));
  if (seconds % 60 > 0 || parts.empty()) {
    parts.push_back(unit(seconds % 60, "second"));
  }
  return absl::StrJoin(parts, " ");
}

}  // namespace

std::string IdOf(absl::string_view name) {
  size_t slash = name.rfind('/');
  return std::string(slash == absl::string_view::npos ? name
                                                      : name.substr(slash + 1));
}

Json Patient(const dir::Person& person) {
  Json patient{{"resourceType", "Patient"}, {"id", IdOf(person.name())}};
  SetMeta(patient, person.update_time(), person.etag());
  Json identifiers = Json::array();
  if (!person.nhs_number().empty()) {
    identifiers.push_back(
        {{"system", kNhsNumberSystem}, {"value", person.nhs_number()}});
  }
  for (const dir::LocalIdentifier& local : person.local_identifiers()) {
    identifiers.push_back(
        {{"system", local.system()}, {"value", local.value()}});
  }
  if (!identifiers.empty()) patient["identifier"] = identifiers;
  Json names = Json::array();
  names.push_back({{"use", "official"},
                   {"family", person.family_name()},
                   {"given", Json::array({person.given_name()})}});
  if (!person.preferred_name().empty()) {
    names.push_back(
        {{"use", "usual"}, {"given", Json::array({person.preferred_name()})}});
  }
  patient["name"] = names;
  if (!person.birth_date().empty()) patient["birthDate"] = person.birth_date();
  if (!person.merged_into().empty()) {
    // Registered twice and merged (MergePersons): this record is no longer
    // in use, and names the one that replaced it.
    patient["active"] = false;
    patient["link"] =
        Json::array({{{"other", Reference("Patient", person.merged_into())},
                      {"type", "replaced-by"}}});
  }
  return patient;
}

Json Organization(const dir::Team& team) {
  Json organization{{"resourceType", "Organization"},
                    {"id", IdOf(team.name())}};
  SetMeta(organization, team.update_time(), team.etag());
  organization["active"] = true;
  organization["type"] = Json::array({{{"text", SectorText(team.sector())}}});
  organization["name"] = team.display_name();
  return organization;
}

Json HealthcareService(const dir::Team& team) {
  Json service{{"resourceType", "HealthcareService"},
               {"id", IdOf(team.name())}};
  SetMeta(service, team.update_time(), team.etag());
  // A team that has paused referrals still exists and is still reached:
  // `active` false would tell an EHR not to use the record at all (R4
  // keeps closures to the availability elements).
  service["active"] = true;
  service["providedBy"] = Reference("Organization", team.name());
  service["category"] = Json::array({{{"text", SectorText(team.sector())}}});
  service["name"] = team.display_name();
  if (!team.service_description().empty()) {
    service["comment"] = team.service_description();
  }
  // Response times, in the words a referrer reads.
  const dir::ResponseDeadlines& deadlines = team.response_deadlines();
  service["extraDetails"] = absl::StrCat(
      "Answers referrals within: crisis ", DurationText(deadlines.crisis()),
      ", urgent ", DurationText(deadlines.urgent()), ", routine ",
      DurationText(deadlines.routine()), ".",
      team.accepting_referrals() ? "" : " Not accepting referrals now.");
  if (!team.accepting_referrals()) {
    service["availabilityExceptions"] = "Not accepting referrals now.";
  }
  if (!team.contact().empty()) {
    service["telecom"] =
        Json::array({{{"system", "other"}, {"value", team.contact()}}});
  }
  if (!team.eligibility().empty()) {
    service["eligibility"] = Json::array({{{"comment", team.eligibility()}}});
  }
  service["referralMethod"] =
      Json::array({{{"text", "carebridge referral (FHIR ServiceRequest)"}}});
  return service;
}

std::string TaskStatus(ref::State state) {
  switch (state) {
    case ref::SENT:
      return "requested";
    case ref::ACKNOWLEDGED:
      return "received";
    case ref::ACCEPTED:
      return "accepted";
    case ref::DECLINED:
      return "rejected";
    case ref::REDIRECTED:
    case ref::WITHDRAWN:
      return "cancelled";
    case ref::COMPLETED:
      return "completed";
    default:
      return "";
  }
}

std::vector<ref::State> StatesForTaskStatus(absl::string_view status) {
  std::vector<ref::State> states;
  for (ref::State state :
       {ref::SENT, ref::ACKNOWLEDGED, ref::ACCEPTED, ref::DECLINED,
        ref::REDIRECTED, ref::WITHDRAWN, ref::COMPLETED}) {
    if (TaskStatus(state) == status) states.push_back(state);
  }
  return states;
}

Json ServiceRequest(const ref::Referral& referral) {
  Json request{{"resourceType", "ServiceRequest"},
               {"id", IdOf(referral.name())}};
  SetMeta(request, referral.update_time(), referral.etag());
  if (!referral.identifiers().empty()) {
    Json identifiers = Json::array();
    for (const ref::ReferralIdentifier& identifier : referral.identifiers()) {
      identifiers.push_back(
          {{"system", identifier.system()}, {"value", identifier.value()}});
    }
    request["identifier"] = std::move(identifiers);
  }
  if (!referral.redirected_from().empty()) {
    request["replaces"] =
        Json::array({Reference("ServiceRequest", referral.redirected_from())});
  }
  switch (referral.state()) {
    case ref::COMPLETED:
      request["status"] = "completed";
      break;
    case ref::DECLINED:
    case ref::REDIRECTED:
    case ref::WITHDRAWN:
      request["status"] = "revoked";
      break;
    default:
      request["status"] = "active";
  }
  request["intent"] = "order";
  request["priority"] = Priority(referral.urgency());
  request["subject"] = Reference("Patient", referral.person());
  request["authoredOn"] = Instant(referral.create_time());
  request["requester"] = Reference("Organization", referral.sending_team());
  request["performer"] =
      Json::array({Reference("HealthcareService", referral.receiving_team())});
  request["reasonCode"] = Json::array({{{"text", referral.reason()}}});
  Json notes = Json::array();
  if (!referral.person_wishes().empty()) {
    notes.push_back({{"text", absl::StrCat("What the person wants: ",
                                           referral.person_wishes())}});
  }
  if (!referral.risk_summary().empty()) {
    notes.push_back(
        {{"text", absl::StrCat("Risk summary: ", referral.risk_summary())}});
  }
  if (!notes.empty()) request["note"] = notes;
  return request;
}

Json Task(const ref::Referral& referral) {
  Json task{{"resourceType", "Task"}, {"id", IdOf(referral.name())}};
  SetMeta(task, referral.update_time(), referral.etag());
  task["basedOn"] = Json::array({Reference("ServiceRequest", referral.name())});
  task["status"] = TaskStatus(referral.state());
  // Why it was declined or withdrawn (each needs a reason).
  if (referral.state() == ref::DECLINED || referral.state() == ref::WITHDRAWN) {
    std::string reason =
        LastNote(referral, referral.state() == ref::DECLINED
                               ? ref::ReferralEvent::DECLINED
                               : ref::ReferralEvent::WITHDRAWN);
    if (!reason.empty()) task["statusReason"] = {{"text", reason}};
  }
  task["businessStatus"] = {{"text", StateText(referral.state())}};
  task["intent"] = "order";
  task["priority"] = Priority(referral.urgency());
  task["focus"] = Reference("ServiceRequest", referral.name());
  task["for"] = Reference("Patient", referral.person());
  task["authoredOn"] = Instant(referral.create_time());
  task["lastModified"] = Instant(referral.update_time());
  task["requester"] = Reference("Organization", referral.sending_team());
  task["owner"] = Reference("HealthcareService", referral.receiving_team());
  if (referral.has_response_due_time()) {
    task["restriction"] = {
        {"period", {{"end", Instant(referral.response_due_time())}}}};
  }
  Json outputs = Json::array();
  const ref::OnwardRoute& onward = referral.onward_route();
  if (!onward.signposting().empty()) {
    outputs.push_back({{"type", {{"text", "Onward route: signposting"}}},
                       {"valueString", onward.signposting()}});
  }
  if (!onward.suggested_team().empty()) {
    outputs.push_back({{"type", {{"text", "Onward route: suggested team"}}},
                       {"valueReference", Reference("HealthcareService",
                                                    onward.suggested_team())}});
  }
  if (!referral.redirected_to().empty()) {
    outputs.push_back(
        {{"type", {{"text", "Redirected to"}}},
         {"valueReference", Reference("Task", referral.redirected_to())}});
  }
  if (!outputs.empty()) task["output"] = outputs;
  return task;
}

Json OperationOutcome(const absl::Status& status) {
  std::string code;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      code = "invalid";
      break;
    case absl::StatusCode::kFailedPrecondition:
      code = "business-rule";
      break;
    case absl::StatusCode::kNotFound:
      code = "not-found";
      break;
    case absl::StatusCode::kUnauthenticated:
      code = "login";
      break;
    case absl::StatusCode::kPermissionDenied:
      code = "forbidden";
      break;
    case absl::StatusCode::kAlreadyExists:
      code = "duplicate";
      break;
    case absl::StatusCode::kAborted:
      code = "conflict";
      break;
    case absl::StatusCode::kUnimplemented:
      code = "not-supported";
      break;
    case absl::StatusCode::kResourceExhausted:
      code = "throttled";
      break;
    case absl::StatusCode::kDeadlineExceeded:
      code = "timeout";
      break;
    case absl::StatusCode::kUnavailable:
      code = "transient";
      break;
    default:
      code = "exception";
  }
  return Json{
      {"resourceType", "OperationOutcome"},
      {"issue",
       Json::array({{{"severity", "error"},
                     {"code", code},
                     {"diagnostics", std::string(status.message())}}})}};
}

}  // namespace carebridge::http::fhir
