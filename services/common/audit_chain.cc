#include "services/common/audit_chain.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/common/errors.h"
#include "services/common/macros.h"

namespace carebridge {
namespace {

constexpr char kRecordColumns[] =
    "seq, time_us, actor, team, role, on_behalf_of, method, resource, "
    "person, sections, reason, outcome, prev, hash";

// Each field with its length first, so no two records serialise alike.
void Field(std::string& out, absl::string_view value) {
  absl::StrAppend(&out, value.size(), ":", value, ";");
}

AuditRecord RecordFrom(const Statement& row) {
  AuditRecord record;
  record.seq = row.ColumnInt64(0);
  record.time = absl::FromUnixMicros(row.ColumnInt64(1));
  record.actor = row.ColumnText(2);
  record.team = row.ColumnText(3);
  record.role = row.ColumnText(4);
  record.on_behalf_of = row.ColumnText(5);
  record.method = row.ColumnText(6);
  record.resource = row.ColumnText(7);
  record.person = row.ColumnText(8);
  record.sections = row.ColumnText(9);
  record.reason = row.ColumnText(10);
  record.outcome = row.ColumnText(11);
  return record;
}

// A record numbered `seq` is in the log already, though its head says it
// ends at `head_seq`: written outside carebridge (an insert, or the head or
// the records edited), since carebridge moves the head with each append.
absl::Status RecordPastHead(int64_t seq, int64_t head_seq) {
  return errors::AuditLogAltered(absl::StrCat(
      "record ", seq, " is there already, past the log's head at record ",
      head_seq, head_seq == 0 ? " (or its head is missing)" : ""));
}

}  // namespace

AuditChain::AuditChain(const HmacSha256* key, int checkpoint_every)
    : key_(key), checkpoint_every_(std::max(1, checkpoint_every)) {}

std::string AuditChain::RecordHash(const std::string& prev,
                                   const AuditRecord& record) const {
  std::string data = "cb-audit-1;";
  Field(data, prev);
  Field(data, absl::StrCat(record.seq));
  Field(data, absl::StrCat(absl::ToUnixMicros(record.time)));
  for (const std::string* field :
       {&record.actor, &record.team, &record.role, &record.on_behalf_of,
        &record.method, &record.resource, &record.person, &record.sections,
        &record.reason, &record.outcome}) {
    Field(data, *field);
  }
  return key_->Mac(data);
}

std::string AuditChain::HeadMac(int64_t seq, const std::string& hash) const {
  std::string data = "cb-audit-head;";
  Field(data, absl::StrCat(seq));
  Field(data, hash);
  return key_->Mac(data);
}

std::string AuditChain::CheckpointMac(int64_t seq, int64_t time_us,
                                      const std::string& hash) const {
  std::string data = "cb-audit-checkpoint;";
  Field(data, absl::StrCat(seq));
  Field(data, absl::StrCat(time_us));
  Field(data, hash);
  return key_->Mac(data);
}

absl::StatusOr<int64_t> AuditChain::Append(Connection& conn,
                                           const AuditRecord& record) const {
  return Append(conn, absl::MakeConstSpan(&record, 1));
}

namespace {

// Binds `record` (its seq set) with its chain fields at `first`..`first`+13,
// in kRecordColumns' order.
void BindRecord(Statement& insert, int first, const AuditRecord& record,
                const std::string& prev, const std::string& hash) {
  insert.Bind(first, record.seq)
      .Bind(first + 1, absl::ToUnixMicros(record.time))
      .Bind(first + 2, record.actor)
      .Bind(first + 3, record.team)
      .Bind(first + 4, record.role)
      .Bind(first + 5, record.on_behalf_of)
      .Bind(first + 6, record.method)
      .Bind(first + 7, record.resource)
      .Bind(first + 8, record.person)
      .Bind(first + 9, record.sections)
      .Bind(first + 10, record.reason)
      .Bind(first + 11, record.outcome)
      .BindBlob(first + 12, prev)
      .BindBlob(first + 13, hash);
}

}  // namespace

std::optional<AuditChain::Head> AuditChain::LastAppended() const {
  absl::MutexLock lock(&last_mu_);
  return last_appended_;
}

absl::StatusOr<int64_t> AuditChain::Append(
    Connection& conn, absl::Span<const AuditRecord> records) const {
  if (!records.empty() && conn.engine() == "postgresql") {
    // After this process's own append the head is most likely still what
    // it wrote: append after it in one statement that also checks it (one
    // round trip instead of three). When another replica appended since,
    // or that transaction never committed, the check writes nothing and
    // the same statement returns the head as it is, after which the append
    // is tried once more (the head's lock is held: it holds). Only an
    // empty log, or a process's first append, reads the head first.
    std::optional<Head> after = LastAppended();
    for (int attempt = 0; attempt < 2 && after.has_value(); ++attempt) {
      std::optional<Head> current;
      ASSIGN_OR_RETURN(bool appended,
                       AppendAfter(conn, records, *after,
                                   /*head_known=*/true, &current));
      if (appended) return after->seq + static_cast<int64_t>(records.size());
      after = std::move(current);
    }
  }
  ASSIGN_OR_RETURN(Statement head,
                   conn.Prepare("SELECT seq, hash FROM audit_head"));
  ASSIGN_OR_RETURN(bool has_head, head.Step());
  Head current;
  current.seq = has_head ? head.ColumnInt64(0) : 0;
  current.hash = has_head ? head.ColumnBlob(1) : std::string();
  if (records.empty()) return current.seq;
  ASSIGN_OR_RETURN(bool appended, AppendAfter(conn, records, current,
                                              /*head_known=*/false, nullptr));
  if (!appended) return absl::InternalError("audit: the append wrote nothing");
  return current.seq + static_cast<int64_t>(records.size());
}

absl::StatusOr<bool> AuditChain::AppendAfter(
    Connection& conn, absl::Span<const AuditRecord> records, const Head& after,
    bool head_known, std::optional<Head>* current) const {
  std::vector<AuditRecord> stored(records.begin(), records.end());
  std::vector<std::string> prevs;
  std::vector<std::string> hashes;
  std::string prev = after.hash;
  int64_t seq = after.seq;
  for (AuditRecord& record : stored) {
    record.seq = ++seq;
    std::string hash = RecordHash(prev, record);
    if (hash.empty()) return absl::InternalError("audit: HMAC failed");
    prevs.push_back(std::move(prev));
    hashes.push_back(hash);
    prev = std::move(hash);
  }
  const std::string& last_hash = hashes.back();
  size_t next = 0;
  if (head_known) {
    // The head moves only if it is still `after` (seq and hash: a head
    // rolled back and written again by another has the seq, not the hash),
    // and the first record goes in only if the head moved. The outer
    // SELECT sees the head as it was before this statement: what to append
    // after when the check failed (no row: an empty log).
    ASSIGN_OR_RETURN(
        Statement insert,
        conn.Prepare(absl::StrCat(
            "WITH head AS (UPDATE audit_head SET seq = ?1, hash = ?2, mac = "
            "?3 WHERE id = 1 AND seq = ?4 AND hash = ?5 RETURNING seq), "
            "appended AS (INSERT INTO audit_log (",
            kRecordColumns,
            ") SELECT ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
            "?18, ?19 FROM head ON CONFLICT (seq) DO NOTHING RETURNING seq) "
            "SELECT (SELECT count(*) FROM appended), (SELECT seq FROM "
            "audit_head WHERE id = 1), (SELECT hash FROM audit_head WHERE id "
            "= 1), (SELECT count(*) FROM head)")));
    insert.Bind(1, seq)
        .BindBlob(2, last_hash)
        .BindBlob(3, HeadMac(seq, last_hash))
        .Bind(4, after.seq)
        .BindBlob(5, after.hash);
    BindRecord(insert, 6, stored[0], prevs[0], hashes[0]);
    ASSIGN_OR_RETURN(bool row, insert.Step());
    if (!row) return absl::InternalError("audit: the append returned no row");
    const bool appended = insert.ColumnInt64(0) == 1;
    const bool head_moved = insert.ColumnInt64(3) == 1;
    if (!appended && current != nullptr && !insert.ColumnIsNull(1)) {
      *current = Head{insert.ColumnInt64(1), insert.ColumnBlob(2)};
    }
    RETURN_IF_ERROR(insert.Run());
    // The head was `after`, yet its next record is there already.
    if (head_moved && !appended) {
      return RecordPastHead(stored[0].seq, after.seq);
    }
    if (!appended) return false;
    next = 1;
  }
  for (size_t i = next; i < stored.size(); ++i) {
    ASSIGN_OR_RETURN(
        Statement insert,
        conn.Prepare(absl::StrCat("INSERT INTO audit_log (", kRecordColumns,
                                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                  "?, ?, ?) ON CONFLICT (seq) DO NOTHING")));
    BindRecord(insert, 1, stored[i], prevs[i], hashes[i]);
    RETURN_IF_ERROR(insert.Run());
    if (conn.Changes() != 1) return RecordPastHead(stored[i].seq, after.seq);
  }
  for (size_t i = 0; i < stored.size(); ++i) {
    if (stored[i].seq % checkpoint_every_ != 0) continue;
    const int64_t time_us = absl::ToUnixMicros(stored[i].time);
    ASSIGN_OR_RETURN(Statement checkpoint,
                     conn.Prepare("INSERT INTO audit_checkpoints (seq, "
                                  "time_us, hash, mac) VALUES (?, ?, ?, ?) ON "
                                  "CONFLICT (seq) DO NOTHING"));
    checkpoint.Bind(1, stored[i].seq)
        .Bind(2, time_us)
        .BindBlob(3, hashes[i])
        .BindBlob(4, CheckpointMac(stored[i].seq, time_us, hashes[i]));
    RETURN_IF_ERROR(checkpoint.Run());
    if (conn.Changes() != 1) {
      return errors::AuditLogAltered(absl::StrCat(
          "a checkpoint of record ", stored[i].seq,
          " is there already, past the log's head at record ", after.seq));
    }
  }
  if (!head_known) {
    // The head once, after the last record (an upsert both engines know).
    ASSIGN_OR_RETURN(
        Statement upsert,
        conn.Prepare("INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, "
                     "?, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = "
                     "excluded.seq, hash = excluded.hash, mac = excluded.mac"));
    upsert.Bind(1, seq)
        .BindBlob(2, last_hash)
        .BindBlob(3, HeadMac(seq, last_hash));
    RETURN_IF_ERROR(upsert.Run());
  }
  absl::MutexLock lock(&last_mu_);
  last_appended_ = Head{seq, last_hash};
  return true;
}

namespace {

// Records read per query while walking the whole log: PostgreSQL buffers a
// query's rows, so the walk pages to keep its memory constant.
constexpr int kVerifyPage = 1000;

bool OnPostgresql(const Connection& conn) {
  return conn.engine() == "postgresql";
}

// The last record the per-person index lists (0: none).
absl::StatusOr<int64_t> IndexedThrough(Connection& conn) {
  ASSIGN_OR_RETURN(Statement select,
                   conn.Prepare("SELECT seq FROM audit_indexed"));
  ASSIGN_OR_RETURN(bool row, select.Step());
  return row ? select.ColumnInt64(0) : 0;
}

}  // namespace

absl::StatusOr<std::vector<AuditRecord>> AuditChain::ListForPerson(
    Connection& conn, absl::string_view person, int64_t before_seq, int limit) {
  const int64_t before =
      before_seq > 0 ? before_seq : std::numeric_limits<int64_t>::max();
  std::vector<AuditRecord> records;
  auto read = [&](Statement& select) -> absl::Status {
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) return absl::OkStatus();
      records.push_back(RecordFrom(select));
    }
  };
  if (OnPostgresql(conn)) {
    // The per-person index is an SQL index on (person, seq) there.
    ASSIGN_OR_RETURN(
        Statement select,
        conn.Prepare(absl::StrCat("SELECT ", kRecordColumns,
                                  " FROM audit_log WHERE person = ? AND seq < "
                                  "? ORDER BY seq DESC LIMIT ?")));
    select.Bind(1, person).Bind(2, before).Bind(3, static_cast<int64_t>(limit));
    RETURN_IF_ERROR(read(select));
    return records;
  }
  ASSIGN_OR_RETURN(const int64_t indexed, IndexedThrough(conn));
  // The newest records, not indexed yet: the log's end, walked by seq.
  ASSIGN_OR_RETURN(
      Statement tail,
      conn.Prepare(absl::StrCat("SELECT ", kRecordColumns,
                                " FROM audit_log WHERE seq > ? AND seq < ? AND "
                                "person = ? ORDER BY seq DESC LIMIT ?")));
  tail.Bind(1, indexed).Bind(2, before).Bind(3, person).Bind(4, limit);
  RETURN_IF_ERROR(read(tail));
  if (static_cast<int>(records.size()) >= limit) return records;
  // Then the index.
  ASSIGN_OR_RETURN(
      Statement listed,
      conn.Prepare(absl::StrCat(
          "SELECT ", kRecordColumns,
          " FROM audit_log WHERE seq IN (SELECT seq FROM audit_persons WHERE "
          "person = ? AND seq < ? AND seq <= ? ORDER BY seq DESC LIMIT ?) "
          "ORDER BY seq DESC")));
  listed.Bind(1, person)
      .Bind(2, before)
      .Bind(3, indexed)
      .Bind(4, limit - static_cast<int64_t>(records.size()));
  RETURN_IF_ERROR(read(listed));
  return records;
}

absl::StatusOr<int> AuditChain::IndexPersons(Connection& conn, int limit) {
  ASSIGN_OR_RETURN(const int64_t indexed, IndexedThrough(conn));
  std::vector<std::pair<int64_t, std::string>> found;
  {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT seq, person FROM audit_log WHERE seq "
                                  "> ? ORDER BY seq LIMIT ?"));
    select.Bind(1, indexed).Bind(2, limit);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      found.emplace_back(select.ColumnInt64(0), select.ColumnText(1));
    }
  }
  if (found.empty()) return 0;
  for (const auto& [seq, person] : found) {
    // A record about nobody in particular is listed for nobody.
    if (person.empty()) continue;
    ASSIGN_OR_RETURN(Statement insert,
                     conn.Prepare("INSERT OR IGNORE INTO audit_persons "
                                  "(person, seq) VALUES (?, ?)"));
    insert.Bind(1, person).Bind(2, seq);
    RETURN_IF_ERROR(insert.Run());
  }
  ASSIGN_OR_RETURN(Statement mark,
                   conn.Prepare("INSERT OR REPLACE INTO audit_indexed (id, "
                                "seq) VALUES (1, ?)"));
  mark.Bind(1, found.back().first);
  RETURN_IF_ERROR(mark.Run());
  return static_cast<int>(found.size());
}

absl::StatusOr<AuditVerification> AuditChain::Verify(Connection& conn) const {
  AuditVerification result;
  // The index's end first: with the index in a file of its own, this read
  // fixes its snapshot before the log's, so it lists nothing newer than
  // the log read below. (PostgreSQL's is an SQL index: nothing to check.)
  const bool postgresql = OnPostgresql(conn);
  int64_t indexed = 0;
  if (!postgresql) {
    ASSIGN_OR_RETURN(indexed, IndexedThrough(conn));
  }
  auto problem = [&result](std::string text) {
    if (result.problems.size() < static_cast<size_t>(kMaxProblems)) {
      result.problems.push_back(std::move(text));
    }
  };
  // The checkpoints first (few): each must be keyed, and match the record
  // at its seq when the walk gets there.
  std::map<int64_t, std::string> checkpoints;
  {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT seq, time_us, hash, mac FROM "
                                  "audit_checkpoints ORDER BY seq"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      const int64_t seq = select.ColumnInt64(0);
      const std::string hash = select.ColumnBlob(2);
      if (CheckpointMac(seq, select.ColumnInt64(1), hash) !=
          select.ColumnBlob(3)) {
        problem(absl::StrCat("checkpoint at record ", seq,
                             ": not made with this log's key (forged or "
                             "edited)"));
      }
      checkpoints[seq] = hash;
      ++result.checkpoints;
    }
  }
  std::string prev;
  int64_t expected = 1;
  int64_t last_seq = 0;
  for (int page_rows = kVerifyPage; page_rows == kVerifyPage;) {
    page_rows = 0;
    ASSIGN_OR_RETURN(
        Statement select,
        conn.Prepare(absl::StrCat("SELECT ", kRecordColumns,
                                  " FROM audit_log WHERE seq > ? ORDER BY seq "
                                  "LIMIT ?")));
    select.Bind(1, last_seq).Bind(2, static_cast<int64_t>(kVerifyPage));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      ++page_rows;
      const AuditRecord record = RecordFrom(select);
      const std::string stored_prev = select.ColumnBlob(12);
      const std::string stored_hash = select.ColumnBlob(13);
      ++result.records;
      if (record.seq != expected) {
        problem(absl::StrCat("records ", expected, " to ", record.seq - 1,
                             " are missing (deleted)"));
      }
      if (stored_prev != prev) {
        problem(absl::StrCat("record ", record.seq,
                             ": does not follow the record before it "
                             "(inserted, deleted or reordered)"));
      }
      if (RecordHash(stored_prev, record) != stored_hash) {
        problem(absl::StrCat("record ", record.seq,
                             ": its contents do not match its hash (edited)"));
      }
      auto checkpoint = checkpoints.find(record.seq);
      if (checkpoint != checkpoints.end() &&
          checkpoint->second != stored_hash) {
        problem(absl::StrCat("record ", record.seq,
                             ": differs from the checkpoint made of it"));
      }
      prev = stored_hash;
      expected = record.seq + 1;
      last_seq = record.seq;
    }
  }
  if (!checkpoints.empty() && checkpoints.rbegin()->first > last_seq) {
    problem(absl::StrCat("the log ends at record ", last_seq,
                         " but was checkpointed at record ",
                         checkpoints.rbegin()->first, " (cut short)"));
  }
  // The per-person index: every record up to its end under its person,
  // and no other entry.
  if (!postgresql) {
    ASSIGN_OR_RETURN(
        Statement missing,
        conn.Prepare("SELECT COUNT(*), MIN(l.seq) FROM audit_log l WHERE "
                     "l.seq <= ? AND l.person != '' AND NOT EXISTS (SELECT 1 "
                     "FROM audit_persons p WHERE p.person = l.person AND "
                     "p.seq = l.seq)"));
    missing.Bind(1, indexed);
    ASSIGN_OR_RETURN(bool row, missing.Step());
    if (row && missing.ColumnInt64(0) > 0) {
      problem(absl::StrCat(
          "the per-person index lacks ", missing.ColumnInt64(0),
          " records, the first record ", missing.ColumnInt64(1),
          " (who accessed a person would not list them: deleted from it)"));
    }
    ASSIGN_OR_RETURN(
        Statement extra,
        conn.Prepare("SELECT COUNT(*), MIN(p.seq) FROM audit_persons p WHERE "
                     "NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.seq = "
                     "p.seq AND l.person = p.person)"));
    ASSIGN_OR_RETURN(row, extra.Step());
    if (row && extra.ColumnInt64(0) > 0) {
      problem(
          absl::StrCat("the per-person index lists ", extra.ColumnInt64(0),
                       " entries that are not the log's, the first at record ",
                       extra.ColumnInt64(1), " (inserted or edited)"));
    }
  }
  ASSIGN_OR_RETURN(Statement head,
                   conn.Prepare("SELECT seq, hash, mac FROM audit_head"));
  ASSIGN_OR_RETURN(bool has_head, head.Step());
  if (!has_head) {
    if (result.records > 0) problem("the log's head is missing (deleted)");
    return result;
  }
  result.head_seq = head.ColumnInt64(0);
  const std::string head_hash = head.ColumnBlob(1);
  result.head_hash_hex = absl::BytesToHexString(head_hash);
  if (HeadMac(result.head_seq, head_hash) != head.ColumnBlob(2)) {
    problem(
        "the log's head was not made with this log's key (forged or "
        "edited)");
  }
  if (result.head_seq != last_seq || head_hash != prev) {
    problem(absl::StrCat("the log ends at record ", last_seq,
                         " but its head says ", result.head_seq,
                         " (cut short or added to)"));
  }
  return result;
}

}  // namespace carebridge
