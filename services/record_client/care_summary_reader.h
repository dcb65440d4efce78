#ifndef CAREBRIDGE_SERVICES_RECORD_CLIENT_CARE_SUMMARY_READER_H_
#define CAREBRIDGE_SERVICES_RECORD_CLIENT_CARE_SUMMARY_READER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "carebridge/record/v1/record.grpc.pb.h"
#include "services/common/channel_provider.h"
#include "services/common/clock.h"
#include "services/common/peer_call.h"
#include "services/common/service_credentials.h"
#include "services/common/token.h"

namespace carebridge::record_client {

// How another service reads a person's care summary from the record
// service: who is on the care team, and every referral and handover still
// awaiting an answer. Read with the service's own identity (`subject`, e.g.
// `services/directory`), afresh each time: nothing is remembered, so a team
// that has left or answered is not shown more than it may see now.
//
// This class is thread-safe.
class CareSummaryReader {
 public:
  static constexpr absl::Duration kDefaultCallDeadline = absl::Seconds(2);

  CareSummaryReader(ChannelProvider record, std::string subject,
                    const TokenSigner* signer, const Clock* clock,
                    absl::Duration call_deadline = kDefaultCallDeadline);

  // The care summary of `person` (`persons/{id}`); nullopt when the record
  // has not seen the person (nothing has happened in their care). An error
  // prefixed `record: ` when the record service cannot answer;
  // FAILED_PRECONDITION when this process has no record service to ask.
  absl::StatusOr<std::optional<record::v1::CareSummary>> Read(
      absl::string_view person);

 private:
  PeerStub<record::v1::RecordService> record_;
  const absl::Duration call_deadline_;
  ServiceCredentials credentials_;
};

}  // namespace carebridge::record_client

#endif  // CAREBRIDGE_SERVICES_RECORD_CLIENT_CARE_SUMMARY_READER_H_
