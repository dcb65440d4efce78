#include "tests/benchmark/load_driver.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace carebridge::bench {
namespace {

using Clock = std::chrono::steady_clock;

// What one client thread saw; merged into a PhaseResult at the end.
struct ThreadOutcome {
  uint64_t calls = 0;
  uint64_t errors = 0;
  uint64_t warmup_errors = 0;
  uint64_t aborted = 0;
  uint64_t warmup_aborted = 0;
  std::string first_error;
  SteadyTime first_error_time = SteadyTime::max();
  SteadyTime last_measured_completion = SteadyTime::min();
  std::vector<int64_t> latencies_ns;
};

// Shared by the client threads of one phase.
struct PhaseClock {
  SteadyTime measure_start;
  SteadyTime measure_end;
};

void Record(const PendingCall& call, SteadyTime now,
            const PhaseOptions& options, const PhaseClock& clock,
            ThreadOutcome& out) {
  const bool ok = call.status().ok();
  const bool aborted = options.aborted_is_retry &&
                       call.status().error_code() == grpc::StatusCode::ABORTED;
  if (!ok && !aborted && now < out.first_error_time) {
    out.first_error_time = now;
    out.first_error = DescribeStatus(call.status());
  }
  if (now < clock.measure_start) {
    if (aborted) {
      ++out.warmup_aborted;
    } else if (!ok) {
      ++out.warmup_errors;
    }
    return;
  }
  // Calls finishing after the window (the drain) are not measured.
  if (now > clock.measure_end) return;
  ++out.calls;
  out.last_measured_completion = now;
  if (aborted) {
    ++out.aborted;
    return;
  }
  if (!ok) {
    ++out.errors;
    return;
  }
  out.latencies_ns.push_back(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now -
                                                           call.start_time())
          .count());
}

// One client thread: its own completion queue, `slots` calls in flight.
void DriveThread(int thread, int slots, const PhaseOptions& options,
                 const CallFactory& factory, const PhaseClock& clock,
                 std::atomic<uint64_t>& started, ThreadOutcome& out) {
  grpc::CompletionQueue cq;
  std::mt19937_64 rng(0x9E3779B97F4A7C15ull * (thread + 1));
  const auto timeout = absl::ToChronoNanoseconds(options.call_timeout);
  int in_flight = 0;

  // Starts one call, its latency counted from `since`; false when the
  // phase has started all it may.
  auto start_next = [&](SteadyTime now, SteadyTime since) {
    if (now >= clock.measure_end) return false;
    const uint64_t sequence = started.fetch_add(1, std::memory_order_relaxed);
    if (sequence >= options.max_calls) return false;
    std::unique_ptr<PendingCall> call = factory(sequence, rng);
    if (call == nullptr) return true;
    call->context().set_deadline(std::chrono::system_clock::now() + timeout);
    call->set_start_time(since);
    call.release()->Start(&cq);  // owned by the queue until its tag returns
    ++in_flight;
    return true;
  };
  void* tag = nullptr;
  bool ok = false;
  auto finish = [&](void* done) {
    std::unique_ptr<PendingCall> call(static_cast<PendingCall*>(done));
    --in_flight;
    const SteadyTime now = Clock::now();
    call->OnDone();
    Record(*call, now, options, clock, out);
    return now;
  };

  if (options.rate > 0) {
    // Open loop: this thread's share of the rate, on a fixed schedule.
    const auto interval = std::chrono::nanoseconds(
        static_cast<int64_t>(1e9 * options.client_threads / options.rate));
    SteadyTime next = Clock::now();
    bool starting = true;
    while (starting || in_flight > 0) {
      SteadyTime now = Clock::now();
      while (starting && next <= now && in_flight < kMaxOpenLoopInFlight) {
        starting = start_next(now, next);
        next += interval;
      }
      if (!starting && in_flight == 0) break;
      const SteadyTime wake = starting && in_flight < kMaxOpenLoopInFlight
                                  ? next
                                  : now + std::chrono::milliseconds(100);
      // gRPC takes system_clock deadlines.
      const auto deadline =
          std::chrono::system_clock::now() +
          std::chrono::duration_cast<std::chrono::nanoseconds>(wake -
                                                               Clock::now());
      switch (cq.AsyncNext(&tag, &ok, deadline)) {
        case grpc::CompletionQueue::GOT_EVENT:
          finish(tag);
          break;
        case grpc::CompletionQueue::TIMEOUT:
          break;
        case grpc::CompletionQueue::SHUTDOWN:
          return;
      }
    }
  } else {
    for (int i = 0; i < slots; ++i) {
      const SteadyTime now = Clock::now();
      start_next(now, now);
    }
    while (in_flight > 0 && cq.Next(&tag, &ok)) {
      const SteadyTime now = finish(tag);
      start_next(now, Clock::now());
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace

std::string DescribeStatus(const grpc::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(
                          static_cast<absl::StatusCode>(status.error_code())),
                      ": ", status.error_message());
}

double PhaseResult::ok_per_second() const {
  if (seconds <= 0) return 0;
  return static_cast<double>(latencies_ns.size()) / seconds;
}

double PhaseResult::PercentileMs(double p) const {
  if (latencies_ns.empty()) return 0;
  const double rank = std::ceil(p / 100.0 * latencies_ns.size());
  const size_t index =
      std::clamp<size_t>(static_cast<size_t>(rank), 1, latencies_ns.size()) - 1;
  return static_cast<double>(latencies_ns[index]) / 1e6;
}

PhaseResult RunPhase(const PhaseOptions& options, const CallFactory& factory) {
  const int threads = std::max(1, options.client_threads);
  PhaseClock clock;
  clock.measure_start =
      Clock::now() + absl::ToChronoNanoseconds(options.warmup);
  clock.measure_end =
      clock.measure_start + absl::ToChronoNanoseconds(options.duration);

  std::atomic<uint64_t> started{0};
  std::vector<ThreadOutcome> outcomes(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    // Spread the concurrency as evenly as it divides.
    const int slots = options.concurrency / threads +
                      (t < options.concurrency % threads ? 1 : 0);
    workers.emplace_back([&, t, slots] {
      DriveThread(t, slots, options, factory, clock, started, outcomes[t]);
    });
  }
  for (auto& worker : workers) worker.join();

  PhaseResult result;
  SteadyTime last = clock.measure_start;
  SteadyTime first_error_time = SteadyTime::max();
  for (auto& outcome : outcomes) {
    result.calls += outcome.calls;
    result.errors += outcome.errors;
    result.warmup_errors += outcome.warmup_errors;
    result.aborted += outcome.aborted;
    result.warmup_aborted += outcome.warmup_aborted;
    if (outcome.first_error_time < first_error_time) {
      first_error_time = outcome.first_error_time;
      result.first_error = outcome.first_error;
    }
    last = std::max(last, outcome.last_measured_completion);
    result.latencies_ns.insert(result.latencies_ns.end(),
                               outcome.latencies_ns.begin(),
                               outcome.latencies_ns.end());
  }
  // Up to the last measured completion: the window is shorter than
  // `duration` when `max_calls` ran out first.
  result.seconds =
      std::chrono::duration<double>(last - clock.measure_start).count();
  std::sort(result.latencies_ns.begin(), result.latencies_ns.end());
  return result;
}

}  // namespace carebridge::bench
