#include "services/directory/sqlite_directory_store.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "services/common/call_audit.h"
#include "services/common/macros.h"
#include "services/common/time_util.h"
#include "services/directory/errors.h"

namespace carebridge::directory {
namespace {

constexpr char kSelectTeam[] = "SELECT resource FROM teams WHERE name = ?1";
constexpr char kSelectMember[] = "SELECT resource FROM members WHERE name = ?1";
constexpr char kSelectPerson[] = "SELECT resource FROM persons WHERE name = ?1";
// Persons by FamilyNameKey (?1) and birth date (?2), at most ?3.
constexpr char kSelectPersonsNamedAndBorn[] =
    "SELECT resource FROM persons WHERE family_name_key = ?1 AND "
    "birth_date = ?2 AND merged_into IS NULL ORDER BY name LIMIT ?3";
// Persons of one family name and birth date a create compares with: more
// than any real register holds of one name and day.
constexpr int kMaxPossibleDuplicates = 200;

template <typename Proto>
absl::StatusOr<Proto> Parse(const std::string& blob, absl::string_view name) {
  Proto resource;
  if (!resource.ParseFromString(blob)) {
    return absl::DataLossError(absl::StrCat("stored ", name, " is corrupt"));
  }
  return resource;
}

// The resource `sql` selects for `name`, or NOT_FOUND.
template <typename Proto>
absl::StatusOr<Proto> Load(Connection& conn, absl::string_view sql,
                           absl::string_view name) {
  ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));
  stmt.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return errors::NotFound(name);
  return Parse<Proto>(stmt.ColumnBlob(0), name);
}

// Every row `stmt` yields, parsed.
template <typename Proto>
absl::StatusOr<std::vector<Proto>> LoadAll(Statement& stmt) {
  std::vector<Proto> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    ASSIGN_OR_RETURN(Proto resource, Parse<Proto>(stmt.ColumnBlob(0), "row"));
    out.push_back(std::move(resource));
  }
}

// A create recorded under a request id.
struct EarlierCreate {
  std::string resource_name;
  // Unset for creates recorded before schema version 2.
  std::optional<std::string> request_fingerprint;
};

// The create recorded earlier under `key`, if any.
absl::StatusOr<std::optional<EarlierCreate>> FindEarlierCreate(
    Connection& conn, const IdempotencyKey& key) {
  ASSIGN_OR_RETURN(Statement stmt,
                   conn.Prepare("SELECT resource_name, request_fingerprint "
                                "FROM request_ids WHERE subject = ?1 AND "
                                "method = ?2 AND request_id = ?3"));
  stmt.Bind(1, key.subject).Bind(2, key.method).Bind(3, key.request_id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<EarlierCreate>();
  EarlierCreate earlier;
  earlier.resource_name = stmt.ColumnText(0);
  if (!stmt.ColumnIsNull(1)) earlier.request_fingerprint = stmt.ColumnText(1);
  return std::optional<EarlierCreate>(std::move(earlier));
}

// Records `key` as having made `name`; FindEarlierCreate found nothing in
// this transaction. ON CONFLICT rather than a plain INSERT: on PostgreSQL a
// concurrent transaction may have recorded the same key after this one's
// snapshot, which DO NOTHING turns into a serialization failure (the
// write runs again and finds it), where a plain INSERT would fail on the
// unique index.
absl::Status RecordCreate(Connection& conn, const IdempotencyKey& key,
                          absl::string_view name, int64_t create_time_micros) {
  {
    ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("INSERT INTO request_ids (subject, method, request_id, "
                     "resource_name, create_time_micros, request_fingerprint) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (subject, "
                     "method, request_id) DO NOTHING"));
    stmt.Bind(1, key.subject)
        .Bind(2, key.method)
        .Bind(3, key.request_id)
        .Bind(4, name)
        .Bind(5, create_time_micros)
        .Bind(6, key.request_fingerprint);
    RETURN_IF_ERROR(stmt.Run());
  }
  if (conn.Changes() != 1) {
    return absl::InternalError(
        absl::StrCat("request id ", key.request_id, " recorded twice"));
  }
  return absl::OkStatus();
}

// One idempotent create in one transaction: for a reused key, the earlier
// result if this request matches the one that made it, or ALREADY_EXISTS
// naming that `kind` of resource if not; otherwise `insert` followed by
// recording the key and appending `event`. Of concurrent creates with the
// same key one commits first and the others see its row (SQLite runs one
// writer at a time; PostgreSQL runs the others again, see RecordCreate).
template <typename Proto>
absl::StatusOr<Proto> IdempotentCreate(
    Database& db, EventLog& event_log, const Proto& resource,
    const IdempotencyKey& key, const events::v1::Event& event,
    absl::string_view kind, absl::string_view select_sql,
    absl::FunctionRef<absl::Status(Connection&)> insert) {
  Proto result;
  bool appended = false;
  RETURN_IF_ERROR(db.Write([&](Connection& conn) -> absl::Status {
    appended = false;
    if (!key.request_id.empty()) {
      ASSIGN_OR_RETURN(std::optional<EarlierCreate> earlier,
                       FindEarlierCreate(conn, key));
      if (earlier.has_value()) {
        if (earlier->request_fingerprint.has_value() &&
            *earlier->request_fingerprint != key.request_fingerprint) {
          return errors::RequestIdReused(key.request_id, key.subject,
                                         earlier->resource_name, kind);
        }
        ASSIGN_OR_RETURN(result,
                         Load<Proto>(conn, select_sql, earlier->resource_name));
        return absl::OkStatus();
      }
    }
    RETURN_IF_ERROR(insert(conn));
    if (!key.request_id.empty()) {
      RETURN_IF_ERROR(RecordCreate(
          conn, key, resource.name(),
          ToUnixMicrosUtc(FromProtoTimestamp(resource.create_time()))));
    }
    RETURN_IF_ERROR(SqliteEventLog::AppendLater(conn, event));
    appended = true;
    result = resource;
    return absl::OkStatus();
  }));
  if (appended) event_log.NotifyCommitted();
  return result;
}

// FAILED_PRECONDITION, with the persons appended to `possible_duplicates`,
// when `person` (inserted in this transaction) may be someone registered
// before (IsPossibleDuplicate).
absl::Status CheckPossibleDuplicates(
    Connection& conn, const v1::Person& person,
    std::vector<v1::Person>* possible_duplicates) {
  ASSIGN_OR_RETURN(Statement same, conn.Prepare(kSelectPersonsNamedAndBorn));
  same.Bind(1, FamilyNameKey(person.family_name()))
      .Bind(2, person.birth_date())
      .Bind(3, int64_t{kMaxPossibleDuplicates});
  ASSIGN_OR_RETURN(std::vector<v1::Person> registered,
                   LoadAll<v1::Person>(same));
  for (v1::Person& other : registered) {
    if (other.name() != person.name() && IsPossibleDuplicate(person, other)) {
      possible_duplicates->push_back(std::move(other));
    }
  }
  if (possible_duplicates->empty()) return absl::OkStatus();
  return absl::FailedPreconditionError("person: may be registered already");
}

// Binds a cursor's (sort_key, name) at `index` and `index + 1`.
void BindCursor(Statement& stmt, int index, const ListCursor& cursor) {
  stmt.Bind(index, cursor.sort_key).Bind(index + 1, cursor.name);
}

// Binds a team's columns at ?1 to ?6, in the order the teams table and
// both team writes use: name, sort_key, sector, accepting_referrals, etag,
// resource.
void BindTeamColumns(Statement& stmt, const v1::Team& team) {
  stmt.Bind(1, team.name())
      .Bind(2, SortKey(team.display_name()))
      .Bind(3, static_cast<int64_t>(team.sector()))
      .Bind(4, static_cast<int64_t>(team.accepting_referrals()))
      .Bind(5, team.etag())
      .BindBlob(6, team.SerializeAsString());
}

// The resource `sql` selects for `name`, read on a snapshot.
template <typename Proto>
absl::StatusOr<Proto> ReadOne(Database& db, absl::string_view sql,
                              absl::string_view name) {
  Proto resource;
  RETURN_IF_ERROR(db.Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(resource, Load<Proto>(conn, sql, name));
    return absl::OkStatus();
  }));
  return resource;
}

// Every resource `sql` selects once `bind` has bound its parameters, read
// on a snapshot.
template <typename Proto>
absl::StatusOr<std::vector<Proto>> ReadAll(
    Database& db, absl::string_view sql,
    absl::FunctionRef<void(Statement&)> bind) {
  std::vector<Proto> resources;
  RETURN_IF_ERROR(db.Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));
    bind(stmt);
    ASSIGN_OR_RETURN(resources, LoadAll<Proto>(stmt));
    return absl::OkStatus();
  }));
  return resources;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteDirectoryStore>>
SqliteDirectoryStore::Open(const DatabaseLocation& location,
                           const HmacSha256* audit_key) {
  DatabaseOptions options;
  options.audit_key = audit_key;
  ASSIGN_OR_RETURN(
      std::unique_ptr<Database> db,
      OpenDatabase(location, {&Migrations(), &PostgresqlMigrations()},
                   options));
  return std::unique_ptr<SqliteDirectoryStore>(
      new SqliteDirectoryStore(std::move(db)));
}

absl::StatusOr<std::unique_ptr<SqliteDirectoryStore>>
SqliteDirectoryStore::Open(const std::string& path,
                           const HmacSha256* audit_key) {
  return Open(DatabaseLocation{path, /*postgresql_url=*/"", "directory"},
              audit_key);
}

// --- Teams ---

absl::StatusOr<v1::Team> SqliteDirectoryStore::CreateTeam(
    const v1::Team& team, const IdempotencyKey& key,
    const events::v1::Event& event) {
  return IdempotentCreate<v1::Team>(
      *db_, event_log_, team, key, event, "team", kSelectTeam,
      [&](Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(
            Statement stmt,
            conn.Prepare("INSERT INTO teams (name, sort_key, sector, "
                         "accepting_referrals, etag, resource) VALUES (?1, "
                         "?2, ?3, ?4, ?5, ?6)"));
        BindTeamColumns(stmt, team);
        return stmt.Run();
      });
}

absl::StatusOr<v1::Team> SqliteDirectoryStore::GetTeam(absl::string_view name) {
  return ReadOne<v1::Team>(*db_, kSelectTeam, name);
}

absl::Status SqliteDirectoryStore::ReplaceTeam(const v1::Team& team,
                                               absl::string_view expected_etag,
                                               const events::v1::Event& event) {
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
    {
      ASSIGN_OR_RETURN(
          Statement stmt,
          conn.Prepare("UPDATE teams SET sort_key = ?2, sector = ?3, "
                       "accepting_referrals = ?4, etag = ?5, resource = ?6 "
                       "WHERE name = ?1 AND etag = ?7"));
      BindTeamColumns(stmt, team);
      stmt.Bind(7, expected_etag);
      RETURN_IF_ERROR(stmt.Run());
    }
    if (conn.Changes() != 1) {
      // Nothing matched: tell a lost race from a missing team.
      RETURN_IF_ERROR(Load<v1::Team>(conn, kSelectTeam, team.name()).status());
      return errors::StaleEtag(team.name());
    }
    return SqliteEventLog::AppendLater(conn, event);
  }));
  event_log_.NotifyCommitted();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Team>> SqliteDirectoryStore::ListTeams(
    const TeamFilter& filter, const std::optional<ListCursor>& after,
    int limit) {
  return ReadAll<v1::Team>(
      *db_,
      absl::StrCat(
          "SELECT resource FROM teams WHERE (?1 = 0 OR sector = ?1) AND "
          "(?2 = 0 OR accepting_referrals = 1)",
          after.has_value() ? " AND (sort_key, name) > (?4, ?5)" : "",
          " ORDER BY sort_key, name LIMIT ?3"),
      [&](Statement& stmt) {
        stmt.Bind(1, static_cast<int64_t>(filter.sector))
            .Bind(2, static_cast<int64_t>(filter.accepting_referrals_only))
            .Bind(3, static_cast<int64_t>(limit));
        if (after.has_value()) BindCursor(stmt, 4, *after);
      });
}

// --- Members ---

absl::StatusOr<v1::Member> SqliteDirectoryStore::CreateMember(
    const v1::Member& member, const IdempotencyKey& key,
    const events::v1::Event& event) {
  return IdempotentCreate<v1::Member>(
      *db_, event_log_, member, key, event, "member", kSelectMember,
      [&](Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(Statement stmt,
                         conn.Prepare("INSERT INTO members (name, team, "
                                      "sort_key, resource) VALUES (?1, ?2, "
                                      "?3, ?4)"));
        stmt.Bind(1, member.name())
            .Bind(2, member.team())
            .Bind(3, SortKey(member.display_name()))
            .BindBlob(4, member.SerializeAsString());
        return stmt.Run();
      });
}

absl::StatusOr<v1::Member> SqliteDirectoryStore::GetMember(
    absl::string_view name) {
  return ReadOne<v1::Member>(*db_, kSelectMember, name);
}

absl::Status SqliteDirectoryStore::ReplaceMember(
    const v1::Member& member, absl::string_view expected_etag,
    const events::v1::Event& event) {
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
    // The etag lives in the stored resource: compare it inside the write
    // transaction, so of two updates from one read only one lands.
    ASSIGN_OR_RETURN(v1::Member stored,
                     Load<v1::Member>(conn, kSelectMember, member.name()));
    if (stored.etag() != expected_etag) return errors::StaleEtag(member.name());
    {
      ASSIGN_OR_RETURN(Statement stmt,
                       conn.Prepare("UPDATE members SET team = ?2, sort_key = "
                                    "?3, resource = ?4 WHERE name = ?1"));
      stmt.Bind(1, member.name())
          .Bind(2, member.team())
          .Bind(3, SortKey(member.display_name()))
          .BindBlob(4, member.SerializeAsString());
      RETURN_IF_ERROR(stmt.Run());
    }
    return SqliteEventLog::AppendLater(conn, event);
  }));
  event_log_.NotifyCommitted();
  return absl::OkStatus();
}

absl::Status SqliteDirectoryStore::AppendEvent(const events::v1::Event& event) {
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
    return SqliteEventLog::AppendLater(conn, event);
  }));
  event_log_.NotifyCommitted();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Member>> SqliteDirectoryStore::ListMembers(
    absl::string_view team, const std::optional<ListCursor>& after, int limit) {
  return ReadAll<v1::Member>(
      *db_,
      absl::StrCat("SELECT resource FROM members WHERE team = ?1",
                   after.has_value() ? " AND (sort_key, name) > (?3, ?4)" : "",
                   " ORDER BY sort_key, name LIMIT ?2"),
      [&](Statement& stmt) {
        stmt.Bind(1, team).Bind(2, static_cast<int64_t>(limit));
        if (after.has_value()) BindCursor(stmt, 3, *after);
      });
}

// --- Persons ---

absl::StatusOr<v1::Person> SqliteDirectoryStore::CreatePerson(
    const v1::Person& person, const IdempotencyKey& key,
    const events::v1::Event& event,
    std::vector<v1::Person>* possible_duplicates) {
  // What the caller passed in: a write run again starts from it.
  const size_t given =
      possible_duplicates == nullptr ? 0 : possible_duplicates->size();
  return IdempotentCreate<v1::Person>(
      *db_, event_log_, person, key, event, "person", kSelectPerson,
      [&](Connection& conn) -> absl::Status {
        if (possible_duplicates != nullptr) {
          possible_duplicates->erase(possible_duplicates->begin() + given,
                                     possible_duplicates->end());
        }
        {
          // The unique index on nhs_number decides, not a prior read: two
          // concurrent registrations cannot both succeed.
          ASSIGN_OR_RETURN(
              Statement stmt,
              conn.Prepare("INSERT INTO persons (name, nhs_number, "
                           "family_name_key, birth_date, resource) VALUES "
                           "(?1, ?2, ?3, ?4, ?5) ON CONFLICT (nhs_number) DO "
                           "NOTHING"));
          stmt.Bind(1, person.name());
          if (person.nhs_number().empty()) {
            stmt.BindNull(2);
          } else {
            stmt.Bind(2, person.nhs_number());
          }
          stmt.Bind(3, FamilyNameKey(person.family_name()))
              .Bind(4, person.birth_date())
              .BindBlob(5, person.SerializeAsString());
          RETURN_IF_ERROR(stmt.Run());
        }
        if (conn.Changes() == 1) {
          // A taken NHS number is the surer answer, so it is checked first;
          // a possible duplicate rolls the insert back.
          return possible_duplicates == nullptr
                     ? absl::OkStatus()
                     : CheckPossibleDuplicates(conn, person,
                                               possible_duplicates);
        }
        ASSIGN_OR_RETURN(
            Statement existing,
            conn.Prepare("SELECT name FROM persons WHERE nhs_number = ?1"));
        existing.Bind(1, person.nhs_number());
        ASSIGN_OR_RETURN(bool row, existing.Step());
        if (!row) {
          return absl::InternalError("person insert changed no row");
        }
        return errors::NhsNumberTaken(existing.ColumnText(0));
      });
}

absl::StatusOr<v1::Person> SqliteDirectoryStore::GetPerson(
    absl::string_view name) {
  return ReadOne<v1::Person>(*db_, kSelectPerson, name);
}

absl::Status SqliteDirectoryStore::ReplacePerson(
    const v1::Person& person, absl::string_view expected_etag,
    const events::v1::Event& event) {
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(v1::Person stored,
                     Load<v1::Person>(conn, kSelectPerson, person.name()));
    if (stored.etag() != expected_etag) return errors::StaleEtag(person.name());
    if (!person.nhs_number().empty()) {
      // The unique index would refuse it too; asking first names the
      // person who holds the number.
      ASSIGN_OR_RETURN(
          Statement holder,
          conn.Prepare("SELECT name FROM persons WHERE nhs_number = ?1 AND "
                       "name != ?2"));
      holder.Bind(1, person.nhs_number()).Bind(2, person.name());
      ASSIGN_OR_RETURN(bool taken, holder.Step());
      if (taken) return errors::NhsNumberTaken(holder.ColumnText(0));
    }
    {
      ASSIGN_OR_RETURN(
          Statement stmt,
          conn.Prepare("UPDATE persons SET nhs_number = ?2, family_name_key = "
                       "?3, birth_date = ?4, resource = ?5 WHERE name = ?1"));
      stmt.Bind(1, person.name());
      if (person.nhs_number().empty()) {
        stmt.BindNull(2);
      } else {
        stmt.Bind(2, person.nhs_number());
      }
      stmt.Bind(3, FamilyNameKey(person.family_name()))
          .Bind(4, person.birth_date())
          .BindBlob(5, person.SerializeAsString());
      RETURN_IF_ERROR(stmt.Run());
    }
    return SqliteEventLog::AppendLater(conn, event);
  }));
  event_log_.NotifyCommitted();
  return absl::OkStatus();
}

absl::Status SqliteDirectoryStore::MergePerson(const v1::Person& duplicate,
                                               absl::string_view expected_etag,
                                               const events::v1::Event& event) {
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(v1::Person stored,
                     Load<v1::Person>(conn, kSelectPerson, duplicate.name()));
    if (!stored.merged_into().empty()) {
      return errors::PersonMerged(stored.name(), stored.merged_into());
    }
    if (stored.etag() != expected_etag) {
      return errors::StaleEtag(duplicate.name());
    }
    ASSIGN_OR_RETURN(
        v1::Person kept,
        Load<v1::Person>(conn, kSelectPerson, duplicate.merged_into()));
    if (!kept.merged_into().empty()) {
      return errors::PersonMerged(kept.name(), kept.merged_into());
    }
    ASSIGN_OR_RETURN(Statement stmt,
                     conn.Prepare("UPDATE persons SET merged_into = ?2, "
                                  "resource = ?3 WHERE name = ?1"));
    stmt.Bind(1, duplicate.name())
        .Bind(2, duplicate.merged_into())
        .BindBlob(3, duplicate.SerializeAsString());
    RETURN_IF_ERROR(stmt.Run());
    return SqliteEventLog::AppendLater(conn, event);
  }));
  event_log_.NotifyCommitted();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Person>>
SqliteDirectoryStore::FindPersonsByNhsNumber(absl::string_view nhs_number) {
  return ReadAll<v1::Person>(
      *db_,
      "SELECT resource FROM persons WHERE nhs_number = ?1 AND merged_into IS "
      "NULL",
      [&](Statement& stmt) { stmt.Bind(1, nhs_number); });
}

absl::StatusOr<std::vector<v1::Person>>
SqliteDirectoryStore::FindPersonsByNameAndBirth(
    absl::string_view family_name_key, absl::string_view birth_date,
    int limit) {
  return ReadAll<v1::Person>(*db_, kSelectPersonsNamedAndBorn,
                             [&](Statement& stmt) {
                               stmt.Bind(1, family_name_key)
                                   .Bind(2, birth_date)
                                   .Bind(3, static_cast<int64_t>(limit));
                             });
}

absl::StatusOr<std::optional<absl::Time>> SqliteDirectoryStore::CountLookup(
    absl::string_view subject, absl::Time now, absl::Time since, int max) {
  std::optional<absl::Time> earliest;
  ScopedCallAudit not_this_write(nullptr);
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
    earliest.reset();
    ASSIGN_OR_RETURN(Statement forget,
                     conn.Prepare("DELETE FROM person_lookups WHERE subject = "
                                  "?1 AND time_us <= ?2"));
    forget.Bind(1, subject).Bind(2, absl::ToUnixMicros(since));
    RETURN_IF_ERROR(forget.Run());
    ASSIGN_OR_RETURN(Statement counted,
                     conn.Prepare("SELECT count(*), MIN(time_us) FROM "
                                  "person_lookups WHERE subject = ?1"));
    counted.Bind(1, subject);
    ASSIGN_OR_RETURN(bool row, counted.Step());
    if (row && counted.ColumnInt64(0) >= max) {
      earliest = absl::FromUnixMicros(counted.ColumnInt64(1));
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(Statement count,
                     conn.Prepare("INSERT INTO person_lookups (subject, "
                                  "time_us) VALUES (?1, ?2)"));
    count.Bind(1, subject).Bind(2, absl::ToUnixMicros(now));
    return count.Run();
  }));
  return earliest;
}

}  // namespace carebridge::directory
