// carebridge-audit-bench measures verifying an audit log (issue 11): it
// writes --records audit records into a fresh database as the services do
// (AuditChain::Append, hash-chained under a key, a keyed checkpoint every
// 1,000), then verifies the whole log (AuditChain::Verify through
// SqliteDb::VerifyAudit, what VerifyAuditLogs and `carectl admin audit
// verify` run) in a child process, and reports the time taken, the
// verifying process's peak memory and the file's size. Not a test: it
// reports.
//
//   carebridge-audit-bench --records=1000000 --work_dir=/work

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "services/common/audit_chain.h"
#include "services/common/macros.h"
#include "services/common/sqlite_db.h"

ABSL_FLAG(int, records, 1000000, "audit records in the log");
ABSL_FLAG(std::string, work_dir, "/tmp",
          "where the database is made (on a real disk)");

namespace carebridge::bench {
namespace {

constexpr int kBatch = 10000;

// A realistic record: a clinician reading a care plan.
AuditRecord Record(int64_t i, absl::Time start) {
  AuditRecord record;
  record.time = start + absl::Milliseconds(i);
  record.actor = absl::StrCat("members/m", i % 997);
  record.team = absl::StrCat("teams/t", i % 53);
  record.role = "clinician";
  record.method = i % 5 == 0 ? "carebridge.careplan.v1.UpdateCarePlan"
                             : "carebridge.careplan.v1.GetCarePlan";
  record.resource = absl::StrCat("persons/p", i % 100003, "/carePlan");
  record.person = absl::StrCat("persons/p", i % 100003);
  record.outcome = "OK";
  return record;
}

long PeakRssKb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

int Run() {
  const int records = absl::GetFlag(FLAGS_records);
  const std::string dir = absl::StrCat(absl::GetFlag(FLAGS_work_dir),
                                       "/carebridge-audit-bench-", getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/service.db";
  HmacSha256 key(std::string(32, 'k'));
  {
    // As a server writes it: the log, and its per-person index behind it.
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(path, {}, AuditedOptions(&key));
    if (!db.ok()) {
      std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
      return 1;
    }
    const absl::Time start = absl::Now();
    const absl::Time first = absl::FromUnixSeconds(1796083200);
    for (int64_t done = 0; done < records; done += kBatch) {
      std::vector<AuditRecord> batch;
      for (int64_t i = done; i < std::min<int64_t>(records, done + kBatch);
           ++i) {
        batch.push_back(Record(i, first));
      }
      absl::Status written = (*db)->AppendAudit(batch);
      if (!written.ok()) {
        std::fprintf(stderr, "write: %s\n", written.ToString().c_str());
        return 1;
      }
    }
    std::printf("wrote %d records in %.1f s (%d per transaction)\n", records,
                absl::ToDoubleSeconds(absl::Now() - start), kBatch);
  }
  std::printf("database: %.1f MB, its per-person index: %.1f MB\n",
              static_cast<double>(std::filesystem::file_size(path)) / 1e6,
              static_cast<double>(
                  std::filesystem::file_size(SqliteDb::AuditIndexPath(path))) /
                  1e6);
  std::fflush(stdout);
  // Verify in a fresh process, so its peak memory is verifying's alone.
  const pid_t child = fork();
  if (child == 0) {
    const long before = PeakRssKb();
    SqliteDb::Options options = AuditedOptions(&key);
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(path, {}, options);
    if (!db.ok()) _exit(1);
    const absl::Time start = absl::Now();
    absl::StatusOr<AuditVerification> verified = (*db)->VerifyAudit();
    const absl::Duration took = absl::Now() - start;
    if (!verified.ok()) {
      std::fprintf(stderr, "verify: %s\n",
                   verified.status().ToString().c_str());
      _exit(1);
    }
    std::printf(
        "verified %lld records and %lld checkpoints in %.2f s (%.0f records/s)"
        ": %s\n",
        static_cast<long long>(verified->records),
        static_cast<long long>(verified->checkpoints),
        absl::ToDoubleSeconds(took),
        static_cast<double>(verified->records) / absl::ToDoubleSeconds(took),
        verified->intact() ? "intact" : "NOT INTACT");
    std::printf("verifying process: peak resident %.1f MB (%.1f MB at start)\n",
                static_cast<double>(PeakRssKb()) / 1024.0,
                static_cast<double>(before) / 1024.0);
    std::fflush(stdout);
    _exit(verified->intact() ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  std::filesystem::remove_all(dir);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace
}  // namespace carebridge::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return carebridge::bench::Run();
}
