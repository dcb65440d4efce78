#ifndef CAREBRIDGE_TESTS_COMMON_FEED_TEST_ENV_H_
#define CAREBRIDGE_TESTS_COMMON_FEED_TEST_ENV_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "carebridge/events/v1/events.pb.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "carebridge/testing/v1/feed_testing.grpc.pb.h"
#include "services/common/event_feed_grpc.h"
#include "services/common/event_log.h"
#include "services/common/macros.h"
#include "services/common/sqlite_db.h"
#include "services/common/sqlite_event_log.h"
#include "tests/support/eventually.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

namespace carebridge::testing {

// An event log that counts the bytes of events read through it: how a test
// sees how far ahead of its subscriber a feed reads.
class CountingEventLog : public EventLog {
 public:
  explicit CountingEventLog(EventLog* inner)
      : EventLog(inner->feed()), inner_(inner) {}

  absl::StatusOr<Slice> ReadSlice(int64_t after, int limit,
                                  size_t max_bytes) override {
    absl::StatusOr<Slice> slice = inner_->ReadSlice(after, limit, max_bytes);
    if (slice.ok()) {
      for (const events::v1::Event& event : slice->events) {
        bytes_read_.fetch_add(static_cast<int64_t>(event.ByteSizeLong()));
      }
    }
    return slice;
  }
  absl::StatusOr<FeedHead> ReadHead() override { return inner_->ReadHead(); }
  absl::StatusOr<std::string> Epoch() override { return inner_->Epoch(); }

  int64_t bytes_read() const { return bytes_read_.load(); }

 private:
  EventLog* const inner_;
  std::atomic<int64_t> bytes_read_{0};
};

// A service with nothing but Subscribe, served by ServeEventFeed: the one
// line every real service's Subscribe is.
class FeedTestingServiceImpl
    : public testing::v1::FeedTestingService::CallbackService {
 public:
  FeedTestingServiceImpl(const Environment& env, EventLog* log)
      : env_(env), log_(log) {}

  grpc::ServerWriteReactor<events::v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context,
      const events::v1::SubscribeRequest* request) override {
    return ServeEventFeed(context, request, *env_.authenticator, log_,
                          env_.executor);
  }

 private:
  const Environment& env_;
  EventLog* const log_;
};

// A producer: an SQLite outbox in a directory that outlives servers, served
// by a TestServer that can be stopped and replaced (a restarted process on
// the same database).
class FeedTestEnv : public ::testing::Test {
 protected:
  static constexpr char kFeed[] = "referral";
  static constexpr char kTeamA[] = "teams/a";
  static constexpr char kTeamB[] = "teams/b";

  void SetUp() override { StartProducer(); }

  void TearDown() override { StopProducer(); }

  // Opens the outbox and serves it on a new server.
  void StartProducer() {
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(dir_.File("producer.db"), ProducerMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    sqlite_log_ = std::make_unique<SqliteEventLog>(kFeed, db_.get());
    log_ = std::make_unique<CountingEventLog>(sqlite_log_.get());
    server_ = std::make_unique<TestServer>();
    service_ =
        std::make_unique<FeedTestingServiceImpl>(server_->env(), log_.get());
    server_->host().AddService(service_.get(),
                               "carebridge.testing.v1.FeedTestingService");
    BeforeStart(*server_);
    server_->Start();
    absl::MutexLock lock(&mu_);
    // Old channels stay alive: a consumer's stream may still be on one.
    channels_.push_back(server_->Channel());
    stub_ = testing::v1::FeedTestingService::NewStub(channels_.back());
  }

  // Called with each new server before it starts (its authenticator set
  // up, say).
  virtual void BeforeStart(TestServer& server) { (void)server; }

  static std::vector<Migration> ProducerMigrations() {
    return {{1, kOutboxSchemaSql}, {2, kOutboxEpochSchemaSql}};
  }

  // With the producer stopped: copies its database aside (a backup), or
  // puts the copy back (a restore), or removes it (a new, empty database
  // with another epoch is made on the next start).
  void CopyProducerDatabase(const std::string& from, const std::string& to) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::remove((to + suffix).c_str());
      std::ifstream in(from + suffix, std::ios::binary);
      if (!in) continue;
      std::ofstream out(to + suffix, std::ios::binary);
      out << in.rdbuf();
    }
  }
  void BackUpProducer() {
    CopyProducerDatabase(dir_.File("producer.db"), dir_.File("backup.db"));
  }
  void RestoreProducer() {
    CopyProducerDatabase(dir_.File("backup.db"), dir_.File("producer.db"));
  }
  void RemoveProducerDatabase() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::remove((dir_.File("producer.db") + suffix).c_str());
    }
  }
  std::string ProducerEpoch() {
    absl::StatusOr<std::string> epoch = log_->Epoch();
    EXPECT_TRUE(epoch.ok()) << epoch.status();
    return epoch.value_or("");
  }

  // What a stopping process does: the log ends its feeds, then the server
  // goes.
  void StopProducer() {
    if (server_ == nullptr) return;
    log_->Shutdown();
    server_->Stop();
    server_.reset();
    service_.reset();
    log_.reset();
    sqlite_log_.reset();
    db_.reset();
  }

  // Commits one event about a referral between `teams` (a write of its own,
  // then the commit notification, as a store does). Returns its sequence.
  int64_t Commit(absl::string_view type,
                 std::vector<std::string> teams = {kTeamA, kTeamB},
                 size_t reason_bytes = 0) {
    referral::v1::Referral referral;
    referral.set_name(absl::StrCat("referrals/r", ++commits_));
    referral.set_person("persons/p1");
    referral.set_reason(std::string(reason_bytes, 'r'));
    events::v1::Event event =
        MakeEvent(type, referral.name(), referral.person(), std::move(teams),
                  "members/m1", absl::FromUnixSeconds(1767225600), referral);
    int64_t sequence = 0;
    absl::Status status = db_->Write([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(sequence, SqliteEventLog::Append(conn, event));
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    log_->NotifyCommitted();
    return sequence;
  }

  // Commits `type` events into the database while no server runs.
  void CommitWhileDown(absl::string_view type, int count) {
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(dir_.File("producer.db"), ProducerMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE((*db)
                      ->Write([&](Connection& conn) {
                        return SqliteEventLog::Append(
                                   conn, MakeEvent(type, "referrals/down", "",
                                                   {kTeamA}, "members/m1",
                                                   absl::UnixEpoch(),
                                                   referral::v1::Referral()))
                            .status();
                      })
                      .ok());
    }
  }

  std::unique_ptr<grpc::ClientReader<events::v1::SubscribeResponse>> Subscribe(
      grpc::ClientContext* context,
      const events::v1::SubscribeRequest& request) {
    absl::MutexLock lock(&mu_);
    return stub_->Subscribe(context, request);
  }

  static Principal Service() {
    Principal service;
    service.subject = "services/careplan";
    service.role = Role::kService;
    return service;
  }
  static Principal StaffOf(absl::string_view team) {
    return TestServer::Member("members/staff", team);
  }

  TempDir dir_;
  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<SqliteEventLog> sqlite_log_;
  // What the feed serves: the SQLite log, counting what the feed reads.
  std::unique_ptr<CountingEventLog> log_;
  std::unique_ptr<FeedTestingServiceImpl> service_;
  std::unique_ptr<TestServer> server_;
  std::atomic<int> commits_{0};

  absl::Mutex mu_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<testing::v1::FeedTestingService::Stub> stub_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge::testing

#endif  // CAREBRIDGE_TESTS_COMMON_FEED_TEST_ENV_H_
