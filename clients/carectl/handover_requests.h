#ifndef CAREBRIDGE_CLIENTS_CARECTL_HANDOVER_REQUESTS_H_
#define CAREBRIDGE_CLIENTS_CARECTL_HANDOVER_REQUESTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/handover/v1/handover.pb.h"
#include "clients/carectl/args.h"
#include "google/protobuf/timestamp.pb.h"

namespace carebridge::carectl {

// Builds handover requests from command words and flags. Every error is a
// usage error naming the flag, found before any call; content rules
// (lengths, known teams, who may hand over, what a transfer's read-back
// needs) are left to the server, which owns them.

// The flags of `handover create`.
std::vector<FlagSpec> HandoverCreateFlags();

// `transfer`, `shared`, `info`, or the full words carectl prints
// (`transfer_of_responsibility`, `shared_care`, `information_only`).
absl::StatusOr<handover::v1::Kind> ParseHandoverKind(absl::string_view word);

// A due time: YYYY-MM-DD (midnight UTC that day) or an RFC 3339 time
// (2026-12-01T17:00:00Z). Errors name `what`.
absl::StatusOr<google::protobuf::Timestamp> ParseDueTime(
    absl::string_view what, absl::string_view text);

// --action="WHAT|TEAM|DUE": what and the owning team required, DUE optional.
absl::StatusOr<handover::v1::HandoverAction> ParseHandoverAction(
    absl::string_view value);

// --contingency="IF THIS|THEN DO": both required; THEN DO takes the rest.
absl::StatusOr<handover::v1::Contingency> ParseContingency(
    absl::string_view value);

// `handover create` from content flags: --person, --to, --kind, --urgency,
// --severity, --situation, --assessment and --recommendation are required.
absl::StatusOr<handover::v1::CreateHandoverRequest> BuildCreateHandoverRequest(
    const Flags& flags);

// `handover create --from_file`: `json` is a Handover in proto JSON
// (output-only fields are left for the server to ignore). Content flags are
// refused with it; --request_id, which is not content, may be given.
absl::StatusOr<handover::v1::CreateHandoverRequest>
BuildCreateHandoverRequestFromFile(const Flags& flags, absl::string_view json);

// `handover inbox|sent [--state=STATE]... [--person=P] [--overdue]` plus
// paging flags. --state may repeat and may hold a comma-separated list.
absl::StatusOr<handover::v1::ListHandoversRequest> BuildListHandoversRequest(
    handover::v1::Mailbox mailbox, const Flags& flags);

// `handover show NAME`.
handover::v1::GetHandoverRequest BuildGetHandoverRequest(
    const std::string& name);

// `handover accept NAME [--summary=TEXT] [--taking_on=TEXT]... [--note=TEXT]
// [--etag=ETAG]`: the read-back is sent when --summary or --taking_on is
// given.
handover::v1::AcceptHandoverRequest BuildAcceptHandoverRequest(
    const std::string& name, const Flags& flags);

// `handover decline|cancel NAME --reason=TEXT [--etag=ETAG]`.
template <typename Request>
Request BuildReasonRequest(const std::string& name, const Flags& flags);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_HANDOVER_REQUESTS_H_
