#ifndef CAREBRIDGE_CLIENTS_CARECTL_EVENTS_FORMAT_H_
#define CAREBRIDGE_CLIENTS_CARECTL_EVENTS_FORMAT_H_

#include <string>

#include "carebridge/events/v1/events.pb.h"
#include "clients/carectl/name_labels.h"

namespace carebridge::carectl {

// One event on one line, fields separated by two spaces (a field holds
// single spaces at most) and `-` for an empty field, so `awk -F'  '` can
// cut it: sequence, time, type, subject, person, actor, teams
// (comma-separated). Persons, teams and members by their labels.
std::string EventLine(const events::v1::Event& event,
                      const NameLabels& names = NameLabels());

// One event as one line of proto JSON, payload included (its `@type` names
// the resource). A payload of a type this carectl does not know is left
// out, and `*warning` says so; otherwise `*warning` is cleared.
std::string EventJsonLine(const events::v1::Event& event, std::string* warning);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_EVENTS_FORMAT_H_
