#include "tools/backup/backup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "services/common/file_util.h"
#include "tests/support/status_matchers.h"
#include "tools/backup/sqlite_file.h"
#include "tools/backup/test_data_dir.h"

namespace carebridge::backup {
namespace {

using ::carebridge::backup::testing::TestDataDir;
using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Optional;

const absl::Time kNow = absl::FromUnixSeconds(1796500000);

std::vector<std::string> Paths(const Manifest& manifest) {
  std::vector<std::string> paths;
  for (const BackupFile& file : manifest.files) paths.push_back(file.path);
  return paths;
}

const BackupFile& Entry(const Manifest& manifest, absl::string_view path) {
  for (const BackupFile& file : manifest.files) {
    if (file.path == path) return file;
  }
  ADD_FAILURE() << "no " << path << " in the manifest";
  static const BackupFile* const kNone = new BackupFile();
  return *kNone;
}

int64_t CountEvents(const std::string& path) {
  absl::StatusOr<SqliteFile> db = SqliteFile::Open(path, /*read_only=*/true);
  EXPECT_THAT(db.status(), IsOk());
  absl::StatusOr<std::optional<int64_t>> count =
      db->Int("SELECT COUNT(*) FROM outbox_events");
  EXPECT_THAT(count.status(), IsOk());
  return count.ok() ? count->value_or(-1) : -1;
}

TEST(BackUpTest, CopiesEveryDatabaseAndFileAndDescribesThem) {
  TestDataDir dir;
  for (int i = 0; i < 3; ++i) dir.Append();
  dir.Follow(2);
  const std::string out = dir.Scratch("backup");

  absl::StatusOr<Manifest> manifest = BackUp(dir.data(), out, kNow);

  ASSERT_THAT(manifest.status(), IsOk());
  // No -wal, -shm or .audit-index: each copy is whole without them.
  EXPECT_THAT(Paths(*manifest), ElementsAre("audit.key", "careplan.db",
                                            "record.db", "token-keys/k1.pem"));
  EXPECT_EQ(manifest->created, "2026-12-05T19:46:40Z");
  const BackupFile& producer = Entry(*manifest, "careplan.db");
  EXPECT_TRUE(producer.sqlite);
  EXPECT_EQ(producer.facts.user_version, 2);
  EXPECT_THAT(producer.facts.feed,
              Optional(FeedFacts{/*head_sequence=*/3, dir.Epoch()}));
  EXPECT_THAT(Entry(*manifest, "record.db").facts.cursors,
              ElementsAre(CursorFacts{"careplan", 2, dir.Epoch()}));
  const BackupFile& key = Entry(*manifest, "token-keys/k1.pem");
  EXPECT_FALSE(key.sqlite);
  EXPECT_EQ(key.mode, 0600u);
  EXPECT_EQ(*ReadFileToString(absl::StrCat(out, "/token-keys/k1.pem")),
            "-----BEGIN PRIVATE KEY-----\n");
  struct stat info;
  ASSERT_EQ(stat(absl::StrCat(out, "/token-keys/k1.pem").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(CountEvents(absl::StrCat(out, "/careplan.db")), 3);
  // The copy is one file, out of WAL mode.
  EXPECT_FALSE(std::filesystem::exists(absl::StrCat(out, "/careplan.db-wal")));
  // backup.json says the same as the result.
  absl::StatusOr<std::string> json =
      ReadFileToString(absl::StrCat(out, "/", kManifestName));
  ASSERT_THAT(json.status(), IsOk());
  absl::StatusOr<Manifest> read = ManifestFromJson(*json);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_THAT(Paths(*read), ElementsAre("audit.key", "careplan.db", "record.db",
                                        "token-keys/k1.pem"));
  EXPECT_EQ(Entry(*read, "careplan.db").sha256, producer.sha256);
  EXPECT_EQ(Entry(*read, "careplan.db").facts, producer.facts);
  EXPECT_EQ(Entry(*read, "record.db").facts,
            Entry(*manifest, "record.db").facts);
}

TEST(BackUpTest, WorksOnAStoppedServersFiles) {
  TestDataDir dir;
  dir.Append();
  dir.Close();
  absl::StatusOr<Manifest> manifest =
      BackUp(dir.data(), dir.Scratch("backup"), kNow);
  ASSERT_THAT(manifest.status(), IsOk());
  EXPECT_EQ(Entry(*manifest, "careplan.db").facts.feed->head_sequence, 1);
}

TEST(BackUpTest, CopiesOneCommittedSnapshotWhileTheServerWrites) {
  TestDataDir dir;
  for (int i = 0; i < 50; ++i) dir.Append();
  std::atomic<bool> stop{false};
  std::atomic<int64_t> written{50};
  std::thread writer([&] {
    while (!stop.load()) written = dir.Append();
  });
  for (int round = 0; round < 5; ++round) {
    const int64_t before = written.load();
    const std::string out = dir.Scratch(absl::StrCat("backup", round));
    absl::StatusOr<Manifest> manifest = BackUp(dir.data(), out, kNow);
    ASSERT_THAT(manifest.status(), IsOk());
    const int64_t head =
        Entry(*manifest, "careplan.db").facts.feed->head_sequence;
    // Everything committed before the backup began, and nothing torn: the
    // copy holds exactly the events up to its head.
    EXPECT_GE(head, before);
    EXPECT_EQ(CountEvents(absl::StrCat(out, "/careplan.db")), head);
  }
  stop = true;
  writer.join();
}

TEST(BackUpTest, AConsumersCursorIsNeverPastItsProducersCopiedHead) {
  TestDataDir dir;
  dir.Follow(dir.Append());
  // A consumer following as fast as the producer writes.
  std::atomic<bool> stop{false};
  std::thread follower([&] {
    while (!stop.load()) dir.Follow(dir.Append());
  });
  for (int round = 0; round < 20; ++round) {
    absl::StatusOr<Manifest> manifest =
        BackUp(dir.data(), dir.Scratch(absl::StrCat("backup", round)), kNow);
    ASSERT_THAT(manifest.status(), IsOk());
    const BackupFile& consumer = Entry(*manifest, "record.db");
    ASSERT_EQ(consumer.facts.cursors.size(), 1u);
    EXPECT_LE(consumer.facts.cursors[0].sequence,
              Entry(*manifest, "careplan.db").facts.feed->head_sequence)
        << "round " << round;
  }
  stop = true;
  follower.join();
}

TEST(SnapshotOrderTest, ConsumersFirstThenByPathDirectoryLast) {
  DatabaseFacts directory, referral, careplan, record, audit;
  directory.feed = FeedFacts{10, "d"};
  referral.feed = FeedFacts{20, "r"};
  careplan.feed = FeedFacts{30, "c"};
  careplan.cursors = {{"referral", 20, "r"}};
  record.feed = FeedFacts{5, "x"};
  record.cursors = {
      {"careplan", 30, "c"}, {"directory", 10, "d"}, {"referral", 19, "r"}};
  const std::vector<std::string> paths = {
      "audit.db", "careplan.db", "directory.db", "record.db", "referral.db"};
  // record follows careplan, which follows referral.
  EXPECT_THAT(
      SnapshotOrder(paths, {audit, careplan, directory, record, referral}),
      ElementsAre(0, 3, 1, 4, 2));
}

TEST(SnapshotOrderTest, ACycleIsBrokenByPath) {
  DatabaseFacts a, b;
  a.feed = FeedFacts{1, "a"};
  a.cursors = {{"b", 1, "b"}};
  b.feed = FeedFacts{1, "b"};
  b.cursors = {{"a", 1, "a"}};
  EXPECT_THAT(SnapshotOrder({"a.db", "b.db"}, {a, b}), ElementsAre(0, 1));
}

TEST(BackUpTest, RefusesAnOutFolderThatIsNotEmpty) {
  TestDataDir dir;
  const std::string out = dir.Scratch("backup");
  std::filesystem::create_directory(out);
  ASSERT_THAT(WriteFileAtomically(absl::StrCat(out, "/old"), "x", 0600),
              IsOk());
  EXPECT_THAT(BackUp(dir.data(), out, kNow).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is not empty")));
  EXPECT_TRUE(std::filesystem::exists(absl::StrCat(out, "/old")));
}

TEST(BackUpTest, RefusesAnOutFolderInsideTheDataDir) {
  TestDataDir dir;
  EXPECT_THAT(
      BackUp(dir.data(), absl::StrCat(dir.data(), "/backup"), kNow).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("inside")));
}

TEST(BackUpTest, FailsOnAMissingDataDirAndLeavesNothing) {
  TestDataDir dir;
  const std::string out = dir.Scratch("backup");
  EXPECT_THAT(BackUp(dir.Scratch("nowhere"), out, kNow).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not a directory")));
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(BackUpTest, FailsOnADamagedDatabaseAndLeavesNothing) {
  TestDataDir dir;
  ASSERT_THAT(
      WriteFileAtomically(absl::StrCat(dir.data(), "/broken.db"),
                          std::string("SQLite format 3\0garbage", 24), 0600),
      IsOk());
  const std::string out = dir.Scratch("backup");
  EXPECT_THAT(
      BackUp(dir.data(), out, kNow).status(),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("broken.db")));
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace carebridge::backup
