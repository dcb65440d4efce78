#ifndef CAREBRIDGE_SERVICES_DIRECTORY_SQLITE_DIRECTORY_STORE_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_SQLITE_DIRECTORY_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "services/common/sqlite_db.h"
#include "services/common/sqlite_event_log.h"
#include "services/directory/directory_store.h"

namespace carebridge::directory {

// DirectoryStore on one SQLite file: each resource is a serialized proto
// BLOB beside the columns it is looked up and sorted by. This class is
// thread-safe (SqliteDb serialises writes and pools readers).
class SqliteDirectoryStore : public DirectoryStore {
 public:
  // The schema steps, oldest first.
  static const std::vector<Migration>& Migrations();

  // Opens or creates the database at `path` and migrates it. Fails with
  // FAILED_PRECONDITION if the file has a newer schema than this binary.
  // `audit_key`: the audit log's key (SqliteDb::Options::audit_key).
  static absl::StatusOr<std::unique_ptr<SqliteDirectoryStore>> Open(
      const std::string& path, const HmacSha256* audit_key = nullptr);

  EventLog* event_log() override { return &event_log_; }
  SqliteDb* db() { return db_.get(); }

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

  int schema_version() const { return db_->schema_version(); }

 private:
  explicit SqliteDirectoryStore(std::unique_ptr<SqliteDb> db)
      : db_(std::move(db)), event_log_("directory", db_.get()) {}

  std::unique_ptr<SqliteDb> db_;
  // The outbox in db_; declared after it so it goes first.
  SqliteEventLog event_log_;
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_SQLITE_DIRECTORY_STORE_H_
