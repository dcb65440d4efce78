#include "services/common/periodic_task.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/thread_name.h"

namespace carebridge {

PeriodicTask::PeriodicTask(std::string name, absl::Duration interval,
                           std::function<absl::Status()> run)
    : name_(std::move(name)), interval_(interval), run_(std::move(run)) {}

PeriodicTask::~PeriodicTask() { Stop(); }

void PeriodicTask::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] {
    NameThisThread(name_);
    Loop();
  });
}

void PeriodicTask::Stop() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
}

absl::Status PeriodicTask::RunNow() {
  absl::MutexLock lock(&run_mu_);
  return run_();
}

void PeriodicTask::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_)) {
        return;
      }
    }
    absl::Status status = RunNow();
    if (!status.ok()) {
      LogLine(absl::StrCat(name_, ": run failed (next run in ",
                           absl::FormatDuration(interval_),
                           "): ", status.ToString()));
    }
  }
}

}  // namespace carebridge
