#include "services/common/consumer_ledger.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/macros.h"
#include "services/common/sqlite_event_log.h"

namespace carebridge {

// A parked row is never deleted: applied and dismissed events stay as the
// history of what needed a hand.
const char kConsumerLedgerSchemaSql[] = R"sql(
ALTER TABLE consumer_cursors ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
CREATE TABLE parked_events (
  feed TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  event BLOB NOT NULL,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  park_time_us INTEGER NOT NULL,
  state INTEGER NOT NULL,
  resolved_by TEXT NOT NULL DEFAULT '',
  resolve_time_us INTEGER,
  resolution TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (feed, sequence)
) WITHOUT ROWID;
CREATE INDEX parked_events_open ON parked_events (feed, sequence)
  WHERE state = 1;
)sql";

// Rows parked before epochs were kept take the epoch their cursor has.
const char kParkedEventIdSchemaSql[] = R"sql(
CREATE TABLE parked_events_by_id (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  feed TEXT NOT NULL,
  epoch TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  event BLOB NOT NULL,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  park_time_us INTEGER NOT NULL,
  state INTEGER NOT NULL,
  resolved_by TEXT NOT NULL DEFAULT '',
  resolve_time_us INTEGER,
  resolution TEXT NOT NULL DEFAULT '',
  UNIQUE (feed, epoch, sequence)
);
INSERT INTO parked_events_by_id (feed, epoch, sequence, event, reason,
    attempts, park_time_us, state, resolved_by, resolve_time_us, resolution)
  SELECT p.feed, COALESCE(c.epoch, ''), p.sequence, p.event, p.reason,
      p.attempts, p.park_time_us, p.state, p.resolved_by, p.resolve_time_us,
      p.resolution
  FROM parked_events p LEFT JOIN consumer_cursors c ON c.feed = p.feed
  ORDER BY p.feed, p.sequence;
DROP TABLE parked_events;
ALTER TABLE parked_events_by_id RENAME TO parked_events;
CREATE INDEX parked_events_open ON parked_events (feed, id) WHERE state = 1;
)sql";

namespace {

constexpr char kParkedColumns[] =
    "event, reason, attempts, park_time_us, state, resolved_by, "
    "resolve_time_us, resolution, id, epoch";

absl::StatusOr<ParkedEvent> ParkedFromRow(const Statement& row) {
  ParkedEvent parked;
  if (!parked.event.ParseFromString(row.ColumnBlob(0))) {
    return absl::DataLossError("a parked event is corrupt");
  }
  parked.reason = row.ColumnText(1);
  parked.attempts = static_cast<int>(row.ColumnInt64(2));
  parked.park_time = absl::FromUnixMicros(row.ColumnInt64(3));
  parked.state = static_cast<ParkedState>(row.ColumnInt64(4));
  parked.resolved_by = row.ColumnText(5);
  if (!row.ColumnIsNull(6)) {
    parked.resolve_time = absl::FromUnixMicros(row.ColumnInt64(6));
  }
  parked.resolution = row.ColumnText(7);
  parked.id = row.ColumnInt64(8);
  parked.epoch = row.ColumnText(9);
  return parked;
}

absl::Status NotParked(absl::string_view feed, int64_t id) {
  return absl::NotFoundError(
      absl::StrCat("the ", feed, " feed has no parked event ", id));
}

}  // namespace

absl::StatusOr<bool> IsPending(Connection& conn, const FeedPosition& position) {
  if (!position.is_retry()) {
    ASSIGN_OR_RETURN(int64_t cursor, ReadConsumerCursor(conn, position.feed));
    return position.sequence > cursor;
  }
  ASSIGN_OR_RETURN(Statement select,
                   conn.Prepare("SELECT 1 FROM parked_events WHERE feed = ? "
                                "AND id = ? AND state = 1"));
  select.Bind(1, position.feed).Bind(2, position.parked_id);
  return select.Step();
}

absl::Status MarkApplied(Connection& conn, const FeedPosition& position) {
  ASSIGN_OR_RETURN(bool pending, IsPending(conn, position));
  if (!pending) {
    return absl::AlreadyExistsError(absl::StrCat(
        "event ", position.feed, "/", position.sequence, " was applied already",
        position.is_retry() ? " (it is no longer parked)" : ""));
  }
  if (!position.is_retry()) {
    return AdvanceConsumerCursor(conn, position.feed, position.sequence);
  }
  ASSIGN_OR_RETURN(
      Statement update,
      conn.Prepare("UPDATE parked_events SET state = 2, resolved_by = ?, "
                   "resolve_time_us = ?, resolution = 'applied on retry' "
                   "WHERE feed = ? AND id = ? AND state = 1"));
  update.Bind(1, position.retried_by)
      .Bind(2, absl::ToUnixMicros(position.retry_time))
      .Bind(3, position.feed)
      .Bind(4, position.parked_id);
  return update.Run();
}

absl::StatusOr<ConsumerPosition> SqliteConsumerLedger::Position(
    absl::string_view feed) {
  ConsumerPosition position;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT sequence, epoch FROM "
                                  "consumer_cursors WHERE feed = ?"));
    select.Bind(1, feed);
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (row) {
      position.sequence = select.ColumnInt64(0);
      position.epoch = select.ColumnText(1);
    }
    return absl::OkStatus();
  }));
  return position;
}

absl::Status SqliteConsumerLedger::RecordEpoch(absl::string_view feed,
                                               absl::string_view epoch) {
  return db_->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement upsert,
        conn.Prepare("INSERT INTO consumer_cursors (feed, sequence, epoch) "
                     "VALUES (?, 0, ?) ON CONFLICT (feed) DO UPDATE SET "
                     "epoch = excluded.epoch WHERE epoch = ''"));
    upsert.Bind(1, feed).Bind(2, epoch);
    return upsert.Run();
  });
}

absl::Status SqliteConsumerLedger::Park(absl::string_view feed,
                                        const events::v1::Event& event,
                                        absl::string_view reason, int attempts,
                                        absl::Time now) {
  const std::string bytes = event.SerializeAsString();
  return db_->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t cursor, ReadConsumerCursor(conn, feed));
    if (event.sequence() <= cursor) return absl::OkStatus();
    ASSIGN_OR_RETURN(Statement epoch_select,
                     conn.Prepare("SELECT epoch FROM consumer_cursors "
                                  "WHERE feed = ?"));
    epoch_select.Bind(1, feed);
    ASSIGN_OR_RETURN(bool has_epoch, epoch_select.Step());
    const std::string epoch = has_epoch ? epoch_select.ColumnText(0) : "";
    // The same event parked again (the cursor was reset backwards within
    // one epoch) is parked afresh; an event of another epoch gets a row of
    // its own.
    ASSIGN_OR_RETURN(
        Statement insert,
        conn.Prepare(
            "INSERT INTO parked_events (feed, epoch, sequence, event, reason, "
            "attempts, park_time_us, state) VALUES (?, ?, ?, ?, ?, ?, ?, 1) "
            "ON CONFLICT (feed, epoch, sequence) DO UPDATE SET event = "
            "excluded.event, reason = excluded.reason, attempts = "
            "excluded.attempts, park_time_us = excluded.park_time_us, "
            "state = 1, resolved_by = '', resolve_time_us = NULL, "
            "resolution = ''"));
    insert.Bind(1, feed)
        .Bind(2, epoch)
        .Bind(3, event.sequence())
        .BindBlob(4, bytes)
        .Bind(5, reason)
        .Bind(6, static_cast<int64_t>(attempts))
        .Bind(7, absl::ToUnixMicros(now));
    RETURN_IF_ERROR(insert.Run());
    return AdvanceConsumerCursor(conn, feed, event.sequence());
  });
}

absl::StatusOr<ParkedEvent> SqliteConsumerLedger::GetParked(
    absl::string_view feed, int64_t id) {
  ParkedEvent parked;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement select,
        conn.Prepare(absl::StrCat("SELECT ", kParkedColumns,
                                  " FROM parked_events WHERE feed = ? AND "
                                  "id = ?")));
    select.Bind(1, feed).Bind(2, id);
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return NotParked(feed, id);
    ASSIGN_OR_RETURN(parked, ParkedFromRow(select));
    return absl::OkStatus();
  }));
  return parked;
}

absl::StatusOr<std::vector<ParkedEvent>> SqliteConsumerLedger::ListParked(
    absl::string_view feed, bool include_resolved, absl::string_view after_feed,
    int64_t after_id, int limit) {
  std::vector<ParkedEvent> result;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement select,
        conn.Prepare(absl::StrCat(
            "SELECT ", kParkedColumns,
            " FROM parked_events WHERE (?1 = '' OR feed = ?1) AND (?2 OR "
            "state = 1) AND (feed > ?3 OR (feed = ?3 AND id > ?4)) "
            "ORDER BY feed, id LIMIT ?5")));
    select.Bind(1, feed)
        .Bind(2, static_cast<int64_t>(include_resolved))
        .Bind(3, after_feed)
        .Bind(4, after_id)
        .Bind(5, static_cast<int64_t>(limit));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(ParkedEvent parked, ParkedFromRow(select));
      result.push_back(std::move(parked));
    }
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<int64_t> SqliteConsumerLedger::CountParked(
    absl::string_view feed) {
  int64_t count = 0;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT COUNT(*) FROM parked_events "
                                  "WHERE feed = ? AND state = 1"));
    select.Bind(1, feed);
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (row) count = select.ColumnInt64(0);
    return absl::OkStatus();
  }));
  return count;
}

absl::Status SqliteConsumerLedger::RecordRetryFailure(
    absl::string_view feed, int64_t id, absl::string_view reason) {
  return db_->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement update,
                     conn.Prepare("UPDATE parked_events SET reason = ?, "
                                  "attempts = attempts + 1 WHERE feed = ? AND "
                                  "id = ? AND state = 1"));
    update.Bind(1, reason).Bind(2, feed).Bind(3, id);
    return update.Run();
  });
}

absl::Status SqliteConsumerLedger::Dismiss(absl::string_view feed, int64_t id,
                                           absl::string_view actor,
                                           absl::string_view why,
                                           absl::Time now) {
  return db_->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement update,
        conn.Prepare("UPDATE parked_events SET state = 3, resolved_by = ?, "
                     "resolve_time_us = ?, resolution = ? WHERE feed = ? AND "
                     "id = ? AND state = 1"));
    update.Bind(1, actor)
        .Bind(2, absl::ToUnixMicros(now))
        .Bind(3, why)
        .Bind(4, feed)
        .Bind(5, id);
    RETURN_IF_ERROR(update.Run());
    if (conn.Changes() == 1) return absl::OkStatus();
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT state FROM parked_events WHERE "
                                  "feed = ? AND id = ?"));
    select.Bind(1, feed).Bind(2, id);
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return NotParked(feed, id);
    return absl::FailedPreconditionError(absl::StrCat(
        "parked event ", id, " of the ", feed, " feed is not parked any more (",
        select.ColumnInt64(0) == 2 ? "applied" : "dismissed", ")"));
  });
}

absl::Status SqliteConsumerLedger::Reset(absl::string_view feed,
                                         int64_t sequence,
                                         absl::string_view epoch) {
  return db_->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement upsert,
        conn.Prepare("INSERT INTO consumer_cursors (feed, sequence, epoch) "
                     "VALUES (?, ?, ?) ON CONFLICT (feed) DO UPDATE SET "
                     "sequence = excluded.sequence, epoch = excluded.epoch"));
    upsert.Bind(1, feed).Bind(2, sequence).Bind(3, epoch);
    return upsert.Run();
  });
}

}  // namespace carebridge
