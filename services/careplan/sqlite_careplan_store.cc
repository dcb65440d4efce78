#include "services/careplan/sqlite_careplan_store.h"

#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/careplan/care_team.h"
#include "services/careplan/careplan_events.h"
#include "services/careplan/careplan_migrations.h"
#include "services/careplan/careplan_names.h"
#include "services/careplan/careplan_size.h"
#include "services/common/errors.h"
#include "services/common/macros.h"

namespace carebridge::careplan {
namespace {

// The name and etag depend on how the plan is read, so they are never
// stored.
std::string Serialize(const v1::CarePlan& plan) {
  v1::CarePlan copy = plan;
  copy.clear_name();
  copy.clear_etag();
  return copy.SerializeAsString();
}

absl::StatusOr<v1::CarePlan> Decode(absl::string_view person_id,
                                    int64_t version, const std::string& body) {
  v1::CarePlan plan;
  if (!plan.ParseFromString(body) || plan.version() != version) {
    return absl::InternalError(
        absl::StrCat(CarePlanVersionName(person_id, version),
                     ": stored record cannot be decoded"));
  }
  return plan;
}

// 0 when the person has no plan.
absl::StatusOr<int64_t> NewestVersion(Connection& conn,
                                      absl::string_view person_id) {
  ASSIGN_OR_RETURN(
      Statement stmt,
      conn.Prepare("SELECT version FROM care_plan_versions "
                   "WHERE person_id = ?1 ORDER BY version DESC LIMIT 1"));
  stmt.Bind(1, person_id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.ColumnInt64(0) : 0;
}

absl::Status Lost(absl::string_view person_id, int64_t version,
                  int64_t newest) {
  if (newest == 0) {
    return absl::AbortedError(absl::StrCat(
        CarePlanName(person_id), ": cannot append version ", version,
        "; the plan has no versions yet (the first is version 1)"));
  }
  return absl::AbortedError(
      absl::StrCat(CarePlanName(person_id), ": cannot append version ", version,
                   "; the plan is now at version ", newest));
}

absl::Status CheckPosition(const FeedPosition& position) {
  if (position.feed.empty() || position.sequence < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "applied event: feed \"", position.feed, "\" and sequence ",
        position.sequence, " must name an event (sequence >= 1)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<PlanRequestRecord>> SelectRequest(
    Connection& conn, absl::string_view person_id, absl::string_view team,
    absl::string_view request_id) {
  ASSIGN_OR_RETURN(Statement stmt,
                   conn.Prepare("SELECT version, fingerprint FROM "
                                "care_plan_requests WHERE person_id = ?1 AND "
                                "team = ?2 AND request_id = ?3"));
  stmt.Bind(1, person_id).Bind(2, team).Bind(3, request_id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<PlanRequestRecord>();
  return std::optional<PlanRequestRecord>(
      PlanRequestRecord{stmt.ColumnInt64(0), stmt.ColumnBlob(1)});
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteCarePlanStore>> SqliteCarePlanStore::Open(
    const DatabaseLocation& location, const HmacSha256* audit_key) {
  DatabaseOptions options;
  options.audit_key = audit_key;
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db,
                   OpenDatabase(location, CarePlanMigrations(), options));
  return std::unique_ptr<SqliteCarePlanStore>(
      new SqliteCarePlanStore(std::move(db)));
}

absl::StatusOr<std::unique_ptr<SqliteCarePlanStore>> SqliteCarePlanStore::Open(
    const std::string& path, const HmacSha256* audit_key) {
  return Open(DatabaseLocation{path, /*postgresql_url=*/"", "careplan"},
              audit_key);
}

absl::StatusOr<v1::CarePlan> SqliteCarePlanStore::GetCurrent(
    absl::string_view person_id) {
  v1::CarePlan result;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("SELECT version, body FROM care_plan_versions "
                     "WHERE person_id = ?1 ORDER BY version DESC LIMIT 1"));
    stmt.Bind(1, person_id);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return errors::NotFound(CarePlanName(person_id));
    ASSIGN_OR_RETURN(
        result, Decode(person_id, stmt.ColumnInt64(0), stmt.ColumnBlob(1)));
    return absl::OkStatus();
  }));
  return result;
}

absl::Status SqliteCarePlanStore::Append(absl::string_view person_id,
                                         const v1::CarePlan& plan,
                                         const PlanRequestKey* request) {
  return AppendVersion(person_id, plan, request, /*applied=*/nullptr);
}

absl::Status SqliteCarePlanStore::AppendApplied(absl::string_view person_id,
                                                const v1::CarePlan& plan,
                                                const FeedPosition& applied) {
  RETURN_IF_ERROR(CheckPosition(applied));
  return AppendVersion(person_id, plan, /*request=*/nullptr, &applied);
}

absl::Status SqliteCarePlanStore::AppendVersion(absl::string_view person_id,
                                                const v1::CarePlan& plan,
                                                const PlanRequestKey* request,
                                                const FeedPosition* applied) {
  if (person_id.empty()) {
    return absl::InvalidArgumentError("person_id: must be set");
  }
  if (plan.version() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        CarePlanName(person_id), ": version ", plan.version(), " is not >= 1"));
  }
  RETURN_IF_ERROR(CheckLeadInvariant(plan));
  RETURN_IF_ERROR(CheckPlanSize(plan));
  // Serialized before the write, so the batch leader only runs SQL.
  const std::string body = Serialize(plan);
  const events::v1::Event event = VersionEvent(person_id, plan);
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) {
    return AppendInTransaction(conn, person_id, plan.version(), body, request,
                               event, applied);
  }));
  event_log_.NotifyCommitted();
  return absl::OkStatus();
}

absl::Status SqliteCarePlanStore::AppendInTransaction(
    Connection& conn, absl::string_view person_id, int64_t version,
    absl::string_view body, const PlanRequestKey* request,
    const events::v1::Event& event, const FeedPosition* applied) {
  if (applied != nullptr) RETURN_IF_ERROR(MarkApplied(conn, *applied));
  ASSIGN_OR_RETURN(int64_t newest, NewestVersion(conn, person_id));
  if (version != newest + 1) {
    return Lost(person_id, version, newest);
  }
  if (request != nullptr && !request->request_id.empty()) {
    ASSIGN_OR_RETURN(
        std::optional<PlanRequestRecord> used,
        SelectRequest(conn, person_id, request->team, request->request_id));
    if (used.has_value()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "request_id: ", request->request_id, " was already used by ",
          request->team, " on ", CarePlanName(person_id), " (version ",
          used->version, ")"));
    }
    ASSIGN_OR_RETURN(
        Statement insert,
        conn.Prepare("INSERT INTO care_plan_requests (person_id, team, "
                     "request_id, version, fingerprint) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)"));
    insert.Bind(1, person_id)
        .Bind(2, request->team)
        .Bind(3, request->request_id)
        .Bind(4, version)
        .BindBlob(5, request->fingerprint);
    RETURN_IF_ERROR(insert.Run());
  }
  ASSIGN_OR_RETURN(Statement insert,
                   conn.Prepare("INSERT INTO care_plan_versions (person_id, "
                                "version, body) VALUES (?1, ?2, ?3)"));
  insert.Bind(1, person_id).Bind(2, version).BindBlob(3, body);
  RETURN_IF_ERROR(insert.Run());
  return SqliteEventLog::AppendLater(conn, event);
}

absl::Status SqliteCarePlanStore::RecordApplied(const FeedPosition& applied) {
  RETURN_IF_ERROR(CheckPosition(applied));
  return db_->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(bool pending, carebridge::IsPending(conn, applied));
    if (!pending) return absl::OkStatus();
    return MarkApplied(conn, applied);
  });
}

absl::StatusOr<bool> SqliteCarePlanStore::IsPending(
    const FeedPosition& position) {
  RETURN_IF_ERROR(CheckPosition(position));
  bool pending = false;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pending, carebridge::IsPending(conn, position));
    return absl::OkStatus();
  }));
  return pending;
}

absl::StatusOr<int64_t> SqliteCarePlanStore::AppliedThrough(
    absl::string_view feed) {
  int64_t cursor = 0;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(cursor, ReadConsumerCursor(conn, feed));
    return absl::OkStatus();
  }));
  return cursor;
}

absl::StatusOr<std::optional<PlanRequestRecord>>
SqliteCarePlanStore::FindRequest(absl::string_view person_id,
                                 absl::string_view team,
                                 absl::string_view request_id) {
  std::optional<PlanRequestRecord> result;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(result, SelectRequest(conn, person_id, team, request_id));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<v1::CarePlan> SqliteCarePlanStore::GetVersion(
    absl::string_view person_id, int64_t version) {
  v1::CarePlan result;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt,
                     conn.Prepare("SELECT body FROM care_plan_versions "
                                  "WHERE person_id = ?1 AND version = ?2"));
    stmt.Bind(1, person_id).Bind(2, version);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return errors::NotFound(CarePlanVersionName(person_id, version));
    ASSIGN_OR_RETURN(result, Decode(person_id, version, stmt.ColumnBlob(0)));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<std::vector<v1::CarePlan>> SqliteCarePlanStore::ListVersions(
    absl::string_view person_id, int64_t before_version, int limit) {
  if (before_version < 0 || limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("before_version (", before_version, ") and limit (", limit,
                     ") must not be negative"));
  }
  std::vector<v1::CarePlan> result;
  if (limit == 0) return result;
  const int64_t below = before_version == 0
                            ? std::numeric_limits<int64_t>::max()
                            : before_version;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("SELECT version, body FROM care_plan_versions "
                     "WHERE person_id = ?1 AND version < ?2 "
                     "ORDER BY version DESC LIMIT ?3"));
    stmt.Bind(1, person_id).Bind(2, below).Bind(3, int64_t{limit});
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(v1::CarePlan plan, Decode(person_id, stmt.ColumnInt64(0),
                                                 stmt.ColumnBlob(1)));
      result.push_back(std::move(plan));
    }
    return absl::OkStatus();
  }));
  return result;
}

}  // namespace carebridge::careplan
