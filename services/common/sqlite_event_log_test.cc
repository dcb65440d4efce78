#include "services/common/sqlite_event_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "services/common/event_log.h"
#include "services/common/macros.h"
#include "services/common/sqlite_db.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::StatusIs;
using ::carebridge::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const std::vector<Migration> kSchema = {
    {1, "CREATE TABLE items (key TEXT PRIMARY KEY)"},
    {2, kOutboxSchemaSql},
    {3, kConsumerCursorSchemaSql},
    {4, kOutboxEpochSchemaSql},
};

events::v1::Event TeamEvent(absl::string_view type, absl::string_view team) {
  directory::v1::Team payload;
  payload.set_name(std::string(team));
  payload.set_display_name("Community team");
  return MakeEvent(type, team, /*person=*/"", {std::string(team)}, "members/m1",
                   absl::FromUnixSeconds(1767225600), payload);
}

std::vector<int64_t> Sequences(const std::vector<events::v1::Event>& events) {
  std::vector<int64_t> sequences;
  for (const events::v1::Event& event : events) {
    sequences.push_back(event.sequence());
  }
  return sequences;
}

class SqliteEventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqliteDb>> db =
        SqliteDb::Open(dir_.File("events.db"), kSchema);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
    log_ = std::make_unique<SqliteEventLog>("directory", db_.get());
  }

  // Appends `event` in a write of its own.
  absl::StatusOr<int64_t> AppendOne(const events::v1::Event& event) {
    int64_t sequence = 0;
    RETURN_IF_ERROR(db_->Write([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(sequence, SqliteEventLog::Append(conn, event));
      return absl::OkStatus();
    }));
    return sequence;
  }

  absl::StatusOr<int64_t> CursorOf(absl::string_view feed) {
    int64_t cursor = -1;
    RETURN_IF_ERROR(db_->Read([&](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(cursor, ReadConsumerCursor(conn, feed));
      return absl::OkStatus();
    }));
    return cursor;
  }

  absl::Status Advance(absl::string_view feed, int64_t sequence) {
    return db_->Write([&](Connection& conn) {
      return AdvanceConsumerCursor(conn, feed, sequence);
    });
  }

  TempDir dir_;
  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<SqliteEventLog> log_;
};

TEST_F(SqliteEventLogTest, AppendedEventsAreReadBackWithTheirPlaceInTheFeed) {
  EXPECT_THAT(AppendOne(TeamEvent("team.created", "teams/t1")),
              IsOkAndHolds(1));
  EXPECT_THAT(AppendOne(TeamEvent("team.updated", "teams/t1")),
              IsOkAndHolds(2));

  absl::StatusOr<std::vector<events::v1::Event>> events =
      log_->ReadAfter(0, 10);
  ASSERT_THAT(events, IsOkAndHolds(SizeIs(2)));
  const events::v1::Event& first = (*events)[0];
  EXPECT_EQ(first.sequence(), 1);
  EXPECT_EQ(first.id(), "directory/1");
  EXPECT_EQ(first.feed(), "directory");
  EXPECT_EQ(first.type(), "team.created");
  EXPECT_EQ(first.subject(), "teams/t1");
  EXPECT_THAT(first.teams(), ElementsAre("teams/t1"));
  EXPECT_EQ(first.actor(), "members/m1");
  EXPECT_EQ(first.time().seconds(), 1767225600);
  directory::v1::Team payload;
  ASSERT_TRUE(first.payload().UnpackTo(&payload));
  EXPECT_EQ(payload.display_name(), "Community team");
  EXPECT_EQ((*events)[1].id(), "directory/2");
  EXPECT_EQ((*events)[1].type(), "team.updated");
}

TEST_F(SqliteEventLogTest, AnEventAppendedInAFailedWriteIsNeverStored) {
  absl::Status failed = db_->Write([&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(
        SqliteEventLog::Append(conn, TeamEvent("team.created", "teams/t1"))
            .status());
    return absl::AbortedError("the change failed after the append");
  });
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kAborted));

  EXPECT_THAT(log_->ReadAfter(0, 10), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(log_->Head(), IsOkAndHolds(0));
  // The next event committed takes the first place in the feed.
  EXPECT_THAT(AppendOne(TeamEvent("team.created", "teams/t2")),
              IsOkAndHolds(1));
}

TEST_F(SqliteEventLogTest,
       ReadAfterStartsAfterTheGivenSequenceAndHonoursLimit) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(AppendOne(TeamEvent("team.updated", "teams/t1")), IsOk());
  }
  absl::StatusOr<std::vector<events::v1::Event>> events = log_->ReadAfter(1, 3);
  ASSERT_THAT(events, IsOk());
  EXPECT_THAT(Sequences(*events), ElementsAre(2, 3, 4));
  events = log_->ReadAfter(4, 100);
  ASSERT_THAT(events, IsOk());
  EXPECT_THAT(Sequences(*events), ElementsAre(5));
  EXPECT_THAT(log_->ReadAfter(5, 100), IsOkAndHolds(IsEmpty()));
}

TEST_F(SqliteEventLogTest, HeadIsTheNewestSequenceOrZero) {
  EXPECT_THAT(log_->Head(), IsOkAndHolds(0));
  ASSERT_THAT(AppendOne(TeamEvent("team.created", "teams/t1")), IsOk());
  ASSERT_THAT(AppendOne(TeamEvent("team.created", "teams/t2")), IsOk());
  EXPECT_THAT(log_->Head(), IsOkAndHolds(2));
}

// Writers commit concurrently (group commit) while a reader follows the
// log the way a feed does: from the last sequence it saw. Every event is
// seen exactly once, in sequence order, and each writer's events are in the
// order it committed them — so sequence order is commit order and a reader
// never skips an event that commits after a later one was visible.
TEST_F(SqliteEventLogTest, SequencesFollowCommitOrderUnderConcurrentWriters) {
  constexpr int kWriters = 8;
  constexpr int kPerWriter = 40;
  std::atomic<bool> writers_done{false};
  std::vector<events::v1::Event> seen;
  std::thread reader([&] {
    int64_t through = 0;
    while (true) {
      bool done = writers_done.load();
      absl::StatusOr<std::vector<events::v1::Event>> events =
          log_->ReadAfter(through, 50);
      ASSERT_THAT(events, IsOk());
      for (events::v1::Event& event : *events) {
        through = event.sequence();
        seen.push_back(std::move(event));
      }
      if (done && events->empty()) return;
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        events::v1::Event event =
            TeamEvent("team.updated", absl::StrCat("teams/w", w));
        event.set_actor(absl::StrCat(i));
        // Every third write of a writer fails, and stores nothing.
        bool fail = i % 3 == 2;
        absl::Status status = db_->Write([&](Connection& conn) -> absl::Status {
          RETURN_IF_ERROR(SqliteEventLog::Append(conn, event).status());
          return fail ? absl::AbortedError("rolled back") : absl::OkStatus();
        });
        EXPECT_EQ(status.ok(), !fail) << status;
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  writers_done.store(true);
  reader.join();

  int committed_per_writer = kPerWriter - kPerWriter / 3;
  ASSERT_THAT(seen, SizeIs(kWriters * committed_per_writer));
  std::vector<int> next_of_writer(kWriters, 0);
  int64_t previous = 0;
  for (const events::v1::Event& event : seen) {
    EXPECT_GT(event.sequence(), previous);
    previous = event.sequence();
    int writer = std::stoi(event.subject().substr(strlen("teams/w")));
    int i = std::stoi(event.actor());
    EXPECT_NE(i % 3, 2) << "an event of a failed write was stored";
    EXPECT_GE(i, next_of_writer[writer])
        << "writer " << writer << "'s events out of order";
    next_of_writer[writer] = i + 1;
  }
  EXPECT_THAT(log_->Head(), IsOkAndHolds(previous));
}

TEST_F(SqliteEventLogTest, CursorIsZeroUntilAdvancedAndKeptPerFeed) {
  EXPECT_THAT(CursorOf("referral"), IsOkAndHolds(0));
  ASSERT_THAT(Advance("referral", 3), IsOk());
  ASSERT_THAT(Advance("referral", 7), IsOk());
  ASSERT_THAT(Advance("handover", 2), IsOk());
  EXPECT_THAT(CursorOf("referral"), IsOkAndHolds(7));
  EXPECT_THAT(CursorOf("handover"), IsOkAndHolds(2));
}

TEST_F(SqliteEventLogTest, AdvancingToOrBelowTheCursorIsFailedPrecondition) {
  ASSERT_THAT(Advance("referral", 5), IsOk());
  EXPECT_THAT(Advance("referral", 5),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("applied already")));
  EXPECT_THAT(Advance("referral", 2),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(CursorOf("referral"), IsOkAndHolds(5));
}

TEST_F(SqliteEventLogTest,
       CursorMovesOnlyWithTheTransactionThatAppliedTheEvent) {
  absl::Status failed = db_->Write([&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(AdvanceConsumerCursor(conn, "referral", 4));
    ASSIGN_OR_RETURN(Statement insert,
                     conn.Prepare("INSERT INTO items (key) VALUES ('x')"));
    RETURN_IF_ERROR(insert.Run());
    return absl::UnavailableError("the effect could not be completed");
  });
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(CursorOf("referral"), IsOkAndHolds(0));

  ASSERT_THAT(db_->Write([&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(AdvanceConsumerCursor(conn, "referral", 4));
    ASSIGN_OR_RETURN(int64_t cursor, ReadConsumerCursor(conn, "referral"));
    EXPECT_EQ(cursor, 4) << "the transaction sees its own advance";
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_THAT(CursorOf("referral"), IsOkAndHolds(4));
}

events::v1::Event EventOfSize(size_t description_bytes) {
  directory::v1::Team payload;
  payload.set_name("teams/t1");
  payload.set_service_description(std::string(description_bytes, 'd'));
  return MakeEvent("team.updated", "teams/t1", "", {"teams/t1"}, "members/m1",
                   absl::FromUnixSeconds(1767225600), payload);
}

TEST_F(SqliteEventLogTest, AnEventOverTheLimitIsRefusedAndNothingIsStored) {
  EXPECT_THAT(AppendOne(EventOfSize(kMaxEventBytes)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("teams/t1: the change would be")));
  EXPECT_THAT(log_->Head(), IsOkAndHolds(0));
  EXPECT_THAT(AppendOne(EventOfSize(kMaxEventBytes - 1024)), IsOk());
}

TEST_F(SqliteEventLogTest, ReadAfterStopsAtTheByteBudgetButAlwaysMovesOn) {
  for (int i = 0; i < 5; ++i)
    ASSERT_THAT(AppendOne(EventOfSize(10000)), IsOk());
  ASSERT_OK_AND_ASSIGN(EventLog::Slice two, log_->ReadSlice(0, 100, 25000));
  EXPECT_THAT(Sequences(two.events), ElementsAre(1, 2));
  EXPECT_TRUE(two.more);
  ASSERT_OK_AND_ASSIGN(EventLog::Slice one, log_->ReadSlice(2, 100, 10));
  EXPECT_THAT(Sequences(one.events), ElementsAre(3));
  EXPECT_TRUE(one.more);
  ASSERT_OK_AND_ASSIGN(EventLog::Slice limited, log_->ReadSlice(3, 1, 100000));
  EXPECT_THAT(Sequences(limited.events), ElementsAre(4));
  EXPECT_TRUE(limited.more);
  ASSERT_OK_AND_ASSIGN(EventLog::Slice rest, log_->ReadSlice(3, 100, 100000));
  EXPECT_THAT(Sequences(rest.events), ElementsAre(4, 5));
  EXPECT_FALSE(rest.more);
}

TEST_F(SqliteEventLogTest, TheHeadCarriesItsTimeAndTheFeedAnEpoch) {
  ASSERT_OK_AND_ASSIGN(FeedHead empty, log_->ReadHead());
  EXPECT_EQ(empty.sequence, 0);
  EXPECT_EQ(empty.time, absl::InfinitePast());
  ASSERT_THAT(AppendOne(TeamEvent("team.created", "teams/t1")), IsOk());
  ASSERT_OK_AND_ASSIGN(FeedHead head, log_->ReadHead());
  EXPECT_EQ(head.sequence, 1);
  EXPECT_EQ(head.time, absl::FromUnixSeconds(1767225600));
  ASSERT_OK_AND_ASSIGN(std::string epoch, log_->Epoch());
  EXPECT_EQ(epoch.size(), 32u);
  EXPECT_THAT(log_->Epoch(), IsOkAndHolds(epoch));

  // Another database, another epoch.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteDb> other,
                       SqliteDb::Open(dir_.File("other.db"), kSchema));
  SqliteEventLog other_log("directory", other.get());
  ASSERT_OK_AND_ASSIGN(std::string other_epoch, other_log.Epoch());
  EXPECT_NE(other_epoch, epoch);
}

}  // namespace
}  // namespace carebridge
