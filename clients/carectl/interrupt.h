#ifndef CAREBRIDGE_CLIENTS_CARECTL_INTERRUPT_H_
#define CAREBRIDGE_CLIENTS_CARECTL_INTERRUPT_H_

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace carebridge::carectl {

// While it lives, SIGINT and SIGTERM call `cancel` (once, on a thread of
// its own, never in the signal handler) instead of ending the process, so a
// stream can be cancelled and the command end cleanly. The previous
// handlers are restored on destruction. At most one may live at a time: a
// signal handler can only reach process-wide state. Not thread-safe.
class CancelOnSignal {
 public:
  explicit CancelOnSignal(std::function<void()> cancel);
  ~CancelOnSignal();
  CancelOnSignal(const CancelOnSignal&) = delete;
  CancelOnSignal& operator=(const CancelOnSignal&) = delete;

  // Whether a signal arrived (and `cancel` ran or is running).
  bool interrupted() const { return interrupted_.load(); }

 private:
  void Watch();

  std::function<void()> cancel_;
  int pipe_[2] = {-1, -1};
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
  std::atomic<bool> interrupted_{false};
  std::thread watcher_;
};

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_INTERRUPT_H_
