// SqliteRecordStore: the care gaps, kept in line with the record as each
// event is applied (ReconcileGaps), announced once their threshold passes
// (AnnounceDueGaps), and listed (ListGaps).

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/macros.h"
#include "services/common/time_util.h"
#include "services/record/sqlite_record_rows.h"
#include "services/record/sqlite_record_store.h"

namespace carebridge::record {
namespace {

std::string CloseReason(v1::GapKind kind) {
  switch (kind) {
    case v1::BOUNCED:
      return "a referral was accepted";
    case v1::ONWARD_ROUTE_NOT_TAKEN:
      return "a new referral was made";
    case v1::ANSWER_OVERDUE:
      return "answered";
    case v1::PLAN_NOT_AGREED:
      return "the person agreed the plan";
    case v1::REVIEW_OVERDUE:
      return "the review date changed";
    case v1::NO_CRISIS_PLAN:
      return "a crisis plan was written, or no crisis team is involved";
    case v1::NO_LEAD:
      return "a team leads the care again";
    case v1::JOIN_NOT_REVIEWED:
      return "the join was reviewed, or the team left the care team";
    case v1::BREAK_GLASS_NOT_REVIEWED:
      return "the access was reviewed";
    default:
      return "its cause went";
  }
}

// Whether stored `key` is the gap `base` (GapKey) names: itself, or, when
// the same cause came back after a gap closed, `{base}-{n}`.
bool IsGap(absl::string_view key, absl::string_view base) {
  return key == base ||
         (key.size() > base.size() + 1 && absl::StartsWith(key, base) &&
          key[base.size()] == '-');
}

// Lists the gap under each of its teams (one statement for them all).
absl::Status LinkGapTeams(Connection& conn, const std::string& person_id,
                          const std::string& key, int64_t open_us,
                          const std::vector<std::string>& teams) {
  if (teams.empty()) return absl::OkStatus();
  std::string sql =
      "INSERT INTO gap_teams (team, open_us, person_id, key) VALUES ";
  for (size_t i = 0; i < teams.size(); ++i) {
    absl::StrAppend(&sql, i == 0 ? "" : ", ", "(?, ?, ?, ?)");
  }
  absl::StrAppend(&sql,
                  " ON CONFLICT (team, open_us, person_id, key) DO NOTHING");
  ASSIGN_OR_RETURN(Statement link, conn.Prepare(sql));
  int at = 1;
  for (const std::string& team : teams) {
    link.Bind(at, team)
        .Bind(at + 1, open_us)
        .Bind(at + 2, person_id)
        .Bind(at + 3, key);
    at += 4;
  }
  return conn.RunLater(std::move(link));
}

void BindGap(Statement& insert, const std::string& person_id,
             const std::string& key, const WantedGap& gap, bool announced) {
  insert.Bind(1, person_id)
      .Bind(2, key)
      .Bind(3, static_cast<int64_t>(gap.kind))
      .Bind(4, gap.subject)
      .Bind(5, gap.detail)
      .Bind(6, absl::ToUnixMicros(gap.open_time))
      .BindNull(7)
      .Bind(8, std::string())
      .Bind(9, JoinTeams(gap.teams))
      .Bind(10, static_cast<int64_t>(announced));
}

constexpr char kGapInsertColumns[] =
    "person_id, key, kind, subject, detail, open_us, close_us, close_reason, "
    "teams, announced";

absl::Status InsertGap(Connection& conn, const std::string& person_id,
                       const std::string& key, const WantedGap& gap,
                       bool announced) {
  ASSIGN_OR_RETURN(
      Statement insert,
      conn.Prepare(UpsertSql("gaps", kGapInsertColumns, "person_id, key")));
  BindGap(insert, person_id, key, gap, announced);
  RETURN_IF_ERROR(insert.Run());
  return LinkGapTeams(conn, person_id, key, absl::ToUnixMicros(gap.open_time),
                      gap.teams);
}

// Inserts `gap` as a new gap of the person under the first key FreshGapKey
// would give (`base`, `{base}-2`, ...), found by inserting rather than by
// reading first: one statement when `base` is free, as it nearly always is.
absl::StatusOr<std::string> InsertNewGap(Connection& conn,
                                         const std::string& person_id,
                                         const std::string& base,
                                         const WantedGap& gap, bool announced) {
  std::string key = base;
  for (int n = 2;; ++n) {
    ASSIGN_OR_RETURN(
        Statement insert,
        conn.Prepare(absl::StrCat(
            "INSERT INTO gaps (", kGapInsertColumns,
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (person_id, "
            "key) DO NOTHING")));
    BindGap(insert, person_id, key, gap, announced);
    RETURN_IF_ERROR(insert.Run());
    if (conn.Changes() == 1) break;
    key = absl::StrCat(base, "-", n);
  }
  RETURN_IF_ERROR(LinkGapTeams(conn, person_id, key,
                               absl::ToUnixMicros(gap.open_time), gap.teams));
  return key;
}

absl::Status MarkAnnounced(Connection& conn, const std::string& person_id,
                           const std::string& key) {
  ASSIGN_OR_RETURN(Statement update,
                   conn.Prepare("UPDATE gaps SET announced = 1 WHERE "
                                "person_id = ? AND key = ?"));
  update.Bind(1, person_id).Bind(2, key);
  return update.Run();
}

absl::Status DropGap(Connection& conn, const std::string& person_id,
                     const std::string& key) {
  ASSIGN_OR_RETURN(Statement remove,
                   conn.Prepare("DELETE FROM gaps WHERE person_id = ? AND "
                                "key = ?"));
  remove.Bind(1, person_id).Bind(2, key);
  RETURN_IF_ERROR(remove.Run());
  ASSIGN_OR_RETURN(Statement unlink,
                   conn.Prepare("DELETE FROM gap_teams WHERE person_id = ? "
                                "AND key = ?"));
  unlink.Bind(1, person_id).Bind(2, key);
  return unlink.Run();
}

v1::CareGap GapFrom(const Statement& select) {
  // person_id, key, kind, subject, detail, open_us, close_us, close_reason,
  // teams
  v1::CareGap gap;
  const std::string person_id = select.ColumnText(0);
  gap.set_name(
      absl::StrCat("persons/", person_id, "/careGaps/", select.ColumnText(1)));
  gap.set_person(absl::StrCat("persons/", person_id));
  gap.set_kind(static_cast<v1::GapKind>(select.ColumnInt64(2)));
  gap.set_subject(select.ColumnText(3));
  gap.set_detail(select.ColumnText(4));
  *gap.mutable_open_time() =
      ToProtoTimestamp(absl::FromUnixMicros(select.ColumnInt64(5)));
  if (!select.ColumnIsNull(6)) {
    *gap.mutable_close_time() =
        ToProtoTimestamp(absl::FromUnixMicros(select.ColumnInt64(6)));
  }
  gap.set_close_reason(select.ColumnText(7));
  for (const std::string& team : SplitTeams(select.ColumnText(8))) {
    gap.add_teams(team);
  }
  return gap;
}

v1::CareGap GapOf(const std::string& person_id, const std::string& key,
                  const WantedGap& wanted) {
  v1::CareGap gap;
  gap.set_name(absl::StrCat("persons/", person_id, "/careGaps/", key));
  gap.set_person(absl::StrCat("persons/", person_id));
  gap.set_kind(wanted.kind);
  gap.set_subject(wanted.subject);
  gap.set_detail(wanted.detail);
  *gap.mutable_open_time() = ToProtoTimestamp(wanted.open_time);
  for (const std::string& team : wanted.teams) gap.add_teams(team);
  return gap;
}

// Puts a gap's opening or closing in each of its teams' inboxes.
void NotifyGap(std::vector<InboxNote>& inbox, const std::string& type,
               const v1::CareGap& gap, absl::Time time) {
  for (const std::string& team : gap.teams()) {
    InboxNote note;
    note.type = type;
    note.item.set_team(team);
    note.item.set_person(gap.person());
    note.item.set_resource(gap.name());
    note.item.set_summary(gap.detail());
    *note.item.mutable_time() = ToProtoTimestamp(time);
    inbox.push_back(std::move(note));
  }
}

}  // namespace

absl::StatusOr<std::string> FreshGapKey(Connection& conn,
                                        const std::string& person_id,
                                        const std::string& base) {
  std::string key = base;
  for (int n = 2;; ++n) {
    ASSIGN_OR_RETURN(Statement taken,
                     conn.Prepare("SELECT 1 FROM gaps WHERE person_id = ? AND "
                                  "key = ?"));
    taken.Bind(1, person_id).Bind(2, key);
    ASSIGN_OR_RETURN(bool row, taken.Step());
    if (!row) return key;
    key = absl::StrCat(base, "-", n);
  }
}

absl::StatusOr<int> SqliteRecordStore::AnnounceDueGaps(absl::Time now) {
  // In transactions of a bounded size, so the consumers' writes go on
  // between them.
  constexpr int kPerTransaction = 200;
  int total = 0;
  while (true) {
    int announced = 0;
    RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
      announced = 0;
      ASSIGN_OR_RETURN(
          Statement select,
          conn.Prepare(absl::StrCat(
              "SELECT ", kGapColumns,
              " FROM gaps g WHERE g.announced = 0 AND g.close_us IS NULL AND "
              "g.open_us <= ? ORDER BY g.open_us LIMIT ?")));
      select.Bind(1, absl::ToUnixMicros(now))
          .Bind(2, static_cast<int64_t>(kPerTransaction));
      struct Due {
        std::string person_id;
        std::string key;
        v1::CareGap gap;
      };
      std::vector<Due> due;
      while (true) {
        ASSIGN_OR_RETURN(bool row, select.Step());
        if (!row) break;
        due.push_back(
            {select.ColumnText(0), select.ColumnText(1), GapFrom(select)});
      }
      std::vector<InboxNote> inbox;
      for (const Due& one : due) {
        RETURN_IF_ERROR(MarkAnnounced(conn, one.person_id, one.key));
        NotifyGap(inbox, "inbox.gap_opened", one.gap, now);
      }
      RETURN_IF_ERROR(AppendInbox(conn, inbox, now));
      announced = static_cast<int>(due.size());
      return absl::OkStatus();
    }));
    if (announced > 0) event_log_.NotifyCommitted();
    total += announced;
    if (announced < kPerTransaction) return total;
  }
}

absl::Status SqliteRecordStore::ReconcileGaps(Connection& conn,
                                              const std::string& person_id,
                                              const GapScope& scope,
                                              absl::Time time,
                                              std::vector<InboxNote>& inbox,
                                              absl::string_view close_reason) {
  // The person's open gaps, read with the inputs (one round trip).
  ASSIGN_OR_RETURN(Statement select,
                   PrepareOpenGaps(conn, person_id, scope, time));
  ASSIGN_OR_RETURN(GapInputs inputs,
                   ReadGapInputs(conn, person_id, scope, select));
  std::vector<WantedGap> wanted = WantedGaps(inputs, settings_);
  wanted.erase(std::remove_if(wanted.begin(), wanted.end(),
                              [&](const WantedGap& gap) {
                                return !scope.Covers(gap.kind, gap.subject);
                              }),
               wanted.end());
  std::vector<bool> present(wanted.size(), false);
  // Each wanted gap's key (GapKey), once, and where each key is wanted: a
  // person with many referrals has many gaps wanted and stored, and
  // matching every stored gap against every wanted one made applying an
  // event quadratic in them.
  std::vector<std::string> wanted_keys;
  wanted_keys.reserve(wanted.size());
  absl::flat_hash_map<std::string, std::vector<size_t>> wanted_at;
  for (size_t i = 0; i < wanted.size(); ++i) {
    wanted_keys.push_back(GapKey(wanted[i]));
    wanted_at[wanted_keys.back()].push_back(i);
  }
  // The wanted gaps stored `key` is (IsGap), in order: those whose key is
  // the stored key or any part of it before a dash (`{base}-{n}`, and a
  // gap moved by a merge onto a taken key, `{base}-{n}-{m}`).
  auto wanted_as = [&](absl::string_view key) {
    std::vector<size_t> found;
    for (size_t end = key.size(); end != absl::string_view::npos && end > 0;
         end = key.rfind('-', end - 1)) {
      auto at = wanted_at.find(key.substr(0, end));
      if (at == wanted_at.end()) continue;
      for (size_t i : at->second) {
        if (IsGap(key, wanted_keys[i])) found.push_back(i);
      }
    }
    std::sort(found.begin(), found.end());
    return found;
  };
  struct Current {
    v1::CareGap gap;
    std::string key;
    int64_t open_us;
    bool announced;
  };
  std::vector<Current> current;
  absl::flat_hash_set<std::string> read;
  while (true) {
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    // A gap both covered and due comes twice (PrepareOpenGaps).
    if (!read.insert(select.ColumnText(1)).second) continue;
    current.push_back({GapFrom(select), select.ColumnText(1),
                       select.ColumnInt64(5), select.ColumnInt64(9) != 0});
  }
  const int64_t now_us = absl::ToUnixMicros(time);
  for (const Current& gap : current) {
    if (!scope.Covers(gap.gap.kind(), gap.gap.subject())) {
      // What it is judged on did not change, so it is as judged before,
      // and it was read because its threshold passed: announced now, as
      // judging everything would.
      if (!gap.announced && gap.open_us <= now_us) {
        RETURN_IF_ERROR(MarkAnnounced(conn, person_id, gap.key));
        NotifyGap(inbox, "inbox.gap_opened", gap.gap, time);
      }
      continue;
    }
    bool still = false;
    for (size_t i : wanted_as(gap.key)) {
      if (present[i]) continue;
      present[i] = true;
      still = true;
      // The same gap: keep its detail and teams current (rewritten only
      // when they changed); announce it once its threshold has passed.
      const bool open_now = gap.open_us <= now_us;
      const bool same =
          gap.gap.detail() == wanted[i].detail &&
          std::equal(gap.gap.teams().begin(), gap.gap.teams().end(),
                     wanted[i].teams.begin(), wanted[i].teams.end());
      if (!same) {
        RETURN_IF_ERROR(DropGap(conn, person_id, gap.key));
        RETURN_IF_ERROR(InsertGap(conn, person_id, gap.key, wanted[i],
                                  gap.announced || open_now));
      } else if (!gap.announced && open_now) {
        RETURN_IF_ERROR(MarkAnnounced(conn, person_id, gap.key));
      }
      if (!gap.announced && open_now) {
        NotifyGap(inbox, "inbox.gap_opened",
                  GapOf(person_id, gap.key, wanted[i]), time);
      } else if (gap.announced && !same) {
        // Open and said so to its teams then; a team it is now on the list
        // of besides (one more referrer of a bounced person, a new lead or
        // care team member) is told it is open.
        WantedGap joined = wanted[i];
        joined.teams.clear();
        for (const std::string& team : wanted[i].teams) {
          if (std::find(gap.gap.teams().begin(), gap.gap.teams().end(), team) ==
              gap.gap.teams().end()) {
            joined.teams.push_back(team);
          }
        }
        NotifyGap(inbox, "inbox.gap_opened", GapOf(person_id, gap.key, joined),
                  time);
      }
    }
    if (still) continue;
    if (gap.open_us > now_us && !gap.announced) {
      // It never opened: nothing to keep. (One already announced, judged
      // open when another feed was further on, is closed like any other,
      // so every gap_opened item has its gap_closed.)
      RETURN_IF_ERROR(DropGap(conn, person_id, gap.key));
      continue;
    }
    const std::string why = close_reason.empty() ? CloseReason(gap.gap.kind())
                                                 : std::string(close_reason);
    ASSIGN_OR_RETURN(Statement close,
                     conn.Prepare("UPDATE gaps SET close_us = ?, "
                                  "close_reason = ?, announced = 1 WHERE "
                                  "person_id = ? AND key = ?"));
    close.Bind(1, std::max(now_us, gap.open_us))
        .Bind(2, why)
        .Bind(3, person_id)
        .Bind(4, gap.key);
    RETURN_IF_ERROR(close.Run());
    v1::CareGap closed = gap.gap;
    closed.set_detail(absl::StrCat("Closed (", why, "): ", gap.gap.detail()));
    NotifyGap(inbox, "inbox.gap_closed", closed, time);
  }
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (present[i]) continue;
    const bool open_now = absl::ToUnixMicros(wanted[i].open_time) <= now_us;
    ASSIGN_OR_RETURN(
        std::string key,
        InsertNewGap(conn, person_id, wanted_keys[i], wanted[i], open_now));
    if (open_now) {
      NotifyGap(inbox, "inbox.gap_opened", GapOf(person_id, key, wanted[i]),
                time);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::CareGap>> SqliteRecordStore::ListGaps(
    const GapQuery& query) {
  int64_t kinds = 0;
  for (v1::GapKind kind : query.kinds) kinds |= int64_t{1} << kind;
  const bool by_team = !query.team.empty();
  std::vector<v1::CareGap> gaps;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    // Each list walks its own index in its own order: a team's links
    // (team, open_us, person_id, key), one person's gaps (person_id, ...),
    // or every gap (open_us, person_id, key); never a scan and a sort.
    const char* order = by_team ? "t" : "g";
    std::string from;
    if (by_team) {
      from =
          "gap_teams t JOIN gaps g ON g.person_id = t.person_id AND g.key = "
          "t.key WHERE t.team = ?1 AND t.open_us <= ?2 AND (?4 = '' OR "
          "t.person_id = ?4) AND ";
    } else if (!query.person_id.empty()) {
      from =
          "gaps g WHERE ?1 = '' AND g.person_id = ?4 AND g.open_us <= ?2 AND ";
    } else {
      from = "gaps g WHERE ?1 = '' AND ?4 = '' AND g.open_us <= ?2 AND ";
    }
    ASSIGN_OR_RETURN(
        Statement select,
        conn.Prepare(absl::StrCat(
            "SELECT ", kGapColumns, " FROM ", from,
            "(?3 != 0 OR g.close_us IS NULL) AND (?5 = 0 OR "
            "((CAST(1 AS BIGINT) << g.kind) & ?5) != 0) AND (?6 = 0 OR (",
            order, ".open_us, ", order, ".person_id, ", order,
            ".key) > (?7, ?8, ?9)) ORDER BY ", order, ".open_us, ", order,
            ".person_id, ", order, ".key LIMIT ?10")));
    select.Bind(1, query.team)
        .Bind(2, absl::ToUnixMicros(query.now))
        .Bind(3, static_cast<int64_t>(query.include_closed))
        .Bind(4, query.person_id)
        .Bind(5, kinds)
        .Bind(6, static_cast<int64_t>(query.after.has_value()))
        .Bind(7, query.after.has_value() ? query.after->open_us : 0)
        .Bind(8,
              query.after.has_value() ? query.after->person_id : std::string())
        .Bind(9, query.after.has_value() ? query.after->key : std::string())
        .Bind(10, static_cast<int64_t>(query.limit));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) return absl::OkStatus();
      gaps.push_back(GapFrom(select));
    }
  }));
  return gaps;
}

}  // namespace carebridge::record
