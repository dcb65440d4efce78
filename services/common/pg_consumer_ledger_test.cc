// The consumer ledger (cursors with epochs, parked events) on PostgreSQL:
// kPgConsumerCursorSchemaSql and kPgConsumerLedgerSchemaSql under a PgDb.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "services/common/consumer_ledger.h"
#include "services/common/macros.h"
#include "services/common/pg_db.h"
#include "services/common/sqlite_event_log.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::StatusIs;
using ::testing::SizeIs;

const absl::Time kNow = absl::FromUnixSeconds(1767225600);

const std::vector<Migration> kSchema = {
    {1, "CREATE TABLE applied (feed TEXT, sequence BIGINT)"},
    {2, kPgConsumerCursorSchemaSql},
    {3, kPgConsumerLedgerSchemaSql},
};

events::v1::Event Event(int64_t sequence) {
  events::v1::Event event;
  event.set_sequence(sequence);
  event.set_type("referral.referral.created");
  event.set_subject(absl::StrCat("referrals/r", sequence));
  return event;
}

class PgConsumerLedgerTest : public testing::PostgresDatabaseTest {
 protected:
  PgConsumerLedgerTest() : PostgresDatabaseTest("pg_ledger") {}
  void SetUp() override {
    PostgresDatabaseTest::SetUp();
    PgDb::Options options = testing::PgOptions(2);
    options.schema = "careplan";
    absl::StatusOr<std::unique_ptr<PgDb>> db =
        PgDb::Open(url_, kSchema, options);
    ASSERT_THAT(db, IsOk());
    db_ = std::move(*db);
    ledger_ = std::make_unique<SqliteConsumerLedger>(db_.get());
  }

  // Applies `position` as a consumer's store does: the effect and the
  // ledger's record in one transaction.
  absl::Status Apply(const FeedPosition& position) {
    return db_->Write([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(Statement insert,
                       conn.Prepare("INSERT INTO applied (feed, sequence) "
                                    "VALUES (?, ?)"));
      insert.Bind(1, position.feed).Bind(2, position.sequence);
      RETURN_IF_ERROR(insert.Run());
      return MarkApplied(conn, position);
    });
  }

  std::unique_ptr<PgDb> db_;
  std::unique_ptr<SqliteConsumerLedger> ledger_;
};

TEST_F(PgConsumerLedgerTest, CursorAndEpochMoveWithAppliesAndParks) {
  ASSERT_THAT(ledger_->Position("referral"), IsOk());
  EXPECT_EQ(ledger_->Position("referral")->sequence, 0);
  ASSERT_THAT(ledger_->RecordEpoch("referral", "epoch-1"), IsOk());
  // Only the first sight of an epoch is recorded.
  ASSERT_THAT(ledger_->RecordEpoch("referral", "epoch-2"), IsOk());
  EXPECT_EQ(ledger_->Position("referral")->epoch, "epoch-1");
  EXPECT_THAT(Apply(FeedPosition("referral", 1)), IsOk());
  EXPECT_THAT(Apply(FeedPosition("referral", 1)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_THAT(ledger_->Park("referral", Event(2), "no such person", 5, kNow),
              IsOk());
  EXPECT_EQ(ledger_->Position("referral")->sequence, 2);
  // Below the cursor: left alone.
  ASSERT_THAT(ledger_->Park("referral", Event(1), "again", 1, kNow), IsOk());
  EXPECT_THAT(ledger_->CountParked("referral"), IsOkAndHolds(1));
}

TEST_F(PgConsumerLedgerTest, ParkedEventsAreKeptRetriedAndDismissed) {
  ASSERT_THAT(ledger_->RecordEpoch("referral", "e1"), IsOk());
  for (int64_t sequence = 1; sequence <= 3; ++sequence) {
    ASSERT_THAT(ledger_->Park("referral", Event(sequence),
                              absl::StrCat("reason ", sequence), 5,
                              kNow + absl::Seconds(sequence)),
                IsOk());
  }
  absl::StatusOr<std::vector<ParkedEvent>> parked =
      ledger_->ListParked("referral", false, "", 0, 10);
  ASSERT_THAT(parked, IsOkAndHolds(SizeIs(3)));
  const int64_t first = (*parked)[0].id;
  EXPECT_EQ((*parked)[0].epoch, "e1");
  EXPECT_EQ((*parked)[0].event.subject(), "referrals/r1");
  EXPECT_EQ((*parked)[0].park_time, kNow + absl::Seconds(1));
  EXPECT_EQ((*parked)[0].resolve_time, absl::InfinitePast());

  ASSERT_THAT(ledger_->RecordRetryFailure("referral", first, "still no"),
              IsOk());
  absl::StatusOr<ParkedEvent> one = ledger_->GetParked("referral", first);
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(one->attempts, 6);
  EXPECT_EQ(one->reason, "still no");

  FeedPosition retry("referral", 1);
  retry.parked_id = first;
  retry.retried_by = "members/admin";
  retry.retry_time = kNow + absl::Hours(1);
  EXPECT_THAT(Apply(retry), IsOk());
  EXPECT_THAT(Apply(retry), StatusIs(absl::StatusCode::kAlreadyExists));
  one = ledger_->GetParked("referral", first);
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(one->state, ParkedState::kApplied);
  EXPECT_EQ(one->resolved_by, "members/admin");
  EXPECT_EQ(one->resolve_time, kNow + absl::Hours(1));

  const int64_t second = (*parked)[1].id;
  EXPECT_THAT(
      ledger_->Dismiss("referral", second, "members/admin", "duplicate", kNow),
      IsOk());
  EXPECT_THAT(
      ledger_->Dismiss("referral", second, "members/admin", "duplicate", kNow),
      StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ledger_->Dismiss("referral", 999, "members/admin", "x", kNow),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ledger_->GetParked("referral", 999),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ledger_->CountParked("referral"), IsOkAndHolds(1));
  EXPECT_THAT(ledger_->ListParked("referral", false, "", 0, 10),
              IsOkAndHolds(SizeIs(1)));
  EXPECT_THAT(ledger_->ListParked("referral", true, "", 0, 10),
              IsOkAndHolds(SizeIs(3)));
}

TEST_F(PgConsumerLedgerTest, AResetProducersEventsParkBesideTheOldOnes) {
  ASSERT_THAT(ledger_->RecordEpoch("referral", "old"), IsOk());
  ASSERT_THAT(ledger_->Park("referral", Event(1), "x", 1, kNow), IsOk());
  ASSERT_THAT(ledger_->Reset("referral", 0, "new"), IsOk());
  EXPECT_EQ(ledger_->Position("referral")->epoch, "new");
  ASSERT_THAT(ledger_->Park("referral", Event(1), "y", 1, kNow), IsOk());
  absl::StatusOr<std::vector<ParkedEvent>> parked =
      ledger_->ListParked("referral", false, "", 0, 10);
  ASSERT_THAT(parked, IsOkAndHolds(SizeIs(2)));
  EXPECT_EQ((*parked)[0].epoch, "old");
  EXPECT_EQ((*parked)[1].epoch, "new");
  // Reset backwards within one epoch: the same event is parked afresh.
  ASSERT_THAT(ledger_->Reset("referral", 0, "new"), IsOk());
  ASSERT_THAT(ledger_->Park("referral", Event(1), "z", 2, kNow), IsOk());
  EXPECT_THAT(ledger_->ListParked("referral", false, "", 0, 10),
              IsOkAndHolds(SizeIs(2)));
}

TEST_F(PgConsumerLedgerTest, ParkedEventsListInByteOrderOfFeedsInPages) {
  // Feeds whose byte order differs from a locale's: "Referral" < "_x" <
  // "a" < "referral".
  const std::vector<std::string> in_order = {"Referral", "_x", "a", "referral"};
  for (const char* feed : {"referral", "Referral", "_x", "a"}) {
    for (int64_t sequence = 1; sequence <= 3; ++sequence) {
      ASSERT_THAT(ledger_->Park(feed, Event(sequence), "r", 1, kNow), IsOk());
    }
  }
  absl::flat_hash_map<int64_t, std::string> feed_of;
  std::vector<int64_t> expected;
  for (const std::string& feed : in_order) {
    absl::StatusOr<std::vector<ParkedEvent>> listed =
        ledger_->ListParked(feed, false, "", 0, 10);
    ASSERT_THAT(listed, IsOkAndHolds(SizeIs(3)));
    for (const ParkedEvent& parked : *listed) {
      feed_of[parked.id] = feed;
      expected.push_back(parked.id);
    }
  }
  // Every feed's, five at a time, resuming after the last (feed, id).
  std::vector<int64_t> paged;
  std::string after_feed;
  int64_t after_id = 0;
  for (;;) {
    absl::StatusOr<std::vector<ParkedEvent>> page =
        ledger_->ListParked("", false, after_feed, after_id, 5);
    ASSERT_THAT(page, IsOk());
    if (page->empty()) break;
    for (const ParkedEvent& parked : *page) paged.push_back(parked.id);
    after_id = page->back().id;
    after_feed = feed_of[after_id];
  }
  EXPECT_EQ(paged, expected);
}

}  // namespace
}  // namespace carebridge
