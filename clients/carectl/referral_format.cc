#include "clients/carectl/referral_format.h"

#include <string>
#include <vector>

#include "clients/carectl/format.h"

namespace carebridge::carectl {

namespace ref = ::carebridge::referral::v1;

void PrintReferralList(std::ostream& out,
                       const ref::ListReferralsResponse& response,
                       ref::Mailbox mailbox, const NameLabels& names) {
  const bool inbox = mailbox == ref::INBOX;
  const std::string team = inbox ? "sending_team" : "receiving_team";
  const std::vector<std::string> columns = {
      "name", "state", "urgency", "person", team, "response_due_time"};
  std::vector<std::vector<std::string>> rows;
  for (const ref::Referral& referral : response.referrals()) {
    std::vector<std::string> row;
    for (const std::string& column : columns) {
      row.push_back(names.Label(ValueAt(referral, column)));
    }
    row.push_back(
        DeadlineMarkers(referral.overdue(), referral.has_escalate_time()));
    rows.push_back(std::move(row));
  }
  PrintTextTable(out,
                 {"NAME", "STATE", "URGENCY", "PERSON",
                  inbox ? "SENDING TEAM" : "RECEIVING TEAM",
                  "RESPONSE DUE TIME", "ALERTS"},
                 rows);
  if (!response.next_page_token().empty()) {
    out << "next page: " << response.next_page_token() << "\n";
  }
}

}  // namespace carebridge::carectl
