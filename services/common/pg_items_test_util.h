#ifndef CAREBRIDGE_SERVICES_COMMON_PG_ITEMS_TEST_UTIL_H_
#define CAREBRIDGE_SERVICES_COMMON_PG_ITEMS_TEST_UTIL_H_

// What PgDb's write and pipeline tests share: rows of an `items (key TEXT
// PRIMARY KEY, n BIGINT)` table, and running writes as one batch.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "services/common/macros.h"
#include "services/common/pg_db.h"
#include "tests/support/eventually.h"

namespace carebridge::testing {

using WriteFn = std::function<absl::Status(Connection&)>;

inline absl::Status Insert(Connection& conn, absl::string_view key,
                           int64_t n = 0) {
  ASSIGN_OR_RETURN(Statement insert,
                   conn.Prepare("INSERT INTO items (key, n) VALUES (?, ?)"));
  insert.Bind(1, key).Bind(2, n);
  return insert.Run();
}

// NOT_FOUND when there is no such row.
inline absl::StatusOr<int64_t> Number(Connection& conn, absl::string_view key) {
  ASSIGN_OR_RETURN(Statement select,
                   conn.Prepare("SELECT n FROM items WHERE key = ?"));
  select.Bind(1, key);
  ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return absl::NotFoundError(key);
  return select.ColumnInt64(0);
}

// Every key, in order.
inline absl::StatusOr<std::vector<std::string>> Keys(PgDb& db) {
  std::vector<std::string> keys;
  RETURN_IF_ERROR(db.Read([&](Connection& conn) -> absl::Status {
    keys.clear();
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT key FROM items ORDER BY key"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) return absl::OkStatus();
      keys.push_back(select.ColumnText(0));
    }
  }));
  return keys;
}

// Runs `writes` on `db` as one batch, in this order: a write holds the
// leader's place while they queue one by one. Their results, in order.
inline std::vector<absl::Status> RunAsOneBatch(PgDb& db,
                                               std::vector<WriteFn> writes) {
  absl::Notification leading;
  absl::Notification release;
  std::thread holder([&] {
    absl::Status held = db.Write([&](Connection&) {
      leading.Notify();
      release.WaitForNotification();
      return absl::OkStatus();
    });
    EXPECT_TRUE(held.ok()) << held;
  });
  leading.WaitForNotification();
  std::vector<absl::Status> results(writes.size());
  std::vector<std::thread> writers;
  for (size_t i = 0; i < writes.size(); ++i) {
    writers.emplace_back([&, i] { results[i] = db.Write(writes[i]); });
    EXPECT_TRUE(Eventually(
        [&] { return db.queued_writes() == static_cast<int>(i) + 1; }));
  }
  release.Notify();
  holder.join();
  for (std::thread& writer : writers) writer.join();
  return results;
}

}  // namespace carebridge::testing

#endif  // CAREBRIDGE_SERVICES_COMMON_PG_ITEMS_TEST_UTIL_H_
