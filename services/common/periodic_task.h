#ifndef CAREBRIDGE_SERVICES_COMMON_PERIODIC_TASK_H_
#define CAREBRIDGE_SERVICES_COMMON_PERIODIC_TASK_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace carebridge {

// Runs `run` every `interval` of real time on its own thread (the deadline
// scans). What a run does with time comes from the injected Clock, not from
// this timer: tests never start the thread, they move a FakeClock and call
// RunNow(). Runs never overlap. Errors are logged; the next run comes
// anyway. This class is thread-safe.
class PeriodicTask {
 public:
  PeriodicTask(std::string name, absl::Duration interval,
               std::function<absl::Status()> run);
  // Stops.
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Starts the thread; the first run is one interval from now. Once only.
  void Start();
  // Wakes the thread, waits for a run in progress, joins. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);
  // Runs once on the caller's thread (serialised with the thread's runs).
  absl::Status RunNow() ABSL_LOCKS_EXCLUDED(run_mu_);

 private:
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);

  const std::string name_;
  const absl::Duration interval_;
  const std::function<absl::Status()> run_;
  absl::Mutex run_mu_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_PERIODIC_TASK_H_
