// CarePlanService.Subscribe: the `careplan` feed, one event per version, as
// other services and integrators read it over gRPC.

#include <grpcpp/support/sync_stream.h>

#include <string>
#include <vector>

#include "carebridge/events/v1/events.pb.h"
#include "tests/careplan/careplan_test_fixture.h"

namespace carebridge::careplan {
namespace {

using events::v1::Event;
using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;

std::vector<std::string> Types(const std::vector<Event>& events) {
  std::vector<std::string> types;
  for (const Event& event : events) types.push_back(event.type());
  return types;
}

class CarePlanFeedTest : public CarePlanTest {
 protected:
  v1::CarePlan PassLead(const Principal& as, const std::string& team) {
    v1::SetLeadTeamRequest request;
    request.set_name(plan_);
    request.set_team(team);
    request.set_reason("Crisis team takes the lead for now.");
    v1::CarePlan plan;
    grpc::Status status = Call(&Stub::SetLeadTeam, as, request, &plan);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return plan;
  }
};

TEST_F(CarePlanFeedTest, EveryVersionIsOneEvent) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  const v1::CarePlan led = PassLead(alice_, crisis_.name());

  const std::vector<Event> events = ReadFeed(service_);
  EXPECT_THAT(Types(events), ElementsAre("careplan.content_updated",
                                         "careplan.care_team_changed",
                                         "careplan.lead_changed"));
  ASSERT_THAT(events, SizeIs(3));
  const Event& last = events[2];
  EXPECT_EQ(last.id(), absl::StrCat("careplan/", last.sequence()));
  EXPECT_EQ(last.subject(), VersionName(3));
  EXPECT_EQ(last.person(), person_);
  EXPECT_THAT(last.teams(),
              UnorderedElementsAre(community_.name(), crisis_.name()));
  EXPECT_EQ(last.actor(), alice_.subject);
  // The payload is the plan as GetCarePlan shows it, name and etag included.
  v1::CarePlan payload;
  ASSERT_TRUE(last.payload().UnpackTo(&payload));
  EXPECT_THAT(payload, EqualsProto(led));
  EXPECT_THAT(payload, EqualsProto(Get()));
}

TEST_F(CarePlanFeedTest, FailedWriteIsNoEvent) {
  CreateRealisticPlan();
  v1::CarePlan out;
  EXPECT_THAT(Update(alice_,
                     UpdateRequest(Goals({"Sleep better"}), {"goals"},
                                   /*etag=*/"7"),
                     &out),
              HasCode(grpc::StatusCode::ABORTED));
  EXPECT_THAT(ReadFeed(service_), SizeIs(1));
}

TEST_F(CarePlanFeedTest, StaffSeeOnlyEventsNamingTheirTeam) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");

  // Crisis joined in version 2: version 1 never named it.
  const std::vector<Event> seen_by_bob = ReadFeed(bob_);
  ASSERT_THAT(seen_by_bob, SizeIs(1));
  EXPECT_EQ(seen_by_bob[0].subject(), VersionName(2));
  EXPECT_TRUE(seen_by_bob[0].has_payload());
  EXPECT_THAT(ReadFeed(otto_), IsEmpty());
  // Admins see that something changed, not what.
  const std::vector<Event> seen_by_admin = ReadFeed(admin_);
  ASSERT_THAT(seen_by_admin, SizeIs(2));
  EXPECT_FALSE(seen_by_admin[0].has_payload());
}

// Issue 9, failure 3: a team that had left a person's care kept receiving
// the crisis plan through its feed, because events keep every team they
// ever named. Need to know is now decided when an event is delivered.
TEST_F(CarePlanFeedTest, ATeamThatLeftReceivesOnlyTheEventThatEndedIt) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");  // version 2
  MustEndTeam(alice_, crisis_.name());                    // version 3
  const v1::CarePlan changed =
      Write(alice_, WhatHelps("Text the crisis team must not see."),
            {"crisis_plan.what_helps"}, Get().etag());  // version 4
  ASSERT_EQ(changed.version(), 4);
  // The event of version 4 still names the crisis team (it is in the care
  // team's history): only delivery-time need to know keeps it away.
  std::vector<Event> all = ReadFeed(service_);
  ASSERT_THAT(all, SizeIs(4));
  EXPECT_THAT(all[3].teams(), ::testing::Contains(crisis_.name()));

  // Replayed from the start, the crisis team gets the event that ended its
  // involvement, without content, and nothing else.
  const std::vector<Event> seen_by_bob = ReadFeed(bob_);
  ASSERT_THAT(seen_by_bob, SizeIs(1));
  EXPECT_EQ(seen_by_bob[0].subject(), VersionName(3));
  EXPECT_EQ(seen_by_bob[0].type(), "careplan.care_team_changed");
  EXPECT_FALSE(seen_by_bob[0].has_payload());
  // The lead team still sees everything.
  EXPECT_THAT(ReadFeed(alice_), SizeIs(4));
  v1::CarePlan payload;
  ASSERT_TRUE(ReadFeed(alice_)[3].payload().UnpackTo(&payload));
  EXPECT_EQ(payload.crisis_plan().what_helps(),
            "Text the crisis team must not see.");
}

TEST_F(CarePlanFeedTest, ALiveStreamStopsDeliveringOnceTheTeamLeaves) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");  // version 2
  SubscribeRequest request;
  request.set_after_sequence(2);
  auto context = server_.ContextAs(bob_);
  auto reader = stub_->Subscribe(context.get(), request);
  SubscribeResponse response;
  ASSERT_TRUE(reader->Read(&response));  // the heartbeat
  std::vector<Event> delivered;
  auto read_until = [&](int64_t version) {
    while (delivered.empty() ||
           delivered.back().subject() != VersionName(version)) {
      ASSERT_TRUE(reader->Read(&response));
      for (const Event& event : response.events()) delivered.push_back(event);
    }
  };
  Write(alice_, WhatHelps("Seen while on the care team."),
        {"crisis_plan.what_helps"}, Get().etag());  // version 3
  read_until(3);
  EXPECT_TRUE(delivered.back().has_payload());
  MustEndTeam(alice_, crisis_.name());  // version 4
  read_until(4);
  EXPECT_FALSE(delivered.back().has_payload());
  Write(alice_, WhatHelps("Not seen after leaving."),
        {"crisis_plan.what_helps"}, Get().etag());  // version 5
  // The stream considers version 5 (its through_sequence passes it)
  // without delivering it.
  while (response.through_sequence() < 5) {
    ASSERT_TRUE(reader->Read(&response));
    for (const Event& event : response.events()) delivered.push_back(event);
  }
  context->TryCancel();
  while (reader->Read(&response)) {
    for (const Event& event : response.events()) delivered.push_back(event);
  }
  reader->Finish();
  ASSERT_THAT(delivered, SizeIs(2));
  EXPECT_EQ(delivered[1].subject(), VersionName(4));
}

TEST_F(CarePlanFeedTest, LiveSubscriberReceivesNewVersions) {
  SubscribeRequest request;
  auto context = server_.ContextAs(service_);
  auto reader = stub_->Subscribe(context.get(), request);
  SubscribeResponse heartbeat;
  ASSERT_TRUE(reader->Read(&heartbeat));
  EXPECT_THAT(heartbeat.events(), IsEmpty());
  EXPECT_EQ(heartbeat.head_sequence(), 0);

  CreateRealisticPlan();
  SubscribeResponse response;
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_THAT(response.events(), SizeIs(1));
  EXPECT_EQ(response.events(0).type(), "careplan.content_updated");
  EXPECT_EQ(response.through_sequence(), response.events(0).sequence());

  context->TryCancel();
  while (reader->Read(&response)) {
  }
  EXPECT_THAT(reader->Finish(), HasCode(grpc::StatusCode::CANCELLED));
}

TEST_F(CarePlanFeedTest, StoppingTheServiceEndsLiveFeeds) {
  auto context = server_.ContextAs(service_);
  auto reader = stub_->Subscribe(context.get(), SubscribeRequest());
  SubscribeResponse response;
  ASSERT_TRUE(reader->Read(&response));  // the heartbeat: it is waiting

  careplan_->StopBackgroundWork();
  careplan_->StopBackgroundWork();  // idempotent
  while (reader->Read(&response)) {
  }
  // Resume later, from the last sequence seen.
  EXPECT_THAT(reader->Finish(), HasCode(grpc::StatusCode::UNAVAILABLE));
}

TEST_F(CarePlanFeedTest, ResumesAfterTheLastSequenceSeen) {
  CreateRealisticPlan();
  const int64_t seen = ReadFeed(service_).back().sequence();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  EXPECT_THAT(Types(ReadFeed(service_, seen)),
              ElementsAre("careplan.care_team_changed"));
}

}  // namespace
}  // namespace carebridge::careplan
