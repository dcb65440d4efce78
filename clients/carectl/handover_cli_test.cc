// `carectl handover …` end to end against a fake HandoverService: which
// calls each command makes, with what, and what it prints.

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "clients/carectl/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace hv = ::carebridge::handover::v1;
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

hv::Handover Stored() {
  hv::Handover h;
  h.set_name("handovers/h1");
  h.set_person("persons/p1");
  h.set_sending_team("teams/crisis");
  h.set_receiving_team("teams/cmht");
  h.set_kind(hv::TRANSFER_OF_RESPONSIBILITY);
  h.set_illness_severity(hv::WATCHER);
  h.set_situation("Settled");
  h.set_state(hv::PENDING);
  h.set_overdue(true);
  h.mutable_response_due_time()->set_seconds(1796083200);
  h.set_etag("1");
  return h;
}

// Answers every call with Stored() (AcceptHandover: `accept_status` when
// set), counting the calls and keeping the last request of each kind.
class FakeHandoverService : public hv::HandoverService::Service {
 public:
  grpc::Status CreateHandover(grpc::ServerContext*,
                              const hv::CreateHandoverRequest* request,
                              hv::Handover* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    create_ = *request;
    *response = Stored();
    return grpc::Status::OK;
  }
  grpc::Status GetHandover(grpc::ServerContext*,
                           const hv::GetHandoverRequest* request,
                           hv::Handover* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    get_ = *request;
    *response = Stored();
    return grpc::Status::OK;
  }
  grpc::Status ListHandovers(grpc::ServerContext*,
                             const hv::ListHandoversRequest* request,
                             hv::ListHandoversResponse* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    list_ = *request;
    *response->add_handovers() = Stored();
    return grpc::Status::OK;
  }
  grpc::Status AcceptHandover(grpc::ServerContext*,
                              const hv::AcceptHandoverRequest* request,
                              hv::Handover* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    accept_ = *request;
    if (!accept_status_.ok()) return accept_status_;
    *response = Stored();
    response->set_state(hv::ACCEPTED);
    *response->mutable_read_back() = request->read_back();
    return grpc::Status::OK;
  }
  grpc::Status DeclineHandover(grpc::ServerContext*,
                               const hv::DeclineHandoverRequest* request,
                               hv::Handover* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    decline_ = *request;
    *response = Stored();
    response->set_state(hv::DECLINED);
    return grpc::Status::OK;
  }
  grpc::Status CancelHandover(grpc::ServerContext*,
                              const hv::CancelHandoverRequest* request,
                              hv::Handover* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    cancel_ = *request;
    *response = Stored();
    response->set_state(hv::CANCELLED);
    return grpc::Status::OK;
  }

  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  void set_accept_status(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    accept_status_ = status;
  }
  hv::CreateHandoverRequest create() {
    absl::MutexLock lock(&mu_);
    return create_;
  }
  hv::GetHandoverRequest get() {
    absl::MutexLock lock(&mu_);
    return get_;
  }
  hv::ListHandoversRequest list() {
    absl::MutexLock lock(&mu_);
    return list_;
  }
  hv::AcceptHandoverRequest accept() {
    absl::MutexLock lock(&mu_);
    return accept_;
  }
  hv::DeclineHandoverRequest decline() {
    absl::MutexLock lock(&mu_);
    return decline_;
  }
  hv::CancelHandoverRequest cancel() {
    absl::MutexLock lock(&mu_);
    return cancel_;
  }

 private:
  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::Status accept_status_ ABSL_GUARDED_BY(mu_);
  hv::CreateHandoverRequest create_ ABSL_GUARDED_BY(mu_);
  hv::GetHandoverRequest get_ ABSL_GUARDED_BY(mu_);
  hv::ListHandoversRequest list_ ABSL_GUARDED_BY(mu_);
  hv::AcceptHandoverRequest accept_ ABSL_GUARDED_BY(mu_);
  hv::DeclineHandoverRequest decline_ ABSL_GUARDED_BY(mu_);
  hv::CancelHandoverRequest cancel_ ABSL_GUARDED_BY(mu_);
};

class HandoverCliTest : public ::testing::Test {
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

  FakeHandoverService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string server_flag_;
};

std::vector<std::string> CreateArgs(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"handover",          "create",
                                   "--person=p1",       "--to=cmht",
                                   "--kind=transfer",   "--urgency=crisis",
                                   "--severity=stable", "--situation=S",
                                   "--assessment=A",    "--recommendation=R"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST_F(HandoverCliTest, CreateFromFlagsSendsTheHandoverAndShowsIt) {
  Result r = Run(CreateArgs(
      {"--action=Review|cmht|2026-12-01", "--action=Call|crisis",
       "--contingency=If worse|Call the crisis line", "--request_id=rq-1"}));
  ASSERT_EQ(r.code, 0) << r.err;
  hv::CreateHandoverRequest request = service_.create();
  EXPECT_EQ(request.handover().receiving_team(), "teams/cmht");
  EXPECT_EQ(request.handover().actions_size(), 2);
  EXPECT_EQ(request.handover().contingencies(0).then_do(),
            "Call the crisis line");
  EXPECT_EQ(request.request_id(), "rq-1");
  EXPECT_THAT(r.out, HasSubstr("name:              handovers/h1\n"));
  EXPECT_THAT(r.out, HasSubstr("answer:            awaiting teams/cmht\n"));
}

TEST_F(HandoverCliTest, CreateFromFileSendsTheFile) {
  std::string path = ::testing::TempDir() + "/carectl_handover.json";
  std::ofstream(path) << R"({"person": "persons/p9", "kind": "INFORMATION_ONLY",
                             "situation": "From a file"})";
  Result r = Run({"--json", "handover", "create", "--from_file=" + path,
                  "--request_id=rq-9"});
  std::remove(path.c_str());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(service_.create().handover().person(), "persons/p9");
  EXPECT_EQ(service_.create().handover().kind(), hv::INFORMATION_ONLY);
  EXPECT_EQ(service_.create().request_id(), "rq-9");
  EXPECT_THAT(r.out, HasSubstr("\"name\": \"handovers/h1\""));
}

TEST_F(HandoverCliTest, UsageErrorsExitOneBeforeAnyCall) {
  std::string file = ::testing::TempDir() + "/carectl_handover_usage.json";
  std::ofstream(file) << R"({"person": "persons/p9"})";
  const std::pair<std::vector<std::string>, const char*> cases[] = {
      {{"handover", "create", "--to=cmht"}, "--person: required"},
      {{"handover", "create", "--person=p1", "--to=cmht", "--kind=handoff",
        "--urgency=crisis", "--severity=stable", "--situation=S",
        "--assessment=A", "--recommendation=R"},
       "--kind: 'handoff' is not one of"},
      {CreateArgs({"--action=Review"}),
       "--action: what and the owning team are required"},
      {CreateArgs({"--contingency=If worse"}),
       "--contingency: both parts are required"},
      {CreateArgs({"--from_file=" + file}),
       "--person: give either --from_file or the handover flags"},
      {{"handover", "create", "--from_file=/nonexistent/h.json"},
       "--from_file: "},
      {{"handover", "inbox", "--state=open"}, "--state: 'open' is not one of"},
      {{"handover", "sent", "--page_size=0"}, "--page_size: must be"},
      {{"handover", "decline", "h1"}, "--reason: required"},
      {{"handover", "cancel", "h1", "--reason="},
       "--reason: required, and must not be empty"},
      {{"handover", "accept", "h1", "--reason=x"}, "--reason: unknown flag"},
      {{"handover", "show"}, "missing NAME"},
      {{"handover", "hand"}, "unknown command 'handover hand'"},
  };
  for (const auto& [args, message] : cases) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 1) << message;
    EXPECT_THAT(r.err, HasSubstr(message));
  }
  std::remove(file.c_str());
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(HandoverCliTest, InboxListsWithMarkersAndFilters) {
  Result r = Run({"--utc", "handover", "inbox", "--state=pending", "--overdue",
                  "--person=p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(service_.list().mailbox(), hv::INBOX);
  EXPECT_THAT(service_.list().states(), ElementsAre(hv::PENDING));
  EXPECT_TRUE(service_.list().overdue_only());
  EXPECT_EQ(service_.list().person(), "persons/p1");
  EXPECT_THAT(r.out, HasSubstr("FROM"));
  EXPECT_THAT(r.out, HasSubstr("handovers/h1  persons/p1  teams/crisis  "
                               "transfer  watcher   pending  "
                               "2026-12-01T00:00:00Z  OVERDUE"));
  r = Run({"--name_only", "handover", "sent"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(service_.list().mailbox(), hv::SENT_BY_TEAM);
  EXPECT_EQ(r.out, "handovers/h1\n");
}

TEST_F(HandoverCliTest, ShowReadsTheHandover) {
  Result r = Run({"handover", "show", "h1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(service_.get().name(), "handovers/h1");
  EXPECT_THAT(r.out, HasSubstr("\nsituation:\n  Settled\n"));
}

TEST_F(HandoverCliTest, AcceptSendsTheReadBack) {
  Result r = Run({"handover", "accept", "h1", "--summary=Settled, low risk",
                  "--taking_on=Weekly calls", "--taking_on=Review",
                  "--note=Welcome", "--etag=1"});
  ASSERT_EQ(r.code, 0) << r.err;
  hv::AcceptHandoverRequest request = service_.accept();
  EXPECT_EQ(request.name(), "handovers/h1");
  EXPECT_EQ(request.etag(), "1");
  EXPECT_EQ(request.note(), "Welcome");
  EXPECT_EQ(request.read_back().summary(), "Settled, low risk");
  EXPECT_THAT(request.read_back().actions_taken_on(),
              ElementsAre("Weekly calls", "Review"));
  EXPECT_THAT(r.out, HasSubstr("state:             accepted\n"));
  EXPECT_THAT(r.out, HasSubstr("    - Weekly calls\n"));
}

TEST_F(HandoverCliTest, AcceptWithoutReadBackPrintsTheServersRefusal) {
  service_.set_accept_status(
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                   "read_back: must be set to accept a transfer of "
                   "responsibility"));
  Result r = Run({"handover", "accept", "h1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(service_.accept().has_read_back());
  EXPECT_THAT(r.err, HasSubstr("carectl: INVALID_ARGUMENT: read_back: must "
                               "be set to accept a transfer of "
                               "responsibility\n"));
  EXPECT_THAT(r.err, HasSubstr("--summary=TEXT"));
  EXPECT_EQ(r.out, "");
}

TEST_F(HandoverCliTest, OtherRefusalsGetNoReadBackHint) {
  service_.set_accept_status(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                          "only the receiving team"));
  Result r = Run({"handover", "accept", "h1", "--note=x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "carectl: PERMISSION_DENIED: only the receiving team\n");
}

TEST_F(HandoverCliTest, DeclineAndCancelSendTheReason) {
  Result r = Run({"handover", "decline", "h1", "--reason=No capacity"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(service_.decline().name(), "handovers/h1");
  EXPECT_EQ(service_.decline().reason(), "No capacity");
  EXPECT_THAT(r.out, HasSubstr("state:             declined\n"));
  r = Run({"handover", "cancel", "handovers/h1", "--reason=Sent in error",
           "--etag=1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(service_.cancel().reason(), "Sent in error");
  EXPECT_EQ(service_.cancel().etag(), "1");
}

TEST(HandoverCliHelpTest, HelpListsTheCommands) {
  Result r = Carectl({"help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("handover create|inbox|sent|show|accept|decline|"
                               "cancel\n"));
  r = Carectl({"handover", "help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("--kind=transfer|shared|info"));
  EXPECT_THAT(r.out, HasSubstr("carectl handover accept NAME [--summary=TEXT] "
                               "[--taking_on=TEXT]..."));
  EXPECT_THAT(r.out, Not(HasSubstr("carectl referral")));
}

}  // namespace
}  // namespace carebridge::carectl
