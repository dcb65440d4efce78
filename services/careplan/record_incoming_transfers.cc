#include "services/careplan/record_incoming_transfers.h"

#include <optional>
#include <utility>

namespace carebridge::careplan {

RecordIncomingTransfers::RecordIncomingTransfers(ChannelProvider record,
                                                 const TokenSigner* signer,
                                                 const Clock* clock)
    : reader_(std::move(record), "services/careplan", signer, clock) {}

absl::StatusOr<std::vector<std::string>>
RecordIncomingTransfers::AwaitingAnswerFrom(absl::string_view person,
                                            absl::string_view team) {
  absl::StatusOr<std::optional<record::v1::CareSummary>> summary =
      reader_.Read(person);
  std::vector<std::string> awaiting;
  // No record service configured: no answer is known to be awaited (as
  // before the record existed), not an outage.
  if (absl::IsFailedPrecondition(summary.status())) return awaiting;
  if (!summary.ok()) return summary.status();
  if (!summary->has_value()) return awaiting;
  for (const record::v1::OpenLoop& loop : (*summary)->open_loops()) {
    if (loop.receiving_team() == team) awaiting.push_back(loop.resource());
  }
  return awaiting;
}

}  // namespace carebridge::careplan
