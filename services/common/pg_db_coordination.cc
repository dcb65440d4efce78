// PgDb's coordination between replicas: named locks (session advisory
// locks on connections of their own) and watches (LISTEN on one connection
// and a thread). Announcements are sent at commit (PgConnection::Commit).

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/macros.h"
#include "services/common/pg_connection.h"
#include "services/common/pg_db.h"
#include "services/common/pg_listener.h"

namespace carebridge {

namespace {

// held() asks the server at most this often.
constexpr absl::Duration kLockCheckEvery = absl::Milliseconds(250);

// A session advisory lock, on a connection only it uses: the lock lasts as
// long as that session.
class PgLock : public DatabaseLock {
 public:
  PgLock(std::unique_ptr<PgConnection> conn, int64_t key)
      : conn_(std::move(conn)), key_(key), checked_(absl::Now()) {}
  ~PgLock() override {
    // Released now, not whenever the server notices the session ended.
    if (!conn_->lost()) {
      conn_->Exec(absl::StrCat("SELECT pg_advisory_unlock(", key_, ")"))
          .IgnoreError();
    }
  }

  bool held() override {
    absl::MutexLock lock(&mu_);
    if (lost_) return false;
    const absl::Time now = absl::Now();
    if (now - checked_ < kLockCheckEvery && !conn_->lost()) return true;
    checked_ = now;
    // Any failure counts as lost: the holder stops and tries again.
    lost_ = !conn_->Exec("SELECT 1").ok() || conn_->lost();
    return !lost_;
  }

 private:
  absl::Mutex mu_;
  const std::unique_ptr<PgConnection> conn_ ABSL_PT_GUARDED_BY(mu_);
  const int64_t key_;
  absl::Time checked_ ABSL_GUARDED_BY(mu_);
  bool lost_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<DatabaseLock>> PgDb::TryLock(
    absl::string_view name) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Connect());
  // Named within the schema: services sharing a database lock apart.
  const int64_t key = static_cast<int64_t>(
      StableHash(absl::StrCat("lock:", options_.schema, ":", name)));
  bool taken = false;
  {
    ASSIGN_OR_RETURN(Statement take,
                     conn->Prepare("SELECT pg_try_advisory_lock(?)"));
    take.Bind(1, key);
    ASSIGN_OR_RETURN(bool row, take.Step());
    taken = row && take.ColumnInt64(0) == 1;
  }
  if (!taken) return std::unique_ptr<DatabaseLock>();
  return std::unique_ptr<DatabaseLock>(
      std::make_unique<PgLock>(std::move(conn), key));
}

absl::StatusOr<std::unique_ptr<DatabaseWatch>> PgDb::Watch(
    absl::string_view channel, std::function<void()> on_notice) {
  absl::MutexLock lock(&listener_mu_);
  if (listener_ == nullptr) {
    ASSIGN_OR_RETURN(listener_, Listener::Start(this));
  }
  return listener_->Watch(PgChannelName(options_.schema, channel),
                          std::move(on_notice));
}

// --- PgDb::Listener ---

class PgDb::Listener::Handle : public DatabaseWatch {
 public:
  Handle(std::shared_ptr<Listener> listener, int64_t id)
      : listener_(std::move(listener)), id_(id) {}
  ~Handle() override { listener_->Remove(id_); }

 private:
  const std::shared_ptr<Listener> listener_;
  const int64_t id_;
};

absl::StatusOr<std::shared_ptr<PgDb::Listener>> PgDb::Listener::Start(
    PgDb* db) {
  std::shared_ptr<Listener> listener(new Listener(db));
  if (pipe2(listener->wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::InternalError(
        absl::StrCat("postgresql watch: pipe: ", std::strerror(errno)));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, db->Connect());
  {
    absl::MutexLock lock(&listener->conn_mu_);
    listener->conn_ = std::move(conn);
  }
  Listener* const raw = listener.get();
  listener->thread_ = std::thread([raw] { raw->Loop(); });
  absl::MutexLock lock(&listener->mu_);
  listener->thread_id_ = listener->thread_.get_id();
  return listener;
}

void PgDb::Listener::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  for (int& fd : wake_) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  absl::MutexLock lock(&conn_mu_);
  conn_.reset();
}

absl::StatusOr<std::unique_ptr<DatabaseWatch>> PgDb::Listener::Watch(
    std::string channel, std::function<void()> on_notice) {
  int64_t id = 0;
  {
    absl::MutexLock lock(&mu_);
    id = ++next_id_;
    watchers_[id] = Watcher{
        channel, std::make_shared<std::function<void()>>(std::move(on_notice))};
  }
  absl::Status listened = absl::OkStatus();
  {
    // While connecting again the thread LISTENs for every watcher (this one
    // included: it is registered) and calls each once.
    absl::MutexLock lock(&conn_mu_);
    if (conn_ != nullptr) {
      listened = Listen(channel);
      // Lost: the thread notices, connects again and calls every watcher.
      if (conn_->lost()) listened = absl::OkStatus();
    }
  }
  if (!listened.ok()) {
    Remove(id);
    return listened;
  }
  // LISTEN may have read notices off the socket into libpq's queue: the
  // thread looks at the queue.
  Wake();
  return std::unique_ptr<DatabaseWatch>(
      std::make_unique<Handle>(shared_from_this(), id));
}

void PgDb::Listener::Remove(int64_t id) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(id);
  if (std::this_thread::get_id() == thread_id_) return;
  while (calling_ == id) called_.Wait(&mu_);
}

absl::Status PgDb::Listener::Listen(const std::string& channel) {
  if (listening_.count(channel) > 0) return absl::OkStatus();
  char* quoted =
      PQescapeIdentifier(conn_->raw(), channel.data(), channel.size());
  if (quoted == nullptr) {
    return absl::InternalError(
        absl::StrCat("postgresql watch: cannot quote channel ", channel));
  }
  const std::string sql = absl::StrCat("LISTEN ", quoted);
  PQfreemem(quoted);
  RETURN_IF_ERROR(conn_->Exec(sql));
  listening_.insert(channel);
  return absl::OkStatus();
}

bool PgDb::Listener::Reconnect() {
  absl::StatusOr<std::unique_ptr<PgConnection>> conn = db_->Connect();
  if (!conn.ok()) return false;
  absl::MutexLock lock(&conn_mu_);
  conn_ = *std::move(conn);
  listening_.clear();
  std::set<std::string> channels;
  {
    absl::MutexLock watchers_lock(&mu_);
    for (const auto& [id, watcher] : watchers_)
      channels.insert(watcher.channel);
  }
  for (const std::string& channel : channels) {
    if (!Listen(channel).ok()) {
      conn_.reset();
      listening_.clear();
      return false;
    }
  }
  return true;
}

void PgDb::Listener::Wake() {
  const char byte = 1;
  // Full (EAGAIN): the thread is woken already.
  [[maybe_unused]] ssize_t written = write(wake_[1], &byte, 1);
}

bool PgDb::Listener::WaitFor(int fd, int timeout_ms) {
  pollfd fds[2] = {{wake_[0], POLLIN, 0}, {fd, POLLIN, 0}};
  const int ready = poll(fds, fd >= 0 ? 2 : 1, timeout_ms);
  if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
    char drain[64];
    while (read(wake_[0], drain, sizeof(drain)) > 0) {
    }
  }
  absl::MutexLock lock(&mu_);
  return !stopping_;
}

void PgDb::Listener::Call(const std::set<std::string>& channels, bool all) {
  std::vector<int64_t> ids;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, watcher] : watchers_) {
      if (all || channels.count(watcher.channel) > 0) ids.push_back(id);
    }
  }
  for (int64_t id : ids) {
    std::shared_ptr<std::function<void()>> on_notice;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      auto it = watchers_.find(id);
      if (it == watchers_.end()) continue;  // Removed meanwhile.
      calling_ = id;
      on_notice = it->second.on_notice;
    }
    (*on_notice)();
    absl::MutexLock lock(&mu_);
    calling_ = 0;
    called_.SignalAll();
  }
}

void PgDb::Listener::Loop() {
  constexpr int kFirstWaitMs = 50;
  constexpr int kLongestWaitMs = 5000;
  int wait_ms = kFirstWaitMs;
  for (;;) {
    int socket = -1;
    {
      absl::MutexLock lock(&conn_mu_);
      if (conn_ != nullptr) socket = PQsocket(conn_->raw());
    }
    if (socket < 0) {
      if (!WaitFor(-1, wait_ms)) return;
      if (!Reconnect()) {
        wait_ms = std::min(wait_ms * 2, kLongestWaitMs);
        continue;
      }
      wait_ms = kFirstWaitMs;
      // Whatever was announced while nobody listened.
      Call({}, /*all=*/true);
      continue;
    }
    if (!WaitFor(socket, /*timeout_ms=*/-1)) return;
    std::set<std::string> notified;
    {
      absl::MutexLock lock(&conn_mu_);
      PGconn* raw = conn_->raw();
      if (PQconsumeInput(raw) == 0 || conn_->lost()) {
        conn_.reset();
        listening_.clear();
      } else {
        while (PGnotify* notice = PQnotifies(raw)) {
          // This database's own commits: its stores woke their listeners.
          if (db_->origin_ != notice->extra) notified.insert(notice->relname);
          PQfreemem(notice);
        }
      }
    }
    if (!notified.empty()) Call(notified, /*all=*/false);
  }
}

}  // namespace carebridge
