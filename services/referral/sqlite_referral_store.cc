#include "services/referral/sqlite_referral_store.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/resource_size.h"
#include "services/common/sqlite_event_log.h"
#include "services/common/time_util.h"
#include "services/referral/errors.h"

namespace carebridge::referral {
namespace {

constexpr absl::string_view kNamePrefix = "referrals/";

// A referral's identifiers, for ListReferrals' `identifier`. `collate`:
// PostgreSQL's byte order, which referrals' text keys have there (and
// referral_id needs, to be compared with referrals.id).
std::string IdentifiersSql(absl::string_view collate) {
  return absl::StrCat(R"sql(
CREATE TABLE referral_identifiers (
  system TEXT )sql",
                      collate, R"sql( NOT NULL,
  value TEXT )sql",
                      collate, R"sql( NOT NULL,
  referral_id TEXT )sql",
                      collate, R"sql( NOT NULL,
  PRIMARY KEY (system, value, referral_id)
);
)sql");
}

// `seq` orders referrals that share a create time: TakeSeq hands it out,
// in commit order. On SQLite it is the rowid.
const std::vector<Migration>& SqliteMigrations() {
  static const auto* migrations = new std::vector<Migration>{
      {1, R"sql(
CREATE TABLE referrals (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  person TEXT NOT NULL,
  sending_team TEXT NOT NULL,
  receiving_team TEXT NOT NULL,
  state INTEGER NOT NULL,
  create_time_us INTEGER NOT NULL,
  response_due_time_us INTEGER NOT NULL,
  request_id TEXT,
  version INTEGER NOT NULL,
  body BLOB NOT NULL
);
CREATE UNIQUE INDEX referrals_by_request_id
  ON referrals (sending_team, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX referrals_inbox
  ON referrals (receiving_team, create_time_us, seq);
CREATE INDEX referrals_sent
  ON referrals (sending_team, create_time_us, seq);
CREATE INDEX referrals_by_create_time ON referrals (create_time_us);
)sql"},
      {2, kOutboxSchemaSql},
      // The deadline scan's query (ListUnescalatedOverdue) reads only this
      // partial index: the referrals still to escalate.
      {3, absl::StrCat(R"sql(
ALTER TABLE referrals ADD COLUMN escalate_time_us INTEGER;
CREATE INDEX referrals_awaiting_escalation
  ON referrals (response_due_time_us)
  WHERE escalate_time_us IS NULL AND state IN ()sql",
                       static_cast<int>(v1::SENT), ", ",
                       static_cast<int>(v1::ACKNOWLEDGED), ");")},
      // The feed's epoch and event times.
      {4, kOutboxEpochSchemaSql},
      {5, IdentifiersSql("")},
  };
  return *migrations;
}

// SqliteMigrations' schema as of version 4, in one step: BIGINT for times,
// sequences and versions, BYTEA for the body, text keys in byte order
// (COLLATE "C", as SQLite compares). referral_head's one row holds the last
// seq handed out (TakeSeq).
const std::vector<Migration>& PgMigrations() {
  static const auto* migrations = new std::vector<Migration>{
      {1, absl::StrCat(R"sql(
CREATE TABLE referrals (
  seq BIGINT PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  person TEXT COLLATE "C" NOT NULL,
  sending_team TEXT COLLATE "C" NOT NULL,
  receiving_team TEXT COLLATE "C" NOT NULL,
  state INTEGER NOT NULL,
  create_time_us BIGINT NOT NULL,
  response_due_time_us BIGINT NOT NULL,
  request_id TEXT COLLATE "C",
  version BIGINT NOT NULL,
  body BYTEA NOT NULL,
  escalate_time_us BIGINT
);
CREATE UNIQUE INDEX referrals_by_request_id
  ON referrals (sending_team, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX referrals_inbox
  ON referrals (receiving_team, create_time_us, seq);
CREATE INDEX referrals_sent
  ON referrals (sending_team, create_time_us, seq);
CREATE INDEX referrals_by_create_time ON referrals (create_time_us);
CREATE INDEX referrals_awaiting_escalation
  ON referrals (response_due_time_us)
  WHERE escalate_time_us IS NULL AND state IN ()sql",
                       static_cast<int>(v1::SENT), ", ",
                       static_cast<int>(v1::ACKNOWLEDGED), R"sql();
CREATE TABLE referral_head (
  only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
  seq BIGINT NOT NULL
);
INSERT INTO referral_head (seq) VALUES (0);
)sql",
                       kPgOutboxSchemaSql)},
      {2, IdentifiersSql(R"(COLLATE "C")")},
  };
  return *migrations;
}

// The next referral's seq, which must be handed out in commit order (see
// ReferralCursor), and the latest create time stored (none when empty),
// read in the same statement: one round trip on PostgreSQL. SQLite has one
// writer at a time, so the largest seq plus one (what it would pick for the
// rowid) is. On PostgreSQL, where writers and replicas commit concurrently,
// updating referral_head's one row holds it until the transaction ends: a
// concurrent creator waits, then (its SERIALIZABLE snapshot older than the
// change) fails with serialization_failure and PgDb runs its write again,
// after this one committed, when its latest create time includes this
// referral's.
struct NextSlot {
  int64_t seq = 0;
  std::optional<int64_t> latest_create_us;
};
absl::StatusOr<NextSlot> TakeSeq(Connection& conn) {
  // Each MAX a subquery of its own, so SQLite reads each from its index.
  ASSIGN_OR_RETURN(
      Statement next,
      conn.Prepare(conn.engine() == "postgresql"
                       ? "UPDATE referral_head SET seq = seq + 1 RETURNING "
                         "seq, (SELECT MAX(create_time_us) FROM referrals)"
                       : "SELECT (SELECT COALESCE(MAX(seq), 0) + 1 FROM "
                         "referrals), (SELECT MAX(create_time_us) FROM "
                         "referrals)"));
  ASSIGN_OR_RETURN(bool row, next.Step());
  if (!row) return absl::InternalError("referral store: no next seq");
  NextSlot slot;
  slot.seq = next.ColumnInt64(0);
  if (!next.ColumnIsNull(1)) slot.latest_create_us = next.ColumnInt64(1);
  // To completion, so the statement is done before the caller's next.
  RETURN_IF_ERROR(next.Run());
  return slot;
}

absl::string_view IdOf(absl::string_view name) {
  if (name.substr(0, kNamePrefix.size()) == kNamePrefix) {
    name.remove_prefix(kNamePrefix.size());
  }
  return name;
}

// The etag and `overdue` are computed when read, never stored.
std::string Serialize(const v1::Referral& referral) {
  v1::Referral copy = referral;
  copy.clear_etag();
  copy.clear_overdue();
  return copy.SerializeAsString();
}

// NULL until the deadline scan escalates the referral.
void BindEscalateTime(Statement& stmt, int index,
                      const v1::Referral& referral) {
  if (referral.has_escalate_time()) {
    stmt.Bind(index,
              ToUnixMicrosUtc(FromProtoTimestamp(referral.escalate_time())));
  } else {
    stmt.BindNull(index);
  }
}

absl::StatusOr<StoredReferral> Decode(absl::string_view id, int64_t version,
                                      const std::string& body) {
  StoredReferral stored;
  if (!stored.referral.ParseFromString(body)) {
    return errors::CorruptReferral(id);
  }
  stored.version = version;
  return stored;
}

absl::StatusOr<std::optional<StoredReferral>> SelectByRequestId(
    Connection& conn, absl::string_view sending_team,
    absl::string_view request_id) {
  ASSIGN_OR_RETURN(Statement stmt,
                   conn.Prepare("SELECT id, version, body FROM referrals "
                                "WHERE sending_team = ?1 AND request_id = ?2"));
  stmt.Bind(1, sending_team).Bind(2, request_id);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<StoredReferral>();
  ASSIGN_OR_RETURN(
      StoredReferral stored,
      Decode(stmt.ColumnText(0), stmt.ColumnInt64(1), stmt.ColumnBlob(2)));
  return std::optional<StoredReferral>(std::move(stored));
}

// Inserts at version 1. A create time earlier than one already stored is
// raised to it, so listings (oldest first) only ever grow at the end, even
// when a slower writer's clock reading lost the race to the commit. The seq
// is taken first: on PostgreSQL that serialises creators, so the latest
// create time read here cannot be overtaken before this commits.
absl::StatusOr<StoredReferral> Insert(Connection& conn,
                                      const v1::Referral& referral,
                                      absl::string_view request_id) {
  ASSIGN_OR_RETURN(const NextSlot slot, TakeSeq(conn));
  const int64_t seq = slot.seq;
  StoredReferral stored{referral, 1};
  int64_t create_time_us =
      ToUnixMicrosUtc(FromProtoTimestamp(referral.create_time()));
  if (slot.latest_create_us.has_value() &&
      *slot.latest_create_us > create_time_us) {
    create_time_us = *slot.latest_create_us;
    *stored.referral.mutable_create_time() =
        ToProtoTimestamp(absl::FromUnixMicros(create_time_us));
  }
  ASSIGN_OR_RETURN(
      Statement insert,
      conn.Prepare("INSERT INTO referrals (id, person, sending_team, "
                   "receiving_team, state, create_time_us, "
                   "response_due_time_us, request_id, version, body, "
                   "escalate_time_us, seq) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?11)"));
  const v1::Referral& r = stored.referral;
  insert.Bind(1, IdOf(r.name()))
      .Bind(2, r.person())
      .Bind(3, r.sending_team())
      .Bind(4, r.receiving_team())
      .Bind(5, static_cast<int64_t>(r.state()))
      .Bind(6, create_time_us)
      .Bind(7, ToUnixMicrosUtc(FromProtoTimestamp(r.response_due_time())));
  if (request_id.empty()) {
    insert.BindNull(8);
  } else {
    insert.Bind(8, request_id);
  }
  insert.BindBlob(9, Serialize(r));
  BindEscalateTime(insert, 10, r);
  insert.Bind(11, seq);
  // Nothing of it is read back: it goes with the next round trip.
  RETURN_IF_ERROR(conn.RunLater(std::move(insert)));
  for (const v1::ReferralIdentifier& identifier : r.identifiers()) {
    ASSIGN_OR_RETURN(Statement indexed,
                     conn.Prepare("INSERT INTO referral_identifiers (system, "
                                  "value, referral_id) VALUES (?1, ?2, ?3)"));
    indexed.Bind(1, identifier.system())
        .Bind(2, identifier.value())
        .Bind(3, IdOf(r.name()));
    RETURN_IF_ERROR(conn.RunLater(std::move(indexed)));
  }
  return stored;
}

// Appends `event`, which describes the referral that Insert stored as
// `stored` from `referral`: when Insert raised the create time, the payload
// shows the raised one.
absl::Status AppendCreated(Connection& conn, const v1::Referral& referral,
                           const StoredReferral& stored,
                           const events::v1::Event& event) {
  v1::Referral payload;
  if (FromProtoTimestamp(referral.create_time()) ==
          FromProtoTimestamp(stored.referral.create_time()) ||
      !event.payload().UnpackTo(&payload) ||
      payload.name() != stored.referral.name()) {
    return SqliteEventLog::AppendLater(conn, event);
  }
  *payload.mutable_create_time() = stored.referral.create_time();
  events::v1::Event patched = event;
  patched.mutable_payload()->PackFrom(payload);
  return SqliteEventLog::AppendLater(conn, patched);
}

absl::StatusOr<int64_t> CompareAndSwap(Connection& conn,
                                       const v1::Referral& referral,
                                       int64_t expected_version) {
  absl::string_view id = IdOf(referral.name());
  {
    ASSIGN_OR_RETURN(
        Statement update,
        conn.Prepare("UPDATE referrals SET state = ?1, "
                     "response_due_time_us = ?2, body = ?3, "
                     "escalate_time_us = ?6, "
                     "version = version + 1 WHERE id = ?4 AND version = ?5"));
    update.Bind(1, static_cast<int64_t>(referral.state()))
        .Bind(2,
              ToUnixMicrosUtc(FromProtoTimestamp(referral.response_due_time())))
        .BindBlob(3, Serialize(referral))
        .Bind(4, id)
        .Bind(5, expected_version);
    BindEscalateTime(update, 6, referral);
    RETURN_IF_ERROR(update.Run());
  }
  if (conn.Changes() == 1) return expected_version + 1;
  ASSIGN_OR_RETURN(Statement exists,
                   conn.Prepare("SELECT 1 FROM referrals WHERE id = ?1"));
  exists.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, exists.Step());
  if (!row) return errors::ReferralNotFound(referral.name());
  return carebridge::errors::StaleEtag(referral.name());
}

// With `by_identifier`, the referrals carrying identifier (?9, ?10), found
// through referral_identifiers rather than by reading the whole mailbox:
// the team's column is then compared as `|| ''`, which no index serves, so
// the planner (SQLite's has no statistics to go by) starts from the few
// referrals with the identifier.
std::string ListSql(ReferralQuery::Mailbox mailbox, bool by_identifier) {
  absl::string_view team_column = mailbox == ReferralQuery::Mailbox::kInbox
                                      ? "receiving_team"
                                      : "sending_team";
  return absl::StrCat(
      "SELECT create_time_us, seq, id, version, body FROM referrals WHERE ",
      by_identifier
          ? absl::StrCat("id IN (SELECT referral_id FROM referral_identifiers "
                         "WHERE system = ?9 AND value = ?10) AND ",
                         team_column, " || ''")
          : std::string(team_column),
      " = ?1 AND (create_time_us, seq) > (?2, ?3) "
      "AND (?4 = 0 OR ((?4 >> state) & 1) = 1) "
      "AND (?5 = '' OR person = ?5) "
      "AND (?6 = 0 OR (state IN (",
      static_cast<int>(v1::SENT), ", ", static_cast<int>(v1::ACKNOWLEDGED),
      ") AND response_due_time_us < ?7)) "
      "ORDER BY create_time_us, seq LIMIT ?8");
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteReferralStore>> SqliteReferralStore::Open(
    const DatabaseLocation& location, const HmacSha256* audit_key) {
  DatabaseOptions options;
  options.audit_key = audit_key;
  ASSIGN_OR_RETURN(
      std::unique_ptr<Database> db,
      OpenDatabase(location, {&SqliteMigrations(), &PgMigrations()}, options));
  return std::unique_ptr<SqliteReferralStore>(
      new SqliteReferralStore(std::move(db)));
}

absl::StatusOr<std::unique_ptr<SqliteReferralStore>> SqliteReferralStore::Open(
    const std::string& path, const HmacSha256* audit_key) {
  return Open(DatabaseLocation{path, /*postgresql_url=*/"", "referral"},
              audit_key);
}

absl::StatusOr<StoredReferral> SqliteReferralStore::Create(
    const v1::Referral& referral, absl::string_view request_id,
    const events::v1::Event& event) {
  RETURN_IF_ERROR(CheckSerializedSize(referral, "referral"));
  StoredReferral result;
  bool inserted = false;
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
    inserted = false;
    if (!request_id.empty()) {
      ASSIGN_OR_RETURN(
          std::optional<StoredReferral> existing,
          SelectByRequestId(conn, referral.sending_team(), request_id));
      if (existing.has_value()) {
        result = *std::move(existing);
        return absl::OkStatus();
      }
    }
    ASSIGN_OR_RETURN(result, Insert(conn, referral, request_id));
    RETURN_IF_ERROR(AppendCreated(conn, referral, result, event));
    inserted = true;
    return absl::OkStatus();
  }));
  if (inserted) event_log_.NotifyCommitted();
  return result;
}

absl::StatusOr<std::optional<StoredReferral>>
SqliteReferralStore::FindByRequestId(absl::string_view sending_team,
                                     absl::string_view request_id) {
  std::optional<StoredReferral> result;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(result, SelectByRequestId(conn, sending_team, request_id));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<StoredReferral> SqliteReferralStore::Get(
    absl::string_view name) {
  StoredReferral result;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare("SELECT version, body FROM referrals WHERE id = ?1"));
    stmt.Bind(1, IdOf(name));
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return errors::ReferralNotFound(name);
    ASSIGN_OR_RETURN(
        result, Decode(IdOf(name), stmt.ColumnInt64(0), stmt.ColumnBlob(1)));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<int64_t> SqliteReferralStore::Update(
    const v1::Referral& referral, int64_t expected_version,
    const events::v1::Event& event) {
  RETURN_IF_ERROR(CheckSerializedSize(referral, "referral"));
  int64_t version = 0;
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(version, CompareAndSwap(conn, referral, expected_version));
    return SqliteEventLog::AppendLater(conn, event);
  }));
  event_log_.NotifyCommitted();
  return version;
}

absl::StatusOr<std::pair<StoredReferral, StoredReferral>>
SqliteReferralStore::Redirect(const v1::Referral& redirected,
                              int64_t expected_version,
                              const events::v1::Event& redirected_event,
                              const v1::Referral& created,
                              const events::v1::Event& created_event) {
  RETURN_IF_ERROR(CheckSerializedSize(redirected, "referral"));
  RETURN_IF_ERROR(CheckSerializedSize(created, "referral"));
  std::pair<StoredReferral, StoredReferral> result;
  RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
    result.first.referral = redirected;
    ASSIGN_OR_RETURN(result.first.version,
                     CompareAndSwap(conn, redirected, expected_version));
    // Inserted before the events are appended: every write takes
    // PostgreSQL's row locks in one order (the referral, referral_head,
    // the outbox's feed_head), so two writers never deadlock.
    ASSIGN_OR_RETURN(result.second, Insert(conn, created, /*request_id=*/""));
    RETURN_IF_ERROR(SqliteEventLog::AppendLater(conn, redirected_event));
    return AppendCreated(conn, created, result.second, created_event);
  }));
  event_log_.NotifyCommitted();
  return result;
}

absl::StatusOr<ReferralPage> SqliteReferralStore::List(
    const ReferralQuery& query) {
  // By mailbox (inbox, sent), then with an identifier or not.
  static const auto* const kSql = new std::string[2][2]{
      {ListSql(ReferralQuery::Mailbox::kInbox, false),
       ListSql(ReferralQuery::Mailbox::kInbox, true)},
      {ListSql(ReferralQuery::Mailbox::kSentByTeam, false),
       ListSql(ReferralQuery::Mailbox::kSentByTeam, true)}};
  int64_t state_mask = 0;
  for (v1::State state : query.states) state_mask |= int64_t{1} << state;
  ReferralCursor after = query.after.value_or(
      ReferralCursor{std::numeric_limits<int64_t>::min(), 0});

  ReferralPage page;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    const bool by_identifier = query.identifier.has_value();
    ASSIGN_OR_RETURN(
        Statement stmt,
        conn.Prepare(
            kSql[query.mailbox == ReferralQuery::Mailbox::kInbox ? 0 : 1]
                [by_identifier ? 1 : 0]));
    stmt.Bind(1, query.team)
        .Bind(2, after.create_time_us)
        .Bind(3, after.sequence)
        .Bind(4, state_mask)
        .Bind(5, query.person)
        .Bind(6, int64_t{query.overdue_only ? 1 : 0})
        .Bind(7, ToUnixMicrosUtc(query.now))
        .Bind(8, int64_t{query.page_size} + 1);
    if (by_identifier) {
      stmt.Bind(9, query.identifier->system())
          .Bind(10, query.identifier->value());
    }
    ReferralCursor last;
    ListPageBudget budget;
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      if (static_cast<int>(page.referrals.size()) == query.page_size) {
        page.next = last;
        break;
      }
      const ReferralCursor cursor{stmt.ColumnInt64(0), stmt.ColumnInt64(1)};
      ASSIGN_OR_RETURN(
          StoredReferral stored,
          Decode(stmt.ColumnText(2), stmt.ColumnInt64(3), stmt.ColumnBlob(4)));
      // A page of at most kMaxListPageBytes; the rest on the next.
      if (!budget.Takes(stored.referral.ByteSizeLong())) {
        page.next = last;
        break;
      }
      last = cursor;
      page.referrals.push_back(std::move(stored));
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<std::vector<StoredReferral>>
SqliteReferralStore::ListUnescalatedOverdue(absl::Time now, int limit) {
  // The WHERE clause repeats the partial index's, so SQLite uses it.
  static const auto* const kSql = new std::string(absl::StrCat(
      "SELECT id, version, body FROM referrals "
      "WHERE escalate_time_us IS NULL AND state IN (",
      static_cast<int>(v1::SENT), ", ", static_cast<int>(v1::ACKNOWLEDGED),
      ") AND response_due_time_us < ?1 "
      "ORDER BY response_due_time_us, seq LIMIT ?2"));
  std::vector<StoredReferral> result;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(*kSql));
    stmt.Bind(1, ToUnixMicrosUtc(now)).Bind(2, int64_t{limit});
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(
          StoredReferral stored,
          Decode(stmt.ColumnText(0), stmt.ColumnInt64(1), stmt.ColumnBlob(2)));
      result.push_back(std::move(stored));
    }
    return absl::OkStatus();
  }));
  return result;
}

}  // namespace carebridge::referral
