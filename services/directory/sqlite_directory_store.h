#ifndef CAREBRIDGE_SERVICES_DIRECTORY_SQLITE_DIRECTORY_STORE_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_SQLITE_DIRECTORY_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/database.h"
#include "services/common/database_opener.h"
#include "services/common/sqlite_event_log.h"
#include "services/directory/directory_store.h"

namespace carebridge::directory {

// DirectoryStore on a Database, either engine (the name predates
// PostgreSQL): each resource is a serialized proto (BLOB, BYTEA) beside the
// columns it is looked up and sorted by. This class is thread-safe (the
// Database is).
class SqliteDirectoryStore : public DirectoryStore {
 public:
  // The schema steps on SQLite, oldest first.
  static const std::vector<Migration>& Migrations();
  // The same schema on PostgreSQL, in fewer steps.
  static const std::vector<Migration>& PostgresqlMigrations();

  // Opens or creates the database at `location` and migrates it. Fails
  // with FAILED_PRECONDITION if it has a newer schema than this binary.
  // `audit_key`: the audit log's key (DatabaseOptions::audit_key).
  static absl::StatusOr<std::unique_ptr<SqliteDirectoryStore>> Open(
      const DatabaseLocation& location, const HmacSha256* audit_key = nullptr);
  // The same for the SQLite file at `path`.
  static absl::StatusOr<std::unique_ptr<SqliteDirectoryStore>> Open(
      const std::string& path, const HmacSha256* audit_key = nullptr);

  EventLog* event_log() override { return &event_log_; }
  Database* db() { return db_.get(); }

  absl::StatusOr<v1::Team> CreateTeam(const v1::Team& team,
                                      const IdempotencyKey& key,
                                      const events::v1::Event& event) override;
  absl::StatusOr<v1::Team> GetTeam(absl::string_view name) override;
  absl::Status ReplaceTeam(const v1::Team& team,
                           absl::string_view expected_etag,
                           const events::v1::Event& event) override;
  absl::StatusOr<std::vector<v1::Team>> ListTeams(
      const TeamFilter& filter, const std::optional<ListCursor>& after,
      int limit) override;

  absl::StatusOr<v1::Member> CreateMember(
      const v1::Member& member, const IdempotencyKey& key,
      const events::v1::Event& event) override;
  absl::StatusOr<v1::Member> GetMember(absl::string_view name) override;
  absl::Status ReplaceMember(const v1::Member& member,
                             absl::string_view expected_etag,
                             const events::v1::Event& event) override;
  absl::Status AppendEvent(const events::v1::Event& event) override;
  absl::StatusOr<std::vector<v1::Member>> ListMembers(
      absl::string_view team, const std::optional<ListCursor>& after,
      int limit) override;

  absl::StatusOr<v1::Person> CreatePerson(
      const v1::Person& person, const IdempotencyKey& key,
      const events::v1::Event& event,
      std::vector<v1::Person>* possible_duplicates = nullptr) override;
  absl::StatusOr<v1::Person> GetPerson(absl::string_view name) override;
  absl::Status ReplacePerson(const v1::Person& person,
                             absl::string_view expected_etag,
                             const events::v1::Event& event) override;
  absl::Status MergePerson(const v1::Person& duplicate,
                           absl::string_view expected_etag,
                           const events::v1::Event& event) override;
  absl::StatusOr<std::vector<v1::Person>> FindPersonsByNhsNumber(
      absl::string_view nhs_number) override;
  absl::StatusOr<std::vector<v1::Person>> FindPersonsByNameAndBirth(
      absl::string_view family_name_key, absl::string_view birth_date,
      int limit) override;
  // In a write of its own that carries no call's audit record (the lookup
  // it counts is audited as the read it is).
  absl::StatusOr<std::optional<absl::Time>> CountLookup(
      absl::string_view subject, absl::Time now, absl::Time since,
      int max) override;

  int schema_version() const { return db_->schema_version(); }

 private:
  explicit SqliteDirectoryStore(std::unique_ptr<Database> db)
      : db_(std::move(db)), event_log_("directory", db_.get()) {}

  std::unique_ptr<Database> db_;
  // The outbox in db_; declared after it so it goes first.
  SqliteEventLog event_log_;
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_SQLITE_DIRECTORY_STORE_H_
