#include "services/careplan/sqlite_sharing_store.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/careplan/careplan_events.h"
#include "services/careplan/careplan_names.h"
#include "services/common/macros.h"
#include "services/common/sqlite_event_log.h"

namespace carebridge::careplan {
namespace {

absl::StatusOr<v1::SharingChoices> Decode(absl::string_view person_id,
                                          int64_t version,
                                          const std::string& body) {
  v1::SharingChoices choices;
  if (!choices.ParseFromString(body) || choices.version() != version) {
    return absl::InternalError(
        absl::StrCat(SharingChoicesName(person_id), " version ", version,
                     ": stored record cannot be decoded"));
  }
  return choices;
}

}  // namespace

absl::StatusOr<std::optional<v1::SharingChoices>>
SqliteSharingStore::GetCurrent(absl::string_view person_id) {
  std::optional<v1::SharingChoices> result;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("SELECT version, body FROM sharing_choice_versions "
                     "WHERE person_id = ?1 ORDER BY version DESC LIMIT 1"));
    stmt.Bind(1, person_id);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return absl::OkStatus();
    ASSIGN_OR_RETURN(
        result, Decode(person_id, stmt.ColumnInt64(0), stmt.ColumnBlob(1)));
    return absl::OkStatus();
  }));
  return result;
}

absl::Status SqliteSharingStore::Append(absl::string_view person_id,
                                        const v1::SharingChoices& choices,
                                        const std::vector<std::string>& teams) {
  if (person_id.empty()) {
    return absl::InvalidArgumentError("person_id: must be set");
  }
  v1::SharingChoices stored = choices;
  stored.clear_name();
  stored.clear_etag();
  stored.clear_effective();
  const std::string body = stored.SerializeAsString();
  const events::v1::Event event =
      SharingChangedEvent(person_id, choices, teams);
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement newest,
        conn.Prepare("SELECT version FROM sharing_choice_versions "
                     "WHERE person_id = ?1 ORDER BY version DESC LIMIT 1"));
    newest.Bind(1, person_id);
    ASSIGN_OR_RETURN(bool row, newest.Step());
    const int64_t current = row ? newest.ColumnInt64(0) : 0;
    if (choices.version() != current + 1) {
      return absl::AbortedError(absl::StrCat(
          SharingChoicesName(person_id), ": cannot append version ",
          choices.version(), "; the choices are at version ", current));
    }
    ASSIGN_OR_RETURN(
        Statement insert,
        conn.Prepare("INSERT INTO sharing_choice_versions (person_id, "
                     "version, body) VALUES (?1, ?2, ?3)"));
    insert.Bind(1, person_id).Bind(2, choices.version()).BindBlob(3, body);
    RETURN_IF_ERROR(insert.Run());
    if (events_ == nullptr) return absl::OkStatus();
    return SqliteEventLog::AppendLater(conn, event);
  }));
  if (events_ != nullptr) events_->NotifyCommitted();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::SharingChoices>>
SqliteSharingStore::ListVersions(absl::string_view person_id,
                                 int64_t before_version, int limit) {
  std::vector<v1::SharingChoices> result;
  if (limit <= 0) return result;
  const int64_t below = before_version <= 0
                            ? std::numeric_limits<int64_t>::max()
                            : before_version;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("SELECT version, body FROM sharing_choice_versions "
                     "WHERE person_id = ?1 AND version < ?2 "
                     "ORDER BY version DESC LIMIT ?3"));
    stmt.Bind(1, person_id).Bind(2, below).Bind(3, int64_t{limit});
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(
          v1::SharingChoices choices,
          Decode(person_id, stmt.ColumnInt64(0), stmt.ColumnBlob(1)));
      result.push_back(std::move(choices));
    }
    return absl::OkStatus();
  }));
  return result;
}

}  // namespace carebridge::careplan
