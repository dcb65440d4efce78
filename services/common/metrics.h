#ifndef CAREBRIDGE_SERVICES_COMMON_METRICS_H_
#define CAREBRIDGE_SERVICES_COMMON_METRICS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace carebridge {

// The labels of one sample, as (name, value) pairs.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Where a service writes what it knows about itself when metrics are
// scraped: values read at that moment (feed heads, care gaps open) and
// totals it keeps (escalations raised). Names follow Prometheus' rules
// (`carebridge_...`, totals ending in `_total`); `help` is one line.
class MetricSink {
 public:
  virtual ~MetricSink() = default;
  // A value that goes up and down.
  virtual void Gauge(absl::string_view name, absl::string_view help,
                     const MetricLabels& labels, double value) = 0;
  // A total since the process started; never goes down.
  virtual void Counter(absl::string_view name, absl::string_view help,
                       const MetricLabels& labels, double value) = 0;
};

// What is observed as it happens: each call served, each database commit
// and each audit append. The kernel's side of the metrics (no exporter
// here); the process gives one to what it hosts, null when nobody collects.
// Implementations are thread-safe.
class MetricsRecorder {
 public:
  virtual ~MetricsRecorder() = default;
  // A call to `method` (`/carebridge.referral.v1.ReferralService/...`)
  // ended with `code` after `latency`.
  virtual void ObserveCall(absl::string_view method, absl::StatusCode code,
                           absl::Duration latency) = 0;
  // A write transaction on `database` (the file's base name, e.g.
  // `referral`) committed after `latency` (from BEGIN to durable; one
  // group commit may carry several writes).
  virtual void ObserveCommit(absl::string_view database,
                             absl::Duration latency) = 0;
  // A checkpoint of `database`'s write-ahead log took `latency`: `where`
  // "beside" the commits (SqliteCheckpointer's thread) or "in_commit" (a
  // commit that found the log at its limit, and waited).
  virtual void ObserveCheckpoint(absl::string_view /*database*/,
                                 absl::string_view /*where*/,
                                 absl::Duration /*latency*/) {}
  // An append to `database`'s audit log (the records of one call, or of
  // one feed subscription's batch) ended with `code` (OK: durable) after
  // `latency`, from when it was asked for: carried by a write's own
  // transaction (the write's time, queue included), or appended on its
  // own (a read's record, queued with others').
  virtual void ObserveAuditAppend(absl::string_view /*database*/,
                                  absl::StatusCode /*code*/,
                                  absl::Duration /*latency*/) {}
};

// Tells `metrics` (nobody when null) that an append to `database`'s audit
// log asked for at `asked` ended with `written` (ObserveAuditAppend).
inline void ObserveAuditAppendSince(MetricsRecorder* metrics,
                                    absl::string_view database,
                                    absl::Time asked,
                                    const absl::Status& written) {
  if (metrics == nullptr) return;
  metrics->ObserveAuditAppend(database, written.code(), absl::Now() - asked);
}

// `done`, which first tells `metrics` how the append to `database`'s
// audit log asked for now ended (ObserveAuditAppendSince); `done` itself
// when `metrics` is null. `database` outlives the returned function.
inline absl::AnyInvocable<void(absl::Status)> TimedAuditAppend(
    MetricsRecorder* metrics, absl::string_view database,
    absl::AnyInvocable<void(absl::Status)> done) {
  if (metrics == nullptr) return done;
  return [metrics, database, asked = absl::Now(),
          done = std::move(done)](absl::Status written) mutable {
    ObserveAuditAppendSince(metrics, database, asked, written);
    std::move(done)(std::move(written));
  };
}

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_METRICS_H_
