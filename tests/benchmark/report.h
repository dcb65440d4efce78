#ifndef CAREBRIDGE_TESTS_BENCHMARK_REPORT_H_
#define CAREBRIDGE_TESTS_BENCHMARK_REPORT_H_

#include <string>
#include <vector>

#include "tests/benchmark/load_driver.h"

namespace carebridge::bench {

// One measured RPC, and the share of the baseline's throughput it aims for
// (0 for none).
struct ReportRow {
  std::string rpc;
  PhaseResult result;
  double aim_ratio = 0;
  // A write with etags, measured with aborted_is_retry: its ABORTED count is
  // reported, even when zero.
  bool reports_aborted = false;
};

// Throughput of `row` as a fraction of `baseline`'s (0 if the baseline has
// none).
double RatioToBaseline(const PhaseResult& row, const PhaseResult& baseline);

// Prints the table (the first row is the baseline), the first error of each
// RPC that had any, the ABORTED counts, and one line per aim. Returns whether
// every aim is met (an RPC with errors misses its aim).
bool PrintReport(const std::vector<ReportRow>& rows);

}  // namespace carebridge::bench

#endif  // CAREBRIDGE_TESTS_BENCHMARK_REPORT_H_
