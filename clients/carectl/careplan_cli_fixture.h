// The fake CarePlanService `carectl careplan …` is tested against
// (careplan_cli_test.cc, careplan_break_glass_cli_test.cc): a real gRPC
// server on a free loopback port answering from one stored plan, keeping
// the last request of each kind.

#ifndef CAREBRIDGE_CLIENTS_CARECTL_CAREPLAN_CLI_FIXTURE_H_
#define CAREBRIDGE_CLIENTS_CARECTL_CAREPLAN_CLI_FIXTURE_H_

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "clients/carectl/cli.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace carebridge::carectl::careplan_cli_testing {

namespace cp = ::carebridge::careplan::v1;
struct Result {
  int code;
  std::string out;
  std::string err;
};

inline Result Carectl(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = RunCarectl(args, {}, out, err);
  return {code, out.str(), err.str()};
}

// Version 4 of persons/p1's plan, led by teams/cmht, with goal g1-1.
inline cp::CarePlan StoredPlan() {
  cp::CarePlan plan;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        name: "persons/p1/carePlan"
        person: "persons/p1"
        version: 4
        etag: "4"
        goals { id: "g1-1" description: "Work" status: ACTIVE }
        crisis_plan { what_helps: "Music" }
        care_team {
          team: "teams/cmht"
          role: "care coordination"
          lead: true
          start_time { seconds: 1767258000 }
        }
        lead_team: "teams/cmht"
        change {
          kind: CONTENT_UPDATED
          sections: GOALS
          actor: "members/m1"
          actor_team: "teams/cmht"
          reason: "First plan"
          time { seconds: 1767258000 }
        }
      )pb",
      &plan));
  return plan;
}

// Answers every call with StoredPlan() (GetCarePlan: NOT_FOUND when
// `exists` is false; UpdateCarePlan: `update_status`, else version 5 unless
// `update_changes_nothing`), counting the calls and keeping the last request
// of each kind.
class FakeCarePlanService : public cp::CarePlanService::Service {
 public:
  grpc::Status GetCarePlan(grpc::ServerContext*,
                           const cp::GetCarePlanRequest* request,
                           cp::CarePlan* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    get_ = *request;
    if (!exists_) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "persons/p1/carePlan: persons/p1 has no care plan "
                          "yet; the first update creates it");
    }
    *response = StoredPlan();
    return grpc::Status::OK;
  }
  grpc::Status UpdateCarePlan(grpc::ServerContext*,
                              const cp::UpdateCarePlanRequest* request,
                              cp::CarePlan* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    update_ = *request;
    if (!update_status_.ok()) return update_status_;
    *response = StoredPlan();
    if (!update_changes_nothing_) {
      response->set_version(5);
      response->set_etag("5");
    }
    return grpc::Status::OK;
  }
  grpc::Status ListCarePlanVersions(
      grpc::ServerContext*, const cp::ListCarePlanVersionsRequest* request,
      cp::ListCarePlanVersionsResponse* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    list_ = *request;
    cp::CarePlan* v = response->add_versions();
    *v = StoredPlan();
    v->set_name("persons/p1/carePlan/versions/4");
    v->clear_etag();
    return grpc::Status::OK;
  }
  grpc::Status GetCarePlanVersion(grpc::ServerContext*,
                                  const cp::GetCarePlanVersionRequest* request,
                                  cp::CarePlan* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    get_version_ = *request;
    *response = StoredPlan();
    response->set_name(request->name());
    response->clear_etag();
    return grpc::Status::OK;
  }
  grpc::Status DiffCarePlanVersions(
      grpc::ServerContext*, const cp::DiffCarePlanVersionsRequest* request,
      cp::CarePlanDiff* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    diff_ = *request;
    response->set_from_version("persons/p1/carePlan/versions/1");
    response->set_to_version("persons/p1/carePlan/versions/4");
    cp::SectionDiff* section = response->add_sections();
    section->set_section(cp::GOALS);
    cp::FieldChange* change = section->add_changes();
    change->set_kind(cp::FieldChange::MODIFIED);
    change->set_path("goals[g1-1].status");
    change->set_before("active");
    change->set_after("achieved");
    // Version 2 only recorded the person's agreement.
    cp::CarePlan* agreed = response->add_versions();
    agreed->set_version(2);
    agreed->mutable_change()->set_kind(cp::Change::AGREEMENT_RECORDED);
    agreed->mutable_change()->add_sections(cp::AGREEMENT);
    return grpc::Status::OK;
  }
  grpc::Status RecordAgreement(grpc::ServerContext*,
                               const cp::RecordAgreementRequest* request,
                               cp::CarePlan* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    agree_ = *request;
    *response = StoredPlan();
    return grpc::Status::OK;
  }
  grpc::Status AddCareTeamMember(grpc::ServerContext*,
                                 const cp::AddCareTeamMemberRequest* request,
                                 cp::CarePlan* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    add_ = *request;
    *response = StoredPlan();
    return grpc::Status::OK;
  }
  grpc::Status EndCareTeamInvolvement(
      grpc::ServerContext*, const cp::EndCareTeamInvolvementRequest* request,
      cp::CarePlan* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    end_ = *request;
    *response = StoredPlan();
    return grpc::Status::OK;
  }
  grpc::Status SetLeadTeam(grpc::ServerContext*,
                           const cp::SetLeadTeamRequest* request,
                           cp::CarePlan* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    lead_ = *request;
    *response = StoredPlan();
    return grpc::Status::OK;
  }

  grpc::Status ReviewCareTeamJoin(grpc::ServerContext*,
                                  const cp::ReviewCareTeamJoinRequest* request,
                                  cp::CarePlan* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    review_ = *request;
    *response = StoredPlan();
    return grpc::Status::OK;
  }
  grpc::Status BreakGlass(grpc::ServerContext*,
                          const cp::BreakGlassRequest* request,
                          cp::BreakGlassAccess* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    break_glass_ = *request;
    *response = Access();
    *response->mutable_crisis_plan() = StoredPlan().crisis_plan();
    response->add_withheld(cp::SHARED_CRISIS_PLAN);
    return grpc::Status::OK;
  }
  grpc::Status ListBreakGlassAccesses(
      grpc::ServerContext*, const cp::ListBreakGlassAccessesRequest* request,
      cp::ListBreakGlassAccessesResponse* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    list_break_glass_ = *request;
    *response->add_accesses() = Access();
    if (request->page_token().empty()) response->set_next_page_token("more");
    return grpc::Status::OK;
  }
  grpc::Status ReviewBreakGlassAccess(
      grpc::ServerContext*, const cp::ReviewBreakGlassAccessRequest* request,
      cp::BreakGlassAccess* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    review_break_glass_ = *request;
    *response = Access();
    cp::BreakGlassReview* review = response->mutable_review();
    review->set_outcome(request->outcome());
    review->set_reason(request->reason());
    review->set_reviewer("members/alice");
    review->set_reviewer_team("teams/cmht");
    review->mutable_review_time()->set_seconds(1767279600);
    return grpc::Status::OK;
  }
  static cp::BreakGlassAccess Access() {
    cp::BreakGlassAccess access;
    access.set_name("persons/p1/breakGlassAccesses/3");
    access.set_person("persons/p1");
    access.set_member("members/nina");
    access.set_team("teams/ooh");
    access.set_reason("Found in distress at 3am");
    access.mutable_start_time()->set_seconds(1767258000);
    access.mutable_expire_time()->set_seconds(1767258000 + 4 * 3600);
    access.set_plan_version(4);
    access.set_lead_team("teams/cmht");
    return access;
  }

  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  bool exists_ ABSL_GUARDED_BY(mu_) = true;
  grpc::Status update_status_ ABSL_GUARDED_BY(mu_);
  bool update_changes_nothing_ ABSL_GUARDED_BY(mu_) = false;
  cp::GetCarePlanRequest get_ ABSL_GUARDED_BY(mu_);
  cp::UpdateCarePlanRequest update_ ABSL_GUARDED_BY(mu_);
  cp::ListCarePlanVersionsRequest list_ ABSL_GUARDED_BY(mu_);
  cp::GetCarePlanVersionRequest get_version_ ABSL_GUARDED_BY(mu_);
  cp::DiffCarePlanVersionsRequest diff_ ABSL_GUARDED_BY(mu_);
  cp::RecordAgreementRequest agree_ ABSL_GUARDED_BY(mu_);
  cp::AddCareTeamMemberRequest add_ ABSL_GUARDED_BY(mu_);
  cp::EndCareTeamInvolvementRequest end_ ABSL_GUARDED_BY(mu_);
  cp::SetLeadTeamRequest lead_ ABSL_GUARDED_BY(mu_);
  cp::ReviewCareTeamJoinRequest review_ ABSL_GUARDED_BY(mu_);
  cp::BreakGlassRequest break_glass_ ABSL_GUARDED_BY(mu_);
  cp::ListBreakGlassAccessesRequest list_break_glass_ ABSL_GUARDED_BY(mu_);
  cp::ReviewBreakGlassAccessRequest review_break_glass_ ABSL_GUARDED_BY(mu_);
};

class CarePlanCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    server_flag_ = absl::StrCat("--server=127.0.0.1:", port);
  }
  void TearDown() override { server_->Shutdown(); }

  Result Run(std::vector<std::string> args) {
    args.insert(args.begin(), server_flag_);
    return Carectl(args);
  }
  int Calls() {
    absl::MutexLock lock(&service_.mu_);
    return service_.calls_;
  }

  FakeCarePlanService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string server_flag_;
};

}  // namespace carebridge::carectl::careplan_cli_testing

#endif  // CAREBRIDGE_CLIENTS_CARECTL_CAREPLAN_CLI_FIXTURE_H_
