// SqliteRecordStore: what a person's gaps are judged on (GapInputs), read
// for the kinds a change may alter (GapScope), and the person's stored open
// gaps that judging compares with.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "services/common/macros.h"
#include "services/record/sqlite_record_rows.h"

namespace carebridge::record {
namespace {

// `?, ?, ...`: `n` placeholders.
std::string Marks(size_t n) {
  std::vector<std::string> marks(n, "?");
  return absl::StrJoin(marks, ", ");
}

// The referral steps gaps are judged on. Every step, with everything in
// scope; otherwise only those the rules read: acceptances, declines and
// redirects (BOUNCED, and which declines' onward routes are due), found by
// their own index (timeline_referral_answers), and the latest new referral
// (whether a decline was acted on: any referral made after it, so the
// latest one tells). A person referred hundreds of times has few answers
// of those kinds, and one latest referral.
absl::StatusOr<Statement> PrepareSteps(Connection& conn,
                                       const std::string& person_id,
                                       bool every_step) {
  static_assert(v1::REFERRAL == 1, "timeline_referral_answers names kind 1");
  std::string sql;
  if (every_step) {
    sql = absl::StrCat("SELECT ", kTimelineColumns,
                       " FROM timeline WHERE person_id = ?1 AND kind = 1");
  } else {
    // SQLite's planner prefers the primary key (it has no statistics on
    // the index's condition), so it is told.
    const char* indexed = conn.engine() == "sqlite"
                              ? " INDEXED BY timeline_referral_answers"
                              : "";
    sql = absl::StrCat(
        "SELECT ", kTimelineColumns, " FROM timeline", indexed,
        " WHERE person_id = ?1 AND kind = 1 AND type IN "
        "('referral.accepted', 'referral.declined', 'referral.redirected') "
        "UNION ALL SELECT * FROM (SELECT ",
        kTimelineColumns,
        " FROM timeline WHERE person_id = ?1 AND kind = 1 AND type = "
        "'referral.created' ORDER BY time_us DESC, feed_rank DESC, sequence "
        "DESC LIMIT 1) AS latest");
  }
  ASSIGN_OR_RETURN(Statement steps,
                   conn.Prepare(absl::StrCat(
                       sql, " ORDER BY time_us, feed_rank, sequence")));
  steps.Bind(1, person_id);
  return steps;
}

// The person's open loops: every one, or those named.
absl::StatusOr<Statement> PrepareLoops(Connection& conn,
                                       const std::string& person_id,
                                       const GapScope& scope) {
  std::string where = "person_id = ?";
  if (!scope.all) {
    absl::StrAppend(&where, " AND resource IN (", Marks(scope.loops.size()),
                    ")");
  }
  ASSIGN_OR_RETURN(
      Statement loops,
      conn.Prepare(absl::StrCat("SELECT loop FROM open_loops WHERE ", where,
                                " ORDER BY since_us, resource")));
  loops.Bind(1, person_id);
  if (!scope.all) {
    int at = 2;
    for (const std::string& resource : scope.loops) loops.Bind(at++, resource);
  }
  return loops;
}

// Which of `plan`'s care team are crisis teams (directory sector CRISIS):
// one statement for them all.
absl::Status ReadCrisisTeams(Connection& conn, const v1::CareSummary& plan,
                             absl::flat_hash_set<std::string>& crisis_teams) {
  if (plan.care_team().empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(
      Statement select,
      conn.Prepare(absl::StrCat("SELECT team FROM teams WHERE sector = ? AND "
                                "team IN (",
                                Marks(plan.care_team_size()), ")")));
  select.Bind(1, static_cast<int64_t>(directory::v1::CRISIS));
  int at = 2;
  for (const v1::CareTeamMember& member : plan.care_team()) {
    select.Bind(at++, member.team());
  }
  while (true) {
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return absl::OkStatus();
    crisis_teams.insert(select.ColumnText(0));
  }
}

}  // namespace

absl::StatusOr<GapInputs> ReadGapInputs(Connection& conn,
                                        const std::string& person_id,
                                        const GapScope& scope,
                                        Statement& also) {
  GapInputs in;
  in.person_id = person_id;
  std::vector<Statement*> reads;
  std::optional<Statement> steps;
  if (scope.all || scope.referral_steps) {
    ASSIGN_OR_RETURN(steps, PrepareSteps(conn, person_id, scope.all));
    reads.push_back(&*steps);
  }
  std::optional<Statement> loops;
  if (scope.all || !scope.loops.empty()) {
    ASSIGN_OR_RETURN(loops, PrepareLoops(conn, person_id, scope));
    reads.push_back(&*loops);
  }
  std::optional<Statement> plan;
  if (scope.all || scope.plan) {
    ASSIGN_OR_RETURN(plan, conn.Prepare("SELECT summary, unagreed_since_us, "
                                        "no_lead_since_us FROM plans WHERE "
                                        "person_id = ?"));
    plan->Bind(1, person_id);
    reads.push_back(&*plan);
  }
  reads.push_back(&also);
  RETURN_IF_ERROR(conn.Fetch(reads));
  while (steps.has_value()) {
    ASSIGN_OR_RETURN(bool row, steps->Step());
    if (!row) break;
    in.referral_steps.push_back(RowFrom(*steps));
  }
  while (loops.has_value()) {
    ASSIGN_OR_RETURN(bool row, loops->Step());
    if (!row) break;
    if (!in.open_loops.emplace_back().ParseFromString(loops->ColumnBlob(0))) {
      return absl::DataLossError("record: a stored open loop is corrupt");
    }
  }
  if (!plan.has_value()) return in;
  ASSIGN_OR_RETURN(bool row, plan->Step());
  if (!row) return in;
  in.plan.emplace();
  if (!in.plan->ParseFromString(plan->ColumnBlob(0))) {
    return absl::DataLossError("record: a stored care plan is corrupt");
  }
  if (!plan->ColumnIsNull(1)) {
    in.unagreed_since = absl::FromUnixMicros(plan->ColumnInt64(1));
  }
  if (!plan->ColumnIsNull(2)) {
    in.no_lead_since = absl::FromUnixMicros(plan->ColumnInt64(2));
  }
  RETURN_IF_ERROR(ReadCrisisTeams(conn, *in.plan, in.crisis_teams));
  return in;
}

absl::StatusOr<Statement> PrepareOpenGaps(Connection& conn,
                                          const std::string& person_id,
                                          const GapScope& scope,
                                          absl::Time now) {
  const std::string open = absl::StrCat(
      "SELECT ", kGapColumns,
      " FROM gaps g WHERE g.person_id = ?1 AND g.close_us IS NULL");
  std::vector<std::string> branches;
  if (scope.all) {
    branches.push_back(open);
  } else {
    // One branch per part of the scope, each a range of gaps_current
    // (person_id, kind, subject): on PostgreSQL a single statement ORing
    // them walked every open gap of the person.
    static_assert(v1::BOUNCED == 1 && v1::ONWARD_ROUTE_NOT_TAKEN == 2 &&
                      v1::ANSWER_OVERDUE == 3 && v1::PLAN_NOT_AGREED == 4 &&
                      v1::JOIN_NOT_REVIEWED == 8 && v1::GapKind_ARRAYSIZE == 9,
                  "the kinds judged on the referral steps are 1 and 2, on "
                  "the plan 4 to 8");
    if (scope.referral_steps) {
      branches.push_back(absl::StrCat(open, " AND g.kind BETWEEN 1 AND 2"));
    }
    if (scope.plan) {
      branches.push_back(absl::StrCat(open, " AND g.kind BETWEEN 4 AND 8"));
    }
    for (size_t i = 0; i < scope.loops.size(); ++i) {
      branches.push_back(
          absl::StrCat(open, " AND g.kind = 3 AND g.subject = ?", i + 3));
    }
    branches.push_back(
        absl::StrCat(open, " AND g.announced = 0 AND g.open_us <= ?2"));
  }
  ASSIGN_OR_RETURN(Statement select,
                   conn.Prepare(absl::StrJoin(branches, " UNION ALL ")));
  select.Bind(1, person_id);
  if (scope.all) return select;
  select.Bind(2, absl::ToUnixMicros(now));
  int at = 3;
  for (const std::string& resource : scope.loops) select.Bind(at++, resource);
  return select;
}

}  // namespace carebridge::record
