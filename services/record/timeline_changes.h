#ifndef CAREBRIDGE_SERVICES_RECORD_TIMELINE_CHANGES_H_
#define CAREBRIDGE_SERVICES_RECORD_TIMELINE_CHANGES_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/common/database.h"

namespace carebridge::record {

// Who is waiting for which person's timeline to grow (the timeline
// streams, WatchTimeline), and the wake-ups the record store gives them
// after each commit that added to a person's timeline. Like EventLog's
// listeners, but by person, so a commit about one person wakes only the
// streams about them. Commits of other processes on the same PostgreSQL
// database (record replicas) are announced on kChannel and wake every
// stream, which then looks for itself.
//
// This class is thread-safe.
class TimelineChanges {
 public:
  using WatchId = uint64_t;
  // The channel the record's commits that add timeline entries announce.
  static constexpr char kChannel[] = "timeline";

  // `db` (outlives this) is the record's database, watched for other
  // processes' commits once the first stream watches.
  explicit TimelineChanges(Database* db) : db_(db) {}
  ~TimelineChanges();
  TimelineChanges(const TimelineChanges&) = delete;
  TimelineChanges& operator=(const TimelineChanges&) = delete;

  // Calls `on_change` after every commit that adds to `person_id`'s
  // timeline (or may have: another process's), and once on Shutdown. It
  // runs on the committing thread with this object's lock held: it must be
  // quick, must not block and must not Watch or Unwatch (hand the work to
  // an executor).
  WatchId Watch(std::string person_id, std::function<void()> on_change)
      ABSL_LOCKS_EXCLUDED(mu_, watch_mu_);
  // After this returns the callback is not running and is never called
  // again.
  void Unwatch(WatchId id) ABSL_LOCKS_EXCLUDED(mu_);

  // For the store, once a commit is durable: these persons' timelines
  // grew (or their history moved, a merge).
  void Changed(const std::vector<std::string>& person_ids)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Another process committed: every stream looks.
  void ChangedAny() ABSL_LOCKS_EXCLUDED(mu_);

  // The server is stopping: the streams end (UNAVAILABLE, resume later).
  // Wakes every watcher.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);
  // Takes no lock: a stream asks under its own, which a callback takes
  // under this object's.
  bool shutting_down() const { return shutting_down_.load(); }

 private:
  // Starts watching other processes' commits unless it runs, or the
  // database has none (SQLite); a failure is tried again on the next Watch.
  void EnsureWatching() ABSL_LOCKS_EXCLUDED(watch_mu_);

  Database* const db_;
  absl::Mutex mu_;
  WatchId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // By person, then by id.
  std::map<std::string, std::map<WatchId, std::function<void()>>> watchers_
      ABSL_GUARDED_BY(mu_);
  std::map<WatchId, std::string> person_of_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> shutting_down_{false};

  absl::Mutex watch_mu_;
  bool nothing_to_watch_ ABSL_GUARDED_BY(watch_mu_) = false;
  std::unique_ptr<DatabaseWatch> watch_ ABSL_GUARDED_BY(watch_mu_);
};

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_TIMELINE_CHANGES_H_
