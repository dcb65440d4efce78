#ifndef CAREBRIDGE_SERVICES_RECORD_RECORD_PROJECTION_INTERNAL_H_
#define CAREBRIDGE_SERVICES_RECORD_RECORD_PROJECTION_INTERNAL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/events/v1/events.pb.h"
#include "carebridge/record/v1/record.pb.h"
#include "services/record/record_projection.h"

// What the parts of the projection (record_projection*.cc) share; not for
// use outside them.
namespace carebridge::record::projection_internal {

// An enum value's name as a word: `CARE_TEAM` -> `care team`.
std::string Lower(absl::string_view text);

// The timeline row of `event` on `person_id`'s timeline, as `kind`.
TimelineRow RowFor(const events::v1::Event& event, const std::string& person_id,
                   v1::EntryKind kind);

// Puts `row` in `team`'s inbox as `type`.
void Notify(RecordChange& change, const std::string& type,
            const std::string& team, const TimelineRow& row);

// DATA_LOSS: `event`'s payload is not the `what` its type promises.
absl::Status NotA(const events::v1::Event& event, absl::string_view what);

// A `careplan` feed event about `person_id` (record_projection_careplan.cc).
absl::StatusOr<RecordChange> ProjectCarePlanFeed(const events::v1::Event& event,
                                                 const std::string& person_id);

}  // namespace carebridge::record::projection_internal

#endif  // CAREBRIDGE_SERVICES_RECORD_RECORD_PROJECTION_INTERNAL_H_
