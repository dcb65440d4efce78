#ifndef CAREBRIDGE_TESTS_SUPPORT_TEST_DATABASE_H_
#define CAREBRIDGE_TESTS_SUPPORT_TEST_DATABASE_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "services/common/database_opener.h"

namespace carebridge::testing {

// The engine this test run stores on: "postgresql" when the environment
// variable CAREBRIDGE_TEST_DATABASE says so (ctest's TEST_postgresql
// entries, carebridge_test_on_postgresql), else "sqlite".
bool TestOnPostgresql();

// A database for a test of its own: on SQLite, the file
// `{dir}/{service}.db`; on PostgreSQL, an empty database on the test cluster
// (emptied again by ~TestDatabase for the process's next TestDatabase, and
// dropped when the process exits), the service's tables in schema `service`.
// Open stores with `location()`; several services may share one
// TestDatabase (each its own schema), as a whole server does.
class TestDatabase {
 public:
  // `dir`: where SQLite files go (a test's temporary directory).
  static absl::StatusOr<TestDatabase> Create(std::string dir);
  TestDatabase(TestDatabase&& other) noexcept;
  TestDatabase& operator=(TestDatabase&& other) noexcept;
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  ~TestDatabase();

  DatabaseLocation location(const std::string& service) const;
  // For a server's --database: the PostgreSQL URL, or "" on SQLite.
  const std::string& url() const { return url_; }

 private:
  TestDatabase(std::string dir, std::string url)
      : dir_(std::move(dir)), url_(std::move(url)) {}
  void Drop();

  std::string dir_;
  std::string url_;
};

}  // namespace carebridge::testing

#endif  // CAREBRIDGE_TESTS_SUPPORT_TEST_DATABASE_H_
