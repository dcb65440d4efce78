#ifndef CAREBRIDGE_CLIENTS_CARECTL_DIRECTORY_FORMAT_H_
#define CAREBRIDGE_CLIENTS_CARECTL_DIRECTORY_FORMAT_H_

#include <ostream>
#include <string>

#include "carebridge/directory/v1/directory.pb.h"
#include "clients/carectl/name_labels.h"

namespace carebridge::carectl {

// For a person merged into another (MergePersons): "Merged into: Ada
// Lovelace (NHS 943 476 5919), persons/p1, on 2026-12-01 10:00:00 GMT. Use
// that record." so a clinician sees at once to use the other one; the kept
// person by its id alone when `names` has no label for it. "" when the
// person was not merged.
std::string MergedIntoLine(const directory::v1::Person& person,
                           const NameLabels& names = NameLabels());

// One person as `person get` shows it: the MergedIntoLine first when it was
// merged, then the key: value block (the kept person by label over id).
void PrintPerson(std::ostream& out, const directory::v1::Person& person,
                 const NameLabels& names = NameLabels());

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_DIRECTORY_FORMAT_H_
