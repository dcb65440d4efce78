#ifndef CAREBRIDGE_CLIENTS_CARECTL_REFERRAL_FORMAT_H_
#define CAREBRIDGE_CLIENTS_CARECTL_REFERRAL_FORMAT_H_

#include <ostream>

#include "carebridge/referral/v1/referral.pb.h"
#include "clients/carectl/name_labels.h"

namespace carebridge::carectl {

// One line per referral: name, state, urgency, person, the other team
// (SENDING TEAM in the inbox, RECEIVING TEAM in the sent list), response
// due time and ALERTS (OVERDUE / ESCALATED, see DeadlineMarkers); then
// `next page: TOKEN` when there is more. Persons and teams by their labels.
void PrintReferralList(std::ostream& out,
                       const referral::v1::ListReferralsResponse& response,
                       referral::v1::Mailbox mailbox,
                       const NameLabels& names = NameLabels());

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_REFERRAL_FORMAT_H_
