// The directory's event feed (Subscribe) over a real gRPC channel: what each
// kind of caller receives, catching up, and following new changes live.

#include <grpcpp/support/sync_stream.h>

#include <memory>
#include <string>
#include <vector>

#include "carebridge/events/v1/events.pb.h"
#include "tests/directory/directory_test_fixture.h"

namespace carebridge::directory {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::HasCode;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Stub = v1::DirectoryService::Stub;
using events::v1::Event;
using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;

class DirectorySubscribeTest : public DirectoryTest {
 protected:
  // A whole subscription that stops once caught up, with its batches.
  struct Feed {
    grpc::Status status;
    std::vector<SubscribeResponse> batches;
    std::vector<Event> events;
  };

  Feed CatchUp(std::unique_ptr<grpc::ClientContext> context,
               int64_t after_sequence = 0) {
    SubscribeRequest request;
    request.set_after_sequence(after_sequence);
    request.set_stop_when_caught_up(true);
    Feed feed;
    auto reader = stub_->Subscribe(context.get(), request);
    SubscribeResponse batch;
    while (reader->Read(&batch)) {
      for (const Event& event : batch.events()) feed.events.push_back(event);
      feed.batches.push_back(batch);
    }
    feed.status = reader->Finish();
    return feed;
  }
  Feed CatchUpAs(const Principal& as, int64_t after_sequence = 0) {
    return CatchUp(server_.ContextAs(as), after_sequence);
  }

  static std::vector<std::string> Types(const std::vector<Event>& events) {
    std::vector<std::string> types;
    for (const Event& event : events) types.push_back(event.type());
    return types;
  }

  // One of each change: a team, a member of it, a person registered by its
  // staff, and an update of the team.
  void MakeOneOfEach() {
    team_ = MakeTeam("North CMHT");
    member_ = MakeMember(team_.name(), v1::CLINICIAN);
    ASSERT_GRPC_OK(Call(&Stub::CreatePerson,
                        Staff(team_.name(), Role::kClinician), PersonRequest(),
                        &person_));
    v1::UpdateTeamRequest update;
    update.mutable_team()->set_name(team_.name());
    update.mutable_team()->set_display_name("North CMHT (East)");
    update.mutable_update_mask()->add_paths("display_name");
    update.set_etag(team_.etag());
    ASSERT_GRPC_OK(Call(&Stub::UpdateTeam, Admin(), update, &updated_team_));
  }

  v1::Team team_;
  v1::Member member_;
  v1::Person person_;
  v1::Team updated_team_;
};

TEST_F(DirectorySubscribeTest, AdminGetsEveryEventWithoutPayload) {
  MakeOneOfEach();
  Feed feed = CatchUpAs(Admin());
  ASSERT_GRPC_OK(feed.status);
  ASSERT_THAT(Types(feed.events),
              ElementsAre("team.created", "member.created", "person.created",
                          "team.updated"));
  for (const Event& event : feed.events) {
    EXPECT_FALSE(event.has_payload()) << event.type();
    EXPECT_EQ(event.feed(), "directory");
    // The team's manager added the member; the admin made the team.
    const std::string actor = event.type() == "person.created" ? "members/staff"
                              : event.type() == "member.created"
                                  ? Manager(team_.name()).subject
                                  : Admin().subject;
    EXPECT_EQ(event.actor(), actor);
  }
  EXPECT_EQ(feed.events[0].subject(), team_.name());
  EXPECT_THAT(feed.events[0].teams(), ElementsAre(team_.name()));
  EXPECT_EQ(feed.events[1].subject(), member_.name());
  EXPECT_THAT(feed.events[1].teams(), ElementsAre(team_.name()));
  EXPECT_EQ(feed.events[2].subject(), person_.name());
  EXPECT_EQ(feed.events[2].person(), person_.name());
  EXPECT_THAT(feed.events[2].teams(), ElementsAre(team_.name()));
  EXPECT_EQ(feed.events[3].subject(), team_.name());
  EXPECT_EQ(feed.events[3].sequence(), 4);
  EXPECT_EQ(feed.events[3].id(), "directory/4");
}

TEST_F(DirectorySubscribeTest, ServiceIdentityGetsPayloads) {
  MakeOneOfEach();
  // ContextAs signs the service's token with the server's own key.
  Feed feed = CatchUpAs(Service());
  ASSERT_GRPC_OK(feed.status);
  ASSERT_EQ(feed.events.size(), 4u);
  v1::Team created;
  ASSERT_TRUE(feed.events[0].payload().UnpackTo(&created));
  EXPECT_THAT(created, EqualsProto(team_));
  v1::Member member;
  ASSERT_TRUE(feed.events[1].payload().UnpackTo(&member));
  EXPECT_THAT(member, EqualsProto(member_));
  v1::Person person;
  ASSERT_TRUE(feed.events[2].payload().UnpackTo(&person));
  EXPECT_THAT(person, EqualsProto(person_));
  v1::Team updated;
  ASSERT_TRUE(feed.events[3].payload().UnpackTo(&updated));
  EXPECT_THAT(updated, EqualsProto(updated_team_));
}

TEST_F(DirectorySubscribeTest, StaffSeeOnlyTheirTeamsEvents) {
  MakeOneOfEach();
  v1::Team other = MakeTeam("South Crisis");
  Feed feed = CatchUpAs(Staff(other.name(), Role::kClinician));
  ASSERT_GRPC_OK(feed.status);
  ASSERT_EQ(feed.events.size(), 1u);
  EXPECT_EQ(feed.events[0].subject(), other.name());
  EXPECT_TRUE(feed.events[0].has_payload());
}

TEST_F(DirectorySubscribeTest, UnauthenticatedCallerIsRefused) {
  MakeOneOfEach();
  Feed feed = CatchUp(server_.AnonymousContext());
  EXPECT_THAT(feed.status, HasCode(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_THAT(feed.events, IsEmpty());
}

TEST_F(DirectorySubscribeTest, StopWhenCaughtUpEndsOkAtTheHead) {
  MakeTeam("First");
  v1::Team second = MakeTeam("Second");
  Feed feed = CatchUpAs(Admin(), /*after_sequence=*/1);
  ASSERT_GRPC_OK(feed.status);
  ASSERT_EQ(feed.events.size(), 1u);
  EXPECT_EQ(feed.events[0].subject(), second.name());
  ASSERT_FALSE(feed.batches.empty());
  EXPECT_EQ(feed.batches.back().through_sequence(), 2);
  EXPECT_EQ(feed.batches.back().head_sequence(), 2);
}

TEST_F(DirectorySubscribeTest, EmptyFeedStillAnswersWithTheHead) {
  Feed feed = CatchUpAs(Admin());
  ASSERT_GRPC_OK(feed.status);
  EXPECT_THAT(feed.events, IsEmpty());
  ASSERT_FALSE(feed.batches.empty());
  EXPECT_EQ(feed.batches.back().head_sequence(), 0);
}

TEST_F(DirectorySubscribeTest, LiveSubscriberGetsATeamCreatedAfterCatchingUp) {
  MakeTeam("Before");
  auto context = server_.ContextAs(Service());
  SubscribeRequest request;
  auto reader = stub_->Subscribe(context.get(), request);
  // Read until caught up with what existed before.
  SubscribeResponse batch;
  do {
    ASSERT_TRUE(reader->Read(&batch));
  } while (batch.through_sequence() < batch.head_sequence() ||
           batch.through_sequence() < 1);

  v1::Team after = MakeTeam("After");
  // The stream wakes on the commit; the context's deadline bounds the wait.
  std::vector<Event> live;
  while (live.empty() && reader->Read(&batch)) {
    for (const Event& event : batch.events()) live.push_back(event);
  }
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].type(), "team.created");
  EXPECT_EQ(live[0].subject(), after.name());
  EXPECT_EQ(live[0].sequence(), 2);

  context->TryCancel();
  EXPECT_THAT(reader->Finish(), HasCode(grpc::StatusCode::CANCELLED));
}

TEST_F(DirectorySubscribeTest, StoppingTheModuleEndsLiveStreamsUnavailable) {
  auto context = server_.ContextAs(Admin());
  SubscribeRequest request;
  auto reader = stub_->Subscribe(context.get(), request);
  SubscribeResponse heartbeat;
  ASSERT_TRUE(reader->Read(&heartbeat));

  module_->StopBackgroundWork();
  module_->StopBackgroundWork();  // idempotent
  SubscribeResponse batch;
  while (reader->Read(&batch)) {
  }
  EXPECT_THAT(reader->Finish(), HasCode(grpc::StatusCode::UNAVAILABLE));
}

}  // namespace
}  // namespace carebridge::directory
