#include "services/http/fhir_front.h"

#include <set>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "services/common/time_util.h"
#include "services/http/fhir_search.h"

namespace carebridge::http {
namespace {

namespace dir = ::carebridge::directory::v1;
namespace ref = ::carebridge::referral::v1;
using fhir::Json;

constexpr char kDirectory[] = "carebridge.directory.v1.DirectoryService.";
constexpr char kReferral[] = "carebridge.referral.v1.ReferralService.";

Json SearchParam(const char* name, const char* type, const char* doc) {
  return Json{{"name", name}, {"type", type}, {"documentation", doc}};
}

// Read (and vread of the current version) and search: every resource but
// CarePlan, CareTeam and Provenance.
Json ReadAndSearch(const char* type, Json params) {
  Json resource{{"type", type},
                {"interaction", Json::array({{{"code", "read"}},
                                             {{"code", "vread"}},
                                             {{"code", "search-type"}}})},
                {"versioning", "versioned"},
                {"readHistory", false}};
  if (!params.empty()) resource["searchParam"] = params;
  return resource;
}

}  // namespace

HttpReply FhirReply(const Json& resource, int status) {
  HttpReply reply;
  reply.status = status;
  reply.content_type = fhir::kFhirJson;
  // Text from the request (a bad parameter named in an error) may not be
  // UTF-8: replaced, not thrown.
  reply.body = resource.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (resource.contains("meta") && resource["meta"].contains("versionId")) {
    reply.headers.emplace_back(
        "ETag",
        absl::StrCat("W/\"", resource["meta"]["versionId"].get<std::string>(),
                     "\""));
  }
  // A resource's (not a Bundle's, whose time is the search's) last change
  // as an HTTP date, as FHIR asks of reads and writes.
  absl::Time updated;
  if (resource.contains("meta") && resource["meta"].contains("lastUpdated") &&
      resource.value("resourceType", std::string()) != "Bundle" &&
      absl::ParseTime(absl::RFC3339_full,
                      resource["meta"]["lastUpdated"].get<std::string>(),
                      &updated, nullptr)) {
    reply.headers.emplace_back(
        "Last-Modified", absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", updated,
                                          absl::UTCTimeZone()));
  }
  return reply;
}

HttpReply FhirError(const absl::Status& status) {
  return FhirReply(fhir::OperationOutcome(status),
                   HttpStatusFor(status.code()));
}

HttpReply FhirFront::Unsupported(absl::string_view method,
                                 absl::string_view path) {
  HttpReply reply = FhirError(absl::UnimplementedError(
      absl::StrCat(method, " ", path,
                   " is not supported; GET /fhir/metadata lists what is")));
  reply.status = 405;
  return reply;
}

HttpReply FhirFront::Metadata(const std::string& base) const {
  Json capability{
      {"resourceType", "CapabilityStatement"},
      {"status", "active"},
      {"date", "2026-12-06"},
      {"publisher", "carebridge"},
      {"kind", "instance"},
      {"software", {{"name", "carebridge"}}},
      {"implementation",
       {{"description", "carebridge: one continuous view of a person's care"},
        {"url", base}}},
      {"fhirVersion", "4.0.1"},
      {"format", Json::array({"application/fhir+json"})},
      {"patchFormat", Json::array({"application/json-patch+json"})}};
  Json resources = Json::array();
  resources.push_back(ReadAndSearch(
      "Patient",
      Json::array(
          {SearchParam("identifier", "token",
                       "NHS number: "
                       "https://fhir.nhs.uk/Id/nhs-number|{10 digits}"),
           SearchParam("family", "string",
                       "family name, exactly (with birthdate)"),
           SearchParam("birthdate", "date", "YYYY-MM-DD (with family)")})));
  resources.push_back(ReadAndSearch(
      "Organization",
      Json::array({SearchParam("_count", "number", "page size, 1 to 100")})));
  resources.push_back(ReadAndSearch(
      "HealthcareService",
      Json::array({SearchParam("_count", "number", "page size, 1 to 100")})));
  Json referral_params = Json::array(
      {SearchParam("requester", "reference",
                   "Organization/{your team}: referrals your team sent"),
       SearchParam("patient", "reference", "Patient/{id}"),
       SearchParam("_lastUpdated", "date",
                   "ge, gt, le, lt or eq and a date or instant; repeat for a "
                   "range (filters each page)"),
       SearchParam("_count", "number", "page size, 1 to 100")});
  Json service_request_params = referral_params;
  service_request_params.push_back(
      SearchParam("performer", "reference",
                  "HealthcareService/{your team}: referrals to your team"));
  service_request_params.push_back(SearchParam(
      "identifier", "token",
      "system|value, both: the referrals carrying the sending system's "
      "identifier (alone: those your team sent; or with requester or "
      "performer)"));
  Json task_params = referral_params;
  task_params.push_back(
      SearchParam("owner", "reference",
                  "HealthcareService/{your team}: your team's worklist"));
  task_params.push_back(SearchParam(
      "status", "token",
      "requested, received, accepted, rejected, cancelled, completed"));
  Json service_request =
      ReadAndSearch("ServiceRequest", service_request_params);
  // POST makes a referral; X-Request-ID makes a retry return the first,
  // and If-None-Exist (identifier=system|value, FHIR's conditional create)
  // answers 200 with the referral the team sent with that identifier.
  service_request["interaction"].push_back({{"code", "create"}});
  service_request["conditionalCreate"] = true;
  resources.push_back(service_request);
  Json task = ReadAndSearch("Task", task_params);
  // PUT (the Task as read, its status changed) or PATCH (JSON Patch of
  // status, statusReason, output and note) moves the referral a step;
  // If-Match makes it conditional on the version read.
  task["interaction"].push_back({{"code", "update"}});
  task["interaction"].push_back({{"code", "patch"}});
  // Updates take If-Match (a stale version is 412).
  task["versioning"] = "versioned-update";
  task["updateCreate"] = false;
  task["conditionalUpdate"] = false;
  resources.push_back(task);
  Json care_plan{{"type", "CarePlan"},
                 {"interaction", Json::array({{{"code", "read"}},
                                              {{"code", "vread"}},
                                              {{"code", "history-instance"}}})},
                 {"versioning", "versioned"},
                 {"readHistory", true}};
  resources.push_back(care_plan);
  resources.push_back({{"type", "CareTeam"},
                       {"interaction", Json::array({{{"code", "read"}}})}});
  resources.push_back(ReadAndSearch(
      "Communication",
      Json::array(
          {SearchParam("recipient", "reference",
                       "HealthcareService/{your team}: handovers to it"),
           SearchParam("sender", "reference",
                       "HealthcareService/{your team}: handovers it sent"),
           SearchParam("patient", "reference", "Patient/{id}"),
           SearchParam("_count", "number", "page size, 1 to 100")})));
  Json provenance{
      {"type", "Provenance"},
      {"interaction", Json::array({{{"code", "search-type"}}})},
      {"searchParam",
       Json::array({SearchParam("target", "reference",
                                "CarePlan/{id}: who changed the plan, when "
                                "and why, version by version"),
                    SearchParam("_count", "number", "page size, 1 to 100")})}};
  resources.push_back(provenance);
  // Patient/{id}/$everything.
  resources[0]["operation"] = Json::array(
      {{{"name", "everything"},
        {"definition",
         "http://hl7.org/fhir/OperationDefinition/Patient-everything"}}});
  capability["rest"] = Json::array(
      {{{"mode", "server"},
        {"documentation",
         "Every request carries `Authorization: Bearer <token>` (a "
         "carebridge token or the organisation's identity provider's); "
         "what it may read is what the gRPC API allows its holder."},
        {"resource", resources}}});
  return FhirReply(capability);
}

HttpReply FhirFront::Read(absl::string_view type, absl::string_view id,
                          const CallHeaders& headers) const {
  if (type == "Patient") {
    dir::GetPersonRequest request;
    request.set_name(absl::StrCat("persons/", id));
    dir::Person person;
    absl::Status status = bridge_->Call(absl::StrCat(kDirectory, "GetPerson"),
                                        request, &person, headers);
    if (!status.ok()) return FhirError(status);
    return FhirReply(fhir::Patient(person));
  }
  if (type == "Organization" || type == "HealthcareService") {
    dir::GetTeamRequest request;
    request.set_name(absl::StrCat("teams/", id));
    dir::Team team;
    absl::Status status = bridge_->Call(absl::StrCat(kDirectory, "GetTeam"),
                                        request, &team, headers);
    if (!status.ok()) return FhirError(status);
    return FhirReply(type == "Organization" ? fhir::Organization(team)
                                            : fhir::HealthcareService(team));
  }
  if (type == "ServiceRequest" || type == "Task") {
    ref::GetReferralRequest request;
    request.set_name(absl::StrCat("referrals/", id));
    ref::Referral referral;
    absl::Status status = bridge_->Call(absl::StrCat(kReferral, "GetReferral"),
                                        request, &referral, headers);
    if (!status.ok()) return FhirError(status);
    return FhirReply(type == "Task" ? fhir::Task(referral)
                                    : fhir::ServiceRequest(referral));
  }
  if (type == "CarePlan" || type == "CareTeam" || type == "Communication") {
    return ReadCare(type, id, headers);
  }
  return FhirError(absl::NotFoundError(
      absl::StrCat("resource type `", type,
                   "` is not served here; GET /fhir/metadata lists those that "
                   "are")));
}

HttpReply FhirFront::VRead(absl::string_view type, absl::string_view id,
                           absl::string_view version,
                           const CallHeaders& headers) const {
  HttpReply reply = Read(type, id, headers);
  if (reply.status != 200) return reply;
  const std::string etag = absl::StrCat("W/\"", version, "\"");
  for (const auto& [name, value] : reply.headers) {
    if (name == "ETag" && value == etag) return reply;
  }
  return FhirError(absl::NotFoundError(absl::StrCat(
      type, "/", id, "/_history/", version,
      ": not the current version; only a ", type,
      "'s current version is kept as FHIR (its earlier steps are on the "
      "person's timeline)")));
}

HttpReply FhirFront::Search(absl::string_view type, const FhirParams& params,
                            const std::string& base,
                            const CallHeaders& headers) const {
  if (type == "Patient") return SearchPatients(params, base, headers);
  if (type == "Organization" || type == "HealthcareService") {
    return SearchTeams(type, params, base, headers);
  }
  if (type == "ServiceRequest" || type == "Task") {
    return SearchReferrals(type, params, base, headers);
  }
  if (type == "Communication") {
    return SearchCommunications(params, base, headers);
  }
  if (type == "Provenance") return SearchProvenance(params, base, headers);
  return FhirError(absl::NotFoundError(
      absl::StrCat("resource type `", type,
                   "` is not served here; GET /fhir/metadata lists those that "
                   "are")));
}

HttpReply FhirFront::SearchPatients(const FhirParams& params,
                                    const std::string& base,
                                    const CallHeaders& headers) const {
  absl::Status known =
      CheckParams("Patient", params, {"identifier", "family", "birthdate"});
  if (!known.ok()) return FhirError(known);
  dir::FindPersonsRequest request;
  std::string identifier = Param(params, "identifier");
  if (!identifier.empty()) {
    absl::string_view value = identifier;
    size_t bar = value.find('|');
    if (bar != absl::string_view::npos) {
      if (value.substr(0, bar) != fhir::kNhsNumberSystem) {
        return FhirError(absl::InvalidArgumentError(
            absl::StrCat("identifier: only NHS numbers are searched (",
                         fhir::kNhsNumberSystem, "|{10 digits})")));
      }
      value.remove_prefix(bar + 1);
    }
    request.set_nhs_number(std::string(value));
  } else {
    request.set_family_name(Param(params, "family"));
    request.set_birth_date(Param(params, "birthdate"));
    if (request.family_name().empty() || request.birth_date().empty()) {
      return FhirError(absl::InvalidArgumentError(
          "search Patient by identifier (an NHS number), or by family and "
          "birthdate together"));
    }
  }
  dir::FindPersonsResponse response;
  absl::Status status = bridge_->Call(absl::StrCat(kDirectory, "FindPersons"),
                                      request, &response, headers);
  if (!status.ok()) return FhirError(status);
  std::vector<Json> resources;
  for (const dir::Person& person : response.persons()) {
    resources.push_back(fhir::Patient(person));
  }
  return FhirReply(Searchset(base, "Patient", params, resources, ""));
}

HttpReply FhirFront::SearchTeams(absl::string_view type,
                                 const FhirParams& params,
                                 const std::string& base,
                                 const CallHeaders& headers) const {
  absl::Status known = CheckParams(type, params, {"_count", "_page_token"});
  if (!known.ok()) return FhirError(known);
  absl::StatusOr<int> count = Count(params);
  if (!count.ok()) return FhirError(count.status());
  dir::ListTeamsRequest request;
  request.set_page_size(*count);
  request.set_page_token(Param(params, "_page_token"));
  dir::ListTeamsResponse response;
  absl::Status status = bridge_->Call(absl::StrCat(kDirectory, "ListTeams"),
                                      request, &response, headers);
  if (!status.ok()) return FhirError(status);
  std::vector<Json> resources;
  for (const dir::Team& team : response.teams()) {
    resources.push_back(type == "Organization" ? fhir::Organization(team)
                                               : fhir::HealthcareService(team));
  }
  return FhirReply(Searchset(base, std::string(type), params, resources,
                             response.next_page_token()));
}

HttpReply FhirFront::SearchReferrals(absl::string_view type,
                                     const FhirParams& params,
                                     const std::string& base,
                                     const CallHeaders& headers) const {
  const bool task = type == "Task";
  const std::string receiver = task ? "owner" : "performer";
  std::set<std::string> allowed = {receiver, "requester",   "patient",
                                   "_count", "_page_token", "_lastUpdated"};
  allowed.insert(task ? "status" : "identifier");
  absl::Status known = CheckParams(type, params, allowed);
  if (!known.ok()) return FhirError(known);
  absl::StatusOr<int> count = Count(params);
  if (!count.ok()) return FhirError(count.status());
  absl::StatusOr<LastUpdated> last_updated = LastUpdated::FromParams(params);
  if (!last_updated.ok()) return FhirError(last_updated.status());
  const std::string owner = Param(params, receiver);
  const std::string requester = Param(params, "requester");
  const std::string identifier = Param(params, "identifier");
  // An identifier alone searches the referrals the caller's team sent (the
  // sending system's identifiers are on those).
  const bool own_sent =
      owner.empty() && requester.empty() && !identifier.empty();
  if (owner.empty() == requester.empty() && !own_sent) {
    return FhirError(absl::InvalidArgumentError(absl::StrCat(
        "search ", type, " by ", receiver,
        "=HealthcareService/{your team} (referrals to your team) or "
        "requester=Organization/{your team} (referrals it sent), not both",
        task ? "" : ", or by identifier=system|value (referrals it sent)")));
  }
  ref::ListReferralsRequest request;
  request.set_mailbox(owner.empty() ? ref::SENT_BY_TEAM : ref::INBOX);
  if (!identifier.empty()) {
    absl::StatusOr<ref::ReferralIdentifier> token =
        IdentifierToken("identifier", identifier);
    if (!token.ok()) return FhirError(token.status());
    *request.mutable_identifier() = *std::move(token);
  }
  absl::StatusOr<std::string> team =
      own_sent        ? std::string()
      : owner.empty() ? ReferenceId("requester", requester, "Organization")
                      : ReferenceId(receiver, owner, "HealthcareService");
  if (!team.ok()) return FhirError(team.status());
  std::string patient = Param(params, "patient");
  if (!patient.empty()) {
    absl::StatusOr<std::string> id = ReferenceId("patient", patient, "Patient");
    if (!id.ok()) return FhirError(id.status());
    request.set_person(absl::StrCat("persons/", *id));
  }
  for (const auto& [name, value] : params) {
    if (name != "status") continue;
    for (absl::string_view status : absl::StrSplit(value, ',')) {
      std::vector<ref::State> states = fhir::StatesForTaskStatus(status);
      if (states.empty()) {
        return FhirError(absl::InvalidArgumentError(absl::StrCat(
            "status: `", status,
            "` is not a Task status a referral has (requested, received, "
            "accepted, rejected, cancelled, completed)")));
      }
      for (ref::State state : states) request.add_states(state);
    }
  }
  request.set_page_size(*count);
  request.set_page_token(Param(params, "_page_token"));
  ref::ListReferralsResponse response;
  absl::Status status = bridge_->Call(absl::StrCat(kReferral, "ListReferrals"),
                                      request, &response, headers);
  if (!status.ok()) return FhirError(status);
  // The mailbox is the caller's team's: a reference to another team finds
  // nothing (never another team's referrals).
  const std::string team_name = absl::StrCat("teams/", *team);
  std::vector<Json> resources;
  for (const ref::Referral& referral : response.referrals()) {
    const std::string& of =
        owner.empty() ? referral.sending_team() : referral.receiving_team();
    if ((!own_sent && of != team_name) ||
        !last_updated->Matches(FromProtoTimestamp(referral.update_time()))) {
      continue;
    }
    resources.push_back(task ? fhir::Task(referral)
                             : fhir::ServiceRequest(referral));
  }
  return FhirReply(Searchset(base, std::string(type), params, resources,
                             response.next_page_token()));
}

}  // namespace carebridge::http
