// A feed whose service's audit log cannot be appended (FeedAudit): a
// service identity's stream keeps flowing (the directory's feed carries
// token revocations to every process) and is recorded once the log takes
// appends again; anyone else's stream is refused before anything leaves.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/common/database.h"
#include "services/common/sqlite_db.h"
#include "tests/common/feed_test_env.h"
#include "tests/support/eventually.h"

namespace carebridge::testing {
namespace {

using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// An audited database whose audit appends fail while `failing` is set (a
// full or unreachable disk); everything else is the inner database's.
class FlakyAuditLog : public Database {
 public:
  explicit FlakyAuditLog(Database* inner) : inner_(inner) {}

  absl::Status Write(absl::FunctionRef<absl::Status(Connection&)> fn) override {
    return inner_->Write(fn);
  }
  absl::Status Read(absl::FunctionRef<absl::Status(Connection&)> fn) override {
    return inner_->Read(fn);
  }
  absl::string_view engine() const override { return inner_->engine(); }
  int schema_version() const override { return inner_->schema_version(); }
  bool audited() const override { return true; }
  absl::Status AppendAudit(const std::vector<AuditRecord>& records) override {
    if (failing) return Failure();
    return inner_->AppendAudit(records);
  }
  void AppendAuditAsync(std::vector<AuditRecord> records,
                        absl::AnyInvocable<void(absl::Status)> done) override {
    if (failing) {
      std::move(done)(Failure());
      return;
    }
    inner_->AppendAuditAsync(std::move(records), std::move(done));
  }
  absl::StatusOr<std::vector<AuditRecord>> ListAuditForPerson(
      absl::string_view person, int64_t before_seq, int limit) override {
    return inner_->ListAuditForPerson(person, before_seq, limit);
  }

  std::atomic<bool> failing{false};

 private:
  static absl::Status Failure() {
    return absl::UnavailableError("disk full (test)");
  }

  Database* const inner_;
};

class EventFeedAuditOutageTest : public FeedTestEnv {
 protected:
  static constexpr char kSubscribe[] = "carebridge.referral.v1.Subscribe";

  void BeforeStart(TestServer& server) override {
    if (audit_db_ == nullptr) {
      SqliteDb::Options options;
      options.audit_key = server.env().audit_key;
      absl::StatusOr<std::unique_ptr<SqliteDb>> db =
          SqliteDb::Open(dir_.File("audit.db"), {}, options);
      ASSERT_TRUE(db.ok()) << db.status();
      audit_db_ = *std::move(db);
      audit_log_ = std::make_unique<FlakyAuditLog>(audit_db_.get());
    }
    // As audit::RegisterAuditLogs does for the referral service.
    server.authenticator().SetAuditLog("carebridge.referral.v1",
                                       audit_log_.get());
  }

  void TearDown() override {
    StopProducer();
    audit_log_.reset();
    audit_db_.reset();
  }

  // The records under `person` ("" for those naming nobody) by `actor`.
  std::vector<AuditRecord> Records(const std::string& actor,
                                   const std::string& person = "") {
    std::vector<AuditRecord> found;
    absl::StatusOr<std::vector<AuditRecord>> all =
        audit_db_->ListAuditForPerson(person, /*before_seq=*/0,
                                      /*limit=*/100);
    EXPECT_TRUE(all.ok()) << all.status();
    if (!all.ok()) return found;
    for (const AuditRecord& record : *all) {
      if (record.actor == actor && record.method == kSubscribe) {
        found.push_back(record);
      }
    }
    return found;
  }

  std::unique_ptr<SqliteDb> audit_db_;
  std::unique_ptr<FlakyAuditLog> audit_log_;
};

TEST_F(EventFeedAuditOutageTest, AServiceStreamFlowsAndIsRecordedOnceItCan) {
  audit_log_->failing = true;
  int64_t first = Commit("referral.created");
  auto context = server_->ContextAs(Service());
  auto reader = Subscribe(context.get(), SubscribeRequest());
  SubscribeResponse response;
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_THAT(response.events(), SizeIs(1));
  EXPECT_EQ(response.events(0).sequence(), first);
  EXPECT_THAT(Records(Service().subject), IsEmpty());

  // Still failing: later events flow too.
  int64_t second = Commit("referral.accepted");
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_THAT(response.events(), SizeIs(1));
  EXPECT_EQ(response.events(0).sequence(), second);
  EXPECT_THAT(Records(Service().subject), IsEmpty());

  // The log takes appends again: the record is written before the next
  // batch leaves, once, saying it came late.
  audit_log_->failing = false;
  int64_t third = Commit("referral.closed");
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_THAT(response.events(), SizeIs(1));
  EXPECT_EQ(response.events(0).sequence(), third);
  std::vector<AuditRecord> recorded = Records(Service().subject);
  ASSERT_THAT(recorded, SizeIs(1));
  EXPECT_EQ(recorded[0].role, "service");
  EXPECT_EQ(recorded[0].resource, "feeds/referral");
  EXPECT_EQ(recorded[0].outcome, "OK");
  EXPECT_THAT(recorded[0].sections,
              HasSubstr("events after sequence 0; recorded after events were "
                        "sent"));

  Commit("referral.reopened");
  ASSERT_TRUE(reader->Read(&response));
  context->TryCancel();
  while (reader->Read(&response)) {
  }
  reader->Finish();
  // Recorded, so nothing more is written at the finish.
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_THAT(Records(Service().subject), SizeIs(1));
}

// A service stream that never found the log writable is recorded at its
// finish, if the log takes appends by then.
TEST_F(EventFeedAuditOutageTest, AServiceStreamUnrecordedIsRecordedAtItsEnd) {
  audit_log_->failing = true;
  Commit("referral.created");
  auto context = server_->ContextAs(Service());
  auto reader = Subscribe(context.get(), SubscribeRequest());
  SubscribeResponse response;
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_THAT(response.events(), SizeIs(1));
  audit_log_->failing = false;
  context->TryCancel();
  while (reader->Read(&response)) {
  }
  reader->Finish();
  ASSERT_TRUE(Eventually([&] { return !Records(Service().subject).empty(); }));
  std::vector<AuditRecord> recorded = Records(Service().subject);
  ASSERT_THAT(recorded, SizeIs(1));
  EXPECT_EQ(recorded[0].outcome, "CANCELLED");
  EXPECT_THAT(recorded[0].sections, HasSubstr("recorded after events were"));
}

// A member's stream carries what the person's record says: nothing leaves
// before its records are durable.
TEST_F(EventFeedAuditOutageTest, AMembersStreamIsRefusedWhileUnrecordable) {
  Commit("referral.created");
  const Principal staff = StaffOf(kTeamA);
  audit_log_->failing = true;
  {
    auto context = server_->ContextAs(staff);
    auto reader = Subscribe(context.get(), SubscribeRequest());
    SubscribeResponse response;
    EXPECT_FALSE(reader->Read(&response));
    grpc::Status finished = reader->Finish();
    EXPECT_EQ(finished.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_THAT(finished.error_message(),
                HasSubstr("could not be recorded in the audit log"));
  }
  EXPECT_THAT(Records(staff.subject), IsEmpty());
  EXPECT_THAT(Records(staff.subject, "persons/p1"), IsEmpty());

  audit_log_->failing = false;
  auto context = server_->ContextAs(staff);
  auto reader = Subscribe(context.get(), SubscribeRequest());
  SubscribeResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_THAT(response.events(), SizeIs(1));
  EXPECT_THAT(Records(staff.subject), SizeIs(1));
  EXPECT_THAT(Records(staff.subject, "persons/p1"), SizeIs(1));
  context->TryCancel();
  while (reader->Read(&response)) {
  }
  reader->Finish();
}

}  // namespace
}  // namespace carebridge::testing
