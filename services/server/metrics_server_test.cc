// The process's metrics (--metrics_listen) and request ids, end to end
// through a started server.
#include <httplib.h>
#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "services/server/server_test_fixture.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/stderr_capture.h"

namespace carebridge::server {
namespace {

namespace ref = ::carebridge::referral::v1;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr char kCreateTeam[] =
    "/carebridge.directory.v1.DirectoryService/CreateTeam";
constexpr char kGetTeam[] = "/carebridge.directory.v1.DirectoryService/GetTeam";
constexpr char kQueuedTasks[] = "carebridge_executor_queued_tasks";

// The value of `series` (its name and labels as exposed) in a scrape's
// `text`; nullopt when the scrape has no such series.
std::optional<double> SampleOf(absl::string_view text,
                               absl::string_view series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, series) ||
        !absl::ConsumePrefix(&line, " ")) {
      continue;
    }
    double value;
    if (absl::SimpleAtod(line, &value)) return value;
  }
  return std::nullopt;
}

// carebridge_rpc_calls_total's series for `method` answered OK.
std::string CallsAnsweredOk(absl::string_view method) {
  return absl::StrCat("carebridge_rpc_calls_total{code=\"OK\",method=\"",
                      method, "\"}");
}

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

  // A process hosting the directory alone, its metrics on a free port.
  ServerConfig DirectoryWithMetrics() {
    ServerConfig config = Config("directory");
    config.services = {"directory"};
    config.metrics_listen = "127.0.0.1:0";
    return config;
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

// A copy of the directory's newest audit record put after it, in its
// SQLite file or PostgreSQL schema, as someone with the database (not the
// audit key) could: the log's head is left behind it.
void InsertPastTheDirectoryLogsHead(const ServerConfig& config) {
  const std::string log = config.database.empty() ? "" : "directory.";
  const std::string sql = absl::StrCat(
      "INSERT INTO ", log,
      "audit_log SELECT seq + 1, time_us, actor, team, role, on_behalf_of, "
      "method, resource, person, sections, reason, outcome, prev, hash FROM ",
      log, "audit_log WHERE seq = (SELECT MAX(seq) FROM ", log, "audit_log)");
  if (!config.database.empty()) {
    ASSERT_TRUE(
        ::carebridge::testing::RunPostgresAdmin(config.database, sql).ok());
    return;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((config.data_dir + "/directory.db").c_str(), &db),
            SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// Every audit append is counted by log and code, and timed: a call's
// record written with its change, a read's on its own. When the log was
// altered so that it takes no more records, the calls fail DATA_LOSS
// saying so (not "try again"), and the appends are counted as such.
TEST_F(MetricsServerTest, AuditAppendsAreCountedAndAnAlteredLogsFailures) {
  const ServerConfig config = DirectoryWithMetrics();
  auto server = CarebridgeServer::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->metrics_port();
  auto channel = ChannelTo(**server);
  const std::string admin = ReadToken((*server)->bootstrap_token_path());
  auto stub = dir::DirectoryService::NewStub(channel);
  auto get_team = [&](const std::string& name) {
    grpc::ClientContext context;
    Authorize(context, admin);
    dir::GetTeamRequest request;
    request.set_name(name);
    dir::Team team;
    return stub->GetTeam(&context, request, &team);
  };
  const std::string appended_ok =
      "carebridge_audit_appends_total{code=\"OK\",log=\"directory\"}";
  const std::string altered =
      "carebridge_audit_appends_total{code=\"DATA_LOSS\",log=\"directory\"}";
  const std::string timed =
      "carebridge_audit_append_duration_seconds_count{log=\"directory\"}";

  const dir::Team team = CreateTeam(*channel, admin, "Crisis team");
  ASSERT_TRUE(get_team(team.name()).ok());
  std::string text = Scrape(port);
  // The team's creation and the read, at least (the process's own
  // subscriptions to the directory's feed are recorded too).
  const std::optional<double> ok_before = SampleOf(text, appended_ok);
  ASSERT_TRUE(ok_before.has_value()) << text;
  EXPECT_GE(*ok_before, 2);
  EXPECT_GE(SampleOf(text, timed).value_or(0), *ok_before);
  // There from the log's first append, at 0: its first failure is an
  // increase an alert sees.
  EXPECT_EQ(SampleOf(text, altered), std::optional<double>(0)) << text;

  ASSERT_NO_FATAL_FAILURE(InsertPastTheDirectoryLogsHead(config));
  grpc::Status read = get_team(team.name());
  EXPECT_EQ(read.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_THAT(read.error_message(),
              HasSubstr("this access could not be recorded, so nothing was "
                        "returned: the audit log was altered"));
  EXPECT_THAT(read.error_message(), HasSubstr("carectl admin audit verify"));
  EXPECT_THAT(read.error_message(), Not(HasSubstr("try again")));
  grpc::ClientContext context;
  Authorize(context, admin);
  dir::CreateTeamRequest create;
  create.mutable_team()->set_display_name("Night team");
  create.mutable_team()->set_sector(dir::CRISIS);
  dir::Team night;
  grpc::Status write = stub->CreateTeam(&context, create, &night);
  EXPECT_EQ(write.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_THAT(write.error_message(), HasSubstr("the audit log was altered"));

  text = Scrape(port);
  // The read's record; the write's, with its change, and then the record
  // of its failure.
  EXPECT_GE(SampleOf(text, altered).value_or(0), 3) << text;
  EXPECT_EQ(SampleOf(text, absl::StrCat("carebridge_rpc_calls_total{code="
                                        "\"DATA_LOSS\",method=\"",
                                        kGetTeam, "\"}")),
            1);
}

// Calls made through the HTTP front, in JSON or FHIR, are the services'
// own calls and counted as any other.
TEST_F(MetricsServerTest, CallsThroughTheHttpFrontAreCounted) {
  ServerConfig config = Config("all");
  config.metrics_listen = "127.0.0.1:0";
  config.http_listen = "127.0.0.1:0";
  auto server = CarebridgeServer::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  const int metrics_port = (*server)->metrics_port();
  const std::string before = Scrape(metrics_port);
  EXPECT_EQ(SampleOf(before, CallsAnsweredOk(kCreateTeam)), std::nullopt);
  EXPECT_EQ(SampleOf(before, CallsAnsweredOk(kGetTeam)), std::nullopt);

  httplib::Client http("127.0.0.1", (*server)->http_port());
  const httplib::Headers as_admin = {
      {"Authorization",
       absl::StrCat("Bearer ", ReadToken((*server)->bootstrap_token_path()))}};
  httplib::Result created = http.Post(
      "/v1/teams", as_admin,
      R"({"displayName":"North CMHT","sector":"COMMUNITY_MENTAL_HEALTH"})",
      "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 200) << created->body;
  dir::Team team;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(created->body, &team).ok())
      << created->body;
  // teams/{id} is FHIR's Organization/{id}.
  absl::string_view id = team.name();
  ASSERT_TRUE(absl::ConsumePrefix(&id, "teams/")) << team.name();
  httplib::Result organization =
      http.Get(absl::StrCat("/fhir/Organization/", id), as_admin);
  ASSERT_TRUE(organization);
  ASSERT_EQ(organization->status, 200) << organization->body;

  const std::string after = Scrape(metrics_port);
  EXPECT_EQ(SampleOf(after, CallsAnsweredOk(kCreateTeam)), 1);
  EXPECT_EQ(SampleOf(after, CallsAnsweredOk(kGetTeam)), 1);
  EXPECT_EQ(
      SampleOf(after,
               absl::StrCat("carebridge_rpc_duration_seconds_count{method=\"",
                            kGetTeam, "\"}")),
      1);
}

// The gauge reads the executor the process's calls run on: with each of its
// threads held, what is posted after waits and is counted; once they are
// let go, it drains to 0.
TEST_F(MetricsServerTest, TheExecutorQueueGaugeCountsWorkWaitingForAThread) {
  const ServerConfig config = DirectoryWithMetrics();
  auto server = CarebridgeServer::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->metrics_port();
  const std::string idle = Scrape(port);
  EXPECT_THAT(idle, HasSubstr(absl::StrCat("# TYPE ", kQueuedTasks, " gauge")));
  EXPECT_EQ(SampleOf(idle, kQueuedTasks), 0);

  // Shared with the tasks, which may run after this test's locals are gone
  // (the executor runs what it holds when the server goes).
  struct Held {
    absl::Mutex mu;
    int started ABSL_GUARDED_BY(mu) = 0;
    int finished ABSL_GUARDED_BY(mu) = 0;
    absl::Notification release;
  };
  auto held = std::make_shared<Held>();
  absl::Cleanup release_however_this_ends = [held] {
    if (!held->release.HasBeenNotified()) held->release.Notify();
  };
  // BlockingExecutor's default number of threads, each held by a task, and
  // three tasks more, which wait.
  constexpr int kThreads = 64;
  constexpr int kWaiting = 3;
  BlockingExecutor& executor = (*server)->executor();
  for (int i = 0; i < kThreads + kWaiting; ++i) {
    ASSERT_TRUE(executor
                    .Post([held] {
                      {
                        absl::MutexLock lock(&held->mu);
                        ++held->started;
                      }
                      held->release.WaitForNotification();
                      absl::MutexLock lock(&held->mu);
                      ++held->finished;
                    })
                    .ok());
  }
  {
    absl::MutexLock lock(&held->mu);
    ASSERT_TRUE(held->mu.AwaitWithTimeout(
        absl::Condition(
            +[](int* started) { return *started >= kThreads; }, &held->started),
        absl::Seconds(60)))
        << "not every executor thread took a task (fewer than " << kThreads
        << "?)";
  }
  // Nothing leaves the queue while every thread is held; anything else the
  // process posts meanwhile only adds to it.
  const size_t queued_before = executor.queued();
  const std::optional<double> gauge = SampleOf(Scrape(port), kQueuedTasks);
  const size_t queued_after = executor.queued();
  EXPECT_GE(queued_before, kWaiting)
      << "the executor has more than " << kThreads << " threads?";
  ASSERT_TRUE(gauge.has_value());
  EXPECT_GE(*gauge, queued_before);
  EXPECT_LE(*gauge, queued_after);

  held->release.Notify();
  {
    absl::MutexLock lock(&held->mu);
    ASSERT_TRUE(held->mu.AwaitWithTimeout(
        absl::Condition(
            +[](int* finished) { return *finished == kThreads + kWaiting; },
            &held->finished),
        absl::Seconds(60)));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (SampleOf(Scrape(port), kQueuedTasks) != 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(SampleOf(Scrape(port), kQueuedTasks), 0);
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
