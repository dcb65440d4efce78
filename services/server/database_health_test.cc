// A service's database lost and back while the process runs, and a
// database that cannot be reached at start: on PostgreSQL, where the
// database is another process (issue 15, "Bad input and faults").
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "services/common/macros.h"
#include "services/server/server_test_fixture.h"
#include "tests/support/pg_test_database.h"

namespace carebridge::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kDirectory[] = "carebridge.directory.v1.DirectoryService";

class DatabaseHealthTest : public ServerTestFixture {
 protected:
  void SetUp() override {
    ServerTestFixture::SetUp();
    absl::StatusOr<std::string> url =
        testing::CreateTestPostgresDatabase("cb_health");
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
    dbname_ = url_.substr(url_.rfind('/') + 1);
    absl::StatusOr<std::string> admin = testing::TestPostgresUrl();
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = *admin;
  }
  void TearDown() override {
    if (!url_.empty()) {
      (void)Connections(true);
      EXPECT_TRUE(testing::DropTestPostgresDatabase(url_).ok());
    }
    ServerTestFixture::TearDown();
  }

  // Lets connections to the test's database in (or keeps them out and
  // ends those open): the database as lost or back, seen from the server.
  absl::Status Connections(bool allowed) {
    RETURN_IF_ERROR(testing::RunPostgresAdmin(
        admin_,
        absl::StrCat("ALTER DATABASE ", dbname_, " WITH ALLOW_CONNECTIONS ",
                     allowed ? "true" : "false")));
    if (allowed) return absl::OkStatus();
    return testing::RunPostgresAdmin(
        admin_, absl::StrCat("SELECT pg_terminate_backend(pid) FROM "
                             "pg_stat_activity WHERE datname = '",
                             dbname_, "'"));
  }

  // Waits up to 20 s for `service`'s health to become `want`.
  static bool AwaitHealth(grpc::Channel& channel, const std::string& service,
                          HealthCheckResponse::ServingStatus want) {
    for (int i = 0; i < 400; ++i) {
      if (HealthOf(channel, service) == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string url_;
  std::string dbname_;
  std::string admin_;
};

TEST_F(DatabaseHealthTest, LostDatabaseIsNotServingAndUnavailableThenRecovers) {
  ServerConfig config = Config("all");
  config.database = url_;
  config.services = {"directory", "referral"};
  config.database_check_interval = absl::Milliseconds(100);
  absl::StatusOr<std::unique_ptr<CarebridgeServer>> server =
      CarebridgeServer::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = ChannelTo(**server);
  const std::string admin = ReadToken((*server)->bootstrap_token_path());
  const dir::Team before = CreateTeam(*channel, admin, "Before the outage");
  EXPECT_EQ(HealthOf(*channel, kDirectory), HealthCheckResponse::SERVING);

  ASSERT_TRUE(Connections(false).ok());
  EXPECT_TRUE(
      AwaitHealth(*channel, kDirectory, HealthCheckResponse::NOT_SERVING));
  EXPECT_EQ(HealthOf(*channel, ""), HealthCheckResponse::NOT_SERVING);
  grpc::Status refused;
  {
    auto stub = dir::DirectoryService::NewStub(channel);
    grpc::ClientContext context;
    Authorize(context, admin);
    dir::CreateTeamRequest request;
    request.mutable_team()->set_display_name("During the outage");
    request.mutable_team()->set_sector(dir::CRISIS);
    dir::Team team;
    refused = stub->CreateTeam(&context, request, &team);
  }
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE)
      << refused.error_message();
  EXPECT_THAT(refused.error_message(), Not(HasSubstr("postgres:")));

  // Back, without a restart: serving again, the earlier write there.
  ASSERT_TRUE(Connections(true).ok());
  EXPECT_TRUE(AwaitHealth(*channel, kDirectory, HealthCheckResponse::SERVING));
  // The whole server once every service's database answered its check.
  EXPECT_TRUE(AwaitHealth(*channel, "", HealthCheckResponse::SERVING));
  {
    auto stub = dir::DirectoryService::NewStub(channel);
    grpc::ClientContext context;
    Authorize(context, admin);
    dir::GetTeamRequest request;
    request.set_name(before.name());
    dir::Team team;
    grpc::Status status = stub->GetTeam(&context, request, &team);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(team.display_name(), "Before the outage");
  }
  CreateTeam(*channel, admin, "After the outage");
}

TEST_F(DatabaseHealthTest, UnreachableDatabaseAtStartIsAClearError) {
  ServerConfig config = Config("all");
  config.database = "postgresql://carebridge:secret-pw@127.0.0.1:1/carebridge";
  absl::StatusOr<std::unique_ptr<CarebridgeServer>> server =
      CarebridgeServer::Start(config);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(server.status().message(), HasSubstr("127.0.0.1:1"));
  EXPECT_THAT(server.status().message(), Not(HasSubstr("secret-pw")));
}

}  // namespace
}  // namespace carebridge::server
