#ifndef CAREBRIDGE_SERVICES_COMMON_SQLITE_CHECKPOINTER_H_
#define CAREBRIDGE_SERVICES_COMMON_SQLITE_CHECKPOINTER_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/metrics.h"

namespace carebridge {

class SqliteConnection;

// Checkpoints an SQLite database's write-ahead log on a thread of its own,
// beside the commits, for a database whose commits do not wait for the disk
// (SqliteDb::Options::durable_commits false: the record's projections).
//
// SQLite's own checkpoint runs inside the commit that takes the log past
// 1,000 pages: it copies the log into the database and syncs both files, so
// that commit, and every write queued behind it, waits for the disk, the
// only wait such a database's commits otherwise have. Here each commit only
// notes how long the log is (OnCommit, SQLite's WAL hook on the writer);
// past Limits::wake_bytes not yet copied, this thread copies what it can (a
// PASSIVE checkpoint on its own connection, which never waits for or holds up
// the writer or readers). The log starts again from its beginning only at
// a commit that begins when it is all copied: under steady writing, commits
// land during each copy, so that waits for a pause in the writes. Should the
// log reach Limits::limit_bytes first (steady writing; this thread behind;
// a reader holding an old snapshot), the commit that finds it so
// checkpoints itself, as SQLite would have: by then little is left to copy,
// and the log starts again at the next commit.
//
// Databases whose commits wait for the disk anyway keep SQLite's checkpoint:
// measured there, a second thread syncing the database file beside the
// commits' own syncs made them slower.
//
// This class is thread-safe.
class SqliteCheckpointer {
 public:
  struct Limits {
    // Log not yet copied into the database that wakes the thread. Small
    // copies often kept the record's commits quicker than large ones
    // seldom (each copy syncs the database file).
    int64_t wake_bytes = int64_t{256} << 10;
    // Log length at which the committing writer checkpoints itself; the
    // log's file is cut back to it when the log starts again.
    int64_t limit_bytes = int64_t{32} << 20;
  };
  // How many checkpoints copied something, and where (one that could copy
  // nothing, a reader holding an old snapshot, is not counted).
  struct Counts {
    // On this thread, beside the commits.
    int64_t beside = 0;
    // In a commit, the log at Limits::limit_bytes.
    int64_t in_commit = 0;
  };

  // Starts the thread, which checkpoints through `connection` (its own
  // connection to the database, used by nothing else).
  SqliteCheckpointer(std::unique_ptr<SqliteConnection> connection,
                     Limits limits);
  // Detaches from the writer and joins the thread (a checkpoint in progress
  // finishes first).
  ~SqliteCheckpointer();
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

  // Takes over checkpointing from SQLite on `writer` (sqlite3_wal_hook, which
  // replaces its automatic checkpoint). Once, before the writer's first
  // commit; `writer` outlives this.
  void Attach(sqlite3* writer);

  Counts counts() const ABSL_LOCKS_EXCLUDED(mu_);
  // The time of each checkpoint counted in counts() goes to `metrics` as
  // database `name`
  // (MetricsRecorder::ObserveCheckpoint); none when null.
  void SetMetrics(MetricsRecorder* metrics, std::string name)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // SQLite's WAL hook: after each commit on the writer, with the log's
  // length in pages.
  static int OnCommit(void* self, sqlite3* db, const char* name, int pages);
  // Runs a PASSIVE checkpoint of `name` on `db` (this thread's connection,
  // or the writer's in a commit), begun when the log had started again
  // `restarts` times, and counts, times and logs it.
  void Checkpoint(sqlite3* db, const char* name, int64_t restarts,
                  bool in_commit) ABSL_LOCKS_EXCLUDED(mu_);
  void Committed(sqlite3* db, const char* name, int pages)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);

  const std::unique_ptr<SqliteConnection> connection_;
  int64_t page_size_ = 0;
  // The limits in pages of the database's page size.
  int64_t wake_pages_ = 0;
  int64_t limit_pages_ = 0;
  sqlite3* writer_ = nullptr;

  mutable absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The log's length at the last commit, and how many times it started
  // again from its beginning (each time it is shorter than before).
  int64_t last_pages_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t restarts_ ABSL_GUARDED_BY(mu_) = 0;
  // Pages of the current log copied into the database, as the last
  // checkpoint found.
  int64_t copied_pages_ ABSL_GUARDED_BY(mu_) = 0;
  Counts counts_ ABSL_GUARDED_BY(mu_);
  MetricsRecorder* metrics_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::string metrics_name_ ABSL_GUARDED_BY(mu_);
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_SQLITE_CHECKPOINTER_H_
