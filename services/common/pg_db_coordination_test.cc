// Coordination between replicas on PostgreSQL: two PgDb on one database
// stand for two processes of one service (named locks, announcements and
// watches).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "services/common/macros.h"
#include "services/common/pg_db.h"
#include "tests/support/eventually.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::testing::Eventually;
using ::carebridge::testing::IsOk;
using ::carebridge::testing::RunPostgresAdmin;
using ::carebridge::testing::StatusIs;

const std::vector<Migration> kItemsSchema = {
    {1, "CREATE TABLE items (key TEXT PRIMARY KEY)"},
};

class PgCoordinationTest : public testing::PostgresDatabaseTest {
 protected:
  PgCoordinationTest() : PostgresDatabaseTest("pg_coordination") {}

  // A replica of the service keeping its tables in `schema`.
  std::unique_ptr<PgDb> Replica(absl::string_view schema = "svc") {
    PgDb::Options options = ::carebridge::testing::PgOptions(2);
    options.schema = std::string(schema);
    absl::StatusOr<std::unique_ptr<PgDb>> db =
        PgDb::Open(url_, kItemsSchema, options);
    EXPECT_THAT(db, IsOk());
    return db.ok() ? std::move(*db) : nullptr;
  }

  // Commits a write announcing `channels` (a row too, as stores do).
  absl::Status Announce(Database& db, std::vector<std::string> channels) {
    return db.Write([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(Statement insert,
                       conn.Prepare("INSERT INTO items (key) VALUES (?)"));
      insert.Bind(1, absl::StrCat("row", ++rows_));
      RETURN_IF_ERROR(insert.Run());
      for (const std::string& channel : channels) {
        RETURN_IF_ERROR(conn.Announce(channel));
      }
      return absl::OkStatus();
    });
  }

  // Ends the sessions holding advisory locks on the test's database.
  absl::Status TerminateLockHolders() {
    return RunPostgresAdmin(
        url_,
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = "
        "'advisory' AND database = (SELECT oid FROM pg_database WHERE "
        "datname = current_database())");
  }

  // Ends the sessions that LISTEN (the watches' connections).
  absl::Status TerminateListeners() {
    return RunPostgresAdmin(
        url_,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
        "datname = current_database() AND query LIKE 'LISTEN%'");
  }

  int rows_ = 0;
};

// Counts the calls of a watch.
struct Counter {
  std::atomic<int> calls{0};
  std::function<void()> Fn() {
    return [this] { calls.fetch_add(1); };
  }
};

// Watches "feed" on a replica, with "marker" beside it as the control:
// notices arrive in commit order, so once a marker announced after a feed
// announcement is in, the feed's would have been.
class FeedAndMarker {
 public:
  explicit FeedAndMarker(PgDb& db) {
    absl::StatusOr<std::unique_ptr<DatabaseWatch>> feed =
        db.Watch("feed", feed_.Fn());
    absl::StatusOr<std::unique_ptr<DatabaseWatch>> marker =
        db.Watch("marker", marker_.Fn());
    EXPECT_THAT(feed, IsOk());
    EXPECT_THAT(marker, IsOk());
    if (feed.ok()) feed_watch_ = *std::move(feed);
    if (marker.ok()) marker_watch_ = *std::move(marker);
  }

  // The marker's notice came and the feed's did not.
  void ExpectMarkerOnly() {
    ASSERT_TRUE(
        Eventually([&] { return marker_.calls >= 1; }, absl::Seconds(5)));
    EXPECT_EQ(feed_.calls, 0);
  }

 private:
  Counter feed_;
  Counter marker_;
  std::unique_ptr<DatabaseWatch> feed_watch_;
  std::unique_ptr<DatabaseWatch> marker_watch_;
};

TEST_F(PgCoordinationTest, LockIsExclusiveAcrossReplicasUntilDestroyed) {
  std::unique_ptr<PgDb> a = Replica();
  std::unique_ptr<PgDb> b = Replica();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  absl::StatusOr<std::unique_ptr<DatabaseLock>> held = a->TryLock("scanner");
  ASSERT_THAT(held, IsOk());
  ASSERT_NE(*held, nullptr);
  EXPECT_TRUE((*held)->held());
  // Neither the other replica nor another session of the holder's.
  absl::StatusOr<std::unique_ptr<DatabaseLock>> other = b->TryLock("scanner");
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(*other, nullptr);
  absl::StatusOr<std::unique_ptr<DatabaseLock>> again = a->TryLock("scanner");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, nullptr);
  // Another name is another lock.
  absl::StatusOr<std::unique_ptr<DatabaseLock>> follower =
      b->TryLock("follower");
  ASSERT_THAT(follower, IsOk());
  EXPECT_NE(*follower, nullptr);

  held->reset();
  other = b->TryLock("scanner");
  ASSERT_THAT(other, IsOk());
  ASSERT_NE(*other, nullptr);
  EXPECT_TRUE((*other)->held());
}

TEST_F(PgCoordinationTest, LocksOfAnotherSchemaAreOthers) {
  std::unique_ptr<PgDb> one = Replica("one");
  std::unique_ptr<PgDb> two = Replica("two");
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  absl::StatusOr<std::unique_ptr<DatabaseLock>> first = one->TryLock("scanner");
  absl::StatusOr<std::unique_ptr<DatabaseLock>> second =
      two->TryLock("scanner");
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_NE(*first, nullptr);
  EXPECT_NE(*second, nullptr);
}

TEST_F(PgCoordinationTest, LockIsNotHeldOnceItsSessionEndsAndAnotherTakesIt) {
  std::unique_ptr<PgDb> a = Replica();
  std::unique_ptr<PgDb> b = Replica();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  absl::StatusOr<std::unique_ptr<DatabaseLock>> held = a->TryLock("scanner");
  ASSERT_THAT(held, IsOk());
  ASSERT_NE(*held, nullptr);
  ASSERT_THAT(TerminateLockHolders(), IsOk());
  DatabaseLock& lock = **held;
  EXPECT_TRUE(Eventually([&] { return !lock.held(); }, absl::Seconds(5)));
  EXPECT_FALSE(lock.held());  // For good.
  std::unique_ptr<DatabaseLock> taken;
  EXPECT_TRUE(Eventually(
      [&] {
        absl::StatusOr<std::unique_ptr<DatabaseLock>> tried =
            b->TryLock("scanner");
        if (tried.ok()) taken = *std::move(tried);
        return taken != nullptr;
      },
      absl::Seconds(5)));
  // Destroying the lost lock frees nothing of the new holder's.
  held->reset();
  EXPECT_TRUE(taken->held());
  absl::StatusOr<std::unique_ptr<DatabaseLock>> third = a->TryLock("scanner");
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ(*third, nullptr);
}

TEST_F(PgCoordinationTest, CommittedAnnouncementWakesAnotherReplicasWatcher) {
  std::unique_ptr<PgDb> writer = Replica();
  std::unique_ptr<PgDb> reader = Replica();
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(reader, nullptr);
  Counter feed;
  absl::StatusOr<std::unique_ptr<DatabaseWatch>> watch =
      reader->Watch("feed", feed.Fn());
  ASSERT_THAT(watch, IsOk());
  ASSERT_NE(*watch, nullptr);
  ASSERT_THAT(Announce(*writer, {"feed"}), IsOk());
  EXPECT_TRUE(Eventually([&] { return feed.calls >= 1; }, absl::Seconds(5)));
}

TEST_F(PgCoordinationTest, AReplicasOwnCommitsDoNotWakeItsWatchers) {
  std::unique_ptr<PgDb> writer = Replica();
  std::unique_ptr<PgDb> other = Replica();
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(other, nullptr);
  FeedAndMarker watched(*writer);
  // Its stores wake their own listeners; the watch is for other processes.
  ASSERT_THAT(Announce(*writer, {"feed"}), IsOk());
  ASSERT_THAT(Announce(*other, {"marker"}), IsOk());
  watched.ExpectMarkerOnly();
}

TEST_F(PgCoordinationTest, RolledBackAnnouncementWakesNobody) {
  std::unique_ptr<PgDb> writer = Replica();
  std::unique_ptr<PgDb> reader = Replica();
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(reader, nullptr);
  FeedAndMarker watched(*reader);
  EXPECT_THAT(writer->Write([](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(conn.Announce("feed"));
    return absl::AbortedError("changed my mind");
  }),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_THAT(Announce(*writer, {"marker"}), IsOk());
  watched.ExpectMarkerOnly();
}

TEST_F(PgCoordinationTest, AnotherSchemasAnnouncementWakesNobodyHere) {
  std::unique_ptr<PgDb> svc = Replica("svc");
  std::unique_ptr<PgDb> other_writer = Replica("other");
  std::unique_ptr<PgDb> other_reader = Replica("other");
  ASSERT_NE(svc, nullptr);
  ASSERT_NE(other_writer, nullptr);
  ASSERT_NE(other_reader, nullptr);
  FeedAndMarker watched(*other_reader);
  ASSERT_THAT(Announce(*svc, {"feed"}), IsOk());
  ASSERT_THAT(Announce(*other_writer, {"marker"}), IsOk());
  watched.ExpectMarkerOnly();
}

TEST_F(PgCoordinationTest, AnnouncingOutsideAWriteIsFailedPrecondition) {
  std::unique_ptr<PgDb> db = Replica();
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(db->Read([](Connection& conn) { return conn.Announce("feed"); }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(PgCoordinationTest, WatcherIsCalledWhenItsListeningSessionIsBack) {
  std::unique_ptr<PgDb> writer = Replica();
  std::unique_ptr<PgDb> reader = Replica();
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(reader, nullptr);
  Counter feed;
  absl::StatusOr<std::unique_ptr<DatabaseWatch>> watch =
      reader->Watch("feed", feed.Fn());
  ASSERT_THAT(watch, IsOk());
  ASSERT_THAT(TerminateListeners(), IsOk());
  // Notices may have been missed: the watcher looks for itself.
  ASSERT_TRUE(Eventually([&] { return feed.calls >= 1; }, absl::Seconds(5)));
  // And it listens again.
  const int before = feed.calls;
  ASSERT_THAT(Announce(*writer, {"feed"}), IsOk());
  EXPECT_TRUE(
      Eventually([&] { return feed.calls > before; }, absl::Seconds(5)));
}

TEST_F(PgCoordinationTest, NoCallRunsOnceTheWatchIsDestroyed) {
  std::unique_ptr<PgDb> writer = Replica();
  std::unique_ptr<PgDb> reader = Replica();
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(reader, nullptr);
  absl::Notification entered;
  std::atomic<bool> running{false};
  std::atomic<int> calls{0};
  absl::StatusOr<std::unique_ptr<DatabaseWatch>> watch =
      reader->Watch("feed", [&] {
        running = true;
        ++calls;
        if (!entered.HasBeenNotified()) entered.Notify();
        absl::SleepFor(absl::Milliseconds(200));
        running = false;
      });
  ASSERT_THAT(watch, IsOk());
  ASSERT_THAT(Announce(*writer, {"feed"}), IsOk());
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(5)));
  watch->reset();
  EXPECT_FALSE(running);
  const int after = calls;
  ASSERT_THAT(Announce(*writer, {"feed"}), IsOk());
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(calls, after);
}

TEST_F(PgCoordinationTest, LocksAndWatchesMayOutliveTheDatabase) {
  std::unique_ptr<PgDb> db = Replica();
  ASSERT_NE(db, nullptr);
  Counter feed;
  absl::StatusOr<std::unique_ptr<DatabaseWatch>> watch =
      db->Watch("feed", feed.Fn());
  absl::StatusOr<std::unique_ptr<DatabaseLock>> lock = db->TryLock("scanner");
  ASSERT_THAT(watch, IsOk());
  ASSERT_THAT(lock, IsOk());
  ASSERT_NE(*lock, nullptr);
  db.reset();
  EXPECT_TRUE((*lock)->held());
  watch->reset();
  lock->reset();
  // Released: a new replica takes it at once.
  std::unique_ptr<PgDb> next = Replica();
  ASSERT_NE(next, nullptr);
  absl::StatusOr<std::unique_ptr<DatabaseLock>> again =
      next->TryLock("scanner");
  ASSERT_THAT(again, IsOk());
  EXPECT_NE(*again, nullptr);
}

}  // namespace
}  // namespace carebridge
