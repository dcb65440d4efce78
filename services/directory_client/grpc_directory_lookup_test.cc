#include "services/directory_client/grpc_directory_lookup.h"

#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "services/common/status.h"
#include "services/common/time_util.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/test_server.h"

namespace carebridge::directory_client {
namespace {

namespace dir = ::carebridge::directory::v1;

using ::testing::HasSubstr;

// A directory that knows a few teams and persons and remembers who called.
class FakeDirectoryService : public dir::DirectoryService::Service {
 public:
  explicit FakeDirectoryService(const Authenticator* authenticator)
      : authenticator_(authenticator) {}

  grpc::Status GetTeam(grpc::ServerContext* context,
                       const dir::GetTeamRequest* request,
                       dir::Team* response) override {
    grpc::Status auth = Authenticate(*context);
    if (!auth.ok()) return auth;
    if (!refusal.ok()) return refusal;
    auto it = teams.find(request->name());
    if (it == teams.end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such team");
    }
    *response = it->second;
    return grpc::Status::OK;
  }
  grpc::Status GetPerson(grpc::ServerContext* context,
                         const dir::GetPersonRequest* request,
                         dir::Person* response) override {
    grpc::Status auth = Authenticate(*context);
    if (!auth.ok()) return auth;
    if (request->name() != "persons/known") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such person");
    }
    response->set_name(request->name());
    if (tokens_valid_after.has_value()) {
      *response->mutable_tokens_valid_after() =
          ToProtoTimestamp(*tokens_valid_after);
    }
    return grpc::Status::OK;
  }
  grpc::Status RevokePersonTokens(
      grpc::ServerContext* context, const dir::RevokePersonTokensRequest* r,
      dir::PersonTokenRevocation* revocation) override {
    grpc::Status auth = Authenticate(*context);
    if (!auth.ok()) return auth;
    if (!refusal.ok()) return refusal;
    if (r->reason().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "reason: must be set");
    }
    revocation->set_person(r->name());
    revocation->set_token_id(r->token_id());
    revocation->set_reason(r->reason());
    return grpc::Status::OK;
  }

  Principal last_caller() {
    absl::MutexLock lock(&mu_);
    return last_caller_;
  }

  std::map<std::string, dir::Team> teams;
  // persons/known's (Person.tokens_valid_after), when set.
  std::optional<absl::Time> tokens_valid_after;
  grpc::Status refusal = grpc::Status::OK;

 private:
  grpc::Status Authenticate(const grpc::ServerContext& context) {
    absl::StatusOr<Principal> caller = authenticator_->Authenticate(context);
    if (!caller.ok()) return ToGrpcStatus(caller.status());
    absl::MutexLock lock(&mu_);
    last_caller_ = *caller;
    return grpc::Status::OK;
  }

  const Authenticator* authenticator_;
  absl::Mutex mu_;
  Principal last_caller_;
};

class GrpcDirectoryLookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir::Team crisis;
    crisis.set_name("teams/crisis");
    crisis.set_display_name("Crisis team");
    crisis.set_accepting_referrals(true);
    *crisis.mutable_response_deadlines()->mutable_crisis() =
        ToProtoDuration(absl::Minutes(90));
    *crisis.mutable_response_deadlines()->mutable_urgent() =
        ToProtoDuration(absl::Hours(20));
    *crisis.mutable_response_deadlines()->mutable_routine() =
        ToProtoDuration(absl::Hours(100));
    directory_.teams["teams/crisis"] = crisis;
    dir::Team bare;
    bare.set_name("teams/bare");
    bare.set_display_name("No deadlines set");
    directory_.teams["teams/bare"] = bare;
    server_.host().AddService(&directory_, "carebridge.directory.v1.Fake");
    server_.Start();
    lookup_ = std::make_unique<GrpcDirectoryLookup>(
        "services/referral",
        [this] {
          ++channel_requests_;
          return server_.Channel();
        },
        server_.env().signer, &server_.clock());
  }

  // The server stops before the service it hosts is destroyed.
  void TearDown() override { server_.Stop(); }

  testing::TestServer server_;
  FakeDirectoryService directory_{server_.env().authenticator};
  std::atomic<int> channel_requests_{0};
  std::unique_ptr<GrpcDirectoryLookup> lookup_;
};

TEST_F(GrpcDirectoryLookupTest, ReadsTheTeamAndItsDeadlines) {
  ASSERT_OK_AND_ASSIGN(TeamInfo team, lookup_->GetTeam("teams/crisis"));
  EXPECT_EQ(team.name, "teams/crisis");
  EXPECT_EQ(team.display_name, "Crisis team");
  EXPECT_TRUE(team.accepting_referrals);
  EXPECT_EQ(team.crisis_deadline, absl::Minutes(90));
  EXPECT_EQ(team.urgent_deadline, absl::Hours(20));
  EXPECT_EQ(team.routine_deadline, absl::Hours(100));
}

TEST_F(GrpcDirectoryLookupTest, UnsetDeadlinesTakeTheDefaults) {
  ASSERT_OK_AND_ASSIGN(TeamInfo team, lookup_->GetTeam("teams/bare"));
  EXPECT_FALSE(team.accepting_referrals);
  EXPECT_EQ(team.crisis_deadline, absl::Hours(4));
  EXPECT_EQ(team.urgent_deadline, absl::Hours(72));
  EXPECT_EQ(team.routine_deadline, absl::Hours(14 * 24));
}

TEST_F(GrpcDirectoryLookupTest, NotFoundNamesTheResource) {
  absl::Status team = lookup_->GetTeam("teams/ghost").status();
  EXPECT_EQ(team.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(team.message()), HasSubstr("teams/ghost"));
  absl::Status person = lookup_->CheckPersonExists("persons/ghost");
  EXPECT_EQ(person.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(person.message()), HasSubstr("persons/ghost"));
  ASSERT_OK(lookup_->CheckPersonExists("persons/known"));
}

TEST_F(GrpcDirectoryLookupTest, CallsAsTheGivenServiceIdentity) {
  ASSERT_OK(lookup_->GetTeam("teams/crisis").status());
  Principal caller = directory_.last_caller();
  EXPECT_EQ(caller.subject, "services/referral");
  EXPECT_EQ(caller.role, Role::kService);
  EXPECT_TRUE(caller.team.empty());
}

TEST_F(GrpcDirectoryLookupTest, RenewsItsTokenBeforeItExpires) {
  ASSERT_OK(lookup_->GetTeam("teams/crisis").status());
  absl::Time first_expiry = directory_.last_caller().expire_time;
  server_.clock().Advance(absl::Hours(2));
  ASSERT_OK(lookup_->GetTeam("teams/crisis").status());
  EXPECT_GT(directory_.last_caller().expire_time, first_expiry);
}

TEST_F(GrpcDirectoryLookupTest, RefusedCredentialsAreInternalNotTheCallers) {
  directory_.refusal =
      grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "services may not");
  absl::Status status = lookup_->GetTeam("teams/crisis").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(status.message()), HasSubstr("services may not"));
}

// The directory's part in a person's own tokens: when they were last all
// ended, and ending them, asked as the service.
TEST_F(GrpcDirectoryLookupTest, PersonTokensAreAskedOfTheDirectory) {
  ASSERT_OK_AND_ASSIGN(absl::Time never,
                       lookup_->TokensValidAfter("persons/known"));
  EXPECT_EQ(never, absl::InfinitePast());
  const absl::Time revoked = absl::FromUnixSeconds(1767225600);
  directory_.tokens_valid_after = revoked;
  ASSERT_OK_AND_ASSIGN(absl::Time valid_after,
                       lookup_->TokensValidAfter("persons/known"));
  EXPECT_EQ(valid_after, revoked);
  EXPECT_EQ(lookup_->TokensValidAfter("persons/ghost").status().code(),
            absl::StatusCode::kNotFound);

  dir::RevokePersonTokensRequest request;
  request.set_name("persons/known");
  request.set_token_id("t1");
  request.set_reason("phone lost");
  ASSERT_OK_AND_ASSIGN(dir::PersonTokenRevocation revocation,
                       lookup_->Revoke(request));
  EXPECT_EQ(revocation.token_id(), "t1");
  EXPECT_EQ(directory_.last_caller().subject, "services/referral");
  // The directory's refusal of the request is passed on, naming it.
  request.clear_reason();
  absl::Status invalid = lookup_->Revoke(request).status();
  EXPECT_EQ(invalid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(invalid.message()), HasSubstr("reason"));
  // A refusal of the service itself is its own misconfiguration.
  directory_.refusal =
      grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "services may not");
  EXPECT_EQ(lookup_->Revoke(request).status().code(),
            absl::StatusCode::kInternal);
}

TEST_F(GrpcDirectoryLookupTest, AsksForTheChannelOnFirstUseOnly) {
  EXPECT_EQ(channel_requests_, 0);
  ASSERT_OK(lookup_->GetTeam("teams/crisis").status());
  ASSERT_OK(lookup_->CheckPersonExists("persons/known"));
  EXPECT_EQ(channel_requests_, 1);
}

TEST(GrpcDirectoryLookupWithoutChannelTest, NoChannelYetIsUnavailable) {
  FakeClock clock;
  TokenSigner signer(std::string(32, 'k'));
  GrpcDirectoryLookup lookup(
      "services/referral", [] { return nullptr; }, &signer, &clock);
  EXPECT_EQ(lookup.GetTeam("teams/crisis").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(GrpcDirectoryLookupWithoutChannelTest, UnreachableDirectoryIsUnavailable) {
  FakeClock clock;
  TokenSigner signer(std::string(32, 'k'));
  GrpcDirectoryLookup lookup(
      "services/referral",
      [] {
        return grpc::CreateChannel("127.0.0.1:1",
                                   grpc::InsecureChannelCredentials());
      },
      &signer, &clock);
  absl::Status status = lookup.CheckPersonExists("persons/p");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr("directory"));
}

}  // namespace
}  // namespace carebridge::directory_client
