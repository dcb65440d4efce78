#ifndef CAREBRIDGE_TESTS_SUPPORT_RECORDING_METRIC_SINK_H_
#define CAREBRIDGE_TESTS_SUPPORT_RECORDING_METRIC_SINK_H_

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "services/common/metrics.h"

namespace carebridge::testing {

// Keeps what a module writes at a metrics scrape (ServiceModule::
// CollectMetrics), to read back by name and labels.
class RecordingMetricSink : public MetricSink {
 public:
  void Gauge(absl::string_view name, absl::string_view /*help*/,
             const MetricLabels& labels, double value) override {
    values_[{std::string(name), labels}] = value;
  }
  void Counter(absl::string_view name, absl::string_view /*help*/,
               const MetricLabels& labels, double value) override {
    values_[{std::string(name), labels}] = value;
  }
  // The sample written; nullopt when none was.
  std::optional<double> Value(const std::string& name,
                              const MetricLabels& labels) const {
    auto it = values_.find({name, labels});
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::pair<std::string, MetricLabels>, double> values_;
};

}  // namespace carebridge::testing

#endif  // CAREBRIDGE_TESTS_SUPPORT_RECORDING_METRIC_SINK_H_
