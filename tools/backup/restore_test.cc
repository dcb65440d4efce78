#include "tools/backup/restore.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/common/file_util.h"
#include "services/common/sqlite_event_log.h"
#include "tests/support/status_matchers.h"
#include "tools/backup/backup.h"
#include "tools/backup/test_data_dir.h"

namespace carebridge::backup {
namespace {

using ::carebridge::backup::testing::TestDataDir;
using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

const absl::Time kNow = absl::FromUnixSeconds(1796500000);

// A data directory with a feed of 5 events followed by its consumer up to
// `cursor`, backed up into "backup".
class RestoreTest : public ::testing::Test {
 protected:
  void BackUpWithCursor(int64_t cursor) {
    for (int i = 0; i < 5; ++i) dir_.Append();
    dir_.Follow(cursor);
    old_epoch_ = dir_.Epoch();
    ASSERT_THAT(BackUp(dir_.data(), backup(), kNow).status(), IsOk());
  }
  std::string backup() const { return dir_.Scratch("backup"); }
  std::string target() const { return dir_.Scratch("restored"); }

  TestDataDir dir_;
  std::string old_epoch_;
};

// The restored producer as a server would open it.
struct Reopened {
  std::unique_ptr<SqliteDb> db;
  std::unique_ptr<SqliteEventLog> feed;
};
Reopened OpenProducer(const std::string& data_dir) {
  Reopened opened;
  absl::StatusOr<std::unique_ptr<SqliteDb>> db =
      SqliteDb::Open(absl::StrCat(data_dir, "/careplan.db"),
                     {{1, kOutboxSchemaSql}, {2, kOutboxEpochSchemaSql}});
  EXPECT_THAT(db.status(), IsOk());
  if (!db.ok()) return opened;
  opened.db = std::move(*db);
  opened.feed = std::make_unique<SqliteEventLog>("careplan", opened.db.get());
  return opened;
}

ConsumerPosition CursorIn(const std::string& data_dir) {
  absl::StatusOr<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(
      absl::StrCat(data_dir, "/record.db"), {{1, kConsumerCursorSchemaSql},
                                             {2, kConsumerLedgerSchemaSql},
                                             {3, kParkedEventIdSchemaSql}});
  EXPECT_THAT(db.status(), IsOk());
  if (!db.ok()) return {};
  SqliteConsumerLedger ledger(db->get());
  absl::StatusOr<ConsumerPosition> position = ledger.Position("careplan");
  EXPECT_THAT(position.status(), IsOk());
  return position.value_or(ConsumerPosition());
}

TEST_F(RestoreTest, RestoresEveryFileAndGivesTheFeedANewEpoch) {
  BackUpWithCursor(5);

  absl::StatusOr<RestoreReport> report = Restore(backup(), target());

  ASSERT_THAT(report.status(), IsOk());
  ASSERT_THAT(report->feeds, SizeIs(1));
  const RestoredFeed& feed = report->feeds[0];
  EXPECT_EQ(feed.path, "careplan.db");
  EXPECT_EQ(feed.head_sequence, 5);
  EXPECT_EQ(feed.old_epoch, old_epoch_);
  EXPECT_NE(feed.new_epoch, old_epoch_);
  EXPECT_EQ(feed.new_epoch.size(), 32u);
  // The plain files, with their permissions.
  EXPECT_EQ(*ReadFileToString(absl::StrCat(target(), "/token-keys/k1.pem")),
            "-----BEGIN PRIVATE KEY-----\n");
  EXPECT_EQ(*ReadFileToString(absl::StrCat(target(), "/audit.key")), "secret");
  struct stat info;
  ASSERT_EQ(stat(absl::StrCat(target(), "/audit.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(absl::StrCat(target(), "/token-keys").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  EXPECT_FALSE(
      std::filesystem::exists(absl::StrCat(target(), "/", kManifestName)));
  // A server opening it: the backup's head, the new epoch, and the next
  // event after the head.
  Reopened producer = OpenProducer(target());
  ASSERT_NE(producer.feed, nullptr);
  absl::StatusOr<FeedHead> head = producer.feed->ReadHead();
  ASSERT_THAT(head.status(), IsOk());
  EXPECT_EQ(head->sequence, 5);
  EXPECT_EQ(producer.feed->Epoch().value_or(""), feed.new_epoch);
  // Nothing of the restore is left beside it.
  EXPECT_FALSE(std::filesystem::exists(dir_.Scratch(".restored.restoring")));
}

TEST_F(RestoreTest, MovesAConsumerWithinTheRestoredFeedToTheNewEpoch) {
  BackUpWithCursor(4);
  // The next event the consumer parked (the cursor moves past it), of the
  // old epoch.
  events::v1::Event parked;
  parked.set_sequence(5);
  parked.set_type("careplan.updated");
  ASSERT_THAT(dir_.ledger().Park("careplan", parked, "bad", 5, kNow), IsOk());
  std::filesystem::remove_all(backup());
  ASSERT_THAT(BackUp(dir_.data(), backup(), kNow).status(), IsOk());

  absl::StatusOr<RestoreReport> report = Restore(backup(), target());

  ASSERT_THAT(report.status(), IsOk());
  ASSERT_THAT(report->cursors, SizeIs(1));
  EXPECT_TRUE(report->cursors[0].reanchored);
  EXPECT_EQ(report->cursors[0].path, "record.db");
  EXPECT_EQ(report->cursors[0].producer_path, "careplan.db");
  const ConsumerPosition position = CursorIn(target());
  EXPECT_EQ(position.sequence, 5);
  EXPECT_EQ(position.epoch, report->feeds[0].new_epoch);
  absl::StatusOr<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(
      absl::StrCat(target(), "/record.db"), {{1, kConsumerCursorSchemaSql},
                                             {2, kConsumerLedgerSchemaSql},
                                             {3, kParkedEventIdSchemaSql}});
  ASSERT_THAT(db.status(), IsOk());
  SqliteConsumerLedger ledger(db->get());
  absl::StatusOr<ParkedEvent> got = ledger.GetParked("careplan", 1);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->epoch, report->feeds[0].new_epoch);
}

TEST_F(RestoreTest, LeavesAConsumerPastTheRestoredHeadToStop) {
  // The consumer's copy has applied events its producer's copy lacks.
  BackUpWithCursor(9);

  absl::StatusOr<RestoreReport> report = Restore(backup(), target());

  ASSERT_THAT(report.status(), IsOk());
  ASSERT_THAT(report->cursors, SizeIs(1));
  EXPECT_FALSE(report->cursors[0].reanchored);
  EXPECT_EQ(report->cursors[0].producer_head, 5);
  const ConsumerPosition position = CursorIn(target());
  EXPECT_EQ(position.sequence, 9);
  // Still the old epoch: the consumer sees a producer of another database
  // and stops (PRODUCER_RESET) until an administrator resets it.
  EXPECT_EQ(position.epoch, old_epoch_);
  EXPECT_NE(position.epoch, report->feeds[0].new_epoch);
}

TEST_F(RestoreTest, RefusesADataDirThatIsNotEmpty) {
  BackUpWithCursor(5);
  std::filesystem::create_directory(target());
  ASSERT_THAT(WriteFileAtomically(absl::StrCat(target(), "/careplan.db"),
                                  "live data", 0600),
              IsOk());

  EXPECT_THAT(Restore(backup(), target()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is not empty")));
  EXPECT_EQ(*ReadFileToString(absl::StrCat(target(), "/careplan.db")),
            "live data");
}

TEST_F(RestoreTest, RestoresIntoAnEmptyDataDir) {
  BackUpWithCursor(5);
  std::filesystem::create_directory(target());
  EXPECT_THAT(Restore(backup(), target()).status(), IsOk());
  EXPECT_TRUE(std::filesystem::exists(absl::StrCat(target(), "/careplan.db")));
}

TEST_F(RestoreTest, RefusesADamagedCopyAndWritesNothing) {
  BackUpWithCursor(5);
  const std::string copy = absl::StrCat(backup(), "/careplan.db");
  {
    std::fstream file(copy, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(-100, std::ios::end);
    file.put('\x7f');
  }

  EXPECT_THAT(
      VerifyBackup(backup()).status(),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("careplan.db: differs")));
  EXPECT_THAT(Restore(backup(), target()).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("damaged")));
  EXPECT_FALSE(std::filesystem::exists(target()));
}

TEST_F(RestoreTest, RefusesAMissingCopy) {
  BackUpWithCursor(5);
  std::filesystem::remove(absl::StrCat(backup(), "/token-keys/k1.pem"));
  EXPECT_THAT(
      Restore(backup(), target()).status(),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("k1.pem: missing")));
  EXPECT_FALSE(std::filesystem::exists(target()));
}

TEST_F(RestoreTest, RefusesAFolderWithoutAManifest) {
  BackUpWithCursor(5);
  std::filesystem::remove(absl::StrCat(backup(), "/", kManifestName));
  EXPECT_THAT(Restore(backup(), target()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not a complete backup")));
}

TEST_F(RestoreTest, RefusesAManifestNamingAPathOutsideTheBackup) {
  BackUpWithCursor(5);
  const std::string manifest = absl::StrCat(backup(), "/", kManifestName);
  std::string json = *ReadFileToString(manifest);
  json = absl::StrReplaceAll(json, {{"\"audit.key\"", "\"../audit.key\""}});
  ASSERT_THAT(WriteFileAtomically(manifest, json, 0600), IsOk());
  EXPECT_THAT(Restore(backup(), target()).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("not a path inside the backup")));
}

TEST_F(RestoreTest, RenewsTheEpochsOfADataDirPutBackByOtherMeans) {
  for (int i = 0; i < 5; ++i) dir_.Append();
  dir_.Follow(3);
  const std::string old_epoch = dir_.Epoch();
  dir_.Close();

  absl::StatusOr<RestoreReport> report = RenewEpochs(dir_.data());

  ASSERT_THAT(report.status(), IsOk());
  ASSERT_THAT(report->feeds, SizeIs(1));
  EXPECT_EQ(report->feeds[0].old_epoch, old_epoch);
  EXPECT_NE(report->feeds[0].new_epoch, old_epoch);
  ASSERT_THAT(report->cursors, SizeIs(1));
  EXPECT_TRUE(report->cursors[0].reanchored);
  Reopened producer = OpenProducer(dir_.data());
  ASSERT_NE(producer.feed, nullptr);
  EXPECT_EQ(producer.feed->Epoch().value_or(""), report->feeds[0].new_epoch);
  EXPECT_EQ(CursorIn(dir_.data()).epoch, report->feeds[0].new_epoch);
}

TEST_F(RestoreTest, VerifyAcceptsAGoodBackup) {
  BackUpWithCursor(5);
  absl::StatusOr<Manifest> manifest = VerifyBackup(backup());
  ASSERT_THAT(manifest.status(), IsOk());
  EXPECT_THAT(manifest->files, SizeIs(4));
}

}  // namespace
}  // namespace carebridge::backup
