#ifndef CAREBRIDGE_SERVICES_HTTP_FHIR_RESOURCES_H_
#define CAREBRIDGE_SERVICES_HTTP_FHIR_RESOURCES_H_

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "carebridge/referral/v1/referral.pb.h"

// carebridge's resources as HL7 FHIR R4 (4.0.1) resources in JSON, UK Core
// where it speaks (the NHS number's identifier system). Pure mappings: what
// a caller may see was decided by the gRPC service that answered.
namespace carebridge::http::fhir {

// FHIR JSON keeps the order elements are written in.
using Json = nlohmann::ordered_json;

inline constexpr char kFhirJson[] = "application/fhir+json; charset=utf-8";
inline constexpr char kNhsNumberSystem[] = "https://fhir.nhs.uk/Id/nhs-number";

// The id part of a resource name: "persons/p1" -> "p1".
std::string IdOf(absl::string_view name);

// A person as a Patient: id, NHS number and local identifiers, official
// and preferred names, birth date.
Json Patient(const directory::v1::Person& person);
// A team as the Organization that provides it and the HealthcareService it
// offers (sector as category, service description, eligibility, contact,
// whether it accepts referrals, response times).
Json Organization(const directory::v1::Team& team);
Json HealthcareService(const directory::v1::Team& team);
// A referral as the ServiceRequest it asks for and the Task that tracks
// its answer (the Booking and Referral Standard's pairing): status and
// business status from its state, the decline reason and onward route,
// a redirect as the Task of the referral it became. The ServiceRequest's
// identifiers are the sending system's (Referral.identifiers).
Json ServiceRequest(const referral::v1::Referral& referral);
Json Task(const referral::v1::Referral& referral);

// Task.status for a referral state, and the states a Task.status search
// names (empty: not a status).
std::string TaskStatus(referral::v1::State state);
std::vector<referral::v1::State> StatesForTaskStatus(absl::string_view status);

// An OperationOutcome for `status`: severity error, the issue type for its
// code, the message as diagnostics.
Json OperationOutcome(const absl::Status& status);

}  // namespace carebridge::http::fhir

#endif  // CAREBRIDGE_SERVICES_HTTP_FHIR_RESOURCES_H_
