// The HTTP listener's JSON API against real servers: every request is a
// call of the same gRPC services (authentication, rules, validation), in
// one all-in-one process and split, where the referral process's HTTP
// listener reaches the directory as its peer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/common/token.h"
#include "services/common/token_keys.h"
#include "services/server/test_deployment.h"
#include "tests/support/stderr_capture.h"

namespace carebridge::server {
namespace {

namespace dir = ::carebridge::directory::v1;
using ::testing::HasSubstr;

constexpr char kJson[] = "application/json";
constexpr char kDirectory[] = "/v1/carebridge.directory.v1.DirectoryService/";

google::protobuf::Struct Parse(const std::string& body) {
  google::protobuf::Struct parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(body, &parsed).ok())
      << body;
  return parsed;
}

std::string Field(const google::protobuf::Struct& object,
                  const std::string& name) {
  auto it = object.fields().find(name);
  return it == object.fields().end() ? "" : it->second.string_value();
}

// The error body's status and message.
std::string ErrorOf(const std::string& body) {
  google::protobuf::Struct parsed = Parse(body);
  const google::protobuf::Struct& error =
      parsed.fields().at("error").struct_value();
  return absl::StrCat(Field(error, "status"), ": ", Field(error, "message"));
}

class HttpServerTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    absl::Status started = deployment_.Start(
        GetParam(), [](const std::string&, ServerConfig* config) {
          config->http_listen = "127.0.0.1:0";
        });
    ASSERT_TRUE(started.ok()) << started;
    admin_ = deployment_.admin_token;
    // Split, the referral process's listener (which reaches the directory
    // as its peer); else the one process's.
    CarebridgeServer* front = deployment_.referral != nullptr
                                  ? deployment_.referral.get()
                                  : deployment_.directory.get();
    ASSERT_GT(front->http_port(), 0);
    client_ =
        std::make_unique<httplib::Client>("127.0.0.1", front->http_port());
  }

  httplib::Headers As(const std::string& token) {
    return {{"Authorization", absl::StrCat("Bearer ", token)}};
  }

  httplib::Result Call(const std::string& token, const std::string& method,
                       const std::string& body) {
    return client_->Post(absl::StrCat(kDirectory, method).c_str(), As(token),
                         body, kJson);
  }

  size_t Teams() {
    httplib::Result listed = Call(admin_, "ListTeams", "{}");
    EXPECT_TRUE(listed && listed->status == 200);
    if (!listed) return 0;
    google::protobuf::Struct body = Parse(listed->body);
    auto it = body.fields().find("teams");
    return it == body.fields().end() ? 0
                                     : it->second.list_value().values_size();
  }

  TestDeployment deployment_;
  std::string admin_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_P(HttpServerTest, AMethodCalledInJsonAndAResourceReadByName) {
  httplib::Result created = Call(
      admin_, "CreateTeam",
      R"({"team":{"displayName":"North CMHT","sector":"COMMUNITY_MENTAL_HEALTH"}})");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 200) << created->body;
  EXPECT_EQ(created->get_header_value("Content-Type"), kJson);
  google::protobuf::Struct team = Parse(created->body);
  const std::string name = Field(team, "name");
  EXPECT_THAT(name, ::testing::StartsWith("teams/"));
  EXPECT_EQ(Field(team, "sector"), "COMMUNITY_MENTAL_HEALTH");

  httplib::Result got =
      client_->Get(absl::StrCat("/v1/", name).c_str(), As(admin_));
  ASSERT_TRUE(got);
  ASSERT_EQ(got->status, 200) << got->body;
  EXPECT_EQ(Field(Parse(got->body), "displayName"), "North CMHT");
  EXPECT_EQ(Field(Parse(got->body), "etag"), Field(team, "etag"));
}

// Bad requests get the gRPC code's HTTP status and an AIP-193 body saying
// what is wrong; nothing is stored.
TEST_P(HttpServerTest, BadRequestsAreRefusedSayingWhyAndStoreNothing) {
  const size_t before = Teams();
  struct Case {
    httplib::Result result;
    int status;
    std::string says;
  };
  const std::string big(5 << 20, 'a');
  Case cases[] = {
      {client_->Post((std::string(kDirectory) + "CreateTeam").c_str(),
                     R"({"team":{"displayName":"x","sector":"CRISIS"}})",
                     kJson),
       401, "UNAUTHENTICATED: no credentials"},
      {Call("not-a-token", "CreateTeam", "{}"), 401, "UNAUTHENTICATED"},
      {Call(admin_, "CreateTeam", R"({"team":{"displayName":)"), 400,
       "INVALID_ARGUMENT: the body is not a "
       "carebridge.directory.v1.CreateTeamRequest in JSON"},
      {Call(admin_, "CreateTeam", R"({"team":{"colour":"red"}})"), 400,
       "colour"},
      {Call(admin_, "CreateTeam", R"({"team":{"sector":"CRISIS"}})"), 400,
       "INVALID_ARGUMENT: team.display_name"},
      {Call(admin_, "NoSuchMethod", "{}"), 404, "NOT_FOUND: no method"},
      {Call(admin_, "Subscribe", "{}"), 501, "served over gRPC only"},
      {client_->Post("/v1/carebridge.record.v1.RecordService/WatchTimeline",
                     As(admin_), R"({"parent":"persons/p1"})", kJson),
       501, "WatchTimeline streams; it is served over gRPC only"},
      {client_->Post((std::string(kDirectory) + "CreateTeam").c_str(),
                     As(admin_), "team=x", "text/plain"),
       415, "Content-Type must be application/json"},
      {Call(admin_, "CreateTeam", big), 413, "larger than the 4194304 bytes"},
      {client_->Get("/v1/widgets/w1", As(admin_)), 404,
       "names no resource kind"},
      {client_->Get("/v1/teams/nosuchteam", As(admin_)), 404, "NOT_FOUND"},
      {client_->Get("/elsewhere", As(admin_)), 404, "no route for GET"},
  };
  for (Case& c : cases) {
    ASSERT_TRUE(c.result) << c.says;
    EXPECT_EQ(c.result->status, c.status) << c.says << ": " << c.result->body;
    EXPECT_THAT(ErrorOf(c.result->body), HasSubstr(c.says));
    if (c.status == 401) {
      EXPECT_EQ(c.result->get_header_value("WWW-Authenticate"), "Bearer");
    }
  }
  EXPECT_EQ(Teams(), before);
}

// The AIP paths: create with a request id (a retry returns the first),
// list with query parameters and paging, update with a mask and etag, and
// a custom method on a resource.
TEST_P(HttpServerTest, TheAipPathsOfResources) {
  const std::string body =
      R"({"displayName":"North CMHT","sector":"COMMUNITY_MENTAL_HEALTH"})";
  httplib::Result created =
      client_->Post("/v1/teams?requestId=north-1", As(admin_), body, kJson);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 200) << created->body;
  google::protobuf::Struct team = Parse(created->body);
  httplib::Result again =
      client_->Post("/v1/teams?requestId=north-1", As(admin_), body, kJson);
  ASSERT_TRUE(again);
  EXPECT_EQ(Field(Parse(again->body), "name"), Field(team, "name"));
  ASSERT_TRUE(client_->Post("/v1/teams", As(admin_),
                            R"({"displayName":"Crisis","sector":"CRISIS"})",
                            kJson));

  httplib::Result page = client_->Get("/v1/teams?pageSize=1", As(admin_));
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  google::protobuf::Struct first = Parse(page->body);
  EXPECT_EQ(first.fields().at("teams").list_value().values_size(), 1);
  EXPECT_FALSE(Field(first, "nextPageToken").empty());

  const std::string path = absl::StrCat(
      "/v1/", Field(team, "name"),
      "?updateMask=displayName,serviceDescription&etag=", Field(team, "etag"));
  httplib::Result updated = client_->Patch(
      path.c_str(), As(admin_),
      R"json({"displayName":"North CMHT (East)","serviceDescription":"Adults 18+"})json",
      kJson);
  ASSERT_TRUE(updated);
  ASSERT_EQ(updated->status, 200) << updated->body;
  EXPECT_EQ(Field(Parse(updated->body), "displayName"), "North CMHT (East)");
  EXPECT_EQ(Field(Parse(updated->body), "serviceDescription"), "Adults 18+");
  // The same etag again is stale: 409 (ABORTED).
  httplib::Result stale =
      client_->Patch(path.c_str(), As(admin_), R"({"displayName":"x"})", kJson);
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 409) << stale->body;

  // A team manager, appointed and then deactivated by a custom method.
  httplib::Result manager = client_->Post(
      "/v1/members", As(admin_),
      absl::StrCat(R"({"displayName":"Manager","team":")", Field(team, "name"),
                   R"(","role":"TEAM_MANAGER"})"),
      kJson);
  ASSERT_TRUE(manager);
  ASSERT_EQ(manager->status, 200) << manager->body;
  httplib::Result deactivated = client_->Post(
      absl::StrCat("/v1/", Field(Parse(manager->body), "name"), ":deactivate")
          .c_str(),
      As(admin_), R"({"reason":"left the trust"})", kJson);
  ASSERT_TRUE(deactivated);
  ASSERT_EQ(deactivated->status, 200) << deactivated->body;
  EXPECT_EQ(Field(Parse(deactivated->body), "state"), "DEACTIVATED");

  // Bad paths and parameters say what is wrong.
  struct Case {
    httplib::Result result;
    int status;
    std::string says;
  };
  Case cases[] = {
      {client_->Get("/v1/teams?colour=red", As(admin_)), 400,
       "query parameter `colour` is not a field"},
      {client_->Get("/v1/teams?pageSize=many", As(admin_)), 400,
       "`many` is not a whole number"},
      {client_->Get("/v1/teams?sector=MOON", As(admin_)), 400,
       "is not a Sector"},
      {client_->Get("/v1/persons", As(admin_)), 404, "ListPersons"},
      {client_->Post("/v1/teams/x:fly", As(admin_), "{}", kJson), 404,
       "FlyTeam"},
  };
  for (Case& c : cases) {
    ASSERT_TRUE(c.result) << c.says;
    EXPECT_EQ(c.result->status, c.status) << c.says << ": " << c.result->body;
    EXPECT_THAT(ErrorOf(c.result->body), HasSubstr(c.says));
  }
}

// Over HTTP only people call: a service identity's token is refused (the
// process's own channels present its service certificate, which must not
// stand in for a caller), as is a header gRPC could not carry.
TEST_P(HttpServerTest, TheRequestIdIsGivenBackAndCarriedToTheCalls) {
  StderrCapture capture;
  httplib::Headers headers = As(admin_);
  headers.emplace("X-Request-ID", "http-trace-77");
  httplib::Result listed = client_->Post(
      absl::StrCat(kDirectory, "ListTeams").c_str(), headers, "{}", kJson);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->get_header_value("X-Request-ID"), "http-trace-77");
  // The HTTP line is written once the reply is out: wait for it.
  bool http_line = false;
  bool call_line = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!(http_line && call_line) && absl::Now() < deadline) {
    for (const std::string& line : capture.Lines()) {
      if (!absl::StrContains(line, "trace_id=http-trace-77")) continue;
      http_line |= absl::StrContains(
          line,
          "http method=POST path=/v1/carebridge.directory.v1."
          "DirectoryService/ListTeams status=200 latency_ms=");
      call_line |= absl::StrContains(
          line,
          "call method=/carebridge.directory.v1.DirectoryService/"
          "ListTeams principal=");
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(http_line);
  // The gRPC call the request made (in this process or the directory's)
  // carries the same id.
  EXPECT_TRUE(call_line);

  httplib::Result anonymous = client_->Post(
      absl::StrCat(kDirectory, "ListTeams").c_str(), As(admin_), "{}", kJson);
  ASSERT_TRUE(anonymous);
  EXPECT_THAT(anonymous->get_header_value("X-Request-ID"),
              ::testing::MatchesRegex("^[0-9a-f]{16}$"));
}

TEST_P(HttpServerTest, ServiceIdentitiesAndMalformedHeadersAreRefused) {
  TokenKeyDirectory keys(deployment_.dir + "/directory/token-keys",
                         absl::Hours(24 * 90));
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> loaded =
      keys.Load(absl::Now());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  TokenSigner signer(*loaded);
  Principal service;
  service.subject = "services/referral";
  service.role = Role::kService;
  service.expire_time = absl::Now() + absl::Hours(1);
  const std::string token = signer.Sign(service);
  ASSERT_FALSE(token.empty());
  httplib::Result refused = client_->Get("/v1/teams", As(token));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403) << refused->body;
  EXPECT_THAT(ErrorOf(refused->body),
              HasSubstr("service identities do not call over HTTP"));
  httplib::Result fhir = client_->Get("/fhir/Organization/x", As(token));
  ASSERT_TRUE(fhir);
  EXPECT_EQ(fhir->status, 403) << fhir->body;

  httplib::Result malformed = client_->Get(
      "/v1/teams", {{"Authorization", "Bearer \xc3\xa9t\xc3\xa9"}});
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 401) << malformed->body;
  EXPECT_THAT(ErrorOf(malformed->body), HasSubstr("printable ASCII only"));
}

// The rules are the gRPC services' own: an admin reads no clinical record
// over HTTP either.
TEST_P(HttpServerTest, TheRulesAreTheServicesOwn) {
  httplib::Result inbox =
      client_->Post("/v1/carebridge.referral.v1.ReferralService/ListReferrals",
                    As(admin_), R"({"mailbox":"INBOX"})", kJson);
  ASSERT_TRUE(inbox);
  EXPECT_EQ(inbox->status, 403) << inbox->body;
  EXPECT_THAT(ErrorOf(inbox->body), HasSubstr("PERMISSION_DENIED"));
}

INSTANTIATE_TEST_SUITE_P(Deployments, HttpServerTest,
                         ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Split" : "AllInOne";
                         });

}  // namespace
}  // namespace carebridge::server
