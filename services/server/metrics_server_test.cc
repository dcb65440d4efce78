// The process's metrics (--metrics_listen) and request ids, end to end
// through a started server.
#include <httplib.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "gmock/gmock.h"
#include "services/server/server_test_fixture.h"
#include "tests/support/stderr_capture.h"

namespace carebridge::server {
namespace {

namespace ref = ::carebridge::referral::v1;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr char kCreateTeam[] =
    "/carebridge.directory.v1.DirectoryService/CreateTeam";

class MetricsServerTest : public ServerTestFixture {
 protected:
  static std::string Scrape(int port) {
    httplib::Client client("127.0.0.1", port);
    httplib::Result result = client.Get("/metrics");
    EXPECT_TRUE(result);
    if (!result) return "";
    EXPECT_EQ(result->status, 200);
    return result->body;
  }

  // CreateTeam with an empty display name (INVALID_ARGUMENT) and `metadata`
  // sent; the response's initial metadata is written to `returned`.
  static grpc::Status RefusedCreateTeam(
      grpc::Channel& channel, const std::string& token,
      const std::vector<std::pair<std::string, std::string>>& metadata,
      std::string* returned_request_id = nullptr) {
    auto stub = dir::DirectoryService::NewStub(
        std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
    grpc::ClientContext context;
    Authorize(context, token);
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    dir::CreateTeamRequest request;
    dir::Team team;
    grpc::Status status = stub->CreateTeam(&context, request, &team);
    if (returned_request_id != nullptr) {
      auto it = context.GetServerInitialMetadata().find("x-request-id");
      *returned_request_id =
          it == context.GetServerInitialMetadata().end()
              ? ""
              : std::string(it->second.data(), it->second.size());
    }
    return status;
  }
};

TEST_F(MetricsServerTest, ScrapeShowsCallsFeedsConsumersGapsAndQueue) {
  ServerConfig config = Config("all");
  config.metrics_listen = "127.0.0.1:0";
  config.metrics_port_file = absl::StrCat(dir_, "/metrics.port");
  auto server = CarebridgeServer::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->metrics_port(), 0);
  EXPECT_EQ(ReadToken(config.metrics_port_file),
            absl::StrCat((*server)->metrics_port()));
  auto channel = ChannelTo(**server);
  const std::string admin = ReadToken((*server)->bootstrap_token_path());
  CreateTeam(*channel, admin, "Crisis team");
  EXPECT_EQ(RefusedCreateTeam(*channel, admin, {}).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  const std::string text = Scrape((*server)->metrics_port());
  EXPECT_THAT(text, HasSubstr(absl::StrCat(
                        "carebridge_rpc_calls_total{code=\"OK\",method=\"",
                        kCreateTeam, "\"} 1")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("carebridge_rpc_calls_total{code="
                                           "\"INVALID_ARGUMENT\",method=\"",
                                           kCreateTeam, "\"} 1")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat(
                        "carebridge_rpc_duration_seconds_count{method=\"",
                        kCreateTeam, "\"} 2")));
  // The team's creation is on the directory's feed; every hosted feed has
  // a head.
  EXPECT_THAT(text, ContainsRegex("carebridge_feed_head_sequence\\{feed="
                                  "\"directory\"\\} [1-9]"));
  for (const char* feed : {"referral", "careplan", "handover", "record"}) {
    EXPECT_THAT(text,
                HasSubstr(absl::StrCat("carebridge_feed_head_sequence{feed=\"",
                                       feed, "\"}")))
        << feed;
  }
  // The record service follows the other four feeds.
  for (const char* feed : {"directory", "referral", "careplan", "handover"}) {
    EXPECT_THAT(text, ContainsRegex(absl::StrCat(
                          "carebridge_consumer_lag_events\\{consumer=\"[^\"]+"
                          "\",feed=\"",
                          feed, "\"\\} [0-9]+")))
        << feed;
  }
  EXPECT_THAT(text, ContainsRegex("carebridge_consumer_following\\{"));
  EXPECT_THAT(text,
              ContainsRegex("carebridge_consumer_lag_current\\{consumer="
                            "\"record.referral\",feed=\"referral\"\\} [01]"));
  EXPECT_THAT(text, HasSubstr("carebridge_care_gaps_open{kind=\"BOUNCED\"} 0"));
  EXPECT_THAT(text, HasSubstr("carebridge_care_gaps_open{kind=\"NO_LEAD\"} 0"));
  EXPECT_THAT(
      text, HasSubstr("carebridge_escalations_total{service=\"referral\"} 0"));
  EXPECT_THAT(
      text, HasSubstr("carebridge_escalations_total{service=\"handover\"} 0"));
  EXPECT_THAT(text, ContainsRegex("carebridge_executor_queued_tasks [0-9]+"));
  EXPECT_THAT(text, ContainsRegex("carebridge_build_info\\{version=\"[0-9.]+\","
                                  "services=\"[a-z,]+\"\\} 1"));
  // The team's write committed in the directory's database.
  EXPECT_THAT(text, ContainsRegex("carebridge_db_commit_duration_seconds_count"
                                  "\\{database=\"directory\"\\} [1-9]"));
}

TEST_F(MetricsServerTest, AMetricsAddressInUseStopsTheStartWithAClearError) {
  ServerConfig first_config = Config("first");
  first_config.metrics_listen = "127.0.0.1:0";
  auto first = CarebridgeServer::Start(first_config);
  ASSERT_TRUE(first.ok()) << first.status();
  ServerConfig config = Config("second");
  config.metrics_listen = absl::StrCat("127.0.0.1:", (*first)->metrics_port());
  auto second = CarebridgeServer::Start(config);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("--metrics_listen"));
}

TEST_F(MetricsServerTest, EveryCallHasARequestIdGivenBackToTheCaller) {
  auto server = CarebridgeServer::Start(Config("all"));
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = ChannelTo(**server);
  const std::string admin = ReadToken((*server)->bootstrap_token_path());
  std::string returned;
  RefusedCreateTeam(*channel, admin, {{"x-request-id", "ward-7.call:42"}},
                    &returned);
  EXPECT_EQ(returned, "ward-7.call:42");
  // None given: one is made up.
  RefusedCreateTeam(*channel, admin, {}, &returned);
  EXPECT_THAT(returned, MatchesRegex("^[0-9a-f]{16}$"));
  // A W3C trace: its trace id.
  RefusedCreateTeam(
      *channel, admin,
      {{"traceparent",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"}},
      &returned);
  EXPECT_EQ(returned, "4bf92f3577b34da6a3ce929d0e0e4736");
  // An id unsafe to log is replaced, not passed on.
  RefusedCreateTeam(*channel, admin, {{"x-request-id", "a b\"c"}}, &returned);
  EXPECT_THAT(returned, MatchesRegex("^[0-9a-f]{16}$"));
}

TEST_F(MetricsServerTest, TheRequestIdFollowsTheCallToAnotherService) {
  std::unique_ptr<CarebridgeServer> directory;
  std::unique_ptr<CarebridgeServer> referral;
  ASSERT_NO_FATAL_FAILURE(StartDirectoryAndReferral(&directory, &referral));
  ReferralParties parties = MakeReferralParties(*directory);

  StderrCapture capture;
  auto stub = ref::ReferralService::NewStub(ChannelTo(*referral));
  grpc::ClientContext context;
  Authorize(context, parties.clinician);
  context.AddMetadata("x-request-id", "cross-service-1");
  ref::Referral created;
  grpc::Status status =
      stub->CreateReferral(&context, CrisisReferral(parties), &created);
  ASSERT_TRUE(status.ok()) << status.error_message();

  bool referral_line = false;
  bool directory_line = false;
  for (const std::string& line : capture.Lines()) {
    if (!absl::StrContains(line, "trace_id=cross-service-1")) continue;
    referral_line |= absl::StrContains(
        line, "/carebridge.referral.v1.ReferralService/CreateReferral");
    directory_line |=
        absl::StrContains(line, "/carebridge.directory.v1.DirectoryService/");
  }
  EXPECT_TRUE(referral_line);
  // The referral service asked the directory about the person and teams
  // under the same id.
  EXPECT_TRUE(directory_line);
}

}  // namespace
}  // namespace carebridge::server
