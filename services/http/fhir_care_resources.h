#ifndef CAREBRIDGE_SERVICES_HTTP_FHIR_CARE_RESOURCES_H_
#define CAREBRIDGE_SERVICES_HTTP_FHIR_CARE_RESOURCES_H_

#include "carebridge/careplan/v1/careplan.pb.h"
#include "carebridge/handover/v1/handover.pb.h"
#include "services/http/fhir_resources.h"

// A person's care as FHIR R4: their shared care plan, who is in their care
// team, who changed the plan and why, and handovers between teams. Pure
// mappings of what the gRPC services answered (withheld parts are absent).
namespace carebridge::http::fhir {

// The plan as a CarePlan (id: the person's id; versionId: the plan's
// version): goals as contained Goals, actions as activities performed by
// their owning team, the crisis plan, communication preferences, review
// date and agreement as notes, the care team referenced.
Json CarePlan(const careplan::v1::CarePlan& plan);
// The plan's care team as a CareTeam: each team a participant (the lead
// marked in its role and as the managing organization), with its period.
Json CareTeam(const careplan::v1::CarePlan& plan);
// Who made one version of the plan, when and why.
Json Provenance(const careplan::v1::CarePlan& version);
// A handover as a Communication: the SBAR sections, illness severity,
// actions and contingencies as payloads; its state as status; the
// read-back and answer as notes.
Json Communication(const handover::v1::Handover& handover);

}  // namespace carebridge::http::fhir

#endif  // CAREBRIDGE_SERVICES_HTTP_FHIR_CARE_RESOURCES_H_
