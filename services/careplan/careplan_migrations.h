#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_MIGRATIONS_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_MIGRATIONS_H_

#include "services/common/database_opener.h"

namespace carebridge::careplan {

// The care plan service's schema on each engine: plan versions and request
// keys (SqliteCarePlanStore), sharing choices (SqliteSharingStore),
// break-glass accesses (SqliteBreakGlassStore), the `careplan` feed's
// outbox and the cursors of the feeds it applies.
SchemaMigrations CarePlanMigrations();

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_MIGRATIONS_H_
