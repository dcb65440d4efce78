#include "tests/support/pg_test_database.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace carebridge::testing {

absl::StatusOr<std::string> TestPostgresUrl() {
  if (const char* url = std::getenv("CAREBRIDGE_TEST_POSTGRESQL_URL")) {
    if (*url != '\0') return std::string(url);
  }
  const char* file = std::getenv("CAREBRIDGE_TEST_POSTGRESQL_URL_FILE");
  if (file == nullptr || *file == '\0') {
    return absl::FailedPreconditionError(
        "no test PostgreSQL: run under ctest (fixture postgresql) or set "
        "CAREBRIDGE_TEST_POSTGRESQL_URL");
  }
  std::ifstream in(file);
  std::stringstream contents;
  contents << in.rdbuf();
  std::string url(absl::StripAsciiWhitespace(contents.str()));
  if (!in || url.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no test PostgreSQL: ", file,
        " is missing (did the postgresql_cluster_start test fail?)"));
  }
  return url;
}

std::string WithDatabase(absl::string_view url, absl::string_view dbname) {
  const size_t scheme = url.find("://");
  const size_t slash =
      url.find('/', scheme == absl::string_view::npos ? 0 : scheme + 3);
  std::string base(url.substr(0, slash));
  std::string query;
  const size_t question = url.find('?');
  if (question != absl::string_view::npos)
    query = std::string(url.substr(question));
  return absl::StrCat(base, "/", dbname, query);
}

absl::Status RunPostgresAdmin(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat("test PostgreSQL: ", PQerrorMessage(conn)));
    PQfinish(conn);
    return status;
  }
  PQsetNoticeProcessor(
      conn, +[](void*, const char*) {}, nullptr);
  PGresult* result = PQexec(conn, sql.c_str());
  absl::Status status = absl::OkStatus();
  if (PQresultStatus(result) != PGRES_COMMAND_OK &&
      PQresultStatus(result) != PGRES_TUPLES_OK) {
    status = absl::InternalError(
        absl::StrCat("test PostgreSQL: ", sql, ": ", PQerrorMessage(conn)));
  }
  PQclear(result);
  PQfinish(conn);
  return status;
}

absl::StatusOr<std::string> CreateTestPostgresDatabase(
    absl::string_view prefix) {
  static std::atomic<int> counter{0};
  absl::StatusOr<std::string> admin = TestPostgresUrl();
  if (!admin.ok()) return admin.status();
  std::string name = absl::AsciiStrToLower(
      absl::StrCat(prefix, "_", getpid(), "_", counter++));
  for (char& c : name) {
    if (!absl::ascii_isalnum(c)) c = '_';
  }
  absl::Status created =
      RunPostgresAdmin(*admin, absl::StrCat("CREATE DATABASE \"", name, "\""));
  if (!created.ok()) return created;
  return WithDatabase(*admin, name);
}

absl::Status DropTestPostgresDatabase(const std::string& url) {
  absl::StatusOr<std::string> admin = TestPostgresUrl();
  if (!admin.ok()) return admin.status();
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme + 3);
  std::string name = url.substr(slash + 1);
  name = name.substr(0, name.find('?'));
  return RunPostgresAdmin(*admin, absl::StrCat("DROP DATABASE IF EXISTS \"",
                                               name, "\" WITH (FORCE)"));
}

}  // namespace carebridge::testing
