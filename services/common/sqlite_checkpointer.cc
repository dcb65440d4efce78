#include "services/common/sqlite_checkpointer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/sqlite_db.h"
#include "services/common/thread_name.h"

namespace carebridge {
namespace {

int64_t PageSize(SqliteConnection& connection) {
  constexpr int64_t kSqliteDefault = 4096;
  absl::StatusOr<Statement> pragma = connection.Prepare("PRAGMA page_size");
  if (!pragma.ok()) return kSqliteDefault;
  absl::StatusOr<bool> row = pragma->Step();
  if (!row.ok() || !*row) return kSqliteDefault;
  return std::max<int64_t>(512, pragma->ColumnInt64(0));
}

}  // namespace

SqliteCheckpointer::SqliteCheckpointer(
    std::unique_ptr<SqliteConnection> connection, Limits limits)
    : connection_(std::move(connection)) {
  page_size_ = PageSize(*connection_);
  limit_pages_ = std::max<int64_t>(1, limits.limit_bytes / page_size_);
  wake_pages_ =
      std::clamp<int64_t>(limits.wake_bytes / page_size_, 1, limit_pages_);
  thread_ = std::thread([this] {
    NameThisThread("checkpoint");
    Loop();
  });
}

SqliteCheckpointer::~SqliteCheckpointer() {
  if (writer_ != nullptr) sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void SqliteCheckpointer::Attach(sqlite3* writer) {
  writer_ = writer;
  sqlite3_wal_hook(writer, &SqliteCheckpointer::OnCommit, this);
  // A log that outgrew the limit (readers kept it from starting again) is
  // cut back when it does.
  const std::string limit =
      absl::StrCat("PRAGMA journal_size_limit=", limit_pages_ * page_size_);
  sqlite3_exec(writer, limit.c_str(), nullptr, nullptr, nullptr);
}

SqliteCheckpointer::Counts SqliteCheckpointer::counts() const {
  absl::MutexLock lock(&mu_);
  return counts_;
}

void SqliteCheckpointer::SetMetrics(MetricsRecorder* metrics,
                                    std::string name) {
  absl::MutexLock lock(&mu_);
  metrics_ = metrics;
  metrics_name_ = std::move(name);
}

void SqliteCheckpointer::Checkpoint(sqlite3* db, const char* name,
                                    int64_t restarts, bool in_commit) {
  int log = 0;
  int copied = 0;
  const absl::Time start = absl::Now();
  const int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
                                           &log, &copied);
  const absl::Duration took = absl::Now() - start;
  MetricsRecorder* metrics = nullptr;
  std::string database;
  std::string error;
  {
    absl::MutexLock lock(&mu_);
    if (rc == SQLITE_OK) {
      last_error_.clear();
      // Counted when it copied something: with a reader on an old snapshot
      // every commit may wake a checkpoint that can copy nothing. A log
      // that started again meanwhile has nothing of this copy.
      const bool same_log = restarts == restarts_;
      if (copied > (same_log ? copied_pages_ : 0)) {
        ++(in_commit ? counts_.in_commit : counts_.beside);
        metrics = metrics_;
        database = metrics_name_;
      }
      if (same_log) copied_pages_ = copied;
    } else if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
      // BUSY: another checkpoint is copying (this thread's, or a
      // commit's); the next commit tries again.
      error = SqliteError(db, rc, "checkpointing").ToString();
      if (error == last_error_) {
        error.clear();
      } else {
        last_error_ = error;
      }
    }
  }
  // Outside mu_, which each commit takes.
  if (metrics != nullptr) {
    metrics->ObserveCheckpoint(database, in_commit ? "in_commit" : "beside",
                               took);
  }
  // Said once until it changes or a checkpoint succeeds; past the limit the
  // commits try again meanwhile.
  if (!error.empty()) LogLine(absl::StrCat("checkpoint failed: ", error));
}

int SqliteCheckpointer::OnCommit(void* self, sqlite3* db, const char* name,
                                 int pages) {
  static_cast<SqliteCheckpointer*>(self)->Committed(db, name, pages);
  // An error here would be reported as the commit's, which it is not.
  return SQLITE_OK;
}

void SqliteCheckpointer::Committed(sqlite3* db, const char* name, int pages) {
  int64_t restarts = 0;
  {
    absl::MutexLock lock(&mu_);
    if (pages < last_pages_ || pages < copied_pages_) {
      // The log started again: nothing of it is copied yet. (A first
      // commit into the new log as long as the old one is taken for the
      // old log going on; the limit bounds what that misjudges.)
      ++restarts_;
      copied_pages_ = 0;
    }
    last_pages_ = pages;
    if (pages < limit_pages_) {
      if (pages - copied_pages_ >= wake_pages_) wake_ = true;
      return;
    }
    restarts = restarts_;
  }
  // The log is at its limit: copy the rest here, as SQLite's own
  // checkpoint would.
  Checkpoint(db, name, restarts, /*in_commit=*/true);
}

void SqliteCheckpointer::Loop() {
  while (true) {
    int64_t restarts = 0;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](SqliteCheckpointer* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(
               self->mu_) { return self->wake_ || self->stopping_; },
          this));
      if (stopping_) return;
      wake_ = false;
      restarts = restarts_;
    }
    Checkpoint(connection_->raw(), "main", restarts, /*in_commit=*/false);
  }
}

}  // namespace carebridge
