// SqliteRecordStore: what a person's gaps are judged on (GapInputs), with
// the open loops a change touched (GapScope), and the person's stored open
// gaps that judging compares with. Every read is an indexed range of the
// person's rows, none a walk of their whole history.

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

// The referral steps gaps are judged on: only those the rules read,
// acceptances, declines and redirects (BOUNCED, and which declines' onward
// routes are due), found by their own index (timeline_referral_answers),
// and the latest new referral (whether a decline was acted on: any
// referral made after it, so the latest one tells). A person referred
// hundreds of times has few answers of those kinds, and one latest
// referral.
absl::StatusOr<Statement> PrepareSteps(Connection& conn,
                                       const std::string& person_id) {
  static_assert(v1::REFERRAL == 1, "timeline_referral_answers names kind 1");
  // SQLite's planner prefers the primary key (it has no statistics on the
  // index's condition), so it is told.
  const char* indexed =
      conn.engine() == "sqlite" ? " INDEXED BY timeline_referral_answers" : "";
  ASSIGN_OR_RETURN(
      Statement steps,
      conn.Prepare(absl::StrCat(
          "SELECT ", kTimelineColumns, " FROM timeline", indexed,
          " WHERE person_id = ?1 AND kind = 1 AND type IN "
          "('referral.accepted', 'referral.declined', 'referral.redirected') "
          "UNION ALL SELECT * FROM (SELECT ",
          kTimelineColumns,
          " FROM timeline WHERE person_id = ?1 AND kind = 1 AND type = "
          "'referral.created' ORDER BY time_us DESC, feed_rank DESC, sequence "
          "DESC LIMIT 1) AS latest ORDER BY time_us, feed_rank, sequence")));
  steps.Bind(1, person_id);
  return steps;
}

// The person's open loops: every one, or those named.
absl::StatusOr<Statement> PrepareLoops(Connection& conn,
                                       const std::string& person_id,
                                       const GapScope& scope) {
  std::string where = "person_id = ?";
  if (!scope.all_loops) {
    absl::StrAppend(&where, " AND resource IN (", Marks(scope.loops.size()),
                    ")");
  }
  ASSIGN_OR_RETURN(
      Statement loops,
      conn.Prepare(absl::StrCat("SELECT loop FROM open_loops WHERE ", where,
                                " ORDER BY since_us, resource")));
  loops.Bind(1, person_id);
  if (!scope.all_loops) {
    int at = 2;
    for (const std::string& resource : scope.loops) loops.Bind(at++, resource);
  }
  return loops;
}

// The person's break-glass steps (accesses opened and reviewed), found by
// their own index (timeline_break_glass; SQLite is told, as it prefers the
// primary key and would walk the person's whole timeline): at a
// break-glass step or a merge, and at a plan's new version only while an
// access of theirs is unreviewed (an open gap of the kind). That condition
// is the person the read seeks, NULL (no row) without such a gap: as an
// EXISTS, SQLite walked the timeline all the same.
absl::StatusOr<Statement> PrepareBreakGlassSteps(Connection& conn,
                                                 const std::string& person_id,
                                                 const GapScope& scope) {
  static_assert(v1::BREAK_GLASS == 7 && v1::BREAK_GLASS_NOT_REVIEWED == 9,
                "the statement names kinds 7 and 9");
  std::string person = "?1";
  if (scope.break_glass == GapScope::BreakGlass::kWhileUnreviewed) {
    person = absl::StrCat(
        "(SELECT person_id FROM gaps",
        conn.engine() == "sqlite" ? " INDEXED BY gaps_current" : "",
        " WHERE person_id = ?1 AND kind = 9 AND close_us IS NULL LIMIT 1)");
  }
  ASSIGN_OR_RETURN(
      Statement steps,
      conn.Prepare(absl::StrCat(
          "SELECT ", kTimelineColumns, " FROM timeline",
          conn.engine() == "sqlite" ? " INDEXED BY timeline_break_glass" : "",
          " WHERE person_id = ", person,
          " AND kind = 7 ORDER BY time_us, feed_rank, "
          "sequence")));
  steps.Bind(1, person_id);
  return steps;
}

// Which of the plan's teams are crisis teams: as the care plan service
// stamped each on the version (so the judgement does not depend on whether
// the directory's feed was read first, and a rebuild judges as the live
// record did), or for a member of a version written before stamping, as
// the directory's feed last said (one statement for them all).
absl::Status ReadCrisisTeams(Connection& conn, const v1::CareSummary& plan,
                             absl::flat_hash_set<std::string>& crisis_teams) {
  std::vector<const std::string*> unstamped;
  for (const v1::CareTeamMember& member : plan.care_team()) {
    if (member.sector() == directory::v1::SECTOR_UNSPECIFIED) {
      unstamped.push_back(&member.team());
    } else if (member.sector() == directory::v1::CRISIS) {
      crisis_teams.insert(member.team());
    }
  }
  if (unstamped.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(
      Statement select,
      conn.Prepare(absl::StrCat("SELECT team FROM teams WHERE sector = ? AND "
                                "team IN (",
                                Marks(unstamped.size()), ")")));
  select.Bind(1, static_cast<int64_t>(directory::v1::CRISIS));
  int at = 2;
  for (const std::string* team : unstamped) select.Bind(at++, *team);
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
  ASSIGN_OR_RETURN(Statement steps, PrepareSteps(conn, person_id));
  reads.push_back(&steps);
  std::optional<Statement> loops;
  if (scope.all_loops || !scope.loops.empty()) {
    ASSIGN_OR_RETURN(loops, PrepareLoops(conn, person_id, scope));
    reads.push_back(&*loops);
  }
  std::optional<Statement> break_glass;
  if (scope.break_glass != GapScope::BreakGlass::kNo) {
    ASSIGN_OR_RETURN(break_glass,
                     PrepareBreakGlassSteps(conn, person_id, scope));
    reads.push_back(&*break_glass);
  }
  ASSIGN_OR_RETURN(Statement plan,
                   conn.Prepare("SELECT summary, unagreed_since_us, "
                                "no_lead_since_us, former_lead FROM plans "
                                "WHERE person_id = ?"));
  plan.Bind(1, person_id);
  reads.push_back(&plan);
  reads.push_back(&also);
  RETURN_IF_ERROR(conn.Fetch(reads));
  while (true) {
    ASSIGN_OR_RETURN(bool row, steps.Step());
    if (!row) break;
    in.referral_steps.push_back(RowFrom(steps));
  }
  while (break_glass.has_value()) {
    ASSIGN_OR_RETURN(bool row, break_glass->Step());
    if (!row) break;
    in.break_glass_steps.push_back(RowFrom(*break_glass));
  }
  while (loops.has_value()) {
    ASSIGN_OR_RETURN(bool row, loops->Step());
    if (!row) break;
    if (!in.open_loops.emplace_back().ParseFromString(loops->ColumnBlob(0))) {
      return absl::DataLossError("record: a stored open loop is corrupt");
    }
  }
  ASSIGN_OR_RETURN(bool row, plan.Step());
  if (!row) return in;
  in.plan.emplace();
  if (!in.plan->ParseFromString(plan.ColumnBlob(0))) {
    return absl::DataLossError("record: a stored care plan is corrupt");
  }
  if (!plan.ColumnIsNull(1)) {
    in.unagreed_since = absl::FromUnixMicros(plan.ColumnInt64(1));
  }
  if (!plan.ColumnIsNull(2)) {
    in.no_lead_since = absl::FromUnixMicros(plan.ColumnInt64(2));
  }
  if (!plan.ColumnIsNull(3)) in.former_lead = plan.ColumnText(3);
  // Only a plan without a crisis plan asks which of its teams are crisis
  // teams (NO_CRISIS_PLAN).
  if (in.plan->care_plan_version() > 0 && !in.plan->has_crisis_plan()) {
    RETURN_IF_ERROR(ReadCrisisTeams(conn, *in.plan, in.crisis_teams));
  }
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
  if (scope.all_loops) {
    branches.push_back(open);
  } else {
    // One indexed range per part: every kind but overdue answers (each side
    // of it in gaps_current (person_id, kind, subject)), the overdue answers
    // of the loops named, and those not yet announced whose threshold
    // passed (gaps_due_by_person). On PostgreSQL one statement ORing them
    // walked every open gap of the person; SQLite's planner, without
    // statistics, walks the primary key unless told.
    static_assert(v1::ANSWER_OVERDUE == 3, "the ranges split at kind 3");
    const bool sqlite = conn.engine() == "sqlite";
    const std::string by_kind =
        absl::StrCat("SELECT ", kGapColumns, " FROM gaps g",
                     sqlite ? " INDEXED BY gaps_current" : "",
                     " WHERE g.person_id = ?1 AND g.close_us IS NULL");
    branches.push_back(absl::StrCat(by_kind, " AND g.kind < 3"));
    branches.push_back(absl::StrCat(by_kind, " AND g.kind > 3"));
    for (size_t i = 0; i < scope.loops.size(); ++i) {
      branches.push_back(
          absl::StrCat(by_kind, " AND g.kind = 3 AND g.subject = ?", i + 3));
    }
    branches.push_back(absl::StrCat(
        "SELECT ", kGapColumns, " FROM gaps g",
        sqlite ? " INDEXED BY gaps_due_by_person" : "",
        " WHERE g.person_id = ?1 AND g.announced = 0 AND g.close_us IS NULL "
        "AND g.open_us <= ?2"));
  }
  ASSIGN_OR_RETURN(Statement select,
                   conn.Prepare(absl::StrJoin(branches, " UNION ALL ")));
  select.Bind(1, person_id);
  if (scope.all_loops) return select;
  select.Bind(2, absl::ToUnixMicros(now));
  int at = 3;
  for (const std::string& resource : scope.loops) select.Bind(at++, resource);
  return select;
}

}  // namespace carebridge::record
