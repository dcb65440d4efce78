#ifndef CAREBRIDGE_SERVICES_RECORD_SQLITE_RECORD_SCHEMA_H_
#define CAREBRIDGE_SERVICES_RECORD_SQLITE_RECORD_SCHEMA_H_

#include "services/common/database_opener.h"

namespace carebridge::record {

// The record store's schema on each engine (SqliteRecordStore): on SQLite
// the steps taken since the first release, on PostgreSQL today's schema as
// its first step. Both hold the consumer ledger and the record's outbox.
SchemaMigrations RecordMigrations();

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_SQLITE_RECORD_SCHEMA_H_
