#include "tests/benchmark/report.h"

#include "absl/strings/str_format.h"

namespace carebridge::bench {

double RatioToBaseline(const PhaseResult& row, const PhaseResult& baseline) {
  const double base = baseline.ok_per_second();
  return base > 0 ? row.ok_per_second() / base : 0;
}

bool PrintReport(const std::vector<ReportRow>& rows) {
  if (rows.empty()) return false;
  const PhaseResult& baseline = rows.front().result;
  // calls/s counts OK calls only, so fast failures cannot inflate it;
  // latencies are of OK calls too.
  absl::PrintF("%-24s %10s %8s %10s %8s %8s %12s\n", "rpc", "calls", "errors",
               "ok calls/s", "p50 ms", "p99 ms", "vs baseline");
  for (const ReportRow& row : rows) {
    const PhaseResult& r = row.result;
    absl::PrintF("%-24s %10d %8d %10.0f %8.2f %8.2f %11.1f%%\n", row.rpc,
                 r.calls, r.errors, r.ok_per_second(), r.PercentileMs(50),
                 r.PercentileMs(99), 100 * RatioToBaseline(r, baseline));
  }
  for (const ReportRow& row : rows) {
    const PhaseResult& r = row.result;
    if (r.errors == 0 && r.warmup_errors == 0 && r.first_error.empty()) {
      continue;
    }
    absl::PrintF("%s: %d errors (%d more in warm-up), first: %s\n", row.rpc,
                 r.errors, r.warmup_errors, r.first_error);
  }
  for (const ReportRow& row : rows) {
    if (!row.reports_aborted) continue;
    absl::PrintF(
        "%s: %d ABORTED (%d more in warm-up): stale etag, plan re-read before "
        "its next update; neither errors nor in ok calls/s\n",
        row.rpc, row.result.aborted, row.result.warmup_aborted);
  }
  bool all_met = true;
  for (const ReportRow& row : rows) {
    if (row.aim_ratio <= 0) continue;
    const double ratio = RatioToBaseline(row.result, baseline);
    const bool met = ratio >= row.aim_ratio && row.result.errors == 0;
    all_met = all_met && met;
    absl::PrintF("aim %s >= %.0f%% of %s: %s (%.1f%%%s)\n", row.rpc,
                 100 * row.aim_ratio, rows.front().rpc, met ? "met" : "NOT met",
                 100 * ratio, row.result.errors == 0 ? "" : ", with errors");
  }
  return all_met;
}

}  // namespace carebridge::bench
