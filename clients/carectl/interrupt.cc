#include "clients/carectl/interrupt.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace carebridge::carectl {
namespace {

// The write end of the live CancelOnSignal's pipe, or -1. A signal handler
// may only touch lock-free atomics and call async-signal-safe functions
// such as write(), hence this one piece of process-wide state.
std::atomic<int> signal_pipe{-1};

constexpr char kSignalled = 's';
constexpr char kQuit = 'q';

void OnSignal(int) {
  int fd = signal_pipe.load();
  if (fd < 0) return;
  int saved_errno = errno;
  if (write(fd, &kSignalled, 1) < 0) {
    // Nothing a signal handler can do about it.
  }
  errno = saved_errno;
}

}  // namespace

CancelOnSignal::CancelOnSignal(std::function<void()> cancel)
    : cancel_(std::move(cancel)) {
  if (pipe2(pipe_, O_CLOEXEC) != 0) {
    pipe_[0] = pipe_[1] = -1;
    return;  // Signals keep their default effect.
  }
  signal_pipe.store(pipe_[1]);
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &old_int_);
  sigaction(SIGTERM, &action, &old_term_);
  watcher_ = std::thread([this] { Watch(); });
}

CancelOnSignal::~CancelOnSignal() {
  if (pipe_[1] < 0) return;
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  signal_pipe.store(-1);
  if (write(pipe_[1], &kQuit, 1) < 0) {
    // The watcher still ends: closing the write end ends its read.
  }
  close(pipe_[1]);
  watcher_.join();
  close(pipe_[0]);
}

void CancelOnSignal::Watch() {
  char c = 0;
  while (true) {
    ssize_t n = read(pipe_[0], &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == kQuit) return;
    if (c == kSignalled) {
      interrupted_.store(true);
      cancel_();
      return;
    }
  }
}

}  // namespace carebridge::carectl
