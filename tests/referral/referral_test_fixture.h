#ifndef CAREBRIDGE_TESTS_REFERRAL_REFERRAL_TEST_FIXTURE_H_
#define CAREBRIDGE_TESTS_REFERRAL_REFERRAL_TEST_FIXTURE_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "services/common/time_util.h"
#include "services/directory/directory_module.h"
#include "services/referral/referral_module.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace carebridge::referral {

namespace dir = ::carebridge::directory::v1;

// One server hosting the directory and the referral service, as the
// all-in-one binary does: the referral service reaches the directory over
// the server's in-process channel, and tests talk to both over TCP.
// Three accepting teams (a CMHT, a crisis team with its own deadlines, a
// voluntary-sector organisation), one that is not accepting, a person, and
// a clinician in each team. The referral service stores on the test run's
// engine (tests/support/test_database.h).
class ReferralTest : public ::testing::Test {
 protected:
  using Stub = v1::ReferralService::Stub;

  void SetUp() override {
    auto directory = directory::DirectoryModule::Open(
        server_.env(), server_.DataPath("directory.db"));
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = *std::move(directory);
    auto database = testing::TestDatabase::Create(server_.DataPath("."));
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = *std::move(database);
    auto referral =
        ReferralModule::Open(server_.env(), database_->location("referral"),
                             directory_client::DirectoryChannelProvider([this] {
                               return server_.host().InProcessChannel();
                             }));
    ASSERT_TRUE(referral.ok()) << referral.status();
    referral_ = *std::move(referral);
    server_.host().AddService(directory_->service(),
                              directory::DirectoryModule::kServiceName);
    server_.host().AddService(referral_->service(),
                              ReferralModule::kServiceName);
    server_.Start();
    directory_stub_ = dir::DirectoryService::NewStub(server_.Channel());
    stub_ = v1::ReferralService::NewStub(server_.Channel());

    cmht_ = MakeTeam("North CMHT", dir::COMMUNITY_MENTAL_HEALTH, true);
    dir::ResponseDeadlines crisis_deadlines;
    *crisis_deadlines.mutable_crisis() = ToProtoDuration(absl::Hours(2));
    *crisis_deadlines.mutable_urgent() = ToProtoDuration(absl::Hours(24));
    *crisis_deadlines.mutable_routine() = ToProtoDuration(absl::Hours(24 * 7));
    crisis_ =
        MakeTeam("Crisis Resolution", dir::CRISIS, true, &crisis_deadlines);
    voluntary_ = MakeTeam("Peer Café", dir::VOLUNTARY_SECTOR, true);
    closed_ = MakeTeam("Closed Service", dir::OTHER, false);
    alice_ = testing::TestServer::Member("members/alice", cmht_.name());
    bob_ = testing::TestServer::Member("members/bob", crisis_.name());
    val_ = testing::TestServer::Member("members/val", voluntary_.name());
    person_ = MakePerson();
  }

  dir::Team MakeTeam(const std::string& display_name, dir::Sector sector,
                     bool accepting,
                     const dir::ResponseDeadlines* deadlines = nullptr) {
    dir::CreateTeamRequest request;
    request.mutable_team()->set_display_name(display_name);
    request.mutable_team()->set_sector(sector);
    request.mutable_team()->set_accepting_referrals(accepting);
    if (deadlines != nullptr) {
      *request.mutable_team()->mutable_response_deadlines() = *deadlines;
    }
    dir::Team team;
    auto context = server_.ContextAs(testing::TestServer::Admin());
    grpc::Status status =
        directory_stub_->CreateTeam(context.get(), request, &team);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return team;
  }

  std::string MakePerson() {
    dir::CreatePersonRequest request;
    request.mutable_person()->set_given_name("Ada");
    request.mutable_person()->set_family_name("Okafor");
    request.mutable_person()->set_birth_date("1990-04-01");
    dir::Person person;
    auto context = server_.ContextAs(alice_);
    grpc::Status status =
        directory_stub_->CreatePerson(context.get(), request, &person);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return person.name();
  }

  // Calls a ReferralService method as `as`.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                 const Request&, Response*),
                    const Principal& as, const Request& request,
                    Response* response) {
    auto context = server_.ContextAs(as);
    return (stub_.get()->*method)(context.get(), request, response);
  }

  v1::CreateReferralRequest CreateRequest(const std::string& receiving_team,
                                          v1::Urgency urgency = v1::URGENT) {
    v1::CreateReferralRequest request;
    v1::Referral* referral = request.mutable_referral();
    referral->set_person(person_);
    referral->set_receiving_team(receiving_team);
    referral->set_urgency(urgency);
    referral->set_reason("Rising distress after a loss; needs support now.");
    referral->set_person_wishes("Someone to talk to in the evenings.");
    referral->set_risk_summary("Calls a friend when it gets bad; that helps.");
    return request;
  }

  // Alice (CMHT) refers the person to `receiving_team`.
  v1::Referral Send(const std::string& receiving_team,
                    v1::Urgency urgency = v1::URGENT) {
    v1::Referral referral;
    grpc::Status status =
        Call(&Stub::CreateReferral, alice_,
             CreateRequest(receiving_team, urgency), &referral);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return referral;
  }

  v1::Referral Get(const Principal& as, const std::string& name) {
    v1::GetReferralRequest request;
    request.set_name(name);
    v1::Referral referral;
    grpc::Status status = Call(&Stub::GetReferral, as, request, &referral);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return referral;
  }

  // Every page of a listing, following next_page_token.
  std::vector<std::string> ListAll(const Principal& as,
                                   v1::ListReferralsRequest request) {
    std::vector<std::string> names;
    do {
      v1::ListReferralsResponse response;
      grpc::Status status = Call(&Stub::ListReferrals, as, request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      for (const auto& r : response.referrals()) names.push_back(r.name());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return names;
  }

  static v1::ListReferralsRequest Mailbox(v1::Mailbox mailbox) {
    v1::ListReferralsRequest request;
    request.set_mailbox(mailbox);
    return request;
  }

  // Declared before server_ so both services outlive the server hosting
  // them, and the database before them.
  std::optional<testing::TestDatabase> database_;
  std::unique_ptr<directory::DirectoryModule> directory_;
  std::unique_ptr<ReferralModule> referral_;
  testing::TestServer server_;
  std::unique_ptr<dir::DirectoryService::Stub> directory_stub_;
  std::unique_ptr<Stub> stub_;

  dir::Team cmht_, crisis_, voluntary_, closed_;
  Principal alice_, bob_, val_;
  std::string person_;
};

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_TESTS_REFERRAL_REFERRAL_TEST_FIXTURE_H_
