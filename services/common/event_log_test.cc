#include "services/common/event_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "carebridge/directory/v1/directory.pb.h"

namespace carebridge {
namespace {

using ::testing::ElementsAre;

// The listener machinery is the base class's; reads are not under test.
class EmptyLog : public EventLog {
 public:
  EmptyLog() : EventLog("directory") {}
  absl::StatusOr<Slice> ReadSlice(int64_t, int, size_t) override {
    return Slice();
  }
  absl::StatusOr<FeedHead> ReadHead() override { return FeedHead(); }
  absl::StatusOr<std::string> Epoch() override { return std::string("e"); }
};

TEST(MakeEventTest, FillsTheDescriptionAndPacksThePayload) {
  directory::v1::Team team;
  team.set_name("teams/t1");
  events::v1::Event event = MakeEvent("team.created", "teams/t1", "persons/p1",
                                      {"teams/t1", "teams/t2"}, "members/m1",
                                      absl::FromUnixSeconds(1767225600), team);
  EXPECT_EQ(event.type(), "team.created");
  EXPECT_EQ(event.subject(), "teams/t1");
  EXPECT_EQ(event.person(), "persons/p1");
  EXPECT_THAT(event.teams(), ElementsAre("teams/t1", "teams/t2"));
  EXPECT_EQ(event.actor(), "members/m1");
  EXPECT_EQ(event.time().seconds(), 1767225600);
  directory::v1::Team unpacked;
  ASSERT_TRUE(event.payload().UnpackTo(&unpacked));
  EXPECT_EQ(unpacked.name(), "teams/t1");
  // The store gives the event its place in the feed.
  EXPECT_EQ(event.sequence(), 0);
  EXPECT_EQ(event.id(), "");
  EXPECT_EQ(event.feed(), "");
}

TEST(EventLogTest, NotifyCommittedCallsEveryListener) {
  EmptyLog log;
  int first = 0;
  int second = 0;
  log.AddListener([&] { ++first; });
  log.AddListener([&] { ++second; });
  log.NotifyCommitted();
  log.NotifyCommitted();
  EXPECT_EQ(first, 2);
  EXPECT_EQ(second, 2);
}

TEST(EventLogTest, ARemovedListenerIsNeverCalledAgain) {
  EmptyLog log;
  int removed = 0;
  int kept = 0;
  EventLog::ListenerId id = log.AddListener([&] { ++removed; });
  log.AddListener([&] { ++kept; });
  log.NotifyCommitted();
  log.RemoveListener(id);
  log.NotifyCommitted();
  log.Shutdown();
  EXPECT_EQ(removed, 1);
  EXPECT_EQ(kept, 3);
}

TEST(EventLogTest, RemoveListenerWaitsForTheListenerToReturn) {
  EmptyLog log;
  absl::Notification entered;
  absl::Notification release;
  std::atomic<bool> listener_returned{false};
  EventLog::ListenerId id = log.AddListener([&] {
    entered.Notify();
    release.WaitForNotification();
    listener_returned.store(true);
  });
  std::thread committer([&] { log.NotifyCommitted(); });
  entered.WaitForNotification();

  std::atomic<bool> removed{false};
  bool returned_when_removed = false;
  std::thread remover([&] {
    log.RemoveListener(id);
    returned_when_removed = listener_returned.load();
    removed.store(true);
  });
  absl::SleepFor(absl::Milliseconds(5));
  EXPECT_FALSE(removed.load()) << "RemoveListener returned while it ran";
  release.Notify();
  remover.join();
  committer.join();
  EXPECT_TRUE(returned_when_removed);
}

TEST(EventLogTest, ShutdownWakesListenersAndIsRemembered) {
  EmptyLog log;
  int calls = 0;
  log.AddListener([&] { ++calls; });
  EXPECT_FALSE(log.shutting_down());
  log.Shutdown();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(log.shutting_down());
}

}  // namespace
}  // namespace carebridge
