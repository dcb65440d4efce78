#include "services/handover/sqlite_handover_store.h"

#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/resource_size.h"
#include "services/common/time_util.h"
#include "services/handover/errors.h"

namespace carebridge::handover {
namespace {

constexpr absl::string_view kNamePrefix = "handovers/";
constexpr char kFeed[] = "handover";

// The partial indexes on `handovers`, the same on both engines: the unique
// one on pending transfers backs the one-pending-transfer-per-person rule
// the insert transaction checks (and makes that check an index lookup).
std::string PartialIndexesSql() {
  return absl::StrCat(
      "CREATE UNIQUE INDEX handovers_pending_transfer ON handovers (person) "
      "WHERE kind = ",
      static_cast<int>(v1::TRANSFER_OF_RESPONSIBILITY),
      " AND state = ", static_cast<int>(v1::PENDING), ";\n",
      "CREATE INDEX handovers_unescalated_overdue ON handovers "
      "(response_due_time_us, seq) WHERE state = ",
      static_cast<int>(v1::PENDING), " AND escalate_time_us IS NULL;\n");
}

}  // namespace

// `seq` is SQLite's rowid: rows are never deleted, so it grows with every
// insert and orders handovers that share a create time.
const std::vector<Migration>& SqliteHandoverStore::Migrations() {
  static const auto* migrations = new std::vector<Migration>{
      {1, absl::StrCat(R"sql(
CREATE TABLE handovers (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  person TEXT NOT NULL,
  sending_team TEXT NOT NULL,
  receiving_team TEXT NOT NULL,
  kind INTEGER NOT NULL,
  state INTEGER NOT NULL,
  create_time_us INTEGER NOT NULL,
  response_due_time_us INTEGER NOT NULL,
  escalate_time_us INTEGER,
  request_id TEXT,
  request_fingerprint TEXT,
  version INTEGER NOT NULL,
  body BLOB NOT NULL
);
CREATE UNIQUE INDEX handovers_by_request_id
  ON handovers (sending_team, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX handovers_inbox
  ON handovers (receiving_team, create_time_us, seq);
CREATE INDEX handovers_sent
  ON handovers (sending_team, create_time_us, seq);
CREATE INDEX handovers_by_create_time ON handovers (create_time_us);
)sql",
                       PartialIndexesSql())},
      {2, kOutboxSchemaSql},
      // A person's handovers, for the check that a team's last accepted
      // transfer has reached the care plan before it transfers again.
      {3,
       "CREATE INDEX handovers_by_person ON handovers (person, "
       "sending_team, kind, state);\n"},
      // The feed's epoch and event times.
      {4, kOutboxEpochSchemaSql},
  };
  return *migrations;
}

// Today's schema in one step, then the outbox. `seq` is the feed sequence
// of the handover's create event (see SeqFor); BIGINT for times and
// versions, BYTEA for the body.
const std::vector<Migration>& SqliteHandoverStore::PostgresqlMigrations() {
  static const auto* migrations = new std::vector<Migration>{
      {1, absl::StrCat(R"sql(
CREATE TABLE handovers (
  seq BIGINT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  person TEXT NOT NULL,
  sending_team TEXT NOT NULL,
  receiving_team TEXT NOT NULL,
  kind INTEGER NOT NULL,
  state INTEGER NOT NULL,
  create_time_us BIGINT NOT NULL,
  response_due_time_us BIGINT NOT NULL,
  escalate_time_us BIGINT,
  request_id TEXT,
  request_fingerprint TEXT,
  version BIGINT NOT NULL,
  body BYTEA NOT NULL
);
CREATE UNIQUE INDEX handovers_by_request_id
  ON handovers (sending_team, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX handovers_inbox
  ON handovers (receiving_team, create_time_us, seq);
CREATE INDEX handovers_sent
  ON handovers (sending_team, create_time_us, seq);
CREATE INDEX handovers_by_create_time ON handovers (create_time_us);
CREATE INDEX handovers_by_person
  ON handovers (person, sending_team, kind, state);
)sql",
                       PartialIndexesSql())},
      {2, kPgOutboxSchemaSql},
  };
  return *migrations;
}

namespace {

absl::string_view IdOf(absl::string_view name) {
  if (name.substr(0, kNamePrefix.size()) == kNamePrefix) {
    name.remove_prefix(kNamePrefix.size());
  }
  return name;
}

// The etag and `overdue` are computed when read, never stored.
std::string Serialize(const v1::Handover& handover) {
  v1::Handover copy = handover;
  copy.clear_etag();
  copy.clear_overdue();
  return copy.SerializeAsString();
}

int64_t MicrosOf(const google::protobuf::Timestamp& time) {
  return ToUnixMicrosUtc(FromProtoTimestamp(time));
}

// The columns every read selects, in this order.
constexpr char kColumns[] = "id, version, body, request_fingerprint";

// Decodes a row selected with kColumns starting at column `first`.
absl::StatusOr<StoredHandover> Decode(const Statement& stmt, int first = 0) {
  StoredHandover stored;
  const std::string id = stmt.ColumnText(first);
  if (!stored.handover.ParseFromString(stmt.ColumnBlob(first + 2))) {
    return errors::CorruptHandover(id);
  }
  stored.version = stmt.ColumnInt64(first + 1);
  if (!stmt.ColumnIsNull(first + 3)) {
    stored.request_fingerprint = stmt.ColumnText(first + 3);
  }
  return stored;
}

absl::StatusOr<std::optional<StoredHandover>> SelectByRequestId(
    Connection& conn, absl::string_view sending_team,
    absl::string_view request_id) {
  ASSIGN_OR_RETURN(
      Statement stmt,
      conn.Prepare(absl::StrCat("SELECT ", kColumns,
                                " FROM handovers WHERE sending_team = ?1 "
                                "AND request_id = ?2")));
  stmt.Bind(1, sending_team).Bind(2, request_id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<StoredHandover>();
  ASSIGN_OR_RETURN(StoredHandover stored, Decode(stmt));
  return std::optional<StoredHandover>(std::move(stored));
}

// FAILED_PRECONDITION naming the pending transfer for `person`, if any.
absl::Status CheckNoPendingTransfer(Connection& conn,
                                    absl::string_view person) {
  ASSIGN_OR_RETURN(Statement stmt,
                   conn.Prepare("SELECT id FROM handovers WHERE person = ?1 "
                                "AND kind = ?2 AND state = ?3"));
  stmt.Bind(1, person)
      .Bind(2, static_cast<int64_t>(v1::TRANSFER_OF_RESPONSIBILITY))
      .Bind(3, static_cast<int64_t>(v1::PENDING));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::OkStatus();
  return errors::TransferPending(person,
                                 absl::StrCat(kNamePrefix, stmt.ColumnText(0)));
}

// The create time a new row gets: the given one, raised to the latest
// stored, so listings (oldest first) only ever grow at the end even when a
// slower writer's clock reading lost the race to the commit.
absl::StatusOr<int64_t> CreateTimeFor(Connection& conn, int64_t wanted) {
  ASSIGN_OR_RETURN(Statement latest,
                   conn.Prepare("SELECT MAX(create_time_us) FROM handovers"));
  ASSIGN_OR_RETURN(bool row, latest.Step());
  if (row && !latest.ColumnIsNull(0) && latest.ColumnInt64(0) > wanted) {
    return latest.ColumnInt64(0);
  }
  return wanted;
}

// `handover` with its create time raised to `create_time_us` (and its update
// time, which never precedes it).
void RaiseCreateTime(v1::Handover& handover, int64_t create_time_us) {
  const auto raised = ToProtoTimestamp(absl::FromUnixMicros(create_time_us));
  *handover.mutable_create_time() = raised;
  if (MicrosOf(handover.update_time()) < create_time_us) {
    *handover.mutable_update_time() = raised;
  }
}

// The `seq` a new handover gets, bound at `index` of its insert; its create
// event, appended first in the same transaction, has feed sequence
// `event_sequence`. On SQLite, NULL: the next rowid, in commit order since
// SQLite has one writer. On PostgreSQL, where writers (and replicas)
// commit concurrently, a sequence of its own would be handed out out of
// commit order (see HandoverCursor); the feed's is in commit order, as
// SqliteEventLog::Append serialises appenders.
void BindSeq(Connection& conn, Statement& insert, int index,
             int64_t event_sequence) {
  if (conn.engine() == "postgresql") {
    insert.Bind(index, event_sequence);
  } else {
    insert.BindNull(index);
  }
}

absl::StatusOr<StoredHandover> Insert(Connection& conn,
                                      const v1::Handover& handover,
                                      const HandoverRequestKey& key,
                                      const events::v1::Event& event) {
  StoredHandover stored{handover, 1, key.fingerprint};
  events::v1::Event appended = event;
  const int64_t wanted = MicrosOf(handover.create_time());
  ASSIGN_OR_RETURN(const int64_t create_time_us, CreateTimeFor(conn, wanted));
  if (create_time_us != wanted) {
    RaiseCreateTime(stored.handover, create_time_us);
    v1::Handover payload;
    if (appended.payload().UnpackTo(&payload)) {
      RaiseCreateTime(payload, create_time_us);
      appended.mutable_payload()->PackFrom(payload);
    }
  }
  ASSIGN_OR_RETURN(const int64_t event_sequence,
                   SqliteEventLog::Append(conn, appended));
  ASSIGN_OR_RETURN(
      Statement insert,
      conn.Prepare("INSERT INTO handovers (id, person, sending_team, "
                   "receiving_team, kind, state, create_time_us, "
                   "response_due_time_us, escalate_time_us, request_id, "
                   "request_fingerprint, version, body, seq) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, ?10, 1, "
                   "?11, ?12)"));
  const v1::Handover& h = stored.handover;
  insert.Bind(1, IdOf(h.name()))
      .Bind(2, h.person())
      .Bind(3, h.sending_team())
      .Bind(4, h.receiving_team())
      .Bind(5, static_cast<int64_t>(h.kind()))
      .Bind(6, static_cast<int64_t>(h.state()))
      .Bind(7, create_time_us)
      .Bind(8, MicrosOf(h.response_due_time()));
  if (key.request_id.empty()) {
    insert.BindNull(9).BindNull(10);
  } else {
    insert.Bind(9, key.request_id).Bind(10, key.fingerprint);
  }
  insert.BindBlob(11, Serialize(h));
  BindSeq(conn, insert, 12, event_sequence);
  RETURN_IF_ERROR(insert.Run());
  if (key.request_id.empty()) stored.request_fingerprint.clear();
  return stored;
}

absl::StatusOr<int64_t> CompareAndSwap(Connection& conn,
                                       const v1::Handover& handover,
                                       int64_t expected_version) {
  const absl::string_view id = IdOf(handover.name());
  {
    ASSIGN_OR_RETURN(
        Statement update,
        conn.Prepare("UPDATE handovers SET state = ?1, "
                     "response_due_time_us = ?2, escalate_time_us = ?3, "
                     "body = ?4, version = version + 1 "
                     "WHERE id = ?5 AND version = ?6"));
    update.Bind(1, static_cast<int64_t>(handover.state()))
        .Bind(2, MicrosOf(handover.response_due_time()));
    if (handover.has_escalate_time()) {
      update.Bind(3, MicrosOf(handover.escalate_time()));
    } else {
      update.BindNull(3);
    }
    update.BindBlob(4, Serialize(handover))
        .Bind(5, id)
        .Bind(6, expected_version);
    RETURN_IF_ERROR(update.Run());
  }
  if (conn.Changes() == 1) return expected_version + 1;
  ASSIGN_OR_RETURN(Statement exists,
                   conn.Prepare("SELECT 1 FROM handovers WHERE id = ?1"));
  exists.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, exists.Step());
  if (!row) return errors::HandoverNotFound(handover.name());
  return carebridge::errors::StaleEtag(handover.name());
}

std::string ListSql(HandoverQuery::Mailbox mailbox) {
  absl::string_view team_column = mailbox == HandoverQuery::Mailbox::kInbox
                                      ? "receiving_team"
                                      : "sending_team";
  return absl::StrCat("SELECT create_time_us, seq, ", kColumns,
                      " FROM handovers WHERE ", team_column,
                      " = ?1 AND (create_time_us, seq) > (?2, ?3) "
                      "AND (?4 = 0 OR ((1 << state) & ?4) != 0) "
                      "AND (?5 = '' OR person = ?5) "
                      "AND (?6 = 0 OR (state = ",
                      static_cast<int>(v1::PENDING),
                      " AND response_due_time_us < ?7)) "
                      "ORDER BY create_time_us, seq LIMIT ?8");
}

}  // namespace

SqliteHandoverStore::SqliteHandoverStore(std::unique_ptr<Database> db)
    : db_(std::move(db)),
      event_log_(std::make_unique<SqliteEventLog>(kFeed, db_.get())) {}

absl::StatusOr<std::unique_ptr<SqliteHandoverStore>> SqliteHandoverStore::Open(
    const DatabaseLocation& location, const HmacSha256* audit_key) {
  DatabaseOptions options;
  options.audit_key = audit_key;
  ASSIGN_OR_RETURN(
      std::unique_ptr<Database> db,
      OpenDatabase(location, {&Migrations(), &PostgresqlMigrations()},
                   options));
  return std::unique_ptr<SqliteHandoverStore>(
      new SqliteHandoverStore(std::move(db)));
}

absl::StatusOr<std::unique_ptr<SqliteHandoverStore>> SqliteHandoverStore::Open(
    const std::string& path, const HmacSha256* audit_key) {
  return Open(DatabaseLocation{path, /*postgresql_url=*/"", "handover"},
              audit_key);
}

absl::StatusOr<StoredHandover> SqliteHandoverStore::Create(
    const v1::Handover& handover, const HandoverRequestKey& key,
    const events::v1::Event& event) {
  RETURN_IF_ERROR(CheckSerializedSize(handover, "handover"));
  StoredHandover result;
  bool inserted = false;
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
    inserted = false;
    if (!key.request_id.empty()) {
      ASSIGN_OR_RETURN(
          std::optional<StoredHandover> existing,
          SelectByRequestId(conn, handover.sending_team(), key.request_id));
      if (existing.has_value()) {
        result = *std::move(existing);
        return absl::OkStatus();
      }
    }
    if (handover.kind() == v1::TRANSFER_OF_RESPONSIBILITY) {
      RETURN_IF_ERROR(CheckNoPendingTransfer(conn, handover.person()));
    }
    ASSIGN_OR_RETURN(result, Insert(conn, handover, key, event));
    inserted = true;
    return absl::OkStatus();
  }));
  if (inserted) event_log_->NotifyCommitted();
  return result;
}

absl::StatusOr<std::optional<StoredHandover>>
SqliteHandoverStore::FindByRequestId(absl::string_view sending_team,
                                     absl::string_view request_id) {
  std::optional<StoredHandover> result;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(result, SelectByRequestId(conn, sending_team, request_id));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<std::optional<StoredHandover>>
SqliteHandoverStore::LatestAcceptedTransferFrom(
    absl::string_view person, absl::string_view sending_team) {
  std::optional<StoredHandover> latest;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare(absl::StrCat(
            "SELECT ", kColumns,
            " FROM handovers WHERE person = ?1 AND sending_team = ?2 AND "
            "kind = ?3 AND state = ?4")));
    stmt.Bind(1, person)
        .Bind(2, sending_team)
        .Bind(3, int64_t{v1::TRANSFER_OF_RESPONSIBILITY})
        .Bind(4, int64_t{v1::ACCEPTED});
    // A team hands one person over a handful of times: compare in memory.
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(StoredHandover stored, Decode(stmt));
      if (!latest.has_value() ||
          FromProtoTimestamp(stored.handover.answer_time()) >
              FromProtoTimestamp(latest->handover.answer_time())) {
        latest = std::move(stored);
      }
    }
    return absl::OkStatus();
  }));
  return latest;
}

absl::StatusOr<StoredHandover> SqliteHandoverStore::Get(
    absl::string_view name) {
  StoredHandover result;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(absl::StrCat(
                                         "SELECT ", kColumns,
                                         " FROM handovers WHERE id = ?1")));
    stmt.Bind(1, IdOf(name));
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return errors::HandoverNotFound(name);
    ASSIGN_OR_RETURN(result, Decode(stmt));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<int64_t> SqliteHandoverStore::Update(
    const v1::Handover& handover, int64_t expected_version,
    const events::v1::Event& event) {
  RETURN_IF_ERROR(CheckSerializedSize(handover, "handover"));
  int64_t version = 0;
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(version, CompareAndSwap(conn, handover, expected_version));
    return SqliteEventLog::AppendLater(conn, event);
  }));
  event_log_->NotifyCommitted();
  return version;
}

absl::StatusOr<HandoverPage> SqliteHandoverStore::List(
    const HandoverQuery& query) {
  static const auto* const kInboxSql =
      new std::string(ListSql(HandoverQuery::Mailbox::kInbox));
  static const auto* const kSentSql =
      new std::string(ListSql(HandoverQuery::Mailbox::kSentByTeam));
  int64_t state_mask = 0;
  for (v1::State state : query.states) state_mask |= int64_t{1} << state;
  const HandoverCursor after = query.after.value_or(
      HandoverCursor{std::numeric_limits<int64_t>::min(), 0});

  HandoverPage page;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare(query.mailbox == HandoverQuery::Mailbox::kInbox
                         ? *kInboxSql
                         : *kSentSql));
    stmt.Bind(1, query.team)
        .Bind(2, after.create_time_us)
        .Bind(3, after.sequence)
        .Bind(4, state_mask)
        .Bind(5, query.person)
        .Bind(6, int64_t{query.overdue_only ? 1 : 0})
        .Bind(7, ToUnixMicrosUtc(query.now))
        .Bind(8, int64_t{query.page_size} + 1);
    HandoverCursor last;
    ListPageBudget budget;
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      if (static_cast<int>(page.handovers.size()) == query.page_size) {
        page.next = last;
        break;
      }
      const HandoverCursor cursor{stmt.ColumnInt64(0), stmt.ColumnInt64(1)};
      ASSIGN_OR_RETURN(StoredHandover stored, Decode(stmt, /*first=*/2));
      // A page of at most kMaxListPageBytes; the rest on the next.
      if (!budget.Takes(stored.handover.ByteSizeLong())) {
        page.next = last;
        break;
      }
      last = cursor;
      page.handovers.push_back(std::move(stored));
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<std::vector<StoredHandover>>
SqliteHandoverStore::ListUnescalatedOverdue(absl::Time now, int limit) {
  std::vector<StoredHandover> result;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare(absl::StrCat(
            "SELECT ", kColumns,
            " FROM handovers WHERE state = ", static_cast<int>(v1::PENDING),
            " AND escalate_time_us IS NULL AND response_due_time_us < ?1 "
            "ORDER BY response_due_time_us, seq LIMIT ?2")));
    stmt.Bind(1, ToUnixMicrosUtc(now)).Bind(2, int64_t{limit});
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(StoredHandover stored, Decode(stmt));
      result.push_back(std::move(stored));
    }
    return absl::OkStatus();
  }));
  return result;
}

}  // namespace carebridge::handover
