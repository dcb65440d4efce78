// FHIR reads of a person's care: the care plan (and its history and
// provenance), the care team, handovers, and $everything.
#include <vector>

#include "absl/strings/str_cat.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "carebridge/handover/v1/handover.pb.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "services/http/fhir_care_resources.h"
#include "services/http/fhir_front.h"
#include "services/http/fhir_search.h"

namespace carebridge::http {
namespace {

namespace cp = ::carebridge::careplan::v1;
namespace ho = ::carebridge::handover::v1;
namespace ref = ::carebridge::referral::v1;
using fhir::Json;

constexpr char kCarePlan[] = "carebridge.careplan.v1.CarePlanService.";
constexpr char kHandover[] = "carebridge.handover.v1.HandoverService.";
constexpr char kReferral[] = "carebridge.referral.v1.ReferralService.";
// $everything reads at most this many of each kind.
constexpr int kEverythingLimit = 1000;

std::string PlanName(absl::string_view id) {
  return absl::StrCat("persons/", id, "/carePlan");
}

// A part $everything leaves out because the caller may not see it (or it
// does not exist) rather than failing the whole answer.
bool NotVisible(const absl::Status& status) {
  return absl::IsNotFound(status) || absl::IsPermissionDenied(status);
}

// Reads every page of a List method's answer for `request` (at most
// kEverythingLimit items), handing each page to `take`, which returns how
// many items it held. A list the caller may not see is read as empty.
template <typename Response, typename Request, typename Take>
absl::Status ReadPages(const RpcBridge& bridge, const std::string& method,
                       Request request, const CallHeaders& headers, Take take) {
  request.set_page_size(500);
  int read = 0;
  do {
    Response page;
    absl::Status status = bridge.Call(method, request, &page, headers);
    if (NotVisible(status)) return absl::OkStatus();
    if (!status.ok()) return status;
    read += take(page);
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty() && read < kEverythingLimit);
  return absl::OkStatus();
}

}  // namespace

HttpReply FhirFront::ReadCare(absl::string_view type, absl::string_view id,
                              const CallHeaders& headers) const {
  if (type == "Communication") {
    ho::GetHandoverRequest request;
    request.set_name(absl::StrCat("handovers/", id));
    ho::Handover handover;
    absl::Status status = bridge_->Call(absl::StrCat(kHandover, "GetHandover"),
                                        request, &handover, headers);
    if (!status.ok()) return FhirError(status);
    return FhirReply(fhir::Communication(handover));
  }
  cp::GetCarePlanRequest request;
  request.set_name(PlanName(id));
  cp::CarePlan plan;
  absl::Status status = bridge_->Call(absl::StrCat(kCarePlan, "GetCarePlan"),
                                      request, &plan, headers);
  if (!status.ok()) return FhirError(status);
  return FhirReply(type == "CarePlan" ? fhir::CarePlan(plan)
                                      : fhir::CareTeam(plan));
}

HttpReply FhirFront::History(absl::string_view id, absl::string_view version,
                             const FhirParams& params, const std::string& base,
                             const CallHeaders& headers) const {
  if (!version.empty()) {
    cp::GetCarePlanVersionRequest request;
    request.set_name(absl::StrCat(PlanName(id), "/versions/", version));
    cp::CarePlan plan;
    absl::Status status = bridge_->Call(
        absl::StrCat(kCarePlan, "GetCarePlanVersion"), request, &plan, headers);
    if (!status.ok()) return FhirError(status);
    return FhirReply(fhir::CarePlan(plan));
  }
  absl::Status known =
      CheckParams("CarePlan _history", params, {"_count", "_page_token"});
  if (!known.ok()) return FhirError(known);
  absl::StatusOr<int> count = Count(params);
  if (!count.ok()) return FhirError(count.status());
  cp::ListCarePlanVersionsRequest request;
  request.set_parent(PlanName(id));
  request.set_view(cp::FULL);
  request.set_page_size(*count);
  request.set_page_token(Param(params, "_page_token"));
  cp::ListCarePlanVersionsResponse response;
  absl::Status status =
      bridge_->Call(absl::StrCat(kCarePlan, "ListCarePlanVersions"), request,
                    &response, headers);
  if (!status.ok()) return FhirError(status);
  std::vector<Json> versions;
  for (const cp::CarePlan& plan : response.versions()) {
    versions.push_back(fhir::CarePlan(plan));
  }
  return FhirReply(Searchset(base, absl::StrCat("CarePlan/", id, "/_history"),
                             params, versions, response.next_page_token(),
                             "history"));
}

HttpReply FhirFront::SearchProvenance(const FhirParams& params,
                                      const std::string& base,
                                      const CallHeaders& headers) const {
  absl::Status known =
      CheckParams("Provenance", params, {"target", "_count", "_page_token"});
  if (!known.ok()) return FhirError(known);
  absl::StatusOr<int> count = Count(params);
  if (!count.ok()) return FhirError(count.status());
  absl::StatusOr<std::string> plan =
      ReferenceId("target", Param(params, "target"), "CarePlan");
  if (!plan.ok()) return FhirError(plan.status());
  cp::ListCarePlanVersionsRequest request;
  request.set_parent(PlanName(*plan));
  request.set_view(cp::BASIC);
  request.set_page_size(*count);
  request.set_page_token(Param(params, "_page_token"));
  cp::ListCarePlanVersionsResponse response;
  absl::Status status =
      bridge_->Call(absl::StrCat(kCarePlan, "ListCarePlanVersions"), request,
                    &response, headers);
  if (!status.ok()) return FhirError(status);
  std::vector<Json> provenance;
  for (const cp::CarePlan& version : response.versions()) {
    provenance.push_back(fhir::Provenance(version));
  }
  return FhirReply(Searchset(base, "Provenance", params, provenance,
                             response.next_page_token()));
}

HttpReply FhirFront::SearchCommunications(const FhirParams& params,
                                          const std::string& base,
                                          const CallHeaders& headers) const {
  absl::Status known =
      CheckParams("Communication", params,
                  {"recipient", "sender", "patient", "_count", "_page_token"});
  if (!known.ok()) return FhirError(known);
  absl::StatusOr<int> count = Count(params);
  if (!count.ok()) return FhirError(count.status());
  const std::string recipient = Param(params, "recipient");
  const std::string sender = Param(params, "sender");
  if (recipient.empty() == sender.empty()) {
    return FhirError(absl::InvalidArgumentError(
        "search Communication by recipient=HealthcareService/{your team} "
        "(handovers to your team) or sender=HealthcareService/{your team} "
        "(handovers it sent), not both"));
  }
  absl::StatusOr<std::string> team =
      ReferenceId(recipient.empty() ? "sender" : "recipient",
                  recipient.empty() ? sender : recipient, "HealthcareService");
  if (!team.ok()) return FhirError(team.status());
  ho::ListHandoversRequest request;
  request.set_mailbox(recipient.empty() ? ho::SENT_BY_TEAM : ho::INBOX);
  std::string patient = Param(params, "patient");
  if (!patient.empty()) {
    absl::StatusOr<std::string> id = ReferenceId("patient", patient, "Patient");
    if (!id.ok()) return FhirError(id.status());
    request.set_person(absl::StrCat("persons/", *id));
  }
  request.set_page_size(*count);
  request.set_page_token(Param(params, "_page_token"));
  ho::ListHandoversResponse response;
  absl::Status status = bridge_->Call(absl::StrCat(kHandover, "ListHandovers"),
                                      request, &response, headers);
  if (!status.ok()) return FhirError(status);
  const std::string team_name = absl::StrCat("teams/", *team);
  std::vector<Json> resources;
  for (const ho::Handover& handover : response.handovers()) {
    const std::string& of =
        recipient.empty() ? handover.sending_team() : handover.receiving_team();
    if (of == team_name) resources.push_back(fhir::Communication(handover));
  }
  return FhirReply(Searchset(base, "Communication", params, resources,
                             response.next_page_token()));
}

HttpReply FhirFront::Everything(absl::string_view id, const std::string& base,
                                const CallHeaders& headers) const {
  const std::string person = absl::StrCat("persons/", id);
  directory::v1::GetPersonRequest get_person;
  get_person.set_name(person);
  directory::v1::Person found;
  absl::Status status =
      bridge_->Call("carebridge.directory.v1.DirectoryService.GetPerson",
                    get_person, &found, headers);
  if (!status.ok()) return FhirError(status);
  std::vector<Json> resources = {fhir::Patient(found)};

  cp::GetCarePlanRequest get_plan;
  get_plan.set_name(PlanName(id));
  cp::CarePlan plan;
  status = bridge_->Call(absl::StrCat(kCarePlan, "GetCarePlan"), get_plan,
                         &plan, headers);
  if (status.ok()) {
    resources.push_back(fhir::CarePlan(plan));
    if (!plan.care_team().empty()) resources.push_back(fhir::CareTeam(plan));
  } else if (!NotVisible(status)) {
    return FhirError(status);
  }

  // Referrals and handovers of the caller's team, both ways.
  for (ref::Mailbox mailbox : {ref::INBOX, ref::SENT_BY_TEAM}) {
    ref::ListReferralsRequest request;
    request.set_mailbox(mailbox);
    request.set_person(person);
    status = ReadPages<ref::ListReferralsResponse>(
        *bridge_, absl::StrCat(kReferral, "ListReferrals"), request, headers,
        [&](const ref::ListReferralsResponse& page) {
          for (const ref::Referral& referral : page.referrals()) {
            resources.push_back(fhir::ServiceRequest(referral));
            resources.push_back(fhir::Task(referral));
          }
          return page.referrals_size();
        });
    if (!status.ok()) return FhirError(status);
  }
  for (ho::Mailbox mailbox : {ho::INBOX, ho::SENT_BY_TEAM}) {
    ho::ListHandoversRequest request;
    request.set_mailbox(mailbox);
    request.set_person(person);
    status = ReadPages<ho::ListHandoversResponse>(
        *bridge_, absl::StrCat(kHandover, "ListHandovers"), request, headers,
        [&](const ho::ListHandoversResponse& page) {
          for (const ho::Handover& handover : page.handovers()) {
            resources.push_back(fhir::Communication(handover));
          }
          return page.handovers_size();
        });
    if (!status.ok()) return FhirError(status);
  }
  return FhirReply(Searchset(base, absl::StrCat("Patient/", id, "/$everything"),
                             {}, resources, ""));
}

}  // namespace carebridge::http
