#include "services/record_client/care_summary_reader.h"

#include <grpcpp/client_context.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/macros.h"
#include "services/common/peer_call.h"
#include "services/common/status.h"

namespace carebridge::record_client {

CareSummaryReader::CareSummaryReader(ChannelProvider record,
                                     std::string subject,
                                     const TokenSigner* signer,
                                     const Clock* clock,
                                     absl::Duration call_deadline)
    : record_(std::move(record), absl::StatusCode::kFailedPrecondition,
              "record: no record service is configured (--record_address)"),
      call_deadline_(call_deadline),
      credentials_(std::move(subject), signer, clock) {}

absl::StatusOr<std::optional<record::v1::CareSummary>> CareSummaryReader::Read(
    absl::string_view person) {
  ASSIGN_OR_RETURN(auto peer, record_.Get());
  record::v1::GetCareSummaryRequest request;
  request.set_name(absl::StrCat(person, "/careSummary"));
  record::v1::CareSummary summary;
  grpc::Status status = CallPeer(
      *peer.peer,
      [this](grpc::ClientContext& context) {
        // A network deadline is real time, not domain time.
        context.set_deadline(absl::ToChronoTime(absl::Now() + call_deadline_));
        credentials_.Apply(context);
      },
      [&](grpc::ClientContext* context) {
        return peer.stub->GetCareSummary(context, request, &summary);
      });
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return std::nullopt;
  if (!status.ok()) {
    absl::Status failed = FromGrpcStatus(status);
    return absl::Status(failed.code(),
                        absl::StrCat("record: ", failed.message()));
  }
  return summary;
}

}  // namespace carebridge::record_client
