#ifndef CAREBRIDGE_TESTS_BENCHMARK_LOAD_DRIVER_H_
#define CAREBRIDGE_TESTS_BENCHMARK_LOAD_DRIVER_H_

#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace carebridge::bench {

using SteadyTime = std::chrono::steady_clock::time_point;

// One unary call from start to status. The driver owns it while in flight
// and uses its address as the completion-queue tag.
class PendingCall {
 public:
  virtual ~PendingCall() = default;

  // Starts the call on `cq`; the completion arrives with `this` as the tag.
  virtual void Start(grpc::CompletionQueue* cq) = 0;
  // Runs once on the driving thread after the status arrived.
  virtual void OnDone() {}

  grpc::ClientContext& context() { return context_; }
  const grpc::Status& status() const { return status_; }
  SteadyTime start_time() const { return start_time_; }
  void set_start_time(SteadyTime time) { start_time_ = time; }

 protected:
  grpc::ClientContext context_;
  grpc::Status status_;

 private:
  SteadyTime start_time_;
};

// A PendingCall for any generated async stub method, given as a
// `PrepareAsync<Method>` binding.
template <typename Request, typename Response>
class UnaryCall : public PendingCall {
 public:
  using Prepare =
      std::function<std::unique_ptr<grpc::ClientAsyncResponseReader<Response>>(
          grpc::ClientContext*, const Request&, grpc::CompletionQueue*)>;
  using Done = std::function<void(const grpc::Status&, const Response&)>;

  UnaryCall(Prepare prepare, Request request, Done done = nullptr)
      : prepare_(std::move(prepare)),
        request_(std::move(request)),
        done_(std::move(done)) {}

  void Start(grpc::CompletionQueue* cq) override {
    reader_ = prepare_(&context_, request_, cq);
    reader_->StartCall();
    reader_->Finish(&response_, &status_, this);
  }
  void OnDone() override {
    if (done_) done_(status_, response_);
  }

 private:
  Prepare prepare_;
  Request request_;
  Done done_;
  Response response_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader_;
};

// Makes the `sequence`-th call of a phase (0-based, unique across client
// threads); `rng` belongs to the calling client thread. Called concurrently
// from every client thread, so it must be thread-safe. Returning nullptr
// starts nothing (the phase then runs with one call fewer outstanding).
using CallFactory = std::function<std::unique_ptr<PendingCall>(
    uint64_t sequence, std::mt19937_64& rng)>;

struct PhaseOptions {
  // Calls kept outstanding at all times (closed loop), split over threads.
  int concurrency = 32;
  // When positive: an open loop instead, calls started at this many per
  // second on a fixed schedule whatever is outstanding (at most
  // kMaxOpenLoopInFlight), each call's latency counted from when the
  // schedule wanted it started (a stalled server shows as latency, not as
  // fewer calls). `concurrency` is then unused.
  double rate = 0;
  // Client threads, each with its own completion queue.
  int client_threads = 1;
  // Calls completing before this are not measured.
  absl::Duration warmup = absl::Seconds(1);
  // The measured window after the warm-up.
  absl::Duration duration = absl::Seconds(5);
  // At most this many calls are started in the phase (warm-up included); the
  // phase ends early when they are done.
  uint64_t max_calls = 2'000'000;
  // Deadline of each call, so a stuck server cannot hang the benchmark.
  absl::Duration call_timeout = absl::Seconds(30);
  // For writes with etags: an ABORTED call is the caller's cue to re-read
  // and retry, not a failure, so it is counted in `aborted` instead of
  // `errors` (and, not being OK, not in the throughput).
  bool aborted_is_retry = false;
};

// What one phase measured. Counts and latencies cover the measured window
// only; `first_error` is the first failure seen at any time in the phase.
struct PhaseResult {
  uint64_t calls = 0;   // completed in the window, OK or not
  uint64_t errors = 0;  // not OK, among `calls`
  uint64_t warmup_errors = 0;
  uint64_t aborted = 0;  // with aborted_is_retry, among `calls`
  uint64_t warmup_aborted = 0;
  std::string first_error;            // "CODE: message", empty without errors
  double seconds = 0;                 // length of the window actually measured
  std::vector<int64_t> latencies_ns;  // of the OK calls, sorted

  double ok_per_second() const;
  // Nearest-rank percentile in milliseconds, `p` in (0, 100]; 0 if empty.
  double PercentileMs(double p) const;
};

// Calls an open-loop phase keeps in flight at most per client thread (past
// it, scheduled calls wait; their latency still counts from the schedule).
inline constexpr int kMaxOpenLoopInFlight = 4096;

// Drives `factory` as a closed loop: `options.concurrency` calls in flight
// through the async completion-queue API, each finished call immediately
// replaced, until the window ends or `max_calls` have been started; then
// waits for the calls in flight. With `options.rate`, an open loop at that
// rate instead.
PhaseResult RunPhase(const PhaseOptions& options, const CallFactory& factory);

// The gRPC status as "CODE: message".
std::string DescribeStatus(const grpc::Status& status);

}  // namespace carebridge::bench

#endif  // CAREBRIDGE_TESTS_BENCHMARK_LOAD_DRIVER_H_
