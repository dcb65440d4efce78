// `carectl careplan …` end to end against a fake CarePlanService: which
// calls each command makes, with what, and what it prints.

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "clients/carectl/careplan_format.h"
#include "clients/carectl/cli.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace cp = ::carebridge::careplan::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result Carectl(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = RunCarectl(args, {}, out, err);
  return {code, out.str(), err.str()};
}

// Version 4 of persons/p1's plan, led by teams/cmht, with goal g1-1.
cp::CarePlan StoredPlan() {
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

TEST_F(CarePlanCliTest, ShowPrintsThePlanSectionBySection) {
  Result r = Run({"careplan", "show", "persons/p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  {
    absl::MutexLock lock(&service_.mu_);
    EXPECT_EQ(service_.get_.name(), "persons/p1/carePlan");
  }
  EXPECT_THAT(
      r.out,
      HasSubstr(
          "agreement:    NOT agreed: the person has not agreed any version\n"));
  EXPECT_THAT(r.out, HasSubstr("\nGOALS  (not written yet)\n  g1-1  active\n"
                               "      Work\n"));
  EXPECT_THAT(r.out, HasSubstr("\nCRISIS PLAN"));
  EXPECT_THAT(r.out, HasSubstr("  teams/cmht  care coordination  lead"));
}

TEST_F(CarePlanCliTest, ShowJsonPrintsTheProto) {
  Result r = Run({"--json", "careplan", "show", "p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"etag\": \"4\""));
  EXPECT_THAT(r.out, HasSubstr("\"what_helps\": \"Music\""));
  EXPECT_THAT(r.out, Not(HasSubstr("CRISIS PLAN")));
}

TEST_F(CarePlanCliTest, NameOnlyPrintsThePlanName) {
  Result r = Run({"--name_only", "careplan", "show", "p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "persons/p1/carePlan\n");
}

TEST_F(CarePlanCliTest, GoalFlagsReadThePlanAndSendTheEtagRead) {
  Result r = Run({"careplan", "update", "persons/p1/carePlan",
                  "--add_goal=See my sister", "--goal_status=g1-1=achieved",
                  "--reason=Review"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.calls_, 2);
  EXPECT_EQ(service_.get_.name(), "persons/p1/carePlan");
  const cp::UpdateCarePlanRequest& sent = service_.update_;
  EXPECT_EQ(sent.etag(), "4");
  EXPECT_EQ(sent.reason(), "Review");
  EXPECT_THAT(sent.update_mask().paths(), ElementsAre("goals"));
  ASSERT_EQ(sent.care_plan().goals_size(), 2);
  EXPECT_EQ(sent.care_plan().goals(0).status(), cp::Goal::ACHIEVED);
  EXPECT_EQ(sent.care_plan().goals(1).description(), "See my sister");
  EXPECT_THAT(r.out, HasSubstr("version:      5\netag:         5\n"));
  EXPECT_THAT(
      r.out,
      HasSubstr(
          "agreement:    NOT agreed: the person has not agreed any version\n"));
}

TEST_F(CarePlanCliTest, GivenEtagWinsOverTheEtagRead) {
  Result r = Run({"careplan", "update", "p1", "--remove_goal=g1-1", "--etag=3",
                  "--reason=R"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.update_.etag(), "3");
  EXPECT_EQ(service_.update_.care_plan().goals_size(), 0);
}

TEST_F(CarePlanCliTest, GoalFlagsOnAPlanNotWrittenYetCreateIt) {
  {
    absl::MutexLock lock(&service_.mu_);
    service_.exists_ = false;
  }
  Result r =
      Run({"careplan", "update", "p1", "--add_goal=Feel safe", "--reason=R"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.update_.etag(), "");
  ASSERT_EQ(service_.update_.care_plan().goals_size(), 1);
}

TEST_F(CarePlanCliTest, UnknownGoalIdIsAUsageErrorAndNothingIsWritten) {
  Result r =
      Run({"careplan", "update", "p1", "--remove_goal=g7-1", "--reason=R"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "carectl: usage: --remove_goal: persons/p1/carePlan has no goal "
            "g7-1 (its goals are g1-1)\n");
  EXPECT_EQ(Calls(), 1);  // the read only
}

TEST_F(CarePlanCliTest, FieldFlagsWithGoalFlagsNeedTheEtagAndWriteNothing) {
  Result r = Run({"careplan", "update", "p1", "--add_goal=Rest",
                  "--what_helps=Music", "--reason=R"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("carectl: usage: --etag: required to change "
                               "crisis_plan.what_helps together with goals"));
  EXPECT_EQ(Calls(), 1);  // the read only
  r = Run({"careplan", "update", "p1", "--add_goal=Rest", "--what_helps=Music",
           "--etag=4", "--reason=R"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.update_.etag(), "4");
  EXPECT_THAT(service_.update_.update_mask().paths(),
              ElementsAre("goals", "crisis_plan.what_helps"));
}

TEST_F(CarePlanCliTest, FieldFlagsWriteWithoutReading) {
  Result r = Run({"careplan", "update", "p1", "--what_helps=Music and walks",
                  "--etag=4", "--reason=R", "--request_id=rq-7"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.calls_, 1);
  EXPECT_THAT(service_.update_.update_mask().paths(),
              ElementsAre("crisis_plan.what_helps"));
  EXPECT_EQ(service_.update_.request_id(), "rq-7");
}

TEST_F(CarePlanCliTest, UpdateThatChangesNothingSaysSo) {
  Result r = Run({"careplan", "update", "p1", "--what_helps=Music", "--etag=4",
                  "--reason=R"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("no change")));
  {
    absl::MutexLock lock(&service_.mu_);
    service_.update_changes_nothing_ = true;
  }
  r = Run({"careplan", "update", "p1", "--what_helps=Music", "--etag=4",
           "--reason=R"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("no change: the plan already says this; no "
                               "new version\nplan:         "
                               "persons/p1/carePlan\nversion:      4\n"));
}

TEST_F(CarePlanCliTest, StaleWriteWithoutEtagSaysHowToGetOne) {
  {
    absl::MutexLock lock(&service_.mu_);
    service_.update_status_ = grpc::Status(
        grpc::StatusCode::ABORTED,
        "etag: the care plan changed since you read it (now version 4); read "
        "it again and retry");
  }
  Result r = Run({"careplan", "update", "p1", "--triggers=x", "--reason=R"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("carectl: ABORTED: etag: the care plan "
                               "changed since you read it"));
  EXPECT_THAT(r.err, HasSubstr("give --etag=ETAG from `carectl careplan show "
                               "PLAN`"));
  r = Run(
      {"careplan", "update", "p1", "--triggers=x", "--reason=R", "--etag=2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, Not(HasSubstr("give --etag")));
}

TEST_F(CarePlanCliTest, UsageErrorsComeBeforeAnyCall) {
  const std::vector<std::vector<std::string>> bad = {
      {"careplan", "update", "p1", "--review_date=2026-02-30", "--reason=R"},
      {"careplan", "update", "p1", "--add_goal=x", "--goal_target_date=someday",
       "--reason=R"},
      {"careplan", "update", "p1", "--add_action=x|teams/t|2026-13-01",
       "--reason=R"},
      {"careplan", "update", "p1", "--goal_status=g1-1=done", "--reason=R"},
      {"careplan", "update", "p1", "--contact_methods=fax", "--reason=R"},
      {"careplan", "update", "p1", "--what_helps=x"},  // no --reason
      {"careplan", "update", "p1", "--reason=R"},      // nothing to change
      {"careplan", "update", "teams/t1", "--what_helps=x", "--reason=R"},
      {"careplan", "update", "p1", "--from_file=/nonexistent/plan.json",
       "--reason=R"},
      {"careplan", "show", "teams/t1"},
      {"careplan", "version", "p1", "latest"},
      {"careplan", "version", "p1"},
      {"careplan", "diff", "p1", "5", "2"},
      {"careplan", "diff", "p1", "1", "2", "3"},
      {"careplan", "agree", "p1"},
      {"careplan", "agree", "p1", "--version=x"},
      {"careplan", "versions", "p1", "--page_size=-1"},
      {"careplan", "team", "add", "p1", "--team=t", "--reason=R"},  // no role
      {"careplan", "team", "end", "p1", "--reason=R"},
      {"careplan", "team", "lead", "p1", "--team=t"},
      {"careplan", "team"},
      {"careplan", "team", "join", "p1"},
      // Required flags given empty, and names of the wrong kind.
      {"careplan", "update", "p1", "--what_helps=x", "--reason="},
      {"careplan", "agree", "p1", "--version="},
      {"careplan", "team", "add", "p1", "--team=t", "--role=", "--reason=R"},
      {"careplan", "team", "end", "p1", "--team=", "--reason=R"},
      {"careplan", "team", "lead", "p1", "--team=t", "--reason="},
      {"careplan", "team", "end", "p1", "--team=members/m1", "--reason=R"},
      {"careplan", "team", "review", "p1", "--team=t"},
      {"careplan", "break-glass", "open", "p1"},
      {"careplan", "break-glass", "open", "p1", "--reason="},
      {"careplan", "break-glass", "open", "teams/t1", "--reason=R"},
      {"careplan", "break-glass", "list", "p1", "--page_size=0"},
      {"careplan", "break-glass", "review", "persons/p1/breakGlassAccesses/3",
       "--outcome=maybe", "--reason=R"},
      {"careplan", "break-glass", "review", "persons/p1/breakGlassAccesses/3",
       "--outcome=justified"},
      {"careplan", "break-glass", "review", "persons/p1/breakGlassAccesses/3",
       "--outcome=justified", "--reason="},
      {"careplan", "break-glass", "review", "persons/p1", "--outcome=justified",
       "--reason=R"},
      {"careplan", "break-glass", "review", "3", "--outcome=justified",
       "--reason=R"},
      {"careplan", "update", "p1", "--add_action=Call|persons/p2|",
       "--reason=R"},
  };
  for (const auto& args : bad) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 1) << absl::StrJoin(args, " ") << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("carectl: usage: "));
  }
  EXPECT_EQ(Calls(), 0);
}

TEST_F(CarePlanCliTest, UsageErrorsNameTheProblem) {
  EXPECT_EQ(Run({"careplan", "update", "p1", "--review_date=2026-02-30",
                 "--reason=R"})
                .err,
            "carectl: usage: --review_date: '2026-02-30' is not a date (use "
            "YYYY-MM-DD)\n");
  EXPECT_THAT(Run({"careplan", "team"}).err,
              HasSubstr("unknown command 'careplan team' (careplan team "
                        "add|end|review|lead)"));
  EXPECT_THAT(Run({"careplan", "version", "p1"}).err, HasSubstr("missing N"));
  EXPECT_THAT(Run({"careplan", "diff", "p1", "1", "2", "3"}).err,
              HasSubstr("unexpected argument '3'"));
  EXPECT_THAT(Run({"careplan", "update", "p1", "--from_file=/nonexistent/x",
                   "--reason=R"})
                  .err,
              HasSubstr("--from_file: cannot read /nonexistent/x"));
}

TEST_F(CarePlanCliTest, UpdateFromAFile) {
  std::string path = ::testing::TempDir() + "/carectl_plan.json";
  std::ofstream(path) << R"({"name": "persons/p1/carePlan", "etag": "4",
    "crisisPlan": {"whatHelps": "Music"}, "careTeam": []})";
  Result r = Run({"careplan", "update", "p1", "--from_file=" + path,
                  "--reason=From the meeting"});
  std::remove(path.c_str());
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.calls_, 1);
  EXPECT_EQ(service_.update_.etag(), "4");
  EXPECT_THAT(service_.update_.update_mask().paths(),
              ElementsAre("crisis_plan"));
  EXPECT_EQ(service_.update_.care_plan().crisis_plan().what_helps(), "Music");
}

TEST_F(CarePlanCliTest, VersionsTableAndView) {
  Result r = Run({"careplan", "versions", "p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("VERSION  TIME"));
  EXPECT_THAT(r.out, HasSubstr("content_updated  goals     First plan  no"));
  {
    absl::MutexLock lock(&service_.mu_);
    EXPECT_EQ(service_.list_.parent(), "persons/p1/carePlan");
    EXPECT_EQ(service_.list_.view(), cp::BASIC);
  }
  EXPECT_THAT(r.out, Not(HasSubstr("\nGOALS")));
  r = Run({"careplan", "versions", "p1", "--full", "--page_size=10"});
  ASSERT_EQ(r.code, 0) << r.err;
  // --full shows each version whole, not the same table again.
  EXPECT_THAT(r.out, HasSubstr("plan:         persons/p1/carePlan/versions/4"));
  EXPECT_THAT(r.out, HasSubstr("\nGOALS  (not written yet)\n  g1-1  active\n"));
  EXPECT_THAT(r.out, HasSubstr("\nCRISIS PLAN"));
  EXPECT_THAT(r.out, Not(HasSubstr("VERSION  TIME")));
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.list_.view(), cp::FULL);
  EXPECT_EQ(service_.list_.page_size(), 10);
}

TEST_F(CarePlanCliTest, VersionShowsThatVersion) {
  Result r = Run({"careplan", "version", "persons/p1", "4"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("plan:         persons/p1/carePlan/versions/4"));
  EXPECT_THAT(r.out, HasSubstr("\nGOALS"));
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.get_version_.name(), "persons/p1/carePlan/versions/4");
}

TEST_F(CarePlanCliTest, DiffToIsOptional) {
  Result r = Run({"careplan", "diff", "p1", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("  ~ goals[g1-1].status: active \u2192 achieved\n"));
  {
    absl::MutexLock lock(&service_.mu_);
    EXPECT_EQ(service_.diff_.from_version(), 1);
    EXPECT_EQ(service_.diff_.to_version(), 0);
  }
  r = Run({"careplan", "diff", "p1", "1", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.diff_.to_version(), 3);
}

TEST_F(CarePlanCliTest, DiffLeavesOutAgreementOnlyChangesUnlessAsked) {
  Result r = Run({"careplan", "diff", "p1", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("  ~ goals[g1-1].status"));
  EXPECT_THAT(r.out, Not(HasSubstr("agreement_recorded")));
  EXPECT_THAT(r.out, HasSubstr("1 version that only recorded an agreement; "
                               "--with_agreement shows them"));
  Result all = Run({"careplan", "diff", "p1", "1", "--with_agreement"});
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("agreement_recorded"));
  EXPECT_THAT(all.out, Not(HasSubstr("not shown")));
  // Scripts get the whole diff.
  Result json = Run({"--json", "careplan", "diff", "p1", "1"});
  EXPECT_THAT(json.out, HasSubstr("AGREEMENT_RECORDED"));
}

TEST_F(CarePlanCliTest, AgreeRecordsVersionAndComment) {
  Result r = Run(
      {"careplan", "agree", "p1", "--version=4", "--comment=This is my plan"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("agreement:"));
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.agree_.name(), "persons/p1/carePlan");
  EXPECT_EQ(service_.agree_.version(), 4);
  EXPECT_EQ(service_.agree_.person_comment(), "This is my plan");
}

TEST_F(CarePlanCliTest, TeamCommandsPrintTheCareTeam) {
  Result r = Run({"careplan", "team", "add", "p1", "--team=crisis",
                  "--role=crisis support", "--reason=Seen", "--etag=4"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\ncare team:\n  TEAM        ROLE"));
  r = Run({"careplan", "team", "end", "p1", "--team=teams/crisis",
           "--reason=Discharged"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Run({"careplan", "team", "lead", "p1", "--team=mind", "--reason=Moved",
           "--role=peer support"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.add_.team(), "teams/crisis");
  EXPECT_EQ(service_.add_.role(), "crisis support");
  EXPECT_EQ(service_.add_.etag(), "4");
  EXPECT_EQ(service_.end_.team(), "teams/crisis");
  EXPECT_EQ(service_.end_.reason(), "Discharged");
  EXPECT_EQ(service_.lead_.team(), "teams/mind");
  EXPECT_EQ(service_.lead_.role(), "peer support");
  EXPECT_EQ(service_.lead_.name(), "persons/p1/carePlan");
}

TEST_F(CarePlanCliTest, TeamReviewAcceptsAJoinFromOutside) {
  Result r = Run({"careplan", "team", "review", "p1", "--team=crisis",
                  "--reason=Agreed with Sam"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\ncare team:\n"));
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.review_.name(), "persons/p1/carePlan");
  EXPECT_EQ(service_.review_.team(), "teams/crisis");
  EXPECT_EQ(service_.review_.reason(), "Agreed with Sam");
}

TEST_F(CarePlanCliTest, ShowMarksAJoinNotReviewed) {
  cp::CarePlan plan = StoredPlan();
  cp::CareTeamMember& joined = *plan.add_care_team();
  joined.set_team("teams/elsewhere");
  joined.set_role("accepted referral");
  joined.set_joined_through("referrals/r9");
  joined.set_unreviewed(true);
  std::ostringstream out;
  PrintCareTeam(out, plan);
  EXPECT_THAT(out.str(),
              HasSubstr("NOT REVIEWED: teams/elsewhere joined through "
                        "referrals/r9, which no team on the care team sent"));
  out.str("");
  PrintCareTeam(out, StoredPlan());
  EXPECT_THAT(out.str(), Not(HasSubstr("NOT REVIEWED")));
}

TEST_F(CarePlanCliTest, BreakGlassOpensAndListsAccesses) {
  Result r = Run({"careplan", "break-glass", "open", "p1",
                  "--reason=Found in distress at 3am"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("access:       persons/p1/breakGlassAccesses/3"));
  EXPECT_THAT(r.out, HasSubstr("reason:       Found in distress at 3am"));
  EXPECT_THAT(r.out, HasSubstr("not shared:   the crisis plan beyond what "
                               "helps"));
  EXPECT_THAT(r.out, HasSubstr("CRISIS PLAN  (as of version 4)"));
  EXPECT_THAT(r.out, HasSubstr("What helps:\n      Music"));
  r = Run({"careplan", "break-glass", "list", "persons/p1", "--page_size=5"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("OPENED"));
  EXPECT_THAT(r.out, HasSubstr("members/nina"));
  EXPECT_THAT(r.out, HasSubstr("Found in distress at 3am"));
  EXPECT_THAT(r.out, HasSubstr("next page: more"));
  {
    absl::MutexLock lock(&service_.mu_);
    EXPECT_EQ(service_.break_glass_.name(), "persons/p1/carePlan");
    EXPECT_EQ(service_.break_glass_.reason(), "Found in distress at 3am");
    EXPECT_EQ(service_.list_break_glass_.parent(), "persons/p1");
    EXPECT_EQ(service_.list_break_glass_.page_size(), 5);
  }
  r = Run({"careplan", "break-glass", "list", "p1", "--all"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("next page")));
}

TEST_F(CarePlanCliTest, BreakGlassReviewAndTheReviewQueue) {
  Result r = Run({"careplan", "break-glass", "review",
                  "persons/p1/breakGlassAccesses/3", "--outcome=Not_Justified",
                  "--reason=No emergency: raised with their manager"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("review:       NOT justified by members/alice "
                               "(teams/cmht), 2026-01-01"));
  EXPECT_THAT(r.out, HasSubstr("found:        No emergency: raised with their "
                               "manager"));
  // A review's answer carries no crisis plan, and does not print one.
  EXPECT_THAT(r.out, Not(HasSubstr("CRISIS PLAN")));
  {
    absl::MutexLock lock(&service_.mu_);
    EXPECT_EQ(service_.review_break_glass_.name(),
              "persons/p1/breakGlassAccesses/3");
    EXPECT_EQ(service_.review_break_glass_.outcome(),
              cp::BreakGlassReview::NOT_JUSTIFIED);
    EXPECT_EQ(service_.review_break_glass_.reason(),
              "No emergency: raised with their manager");
  }
  r = Run({"careplan", "break-glass", "list", "-", "--unreviewed"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ACCESS"));
  EXPECT_THAT(r.out, HasSubstr("persons/p1/breakGlassAccesses/3"));
  EXPECT_THAT(r.out, HasSubstr("not reviewed"));
  {
    absl::MutexLock lock(&service_.mu_);
    EXPECT_EQ(service_.list_break_glass_.parent(), "persons/-");
    EXPECT_TRUE(service_.list_break_glass_.unreviewed_only());
  }
  r = Run({"careplan", "break-glass", "list", "p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  absl::MutexLock lock(&service_.mu_);
  EXPECT_EQ(service_.list_break_glass_.parent(), "persons/p1");
  EXPECT_FALSE(service_.list_break_glass_.unreviewed_only());
}

TEST(CarePlanHelpTest, HelpListsTheCarePlanCommands) {
  Result r = Carectl({"help"});
  EXPECT_THAT(r.out, HasSubstr("careplan show|update|versions|version|diff|"
                               "agree|team add|team end|team review|team "
                               "lead|break-glass open|break-glass list|"
                               "break-glass review"));
  r = Carectl({"careplan", "help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("carectl careplan team lead PLAN --team=TEAM"));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"careplan", "team", "--help"}, {"careplan", "team", "help"}}) {
    r = Carectl(args);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("carectl careplan team add PLAN"));
    EXPECT_THAT(r.out, HasSubstr("carectl careplan team end PLAN"));
    EXPECT_THAT(r.out, HasSubstr("carectl careplan team lead PLAN"));
    EXPECT_THAT(r.out, Not(HasSubstr("careplan show")));
  }
  r = Carectl({"careplan", "team", "add", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("carectl careplan team add PLAN"));
  EXPECT_THAT(r.out, Not(HasSubstr("team end")));
}

}  // namespace
}  // namespace carebridge::carectl
