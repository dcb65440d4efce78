// SharingChangeFollower against a scripted care plan feed: it learns the
// head first and follows from there (history before it changes nothing
// remembered), forgets a person as each change is delivered, and starts
// again at the head, forgetting everything, when the feed comes from
// another database or goes back below where it started.

#include "services/careplan_client/sharing_change_follower.h"

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/careplan_client/caching_careplan_lookup.h"
#include "services/careplan_client/fake_careplan_lookup.h"
#include "services/common/clock.h"
#include "services/common/service_credentials.h"
#include "services/common/token.h"
#include "tests/support/eventually.h"

namespace carebridge::careplan_client {
namespace {

using ::carebridge::testing::Eventually;
using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;

// A care plan feed whose subscriptions each serve a script: its responses
// in order, then (held) more pushed by the test until it ends, or the end
// of the stream. This class is thread-safe.
class ScriptedFeed {
 public:
  // The next subscription serves `responses`; `held`: it stays open after
  // them for what Push adds.
  void AddScript(std::vector<SubscribeResponse> responses, bool held) {
    absl::MutexLock lock(&mu_);
    scripts_.push_back(std::make_shared<Script>(
        Script{{responses.begin(), responses.end()}, held, /*ended=*/false}));
  }
  // Adds `response` to the open subscription's stream; `ends`: the stream
  // ends after it (as when the follower cancels a stream it leaves).
  void Push(SubscribeResponse response, bool ends) {
    absl::MutexLock lock(&mu_);
    ASSERT_NE(current_, nullptr);
    current_->responses.push_back(std::move(response));
    if (ends) current_->ended = true;
  }
  // Ends every stream, now and to come.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  std::vector<SubscribeRequest> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

  EventConsumer::StreamOpener Opener() {
    return [this](grpc::ClientContext*, const SubscribeRequest& request) {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
      std::shared_ptr<Script> script = std::make_shared<Script>();
      if (!scripts_.empty()) {
        script = scripts_.front();
        scripts_.pop_front();
      }
      current_ = script;
      return std::unique_ptr<grpc::ClientReaderInterface<SubscribeResponse>>(
          new Reader(this, script));
    };
  }

 private:
  struct Script {
    std::deque<SubscribeResponse> responses;
    bool held = false;
    bool ended = false;
  };

  class Reader : public grpc::ClientReaderInterface<SubscribeResponse> {
   public:
    Reader(ScriptedFeed* feed, std::shared_ptr<Script> script)
        : feed_(feed), script_(std::move(script)) {}
    void WaitForInitialMetadata() override {}
    bool NextMessageSize(uint32_t* size) override {
      *size = 1 << 20;
      return true;
    }
    bool Read(SubscribeResponse* response) override {
      absl::MutexLock lock(&feed_->mu_);
      Script& script = *script_;
      feed_->mu_.Await(absl::Condition(
          +[](std::pair<ScriptedFeed*, Script*>* both) {
            return both->first->closed_ || !both->second->responses.empty() ||
                   !both->second->held || both->second->ended;
          },
          &waiting_));
      if (script.responses.empty()) return false;
      *response = std::move(script.responses.front());
      script.responses.pop_front();
      return true;
    }
    grpc::Status Finish() override { return grpc::Status::OK; }

   private:
    ScriptedFeed* const feed_;
    const std::shared_ptr<Script> script_;
    std::pair<ScriptedFeed*, Script*> waiting_{feed_, script_.get()};
  };

  mutable absl::Mutex mu_;
  std::deque<std::shared_ptr<Script>> scripts_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<Script> current_ ABSL_GUARDED_BY(mu_);
  std::vector<SubscribeRequest> requests_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// The feed's answer: `epoch`, its head, how far this response goes, and one
// event per person changed.
SubscribeResponse Response(const std::string& epoch, int64_t head,
                           int64_t through,
                           const std::vector<std::string>& persons = {}) {
  SubscribeResponse response;
  response.set_epoch(epoch);
  response.set_head_sequence(head);
  response.set_through_sequence(through);
  int64_t sequence = through - static_cast<int64_t>(persons.size());
  for (const std::string& person : persons) {
    events::v1::Event& event = *response.add_events();
    event.set_sequence(++sequence);
    event.set_type("careplan.sharing_changed");
    event.set_person(person);
  }
  return response;
}

class SharingChangeFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* person : {"persons/p1", "persons/p2", "persons/p3"}) {
      sharing::PersonSharing sharing;
      sharing.lead_team = "teams/cmht";
      lookup_.SetSharing(person, sharing);
    }
    SharingChangeFollower::Options options;
    options.min_backoff = absl::Milliseconds(1);
    options.max_backoff = absl::Milliseconds(5);
    follower_ = std::make_unique<SharingChangeFollower>(
        feed_.Opener(), &credentials_, &cache_, options);
  }
  void TearDown() override {
    // The scripted streams end first: the follower cannot cancel them.
    feed_.Close();
    follower_->Stop();
  }

  // How many times the care plan service is asked while reading `person`.
  int AsksFor(const std::string& person) {
    const int before = lookup_.sharing_calls();
    EXPECT_TRUE(cache_.GetSharing(person).ok());
    return lookup_.sharing_calls() - before;
  }

  FakeClock clock_;
  TokenSigner signer_{std::string(32, 'k')};
  ServiceCredentials credentials_{"services/referral", &signer_, &clock_};
  FakeCarePlanLookup lookup_;
  CachingCarePlanLookup cache_{&lookup_, &clock_};
  ScriptedFeed feed_;
  std::unique_ptr<SharingChangeFollower> follower_;
};

TEST_F(SharingChangeFollowerTest, LearnsTheHeadThenFollowsFromIt) {
  // History before the head: what it changed was never remembered here.
  feed_.AddScript({Response("A", 10, 3, {"persons/p1", "persons/p2"})},
                  /*held=*/false);
  feed_.AddScript({Response("A", 10, 10)}, /*held=*/true);
  follower_->Start();
  ASSERT_TRUE(Eventually([&] { return follower_->delivered_through() == 10; }));
  EXPECT_TRUE(cache_.following());
  std::vector<SubscribeRequest> requests = feed_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].after_sequence(), 0);
  EXPECT_EQ(requests[1].after_sequence(), 10);
  EXPECT_EQ(requests[1].type_prefixes_size(), 4);

  // Remembered while followed; a change delivered for p3 forgets p3 only.
  EXPECT_EQ(AsksFor("persons/p1"), 1);
  EXPECT_EQ(AsksFor("persons/p3"), 1);
  EXPECT_EQ(AsksFor("persons/p1"), 0);
  EXPECT_EQ(AsksFor("persons/p3"), 0);
  feed_.Push(Response("A", 11, 11, {"persons/p3"}), /*ends=*/false);
  ASSERT_TRUE(Eventually([&] { return follower_->delivered_through() == 11; }));
  EXPECT_EQ(AsksFor("persons/p1"), 0);
  EXPECT_EQ(AsksFor("persons/p3"), 1);
  EXPECT_EQ(feed_.requests().size(), 2u);
}

TEST_F(SharingChangeFollowerTest, AFeedFromAnotherDatabaseStartsItAgain) {
  feed_.AddScript({Response("A", 10, 3)}, /*held=*/false);
  feed_.AddScript({Response("A", 10, 10)}, /*held=*/true);
  // The next probe finds the other database's head reached at once.
  feed_.AddScript({Response("B", 4, 4)}, /*held=*/true);
  follower_->Start();
  ASSERT_TRUE(Eventually([&] { return follower_->delivered_through() == 10; }));
  EXPECT_EQ(AsksFor("persons/p1"), 1);
  EXPECT_EQ(AsksFor("persons/p1"), 0);

  // The care plan database was replaced: nothing remembered holds.
  feed_.Push(Response("B", 12, 12), /*ends=*/true);
  ASSERT_TRUE(Eventually([&] { return feed_.requests().size() == 3u; }));
  ASSERT_TRUE(Eventually([&] { return follower_->delivered_through() == 4; }));
  std::vector<SubscribeRequest> requests = feed_.requests();
  EXPECT_EQ(requests[2].after_sequence(), 0);
  EXPECT_TRUE(cache_.following());
  EXPECT_EQ(AsksFor("persons/p1"), 1);
}

TEST_F(SharingChangeFollowerTest, AFeedGoneBackBelowItsStartStartsItAgain) {
  feed_.AddScript({Response("A", 10, 3)}, /*held=*/false);
  feed_.AddScript({Response("A", 10, 10)}, /*held=*/true);
  feed_.AddScript({Response("A", 5, 5)}, /*held=*/true);
  follower_->Start();
  ASSERT_TRUE(Eventually([&] { return follower_->delivered_through() == 10; }));
  EXPECT_EQ(AsksFor("persons/p2"), 1);

  // The same epoch, but its head is below where this subscription began.
  feed_.Push(Response("A", 5, 5), /*ends=*/true);
  ASSERT_TRUE(Eventually([&] { return feed_.requests().size() == 3u; }));
  ASSERT_TRUE(Eventually([&] { return follower_->delivered_through() == 5; }));
  EXPECT_EQ(feed_.requests()[2].after_sequence(), 0);
  EXPECT_EQ(AsksFor("persons/p2"), 1);
}

TEST_F(SharingChangeFollowerTest, AStreamThatEndsLeavesNothingRemembered) {
  feed_.AddScript({Response("A", 10, 10)}, /*held=*/true);
  follower_->Start();
  ASSERT_TRUE(Eventually([&] { return cache_.following(); }));
  EXPECT_EQ(AsksFor("persons/p1"), 1);
  EXPECT_EQ(AsksFor("persons/p1"), 0);
  // The care plan service went away: every read asks until it is back.
  feed_.Push(Response("A", 10, 10), /*ends=*/true);
  ASSERT_TRUE(Eventually([&] { return !cache_.following(); }));
  EXPECT_EQ(AsksFor("persons/p1"), 1);
  EXPECT_EQ(AsksFor("persons/p1"), 1);
}

}  // namespace
}  // namespace carebridge::careplan_client
