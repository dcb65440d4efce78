#ifndef CAREBRIDGE_CLIENTS_CARECTL_HANDOVER_FORMAT_H_
#define CAREBRIDGE_CLIENTS_CARECTL_HANDOVER_FORMAT_H_

#include <ostream>
#include <string>

#include "carebridge/handover/v1/handover.pb.h"
#include "clients/carectl/name_labels.h"
#include "google/protobuf/timestamp.pb.h"

namespace carebridge::carectl {

// Handovers read by people: the SBAR content as paragraphs, the actions and
// contingencies as tables, and where the loop stands (awaiting an answer,
// overdue, escalated, answered with a read-back) in plain words.

// `transfer`, `shared` or `info`: the words `handover create --kind` takes.
std::string HandoverKindWord(handover::v1::Kind kind);

// A due time as YYYY-MM-DD when it is midnight UTC (how `--action` dates are
// sent), else RFC 3339; empty when unset.
std::string DueText(const google::protobuf::Timestamp& due);

// One line per handover: name, person, the other team (FROM in the inbox,
// TO in the sent list), kind, severity, state, due, OVERDUE / ESCALATED;
// then `next page: TOKEN` when there is more. Persons and teams by their
// labels.
void PrintHandoverList(std::ostream& out,
                       const handover::v1::ListHandoversResponse& response,
                       handover::v1::Mailbox mailbox,
                       const NameLabels& names = NameLabels());

// The whole handover: who handed what to whom and where it stands, the
// SBAR paragraphs, actions, contingencies, the read-back and the answer.
// Persons, teams and members by their labels; the person's and the teams'
// ids stay on the line under them.
void PrintHandover(std::ostream& out, const handover::v1::Handover& handover,
                   const NameLabels& names = NameLabels());

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_HANDOVER_FORMAT_H_
