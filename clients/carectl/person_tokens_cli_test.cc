// `carectl person revoke-tokens` against a fake care plan service: what is
// sent (every token, or one by id; a reason or none), what is printed, a
// refusal, the usage error caught before any call, and help.

#include <algorithm>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "clients/carectl/cli_test_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Ends persons/p1's tokens as the directory would say it; refuses every
// other person as the care plan service refuses a caller outside their
// lead team. Remembers what it was asked. Thread-safe.
class FakePersonTokensService final
    : public careplan::v1::CarePlanService::Service {
 public:
  grpc::Status RevokePersonTokens(
      grpc::ServerContext*, const careplan::v1::RevokePersonTokensRequest* r,
      directory::v1::PersonTokenRevocation* revocation) override {
    absl::MutexLock lock(&mu_);
    asked_.push_back(*r);
    if (r->name() != "persons/p1/carePlan") {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "RevokePersonTokens: only persons/p2 themself, "
                          "clinical staff of their lead team and admins may "
                          "end their tokens");
    }
    revocation->set_person("persons/p1");
    revocation->set_token_id(r->token_id());
    revocation->set_reason(r->reason().empty() ? "the person signed out"
                                               : r->reason());
    revocation->set_revoked_by("services/careplan");
    return grpc::Status::OK;
  }

  std::vector<careplan::v1::RevokePersonTokensRequest> asked() {
    absl::MutexLock lock(&mu_);
    return asked_;
  }

 private:
  absl::Mutex mu_;
  std::vector<careplan::v1::RevokePersonTokensRequest> asked_
      ABSL_GUARDED_BY(mu_);
};

class PersonTokensCliTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.started()); }

  FakePersonTokensService careplan_;
  CliTestServer server_{&careplan_};
};

TEST_F(PersonTokensCliTest, RevokeTokensEndsEveryTokenForTheReasonGiven) {
  CliResult r =
      server_.Run({"person", "revoke-tokens", "p1", "--reason", "phone lost"});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_THAT(careplan_.asked(), SizeIs(1));
  EXPECT_EQ(careplan_.asked()[0].name(), "persons/p1/carePlan");
  EXPECT_EQ(careplan_.asked()[0].reason(), "phone lost");
  EXPECT_EQ(careplan_.asked()[0].token_id(), "");
  EXPECT_THAT(r.out, HasSubstr("persons/p1"));
  EXPECT_THAT(r.out, HasSubstr("phone lost"));
}

TEST_F(PersonTokensCliTest, RevokeOneTokenByIdNeedsNoReason) {
  CliResult r = server_.Run(
      {"--json", "person", "revoke-tokens", "persons/p1", "--token_id=abc"});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_THAT(careplan_.asked(), SizeIs(1));
  EXPECT_EQ(careplan_.asked()[0].token_id(), "abc");
  EXPECT_EQ(careplan_.asked()[0].reason(), "");
  EXPECT_THAT(r.out, HasSubstr("\"token_id\": \"abc\""));
  EXPECT_THAT(r.out, HasSubstr("the person signed out"));
}

TEST_F(PersonTokensCliTest, ARefusalIsReported) {
  CliResult r =
      server_.Run({"person", "revoke-tokens", "p2", "--reason=because"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(r.err, HasSubstr("their lead team"));
}

TEST_F(PersonTokensCliTest, WithoutAPersonNothingIsSent) {
  CliResult r = server_.Run({"person", "revoke-tokens", "--reason=lost"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("PERSON"));
  EXPECT_THAT(careplan_.asked(), IsEmpty());
}

TEST(PersonTokensHelpTest, HelpSaysWhoMayAndWhatEnds) {
  CliResult help = RunCli({"person", "-h"});
  ASSERT_EQ(help.code, 0);
  std::string text = help.out;
  std::replace(text.begin(), text.end(), '\n', ' ');
  text.erase(std::unique(text.begin(), text.end(),
                         [](char a, char b) { return a == ' ' && b == ' '; }),
             text.end());
  EXPECT_THAT(text, HasSubstr("carectl person revoke-tokens PERSON "
                              "[--reason=TEXT] [--token_id=ID]"));
  EXPECT_THAT(text, HasSubstr("within 5 seconds"));
  EXPECT_THAT(text, HasSubstr("lead team's clinical staff"));
  EXPECT_THAT(RunCli({"help"}).out, HasSubstr("token|revoke-tokens"));
}

}  // namespace
}  // namespace carebridge::carectl
