#ifndef CAREBRIDGE_TESTS_HANDOVER_HANDOVER_TEST_FIXTURE_H_
#define CAREBRIDGE_TESTS_HANDOVER_HANDOVER_TEST_FIXTURE_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "services/careplan/careplan_module.h"
#include "services/common/time_util.h"
#include "services/directory/directory_module.h"
#include "services/handover/handover_module.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/recording_metric_sink.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace carebridge::handover {

namespace cp = ::carebridge::careplan::v1;
namespace dir = ::carebridge::directory::v1;

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::HasCode;
using ::carebridge::testing::HasCodeAndMessage;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Directory set-up and calls shared by the handover integration tests.
class HandoverClient {
 public:
  using Stub = v1::HandoverService::Stub;

  // Teams: a CMHT (URGENT deadline 48 hours), a crisis team, a
  // voluntary-sector team and a housing team.
  static dir::Team MakeTeam(testing::TestServer& server,
                            const std::string& display_name,
                            dir::Sector sector) {
    auto stub = dir::DirectoryService::NewStub(server.Channel());
    dir::CreateTeamRequest request;
    request.mutable_team()->set_display_name(display_name);
    request.mutable_team()->set_sector(sector);
    request.mutable_team()->set_accepting_referrals(true);
    if (sector == dir::COMMUNITY_MENTAL_HEALTH) {
      *request.mutable_team()->mutable_response_deadlines()->mutable_urgent() =
          ToProtoDuration(absl::Hours(48));
    }
    dir::Team team;
    auto context = server.ContextAs(testing::TestServer::Admin());
    grpc::Status status = stub->CreateTeam(context.get(), request, &team);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return team;
  }

  static std::string MakePerson(testing::TestServer& server,
                                const Principal& as) {
    auto stub = dir::DirectoryService::NewStub(server.Channel());
    dir::CreatePersonRequest request;
    request.mutable_person()->set_given_name("Ada");
    request.mutable_person()->set_family_name("Okafor");
    request.mutable_person()->set_birth_date("1990-04-01");
    // Each call is another person who happens to share the name.
    request.set_allow_possible_duplicate(true);
    dir::Person person;
    auto context = server.ContextAs(as);
    grpc::Status status = stub->CreatePerson(context.get(), request, &person);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return person.name();
  }

  // `as` adds `team` to `person`'s care team (the first team becomes lead).
  static cp::CarePlan AddToCareTeam(testing::TestServer& server,
                                    const Principal& as,
                                    const std::string& person,
                                    const std::string& team) {
    auto stub = cp::CarePlanService::NewStub(server.Channel());
    cp::AddCareTeamMemberRequest request;
    request.set_name(person + "/carePlan");
    request.set_team(team);
    request.set_role("support");
    request.set_reason("Involved in Ada's care.");
    cp::CarePlan plan;
    auto context = server.ContextAs(as);
    grpc::Status status =
        stub->AddCareTeamMember(context.get(), request, &plan);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return plan;
  }

  static v1::CreateHandoverRequest CreateRequest(
      const std::string& person, const std::string& receiving_team,
      v1::Kind kind = v1::TRANSFER_OF_RESPONSIBILITY) {
    v1::CreateHandoverRequest request;
    v1::Handover* h = request.mutable_handover();
    h->set_person(person);
    h->set_receiving_team(receiving_team);
    h->set_kind(kind);
    h->set_urgency(referral::v1::URGENT);
    h->set_situation("Settled after three nights of crisis support.");
    h->set_background("Crisis after a bereavement; known to the CMHT.");
    h->set_assessment("Sleeping again; walks and her sister help.");
    h->set_recommendation("Care coordinator visit within two days.");
    h->set_illness_severity(v1::WATCHER);
    v1::HandoverAction* visit = h->add_actions();
    visit->set_description("Home visit by the care coordinator");
    visit->set_owning_team(receiving_team);
    v1::Contingency* contingency = h->add_contingencies();
    contingency->set_if_this("She stops sleeping again");
    contingency->set_then_do("Call the crisis line the same day");
    return request;
  }
};

// One server hosting the directory, the care plan service and the handover
// service, as the all-in-one binary does: the handover service asks the
// other two over the server's in-process channel, and tests talk to all
// three over TCP. After a crisis the crisis team (bob) leads Ada's care;
// the CMHT (alice) and a voluntary-sector team (val) are involved; a
// housing team (otto) is not.
class HandoverTest : public ::testing::Test, public HandoverClient {
 protected:
  void SetUp() override {
    // Each service in its own file, or schema, on the engine the run tests.
    ASSERT_OK_AND_ASSIGN(database_,
                         testing::TestDatabase::Create(data_dir_.path()));
    auto in_process = [this] { return server_.host().InProcessChannel(); };
    auto directory = directory::DirectoryModule::Open(
        server_.env(), database_->location("directory"));
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    auto careplan = careplan::CarePlanModule::Open(
        server_.env(), database_->location("careplan"),
        directory_client::DirectoryChannelProvider(in_process));
    ASSERT_TRUE(careplan.ok()) << careplan.status();
    careplan_ = *std::move(careplan);
    auto handover = HandoverModule::Open(
        server_.env(), database_->location("handover"), in_process, in_process);
    ASSERT_TRUE(handover.ok()) << handover.status();
    handover_ = *std::move(handover);
    server_.host().AddService(directory_->service(),
                              directory::DirectoryModule::kServiceName);
    server_.host().AddService(careplan_->service(),
                              careplan::CarePlanModule::kServiceName);
    server_.host().AddService(handover_->service(),
                              HandoverModule::kServiceName);
    server_.Start();
    stub_ = v1::HandoverService::NewStub(server_.Channel());
    careplan_stub_ = cp::CarePlanService::NewStub(server_.Channel());

    community_ = MakeTeam(server_, "North CMHT", dir::COMMUNITY_MENTAL_HEALTH);
    crisis_ = MakeTeam(server_, "Crisis Resolution", dir::CRISIS);
    voluntary_ = MakeTeam(server_, "Peer Café", dir::VOLUNTARY_SECTOR);
    housing_ = MakeTeam(server_, "Housing Support", dir::SOCIAL_CARE);
    alice_ = testing::TestServer::Member("members/alice", community_.name());
    bob_ = testing::TestServer::Member("members/bob", crisis_.name());
    val_ = testing::TestServer::Member("members/val", voluntary_.name(),
                                       Role::kPeerSupportWorker);
    otto_ = testing::TestServer::Member("members/otto", housing_.name());
    admin_ = testing::TestServer::Admin();
    service_.subject = "services/record";
    service_.role = Role::kService;
    person_ = MakePerson(server_, bob_);
    AddToCareTeam(server_, bob_, person_, crisis_.name());
    AddToCareTeam(server_, bob_, person_, community_.name());
    plan_ = AddToCareTeam(server_, bob_, person_, voluntary_.name());
  }

  void TearDown() override {
    // Background work (consumers, feeds) ends before the server stops.
    careplan_->StopBackgroundWork();
    handover_->StopBackgroundWork();
    directory_->StopBackgroundWork();
  }

  // Calls a HandoverService method as `as`.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                 const Request&, Response*),
                    const Principal& as, const Request& request,
                    Response* response) {
    auto context = server_.ContextAs(as);
    return (stub_.get()->*method)(context.get(), request, response);
  }

  v1::CreateHandoverRequest Request(
      const std::string& receiving_team,
      v1::Kind kind = v1::TRANSFER_OF_RESPONSIBILITY) const {
    return CreateRequest(person_, receiving_team, kind);
  }

  // `as` (bob, the lead, by default) hands over to the CMHT.
  v1::Handover Create(const Principal& as, v1::CreateHandoverRequest request) {
    v1::Handover handover;
    grpc::Status status = Call(&Stub::CreateHandover, as, request, &handover);
    EXPECT_TRUE(status.ok())
        << status.error_code() << ": " << status.error_message();
    return handover;
  }
  v1::Handover Create() { return Create(bob_, Request(community_.name())); }

  grpc::Status Get(const Principal& as, const std::string& name,
                   v1::Handover* out) {
    v1::GetHandoverRequest request;
    request.set_name(name);
    return Call(&Stub::GetHandover, as, request, out);
  }

  static v1::AcceptHandoverRequest AcceptRequest(const std::string& name) {
    v1::AcceptHandoverRequest request;
    request.set_name(name);
    request.mutable_read_back()->set_summary(
        "Settling; sleep back; her sister and walks help.");
    request.mutable_read_back()->add_actions_taken_on(
        "Visit her at home by Thursday");
    return request;
  }

  // Every page of a listing, following next_page_token.
  std::vector<std::string> ListAll(const Principal& as,
                                   v1::ListHandoversRequest request) {
    std::vector<std::string> names;
    do {
      v1::ListHandoversResponse response;
      grpc::Status status = Call(&Stub::ListHandovers, as, request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      for (const auto& h : response.handovers()) names.push_back(h.name());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return names;
  }

  static v1::ListHandoversRequest Mailbox(v1::Mailbox mailbox,
                                          bool overdue_only = false) {
    v1::ListHandoversRequest request;
    request.set_mailbox(mailbox);
    request.set_overdue_only(overdue_only);
    return request;
  }

  // The feed from `after` until caught up, as `as` sees it.
  std::vector<events::v1::Event> ReadFeed(const Principal& as,
                                          int64_t after = 0) {
    events::v1::SubscribeRequest request;
    request.set_after_sequence(after);
    request.set_stop_when_caught_up(true);
    auto context = server_.ContextAs(as);
    auto reader = stub_->Subscribe(context.get(), request);
    std::vector<events::v1::Event> events;
    events::v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      for (const auto& event : response.events()) events.push_back(event);
    }
    grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok())
        << status.error_code() << ": " << status.error_message();
    return events;
  }

  static std::vector<std::string> Types(
      const std::vector<events::v1::Event>& events) {
    std::vector<std::string> types;
    for (const auto& event : events) types.push_back(event.type());
    return types;
  }

  // carebridge_escalations_total{service="handover"} as a scrape of
  // `module` reads it; nullopt when it writes none.
  static std::optional<double> EscalationsCounted(HandoverModule& module) {
    testing::RecordingMetricSink scraped;
    module.CollectMetrics(scraped);
    return scraped.Value("carebridge_escalations_total",
                         {{"service", "handover"}});
  }

  cp::CarePlan CurrentPlan() {
    cp::GetCarePlanRequest request;
    request.set_name(person_ + "/carePlan");
    cp::CarePlan plan;
    auto context = server_.ContextAs(service_);
    grpc::Status status =
        careplan_stub_->GetCarePlan(context.get(), request, &plan);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return plan;
  }

  // Declared before server_ so the services outlive the server hosting
  // them.
  // Declared before the modules, which store there.
  testing::TempDir data_dir_;
  std::optional<testing::TestDatabase> database_;
  std::unique_ptr<directory::DirectoryModule> directory_;
  std::unique_ptr<careplan::CarePlanModule> careplan_;
  std::unique_ptr<HandoverModule> handover_;
  testing::TestServer server_;
  std::unique_ptr<Stub> stub_;
  std::unique_ptr<cp::CarePlanService::Stub> careplan_stub_;

  dir::Team community_, crisis_, voluntary_, housing_;
  Principal alice_, bob_, val_, otto_, admin_, service_;
  std::string person_;
  cp::CarePlan plan_;  // after the set-up, crisis team leading
};

}  // namespace carebridge::handover

#endif  // CAREBRIDGE_TESTS_HANDOVER_HANDOVER_TEST_FIXTURE_H_
