#include "services/common/database.h"

#include <utility>

namespace carebridge {
namespace {

absl::Status NotAudited() {
  return absl::FailedPreconditionError("this database keeps no audit log");
}

}  // namespace

absl::Status Database::AppendAudit(const std::vector<AuditRecord>&) {
  return NotAudited();
}

void Database::AppendAuditAsync(std::vector<AuditRecord>,
                                absl::AnyInvocable<void(absl::Status)> done) {
  done(NotAudited());
}

absl::StatusOr<std::vector<AuditRecord>> Database::ListAuditForPerson(
    absl::string_view, int64_t, int) {
  return NotAudited();
}

absl::StatusOr<AuditVerification> Database::VerifyAudit() {
  return NotAudited();
}

}  // namespace carebridge
