#ifndef CAREBRIDGE_SERVICES_COMMON_EXECUTOR_H_
#define CAREBRIDGE_SERVICES_COMMON_EXECUTOR_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace carebridge {

// A fixed pool of threads for work that blocks: waiting for a durable commit
// or for another service. gRPC's callback API must never block its own
// threads, so handlers that write or call out hand their work to this pool
// (see grpc_handler.h). Many threads because most of them sit waiting on
// I/O, which is also what lets concurrent writes share one fsync.
//
// This class is thread-safe. Destruction runs what was already posted, then
// joins the threads.
class BlockingExecutor {
 public:
  explicit BlockingExecutor(int threads = 64, size_t max_queued = 10000);
  ~BlockingExecutor();
  BlockingExecutor(const BlockingExecutor&) = delete;
  BlockingExecutor& operator=(const BlockingExecutor&) = delete;

  // Queues `task`. RESOURCE_EXHAUSTED (and `task` is dropped) when
  // `max_queued` tasks are already waiting: shed load rather than queue
  // without bound.
  absl::Status Post(std::function<void()> task) ABSL_LOCKS_EXCLUDED(mu_);
  // Tasks waiting for a thread now.
  size_t queued() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);

  const size_t max_queued_;
  absl::Mutex mu_;
  // Wakes one idle thread per task (absl::Mutex::Await would re-evaluate
  // every idle thread's condition on each unlock).
  absl::CondVar work_available_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_EXECUTOR_H_
