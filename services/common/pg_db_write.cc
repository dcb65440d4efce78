// PgDb's writes: group commit (writes made at once share one transaction,
// each in a savepoint), conflicts run the batch again, the feed's and the
// audit log's locks. Connections and reads are in pg_db.cc.

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/audit_chain.h"
#include "services/common/call_audit.h"
#include "services/common/macros.h"
#include "services/common/metrics.h"
#include "services/common/pg_connection.h"
#include "services/common/pg_db.h"

namespace carebridge {

namespace {

// How long after a conflict on feed_head batches queue on its lock from
// their first attempt.
constexpr absl::Duration kFeedBusyFor = absl::Seconds(2);

}  // namespace

struct PgDb::PendingWrite {
  explicit PendingWrite(absl::FunctionRef<absl::Status(Connection&)> f)
      : fn(f) {}
  absl::FunctionRef<absl::Status(Connection&)> fn;
  // The call whose records the transaction carries (audited databases).
  CallAudit* audit = nullptr;
  // Appends to the audit log (its records, or `fn` itself).
  bool appends_audit = false;
  // The last attempt appended the call's records (`fn` had succeeded and
  // changed data).
  bool audit_tried = false;
  // The call's records are in the attempt that committed.
  bool audited = false;
  absl::Status result;
  bool done = false;
  // Signalled when this write is done, or when it should lead the next
  // batch: finishing a batch wakes only its own writers and the next
  // leader.
  absl::CondVar wake;
};

absl::Status PgDb::Write(absl::FunctionRef<absl::Status(Connection&)> fn) {
  CallAudit* audit = nullptr;
  if (audit_ != nullptr) {
    audit = CurrentCallAudit();
    if (audit != nullptr && audit->sink == nullptr) audit->sink = this;
  }
  return WriteAudited(fn, audit, /*appends_audit=*/false);
}

absl::Status PgDb::WriteAudited(absl::FunctionRef<absl::Status(Connection&)> fn,
                                CallAudit* audit, bool appends_audit) {
  const absl::Time asked = metrics_ != nullptr ? absl::Now() : absl::Time();
  PendingWrite write(fn);
  write.audit = audit;
  write.appends_audit = audit != nullptr || appends_audit;
  {
    absl::MutexLock lock(&queue_mu_);
    queue_.push_back(&write);
    while (!write.done) {
      if (leader_active_) {
        write.wake.Wait(&queue_mu_);
        continue;
      }
      // Lead: take what is queued, this write included, as one batch.
      leader_active_ = true;
      const size_t take = std::min(
          queue_.size(), static_cast<size_t>(std::max(1, options_.max_batch)));
      auto own = std::find(queue_.begin(), queue_.end(), &write);
      if (static_cast<size_t>(own - queue_.begin()) >= take) {
        std::iter_swap(queue_.begin(), own);
      }
      std::vector<PendingWrite*> batch(queue_.begin(), queue_.begin() + take);
      queue_.erase(queue_.begin(), queue_.begin() + take);
      queue_mu_.Unlock();
      RunBatch(batch);
      queue_mu_.Lock();
      // Still under queue_mu_: a woken writer cannot return (and destroy its
      // PendingWrite) before this loop is over.
      for (PendingWrite* pending : batch) {
        pending->done = true;
        if (pending != &write) pending->wake.Signal();
      }
      leader_active_ = false;
      if (!queue_.empty()) queue_.front()->wake.Signal();
    }
  }
  if (write.audit_tried) {
    ObserveAuditAppendSince(metrics_, metrics_name_, asked, write.result);
  }
  if (write.result.ok() && write.audited) write.audit->written = true;
  return write.result;
}

void PgDb::RunBatch(const std::vector<PendingWrite*>& batch) {
  thread_local std::minstd_rand jitter(std::random_device{}());
  // The audit log's head first, then the feed's: one order for every
  // writer, so two writers never wait on each other's lock.
  const bool appends_audit =
      std::any_of(batch.begin(), batch.end(),
                  [](const PendingWrite* p) { return p->appends_audit; });
  // While the feed is busy (a batch lost a conflict on it lately), every
  // batch queues on its lock from the first attempt: nearly every write of
  // a store appends an event, and one that does not waits a moment behind
  // the appenders rather than making them run again.
  bool lock_feed = options_.queue_busy_feed_appenders &&
                   absl::ToUnixMicros(absl::Now()) <
                       feed_busy_until_us_.load(std::memory_order_relaxed);
  for (int attempt = 1; attempt <= options_.max_write_attempts; ++attempt) {
    std::vector<std::string> locks;
    if (appends_audit) {
      locks.push_back("LOCK TABLE audit_head IN EXCLUSIVE MODE");
    }
    if (lock_feed) locks.push_back("LOCK TABLE feed_head IN EXCLUSIVE MODE");
    bool feed_conflict = false;
    const absl::Time start = absl::Now();
    if (!RunBatchOnce(batch, locks, feed_conflict)) {
      // Timed only when something committed.
      if (metrics_ != nullptr &&
          std::any_of(batch.begin(), batch.end(),
                      [](const PendingWrite* p) { return p->result.ok(); })) {
        metrics_->ObserveCommit(metrics_name_, absl::Now() - start);
      }
      return;
    }
    write_retries_.fetch_add(static_cast<int64_t>(batch.size()),
                             std::memory_order_relaxed);
    if (feed_conflict && options_.queue_busy_feed_appenders) {
      // The lock queues it behind the other appenders: no wait needed.
      lock_feed = true;
      feed_busy_until_us_.store(absl::ToUnixMicros(absl::Now() + kFeedBusyFor),
                                std::memory_order_relaxed);
      continue;
    }
    // Apart, so the writers that collided do not collide again: a random
    // wait, its bound doubling from 1 ms to 100 ms.
    const int64_t bound_us = std::min<int64_t>(100000, 500LL << attempt);
    absl::SleepFor(absl::Microseconds(
        std::uniform_int_distribution<int64_t>(0, bound_us)(jitter)));
  }
  const absl::Status gave_up = absl::UnavailableError(
      absl::StrCat("the write kept conflicting with other writers (",
                   options_.max_write_attempts, " attempts); retry"));
  for (PendingWrite* pending : batch) pending->result = gave_up;
}

bool PgDb::RunBatchOnce(const std::vector<PendingWrite*>& batch,
                        const std::vector<std::string>& locks,
                        bool& feed_conflict) {
  feed_conflict = false;
  for (PendingWrite* pending : batch) {
    pending->result = absl::OkStatus();
    pending->audit_tried = false;
    pending->audited = false;
  }
  absl::StatusOr<std::unique_ptr<PgConnection>> begun =
      Begin("BEGIN ISOLATION LEVEL SERIALIZABLE", /*writing=*/true);
  if (!begun.ok()) {
    for (PendingWrite* pending : batch) pending->result = begun.status();
    return false;
  }
  std::unique_ptr<PgConnection> conn = *std::move(begun);
  // The control commands are deferred: each goes with the next statement
  // (or the commit), in one round trip with it. The locks go after the
  // BEGIN, before any snapshot.
  for (const std::string& lock : locks) conn->Defer(lock);
  // What fails the whole batch (a lost connection, a conflict, a lock or
  // savepoint failing, the commit failing); each write's own failure is
  // its result alone.
  absl::Status status;
  bool any_ok = false;
  for (PendingWrite* pending : batch) {
    conn->Defer("SAVEPOINT cb_write");
    const int64_t changes_before = conn->possible_changes();
    absl::Status own = pending->fn(*conn);
    if (own.ok() && pending->audit != nullptr) {
      // The call's records, in the transaction of the change they describe
      // (none when it changed nothing: the call's end writes them). What
      // `fn` queued (RunLater) is a change not yet run.
      std::vector<AuditRecord> records = RecordsCarriedByWrite(
          *pending->audit,
          /*changed=*/conn->possible_changes() != changes_before ||
              conn->has_later());
      if (!records.empty()) {
        pending->audit_tried = true;
        own = audit_->Append(*conn, records).status();
      }
    }
    // What `fn` left queued (RunLater) is this write's: sent now, unless a
    // statement after it took it, so its failure is this write's alone.
    if (own.ok() && conn->has_later()) own = conn->FlushLater();
    if (!own.ok()) conn->DropLater();
    // A savepoint with nothing after it: neither sent nor released.
    if (own.ok() && !conn->TakeBackDeferred("SAVEPOINT cb_write")) {
      if (conn->in_failed_transaction() || !conn->control_status().ok()) {
        // Unlike SQLite, a failed statement dooms what follows it until
        // rolled back, even when `fn` carried on: RELEASE fails, sent now
        // as it always was (only a failed statement or a lost connection
        // fails it, so one deferred fails only with the batch).
        own = conn->Exec("RELEASE SAVEPOINT cb_write");
        if (!own.ok() && !conn->lost() && !conn->conflicted()) {
          own = absl::InternalError(absl::StrCat(
              "postgresql (", target_,
              "): the write was rolled back, as a statement in it had "
              "failed: ",
              own.message()));
        }
      } else {
        conn->Defer("RELEASE SAVEPOINT cb_write");
      }
    }
    // A conflict seen anywhere in the transaction, even one `fn` turned
    // into another status (or hid), means the whole batch is void.
    if (conn->lost()) {
      status = own.ok() || !absl::IsUnavailable(own)
                   ? absl::UnavailableError(absl::StrCat(
                         "postgresql (", target_,
                         "): the connection was lost during the write"))
                   : own;
      break;
    }
    if (conn->conflicted()) {
      status = absl::AbortedError("the write transaction lost a conflict");
      break;
    }
    // A BEGIN, LOCK TABLE or SAVEPOINT that failed: the batch fails with
    // it, as when it went alone before `fn` ran.
    if (!conn->control_status().ok()) {
      status = conn->control_status();
      break;
    }
    // Rolled back with the next statement sent; not at all when nothing
    // was sent since the savepoint.
    if (!own.ok() && !conn->TakeBackDeferred("SAVEPOINT cb_write")) {
      conn->Defer("ROLLBACK TO SAVEPOINT cb_write");
      conn->Defer("RELEASE SAVEPOINT cb_write");
    }
    conn->KeepAnnounced(own.ok());
    pending->audited = own.ok() && pending->audit_tried;
    pending->result = std::move(own);
    any_ok = any_ok || pending->result.ok();
  }
  // A database rebuilt from elsewhere need not wait for the disk, unless
  // the batch carries audit records or appends events: PostgreSQL shows an
  // asynchronous commit before it is on disk, and a crash could then take
  // back events a subscriber already read (their numbers given again to
  // others).
  bool unsynced = false;
  if (status.ok() && any_ok && !options_.durable_commits &&
      !conn->appends_to_feed() &&
      std::none_of(batch.begin(), batch.end(),
                   [](const PendingWrite* p) { return p->appends_audit; })) {
    conn->Defer("SET LOCAL synchronous_commit = off");
    unsynced = true;
  }
  if (status.ok()) status = any_ok ? conn->Commit() : conn->Rollback();
  if (status.ok() && any_ok) {
    commits_.fetch_add(1, std::memory_order_relaxed);
    if (unsynced) unsynced_commits_.fetch_add(1, std::memory_order_relaxed);
  }
  const bool conflicted = conn->conflicted() && !conn->lost();
  feed_conflict = conflicted && conn->feed_conflict();
  if (!status.ok()) {
    if (!conn->lost()) conn->Rollback().IgnoreError();
    // Nothing of the batch committed: every write fails with it, also one
    // that had failed on its own, since it may have failed on what a
    // batch-mate wrote and never committed (it finds out again on retry).
    for (PendingWrite* pending : batch) {
      pending->result = status;
      pending->audited = false;
    }
  }
  Release(std::move(conn));
  return conflicted;
}

}  // namespace carebridge
