#include "services/metrics/prometheus_metrics.h"

#include <httplib.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(PrometheusMetricsTest, CountsCallsByMethodAndCodeWithLatency) {
  PrometheusMetrics metrics;
  const std::string method = "/carebridge.referral.v1.ReferralService/Get";
  metrics.ObserveCall(method, absl::StatusCode::kOk, absl::Milliseconds(2));
  metrics.ObserveCall(method, absl::StatusCode::kOk, absl::Milliseconds(3));
  metrics.ObserveCall(method, absl::StatusCode::kNotFound, absl::Seconds(20));
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr(absl::StrCat(
                        "carebridge_rpc_calls_total{code=\"OK\",method=\"",
                        method, "\"} 2")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("carebridge_rpc_calls_total{code="
                                           "\"NOT_FOUND\",method=\"",
                                           method, "\"} 1")));
  // The failures alerts count are there at 0 before any happens.
  for (const char* code : {"UNKNOWN", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"}) {
    EXPECT_THAT(text,
                HasSubstr(absl::StrCat("carebridge_rpc_calls_total{code="
                                       "\"",
                                       code, "\",method=\"", method, "\"} 0")));
  }
  // 2 ms and 3 ms fall at or under 5 ms; 20 s only in +Inf.
  EXPECT_THAT(text, HasSubstr(absl::StrCat(
                        "carebridge_rpc_duration_seconds_bucket{method=\"",
                        method, "\",le=\"0.005\"} 2")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat(
                        "carebridge_rpc_duration_seconds_bucket{method=\"",
                        method, "\",le=\"+Inf\"} 3")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat(
                        "carebridge_rpc_duration_seconds_count{method=\"",
                        method, "\"} 3")));
}

TEST(PrometheusMetricsTest, ConcurrentCallsAreAllCounted) {
  // Eight threads, 40,000 calls over 25 methods and every code: no call is
  // lost to the lock-free path that finds a method's counters.
  PrometheusMetrics metrics;
  constexpr int kThreads = 8;
  constexpr int kCallsEach = 5000;
  constexpr int kMethods = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kCallsEach; ++i) {
        metrics.ObserveCall(absl::StrCat("/carebridge.x.v1.S/M", i % kMethods),
                            static_cast<absl::StatusCode>((i + t) % 17),
                            absl::Microseconds(i));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::string text = metrics.Render();
  double total = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, "carebridge_rpc_duration_seconds_count{")) {
      continue;
    }
    double count = 0;
    ASSERT_TRUE(absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &count));
    EXPECT_EQ(count, kThreads * kCallsEach / kMethods) << line;
    total += count;
  }
  EXPECT_EQ(total, kThreads * kCallsEach);
  EXPECT_THAT(text,
              HasSubstr("code=\"DATA_LOSS\",method=\"/carebridge.x.v1.S/M0\""));
}

TEST(PrometheusMetricsTest, MadeUpMethodsBeyondTheCapCountAsOther) {
  PrometheusMetrics metrics;
  const size_t made_up = PrometheusMetrics::kMaxMethods + 100;
  for (size_t i = 0; i < made_up; ++i) {
    metrics.ObserveCall(absl::StrCat("/no.Such/Method", i),
                        absl::StatusCode::kUnimplemented,
                        absl::Milliseconds(1));
  }
  const std::string text = metrics.Render();
  auto count = [&text](const std::string& prefix) {
    size_t found = 0;
    for (size_t at = text.find(prefix); at != std::string::npos;
         at = text.find(prefix, at + 1)) {
      ++found;
    }
    return found;
  };
  // kMaxMethods methods and "other", each with its UNIMPLEMENTED counter
  // and the five made with it (OK, UNKNOWN, INTERNAL, UNAVAILABLE,
  // DATA_LOSS): no more series however many names callers make up.
  EXPECT_EQ(count("carebridge_rpc_calls_total{code=\"UNIMPLEMENTED\""),
            PrometheusMetrics::kMaxMethods + 1);
  EXPECT_EQ(count("carebridge_rpc_calls_total{"),
            6 * (PrometheusMetrics::kMaxMethods + 1));
  EXPECT_THAT(text,
              HasSubstr("carebridge_rpc_calls_total{code=\"UNIMPLEMENTED\","
                        "method=\"other\"} 100"));
}

TEST(PrometheusMetricsTest, CommitLatencyByDatabase) {
  PrometheusMetrics metrics;
  metrics.ObserveCommit("referral", absl::Microseconds(800));
  metrics.ObserveCommit("careplan", absl::Milliseconds(30));
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("carebridge_db_commit_duration_seconds_bucket{"
                              "database=\"referral\",le=\"0.001\"} 1"));
  EXPECT_THAT(text, HasSubstr("carebridge_db_commit_duration_seconds_bucket{"
                              "database=\"careplan\",le=\"0.025\"} 0"));
  EXPECT_THAT(text, HasSubstr("carebridge_db_commit_duration_seconds_bucket{"
                              "database=\"careplan\",le=\"0.05\"} 1"));
}

TEST(PrometheusMetricsTest, CheckpointTimeByDatabaseAndWhere) {
  PrometheusMetrics metrics;
  metrics.ObserveCheckpoint("record", "beside", absl::Milliseconds(3));
  metrics.ObserveCheckpoint("record", "beside", absl::Milliseconds(40));
  metrics.ObserveCheckpoint("record", "in_commit", absl::Milliseconds(8));
  // The commit histogram of the same database is its own.
  metrics.ObserveCommit("record", absl::Microseconds(200));
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("carebridge_db_checkpoint_duration_seconds_count{"
                              "database=\"record\",where=\"beside\"} 2"));
  EXPECT_THAT(text,
              HasSubstr("carebridge_db_checkpoint_duration_seconds_bucket{"
                        "database=\"record\",where=\"beside\",le="
                        "\"0.005\"} 1"));
  EXPECT_THAT(text, HasSubstr("carebridge_db_checkpoint_duration_seconds_count{"
                              "database=\"record\",where=\"in_commit\"} 1"));
  EXPECT_THAT(text, HasSubstr("carebridge_db_commit_duration_seconds_count{"
                              "database=\"record\"} 1"));
}

TEST(PrometheusMetricsTest, AuditAppendsByLogAndCodeWithLatency) {
  PrometheusMetrics metrics;
  metrics.ObserveAuditAppend("directory", absl::StatusCode::kOk,
                             absl::Milliseconds(2));
  metrics.ObserveAuditAppend("directory", absl::StatusCode::kOk,
                             absl::Milliseconds(3));
  metrics.ObserveAuditAppend("directory", absl::StatusCode::kDataLoss,
                             absl::Microseconds(300));
  metrics.ObserveAuditAppend("careplan", absl::StatusCode::kUnavailable,
                             absl::Seconds(20));
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE carebridge_audit_appends_total counter"));
  EXPECT_THAT(text, HasSubstr("carebridge_audit_appends_total{code=\"OK\","
                              "log=\"directory\"} 2"));
  EXPECT_THAT(text, HasSubstr("carebridge_audit_appends_total{code="
                              "\"DATA_LOSS\",log=\"directory\"} 1"));
  EXPECT_THAT(text, HasSubstr("carebridge_audit_appends_total{code="
                              "\"UNAVAILABLE\",log=\"careplan\"} 1"));
  // OK and the codes alerts count as failures are there from the first
  // append, at 0 (a counter first seen at 1 is no increase to rate()); the
  // others only once counted.
  EXPECT_THAT(text, HasSubstr("carebridge_audit_appends_total{code=\"OK\","
                              "log=\"careplan\"} 0"));
  EXPECT_THAT(text, HasSubstr("carebridge_audit_appends_total{code="
                              "\"UNAVAILABLE\",log=\"directory\"} 0"));
  EXPECT_THAT(text, Not(HasSubstr("carebridge_audit_appends_total{code="
                                  "\"ABORTED\"")));
  EXPECT_THAT(text, HasSubstr("carebridge_audit_append_duration_seconds_bucket{"
                              "log=\"directory\",le=\"0.0025\"} 2"));
  EXPECT_THAT(text, HasSubstr("carebridge_audit_append_duration_seconds_count{"
                              "log=\"directory\"} 3"));
  EXPECT_THAT(text, HasSubstr("carebridge_audit_append_duration_seconds_bucket{"
                              "log=\"careplan\",le=\"10\"} 0"));
  // The calls' own series are apart.
  EXPECT_THAT(text, Not(HasSubstr("carebridge_rpc_calls_total{")));
}

TEST(PrometheusMetricsTest, CollectorsAreReadAtEachScrape) {
  PrometheusMetrics metrics;
  double head = 7;
  metrics.AddCollector([&head](MetricSink& sink) {
    sink.Gauge("carebridge_feed_head_sequence", "The feed's last sequence.",
               {{"feed", "referral"}}, head);
    sink.Counter("carebridge_escalations_total", "Escalations raised.",
                 {{"service", "referral"}}, 3);
  });
  metrics.AddCollector([](MetricSink& sink) {
    sink.Gauge("carebridge_feed_head_sequence", "The feed's last sequence.",
               {{"feed", "careplan"}}, 11);
  });
  std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE carebridge_feed_head_sequence gauge"));
  EXPECT_THAT(text,
              HasSubstr("carebridge_feed_head_sequence{feed=\"referral\"} 7"));
  EXPECT_THAT(text,
              HasSubstr("carebridge_feed_head_sequence{feed=\"careplan\"} 11"));
  EXPECT_THAT(text, HasSubstr("# TYPE carebridge_escalations_total counter"));
  head = 8;
  text = metrics.Render();
  EXPECT_THAT(text,
              HasSubstr("carebridge_feed_head_sequence{feed=\"referral\"} 8"));
  EXPECT_THAT(text, Not(HasSubstr("{feed=\"referral\"} 7")));
}

TEST(PrometheusMetricsTest, ServesMetricsOverHttp) {
  PrometheusMetrics metrics;
  metrics.ObserveCall("/x.Y/Z", absl::StatusCode::kOk, absl::Milliseconds(1));
  ASSERT_TRUE(metrics.Listen("127.0.0.1:0").ok());
  ASSERT_GT(metrics.port(), 0);
  httplib::Client client("127.0.0.1", metrics.port());
  httplib::Result result = client.Get("/metrics");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_THAT(result->body, HasSubstr("carebridge_rpc_calls_total{code=\"OK\","
                                      "method=\"/x.Y/Z\"} 1"));
  metrics.Stop();
  EXPECT_EQ(metrics.port(), 0);
}

TEST(PrometheusMetricsTest, AnAddressInUseIsAClearError) {
  PrometheusMetrics first;
  ASSERT_TRUE(first.Listen("127.0.0.1:0").ok());
  PrometheusMetrics second;
  absl::Status status = second.Listen(absl::StrCat("127.0.0.1:", first.port()));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("--metrics_listen"));
}

}  // namespace
}  // namespace carebridge::metrics
