// Two replicas of the record service on one PostgreSQL database, as two
// processes would run it: one follows each feed, the other stands by, and
// both serve the record and say how fresh it is. A replica standing by
// used to answer "not caught up" for ever (it did not know the feeds'
// heads); now it says what the follower has applied and how far behind it
// is. PostgreSQL only (on SQLite two records in one process do not share
// a lock).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/record/record_domain.h"
#include "services/record/record_module.h"
#include "tests/record/record_test_fixture.h"
#include "tests/support/eventually.h"
#include "tests/support/hosted_modules.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace carebridge::record::testing {
namespace {

namespace dir = ::carebridge::directory::v1;
namespace ref = ::carebridge::referral::v1;
using carebridge::testing::Eventually;
using carebridge::testing::TestServer;

// How long the follower waits before each event it applies: a burst of
// events leaves it behind for a while.
constexpr absl::Duration kFollowerDelay = absl::Milliseconds(100);

class RecordReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!carebridge::testing::TestOnPostgresql()) {
      GTEST_SKIP() << "replicas share a PostgreSQL database";
    }
    started_ = true;
    server_.Start();
    modules_.Start();
    directory_ = dir::DirectoryService::NewStub(server_.Channel());
    referral_ = ref::ReferralService::NewStub(server_.Channel());
    follower_ = OpenRecord();
    ASSERT_NE(follower_, nullptr);
    follower_->StartConsumers(modules_.context().peer, kFollowerDelay);
    ASSERT_TRUE(Eventually(
        [&] { return AllIn(*follower_, ConsumerState::Phase::kFollowing); }));
    standby_ = OpenRecord();
    ASSERT_NE(standby_, nullptr);
    standby_->StartConsumers(modules_.context().peer);
    ASSERT_TRUE(Eventually(
        [&] { return AllIn(*standby_, ConsumerState::Phase::kStandingBy); }));
    from_ = MakeTeam("North CMHT", dir::COMMUNITY_MENTAL_HEALTH);
    to_ = MakeTeam("Crisis Resolution", dir::CRISIS);
    alice_ = TestServer::Member("members/alice", from_);
  }

  void TearDown() override {
    if (!started_) return;
    for (RecordModule* record : {standby_.get(), follower_.get()}) {
      if (record != nullptr) record->StopBackgroundWork();
    }
    modules_.Stop();
    server_.Stop();
  }

  // A record on the database the hosted services use, with their peers.
  std::unique_ptr<RecordModule> OpenRecord() {
    absl::StatusOr<std::unique_ptr<RecordModule>> record = RecordModule::Open(
        server_.env(), DatabaseLocationOf(modules_.context(), "record"),
        CareGapThresholds(), modules_.context().peer("directory"),
        modules_.context().peer("careplan"));
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? *std::move(record) : nullptr;
  }

  static bool AllIn(RecordModule& record, ConsumerState::Phase phase) {
    std::vector<EventConsumer*> consumers = record.consumers();
    for (EventConsumer* consumer : consumers) {
      absl::StatusOr<ConsumerState> state = consumer->State();
      if (!state.ok() || state->phase != phase) return false;
    }
    return !consumers.empty();
  }

  static Principal Service() { return TestService(); }

  std::string MakeTeam(const std::string& display_name, dir::Sector sector) {
    return CreateTestTeam(server_, *directory_, display_name, sector);
  }

  std::string MakePerson(const std::string& given_name) {
    return CreateTestPerson(server_, *directory_, alice_, given_name,
                            "Replica");
  }

  std::string Refer(const std::string& person) {
    return CreateTestReferral(server_, *referral_, alice_, person, to_,
                              ref::URGENT)
        .name();
  }

  absl::StatusOr<v1::ListTimelineEntriesResponse> Timeline(
      RecordModule& record, const std::string& person) {
    v1::ListTimelineEntriesRequest request;
    request.set_parent(person);
    request.set_page_size(1000);
    return record.domain()->ListTimelineEntries(Service(), request);
  }

  static const v1::Freshness::Feed* FeedOf(const v1::Freshness& freshness,
                                           const std::string& feed) {
    for (const v1::Freshness::Feed& f : freshness.feeds()) {
      if (f.feed() == feed) return &f;
    }
    return nullptr;
  }

  bool started_ = false;
  TestServer server_;
  // Every service but the record, whose two replicas the test runs.
  carebridge::testing::HostedModules modules_{
      &server_, {"directory", "referral", "careplan", "handover"}};
  std::unique_ptr<dir::DirectoryService::Stub> directory_;
  std::unique_ptr<ref::ReferralService::Stub> referral_;
  std::unique_ptr<RecordModule> follower_;
  std::unique_ptr<RecordModule> standby_;
  std::string from_, to_;
  Principal alice_;
};

TEST_F(RecordReplicasTest, AStandbySaysHowFarBehindTheFollowerIsThenCaughtUp) {
  std::vector<std::string> persons;
  for (int i = 0; i < 10; ++i) {
    persons.push_back(MakePerson(absl::StrCat("Kim", i)));
  }
  // The follower takes a second over the ten persons; meanwhile the
  // replica standing by says it is behind the directory feed, by how many
  // events and since when.
  server_.clock().Advance(absl::Minutes(2));
  v1::Freshness behind;
  ASSERT_TRUE(Eventually([&] {
    behind = standby_->Freshness();
    const v1::Freshness::Feed* directory = FeedOf(behind, "directory");
    return directory != nullptr &&
           directory->applied_through() < directory->head_sequence();
  })) << behind.DebugString();
  EXPECT_FALSE(behind.caught_up());
  const v1::Freshness::Feed& directory = *FeedOf(behind, "directory");
  EXPECT_EQ(directory.problem(), "") << "standing by is no problem";
  EXPECT_GE(directory.lag().seconds(), 120) << behind.DebugString();

  const std::string referral = Refer(persons.back());
  ASSERT_TRUE(Eventually([&] {
    return follower_->Freshness().caught_up() &&
           standby_->Freshness().caught_up();
  })) << "follower: "
      << follower_->Freshness().DebugString()
      << "standby: " << standby_->Freshness().DebugString();
  // Both say the same of each feed: what the follower applied, the head.
  const v1::Freshness followed = follower_->Freshness();
  const v1::Freshness seen = standby_->Freshness();
  ASSERT_EQ(seen.feeds_size(), followed.feeds_size());
  for (const v1::Freshness::Feed& feed : followed.feeds()) {
    const v1::Freshness::Feed* standby_feed = FeedOf(seen, feed.feed());
    ASSERT_NE(standby_feed, nullptr) << feed.feed();
    EXPECT_TRUE(
        google::protobuf::util::MessageDifferencer::Equals(feed, *standby_feed))
        << "follower: " << feed.DebugString()
        << "standby: " << standby_feed->DebugString();
  }
  const v1::Freshness::Feed& referrals = *FeedOf(seen, "referral");
  EXPECT_GE(referrals.applied_through(), 1);
  EXPECT_EQ(referrals.applied_through(), referrals.head_sequence());
  EXPECT_TRUE(AllIn(*standby_, ConsumerState::Phase::kStandingBy));

  // Both serve the same record.
  absl::StatusOr<v1::ListTimelineEntriesResponse> want =
      Timeline(*follower_, persons.back());
  absl::StatusOr<v1::ListTimelineEntriesResponse> got =
      Timeline(*standby_, persons.back());
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->freshness().caught_up());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*want, *got))
      << "follower: " << want->DebugString()
      << "standby: " << got->DebugString();
  ASSERT_EQ(got->entries_size(), 2) << got->DebugString();
  EXPECT_EQ(got->entries(1).resource(), referral);
}

TEST_F(RecordReplicasTest, WhenTheFollowerStopsTheStandbyTakesOver) {
  const std::string person = MakePerson("Sam");
  ASSERT_TRUE(Eventually([&] { return standby_->Freshness().caught_up(); }));
  follower_->StopBackgroundWork();
  const std::string referral = Refer(person);
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<v1::ListTimelineEntriesResponse> timeline =
        Timeline(*standby_, person);
    return AllIn(*standby_, ConsumerState::Phase::kFollowing) &&
           timeline.ok() && timeline->freshness().caught_up() &&
           timeline->entries_size() == 2;
  }));
  EXPECT_EQ(Timeline(*standby_, person)->entries(1).resource(), referral);
}

}  // namespace
}  // namespace carebridge::record::testing
