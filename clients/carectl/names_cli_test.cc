// The care plan's history, break-glass and sharing screens and `person
// accesses` name persons, teams and members, against fake care plan and
// audit services and a fake directory: labels in place of ids (also inside
// the lines a diff is made of), each name looked up once a screen, and the
// ids kept in --json.

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <sstream>

#include "absl/strings/str_cat.h"
#include "carebridge/audit/v1/audit.grpc.pb.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "clients/carectl/cli.h"
#include "clients/carectl/cli_test_server.h"
#include "clients/carectl/fake_directory.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace au = ::carebridge::audit::v1;
namespace cp = ::carebridge::careplan::v1;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message));
  return message;
}

// Version 4 of persons/p1's plan: Kim Jones of CMHT North (teams/cmht)
// leads it and made the last change.
cp::CarePlan Plan() {
  return Parse<cp::CarePlan>(R"pb(
    name: "persons/p1/carePlan"
    person: "persons/p1"
    version: 4
    etag: "4"
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
      actor: "members/kim"
      actor_team: "teams/cmht"
      reason: "As agreed with teams/crisis"
      time { seconds: 1767258000 }
    }
  )pb");
}

// Answers each screen's call with ids the fake directory knows.
class FakeCarePlan final : public cp::CarePlanService::Service {
 public:
  grpc::Status UpdateCarePlan(grpc::ServerContext*,
                              const cp::UpdateCarePlanRequest*,
                              cp::CarePlan* response) override {
    *response = Plan();
    return grpc::Status::OK;
  }
  grpc::Status ListCarePlanVersions(
      grpc::ServerContext*, const cp::ListCarePlanVersionsRequest*,
      cp::ListCarePlanVersionsResponse* response) override {
    *response->add_versions() = Plan();
    return grpc::Status::OK;
  }
  // Crisis Team (teams/crisis) joins, takes the lead and an action, the
  // lines written by the server with ids inside.
  grpc::Status DiffCarePlanVersions(grpc::ServerContext*,
                                    const cp::DiffCarePlanVersionsRequest*,
                                    cp::CarePlanDiff* response) override {
    *response = Parse<cp::CarePlanDiff>(R"pb(
      from_version: "persons/p1/carePlan/versions/3"
      to_version: "persons/p1/carePlan/versions/4"
      sections {
        section: ACTIONS
        changes {
          kind: REMOVED
          path: "actions[a1]"
          before: "description: Letter; owning_team: teams/unknown"
        }
        changes {
          kind: ADDED
          path: "actions[a2]"
          after: "description: Call weekly; owning_team: teams/crisis"
        }
      }
      sections {
        section: CARE_TEAM
        last_changed {
          version: 4
          updated_by: "members/kim"
          updated_by_team: "teams/cmht"
        }
        changes {
          kind: ADDED
          path: "care_team[teams/crisis]"
          after: "role: crisis support"
        }
        changes {
          kind: MODIFIED
          path: "lead_team"
          before: "teams/cmht"
          after: "teams/crisis"
        }
      }
    )pb");
    return grpc::Status::OK;
  }
  grpc::Status ListBreakGlassAccesses(
      grpc::ServerContext*, const cp::ListBreakGlassAccessesRequest*,
      cp::ListBreakGlassAccessesResponse* response) override {
    *response = Parse<cp::ListBreakGlassAccessesResponse>(R"pb(
      accesses {
        name: "persons/p1/breakGlassAccesses/3"
        person: "persons/p1"
        member: "members/kim"
        team: "teams/crisis"
        reason: "Found in distress"
        start_time { seconds: 1767258000 }
        expire_time { seconds: 1767272400 }
        lead_team: "teams/cmht"
      }
    )pb");
    return grpc::Status::OK;
  }
  grpc::Status GetSharingChoices(grpc::ServerContext*,
                                 const cp::GetSharingChoicesRequest*,
                                 cp::SharingChoices* response) override {
    *response = Choices();
    return grpc::Status::OK;
  }
  grpc::Status UpdateSharingChoices(grpc::ServerContext*,
                                    const cp::UpdateSharingChoicesRequest*,
                                    cp::SharingChoices* response) override {
    *response = Choices();
    return grpc::Status::OK;
  }

 private:
  // Set by the person themselves: Crisis Team sees the goals only.
  static cp::SharingChoices Choices() {
    return Parse<cp::SharingChoices>(R"pb(
      name: "persons/p1/sharingChoices"
      person: "persons/p1"
      rules { team: "teams/crisis" parts: SHARED_GOALS }
      effective { sector: CRISIS parts: SHARED_GOALS }
      version: 2
      etag: "2"
      updated_by: "persons/p1"
      updated_by_team: ""
      reason: "Only my goals"
      update_time { seconds: 1767258000 }
      lead_team: "teams/cmht"
    )pb");
  }
};

class FakeAudit final : public au::AuditService::Service {
 public:
  grpc::Status ListAccesses(grpc::ServerContext*,
                            const au::ListAccessesRequest*,
                            au::ListAccessesResponse* response) override {
    *response = Parse<au::ListAccessesResponse>(R"pb(
      accesses {
        time { seconds: 1767258000 }
        actor: "members/kim"
        team: "teams/cmht"
        role: "CLINICIAN"
        method: "carebridge.careplan.v1.GetCarePlan"
        resource: "persons/p1/carePlan"
        sections: "goals,what_helps"
        outcome: "OK"
      }
      accesses {
        time { seconds: 1767258000 }
        actor: "services/audit"
        role: "service"
        on_behalf_of: "members/kim (teams/cmht, clinician)"
        method: "carebridge.careplan.v1.GetCarePlan"
        resource: "persons/p1/carePlan"
        sections: "whole plan"
        outcome: "OK"
      }
    )pb");
    return grpc::Status::OK;
  }
};

using Result = CliResult;

class NamesCliTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.started()); }

  Result Run(std::vector<std::string> args) {
    return server_.Run(std::move(args), {"--utc"});
  }

  FakeCarePlan careplan_;
  FakeAudit audit_;
  FakeDirectory directory_;
  CliTestServer server_{&careplan_, &audit_, &directory_};
};

constexpr char kAda[] = "Ada Lovelace (NHS 943 476 5919)";

TEST_F(NamesCliTest, VersionsNameWhoChangedThePlan) {
  Result r = Run({"careplan", "versions", "p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2026-01-01T09:00:00Z  Kim Jones  CMHT North  "
                               "content_updated"));
  // The reason is the writer's own words, kept as written.
  EXPECT_THAT(r.out, HasSubstr("As agreed with teams/crisis"));
  EXPECT_THAT(r.out, Not(HasSubstr("members/kim")));
}

TEST_F(NamesCliTest, VersionsInFullNameTheCareTeamAndThePerson) {
  Result r = Run({"careplan", "versions", "p1", "--full"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("person:       ", kAda, "\n")));
  EXPECT_THAT(r.out, HasSubstr("lead team:    CMHT North\n"));
  EXPECT_THAT(r.out, HasSubstr("  CMHT North  care coordination  lead"));
  EXPECT_THAT(r.out, HasSubstr("by Kim Jones (CMHT North)"));
}

TEST_F(NamesCliTest, UpdateNamesTheLeadTeamAndWhoChangedIt) {
  Result r = Run({"careplan", "update", "p1", "--what_helps=Music",
                  "--reason=x", "--etag=3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("lead team:    CMHT North\n"));
  EXPECT_THAT(r.out, HasSubstr("by Kim Jones (CMHT North)"));
}

// A diff's lines are the server's words with ids inside them; each id is
// looked up once for the whole screen, and an unknown one stays an id.
TEST_F(NamesCliTest, DiffNamesTeamsInsideItsLines) {
  Result r = Run({"careplan", "diff", "p1", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("  + actions[a2]: description: Call weekly; "
                               "owning_team: Crisis Team\n"));
  EXPECT_THAT(r.out,
              HasSubstr("  + care_team[Crisis Team]: role: crisis support\n"));
  EXPECT_THAT(r.out, HasSubstr("  ~ lead_team: CMHT North → Crisis Team\n"));
  EXPECT_THAT(r.out, HasSubstr("  - actions[a1]: description: Letter; "
                               "owning_team: teams/unknown\n"));
  EXPECT_THAT(r.out, HasSubstr("last changed: version 4, "));
  EXPECT_THAT(r.out, HasSubstr("by Kim Jones (CMHT North)"));
  EXPECT_EQ(directory_.lookups("teams/crisis"), 1);
  EXPECT_EQ(directory_.lookups("teams/unknown"), 1);
}

TEST_F(NamesCliTest, BreakGlassListNamesWhoOpenedIt) {
  Result r = Run({"careplan", "break-glass", "list", "p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("  Kim Jones  Crisis Team  Found in distress"));
}

// Also whom a service read for (its member and team labelled inside the
// text) and the sections a read returned.
TEST_F(NamesCliTest, AccessesNameWhoAndTheirTeam) {
  Result r = Run({"person", "accesses", "p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out,
              ContainsRegex("WHO +TEAM +ROLE +FOR +WHAT +RESOURCE +SECTIONS +"
                            "OUTCOME +WHY\n"));
  EXPECT_THAT(r.out, ContainsRegex("  Kim Jones +CMHT North +CLINICIAN +"
                                   "carebridge.careplan.v1.GetCarePlan +"
                                   "persons/p1/carePlan +goals,what_helps +"
                                   "OK\n"));
  EXPECT_THAT(r.out, ContainsRegex("  services/audit +service +"
                                   "Kim Jones \\(CMHT North, clinician\\) +"
                                   "carebridge.careplan.v1.GetCarePlan +"
                                   "persons/p1/carePlan +whole plan +OK\n"));
}

TEST_F(NamesCliTest, SharingNamesThePersonAndTheTeamsInTheRules) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"person", "sharing", "p1"},
           {"person", "share", "p1", "--rules=teams/crisis=goals",
            "--reason=Only my goals"}}) {
    Result r = Run(args);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat(
                           "persons/p1/sharingChoices  version 2 (etag 2)\n"
                           "person: ",
                           kAda, "\n")));
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat("by ", kAda, ": Only my goals")));
    EXPECT_THAT(r.out, HasSubstr("Crisis Team  goals\n"));
  }
}

// Scripts read ids: --json looks nothing up.
TEST_F(NamesCliTest, JsonKeepsIdsAndAsksTheDirectoryNothing) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"careplan", "versions", "p1"},
                                             {"careplan", "diff", "p1", "3"},
                                             {"person", "accesses", "p1"},
                                             {"person", "sharing", "p1"}}) {
    std::vector<std::string> json = args;
    json.insert(json.begin(), "--json");
    Result r = Run(json);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, Not(HasSubstr("Crisis Team")));
    EXPECT_THAT(r.out, Not(HasSubstr("CMHT North")));
  }
  EXPECT_EQ(directory_.total_lookups(), 0);
}

}  // namespace
}  // namespace carebridge::carectl
