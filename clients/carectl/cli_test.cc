#include "clients/carectl/cli.h"

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace ref = ::carebridge::referral::v1;
using ::testing::HasSubstr;
using ::testing::Not;

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

TEST(CliUsageTest, HelpListsCommandsGlobalFlagsAndExitCodes) {
  Result r = Carectl({"help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("referral create|get|inbox|sent|ack|accept"));
  EXPECT_THAT(r.out, HasSubstr("--token_file=PATH"));
  EXPECT_THAT(r.out, HasSubstr("exit codes:"));
  EXPECT_EQ(Carectl({"--help"}).code, 0);
}

// `person` commands come from four services; help lists each noun once.
TEST(CliUsageTest, HelpListsEachNounOnce) {
  Result r = Carectl({"help"});
  ASSERT_EQ(r.code, 0);
  for (const char* noun : {"person", "team", "admin", "careplan"}) {
    const std::string line = absl::StrCat("\n  ", noun, " ");
    size_t first = r.out.find(line);
    ASSERT_NE(first, std::string::npos) << noun;
    EXPECT_EQ(r.out.find(line, first + 1), std::string::npos)
        << noun << " listed twice:\n"
        << r.out;
  }
  EXPECT_THAT(r.out, HasSubstr("  person register|get|find|update|merge|"
                               "timeline|summary|accesses|token|"
                               "revoke-tokens|sharing|share\n"));
}

TEST(CliUsageTest, NoCommandIsAUsageError) {
  Result r = Carectl({});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("usage: carectl"));
}

TEST(CliUsageTest, NounHelpShowsOnlyThatNoun) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"team", "help"}, {"help", "team"}, {"team", "--help"}}) {
    Result r = Carectl(args);
    EXPECT_EQ(r.code, 0);
    EXPECT_THAT(r.out, HasSubstr("carectl team update NAME --etag=ETAG"));
    EXPECT_THAT(r.out, Not(HasSubstr("carectl referral")));
  }
}

TEST(CliUsageTest, CommandWithoutVerbHasHelp) {
  Result r = Carectl({"health", "help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("carectl health [--service=NAME]"));
}

TEST(CliUsageTest, UnknownCommandIsNamed) {
  Result r = Carectl({"teams", "list"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("carectl: usage: unknown command 'teams'"));
  r = Carectl({"team", "delete", "x"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'team delete'"));
  EXPECT_THAT(r.err, HasSubstr("carectl team help"));
}

TEST(CliUsageTest, UnknownFlagIsNamed) {
  Result r = Carectl({"team", "get", "t1", "--colour=red"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("carectl: usage: --colour: unknown flag"));
}

TEST(CliUsageTest, FlagOfAnotherCommandIsUnknown) {
  Result r = Carectl({"referral", "accept", "r1", "--reason=x"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--reason: unknown flag"));
}

TEST(CliUsageTest, MissingRequiredFlagIsNamed) {
  Result r = Carectl({"team", "create", "--display_name=Crisis"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--sector: required"));
}

TEST(CliUsageTest, BadEnumValueIsNamedBeforeAnyCall) {
  Result r = Carectl({"--server=127.0.0.1:1", "team", "create",
                      "--display_name=X", "--sector=hospital"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--sector: 'hospital' is not one of"));
}

TEST(CliUsageTest, MissingOrExtraWordsAreUsageErrors) {
  Result r = Carectl({"team", "get"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("missing NAME"));
  r = Carectl({"team", "get", "a", "b"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("unexpected argument 'b'"));
}

TEST(CliUsageTest, BadGlobalFlagValues) {
  Result r = Carectl({"--timeout=soon", "health"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--timeout: not a duration"));
  r = Carectl({"--token=a", "--token_file=/tmp/x", "health"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--token and --token_file"));
  r = Carectl({"--token_file=/nonexistent/token", "health"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--token_file: cannot read"));
  r = Carectl({"--json", "--name_only", "health"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--json and --name_only"));
}

TEST(CliRpcTest, UnreachableServerIsUnavailable) {
  Result r =
      Carectl({"--server=127.0.0.1:1", "--timeout=5s", "team", "get", "t"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("carectl: UNAVAILABLE: "));
}

// Serves five referrals two at a time and remembers the authorization
// metadata of the last call.
class FakeReferralService : public ref::ReferralService::Service {
 public:
  grpc::Status ListReferrals(grpc::ServerContext* context,
                             const ref::ListReferralsRequest* request,
                             ref::ListReferralsResponse* response) override {
    Record(context);
    int start = 0;
    if (!request->page_token().empty() &&
        !absl::SimpleAtoi(request->page_token(), &start)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "page_token: not valid");
    }
    for (int i = start; i < std::min(start + 2, 5); ++i) {
      ref::Referral* r = response->add_referrals();
      r->set_name(absl::StrCat("referrals/r", i));
      r->set_state(ref::SENT);
      r->set_receiving_team("teams/crisis");
    }
    if (start + 2 < 5) response->set_next_page_token(absl::StrCat(start + 2));
    return grpc::Status::OK;
  }

  grpc::Status AcceptReferral(grpc::ServerContext* context,
                              const ref::AcceptReferralRequest*,
                              ref::Referral*) override {
    Record(context);
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "only the receiving team may accept referrals/r1");
  }

  std::string authorization() {
    absl::MutexLock lock(&mu_);
    return authorization_;
  }

 private:
  void Record(grpc::ServerContext* context) {
    absl::MutexLock lock(&mu_);
    auto it = context->client_metadata().find("authorization");
    authorization_ = it == context->client_metadata().end()
                         ? ""
                         : std::string(it->second.data(), it->second.size());
  }

  absl::Mutex mu_;
  std::string authorization_ ABSL_GUARDED_BY(mu_);
};

class CliRpcFakeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::EnableDefaultHealthCheckService(true);
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

  FakeReferralService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string server_flag_;
};

TEST_F(CliRpcFakeServerTest, SendsTheTokenAsBearerMetadata) {
  Result r = Carectl({server_flag_, "referral", "sent"},
                     {{"CAREBRIDGE_TOKEN", "tok-env"}});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(service_.authorization(), "Bearer tok-env");

  std::string path = ::testing::TempDir() + "/carectl_token";
  std::ofstream(path) << "tok-file\n";
  r = Carectl({server_flag_, "referral", "sent", "--token_file=" + path},
              {{"CAREBRIDGE_TOKEN", "tok-env"}});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(service_.authorization(), "Bearer tok-file");
  std::remove(path.c_str());
}

TEST_F(CliRpcFakeServerTest, NoTokenSendsNoAuthorization) {
  Result r = Carectl({"referral", "inbox"},
                     {{"CAREBRIDGE_SERVER", server_flag_.substr(9)}});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(service_.authorization(), "");
}

TEST_F(CliRpcFakeServerTest, OnePageShowsTheNextPageToken) {
  Result r = Carectl({server_flag_, "referral", "sent", "--page_size=2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("NAME          STATE  URGENCY"));
  EXPECT_THAT(r.out, HasSubstr("RECEIVING TEAM"));
  EXPECT_THAT(r.out, HasSubstr("referrals/r1"));
  EXPECT_THAT(r.out, Not(HasSubstr("referrals/r2")));
  EXPECT_THAT(r.out, HasSubstr("next page: 2\n"));
}

TEST_F(CliRpcFakeServerTest, AllFollowsEveryPage) {
  Result r = Carectl({server_flag_, "--json", "referral", "sent", "--all"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat("\"referrals/r", i, "\"")));
  }
  EXPECT_THAT(r.out, HasSubstr("\"next_page_token\": \"\""));
}

TEST_F(CliRpcFakeServerTest, NameOnlyPrintsOneNamePerLine) {
  Result r =
      Carectl({server_flag_, "--name_only", "referral", "sent", "--all"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "referrals/r0\nreferrals/r1\nreferrals/r2\nreferrals/r3\n"
            "referrals/r4\n");
}

TEST_F(CliRpcFakeServerTest, ServerErrorPrintsCodeAndMessage) {
  Result r = Carectl({server_flag_, "referral", "accept", "r1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "carectl: PERMISSION_DENIED: only the receiving team may accept "
            "referrals/r1\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(CliRpcFakeServerTest, HealthReportsServingThenNotServing) {
  Result r = Carectl({server_flag_, "health"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(server)"));
  EXPECT_THAT(r.out, HasSubstr("SERVING"));
  // The fake hosts neither carebridge service under its health name.
  EXPECT_THAT(r.out, HasSubstr("SERVICE_UNKNOWN"));

  server_->GetHealthCheckService()->Shutdown();
  r = Carectl({server_flag_, "--json", "health"});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.out, HasSubstr("\"\": \"NOT_SERVING\""));
}

}  // namespace
}  // namespace carebridge::carectl
