#ifndef CAREBRIDGE_SERVICES_CAREPLAN_RECORD_INCOMING_TRANSFERS_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_RECORD_INCOMING_TRANSFERS_H_

#include <string>
#include <vector>

#include "services/careplan/incoming_transfers.h"
#include "services/common/channel_provider.h"
#include "services/common/clock.h"
#include "services/common/token.h"
#include "services/record_client/care_summary_reader.h"

namespace carebridge::careplan {

// IncomingTransfers as the record service knows them: the open loops of the
// person's care summary, read as `services/careplan`, whose receiving team
// is the team asked about. Asked afresh each time, so an answered referral
// opens nothing more. With no record service configured, none is awaited.
// This class is thread-safe.
class RecordIncomingTransfers : public IncomingTransfers {
 public:
  RecordIncomingTransfers(ChannelProvider record, const TokenSigner* signer,
                          const Clock* clock);

  absl::StatusOr<std::vector<std::string>> AwaitingAnswerFrom(
      absl::string_view person, absl::string_view team) override;

 private:
  record_client::CareSummaryReader reader_;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_RECORD_INCOMING_TRANSFERS_H_
