#ifndef CAREBRIDGE_SERVICES_COMMON_PG_DB_TEST_FIXTURE_H_
#define CAREBRIDGE_SERVICES_COMMON_PG_DB_TEST_FIXTURE_H_

// The fixture of PgDb's tests (pg_db_test.cc: statements, transactions,
// migrations; pg_db_connection_test.cc: connections, their failures and
// schemas): a database of its own on the test cluster.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "services/common/macros.h"
#include "services/common/pg_db.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/status_matchers.h"

namespace carebridge::pg_db_test {

using ::carebridge::testing::IsOk;

inline const std::vector<Migration> kItemsSchema = {
    {1,
     "CREATE TABLE items (key TEXT PRIMARY KEY, n BIGINT, value BYTEA, "
     "note TEXT)"},
};

// Step 2 reads the table step 1 made.
inline const std::vector<Migration> kSteps = {
    {1, "CREATE TABLE steps (n INTEGER); INSERT INTO steps VALUES (1);"},
    {2, "INSERT INTO steps SELECT max(n) + 1 FROM steps;"},
};

class PgDbTest : public testing::PostgresDatabaseTest {
 protected:
  PgDbTest() : PostgresDatabaseTest("pg_db_test") {}

  std::unique_ptr<PgDb> OpenOrDie(const std::vector<Migration>& migrations,
                                  PgDb::Options options = {}) {
    absl::StatusOr<std::unique_ptr<PgDb>> db =
        PgDb::Open(url_, migrations, options);
    EXPECT_THAT(db, IsOk());
    return db.ok() ? std::move(*db) : nullptr;
  }

  absl::StatusOr<std::vector<int64_t>> Column(Database& db,
                                              const std::string& sql) {
    std::vector<int64_t> values;
    RETURN_IF_ERROR(db.Read([&](Connection& conn) -> absl::Status {
      values.clear();
      ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));
      while (true) {
        ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) return absl::OkStatus();
        values.push_back(stmt.ColumnInt64(0));
      }
    }));
    return values;
  }
};

}  // namespace carebridge::pg_db_test

#endif  // CAREBRIDGE_SERVICES_COMMON_PG_DB_TEST_FIXTURE_H_
