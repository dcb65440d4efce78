#ifndef CAREBRIDGE_TESTS_SUPPORT_PG_TEST_DATABASE_H_
#define CAREBRIDGE_TESTS_SUPPORT_PG_TEST_DATABASE_H_

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/common/pg_db.h"

namespace carebridge::testing {

// The URL of the test cluster's maintenance database: the environment
// variable CAREBRIDGE_TEST_POSTGRESQL_URL, else the contents of the file
// CAREBRIDGE_TEST_POSTGRESQL_URL_FILE names (the ctest fixture
// `postgresql` sets that). FAILED_PRECONDITION when neither is there: a
// PostgreSQL test fails, never skips, without its cluster.
absl::StatusOr<std::string> TestPostgresUrl();

// `url` with its database name replaced by `dbname`.
std::string WithDatabase(absl::string_view url, absl::string_view dbname);

// A new, empty database on the test cluster with a name of its own
// (`prefix`, the process and a counter), so tests run in parallel; returns
// its URL.
absl::StatusOr<std::string> CreateTestPostgresDatabase(
    absl::string_view prefix);

// Runs `sql` (no rows) against `url`, for tests that act as an
// administrator (terminating backends, dropping databases).
absl::Status RunPostgresAdmin(const std::string& url, const std::string& sql);

// Drops the database `url` names (terminating its connections first).
absl::Status DropTestPostgresDatabase(const std::string& url);

// PgDb options with `connections` connections (and a connect timeout).
inline PgDb::Options PgOptions(
    int connections, absl::Duration connect_timeout = absl::Seconds(10)) {
  PgDb::Options options;
  options.max_connections = connections;
  options.connect_timeout = connect_timeout;
  return options;
}

// A test with a database of its own on the test cluster (named after
// `prefix`), dropped after it; `url_` is its URL. No cluster is a failure,
// never a skip.
class PostgresDatabaseTest : public ::testing::Test {
 protected:
  explicit PostgresDatabaseTest(std::string prefix)
      : prefix_(std::move(prefix)) {}
  void SetUp() override {
    absl::StatusOr<std::string> url = CreateTestPostgresDatabase(prefix_);
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
  }
  void TearDown() override {
    if (!url_.empty()) {
      absl::Status dropped = DropTestPostgresDatabase(url_);
      EXPECT_TRUE(dropped.ok()) << dropped;
    }
  }

  std::string url_;

 private:
  const std::string prefix_;
};

}  // namespace carebridge::testing

#endif  // CAREBRIDGE_TESTS_SUPPORT_PG_TEST_DATABASE_H_
