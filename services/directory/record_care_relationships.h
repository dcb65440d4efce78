#ifndef CAREBRIDGE_SERVICES_DIRECTORY_RECORD_CARE_RELATIONSHIPS_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_RECORD_CARE_RELATIONSHIPS_H_

#include "absl/time/time.h"
#include "services/common/channel_provider.h"
#include "services/common/clock.h"
#include "services/common/token.h"
#include "services/directory/care_relationships.h"
#include "services/record_client/care_summary_reader.h"

namespace carebridge::directory {

// CareRelationships as the record service knows them: the person's care
// summary, read with the directory's own service identity
// (`services/directory`), names the care team and every referral and
// handover still awaiting an answer. Asked afresh each time (nothing
// remembered, so a team that has left is not shown more). A person the
// record does not know has no relationships; a record service that cannot
// be reached is an error (the caller then gives the minimum).
//
// This class is thread-safe.
class RecordCareRelationships : public CareRelationships {
 public:
  RecordCareRelationships(
      ChannelProvider record, const TokenSigner* signer, const Clock* clock,
      absl::Duration call_deadline =
          record_client::CareSummaryReader::kDefaultCallDeadline);

  absl::StatusOr<bool> Related(absl::string_view person,
                               absl::string_view team) override;
  absl::StatusOr<PersonCare> Care(absl::string_view person) override;

 private:
  record_client::CareSummaryReader reader_;
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_RECORD_CARE_RELATIONSHIPS_H_
