#ifndef CAREBRIDGE_SERVICES_RECORD_TIMELINE_CHANGES_H_
#define CAREBRIDGE_SERVICES_RECORD_TIMELINE_CHANGES_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "services/common/database.h"

namespace carebridge::record {

// Who is waiting for which person's timeline to grow (the timeline
// streams, WatchTimeline), and the wake-ups the record store gives them
// after each commit that added to a person's timeline. Like EventLog's
// listeners, but by person, so a commit about one person wakes only the
// streams about them.
//
// Commits of other processes on the same PostgreSQL database (record
// replicas) are announced by channel: each person belongs to one of
// kPersonGroups groups (by a hash of the id), and a commit announces the
// group channel of each person whose timeline it grew, which wakes only
// the streams of that group's persons (about one in kPersonGroups of the
// others); a commit about persons of more than kMostGroupsAnnounced groups
// announces kChannel instead, which wakes every stream. A stream woken
// looks for itself. A channel per person would leave its LISTEN behind
// for every person ever followed (a watch does not UNLISTEN), and the
// notices carry no payload of ours.
//
// This class is thread-safe.
class TimelineChanges {
 public:
  using WatchId = uint64_t;
  // The channel that wakes every stream.
  static constexpr char kChannel[] = "timeline";
  static constexpr int kPersonGroups = 64;
  static constexpr int kMostGroupsAnnounced = 8;

  // The group of `person_id`, the same in every process.
  static int GroupOf(absl::string_view person_id);
  // For the store, inside a write transaction that grew the timelines of
  // `person_ids`: announces it to the other processes' streams of those
  // persons (none when empty).
  static absl::Status Announce(Connection& conn,
                               const std::set<std::string>& person_ids);

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
  // Another process committed about a person of `group`: that group's
  // streams look.
  void ChangedGroup(int group) ABSL_LOCKS_EXCLUDED(mu_);
  // Another process committed about many persons (or notices may have been
  // missed): every stream looks.
  void ChangedAny() ABSL_LOCKS_EXCLUDED(mu_);

  // The server is stopping: the streams end (UNAVAILABLE, resume later).
  // Wakes every watcher.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);
  // Takes no lock: a stream asks under its own, which a callback takes
  // under this object's.
  bool shutting_down() const { return shutting_down_.load(); }

 private:
  // A watcher's key: its person's group first, so a group's are together.
  using PersonKey = std::pair<int, std::string>;

  // Starts watching other processes' commits (kChannel, and `group`'s
  // channel) unless it does, or the database has none (SQLite); a failure
  // is tried again on the next Watch.
  void EnsureWatching(int group) ABSL_LOCKS_EXCLUDED(watch_mu_);
  // Watches `channel` into `kept` unless it is watched (or nothing is).
  void WatchChannel(const std::string& channel, std::function<void()> on_notice,
                    std::unique_ptr<DatabaseWatch>& kept)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(watch_mu_);
  void CallAll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Database* const db_;
  absl::Mutex mu_;
  WatchId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // By person, then by id.
  std::map<PersonKey, std::map<WatchId, std::function<void()>>> watchers_
      ABSL_GUARDED_BY(mu_);
  std::map<WatchId, PersonKey> person_of_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> shutting_down_{false};

  absl::Mutex watch_mu_;
  bool nothing_to_watch_ ABSL_GUARDED_BY(watch_mu_) = false;
  std::unique_ptr<DatabaseWatch> watch_all_ ABSL_GUARDED_BY(watch_mu_);
  // Kept once made (at most kPersonGroups).
  std::array<std::unique_ptr<DatabaseWatch>, kPersonGroups> group_watches_
      ABSL_GUARDED_BY(watch_mu_);
};

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_TIMELINE_CHANGES_H_
