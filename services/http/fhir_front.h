#ifndef CAREBRIDGE_SERVICES_HTTP_FHIR_FRONT_H_
#define CAREBRIDGE_SERVICES_HTTP_FHIR_FRONT_H_

#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "services/http/fhir_resources.h"
#include "services/http/http_reply.h"
#include "services/http/json_gateway.h"

namespace carebridge::http {

// The headers a FHIR write reads.
struct FhirWrite {
  std::string content_type;
  // X-Request-ID: a retry with the same one returns what the first made.
  std::string request_id;
  // If-None-Exist (conditional create): `identifier=system|value`,
  // percent-encoded or not. The referral the caller's team sent with that
  // identifier is the answer (200); with none, it is the new one's
  // identifier and retry key (over X-Request-ID).
  std::string if_none_exist;
  // If-Match: W/"{versionId}"; a stale one is 412.
  std::string if_match;
};

// A FHIR request's search parameters, as the query string gave them.
using FhirParams = std::multimap<std::string, std::string>;

// FHIR R4 REST over carebridge (application/fhir+json), every interaction
// one or more calls of the gRPC services through the RpcBridge with the
// caller's token, so what a caller may read and do is what the gRPC API
// allows them:
//   GET /fhir/metadata                      CapabilityStatement
//   GET /fhir/Patient/{id}, ?identifier=, ?family=&birthdate=
//   GET /fhir/Organization/{id}, HealthcareService/{id}, and searches
//   GET /fhir/ServiceRequest/{id}, Task/{id}  (a referral)
//   GET /fhir/Task?owner=|requester=&status=&patient=&_count=
// Errors are OperationOutcomes with the HTTP status for the gRPC code.
// Thread-safe.
class FhirFront {
 public:
  explicit FhirFront(const RpcBridge* bridge) : bridge_(bridge) {}

  // `base`: this server's FHIR base URL as the client reached it
  // (https://host:port/fhir), for links and full URLs.
  HttpReply Metadata(const std::string& base) const;
  HttpReply Read(absl::string_view type, absl::string_view id,
                 const CallHeaders& headers) const;
  // GET /fhir/{type}/{id}/_history/{vid} for a resource that keeps only its
  // current version (all but CarePlan): the read when `version` is the
  // current one (the ETag and Location a write returned), else 404.
  HttpReply VRead(absl::string_view type, absl::string_view id,
                  absl::string_view version, const CallHeaders& headers) const;
  HttpReply Search(absl::string_view type, const FhirParams& params,
                   const std::string& base, const CallHeaders& headers) const;
  // POST /fhir/ServiceRequest: a referral from the caller's team (its
  // Task has the same id). 201 with the ServiceRequest and its Location;
  // with If-None-Exist, 200 and the referral the team already sent with
  // that identifier (nothing made), 412 when several have it.
  HttpReply Create(absl::string_view type, absl::string_view body,
                   const FhirWrite& write, const std::string& base,
                   const CallHeaders& headers) const;
  // PUT (a whole Task) or PATCH (JSON Patch) /fhir/Task/{id}: the
  // referral's answer moved through the same state machine as over gRPC.
  HttpReply UpdateTask(absl::string_view id, absl::string_view body, bool patch,
                       const FhirWrite& write,
                       const CallHeaders& headers) const;
  // GET /fhir/CarePlan/{id}/_history (a history Bundle, newest first,
  // paged) and /_history/{vid} (one version).
  HttpReply History(absl::string_view id, absl::string_view version,
                    const FhirParams& params, const std::string& base,
                    const CallHeaders& headers) const;
  // GET /fhir/Patient/{id}/$everything: the Patient and all of their care
  // the caller may see, as a Bundle.
  HttpReply Everything(absl::string_view id, const std::string& base,
                       const CallHeaders& headers) const;
  // An interaction this server does not offer (405 or 501).
  static HttpReply Unsupported(absl::string_view method,
                               absl::string_view path);

 private:
  HttpReply SearchPatients(const FhirParams& params, const std::string& base,
                           const CallHeaders& headers) const;
  HttpReply SearchTeams(absl::string_view type, const FhirParams& params,
                        const std::string& base,
                        const CallHeaders& headers) const;
  // CarePlan, CareTeam and Communication (fhir_care_front.cc).
  HttpReply ReadCare(absl::string_view type, absl::string_view id,
                     const CallHeaders& headers) const;
  HttpReply SearchCommunications(const FhirParams& params,
                                 const std::string& base,
                                 const CallHeaders& headers) const;
  HttpReply SearchProvenance(const FhirParams& params, const std::string& base,
                             const CallHeaders& headers) const;
  HttpReply SearchReferrals(absl::string_view type, const FhirParams& params,
                            const std::string& base,
                            const CallHeaders& headers) const;
  // fhir_conditional_create.cc: ServiceRequest.identifier into
  // `referral.identifiers` (each needs a system and a value; R4's other
  // Identifier elements are accepted and not kept).
  static absl::Status ReadIdentifiers(const fhir::Json& service_request,
                                      referral::v1::Referral& referral);
  // A conditional create's search for `if_none_exist`: the reply when it
  // decides the request (an error, the one match as 200, 412 for several),
  // else nothing, and `request` carries the identifier and its retry key.
  std::optional<HttpReply> ConditionalCreate(
      absl::string_view if_none_exist,
      referral::v1::CreateReferralRequest& request, const std::string& base,
      const CallHeaders& headers) const;
  // A conditional create refused ALREADY_EXISTS (`refused`) under its key
  // `request_id`: another referral was made under the key first (one made
  // before identifiers were kept, whose identifier the search cannot find,
  // or a concurrent create with a different body that won the key). The
  // referral the refusal names, read as the caller, as the match (200);
  // nothing when it names none or the caller may not read it
  // (PERMISSION_DENIED, NOT_FOUND); the read's error when it fails
  // otherwise (UNAVAILABLE: 503).
  std::optional<HttpReply> MadeUnderKey(const absl::Status& refused,
                                        absl::string_view request_id,
                                        const std::string& base,
                                        const CallHeaders& headers) const;
  // The ServiceRequest a create made (201) or found (200), with its
  // Location.
  static HttpReply WrittenServiceRequest(const referral::v1::Referral& referral,
                                         int status, const std::string& base);

  const RpcBridge* const bridge_;
};

// The FHIR reply for a resource or an error.
HttpReply FhirReply(const fhir::Json& resource, int status = 200);
HttpReply FhirError(const absl::Status& status);

}  // namespace carebridge::http

#endif  // CAREBRIDGE_SERVICES_HTTP_FHIR_FRONT_H_
