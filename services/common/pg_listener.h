#ifndef CAREBRIDGE_SERVICES_COMMON_PG_LISTENER_H_
#define CAREBRIDGE_SERVICES_COMMON_PG_LISTENER_H_

// PgDb's internals: the connection and thread behind PgDb::Watch. Included
// only by pg_*.cc.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/common/pg_connection.h"
#include "services/common/pg_db.h"

namespace carebridge {

// LISTENs on one connection for every watch of a PgDb and calls the
// watchers of each channel notified, on a thread of its own; when that
// connection is lost it connects again (waits growing from 50 ms to 5 s),
// LISTENs again and calls every watcher once, as notices may have been
// missed meanwhile.
//
// This class is thread-safe.
class PgDb::Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Connects first: UNAVAILABLE when the database cannot be reached.
  static absl::StatusOr<std::shared_ptr<Listener>> Start(PgDb* db);
  ~Listener() { Stop(); }

  // Stops the thread and closes the connection: no watcher is called once
  // this returns (the watches may outlive the database; they hold this).
  void Stop() ABSL_LOCKS_EXCLUDED(mu_, conn_mu_);

  // Calls `on_notice` when `channel` (a PgChannelName) is notified, from
  // when this returns; the watch removes it.
  absl::StatusOr<std::unique_ptr<DatabaseWatch>> Watch(
      std::string channel, std::function<void()> on_notice)
      ABSL_LOCKS_EXCLUDED(mu_, conn_mu_);

 private:
  class Handle;
  struct Watcher {
    std::string channel;
    std::shared_ptr<std::function<void()>> on_notice;
  };

  explicit Listener(PgDb* db) : db_(db) {}
  // Once this returns no call of watcher `id` is running (unless on the
  // listener's own thread: a watcher removing itself).
  void Remove(int64_t id) ABSL_LOCKS_EXCLUDED(mu_);
  void Loop() ABSL_LOCKS_EXCLUDED(mu_, conn_mu_);
  // A new connection listening on every watcher's channel, or false.
  bool Reconnect() ABSL_LOCKS_EXCLUDED(mu_, conn_mu_);
  // LISTEN `channel` on conn_.
  absl::Status Listen(const std::string& channel)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(conn_mu_);
  // Calls the watchers of `channels` (every watcher when `all`).
  void Call(const std::set<std::string>& channels, bool all)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until `fd` is readable, the listener is woken or `timeout`
  // passes (-1: no timeout); false once stopping.
  bool WaitFor(int fd, int timeout_ms) ABSL_LOCKS_EXCLUDED(mu_);
  void Wake();

  PgDb* const db_;
  // Wakes the thread (a pipe: read end, write end).
  int wake_[2] = {-1, -1};
  std::thread thread_;

  absl::Mutex mu_;
  std::map<int64_t, Watcher> watchers_ ABSL_GUARDED_BY(mu_);
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  // The watcher being called (0: none).
  int64_t calling_ ABSL_GUARDED_BY(mu_) = 0;
  // Signalled when a call is over.
  absl::CondVar called_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread::id thread_id_ ABSL_GUARDED_BY(mu_);

  // Taken before mu_ when both are.
  absl::Mutex conn_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  // Null while connecting again.
  std::unique_ptr<PgConnection> conn_ ABSL_GUARDED_BY(conn_mu_);
  std::set<std::string> listening_ ABSL_GUARDED_BY(conn_mu_);
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_PG_LISTENER_H_
