#include "tests/support/test_database.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tests/support/pg_test_database.h"

namespace carebridge::testing {
namespace {

// Empties a database for the next test: ends its other sessions and waits
// until they are gone (their advisory locks, LISTENs and temporary tables
// go with them), drops every schema and makes `public` again as CREATE
// DATABASE does. A fresh database per test cost a CREATE DATABASE and a
// DROP DATABASE, whose checkpoint (fsync stays on) took most of a
// PostgreSQL case's time.
constexpr char kEmptyDatabaseSql[] = R"sql(
SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid();
DO $$
DECLARE
  s name;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace
            WHERE nspname NOT IN ('pg_catalog', 'information_schema',
                                  'pg_toast')
              AND nspname NOT LIKE 'pg\_temp\_%'
              AND nspname NOT LIKE 'pg\_toast\_temp\_%' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END $$;
CREATE SCHEMA public AUTHORIZATION pg_database_owner;
GRANT USAGE ON SCHEMA public TO PUBLIC;
COMMENT ON SCHEMA public IS 'standard public schema';
)sql";

// The databases this process made for TestDatabase: `idle` ones are empty
// and wait for the next TestDatabase; all are dropped when the process
// exits (whatever is left goes with the cluster).
struct Pool {
  absl::Mutex mu;
  std::vector<std::string> made ABSL_GUARDED_BY(mu);
  std::vector<std::string> idle ABSL_GUARDED_BY(mu);
  pid_t owner ABSL_GUARDED_BY(mu) = 0;
};

Pool& ThePool() {
  static Pool* pool = new Pool;
  return *pool;
}

void DropPool() {
  Pool& pool = ThePool();
  std::vector<std::string> made;
  {
    absl::MutexLock lock(&pool.mu);
    // A forked child that exits must not drop its parent's databases.
    if (pool.owner != getpid()) return;
    made.swap(pool.made);
    pool.idle.clear();
  }
  for (const std::string& url : made) (void)DropTestPostgresDatabase(url);
}

}  // namespace

bool TestOnPostgresql() {
  const char* engine = std::getenv("CAREBRIDGE_TEST_DATABASE");
  return engine != nullptr && std::string(engine) == "postgresql";
}

absl::StatusOr<TestDatabase> TestDatabase::Create(std::string dir) {
  if (!TestOnPostgresql()) return TestDatabase(std::move(dir), "");
  Pool& pool = ThePool();
  {
    absl::MutexLock lock(&pool.mu);
    if (!pool.idle.empty()) {
      std::string url = std::move(pool.idle.back());
      pool.idle.pop_back();
      return TestDatabase(std::move(dir), std::move(url));
    }
  }
  absl::StatusOr<std::string> url = CreateTestPostgresDatabase("cb_test");
  if (!url.ok()) return url.status();
  {
    absl::MutexLock lock(&pool.mu);
    if (pool.owner == 0) {
      pool.owner = getpid();
      std::atexit(DropPool);
    }
    pool.made.push_back(*url);
  }
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
  Pool& pool = ThePool();
  if (RunPostgresAdmin(url_, kEmptyDatabaseSql).ok()) {
    absl::MutexLock lock(&pool.mu);
    pool.idle.push_back(std::move(url_));
  } else {
    // Best effort: a database left behind goes with the cluster.
    (void)DropTestPostgresDatabase(url_);
    absl::MutexLock lock(&pool.mu);
    pool.made.erase(std::remove(pool.made.begin(), pool.made.end(), url_),
                    pool.made.end());
  }
  url_.clear();
}

DatabaseLocation TestDatabase::location(const std::string& service) const {
  return DatabaseLocation{absl::StrCat(dir_, "/", service, ".db"), url_,
                          service};
}

}  // namespace carebridge::testing
