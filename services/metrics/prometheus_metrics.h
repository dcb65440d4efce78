#ifndef CAREBRIDGE_SERVICES_METRICS_PROMETHEUS_METRICS_H_
#define CAREBRIDGE_SERVICES_METRICS_PROMETHEUS_METRICS_H_

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/common/metrics.h"

namespace carebridge::metrics {

class ScrapeCollectable;

// One process's metrics in Prometheus' exposition format: what is observed
// as it happens (calls by method and code with their latency, database
// commit latency, audit appends by log and code with their latency) and
// what the collectors added here read at each scrape (feed heads, consumer
// lag, executor queue, care gaps open, escalations raised). Served on
// /metrics once Listen is called. This class is thread-safe.
class PrometheusMetrics : public MetricsRecorder {
 public:
  PrometheusMetrics();
  ~PrometheusMetrics() override;
  PrometheusMetrics(const PrometheusMetrics&) = delete;
  PrometheusMetrics& operator=(const PrometheusMetrics&) = delete;

  // Methods beyond kMaxMethods distinct ones (a client calling made-up
  // paths) are counted as method "other", so the series stay bounded.
  void ObserveCall(absl::string_view method, absl::StatusCode code,
                   absl::Duration latency) override ABSL_LOCKS_EXCLUDED(mu_);
  static constexpr size_t kMaxMethods = 512;
  void ObserveCommit(absl::string_view database,
                     absl::Duration latency) override ABSL_LOCKS_EXCLUDED(mu_);
  void ObserveCheckpoint(absl::string_view database, absl::string_view where,
                         absl::Duration latency) override
      ABSL_LOCKS_EXCLUDED(mu_);
  void ObserveAuditAppend(absl::string_view database, absl::StatusCode code,
                          absl::Duration latency) override
      ABSL_LOCKS_EXCLUDED(mu_);

  // Adds what writes values read at each scrape. What it reads must outlive
  // this object or the listener (whichever goes first).
  void AddCollector(std::function<void(MetricSink&)> collect);

  // Serves GET /metrics on `address` (`host:port`; port 0 picks a free
  // one). FAILED_PRECONDITION naming the address when it cannot be bound.
  absl::Status Listen(const std::string& address);
  // The bound port; 0 before Listen.
  int port() const;
  // Stops serving (before what the collectors read goes). Idempotent.
  void Stop();

  // Everything, as a scrape would read it.
  std::string Render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ScrapeCollectable> scraped_;
  prometheus::Family<prometheus::Counter>* calls_;
  prometheus::Family<prometheus::Histogram>* call_seconds_;
  prometheus::Family<prometheus::Histogram>* commit_seconds_;
  prometheus::Family<prometheus::Histogram>* checkpoint_seconds_;
  prometheus::Family<prometheus::Counter>* audit_appends_;
  prometheus::Family<prometheus::Histogram>* audit_append_seconds_;
  std::unique_ptr<prometheus::Exposer> exposer_;

  // One method's (or audit log's) series: its histogram and a counter per
  // code. The counters of OK and of the codes that mean the server failed
  // (kAlertedCodes) are made with the series, at 0, so that the first
  // failure is an increase an alert's rate() sees; the others on first use.
  struct CodedSeries {
    // The label: the method ("other" past kMaxMethods), or the log.
    std::string label;
    prometheus::Histogram* latency = nullptr;
    std::array<std::atomic<prometheus::Counter*>, 17> by_code{};
  };
  using SeriesMap =
      absl::flat_hash_map<std::string, std::unique_ptr<CodedSeries>>;
  // The series of `key` in `map`, made on first use with its histogram in
  // `histograms` and kAlertedCodes' counters in `counters` (`label_name`
  // its label); past `max_keys` keys, "other"'s.
  CodedSeries& SeriesOf(SeriesMap PrometheusMetrics::*map,
                        absl::string_view key, size_t max_keys,
                        prometheus::Family<prometheus::Histogram>& histograms,
                        prometheus::Family<prometheus::Counter>& counters,
                        absl::string_view label_name,
                        const prometheus::Histogram::BucketBoundaries& buckets)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Counts one with `code` in `series` (its counter made in `counters` on
  // first use, `label_name` the series' label) and observes `latency`.
  static prometheus::Counter& CounterOf(
      CodedSeries& series, prometheus::Family<prometheus::Counter>& counters,
      absl::string_view label_name, size_t code_index);
  static void Observe(CodedSeries& series,
                      prometheus::Family<prometheus::Counter>& counters,
                      absl::string_view label_name, absl::StatusCode code,
                      absl::Duration latency);
  using HistogramMap = absl::flat_hash_map<std::string, prometheus::Histogram*>;
  // The histogram found under `key` in `map`, else made in `family` with
  // `labels` (kCommitBuckets) and kept there.
  prometheus::Histogram& HistogramOf(
      HistogramMap PrometheusMetrics::*map, absl::string_view key,
      prometheus::Family<prometheus::Histogram>& family,
      absl::FunctionRef<prometheus::Labels()> labels) ABSL_LOCKS_EXCLUDED(mu_);

  absl::Mutex mu_;
  // Found once per method: a call then costs one lookup without
  // allocating, not the family's label matching.
  SeriesMap methods_ ABSL_GUARDED_BY(mu_);
  // Found once per audit log.
  SeriesMap audit_logs_ ABSL_GUARDED_BY(mu_);
  // Found once per database (commits) and per "{database} {where}"
  // (checkpoints).
  HistogramMap commit_histograms_ ABSL_GUARDED_BY(mu_);
  HistogramMap checkpoint_histograms_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge::metrics

#endif  // CAREBRIDGE_SERVICES_METRICS_PROMETHEUS_METRICS_H_
