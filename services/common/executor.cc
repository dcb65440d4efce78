#include "services/common/executor.h"

#include <utility>

#include "services/common/thread_name.h"

namespace carebridge {

BlockingExecutor::BlockingExecutor(int threads, size_t max_queued)
    : max_queued_(max_queued) {
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      NameThisThread("executor");
      Loop();
    });
  }
}

BlockingExecutor::~BlockingExecutor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    work_available_.SignalAll();
  }
  for (std::thread& thread : threads_) thread.join();
}

absl::Status BlockingExecutor::Post(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= max_queued_) {
    return absl::ResourceExhaustedError(
        "server is overloaded: too many calls waiting; retry with backoff");
  }
  queue_.push_back(std::move(task));
  work_available_.Signal();
  return absl::OkStatus();
}

size_t BlockingExecutor::queued() {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void BlockingExecutor::Loop() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      while (!stopping_ && queue_.empty()) work_available_.Wait(&mu_);
      if (queue_.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace carebridge
