// SqliteDb's audit log: appending records (at once or queued), writing the
// per-person index behind the log, and verifying it. The rest of SqliteDb
// (opening, the batched writer, readers) is in sqlite_db.cc.

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/audit_chain.h"
#include "services/common/log.h"
#include "services/common/macros.h"
#include "services/common/metrics.h"
#include "services/common/sqlite_db.h"

namespace carebridge {

namespace {

// Unindexed audit records that make a caller index them: a "who accessed"
// query walks at most about this many records of the log's end.
constexpr int64_t kAuditIndexEvery = 2048;
// Records indexed in one transaction.
constexpr int kAuditIndexBatch = 16384;

}  // namespace

absl::Status SqliteDb::CatchUpAuditIndex() {
  if (audit_ == nullptr) return absl::OkStatus();
  absl::MutexLock lock(&index_mu_);
  Connection& conn = *audit_index_;
  for (;;) {
    // Deferred: the log is only read (its snapshot), the index written.
    RETURN_IF_ERROR(conn.Run("BEGIN"));
    absl::StatusOr<int> indexed =
        AuditChain::IndexPersons(conn, kAuditIndexBatch);
    absl::Status status = indexed.ok() ? conn.Run("COMMIT") : indexed.status();
    if (!status.ok()) {
      conn.Run("ROLLBACK").IgnoreError();
      return status;
    }
    if (*indexed < kAuditIndexBatch) return absl::OkStatus();
  }
}

void SqliteDb::NoteAuditAppended(int64_t records) {
  if (audit_unindexed_.fetch_add(records, std::memory_order_relaxed) + records <
      kAuditIndexEvery) {
    return;
  }
  bool idle = false;
  if (!audit_indexing_.compare_exchange_strong(idle, true)) return;
  // Records appended from here on are indexed now or counted for next time.
  audit_unindexed_.store(0, std::memory_order_relaxed);
  absl::Status indexed = CatchUpAuditIndex();
  if (!indexed.ok()) {
    // The records stay at the log's end, where queries find them anyway.
    LogLine(
        absl::StrCat(path_, ": audit index not written: ", indexed.ToString()));
  }
  audit_indexing_.store(false);
}

absl::Status SqliteDb::AppendAudit(const AuditRecord& record) {
  return AppendAudit(std::vector<AuditRecord>{record});
}

absl::Status SqliteDb::AppendAudit(const std::vector<AuditRecord>& records) {
  if (audit_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " keeps no audit log"));
  }
  const absl::Time asked = absl::Now();
  absl::Status written = WriteAudited(
      [&](Connection& conn) { return audit_->Append(conn, records).status(); },
      nullptr, /*appends_audit=*/true);
  ObserveAuditAppendSince(metrics_, metrics_name_, asked, written);
  if (written.ok()) NoteAuditAppended(static_cast<int64_t>(records.size()));
  return written;
}

void SqliteDb::AppendAuditAsync(AuditRecord record,
                                absl::AnyInvocable<void(absl::Status)> done) {
  std::vector<AuditRecord> records;
  records.push_back(std::move(record));
  AppendAuditAsync(std::move(records), std::move(done));
}

void SqliteDb::AppendAuditAsync(std::vector<AuditRecord> records,
                                absl::AnyInvocable<void(absl::Status)> done) {
  if (audit_ == nullptr) {
    std::move(done)(absl::FailedPreconditionError(
        absl::StrCat(path_, " keeps no audit log")));
    return;
  }
  done = TimedAuditAppend(metrics_, metrics_name_, std::move(done));
  {
    absl::MutexLock lock(&audit_mu_);
    audit_queue_.push_back(QueuedAudit{std::move(records), std::move(done)});
    // Someone is committing: what they did not take, they or the next
    // caller will.
    if (audit_flushing_) return;
    audit_flushing_ = true;
    ++audit_flushers_;
  }
  // This caller commits what is queued and then tells each of those
  // callers; while it tells them, the next caller may commit what queued
  // meanwhile. Once done it commits again if records wait and nobody is.
  for (;;) {
    std::vector<QueuedAudit> batch;
    {
      absl::MutexLock lock(&audit_mu_);
      batch.swap(audit_queue_);
    }
    std::vector<AuditRecord> records;
    records.reserve(batch.size());
    for (QueuedAudit& queued : batch) {
      for (AuditRecord& record : queued.records) {
        records.push_back(std::move(record));
      }
    }
    absl::Status status = absl::OkStatus();
    if (!records.empty()) {
      status = WriteAudited(
          [&](Connection& conn) {
            return audit_->Append(conn, records).status();
          },
          nullptr, /*appends_audit=*/true);
    }
    {
      absl::MutexLock lock(&audit_mu_);
      audit_flushing_ = false;
    }
    for (QueuedAudit& queued : batch) std::move(queued.done)(status);
    if (status.ok()) NoteAuditAppended(static_cast<int64_t>(records.size()));
    absl::MutexLock lock(&audit_mu_);
    if (audit_queue_.empty() || audit_flushing_) {
      --audit_flushers_;
      return;
    }
    audit_flushing_ = true;
  }
}

absl::StatusOr<AuditVerification> SqliteDb::VerifyAudit() {
  if (audit_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " keeps no audit log"));
  }
  AuditVerification result;
  RETURN_IF_ERROR(Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(result, audit_->Verify(conn));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<std::vector<AuditRecord>> SqliteDb::ListAuditForPerson(
    absl::string_view person, int64_t before_seq, int limit) {
  if (audit_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, " keeps no audit log"));
  }
  std::vector<AuditRecord> records;
  RETURN_IF_ERROR(Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        records, AuditChain::ListForPerson(conn, person, before_seq, limit));
    return absl::OkStatus();
  }));
  return records;
}

}  // namespace carebridge
