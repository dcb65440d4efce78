#include "services/common/sqlite_checkpointer.h"

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/macros.h"
#include "services/common/sqlite_db.h"
#include "tests/support/temp_dir.h"

namespace carebridge {
namespace {

constexpr int kRowBytes = 1000;
constexpr int kRowsPerCommit = 64;
constexpr int kCommits = 40;

const std::vector<Migration>& Schema() {
  static const auto* const kSchema = new std::vector<Migration>{
      {1, "CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL)"}};
  return *kSchema;
}

// The checkpoints' times as the server's metrics receive them.
class CheckpointRecorder : public MetricsRecorder {
 public:
  void ObserveCall(absl::string_view, absl::StatusCode,
                   absl::Duration) override {}
  void ObserveCommit(absl::string_view, absl::Duration) override {}
  void ObserveCheckpoint(absl::string_view database, absl::string_view where,
                         absl::Duration latency) override {
    absl::MutexLock lock(&mu_);
    seen_.insert(absl::StrCat(database, " ", where));
    if (latency < absl::ZeroDuration()) seen_.insert("negative");
  }
  std::set<std::string> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  std::set<std::string> seen_ ABSL_GUARDED_BY(mu_);
};

int64_t FileSize(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) return 0;
  return info.st_size;
}

class SqliteCheckpointerTest : public ::testing::Test {
 protected:
  // A database rebuilt from elsewhere: commits that need not wait for the
  // disk.
  std::unique_ptr<SqliteDb> OpenProjection(SqliteCheckpointer::Limits limits,
                                           int page_size = 0) {
    SqliteDb::Options options;
    options.durable_commits = false;
    options.checkpoints = limits;
    options.page_size = page_size;
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(path_, Schema(), options);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return nullptr;
    (*db)->SetMetrics(&metrics_, "projection");
    return *std::move(db);
  }

  static SqliteCheckpointer::Limits LimitsOf(int64_t wake_bytes,
                                             int64_t limit_bytes) {
    SqliteCheckpointer::Limits limits;
    limits.wake_bytes = wake_bytes;
    limits.limit_bytes = limit_bytes;
    return limits;
  }

  // Polls `done` for up to 20 s (the checkpointer's thread at work).
  static bool Eventually(absl::FunctionRef<bool()> done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!done()) {
      if (absl::Now() >= deadline) return false;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return true;
  }

  // kCommits commits of kRowsPerCommit rows of kRowBytes: about 2.6 MB.
  static void WriteRows(SqliteDb& db) {
    const std::string body(kRowBytes, 'x');
    for (int commit = 0; commit < kCommits; ++commit) {
      ASSERT_TRUE(db.Write([&](Connection& conn) -> absl::Status {
                      for (int i = 0; i < kRowsPerCommit; ++i) {
                        ASSIGN_OR_RETURN(
                            Statement insert,
                            conn.Prepare("INSERT INTO rows (body) VALUES (?)"));
                        insert.Bind(1, body);
                        RETURN_IF_ERROR(insert.Run());
                      }
                      return absl::OkStatus();
                    }).ok());
    }
  }

  static int64_t CountRows(SqliteDb& db) {
    int64_t count = -1;
    EXPECT_TRUE(db.Read([&](Connection& conn) -> absl::Status {
                    ASSIGN_OR_RETURN(Statement select,
                                     conn.Prepare("SELECT COUNT(*) FROM rows"));
                    ASSIGN_OR_RETURN(bool row, select.Step());
                    if (row) count = select.ColumnInt64(0);
                    return absl::OkStatus();
                  }).ok());
    return count;
  }

  testing::TempDir dir_;
  const std::string path_ = dir_.File("projection.db");
  // What the databases opened here tell the metrics.
  CheckpointRecorder metrics_;
};

TEST_F(SqliteCheckpointerTest, AProjectionIsCheckpointedBesideItsCommits) {
  const SqliteCheckpointer::Limits limits = LimitsOf(64 << 10, 64 << 20);
  std::unique_ptr<SqliteDb> db = OpenProjection(limits);
  ASSERT_NE(db, nullptr);
  WriteRows(*db);

  // The log is copied into the database file while the database is open,
  // by the checkpointer's thread: no commit did it (the log never came near
  // its limit), and SQLite's own checkpoint would have run in a commit.
  ASSERT_TRUE(db->checkpoint_counts().has_value());
  EXPECT_TRUE(Eventually([&] {
    return db->checkpoint_counts()->beside >= 1 &&
           FileSize(path_) >= kCommits * kRowsPerCommit * kRowBytes / 2;
  }));
  EXPECT_EQ(db->checkpoint_counts()->in_commit, 0);
  EXPECT_GE(FileSize(path_), kCommits * kRowsPerCommit * kRowBytes / 2);
  EXPECT_EQ(CountRows(*db), kCommits * kRowsPerCommit);
  EXPECT_EQ(metrics_.seen(), std::set<std::string>{"projection beside"});

  // Everything committed is there after the database is closed and opened
  // again.
  db.reset();
  db = OpenProjection(limits);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(CountRows(*db), kCommits * kRowsPerCommit);
}

TEST_F(SqliteCheckpointerTest, TheLogStaysWithinItsLimitWhenTheThreadLags) {
  // The thread is never woken (as if it could not keep up): the commits
  // that find the log at its limit copy it themselves, and the log starts
  // again, cut back to the limit.
  const SqliteCheckpointer::Limits limits =
      LimitsOf(int64_t{1} << 40, 256 << 10);
  std::unique_ptr<SqliteDb> db = OpenProjection(limits);
  ASSERT_NE(db, nullptr);
  WriteRows(*db);

  ASSERT_TRUE(db->checkpoint_counts().has_value());
  EXPECT_EQ(metrics_.seen(), std::set<std::string>{"projection in_commit"});
  EXPECT_EQ(db->checkpoint_counts()->beside, 0);
  EXPECT_GE(db->checkpoint_counts()->in_commit, 2);
  // Past the limit by at most the commit that found it there (about 70
  // KB); without these checkpoints the log would hold all 2.6 MB.
  const int64_t commit_bytes = 2 * kRowsPerCommit * (kRowBytes + 100);
  EXPECT_LE(FileSize(path_ + "-wal"), limits.limit_bytes + commit_bytes);
  EXPECT_EQ(CountRows(*db), kCommits * kRowsPerCommit);
}

TEST_F(SqliteCheckpointerTest, ACheckpointThatCopiedNothingIsNotCounted) {
  const SqliteCheckpointer::Limits limits = LimitsOf(64 << 10, 64 << 20);
  std::unique_ptr<SqliteDb> db = OpenProjection(limits);
  ASSERT_NE(db, nullptr);
  // A reader on an old snapshot: nothing written after it can be copied
  // into the database file while it reads, however often commits wake the
  // thread.
  absl::Notification reading;
  absl::Notification done;
  std::thread reader([&] {
    EXPECT_TRUE(db->Read([&](Connection& conn) -> absl::Status {
                    ASSIGN_OR_RETURN(Statement select,
                                     conn.Prepare("SELECT COUNT(*) FROM rows"));
                    RETURN_IF_ERROR(select.Step().status());
                    reading.Notify();
                    done.WaitForNotification();
                    return absl::OkStatus();
                  }).ok());
  });
  reading.WaitForNotification();
  WriteRows(*db);
  absl::SleepFor(absl::Milliseconds(200));
  // At most the copy of what the log held before the reader began (the
  // table's creation); the wakes of the 40 commits since copied nothing.
  const int64_t while_reading = db->checkpoint_counts()->beside;
  EXPECT_LE(while_reading, 1);
  done.Notify();
  reader.join();

  // Once it is gone, the next commit's wake copies the log.
  WriteRows(*db);
  EXPECT_TRUE(Eventually(
      [&] { return db->checkpoint_counts()->beside > while_reading; }));
  EXPECT_EQ(metrics_.seen(), std::set<std::string>{"projection beside"});
}

TEST_F(SqliteCheckpointerTest, ADurableDatabaseKeepsSqlitesCheckpoint) {
  // Its commits wait for the disk anyway; a second thread syncing beside
  // them made them slower.
  absl::StatusOr<std::unique_ptr<SqliteDb>> db =
      SqliteDb::Open(path_, Schema());
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_FALSE((*db)->checkpoint_counts().has_value());
}

TEST_F(SqliteCheckpointerTest, APageSizeIsTakenByANewDatabaseOnly) {
  auto page_size = [](SqliteDb& db) {
    int64_t size = 0;
    EXPECT_TRUE(db.Read([&](Connection& conn) -> absl::Status {
                    ASSIGN_OR_RETURN(Statement pragma,
                                     conn.Prepare("PRAGMA page_size"));
                    ASSIGN_OR_RETURN(bool row, pragma.Step());
                    if (row) size = pragma.ColumnInt64(0);
                    return absl::OkStatus();
                  }).ok());
    return size;
  };
  std::unique_ptr<SqliteDb> db =
      OpenProjection(SqliteCheckpointer::Limits(), /*page_size=*/1024);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(page_size(*db), 1024);
  db.reset();
  db = OpenProjection(SqliteCheckpointer::Limits(), /*page_size=*/8192);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(page_size(*db), 1024);
}

}  // namespace
}  // namespace carebridge
