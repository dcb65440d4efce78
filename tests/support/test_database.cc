#include "tests/support/test_database.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/support/pg_test_database.h"

namespace carebridge::testing {

bool TestOnPostgresql() {
  const char* engine = std::getenv("CAREBRIDGE_TEST_DATABASE");
  return engine != nullptr && std::string(engine) == "postgresql";
}

absl::StatusOr<TestDatabase> TestDatabase::Create(std::string dir) {
  if (!TestOnPostgresql()) return TestDatabase(std::move(dir), "");
  absl::StatusOr<std::string> url = CreateTestPostgresDatabase("cb_test");
  if (!url.ok()) return url.status();
  return TestDatabase(std::move(dir), *std::move(url));
}

TestDatabase::TestDatabase(TestDatabase&& other) noexcept
    : dir_(std::move(other.dir_)), url_(std::exchange(other.url_, "")) {}

TestDatabase& TestDatabase::operator=(TestDatabase&& other) noexcept {
  if (this != &other) {
    Drop();
    dir_ = std::move(other.dir_);
    url_ = std::exchange(other.url_, "");
  }
  return *this;
}

TestDatabase::~TestDatabase() { Drop(); }

void TestDatabase::Drop() {
  if (url_.empty()) return;
  // Best effort: a database left behind goes with the cluster.
  (void)DropTestPostgresDatabase(url_);
  url_.clear();
}

DatabaseLocation TestDatabase::location(const std::string& service) const {
  return DatabaseLocation{absl::StrCat(dir_, "/", service, ".db"), url_,
                          service};
}

}  // namespace carebridge::testing
