// FHIR writes: a referral made from a ServiceRequest, and its Task's status
// moved through the referral's state machine. Each is the gRPC method's
// call, so its rules and errors are the service's own.
#include <algorithm>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "services/http/fhir_front.h"

namespace carebridge::http {
namespace {

namespace ref = ::carebridge::referral::v1;
using fhir::Json;

constexpr char kReferral[] = "carebridge.referral.v1.ReferralService.";
constexpr char kRiskPrefix[] = "Risk summary: ";
constexpr char kWishesPrefix[] = "What the person wants: ";

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(std::string(what));
}

bool FhirJson(absl::string_view content_type) {
  return absl::StartsWith(content_type, "application/fhir+json") ||
         absl::StartsWith(content_type, "application/json");
}

HttpReply Unsupported415(absl::string_view expected) {
  HttpReply reply = FhirError(absl::InvalidArgumentError(
      absl::StrCat("Content-Type must be ", expected)));
  reply.status = 415;
  return reply;
}

// The deepest nesting of arrays and objects in `body` (outside strings).
int JsonDepth(absl::string_view body) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

// FHIR resources nest a handful of levels; far deeper is refused before
// parsing (copying such a value would recurse that deep).
constexpr int kMaxJsonDepth = 32;

absl::Status CheckDepth(absl::string_view body) {
  if (JsonDepth(body) <= kMaxJsonDepth) return absl::OkStatus();
  return Invalid(
      absl::StrCat("the body nests deeper than ", kMaxJsonDepth, " levels"));
}

// The body as a JSON object of `type`, or INVALID_ARGUMENT saying why not.
absl::StatusOr<Json> ParseResource(absl::string_view body,
                                   absl::string_view type,
                                   const std::set<std::string>& allowed) {
  if (absl::Status deep = CheckDepth(body); !deep.ok()) return deep;
  Json resource = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (resource.is_discarded() || !resource.is_object()) {
    return Invalid("the body is not a JSON object");
  }
  if (!resource.contains("resourceType") ||
      resource["resourceType"] != std::string(type)) {
    return Invalid(absl::StrCat("resourceType must be ", type));
  }
  for (const auto& [key, value] : resource.items()) {
    if (allowed.count(key) == 0) {
      return Invalid(absl::StrCat(type, ".", key,
                                  " is not supported here (supported: ",
                                  absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return resource;
}

std::string StringAt(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// The id a reference names when it is `type/{id}` (or a URL ending so).
absl::StatusOr<std::string> ReferencedId(const Json& reference,
                                         absl::string_view field,
                                         std::vector<std::string> types) {
  std::string value =
      reference.is_object() ? StringAt(reference, "reference") : "";
  std::vector<std::string> parts = absl::StrSplit(value, '/');
  if (parts.size() >= 2 && !parts.back().empty()) {
    for (const std::string& type : types) {
      if (parts[parts.size() - 2] == type) return parts.back();
    }
  }
  return Invalid(absl::StrCat(field, ": must be a reference to a ",
                              absl::StrJoin(types, " or "), " ({type}/{id})"));
}

absl::StatusOr<ref::Urgency> UrgencyOf(const Json& resource) {
  std::string priority = StringAt(resource, "priority");
  if (priority == "routine") return ref::ROUTINE;
  if (priority == "urgent" || priority == "asap") return ref::URGENT;
  if (priority == "stat") return ref::CRISIS;
  return Invalid(
      "ServiceRequest.priority: required: routine, urgent, asap or stat "
      "(crisis)");
}

// A request answering a referral: its name, the etag it was read at and a
// note.
template <typename Request>
Request Answer(const std::string& name, const std::string& etag,
               const std::string& note) {
  Request request;
  request.set_name(name);
  request.set_etag(etag);
  request.set_note(note);
  return request;
}

// The service's refusal of one of its request's fields, named as the Task
// element the field came from (the rule itself stays the service's).
absl::Status AsTaskElements(absl::Status status) {
  static constexpr std::pair<absl::string_view, absl::string_view> kFields[] = {
      {"reason", "Task.statusReason.text"},
      {"note", "Task.note.text"},
      {"onward_route.signposting", "Task.output.valueString"},
      {"onward_route.suggested_team", "Task.output.valueReference"},
      {"onward_route", "Task.output (valueString or valueReference)"}};
  if (status.code() != absl::StatusCode::kInvalidArgument) return status;
  for (const auto& [field, element] : kFields) {
    absl::string_view rest = status.message();
    if (absl::ConsumePrefix(&rest, field) && absl::StartsWith(rest, ":")) {
      return absl::InvalidArgumentError(absl::StrCat(element, rest));
    }
  }
  return status;
}

// The service's refusal of a referral's identifier, named as the
// ServiceRequest element it came from.
absl::Status AsServiceRequestElements(absl::Status status) {
  absl::string_view rest = status.message();
  if (status.code() != absl::StatusCode::kInvalidArgument ||
      !absl::ConsumePrefix(&rest, "referral.identifiers[")) {
    return status;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("ServiceRequest.identifier[", rest));
}

// What a Task write may change: its status and what is said with the
// step. meta, text and lastModified are the server's to set.
const std::set<std::string>& TaskStepElements() {
  static const auto* elements =
      new std::set<std::string>{"status", "statusReason", "output", "note"};
  return *elements;
}

// Elements the server derives from the referral's state and history
// (meta, text, lastModified, businessStatus, authoredOn, restriction): a
// PUT may carry them as read before the step, or leave them out.
bool ServerDerived(const std::string& element) {
  static const auto* elements = new std::set<std::string>{
      "resourceType",   "meta",       "text",       "lastModified",
      "businessStatus", "authoredOn", "restriction"};
  return elements->count(element) > 0;
}

// A PUT's Task against the stored one: the first element outside the step
// and the server's own that differs.
absl::Status CheckOnlyTheStepChanges(const Json& stored, const Json& put) {
  std::set<std::string> keys;
  for (const auto& [key, value] : stored.items()) keys.insert(key);
  for (const auto& [key, value] : put.items()) keys.insert(key);
  for (const std::string& key : keys) {
    if (TaskStepElements().count(key) > 0 || ServerDerived(key)) continue;
    auto was = stored.find(key);
    auto now = put.find(key);
    if (was == stored.end() || now == put.end() || *was != *now) {
      return Invalid(absl::StrCat(
          "Task.", key,
          ": differs from the stored Task; only status, statusReason, output "
          "and note change (send the Task as read, with those changed)"));
    }
  }
  return absl::OkStatus();
}

// The text of `element` (statusReason) or of its last entry (note).
std::string TextOf(const Json& resource, const char* element) {
  auto it = resource.find(element);
  if (it == resource.end()) return "";
  if (it->is_object()) return StringAt(*it, "text");
  if (it->is_array() && !it->empty() && it->back().is_object()) {
    return StringAt(it->back(), "text");
  }
  return "";
}

// Whether `wanted`, at the status the Task has already, says only what its
// last step said (a client sending its step again after a lost response):
// the same reason, the same note as the referral's last step, outputs the
// Task shows. Anything else would be dropped, so it is refused instead.
bool SameStepAgain(const Json& task, const ref::Referral& current,
                   const Json& wanted) {
  if (wanted.contains("statusReason") &&
      TextOf(wanted, "statusReason") != TextOf(task, "statusReason")) {
    return false;
  }
  const std::string note = TextOf(wanted, "note");
  if (!note.empty() &&
      (current.history().empty() ||
       current.history(current.history_size() - 1).note() != note)) {
    return false;
  }
  auto outputs = wanted.find("output");
  if (outputs == wanted.end()) return true;
  if (!outputs->is_array()) return false;
  std::set<std::string> shown;
  if (auto stored = task.find("output"); stored != task.end()) {
    for (const Json& output : *stored) {
      shown.insert(StringAt(output, "valueString"));
      if (output.contains("valueReference")) {
        shown.insert(StringAt(output["valueReference"], "reference"));
      }
    }
  }
  for (const Json& output : *outputs) {
    if (!output.is_object()) return false;
    const std::string value =
        output.contains("valueReference")
            ? StringAt(output["valueReference"], "reference")
            : StringAt(output, "valueString");
    if (shown.count(value) == 0) return false;
  }
  return true;
}

// W/"etag" or "etag" to etag.
std::string EtagOf(absl::string_view if_match) {
  absl::string_view etag = absl::StripAsciiWhitespace(if_match);
  absl::ConsumePrefix(&etag, "W/");
  absl::ConsumePrefix(&etag, "\"");
  absl::ConsumeSuffix(&etag, "\"");
  return std::string(etag);
}

}  // namespace

HttpReply FhirFront::Create(absl::string_view type, absl::string_view body,
                            const FhirWrite& write, const std::string& base,
                            const CallHeaders& headers) const {
  if (type != "ServiceRequest") {
    return Unsupported("POST", absl::StrCat("/fhir/", type));
  }
  if (!FhirJson(write.content_type)) {
    return Unsupported415("application/fhir+json");
  }
  absl::StatusOr<Json> resource = ParseResource(
      body, "ServiceRequest",
      {"resourceType", "id", "meta", "text", "identifier", "status", "intent",
       "category", "code", "priority", "subject", "requester", "performer",
       "reasonCode", "note", "authoredOn"});
  if (!resource.ok()) return FhirError(resource.status());
  const Json& sr = *resource;
  std::string status = StringAt(sr, "status");
  if (sr.contains("status") && status != "active") {
    return FhirError(Invalid(
        "ServiceRequest.status: a new referral is `active` (or leave it out)"));
  }
  if (StringAt(sr, "intent") != "order") {
    return FhirError(Invalid("ServiceRequest.intent: must be `order`"));
  }
  ref::CreateReferralRequest request;
  ref::Referral& referral = *request.mutable_referral();
  if (absl::Status read = ReadIdentifiers(sr, referral); !read.ok()) {
    return FhirError(read);
  }
  if (!sr.contains("subject")) {
    return FhirError(
        Invalid("ServiceRequest.subject: required: the Patient referred "
                "(Patient/{id})"));
  }
  absl::StatusOr<std::string> person =
      ReferencedId(sr["subject"], "ServiceRequest.subject", {"Patient"});
  if (!person.ok()) return FhirError(person.status());
  referral.set_person(absl::StrCat("persons/", *person));
  if (!sr.contains("performer") || !sr["performer"].is_array() ||
      sr["performer"].size() != 1) {
    return FhirError(Invalid(
        "ServiceRequest.performer: required: exactly one team referred to "
        "(HealthcareService/{id})"));
  }
  absl::StatusOr<std::string> team =
      ReferencedId(sr["performer"][0], "ServiceRequest.performer[0]",
                   {"HealthcareService", "Organization"});
  if (!team.ok()) return FhirError(team.status());
  referral.set_receiving_team(absl::StrCat("teams/", *team));
  absl::StatusOr<ref::Urgency> urgency = UrgencyOf(sr);
  if (!urgency.ok()) return FhirError(urgency.status());
  referral.set_urgency(*urgency);
  if (sr.contains("reasonCode") && sr["reasonCode"].is_array() &&
      !sr["reasonCode"].empty() && sr["reasonCode"][0].is_object()) {
    referral.set_reason(StringAt(sr["reasonCode"][0], "text"));
  }
  if (referral.reason().empty()) {
    return FhirError(Invalid(
        "ServiceRequest.reasonCode[0].text: required: why the person is "
        "referred"));
  }
  std::vector<std::string> wishes;
  if (sr.contains("note") && sr["note"].is_array()) {
    for (const Json& note : sr["note"]) {
      std::string text = note.is_object() ? StringAt(note, "text") : "";
      absl::string_view view = text;
      if (absl::ConsumePrefix(&view, kRiskPrefix)) {
        referral.set_risk_summary(std::string(view));
      } else {
        absl::ConsumePrefix(&view, kWishesPrefix);
        if (!view.empty()) wishes.emplace_back(view);
      }
    }
  }
  referral.set_person_wishes(absl::StrJoin(wishes, "\n"));
  if (write.if_none_exist.empty()) {
    request.set_request_id(write.request_id);
  } else if (std::optional<HttpReply> answered = ConditionalCreate(
                 write.if_none_exist, request, base, headers)) {
    return *std::move(answered);
  }
  ref::Referral created;
  absl::Status called = bridge_->Call(absl::StrCat(kReferral, "CreateReferral"),
                                      request, &created, headers);
  if (absl::IsAlreadyExists(called) && !write.if_none_exist.empty()) {
    // The conditional create's key made a referral its search did not
    // find: the match it promises (200).
    if (std::optional<HttpReply> matched =
            MadeUnderKey(called, request.request_id(), base, headers)) {
      return *std::move(matched);
    }
  }
  if (!called.ok()) return FhirError(AsServiceRequestElements(called));
  return WrittenServiceRequest(created, 201, base);
}

HttpReply FhirFront::UpdateTask(absl::string_view id, absl::string_view body,
                                bool patch, const FhirWrite& write,
                                const CallHeaders& headers) const {
  if (patch
          ? !absl::StartsWith(write.content_type, "application/json-patch+json")
          : !FhirJson(write.content_type)) {
    return Unsupported415(patch ? "application/json-patch+json"
                                : "application/fhir+json");
  }
  const std::string name = absl::StrCat("referrals/", id);
  ref::GetReferralRequest get;
  get.set_name(name);
  ref::Referral current;
  absl::Status read = bridge_->Call(absl::StrCat(kReferral, "GetReferral"), get,
                                    &current, headers);
  if (!read.ok()) return FhirError(read);
  // A write from a copy read before the Task last changed is a failed
  // precondition, told as such before anything in its body is judged.
  if (!write.if_match.empty() && EtagOf(write.if_match) != current.etag()) {
    HttpReply reply = FhirError(absl::FailedPreconditionError(absl::StrCat(
        "If-Match: the Task has changed since version ", EtagOf(write.if_match),
        " (now ", current.etag(), "); read it again")));
    reply.status = 412;
    return reply;
  }
  const Json task = fhir::Task(current);
  Json wanted;
  if (patch) {
    if (absl::Status deep = CheckDepth(body); !deep.ok()) {
      return FhirError(deep);
    }
    Json operations = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (operations.is_discarded() || !operations.is_array()) {
      return FhirError(Invalid("the body is not a JSON Patch (an array)"));
    }
    for (const Json& op : operations) {
      std::string path = op.is_object() ? StringAt(op, "path") : "";
      if (path != "/status" && path != "/statusReason" &&
          !absl::StartsWith(path, "/statusReason/") &&
          !absl::StartsWith(path, "/output") &&
          !absl::StartsWith(path, "/note")) {
        return FhirError(Invalid(absl::StrCat(
            "JSON Patch path `", path,
            "`: only status, statusReason, output and note change")));
      }
    }
    try {
      wanted = task.patch(operations);
    } catch (const Json::exception& e) {
      return FhirError(Invalid(absl::StrCat("JSON Patch: ", e.what())));
    }
  } else {
    absl::StatusOr<Json> put =
        ParseResource(body, "Task",
                      {"resourceType", "id", "meta", "text", "basedOn",
                       "status", "statusReason", "businessStatus", "intent",
                       "priority", "focus", "for", "authoredOn", "lastModified",
                       "requester", "owner", "restriction", "output", "note"});
    if (!put.ok()) return FhirError(put.status());
    if (StringAt(*put, "id") != std::string(id)) {
      return FhirError(Invalid(absl::StrCat(
          "Task.id: required, and must be the id in the URL (", id, ")")));
    }
    if (StringAt(*put, "status").empty()) {
      return FhirError(Invalid(
          "Task.status: required (received, accepted, rejected, cancelled, "
          "completed)"));
    }
    if (absl::Status only = CheckOnlyTheStepChanges(task, *put); !only.ok()) {
      return FhirError(only);
    }
    wanted = *std::move(put);
  }
  const std::string status = StringAt(wanted, "status");
  if (status == StringAt(task, "status")) {
    // No step: what is said with one (a reason, a note, an output) is
    // recorded only with a step, so a new one alone is refused, not dropped;
    // the last step's own, sent again, is that step done already.
    if (!SameStepAgain(task, current, wanted)) {
      return FhirError(Invalid(absl::StrCat(
          "Task.status: `", status,
          "` already; a reason, note or output is recorded with a change of "
          "status, so nothing changed")));
    }
    return FhirReply(task);
  }
  // What only a decline or a withdrawal carries is refused with another
  // step rather than dropped.
  if (status != "rejected" && status != "cancelled" &&
      TextOf(wanted, "statusReason") != TextOf(task, "statusReason")) {
    return FhirError(
        Invalid(absl::StrCat("Task.statusReason: goes with a decline "
                             "(rejected) or a withdrawal (cancelled), not `",
                             status, "`; use note")));
  }
  if (status != "rejected" && wanted.value("output", Json::array()) !=
                                  task.value("output", Json::array())) {
    return FhirError(Invalid(absl::StrCat(
        "Task.output: an onward route goes with a decline (rejected), not `",
        status, "`")));
  }
  std::string reason;
  if (wanted.contains("statusReason") && wanted["statusReason"].is_object()) {
    reason = StringAt(wanted["statusReason"], "text");
  }
  std::string note;
  if (wanted.contains("note") && wanted["note"].is_array() &&
      !wanted["note"].empty() && wanted["note"].back().is_object()) {
    note = StringAt(wanted["note"].back(), "text");
  }
  const std::string etag =
      write.if_match.empty() ? current.etag() : EtagOf(write.if_match);
  ref::Referral updated;
  absl::Status called;
  auto call = [&](const char* method, google::protobuf::Message& request) {
    called = bridge_->Call(absl::StrCat(kReferral, method), request, &updated,
                           headers);
  };
  if (status == "received") {
    auto request = Answer<ref::AcknowledgeReferralRequest>(name, etag, note);
    call("AcknowledgeReferral", request);
  } else if (status == "accepted") {
    auto request = Answer<ref::AcceptReferralRequest>(name, etag, note);
    call("AcceptReferral", request);
  } else if (status == "completed") {
    auto request = Answer<ref::CompleteReferralRequest>(name, etag, note);
    call("CompleteReferral", request);
  } else if (status == "rejected") {
    ref::DeclineReferralRequest request;
    request.set_name(name);
    request.set_etag(etag);
    request.set_reason(reason);
    if (wanted.contains("output") && wanted["output"].is_array()) {
      for (const Json& output : wanted["output"]) {
        if (!output.is_object()) continue;
        if (output.contains("valueString")) {
          request.mutable_onward_route()->set_signposting(
              StringAt(output, "valueString"));
        } else if (output.contains("valueReference")) {
          absl::StatusOr<std::string> team = ReferencedId(
              output["valueReference"], "Task.output.valueReference",
              {"HealthcareService", "Organization"});
          if (!team.ok()) return FhirError(team.status());
          request.mutable_onward_route()->set_suggested_team(
              absl::StrCat("teams/", *team));
        }
      }
    }
    call("DeclineReferral", request);
  } else if (status == "cancelled") {
    ref::WithdrawReferralRequest request;
    request.set_name(name);
    request.set_etag(etag);
    request.set_reason(reason);
    call("WithdrawReferral", request);
  } else {
    return FhirError(Invalid(absl::StrCat(
        "Task.status: `", status, "` is not a step from `",
        StringAt(task, "status"),
        "` (received, accepted, rejected, cancelled, completed)")));
  }
  if (!called.ok()) {
    HttpReply reply = FhirError(AsTaskElements(called));
    // A stale If-Match is a failed precondition of the HTTP request.
    if (called.code() == absl::StatusCode::kAborted &&
        !write.if_match.empty()) {
      reply.status = 412;
    }
    return reply;
  }
  return FhirReply(fhir::Task(updated));
}

}  // namespace carebridge::http
