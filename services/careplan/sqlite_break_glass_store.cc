#include "services/careplan/sqlite_break_glass_store.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "services/careplan/careplan_events.h"
#include "services/common/macros.h"
#include "services/common/sqlite_event_log.h"

namespace carebridge::careplan {
namespace {

absl::StatusOr<v1::BreakGlassAccess> Decode(int64_t seq,
                                            const std::string& body) {
  v1::BreakGlassAccess access;
  if (!access.ParseFromString(body)) {
    return absl::InternalError(absl::StrCat(
        "break-glass access ", seq, ": stored record cannot be decoded"));
  }
  return access;
}

// The next access's number. Updating break_glass_head's one row holds it
// until the transaction ends: on PostgreSQL a concurrent access waits, then
// (its SERIALIZABLE snapshot older than the change) fails with
// serialization_failure and PgDb runs its write again after this one
// committed, so no number is skipped or seen before a smaller one. It is
// taken before the event is appended: every writer locks break_glass_head
// before the outbox's feed_head, so two never deadlock.
absl::StatusOr<int64_t> TakeNumber(Connection& conn) {
  ASSIGN_OR_RETURN(
      Statement next,
      conn.Prepare("UPDATE break_glass_head SET seq = seq + 1 RETURNING seq"));
  ASSIGN_OR_RETURN(bool row, next.Step());
  if (!row) return absl::InternalError("break_glass_head has no row");
  const int64_t seq = next.ColumnInt64(0);
  // To completion, so the statement is done before the caller's next.
  RETURN_IF_ERROR(next.Run());
  return seq;
}

}  // namespace

absl::StatusOr<int64_t> SqliteBreakGlassStore::Insert(
    absl::string_view person_id, const v1::BreakGlassAccess& access) {
  v1::BreakGlassAccess stored = access;
  stored.clear_name();
  stored.clear_crisis_plan();
  const std::string body = stored.SerializeAsString();
  int64_t seq = 0;
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(seq, TakeNumber(conn));
    ASSIGN_OR_RETURN(Statement insert,
                     conn.Prepare("INSERT INTO break_glass_accesses "
                                  "(seq, person_id, member, body) VALUES "
                                  "(?1, ?2, ?3, ?4)"));
    insert.Bind(1, seq)
        .Bind(2, person_id)
        .Bind(3, access.member())
        .BindBlob(4, body);
    RETURN_IF_ERROR(insert.Run());
    if (events_ == nullptr) return absl::OkStatus();
    return SqliteEventLog::AppendLater(conn,
                                       BreakGlassEvent(person_id, seq, access));
  }));
  if (events_ != nullptr) events_->NotifyCommitted();
  return seq;
}

absl::StatusOr<std::optional<v1::BreakGlassAccess>>
SqliteBreakGlassStore::Latest(absl::string_view person_id,
                              absl::string_view member) {
  std::optional<v1::BreakGlassAccess> result;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt,
                     conn.Prepare("SELECT seq, body FROM break_glass_accesses "
                                  "WHERE person_id = ?1 AND member = ?2 "
                                  "ORDER BY seq DESC LIMIT 1"));
    stmt.Bind(1, person_id).Bind(2, member);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return absl::OkStatus();
    ASSIGN_OR_RETURN(result, Decode(stmt.ColumnInt64(0), stmt.ColumnBlob(1)));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<std::vector<std::pair<int64_t, v1::BreakGlassAccess>>>
SqliteBreakGlassStore::List(absl::string_view person_id, int64_t before,
                            int limit) {
  std::vector<std::pair<int64_t, v1::BreakGlassAccess>> result;
  if (limit <= 0) return result;
  const int64_t below =
      before <= 0 ? std::numeric_limits<int64_t>::max() : before;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt,
                     conn.Prepare("SELECT seq, body FROM break_glass_accesses "
                                  "WHERE person_id = ?1 AND seq < ?2 "
                                  "ORDER BY seq DESC LIMIT ?3"));
    stmt.Bind(1, person_id).Bind(2, below).Bind(3, int64_t{limit});
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      const int64_t seq = stmt.ColumnInt64(0);
      ASSIGN_OR_RETURN(v1::BreakGlassAccess access,
                       Decode(seq, stmt.ColumnBlob(1)));
      result.emplace_back(seq, std::move(access));
    }
    return absl::OkStatus();
  }));
  return result;
}

}  // namespace carebridge::careplan
