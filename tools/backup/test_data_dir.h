#ifndef CAREBRIDGE_TOOLS_BACKUP_TEST_DATA_DIR_H_
#define CAREBRIDGE_TOOLS_BACKUP_TEST_DATA_DIR_H_

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/consumer_ledger.h"
#include "services/common/file_util.h"
#include "services/common/sqlite_db.h"
#include "services/common/sqlite_event_log.h"
#include "services/common/time_util.h"
#include "tests/support/temp_dir.h"

namespace carebridge::backup::testing {

// A server's data directory in miniature, with the real schemas: a
// producer (careplan.db: an outbox feed), a consumer of it (record.db:
// cursors and parked events) and plain files (keys). Path order puts the
// producer first, so only the backup's own ordering puts the consumer's
// snapshot first.
class TestDataDir {
 public:
  TestDataDir() : data_(root_.File("data")) {
    mkdir(data_.c_str(), 0700);
    mkdir(absl::StrCat(data_, "/token-keys").c_str(), 0700);
    EXPECT_TRUE(WriteFileAtomically(absl::StrCat(data_, "/token-keys/k1.pem"),
                                    "-----BEGIN PRIVATE KEY-----\n", 0600)
                    .ok());
    EXPECT_TRUE(
        WriteFileAtomically(absl::StrCat(data_, "/audit.key"), "secret", 0600)
            .ok());
    // An audit index beside a database: rebuilt from the log, not copied.
    EXPECT_TRUE(WriteFileAtomically(
                    absl::StrCat(data_, "/careplan.db.audit-index"), "x", 0600)
                    .ok());
    Open();
  }

  // Opens (again) the two databases.
  void Open() {
    absl::StatusOr<std::unique_ptr<SqliteDb>> producer =
        SqliteDb::Open(absl::StrCat(data_, "/careplan.db"),
                       {{1, kOutboxSchemaSql}, {2, kOutboxEpochSchemaSql}});
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = std::move(*producer);
    feed_ = std::make_unique<SqliteEventLog>("careplan", producer_.get());
    absl::StatusOr<std::unique_ptr<SqliteDb>> consumer = SqliteDb::Open(
        absl::StrCat(data_, "/record.db"), {{1, kConsumerCursorSchemaSql},
                                            {2, kConsumerLedgerSchemaSql},
                                            {3, kParkedEventIdSchemaSql}});
    ASSERT_TRUE(consumer.ok()) << consumer.status();
    consumer_ = std::move(*consumer);
    ledger_ = std::make_unique<SqliteConsumerLedger>(consumer_.get());
  }
  // Closes them (a stopped server).
  void Close() {
    ledger_.reset();
    consumer_.reset();
    feed_.reset();
    producer_.reset();
  }

  // Appends an event to the producer's feed; its sequence.
  int64_t Append() {
    events::v1::Event event;
    event.set_type("careplan.updated");
    event.set_subject("persons/p1");
    *event.mutable_time() = ToProtoTimestamp(absl::FromUnixSeconds(1800000000));
    int64_t sequence = 0;
    EXPECT_TRUE(producer_
                    ->Write([&](Connection& conn) -> absl::Status {
                      absl::StatusOr<int64_t> appended =
                          SqliteEventLog::Append(conn, event);
                      if (!appended.ok()) return appended.status();
                      sequence = *appended;
                      return absl::OkStatus();
                    })
                    .ok());
    return sequence;
  }

  // The consumer applies events up to `sequence` of the feed (its cursor
  // on the producer's epoch).
  void Follow(int64_t sequence) {
    ASSERT_TRUE(ledger_->RecordEpoch("careplan", Epoch()).ok());
    ASSERT_TRUE(consumer_
                    ->Write([&](Connection& conn) {
                      return SetConsumerCursor(conn, "careplan", sequence);
                    })
                    .ok());
  }

  std::string Epoch() {
    absl::StatusOr<std::string> epoch = feed_->Epoch();
    EXPECT_TRUE(epoch.ok());
    return epoch.value_or("");
  }

  const std::string& data() const { return data_; }
  // A path in the scratch folder beside the data directory.
  std::string Scratch(absl::string_view name) const { return root_.File(name); }
  SqliteDb& producer() { return *producer_; }
  SqliteDb& consumer() { return *consumer_; }
  ConsumerLedger& ledger() { return *ledger_; }

 private:
  carebridge::testing::TempDir root_;
  std::string data_;
  std::unique_ptr<SqliteDb> producer_;
  std::unique_ptr<SqliteEventLog> feed_;
  std::unique_ptr<SqliteDb> consumer_;
  std::unique_ptr<SqliteConsumerLedger> ledger_;
};

}  // namespace carebridge::backup::testing

#endif  // CAREBRIDGE_TOOLS_BACKUP_TEST_DATA_DIR_H_
