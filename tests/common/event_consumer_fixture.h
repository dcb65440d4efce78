// The test fixture of EventConsumer's tests: a consumer database kept the
// way a real consumer keeps it, and a consumer following a feed served over
// real gRPC (FeedTestEnv).

#ifndef CAREBRIDGE_TESTS_COMMON_EVENT_CONSUMER_FIXTURE_H_
#define CAREBRIDGE_TESTS_COMMON_EVENT_CONSUMER_FIXTURE_H_

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "services/common/clock.h"
#include "services/common/event_consumer.h"
#include "services/common/service_credentials.h"
#include "services/common/token.h"
#include "tests/common/feed_test_env.h"

namespace carebridge::testing {

// The sequences in `db`'s `applied` table (what a test consumer applied),
// in the order they were applied.
inline std::vector<int64_t> AppliedSequences(Database& db) {
  std::vector<int64_t> sequences;
  absl::Status status = db.Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT sequence FROM applied ORDER BY n"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) return absl::OkStatus();
      sequences.push_back(select.ColumnInt64(0));
    }
  });
  EXPECT_TRUE(status.ok()) << status;
  return sequences;
}

using events::v1::Event;

// A consumer's database the way a real consumer keeps it: each effect (a
// row in `applied`) commits with its position (the cursor, or a parked
// event marked applied), and a position no longer pending changes nothing.
class ConsumerStore {
 public:
  explicit ConsumerStore(const std::string& path) {
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(path, {{1, kConsumerCursorSchemaSql},
                              {2, kConsumerLedgerSchemaSql},
                              {3, kParkedEventIdSchemaSql},
                              {4,
                               "CREATE TABLE applied (n INTEGER PRIMARY KEY "
                               "AUTOINCREMENT, sequence INTEGER NOT NULL)"}});
    EXPECT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ledger_ = std::make_unique<SqliteConsumerLedger>(db_.get());
  }

  ConsumerLedger* ledger() { return ledger_.get(); }

  absl::StatusOr<int64_t> Cursor() {
    ASSIGN_OR_RETURN(ConsumerPosition position, ledger_->Position("referral"));
    return position.sequence;
  }

  absl::Status Apply(const Event& event, const FeedPosition& position) {
    return db_->Write([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(bool pending, IsPending(conn, position));
      if (!pending) return absl::OkStatus();
      ASSIGN_OR_RETURN(
          Statement insert,
          conn.Prepare("INSERT INTO applied (sequence) VALUES (?)"));
      insert.Bind(1, event.sequence());
      RETURN_IF_ERROR(insert.Run());
      return MarkApplied(conn, position);
    });
  }
  absl::Status Apply(const Event& event) {
    return Apply(event, FeedPosition("referral", event.sequence()));
  }
  // A batch the same way, in one transaction: all of it or none.
  // `refuse(event)` fails the whole batch (INVALID_ARGUMENT).
  absl::Status ApplyAll(absl::Span<const Event* const> events,
                        const std::function<bool(const Event&)>& refuse) {
    return db_->Write([&](Connection& conn) -> absl::Status {
      for (const Event* event : events) {
        if (refuse && refuse(*event)) {
          return absl::InvalidArgumentError("refused");
        }
        const FeedPosition position("referral", event->sequence());
        ASSIGN_OR_RETURN(bool pending, IsPending(conn, position));
        if (!pending) continue;
        ASSIGN_OR_RETURN(
            Statement insert,
            conn.Prepare("INSERT INTO applied (sequence) VALUES (?)"));
        insert.Bind(1, event->sequence());
        RETURN_IF_ERROR(insert.Run());
        RETURN_IF_ERROR(MarkApplied(conn, position));
      }
      return absl::OkStatus();
    });
  }

  // The effects, in the order they were applied.
  std::vector<int64_t> Applied() { return AppliedSequences(*db_); }

 private:
  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<SqliteConsumerLedger> ledger_;
};

// A ledger whose cursor reads `lag` events behind the stored one (as after a
// crash between applying and recording): every resubscription redelivers.
class LaggingLedger : public ConsumerLedger {
 public:
  LaggingLedger(ConsumerLedger* inner, int64_t lag)
      : inner_(inner), lag_(lag) {}
  absl::StatusOr<ConsumerPosition> Position(absl::string_view feed) override {
    ASSIGN_OR_RETURN(ConsumerPosition position, inner_->Position(feed));
    position.sequence = std::max<int64_t>(0, position.sequence - lag_);
    return position;
  }
  absl::Status RecordEpoch(absl::string_view feed,
                           absl::string_view epoch) override {
    return inner_->RecordEpoch(feed, epoch);
  }
  absl::Status Park(absl::string_view feed, const Event& event,
                    absl::string_view reason, int attempts,
                    absl::Time now) override {
    return inner_->Park(feed, event, reason, attempts, now);
  }
  absl::StatusOr<ParkedEvent> GetParked(absl::string_view feed,
                                        int64_t id) override {
    return inner_->GetParked(feed, id);
  }
  absl::StatusOr<std::vector<ParkedEvent>> ListParked(
      absl::string_view feed, bool include_resolved,
      absl::string_view after_feed, int64_t after_sequence,
      int limit) override {
    return inner_->ListParked(feed, include_resolved, after_feed,
                              after_sequence, limit);
  }
  absl::StatusOr<int64_t> CountParked(absl::string_view feed) override {
    return inner_->CountParked(feed);
  }
  absl::Status RecordRetryFailure(absl::string_view feed, int64_t sequence,
                                  absl::string_view reason) override {
    return inner_->RecordRetryFailure(feed, sequence, reason);
  }
  absl::Status Dismiss(absl::string_view feed, int64_t sequence,
                       absl::string_view actor, absl::string_view why,
                       absl::Time now) override {
    return inner_->Dismiss(feed, sequence, actor, why, now);
  }
  absl::Status Reset(absl::string_view feed, int64_t sequence,
                     absl::string_view epoch) override {
    return inner_->Reset(feed, sequence, epoch);
  }

 private:
  ConsumerLedger* const inner_;
  const int64_t lag_;
};

class EventConsumerTest : public FeedTestEnv {
 protected:
  void TearDown() override {
    if (consumer_ != nullptr) consumer_->Stop();
    FeedTestEnv::TearDown();
  }

  EventConsumer::Options FastOptions() {
    EventConsumer::Options options;
    options.consumer = "test";
    options.feed = "referral";
    options.min_backoff = absl::Milliseconds(1);
    options.max_backoff = absl::Milliseconds(20);
    options.max_attempts = 3;
    return options;
  }

  // Starts a consumer applying into store_; `apply` defaults to the store,
  // `ledger` to the store's.
  void StartConsumer(EventConsumer::Options options,
                     EventConsumer::Apply apply = nullptr,
                     ConsumerLedger* ledger = nullptr,
                     EventConsumer::ApplyBatch apply_batch = nullptr) {
    if (apply == nullptr) {
      apply = [this](const Event& event, const FeedPosition& position) {
        return store_.Apply(event, position);
      };
    }
    consumer_ = std::make_unique<EventConsumer>(
        std::move(options), &credentials_, &clock_,
        ledger == nullptr ? store_.ledger() : ledger,
        [this](grpc::ClientContext* context,
               const events::v1::SubscribeRequest& request) {
          opens_.fetch_add(1);
          return std::unique_ptr<
              grpc::ClientReaderInterface<events::v1::SubscribeResponse>>(
              Subscribe(context, request));
        },
        std::move(apply), std::move(apply_batch));
    consumer_->Start();
  }

  bool AppliedThrough(int64_t sequence) {
    return Eventually([&] { return consumer_->applied_through() >= sequence; });
  }

  // The tokens the feed checks are signed with the TestServer's key, on a
  // clock at the same fake time.
  FakeClock clock_;
  TokenSigner signer_{std::string(32, 'k')};
  ServiceCredentials credentials_{"services/careplan", &signer_, &clock_};
  ConsumerStore store_{dir_.File("consumer.db")};
  std::atomic<int> opens_{0};
  std::unique_ptr<EventConsumer> consumer_;
};

}  // namespace carebridge::testing

#endif  // CAREBRIDGE_TESTS_COMMON_EVENT_CONSUMER_FIXTURE_H_
