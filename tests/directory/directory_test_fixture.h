#ifndef CAREBRIDGE_TESTS_DIRECTORY_DIRECTORY_TEST_FIXTURE_H_
#define CAREBRIDGE_TESTS_DIRECTORY_DIRECTORY_TEST_FIXTURE_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "services/directory/directory_module.h"
#include "services/directory/fake_care_relationships.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace carebridge::directory {

// A directory service on a real TCP channel, with helpers to call it as a
// given principal and to set up teams, members and persons. It stores on
// the engine the run tests (TestDatabase).
class DirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_,
                         testing::TestDatabase::Create(data_dir_.path()));
    auto relationships = std::make_unique<FakeCareRelationships>();
    relationships_ = relationships.get();
    auto module =
        DirectoryModule::Open(server_.env(), database_->location("directory"),
                              std::move(relationships));
    ASSERT_TRUE(module.ok()) << module.status();
    module_ = *std::move(module);
    server_.host().AddService(module_->service(),
                              DirectoryModule::kServiceName);
    server_.Start();
    stub_ = v1::DirectoryService::NewStub(server_.Channel());
  }

  // Calls `method` as `as`.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (v1::DirectoryService::Stub::*method)(
                        grpc::ClientContext*, const Request&, Response*),
                    const Principal& as, const Request& request,
                    Response* response) {
    auto context = server_.ContextAs(as);
    return (stub_.get()->*method)(context.get(), request, response);
  }
  // Calls `method` with a raw bearer token.
  template <typename Request, typename Response>
  grpc::Status CallWithToken(grpc::Status (v1::DirectoryService::Stub::*method)(
                                 grpc::ClientContext*, const Request&,
                                 Response*),
                             const std::string& token, const Request& request,
                             Response* response) {
    auto context = server_.AnonymousContext();
    context->AddMetadata("authorization", "Bearer " + token);
    return (stub_.get()->*method)(context.get(), request, response);
  }
  template <typename Request, typename Response>
  grpc::Status CallAnonymously(
      grpc::Status (v1::DirectoryService::Stub::*method)(grpc::ClientContext*,
                                                         const Request&,
                                                         Response*),
      const Request& request, Response* response) {
    auto context = server_.AnonymousContext();
    return (stub_.get()->*method)(context.get(), request, response);
  }

  // Follows next_page_token from `request` to the last page (giving up after
  // 100) calling `method` as `as`, and returns the names of the resources
  // `items` picks from each page, in order. `pages` counts the pages.
  template <typename Request, typename Response, typename Items>
  std::vector<std::string> NamesOnAllPages(
      grpc::Status (v1::DirectoryService::Stub::*method)(grpc::ClientContext*,
                                                         const Request&,
                                                         Response*),
      const Principal& as, Request request, Items items, int* pages) {
    std::vector<std::string> names;
    *pages = 0;
    do {
      Response response;
      grpc::Status status = Call(method, as, request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      ++*pages;
      for (const auto& item : items(response)) names.push_back(item.name());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty() && *pages < 100);
    return names;
  }

  static Principal Admin() { return testing::TestServer::Admin(); }
  // Who adds a member of `role` to `team` and issues their tokens: an admin
  // for admins and team managers, else the team's manager.
  static Principal Manager(const std::string& team) {
    return testing::TestServer::Manager(team);
  }
  static Principal ManagerFor(const std::string& team, v1::Role role) {
    return role == v1::ADMIN || role == v1::TEAM_MANAGER
               ? Admin()
               : testing::TestServer::Manager(team);
  }
  static Principal Staff(const std::string& team, Role role,
                         const std::string& subject = "members/staff") {
    return testing::TestServer::Member(subject, team, role);
  }
  static Principal Service() {
    Principal service;
    service.subject = "services/referral";
    service.role = Role::kService;
    return service;
  }

  static v1::CreateTeamRequest TeamRequest(const std::string& display_name,
                                           v1::Sector sector = v1::CRISIS) {
    v1::CreateTeamRequest request;
    request.mutable_team()->set_display_name(display_name);
    request.mutable_team()->set_sector(sector);
    request.mutable_team()->set_accepting_referrals(true);
    return request;
  }
  v1::Team MakeTeam(const std::string& display_name,
                    v1::Sector sector = v1::CRISIS) {
    v1::Team team;
    grpc::Status status = Call(&v1::DirectoryService::Stub::CreateTeam, Admin(),
                               TeamRequest(display_name, sector), &team);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return team;
  }

  static v1::CreateMemberRequest MemberRequest(const std::string& team,
                                               v1::Role role,
                                               const std::string& name) {
    v1::CreateMemberRequest request;
    request.mutable_member()->set_display_name(name);
    request.mutable_member()->set_team(team);
    request.mutable_member()->set_role(role);
    return request;
  }
  v1::Member MakeMember(const std::string& team, v1::Role role,
                        const std::string& name = "Sam Patel") {
    v1::Member member;
    grpc::Status status =
        Call(&v1::DirectoryService::Stub::CreateMember, ManagerFor(team, role),
             MemberRequest(team, role, name), &member);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return member;
  }

  static v1::CreatePersonRequest PersonRequest(
      const std::string& nhs_number = "943 476 5919",
      const std::string& family_name = "Okafor") {
    v1::CreatePersonRequest request;
    v1::Person* person = request.mutable_person();
    person->set_nhs_number(nhs_number);
    person->set_given_name("Ada");
    person->set_family_name(family_name);
    person->set_preferred_name("Addy");
    person->set_birth_date("1990-04-01");
    v1::LocalIdentifier* id = person->add_local_identifiers();
    id->set_system("https://trust.example/mrn");
    id->set_value("MRN-1");
    return request;
  }

  // Declared before module_, which stores there.
  testing::TempDir data_dir_;
  std::optional<testing::TestDatabase> database_;
  // Declared before server_ so the service outlives the server hosting it.
  std::unique_ptr<DirectoryModule> module_;
  // Which teams have a care relationship with which persons (owned by
  // module_).
  FakeCareRelationships* relationships_ = nullptr;
  testing::TestServer server_;
  std::unique_ptr<v1::DirectoryService::Stub> stub_;
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_TESTS_DIRECTORY_DIRECTORY_TEST_FIXTURE_H_
