#include "services/metrics/prometheus_metrics.h"

#include <exception>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"

namespace carebridge::metrics {
namespace {

// From half a millisecond (a read from memory) to ten seconds (a call
// waiting on a peer that is down).
const prometheus::Histogram::BucketBoundaries kCallBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
// From a tenth of a millisecond (a commit sharing another's fsync) to a
// second (a disk in trouble).
const prometheus::Histogram::BucketBoundaries kCommitBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025,  0.05,    0.1,    0.25,  0.5,    1};
// The codes whose counters exist from a series' first call, at 0: OK (the
// denominator of a failure rate) and those deploy/prometheus's alerts count
// as the server failing. A counter made at its first increment is first
// scraped at 1, which rate() and increase() do not count: a short outage
// that failed a few calls would raise no alert.
constexpr absl::StatusCode kAlertedCodes[] = {
    absl::StatusCode::kOk, absl::StatusCode::kUnknown,
    absl::StatusCode::kInternal, absl::StatusCode::kUnavailable,
    absl::StatusCode::kDataLoss};

// Gathers what the collectors write into families, one per name, in the
// order first written.
class FamilySink : public MetricSink {
 public:
  void Gauge(absl::string_view name, absl::string_view help,
             const MetricLabels& labels, double value) override {
    Add(name, help, prometheus::MetricType::Gauge, labels).gauge.value = value;
  }
  void Counter(absl::string_view name, absl::string_view help,
               const MetricLabels& labels, double value) override {
    Add(name, help, prometheus::MetricType::Counter, labels).counter.value =
        value;
  }
  std::vector<prometheus::MetricFamily> Take() { return std::move(families_); }

 private:
  prometheus::ClientMetric& Add(absl::string_view name, absl::string_view help,
                                prometheus::MetricType type,
                                const MetricLabels& labels) {
    auto [it, added] = index_.emplace(std::string(name), families_.size());
    if (added) {
      prometheus::MetricFamily family;
      family.name = std::string(name);
      family.help = std::string(help);
      family.type = type;
      families_.push_back(std::move(family));
    }
    prometheus::ClientMetric& metric =
        families_[it->second].metric.emplace_back();
    for (const auto& [label, value] : labels) {
      metric.label.push_back({label, value});
    }
    return metric;
  }

  std::vector<prometheus::MetricFamily> families_;
  std::map<std::string, size_t> index_;
};

}  // namespace

// The collectors, run at each scrape.
class ScrapeCollectable : public prometheus::Collectable {
 public:
  void Add(std::function<void(MetricSink&)> collect) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    collectors_.push_back(std::move(collect));
  }
  std::vector<prometheus::MetricFamily> Collect() const override
      ABSL_LOCKS_EXCLUDED(mu_) {
    FamilySink sink;
    absl::MutexLock lock(&mu_);
    for (const auto& collect : collectors_) collect(sink);
    return sink.Take();
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::function<void(MetricSink&)>> collectors_
      ABSL_GUARDED_BY(mu_);
};

PrometheusMetrics::PrometheusMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      scraped_(std::make_shared<ScrapeCollectable>()),
      calls_(&prometheus::BuildCounter()
                  .Name("carebridge_rpc_calls_total")
                  .Help("Calls served, by gRPC method and status code.")
                  .Register(*registry_)),
      call_seconds_(&prometheus::BuildHistogram()
                         .Name("carebridge_rpc_duration_seconds")
                         .Help("Time from a call's arrival to its status, by "
                               "gRPC method.")
                         .Register(*registry_)),
      commit_seconds_(&prometheus::BuildHistogram()
                           .Name("carebridge_db_commit_duration_seconds")
                           .Help("Time from a write transaction's start to "
                                 "its durable commit, by database.")
                           .Register(*registry_)),
      checkpoint_seconds_(
          &prometheus::BuildHistogram()
               .Name("carebridge_db_checkpoint_duration_seconds")
               .Help("Time to copy a database's write-ahead log into it and "
                     "sync it, by database and where: beside the commits, "
                     "or in a commit, which waited.")
               .Register(*registry_)),
      audit_appends_(
          &prometheus::BuildCounter()
               .Name("carebridge_audit_appends_total")
               .Help("Appends to a service's audit log (the records of one "
                     "call, or of a feed subscription), by log and status "
                     "code: OK made them durable; any other failed the call "
                     "they were for (DATA_LOSS: the log was altered; run "
                     "carectl admin audit verify).")
               .Register(*registry_)),
      audit_append_seconds_(
          &prometheus::BuildHistogram()
               .Name("carebridge_audit_append_duration_seconds")
               .Help("Time from an audit append being asked for to its "
                     "records being durable (or the append failing), by "
                     "log.")
               .Register(*registry_)) {}

PrometheusMetrics::~PrometheusMetrics() { Stop(); }

PrometheusMetrics::CodedSeries& PrometheusMetrics::SeriesOf(
    SeriesMap PrometheusMetrics::*map, absl::string_view key, size_t max_keys,
    prometheus::Family<prometheus::Histogram>& histograms,
    prometheus::Family<prometheus::Counter>& counters,
    absl::string_view label_name,
    const prometheus::Histogram::BucketBoundaries& buckets) {
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = (this->*map).find(key);
    if (it != (this->*map).end()) return *it->second;
  }
  absl::MutexLock lock(&mu_);
  if ((this->*map).size() >= max_keys && !(this->*map).contains(key)) {
    key = "other";
  }
  std::unique_ptr<CodedSeries>& series = (this->*map)[key];
  if (series == nullptr) {
    series = std::make_unique<CodedSeries>();
    series->label = std::string(key);
    series->latency =
        &histograms.Add({{std::string(label_name), series->label}}, buckets);
    for (absl::StatusCode code : kAlertedCodes) {
      CounterOf(*series, counters, label_name, static_cast<size_t>(code));
    }
  }
  return *series;
}

prometheus::Counter& PrometheusMetrics::CounterOf(
    CodedSeries& series, prometheus::Family<prometheus::Counter>& counters,
    absl::string_view label_name, size_t code_index) {
  prometheus::Counter* counter =
      series.by_code[code_index].load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Add gives the one counter of these labels however often asked. The
    // label is the series' (which may be "other").
    counter = &counters.Add(
        {{std::string(label_name), series.label},
         {"code", absl::StatusCodeToString(
                      static_cast<absl::StatusCode>(code_index))}});
    series.by_code[code_index].store(counter, std::memory_order_release);
  }
  return *counter;
}

void PrometheusMetrics::Observe(
    CodedSeries& series, prometheus::Family<prometheus::Counter>& counters,
    absl::string_view label_name, absl::StatusCode code,
    absl::Duration latency) {
  const size_t index = static_cast<size_t>(code) < series.by_code.size()
                           ? static_cast<size_t>(code)
                           : static_cast<size_t>(absl::StatusCode::kUnknown);
  CounterOf(series, counters, label_name, index).Increment();
  series.latency->Observe(absl::ToDoubleSeconds(latency));
}

void PrometheusMetrics::ObserveCall(absl::string_view method,
                                    absl::StatusCode code,
                                    absl::Duration latency) {
  Observe(SeriesOf(&PrometheusMetrics::methods_, method, kMaxMethods,
                   *call_seconds_, *calls_, "method", kCallBuckets),
          *calls_, "method", code, latency);
}

void PrometheusMetrics::ObserveAuditAppend(absl::string_view database,
                                           absl::StatusCode code,
                                           absl::Duration latency) {
  // A call waits as long for its record: the calls' buckets. The logs are
  // the hosted services' (a handful), never "other".
  Observe(
      SeriesOf(&PrometheusMetrics::audit_logs_, database, kMaxMethods,
               *audit_append_seconds_, *audit_appends_, "log", kCallBuckets),
      *audit_appends_, "log", code, latency);
}

prometheus::Histogram& PrometheusMetrics::HistogramOf(
    HistogramMap PrometheusMetrics::*map, absl::string_view key,
    prometheus::Family<prometheus::Histogram>& family,
    absl::FunctionRef<prometheus::Labels()> labels) {
  {
    absl::ReaderMutexLock lock(&mu_);
    auto found = (this->*map).find(key);
    if (found != (this->*map).end()) return *found->second;
  }
  absl::MutexLock lock(&mu_);
  prometheus::Histogram*& histogram = (this->*map)[key];
  if (histogram == nullptr) histogram = &family.Add(labels(), kCommitBuckets);
  return *histogram;
}

void PrometheusMetrics::ObserveCommit(absl::string_view database,
                                      absl::Duration latency) {
  // Found without allocating: this is on every commit's path.
  HistogramOf(&PrometheusMetrics::commit_histograms_, database,
              *commit_seconds_,
              [&] {
                return prometheus::Labels{{"database", std::string(database)}};
              })
      .Observe(absl::ToDoubleSeconds(latency));
}

void PrometheusMetrics::ObserveCheckpoint(absl::string_view database,
                                          absl::string_view where,
                                          absl::Duration latency) {
  HistogramOf(&PrometheusMetrics::checkpoint_histograms_,
              absl::StrCat(database, " ", where), *checkpoint_seconds_,
              [&] {
                return prometheus::Labels{{"database", std::string(database)},
                                          {"where", std::string(where)}};
              })
      .Observe(absl::ToDoubleSeconds(latency));
}

void PrometheusMetrics::AddCollector(std::function<void(MetricSink&)> collect) {
  scraped_->Add(std::move(collect));
}

absl::Status PrometheusMetrics::Listen(const std::string& address) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address, 2);
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--metrics_listen ", address, ": cannot listen there (", e.what(),
        "); give a free host:port, e.g. 127.0.0.1:9464"));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(scraped_);
  return absl::OkStatus();
}

int PrometheusMetrics::port() const {
  if (exposer_ == nullptr) return 0;
  std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void PrometheusMetrics::Stop() { exposer_.reset(); }

std::string PrometheusMetrics::Render() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (prometheus::MetricFamily& family : scraped_->Collect()) {
    families.push_back(std::move(family));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace carebridge::metrics
