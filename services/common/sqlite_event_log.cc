#include "services/common/sqlite_event_log.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/macros.h"
#include "services/common/time_util.h"

namespace carebridge {

// The event is stored without its position (sequence, id, feed): those come
// from the row and the log on read, so they can never disagree.
const char kOutboxSchemaSql[] = R"sql(
CREATE TABLE outbox_events (
  sequence INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  event BLOB NOT NULL
);
)sql";

// time_micros is NULL for events stored before this step.
const char kOutboxEpochSchemaSql[] = R"sql(
CREATE TABLE feed_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO feed_meta (key, value) VALUES ('epoch', lower(hex(randomblob(16))));
ALTER TABLE outbox_events ADD COLUMN time_micros INTEGER;
)sql";

const char kConsumerCursorSchemaSql[] = R"sql(
CREATE TABLE consumer_cursors (
  feed TEXT PRIMARY KEY,
  sequence INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// BIGINT where SQLite has INTEGER (64 bits either way), BYTEA for BLOB;
// feed_head's single row (only_row can only be true) holds the last
// sequence handed out.
const char kPgOutboxSchemaSql[] = R"sql(
CREATE TABLE outbox_events (
  sequence BIGINT PRIMARY KEY,
  type TEXT NOT NULL,
  event BYTEA NOT NULL,
  time_micros BIGINT
);
CREATE TABLE feed_head (
  only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
  sequence BIGINT NOT NULL
);
INSERT INTO feed_head (sequence) VALUES (0);
CREATE TABLE feed_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO feed_meta (key, value)
  VALUES ('epoch', replace(gen_random_uuid()::text, '-', ''));
)sql";

const char kPgConsumerCursorSchemaSql[] = R"sql(
CREATE TABLE consumer_cursors (
  feed TEXT PRIMARY KEY,
  sequence BIGINT NOT NULL
);
)sql";

namespace {

// Appends to a PostgreSQL feed in one statement (one round trip): the next
// sequence from feed_head, and the event under it. feed_head's row stays
// locked until the transaction ends: a concurrent appender waits for it,
// then (its SERIALIZABLE snapshot being older than the change) fails with
// serialization_failure and PgDb runs its write again after this one
// committed, that time (and while the feed stays busy, every write) taking
// the table's lock before its snapshot, so appenders queue rather than
// conflict again.
// With `later`, the statement goes by RunLater and 0 is returned. Without
// a feed_head row the sequence is NULL and the insert fails (never an event
// silently left out).
absl::StatusOr<int64_t> AppendPg(Connection& conn, absl::string_view type,
                                 absl::string_view bytes, int64_t time_micros,
                                 bool later) {
  ASSIGN_OR_RETURN(
      Statement insert,
      conn.Prepare("WITH head AS (UPDATE feed_head SET sequence = sequence + "
                   "1 RETURNING sequence) INSERT INTO outbox_events "
                   "(sequence, type, event, time_micros) VALUES ((SELECT "
                   "sequence FROM head), ?, ?, ?) RETURNING sequence"));
  insert.Bind(1, type).BindBlob(2, bytes).Bind(3, time_micros);
  if (later) {
    RETURN_IF_ERROR(conn.RunLater(std::move(insert)));
    return 0;
  }
  ASSIGN_OR_RETURN(bool row, insert.Step());
  if (!row) return absl::InternalError("outbox: the insert returned no row");
  const int64_t sequence = insert.ColumnInt64(0);
  RETURN_IF_ERROR(insert.Run());
  return sequence;
}

}  // namespace

SqliteEventLog::SqliteEventLog(std::string feed, Database* db)
    : EventLog(std::move(feed)), db_(db) {
  EnsureWatching();
}

SqliteEventLog::~SqliteEventLog() {
  // Once destroyed, the watch calls NotifyCommitted no more.
  std::unique_ptr<DatabaseWatch> watch;
  absl::MutexLock lock(&watch_mu_);
  watch = std::move(watch_);
}

void SqliteEventLog::EnsureWatching() {
  absl::MutexLock lock(&watch_mu_);
  if (watch_ != nullptr || nothing_to_watch_) return;
  absl::StatusOr<std::unique_ptr<DatabaseWatch>> watch =
      db_->Watch(kFeedChannel, [this] { NotifyCommitted(); });
  if (!watch.ok()) {
    if (watch_failure_logged_) return;
    watch_failure_logged_ = true;
    LogLine(absl::StrCat(feed(),
                         " feed: cannot watch other processes' commits yet "
                         "(tried again on the next read): ",
                         watch.status().ToString()));
    return;
  }
  watch_ = *std::move(watch);
  watch_failure_logged_ = false;
  nothing_to_watch_ = watch_ == nullptr;
  // A commit of another process before the watch began is found by the
  // feeds' own reads, which follow.
}

bool SqliteEventLog::watching_other_processes() {
  absl::MutexLock lock(&watch_mu_);
  return watch_ != nullptr;
}

absl::StatusOr<int64_t> SqliteEventLog::Append(Connection& conn,
                                               const events::v1::Event& event) {
  return AppendEvent(conn, event, /*later=*/false);
}

absl::Status SqliteEventLog::AppendLater(Connection& conn,
                                         const events::v1::Event& event) {
  return AppendEvent(conn, event, /*later=*/true).status();
}

absl::StatusOr<int64_t> SqliteEventLog::AppendEvent(
    Connection& conn, const events::v1::Event& event, bool later) {
  events::v1::Event stored = event;
  stored.clear_sequence();
  stored.clear_id();
  stored.clear_feed();
  std::string bytes;
  if (!stored.SerializeToString(&bytes)) {
    return absl::InternalError("outbox: could not serialise the event");
  }
  if (bytes.size() > kMaxEventBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(event.subject(), ": the change would be ", bytes.size(),
                     " bytes, more than the ", kMaxEventBytes,
                     " bytes one change may hold; make it smaller"));
  }
  const int64_t time_micros =
      absl::ToUnixMicros(FromProtoTimestamp(event.time()));
  // Other processes' feeds learn of the event once it commits.
  RETURN_IF_ERROR(conn.Announce(kFeedChannel));
  if (conn.engine() == "postgresql") {
    return AppendPg(conn, event.type(), bytes, time_micros, later);
  }
  ASSIGN_OR_RETURN(Statement insert,
                   conn.Prepare("INSERT INTO outbox_events (type, event, "
                                "time_micros) VALUES (?, ?, ?) "
                                "RETURNING sequence"));
  insert.Bind(1, event.type()).BindBlob(2, bytes).Bind(3, time_micros);
  ASSIGN_OR_RETURN(bool row, insert.Step());
  if (!row) return absl::InternalError("outbox: the insert returned no row");
  const int64_t sequence = insert.ColumnInt64(0);
  // To completion, so the statement is done before the caller's next.
  RETURN_IF_ERROR(insert.Run());
  return sequence;
}

absl::StatusOr<EventLog::Slice> SqliteEventLog::ReadSlice(int64_t after,
                                                          int limit,
                                                          size_t max_bytes) {
  EnsureWatching();
  Slice slice;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    // One row past the limit says whether there is more.
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT sequence, event FROM outbox_events "
                                  "WHERE sequence > ? ORDER BY sequence "
                                  "LIMIT ?"));
    select.Bind(1, after).Bind(2, static_cast<int64_t>(limit) + 1);
    size_t bytes = 0;
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      const int64_t sequence = select.ColumnInt64(0);
      std::string blob = select.ColumnBlob(1);
      if (static_cast<int>(slice.events.size()) == limit ||
          (!slice.events.empty() && bytes + blob.size() > max_bytes)) {
        slice.more = true;
        break;
      }
      bytes += blob.size();
      events::v1::Event event;
      if (!event.ParseFromString(blob)) {
        return absl::DataLossError(
            absl::StrCat("outbox: event ", sequence, " is corrupt"));
      }
      event.set_sequence(sequence);
      event.set_feed(feed());
      event.set_id(absl::StrCat(feed(), "/", sequence));
      slice.events.push_back(std::move(event));
    }
    return absl::OkStatus();
  }));
  return slice;
}

absl::StatusOr<FeedHead> SqliteEventLog::ReadHead() {
  EnsureWatching();
  FeedHead head;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT sequence, time_micros FROM "
                                  "outbox_events ORDER BY sequence DESC "
                                  "LIMIT 1"));
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (row) {
      head.sequence = select.ColumnInt64(0);
      if (!select.ColumnIsNull(1)) {
        head.time = absl::FromUnixMicros(select.ColumnInt64(1));
      }
    }
    return absl::OkStatus();
  }));
  return head;
}

absl::StatusOr<std::string> SqliteEventLog::Epoch() {
  // Fixed for the database's life, so read once.
  {
    absl::MutexLock lock(&epoch_mu_);
    if (!epoch_.empty()) return epoch_;
  }
  std::string epoch;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement select,
        conn.Prepare("SELECT value FROM feed_meta WHERE key = 'epoch'"));
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return absl::InternalError("outbox: the feed has no epoch");
    epoch = select.ColumnText(0);
    return absl::OkStatus();
  }));
  absl::MutexLock lock(&epoch_mu_);
  epoch_ = epoch;
  return epoch;
}

absl::StatusOr<int64_t> ReadConsumerCursor(Connection& conn,
                                           absl::string_view feed) {
  ASSIGN_OR_RETURN(
      Statement select,
      conn.Prepare("SELECT sequence FROM consumer_cursors WHERE feed = ?"));
  select.Bind(1, feed);
  ASSIGN_OR_RETURN(bool row, select.Step());
  return row ? select.ColumnInt64(0) : 0;
}

absl::Status SetConsumerCursor(Connection& conn, absl::string_view feed,
                               int64_t sequence) {
  ASSIGN_OR_RETURN(Statement upsert,
                   conn.Prepare("INSERT INTO consumer_cursors (feed, sequence) "
                                "VALUES (?, ?) ON CONFLICT (feed) DO UPDATE "
                                "SET sequence = excluded.sequence"));
  upsert.Bind(1, feed).Bind(2, sequence);
  return upsert.Run();
}

absl::Status AdvanceConsumerCursor(Connection& conn, absl::string_view feed,
                                   int64_t sequence) {
  ASSIGN_OR_RETURN(int64_t current, ReadConsumerCursor(conn, feed));
  if (sequence <= current) {
    return absl::FailedPreconditionError(
        absl::StrCat("feed ", feed, ": event ", sequence,
                     " was applied already (cursor at ", current, ")"));
  }
  return SetConsumerCursor(conn, feed, sequence);
}

}  // namespace carebridge
