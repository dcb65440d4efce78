// OpenDatabase: an SQLite file by default, a schema of its own in a
// PostgreSQL database when the service's location names one.

#include "services/common/database_opener.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "services/common/hmac.h"
#include "services/common/macros.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<Migration> kSqlite = {
    {1, "CREATE TABLE items (key TEXT PRIMARY KEY, n INTEGER)"}};
const std::vector<Migration> kPostgresql = {
    {1, "CREATE TABLE items (key TEXT PRIMARY KEY, n BIGINT)"}};

absl::Status InsertAndCount(Database& db, int64_t& count) {
  RETURN_IF_ERROR(db.Write([](Connection& conn) {
    return conn.Exec("INSERT INTO items (key, n) VALUES ('a', 1)");
  }));
  return db.Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT count(*) FROM items"));
    ASSIGN_OR_RETURN(bool row, select.Step());
    count = row ? select.ColumnInt64(0) : -1;
    return absl::OkStatus();
  });
}

class DatabaseOpenerTest : public testing::PostgresDatabaseTest {
 protected:
  DatabaseOpenerTest() : PostgresDatabaseTest("opener") {}

  testing::TempDir dir_;
  HmacSha256 key_{std::string(32, 'k')};
};

TEST_F(DatabaseOpenerTest, NoUrlOpensTheSqliteFile) {
  DatabaseLocation location;
  location.sqlite_path = dir_.File("referral.db");
  location.schema = "referral";
  absl::StatusOr<std::unique_ptr<Database>> db =
      OpenDatabase(location, {&kSqlite, &kPostgresql}, {&key_});
  ASSERT_THAT(db, IsOk());
  EXPECT_EQ((*db)->engine(), "sqlite");
  EXPECT_TRUE((*db)->audited());
  int64_t count = 0;
  ASSERT_THAT(InsertAndCount(**db, count), IsOk());
  EXPECT_EQ(count, 1);
  EXPECT_EQ(location.Describe(), location.sqlite_path);
}

TEST_F(DatabaseOpenerTest, AUrlOpensTheServicesSchemaOnPostgresql) {
  DatabaseLocation referral{dir_.File("referral.db"), url_, "referral"};
  DatabaseLocation careplan{dir_.File("careplan.db"), url_, "careplan"};
  absl::StatusOr<std::unique_ptr<Database>> first =
      OpenDatabase(referral, {&kSqlite, &kPostgresql}, {&key_});
  absl::StatusOr<std::unique_ptr<Database>> second =
      OpenDatabase(careplan, {&kSqlite, &kPostgresql}, {});
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ((*first)->engine(), "postgresql");
  EXPECT_TRUE((*first)->audited());
  EXPECT_FALSE((*second)->audited());
  int64_t count = 0;
  ASSERT_THAT(InsertAndCount(**first, count), IsOk());
  EXPECT_EQ(count, 1);
  // Its own table: the same key again in the other schema.
  ASSERT_THAT(InsertAndCount(**second, count), IsOk());
  EXPECT_EQ(count, 1);
  EXPECT_FALSE(std::filesystem::exists(referral.sqlite_path));
  EXPECT_THAT(referral.Describe(), HasSubstr("schema referral"));
  EXPECT_THAT(referral.Describe(),
              Not(HasSubstr(url_.substr(0, url_.find('@')))));  // no password
}

TEST_F(DatabaseOpenerTest, AServiceWithoutPostgresqlSchemaIsRefused) {
  DatabaseLocation location{dir_.File("x.db"), url_, "audit"};
  EXPECT_THAT(OpenDatabase(location, {&kSqlite, nullptr}, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("only in SQLite")));
}

TEST_F(DatabaseOpenerTest, ABadUrlOrSchemaIsInvalidArgument) {
  EXPECT_THAT(OpenDatabase({dir_.File("x.db"), "mysql://h/db", "referral"},
                           {&kSqlite, &kPostgresql}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      OpenDatabase({dir_.File("x.db"), url_, "Bad-Name"},
                   {&kSqlite, &kPostgresql}, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("schema")));
  EXPECT_THAT(
      ValidateDatabaseUrl("--database", "sqlite:///x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--database")));
  EXPECT_THAT(ValidateDatabaseUrl("--database", ""), IsOk());
}

}  // namespace
}  // namespace carebridge
