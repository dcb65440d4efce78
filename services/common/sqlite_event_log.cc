#include "services/common/sqlite_event_log.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/macros.h"

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

const char kConsumerCursorSchemaSql[] = R"sql(
CREATE TABLE consumer_cursors (
  feed TEXT PRIMARY KEY,
  sequence INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

absl::StatusOr<int64_t> SqliteEventLog::Append(Connection& conn,
                                               const events::v1::Event& event) {
  events::v1::Event stored = event;
  stored.clear_sequence();
  stored.clear_id();
  stored.clear_feed();
  std::string bytes;
  if (!stored.SerializeToString(&bytes)) {
    return absl::InternalError("outbox: could not serialise the event");
  }
  ASSIGN_OR_RETURN(
      Statement insert,
      conn.Prepare("INSERT INTO outbox_events (type, event) VALUES (?, ?)"));
  insert.Bind(1, event.type()).BindBlob(2, bytes);
  RETURN_IF_ERROR(insert.Run());
  return static_cast<int64_t>(sqlite3_last_insert_rowid(conn.raw()));
}

absl::StatusOr<std::vector<events::v1::Event>> SqliteEventLog::ReadAfter(
    int64_t after, int limit) {
  std::vector<events::v1::Event> events;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT sequence, event FROM outbox_events "
                                  "WHERE sequence > ? ORDER BY sequence "
                                  "LIMIT ?"));
    select.Bind(1, after).Bind(2, static_cast<int64_t>(limit));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      events::v1::Event event;
      int64_t sequence = select.ColumnInt64(0);
      if (!event.ParseFromString(select.ColumnBlob(1))) {
        return absl::DataLossError(
            absl::StrCat("outbox: event ", sequence, " is corrupt"));
      }
      event.set_sequence(sequence);
      event.set_feed(feed());
      event.set_id(absl::StrCat(feed(), "/", sequence));
      events.push_back(std::move(event));
    }
    return absl::OkStatus();
  }));
  return events;
}

absl::StatusOr<int64_t> SqliteEventLog::Head() {
  int64_t head = 0;
  RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement select,
        conn.Prepare("SELECT COALESCE(MAX(sequence), 0) FROM outbox_events"));
    ASSIGN_OR_RETURN(bool row, select.Step());
    if (row) head = select.ColumnInt64(0);
    return absl::OkStatus();
  }));
  return head;
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

absl::Status AdvanceConsumerCursor(Connection& conn, absl::string_view feed,
                                   int64_t sequence) {
  ASSIGN_OR_RETURN(int64_t current, ReadConsumerCursor(conn, feed));
  if (sequence <= current) {
    return absl::FailedPreconditionError(
        absl::StrCat("feed ", feed, ": event ", sequence,
                     " was applied already (cursor at ", current, ")"));
  }
  ASSIGN_OR_RETURN(Statement upsert,
                   conn.Prepare("INSERT INTO consumer_cursors (feed, sequence) "
                                "VALUES (?, ?) ON CONFLICT (feed) DO UPDATE "
                                "SET sequence = excluded.sequence"));
  upsert.Bind(1, feed).Bind(2, sequence);
  return upsert.Run();
}

}  // namespace carebridge
