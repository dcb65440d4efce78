// carectl's habits (issue 16): `--flag value`, -h and -o, "did you mean",
// errors that name carectl's flags, --version, whoami, token files 0600,
// config contexts. Against fake services where a server is needed.

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "clients/carectl/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/version.h"

namespace carebridge::carectl {
namespace {

namespace dir = ::carebridge::directory::v1;
namespace ref = ::carebridge::referral::v1;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result Carectl(const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env = {}) {
  std::ostringstream out, err;
  int code = RunCarectl(args, env, out, err);
  return {code, out.str(), err.str()};
}

// A token shaped like the server's (JWT), with a signature nobody checks.
std::string FakeToken(absl::Time expiry) {
  return absl::StrCat(
      absl::WebSafeBase64Escape(R"({"alg":"EdDSA","typ":"JWT","kid":"k"})"),
      ".",
      absl::WebSafeBase64Escape(absl::StrCat(
          R"({"iss":"carebridge","sub":"members/alice","team":"teams/crisis",)",
          R"("role":"clinician","exp":)", absl::ToUnixSeconds(expiry),
          R"(,"jti":"t1"})")),
      ".c2ln");
}

bool HasToken(grpc::ServerContext* context) {
  return context->client_metadata().count("authorization") > 0;
}

class FakeDirectory : public dir::DirectoryService::Service {
 public:
  grpc::Status GetMember(grpc::ServerContext* context,
                         const dir::GetMemberRequest* request,
                         dir::Member* member) override {
    if (!HasToken(context)) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "missing bearer token");
    }
    if (request->name() != "members/alice") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, request->name());
    }
    member->set_name("members/alice");
    member->set_display_name("Alice Adams");
    member->set_team("teams/crisis");
    member->set_role(dir::CLINICIAN);
    return grpc::Status::OK;
  }
  grpc::Status IssueToken(grpc::ServerContext*,
                          const dir::IssueTokenRequest* request,
                          dir::IssueTokenResponse* response) override {
    response->set_token(absl::StrCat("tok-for-", request->member()));
    response->set_token_id("t9");
    return grpc::Status::OK;
  }
};

class FakeReferral : public ref::ReferralService::Service {
 public:
  grpc::Status DeclineReferral(grpc::ServerContext*,
                               const ref::DeclineReferralRequest* request,
                               ref::Referral*) override {
    if (request->onward_route().signposting().empty() &&
        request->onward_route().suggested_team().empty()) {
      // The referral service's own words (services/referral/errors.cc).
      return grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          "onward_route: must give signposting or suggested_team");
    }
    return grpc::Status::OK;
  }
  grpc::Status ListReferrals(grpc::ServerContext* context,
                             const ref::ListReferralsRequest* request,
                             ref::ListReferralsResponse* response) override {
    if (!HasToken(context)) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "missing bearer token");
    }
    for (int i = 0; i < request->page_size(); ++i) {
      response->add_referrals()->set_name(absl::StrCat("referrals/r", i));
    }
    response->set_next_page_token("more");
    return grpc::Status::OK;
  }
};

class FakeCarePlan : public careplan::v1::CarePlanService::Service {
 public:
  grpc::Status IssuePersonToken(
      grpc::ServerContext*, const careplan::v1::IssuePersonTokenRequest*,
      careplan::v1::IssuePersonTokenResponse* response) override {
    response->set_token("person-tok");
    return grpc::Status::OK;
  }
};

class HabitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&directory_);
    builder.RegisterService(&referral_);
    builder.RegisterService(&careplan_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = absl::StrCat("127.0.0.1:", port);
    dir_ = ::testing::TempDir() + "/habits_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    mkdir(dir_.c_str(), 0700);
    std::remove((dir_ + "/carectl.conf").c_str());
    env_ = {{"CAREBRIDGE_CONFIG", dir_ + "/carectl.conf"}};
  }
  void TearDown() override { server_->Shutdown(); }

  std::string WriteToken(const std::string& name, const std::string& token) {
    std::string path = absl::StrCat(dir_, "/", name);
    std::ofstream(path) << token << "\n";
    return path;
  }

  FakeDirectory directory_;
  FakeReferral referral_;
  FakeCarePlan careplan_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::string dir_;
  std::map<std::string, std::string> env_;
};

// --- `--flag value` -------------------------------------------------------

TEST_F(HabitsTest, GlobalAndCommandFlagsTakeASeparateValue) {
  Result r = Carectl({"--server", address_, "--token", "tok", "referral",
                      "sent", "--page_size", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("referrals/r1"));
  EXPECT_THAT(r.out, Not(HasSubstr("referrals/r2")));
  EXPECT_THAT(r.out, HasSubstr("next page: more"));
}

TEST_F(HabitsTest, BoolFlagDoesNotTakeTheNextWord) {
  Result r = Carectl({"--json", "referral", "sent", "--all", "--page_size", "1",
                      "--server", address_, "--token=tok"});
  // --all would follow "more" for ever; the fake ends the test by giving the
  // same token, which FetchPages stops at.
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"referrals/r0\""));
}

TEST(HabitsUsageTest, ValueFlagAtTheEndNeedsAValue) {
  Result r = Carectl({"referral", "sent", "--page_size"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--page_size: needs a value"));
  r = Carectl({"health", "--server"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--server: needs a value"));
}

TEST(HabitsUsageTest, CommandFlagValueBeforeTheCommandNeedsEquals) {
  Result r = Carectl({"referral", "--page_size", "2", "sent"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'referral 2'"));
}

// --- -h, -o, --output ------------------------------------------------------

TEST(HabitsUsageTest, DashHIsHelp) {
  Result r = Carectl({"-h"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("global flags"));
  r = Carectl({"team", "-h"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("carectl team get NAME"));
  r = Carectl({"-x", "health"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("unknown option -x"));
}

TEST_F(HabitsTest, OutputJsonAndName) {
  for (const auto& flags :
       std::vector<std::vector<std::string>>{{"-o", "json"},
                                             {"-ojson"},
                                             {"--output=json"},
                                             {"--output", "json"}}) {
    std::vector<std::string> args = {"--server=" + address_, "--token=t",
                                     "referral", "sent", "--page_size=1"};
    args.insert(args.end(), flags.begin(), flags.end());
    Result r = Carectl(args);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("\"name\": \"referrals/r0\""));
  }
  Result r = Carectl({"--server=" + address_, "--token=t", "-o", "name",
                      "referral", "sent", "--page_size=2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "referrals/r0\nreferrals/r1\n");
}

TEST(HabitsUsageTest, BadOutputNamesTheFlagAndTheChoices) {
  Result r = Carectl({"-o", "yaml", "health"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--output: must be json or name, not 'yaml'"));
  r = Carectl({"--json", "-o", "name", "health"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--json and --name_only"));
}

// --- did you mean ----------------------------------------------------------

TEST(HabitsUsageTest, UnknownNounSuggestsTheClosest) {
  Result r = Carectl({"refferal", "inbox"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("carectl: usage: unknown command 'refferal' "
                               "(did you mean 'referral'?)"));
}

TEST(HabitsUsageTest, UnknownVerbSuggestsTheClosest) {
  Result r = Carectl({"team", "gett", "t1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'team gett' (did you mean "
                               "'team get'?)"));
}

TEST(HabitsUsageTest, UnknownFlagSuggestsTheClosest) {
  Result r = Carectl(
      {"team", "create", "--displayname=Crisis", "--sector=mental_health"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--displayname: unknown flag (did you mean "
                               "--display_name?)"));
  r = Carectl({"--sever=h:1", "health"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("(did you mean --server?)"));
}

// --- errors that name carectl's flags ----------------------------------------

TEST_F(HabitsTest, DeclineWithoutRouteNamesTheFlags) {
  Result r = Carectl(
      {"--server=" + address_, "referral", "decline", "r1", "--reason=full"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT: onward_route"));
  EXPECT_THAT(r.err, HasSubstr("give --signpost=TEXT or --suggest_team=TEAM"));
}

TEST_F(HabitsTest, NoTokenNamesTheTokenFlags) {
  Result r = Carectl({"--server=" + address_, "referral", "sent"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("UNAUTHENTICATED"));
  EXPECT_THAT(r.err, HasSubstr("give --token_file=PATH or set "
                               "CAREBRIDGE_TOKEN_FILE (or use a context: "
                               "carectl config use-context"));
}

TEST(HabitsUsageTest, UnreachableServerNamesTheServerFlag) {
  Result r =
      Carectl({"--server=127.0.0.1:1", "--timeout=5s", "team", "get", "t"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("is the server running, and is "
                               "--server=HOST:PORT right? (now: "
                               "127.0.0.1:1)"));
}

// --- version
// ------------------------------------------------------------------

TEST(HabitsUsageTest, VersionFromTheProjectLine) {
  std::string line =
      absl::StrCat("carectl ", kCarebridgeVersion, " (carebridge)\n");
  EXPECT_THAT(kCarebridgeVersion,
              testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--version"}, {"version"}}) {
    Result r = Carectl(args);
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out, line);
  }
}

// --- whoami
// ---------------------------------------------------------------------

TEST_F(HabitsTest, WhoamiShowsTheMemberTheTokenAndTheServer) {
  std::string token_file =
      WriteToken("alice.token", FakeToken(absl::Now() + absl::Hours(2)));
  Result r =
      Carectl({"--server=" + address_, "--token_file=" + token_file, "whoami"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("member: members/alice\n"));
  EXPECT_THAT(r.out, HasSubstr("display_name: Alice Adams\n"));
  EXPECT_THAT(r.out, HasSubstr("team: teams/crisis\n"));
  EXPECT_THAT(r.out, HasSubstr("role: clinician\n"));
  EXPECT_THAT(r.out, HasSubstr("(in 2h)\n"));
  EXPECT_THAT(r.out, HasSubstr("token_from: --token_file=" + token_file));
  EXPECT_THAT(r.out, HasSubstr("server: " + address_ + "\n"));
  EXPECT_THAT(r.out, HasSubstr("context: (none)\n"));
}

TEST(HabitsUsageTest, WhoamiWithoutATokenSaysHowToGiveOne) {
  Result r = Carectl({"--server=127.0.0.1:1", "whoami"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("no token: give --token_file=PATH"));
}

// --- token files ------------------------------------------------------------

TEST_F(HabitsTest, TokenIssueOutWritesAnOwnerOnlyFile) {
  std::string path = dir_ + "/issued.token";
  // An existing world-readable file is made owner-only too.
  std::ofstream(path) << "old\n";
  chmod(path.c_str(), 0644);
  Result r = Carectl({"--server=" + address_, "--token=admin", "token", "issue",
                      "members/bob", "--out", path});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("token written to " + path));
  EXPECT_THAT(r.out, Not(HasSubstr("tok-for")));
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  EXPECT_EQ(text.str(), "tok-for-members/bob\n");

  std::string fresh = dir_ + "/fresh.token";
  r = Carectl({"--server=" + address_, "--token=admin", "token", "issue",
               "members/bob", "--out=" + fresh});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(stat(fresh.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(HabitsTest, PersonTokenOutWritesAnOwnerOnlyFile) {
  std::string path = dir_ + "/alex.token";
  Result r = Carectl({"--server=" + address_, "--token=t", "person", "token",
                      "p1", "--out=" + path});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("person-tok")));
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  EXPECT_EQ(text.str(), "person-tok\n");
}

// --- config contexts
// -----------------------------------------------------------

TEST_F(HabitsTest, ContextsChooseServerAndToken) {
  std::string token_file =
      WriteToken("alice.token", FakeToken(absl::Now() + absl::Hours(1)));
  Result r = Carectl({"config", "set-context", "local", "--server", address_,
                      "--token_file", token_file},
                     env_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("context local added"));
  r = Carectl({"config", "set-context", "prod", "--server=prod.example:443"},
              env_);
  ASSERT_EQ(r.code, 0) << r.err;

  struct stat info;
  ASSERT_EQ(stat(env_["CAREBRIDGE_CONFIG"].c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  r = Carectl({"config", "current-context"}, env_);
  EXPECT_EQ(r.out, "local\n");
  r = Carectl({"config", "get-contexts"}, env_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("CURRENT  NAME"));
  EXPECT_THAT(r.out, testing::ContainsRegex("\\*        local +" + address_));
  EXPECT_THAT(r.out, testing::ContainsRegex("\n +prod +prod.example:443"));

  // The current context gives the server and the token.
  r = Carectl({"whoami"}, env_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("context: local\n"));
  EXPECT_THAT(r.out, HasSubstr("token_from: context local (" + token_file));

  // A flag beats the environment, which beats the context.
  std::map<std::string, std::string> env = env_;
  env["CAREBRIDGE_SERVER"] = "127.0.0.1:1";
  r = Carectl({"--timeout=5s", "whoami"}, env);
  EXPECT_THAT(r.err, HasSubstr("(now: 127.0.0.1:1)"));
  r = Carectl({"--server=" + address_, "whoami"}, env);
  EXPECT_EQ(r.code, 0) << r.err;

  r = Carectl({"config", "use-context", "prod"}, env_);
  ASSERT_EQ(r.code, 0) << r.err;
  r = Carectl({"config", "current-context"}, env_);
  EXPECT_EQ(r.out, "prod\n");
  r = Carectl({"--context=local", "whoami"}, env_);
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(HabitsTest, UnknownContextIsAUsageError) {
  Result r = Carectl({"--context=nope", "health"}, env_);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--context: no context 'nope'"));
  r = Carectl({"config", "use-context", "nope"}, env_);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("config set-context nope --server=HOST:PORT"));
  r = Carectl({"config", "set-context", "new"}, env_);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--server: required for a new context"));
}

}  // namespace
}  // namespace carebridge::carectl
