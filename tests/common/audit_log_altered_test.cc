// An audit log changed outside carebridge so that it cannot take another
// record (a record or checkpoint written past its head, or its head
// deleted), on each engine: every append fails DATA_LOSS saying the log was
// altered and to run `carectl admin audit verify`, never a "try again" that
// cannot succeed; a call's caller is told the same, while a log that is
// only unreachable still says to try again. Each append's outcome goes to
// the database's metrics (MetricsRecorder::ObserveAuditAppend).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "services/common/call_audit.h"
#include "services/common/database_opener.h"
#include "services/common/hmac.h"
#include "services/common/macros.h"
#include "services/common/metrics.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

const std::vector<Migration> kItems = {
    {1, "CREATE TABLE items (key TEXT PRIMARY KEY)"}};

// What a caller told that the log was altered must read.
const auto kSaysAltered =
    AllOf(HasSubstr("the audit log was altered"),
          HasSubstr("carectl admin audit verify"), Not(HasSubstr("try again")));

// The audit appends observed: (database, code).
class AuditAppendsSeen : public MetricsRecorder {
 public:
  void ObserveCall(absl::string_view, absl::StatusCode,
                   absl::Duration) override {}
  void ObserveCommit(absl::string_view, absl::Duration) override {}
  void ObserveAuditAppend(absl::string_view database, absl::StatusCode code,
                          absl::Duration latency) override {
    absl::MutexLock lock(&mu_);
    EXPECT_GE(latency, absl::ZeroDuration());
    seen_.emplace_back(std::string(database), code);
  }
  std::vector<std::pair<std::string, absl::StatusCode>> Take() {
    absl::MutexLock lock(&mu_);
    return std::exchange(seen_, {});
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<std::string, absl::StatusCode>> seen_
      ABSL_GUARDED_BY(mu_);
};

// A log that cannot be reached (its disk full, its server down).
class UnreachableLog : public Database {
 public:
  absl::Status Write(absl::FunctionRef<absl::Status(Connection&)>) override {
    return Down();
  }
  absl::Status Read(absl::FunctionRef<absl::Status(Connection&)>) override {
    return Down();
  }
  absl::string_view engine() const override { return "sqlite"; }
  int schema_version() const override { return 1; }
  bool audited() const override { return true; }
  absl::Status AppendAudit(const std::vector<AuditRecord>&) override {
    return Down();
  }

 private:
  static absl::Status Down() {
    return absl::UnavailableError("database or disk is full (test)");
  }
};

class AuditLogAlteredTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<testing::TestDatabase> database =
        testing::TestDatabase::Create(dir_.path());
    ASSERT_THAT(database, IsOk());
    database_ = std::make_unique<testing::TestDatabase>(*std::move(database));
    DatabaseOptions options;
    options.audit_key = &key_;
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(
        database_->location("directory"), {&kItems, &kItems}, options);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
    db_->SetMetrics(&seen_, "directory");
  }

  static AuditRecord Record(int i) {
    AuditRecord record;
    record.time = absl::FromUnixSeconds(1767225600 + i);
    record.actor = "members/m1";
    record.team = "teams/t1";
    record.role = "clinician";
    record.method = "carebridge.directory.v1.GetPerson";
    record.resource = "persons/p1";
    record.person = "persons/p1";
    record.outcome = "OK";
    return record;
  }

  // Runs `sql` on the database as someone with the file or the schema
  // could (no record of its own: outside any call).
  void Tamper(const std::string& sql) {
    ASSERT_THAT(db_->Write([&](Connection& conn) { return conn.Exec(sql); }),
                IsOk());
  }
  // A copy of the newest record put after it, the head left as it was.
  void InsertPastTheHead() {
    Tamper(
        "INSERT INTO audit_log SELECT seq + 1, time_us, actor, team, role, "
        "on_behalf_of, method, resource, person, sections, reason, outcome, "
        "prev, hash FROM audit_log WHERE seq = (SELECT MAX(seq) FROM "
        "audit_log)");
  }

  absl::Status AppendAsync() {
    absl::Status written;
    absl::Notification done;
    db_->AppendAuditAsync({Record(9)}, [&](absl::Status status) {
      written = std::move(status);
      done.Notify();
    });
    done.WaitForNotification();
    return written;
  }

  // A write of `key` made during a call, carrying the call's record.
  absl::Status WriteDuringACall(const std::string& key) {
    CallAudit audit;
    audit.record = Record(10);
    audit.record.method = "carebridge.directory.v1.UpdatePerson";
    ScopedCallAudit scope(&audit);
    return db_->Write([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(Statement insert,
                       conn.Prepare("INSERT INTO items (key) VALUES (?)"));
      insert.Bind(1, key);
      return insert.Run();
    });
  }

  int64_t Items() {
    int64_t count = -1;
    EXPECT_THAT(db_->Read([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(Statement select,
                       conn.Prepare("SELECT COUNT(*) FROM items"));
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (row) count = select.ColumnInt64(0);
      return absl::OkStatus();
    }),
                IsOk());
    return count;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::TestDatabase> database_;
  HmacSha256 key_{std::string(32, 'k')};
  AuditAppendsSeen seen_;
  std::unique_ptr<Database> db_;
};

TEST_F(AuditLogAlteredTest, ARecordPastTheHeadFailsEveryAppendAsDataLoss) {
  ASSERT_THAT(db_->AppendAudit({Record(1), Record(2), Record(3)}), IsOk());
  InsertPastTheHead();

  const auto past_the_head = AllOf(
      kSaysAltered,
      HasSubstr("record 4 is there already, past the log's head at record 3"));
  EXPECT_THAT(db_->AppendAudit({Record(4)}),
              StatusIs(absl::StatusCode::kDataLoss, past_the_head));
  EXPECT_THAT(AppendAsync(),
              StatusIs(absl::StatusCode::kDataLoss, past_the_head));
  // A write carrying a call's record is refused whole: no change without
  // its record.
  EXPECT_THAT(WriteDuringACall("a"),
              StatusIs(absl::StatusCode::kDataLoss, past_the_head));
  EXPECT_EQ(Items(), 0);
  // A write made outside any call carries no record: unaffected.
  ASSERT_THAT(db_->Write([](Connection& conn) {
    return conn.Exec("INSERT INTO items (key) VALUES ('b')");
  }),
              IsOk());

  absl::StatusOr<AuditVerification> verified = db_->VerifyAudit();
  ASSERT_THAT(verified, IsOk());
  EXPECT_THAT(verified->problems,
              Contains(HasSubstr("the log ends at record 4 but its head says "
                                 "3 (cut short or added to)")));

  // Put back as it was: the log takes records again.
  Tamper("DELETE FROM audit_log WHERE seq = 4");
  EXPECT_THAT(db_->AppendAudit({Record(4)}), IsOk());
  EXPECT_THAT(WriteDuringACall("a"), IsOk());
  verified = db_->VerifyAudit();
  ASSERT_THAT(verified, IsOk());
  EXPECT_THAT(verified->problems, IsEmpty());
  EXPECT_EQ(verified->head_seq, 5);
}

TEST_F(AuditLogAlteredTest, AHeadDeletedFailsAppendsAsDataLoss) {
  ASSERT_THAT(db_->AppendAudit({Record(1), Record(2)}), IsOk());
  Tamper("DELETE FROM audit_head");
  EXPECT_THAT(
      db_->AppendAudit({Record(3)}),
      StatusIs(absl::StatusCode::kDataLoss,
               AllOf(kSaysAltered,
                     HasSubstr("record 1 is there already, past the log's "
                               "head at record 0 (or its head is missing)"))));
}

TEST_F(AuditLogAlteredTest, ACheckpointPlantedAheadFailsTheAppendReachingIt) {
  // Checkpoints fall every 1000 records.
  std::vector<AuditRecord> records;
  for (int i = 1; i <= 998; ++i) records.push_back(Record(i));
  ASSERT_THAT(db_->AppendAudit(records), IsOk());
  Tamper(
      "INSERT INTO audit_checkpoints (seq, time_us, hash, mac) SELECT 1000, "
      "time_us, hash, hash FROM audit_log WHERE seq = 998");
  // Short of it: appended as usual.
  ASSERT_THAT(db_->AppendAudit({Record(999)}), IsOk());
  EXPECT_THAT(db_->AppendAudit({Record(1000)}),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(kSaysAltered,
                             HasSubstr("a checkpoint of record 1000 is there "
                                       "already, past the log's head at "
                                       "record 999"))));
}

TEST_F(AuditLogAlteredTest, ACallerIsToldTheLogWasAlteredNotToTryAgain) {
  ASSERT_THAT(db_->AppendAudit({Record(1)}), IsOk());
  InsertPastTheHead();
  CallAudit read;
  read.record = Record(2);
  read.sink = db_.get();
  EXPECT_THAT(
      FinishCallAudit(read, absl::OkStatus(), nullptr),
      StatusIs(absl::StatusCode::kDataLoss,
               AllOf(HasSubstr("this access could not be recorded, so nothing "
                               "was returned: the audit log was altered"),
                     kSaysAltered)));

  // A log that is only unreachable: a retry may well succeed.
  UnreachableLog unreachable;
  CallAudit other;
  other.record = Record(3);
  other.sink = &unreachable;
  EXPECT_THAT(FinishCallAudit(other, absl::OkStatus(), nullptr),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("database or disk is full (test)"),
                             HasSubstr("nothing was returned; try again"))));
}

TEST_F(AuditLogAlteredTest, EachAppendIsObservedWithItsOutcome) {
  const std::string log = "directory";
  ASSERT_THAT(db_->AppendAudit({Record(1), Record(2)}), IsOk());
  ASSERT_THAT(AppendAsync(), IsOk());
  ASSERT_THAT(WriteDuringACall("a"), IsOk());
  EXPECT_THAT(seen_.Take(), ElementsAre(Pair(log, absl::StatusCode::kOk),
                                        Pair(log, absl::StatusCode::kOk),
                                        Pair(log, absl::StatusCode::kOk)));
  // A write that failed on its own appended nothing: no append to count
  // (the call's record of the failure is its own append).
  ASSERT_THAT(WriteDuringACall("a"),
              Not(IsOk()));  // the key is taken: a constraint fails
  EXPECT_THAT(seen_.Take(), IsEmpty());

  InsertPastTheHead();
  EXPECT_THAT(db_->AppendAudit({Record(5)}),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(AppendAsync(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(WriteDuringACall("b"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(seen_.Take(),
              ElementsAre(Pair(log, absl::StatusCode::kDataLoss),
                          Pair(log, absl::StatusCode::kDataLoss),
                          Pair(log, absl::StatusCode::kDataLoss)));
}

}  // namespace
}  // namespace carebridge
