#include "services/common/thread_name.h"

#include <pthread.h>

#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace carebridge {
namespace {

std::string NameOf(std::thread& thread) {
  char name[32] = {};
  EXPECT_EQ(pthread_getname_np(thread.native_handle(), name, sizeof(name)), 0);
  return name;
}

TEST(ThreadNameTest, AThreadIsNamedAsAsked) {
  std::string seen;
  std::thread thread([&] {
    NameThisThread("record.referral");
    char name[32] = {};
    pthread_getname_np(pthread_self(), name, sizeof(name));
    seen = name;
  });
  thread.join();
  EXPECT_EQ(seen, "record.referral");
}

TEST(ThreadNameTest, ALongNameKeepsItsFirstFifteenBytes) {
  absl::Notification named;
  absl::Notification done;
  std::thread thread([&] {
    NameThisThread("handover deadline scan");
    named.Notify();
    done.WaitForNotification();
  });
  named.WaitForNotification();
  EXPECT_EQ(NameOf(thread), "handover deadli");
  done.Notify();
  thread.join();
}

}  // namespace
}  // namespace carebridge
