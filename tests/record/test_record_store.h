#ifndef CAREBRIDGE_TESTS_RECORD_TEST_RECORD_STORE_H_
#define CAREBRIDGE_TESTS_RECORD_TEST_RECORD_STORE_H_

#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/hmac.h"
#include "services/record/sqlite_record_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::record {

// A record store of a test's own, for the store's tests: on a database of
// its own (SQLite in a temporary directory, or a database on the test
// cluster in the _postgresql run), which the store closes its connections
// to first. A fixture keeps one and opens it in SetUp:
//
//   ASSERT_THAT(store_.Open(), IsOk());
//   store_->Apply(...);
class TestRecordStore {
 public:
  absl::Status Open(GapSettings settings = GapSettings(),
                    const HmacSha256* audit_key = nullptr) {
    absl::StatusOr<carebridge::testing::TestDatabase> database =
        carebridge::testing::TestDatabase::Create(dir_.path());
    if (!database.ok()) return database.status();
    database_ = *std::move(database);
    absl::StatusOr<std::unique_ptr<SqliteRecordStore>> store =
        SqliteRecordStore::Open(location(), settings, audit_key);
    if (!store.ok()) return store.status();
    store_ = *std::move(store);
    return absl::OkStatus();
  }

  SqliteRecordStore* get() const { return store_.get(); }
  SqliteRecordStore* operator->() const { return store_.get(); }
  // Where the store is: for another store on the same database (a second
  // replica).
  DatabaseLocation location() const { return database_->location("record"); }

 private:
  carebridge::testing::TempDir dir_;
  // Before store_, so the store closes its connections first.
  std::optional<carebridge::testing::TestDatabase> database_;
  std::unique_ptr<SqliteRecordStore> store_;
};

}  // namespace carebridge::record

#endif  // CAREBRIDGE_TESTS_RECORD_TEST_RECORD_STORE_H_
