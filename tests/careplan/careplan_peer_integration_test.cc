// How other services (referral, handover, record) see the care plan service:
// CarePlanPeer remembers each person's sharing choices while it follows the
// care plan feed, and a change of choices, care team or lead reaches its
// next answer once the feed delivers it (issue 11: the choices hold at every
// read without asking the care plan service at every read). The test
// server's clock never moves, so nothing here expires by age: only the feed
// makes a remembered answer go.

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "services/careplan_client/careplan_peer.h"
#include "services/common/service_credentials.h"
#include "tests/careplan/careplan_test_fixture.h"

namespace carebridge::careplan {
namespace {

class CarePlanPeerTest : public CarePlanTest {
 protected:
  void SetUp() override {
    CarePlanTest::SetUp();
    CreateRealisticPlan();
    credentials_ = std::make_unique<ServiceCredentials>(
        "services/referral", server_.env().signer, server_.env().clock);
    // Over TCP, as from another process: the test stops the server, and an
    // in-process channel must not outlive its server.
    peer_ = std::make_unique<careplan_client::CarePlanPeer>(
        [channel = NewChannel()] { return channel; }, credentials_.get(),
        server_.env().clock);
  }

  // Starts following and waits until the peer says it follows.
  void Follow() {
    peer_->StartFollowing();
    ASSERT_TRUE(WaitFor([this] { return peer_->cache().following(); }))
        << "the peer never followed the care plan feed";
  }

  template <typename Condition>
  static bool WaitFor(Condition condition) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      if (condition()) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return condition();
  }

  sharing::PersonSharing Sharing() {
    absl::StatusOr<sharing::PersonSharing> found =
        peer_->lookup()->GetSharing(person_);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.value_or(sharing::PersonSharing());
  }

  int64_t ChoicesVersion() {
    sharing::PersonSharing found = Sharing();
    return found.choices.has_value() ? found.choices->version() : 0;
  }

  std::unique_ptr<ServiceCredentials> credentials_;
  std::unique_ptr<careplan_client::CarePlanPeer> peer_;
};

TEST_F(CarePlanPeerTest, EveryReadAsksTheCarePlanServiceUntilItFollows) {
  EXPECT_EQ(Sharing().lead_team, community_.name());
  EXPECT_EQ(Sharing().lead_team, community_.name());
  EXPECT_EQ(peer_->cache().hits(), 0);
}

TEST_F(CarePlanPeerTest, TheChoicesAreRememberedWhileTheFeedIsFollowed) {
  Follow();
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(Sharing().lead_team, community_.name());
  EXPECT_EQ(peer_->cache().hits(), 9);
}

TEST_F(CarePlanPeerTest, AChangeOfChoicesReachesTheNextReadOnceDelivered) {
  MustAddTeam(alice_, voluntary_.name(), "peer support");
  Follow();
  EXPECT_EQ(ChoicesVersion(), 0);
  EXPECT_EQ(ChoicesVersion(), 0);
  ASSERT_GT(peer_->cache().hits(), 0);

  v1::SharingChoices changed;
  ASSERT_GRPC_OK(Share(alice_, {TeamRule(voluntary_.name(), {v1::SHARED_RISK})},
                       &changed));
  EXPECT_TRUE(WaitFor([&] { return ChoicesVersion() == changed.version(); }))
      << "the new choices never reached the peer";
  // And are remembered again from then on.
  const int64_t hits = peer_->cache().hits();
  EXPECT_EQ(ChoicesVersion(), changed.version());
  EXPECT_EQ(peer_->cache().hits(), hits + 1);
}

TEST_F(CarePlanPeerTest, ANewLeadReachesTheNextReadOnceDelivered) {
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  Follow();
  EXPECT_EQ(Sharing().lead_team, community_.name());
  EXPECT_EQ(Sharing().lead_team, community_.name());
  ASSERT_GT(peer_->cache().hits(), 0);

  MustSetLead(alice_, crisis_.name());
  EXPECT_TRUE(WaitFor([&] { return Sharing().lead_team == crisis_.name(); }))
      << "the new lead never reached the peer";
}

TEST_F(CarePlanPeerTest, AFirstPlanReachesTheNextReadOnceDelivered) {
  const std::string other = MakePerson("Bo", "Lind");
  Follow();
  // Registered, no plan yet: nobody leads.
  auto lead_of_other = [&] {
    absl::StatusOr<sharing::PersonSharing> found =
        peer_->lookup()->GetSharing(other);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? found->lead_team : "?";
  };
  EXPECT_EQ(lead_of_other(), "");
  EXPECT_EQ(lead_of_other(), "");
  ASSERT_GT(peer_->cache().hits(), 0);

  const std::string saved_person = person_;
  const std::string saved_plan = plan_;
  person_ = other;
  plan_ = PlanName(other);
  CreateRealisticPlan();
  person_ = saved_person;
  plan_ = saved_plan;
  EXPECT_TRUE(WaitFor([&] { return lead_of_other() == community_.name(); }))
      << "the first plan's lead never reached the peer";
}

TEST_F(CarePlanPeerTest, WithoutTheFeedEveryReadAsksAfresh) {
  Follow();
  Sharing();
  server_.Stop();
  ASSERT_TRUE(WaitFor([this] { return !peer_->cache().following(); }))
      << "the peer still says it follows a stopped service";
  // Nothing is answered from memory: the care plan service is asked, and it
  // is not there.
  absl::StatusOr<sharing::PersonSharing> found =
      peer_->lookup()->GetSharing(person_);
  EXPECT_FALSE(found.ok());
}

TEST_F(CarePlanPeerTest, StoppingLeavesNothingRemembered) {
  Follow();
  Sharing();
  Sharing();
  peer_->StopFollowing();
  EXPECT_FALSE(peer_->cache().following());
  const int64_t hits = peer_->cache().hits();
  Sharing();
  EXPECT_EQ(peer_->cache().hits(), hits);
}

}  // namespace
}  // namespace carebridge::careplan
