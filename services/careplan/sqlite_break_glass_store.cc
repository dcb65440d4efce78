#include "services/careplan/sqlite_break_glass_store.h"

#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/careplan/careplan_events.h"
#include "services/careplan/careplan_names.h"
#include "services/common/macros.h"
#include "services/common/sqlite_event_log.h"
#include "services/common/time_util.h"

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

// FAILED_PRECONDITION: `name` has `kept` already, and is reviewed once.
absl::Status ReviewedAlready(const std::string& name,
                             const v1::BreakGlassReview& kept) {
  return absl::FailedPreconditionError(
      absl::StrCat(name, " was reviewed already by ", kept.reviewer(), " at ",
                   absl::FormatTime(absl::RFC3339_sec,
                                    FromProtoTimestamp(kept.review_time()),
                                    absl::UTCTimeZone()),
                   " (", v1::BreakGlassReview::Outcome_Name(kept.outcome()),
                   "); a review is made once"));
}

// Every read names the access's columns, then its review's (NULL when it
// has none).
constexpr char kAccessWithReview[] =
    "SELECT a.seq, a.body, r.body FROM break_glass_accesses a "
    "LEFT JOIN break_glass_reviews r ON r.seq = a.seq ";

// The access at the statement's row (kAccessWithReview's columns), with
// its review.
absl::StatusOr<v1::BreakGlassAccess> AccessAt(const Statement& stmt) {
  const int64_t seq = stmt.ColumnInt64(0);
  ASSIGN_OR_RETURN(v1::BreakGlassAccess access,
                   Decode(seq, stmt.ColumnBlob(1)));
  if (!stmt.ColumnIsNull(2) &&
      !access.mutable_review()->ParseFromString(stmt.ColumnBlob(2))) {
    return absl::InternalError(absl::StrCat(
        "break-glass access ", seq, ": stored review cannot be decoded"));
  }
  return access;
}

absl::StatusOr<v1::BreakGlassAccess> ReadAccess(Connection& conn,
                                                absl::string_view person_id,
                                                int64_t seq) {
  ASSIGN_OR_RETURN(
      Statement stmt,
      conn.Prepare(absl::StrCat(kAccessWithReview,
                                "WHERE a.seq = ?1 AND a.person_id = ?2")));
  stmt.Bind(1, seq).Bind(2, person_id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return absl::NotFoundError(absl::StrCat(
        "persons/", person_id, " has no break-glass access ", seq));
  }
  return AccessAt(stmt);
}

// The person's lead team as this transaction sees it: their plan's newest
// version's (empty when nobody leads or they have no plan). Read in the
// review's transaction, so the team told is the lead when the review
// commits: a handover committed first is seen, and one committing
// meanwhile cannot slip between this read and the commit (SQLite has one
// writer at a time; on PostgreSQL, SERIALIZABLE, one of the two fails with
// serialization_failure and PgDb runs it again after the other).
absl::StatusOr<std::string> LeadTeamNow(Connection& conn,
                                        absl::string_view person_id) {
  ASSIGN_OR_RETURN(
      Statement stmt,
      conn.Prepare("SELECT version, body FROM care_plan_versions "
                   "WHERE person_id = ?1 ORDER BY version DESC LIMIT 1"));
  stmt.Bind(1, person_id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::string();
  v1::CarePlan plan;
  if (!plan.ParseFromString(stmt.ColumnBlob(1))) {
    return absl::InternalError(
        absl::StrCat(CarePlanVersionName(person_id, stmt.ColumnInt64(0)),
                     ": stored record cannot be decoded"));
  }
  return std::move(*plan.mutable_lead_team());
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

std::string BreakGlassListSql(bool every_person, bool unreviewed_only) {
  if (unreviewed_only) {
    // The queue walked newest first (every person's by its primary key, a
    // person's by break_glass_unreviewed_by_person), each access fetched
    // by its number; none has a review. The access is a subquery, not a
    // join: as a join PostgreSQL may merge both tables in number order and
    // read every reviewed access between the unreviewed ones (1,033 rows
    // for 26 in one CI run); a subquery is only ever a lookup by number.
    return absl::StrCat(
        "SELECT u.seq, (SELECT a.body FROM break_glass_accesses a "
        "WHERE a.seq = u.seq), NULL FROM break_glass_unreviewed u "
        "WHERE u.seq < ?1",
        every_person ? "" : " AND u.person_id = ?3",
        " ORDER BY u.seq DESC LIMIT ?2");
  }
  // The person's accesses by break_glass_by_person; every person's by the
  // primary key.
  return absl::StrCat(kAccessWithReview, "WHERE a.seq < ?1",
                      every_person ? "" : " AND a.person_id = ?3",
                      " ORDER BY a.seq DESC LIMIT ?2");
}

bool SameBreakGlassReview(const v1::BreakGlassReview& a,
                          const v1::BreakGlassReview& b) {
  return a.reviewer() == b.reviewer() && a.outcome() == b.outcome() &&
         a.reason() == b.reason();
}

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
    // Awaiting review (sent with the event's round trip on PostgreSQL).
    ASSIGN_OR_RETURN(Statement queue,
                     conn.Prepare("INSERT INTO break_glass_unreviewed "
                                  "(seq, person_id) VALUES (?1, ?2)"));
    queue.Bind(1, seq).Bind(2, person_id);
    RETURN_IF_ERROR(conn.RunLater(std::move(queue)));
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

absl::StatusOr<v1::BreakGlassAccess> SqliteBreakGlassStore::Get(
    absl::string_view person_id, int64_t seq) {
  v1::BreakGlassAccess access;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(access, ReadAccess(conn, person_id, seq));
    return absl::OkStatus();
  }));
  return access;
}

absl::StatusOr<v1::BreakGlassAccess> SqliteBreakGlassStore::Review(
    absl::string_view person_id, int64_t seq,
    const v1::BreakGlassReview& review) {
  v1::BreakGlassAccess access;
  bool reviewed_now = false;
  // On PostgreSQL two concurrent reviews of one access conflict
  // (serialization_failure) and the later runs again, finding the first.
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
    reviewed_now = false;
    ASSIGN_OR_RETURN(access, ReadAccess(conn, person_id, seq));
    if (access.has_review()) {
      // Refused inside the transaction, so the call's audit record is not
      // committed with it as a success.
      return SameBreakGlassReview(access.review(), review)
                 ? absl::OkStatus()
                 : ReviewedAlready(BreakGlassAccessName(person_id, seq),
                                   access.review());
    }
    ASSIGN_OR_RETURN(Statement insert,
                     conn.Prepare("INSERT INTO break_glass_reviews (seq, body) "
                                  "VALUES (?1, ?2)"));
    insert.Bind(1, seq).BindBlob(2, review.SerializeAsString());
    RETURN_IF_ERROR(insert.Run());
    ASSIGN_OR_RETURN(
        Statement dequeue,
        conn.Prepare("DELETE FROM break_glass_unreviewed WHERE seq = ?1"));
    dequeue.Bind(1, seq);
    RETURN_IF_ERROR(conn.RunLater(std::move(dequeue)));
    *access.mutable_review() = review;
    reviewed_now = true;
    if (events_ == nullptr) return absl::OkStatus();
    ASSIGN_OR_RETURN(const std::string lead_team, LeadTeamNow(conn, person_id));
    return SqliteEventLog::AppendLater(
        conn, BreakGlassReviewedEvent(person_id, seq, access, lead_team));
  }));
  if (reviewed_now && events_ != nullptr) events_->NotifyCommitted();
  return access;
}

absl::StatusOr<std::vector<std::pair<int64_t, v1::BreakGlassAccess>>>
SqliteBreakGlassStore::List(absl::string_view person_id, int64_t before,
                            int limit, bool unreviewed_only) {
  std::vector<std::pair<int64_t, v1::BreakGlassAccess>> result;
  if (limit <= 0) return result;
  const int64_t below =
      before <= 0 ? std::numeric_limits<int64_t>::max() : before;
  const std::string sql =
      BreakGlassListSql(/*every_person=*/person_id.empty(), unreviewed_only);
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));
    stmt.Bind(1, below).Bind(2, int64_t{limit});
    if (!person_id.empty()) stmt.Bind(3, person_id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(v1::BreakGlassAccess access, AccessAt(stmt));
      result.emplace_back(stmt.ColumnInt64(0), std::move(access));
    }
    return absl::OkStatus();
  }));
  return result;
}

}  // namespace carebridge::careplan
