// SqliteReferralStore's outbox: each change commits with its event, a change
// that fails commits neither, and the deadline scan's query.

#include <atomic>
#include <string>
#include <vector>

#include "services/common/sqlite_db.h"
#include "services/referral/sqlite_referral_store_test_fixture.h"

namespace carebridge::referral {
namespace {

using ::carebridge::testing::EqualsProto;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::vector<std::string> Types(const std::vector<events::v1::Event>& events) {
  std::vector<std::string> types;
  for (const events::v1::Event& event : events) types.push_back(event.type());
  return types;
}

v1::Referral PayloadOf(const events::v1::Event& event) {
  v1::Referral referral;
  EXPECT_TRUE(event.payload().UnpackTo(&referral)) << event.DebugString();
  return referral;
}

std::vector<std::string> Names(const std::vector<StoredReferral>& referrals) {
  std::vector<std::string> names;
  for (const StoredReferral& stored : referrals) {
    names.push_back(stored.referral.name());
  }
  return names;
}

TEST_F(SqliteReferralStoreTest, CreateAppendsItsEventNumberedInTheFeed) {
  v1::Referral referral = MakeReferral("r1", kStart);
  ASSERT_OK(Create(referral).status());
  std::vector<events::v1::Event> events = Events();
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].sequence(), 1);
  EXPECT_EQ(events[0].id(), "referral/1");
  EXPECT_EQ(events[0].feed(), "referral");
  EXPECT_EQ(events[0].type(), "referral.created");
  EXPECT_EQ(events[0].subject(), "referrals/r1");
  EXPECT_THAT(PayloadOf(events[0]), EqualsProto(referral));
  ASSERT_OK_AND_ASSIGN(int64_t head, store_->event_log()->Head());
  EXPECT_EQ(head, 1);
}

TEST_F(SqliteReferralStoreTest, RetryWithSameRequestIdAppendsNothing) {
  ASSERT_OK(Create(MakeReferral("r1", kStart), "req-1").status());
  ASSERT_OK_AND_ASSIGN(StoredReferral retry,
                       Create(MakeReferral("r2", kStart), "req-1"));
  EXPECT_EQ(retry.referral.name(), "referrals/r1");
  EXPECT_THAT(Types(Events()), ElementsAre("referral.created"));
}

TEST_F(SqliteReferralStoreTest, UpdateAppendsItsEvent) {
  ASSERT_OK(Create(MakeReferral("r1", kStart)).status());
  v1::Referral accepted = MakeReferral("r1", kStart);
  accepted.set_state(v1::ACCEPTED);
  ASSERT_OK(Update(accepted, 1, "referral.accepted").status());
  std::vector<events::v1::Event> events = Events();
  EXPECT_THAT(Types(events),
              ElementsAre("referral.created", "referral.accepted"));
  EXPECT_THAT(PayloadOf(events[1]), EqualsProto(accepted));
}

TEST_F(SqliteReferralStoreTest, StaleUpdateAppendsNothing) {
  ASSERT_OK(Create(MakeReferral("r1", kStart)).status());
  v1::Referral accepted = MakeReferral("r1", kStart);
  accepted.set_state(v1::ACCEPTED);
  EXPECT_EQ(Update(accepted, /*expected_version=*/3).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(Update(MakeReferral("nope", kStart), 1).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(Types(Events()), ElementsAre("referral.created"));
}

TEST_F(SqliteReferralStoreTest, RedirectAppendsBothEventsInOneCommit) {
  ASSERT_OK(Create(MakeReferral("r1", kStart)).status());
  v1::Referral old = MakeReferral("r1", kStart);
  old.set_state(v1::REDIRECTED);
  old.set_redirected_to("referrals/r2");
  v1::Referral created = MakeReferral("r2", kStart, "teams/cmht", "teams/vcs");
  created.set_redirected_from("referrals/r1");

  std::atomic<int> commits{0};
  EventLog::ListenerId listener =
      store_->event_log()->AddListener([&] { ++commits; });
  ASSERT_OK(Redirect(old, 1, created).status());
  store_->event_log()->RemoveListener(listener);

  EXPECT_EQ(commits.load(), 1);
  std::vector<events::v1::Event> events = Events();
  ASSERT_THAT(Types(events),
              ElementsAre("referral.created", "referral.redirected",
                          "referral.created"));
  EXPECT_THAT(PayloadOf(events[1]), EqualsProto(old));
  EXPECT_THAT(PayloadOf(events[2]), EqualsProto(created));
}

TEST_F(SqliteReferralStoreTest, RedirectThatFailsAppendsNeitherEvent) {
  ASSERT_OK(Create(MakeReferral("r1", kStart)).status());
  ASSERT_OK(Create(MakeReferral("taken", kStart)).status());
  v1::Referral old = MakeReferral("r1", kStart);
  old.set_state(v1::REDIRECTED);
  EXPECT_EQ(Redirect(old, /*expected_version=*/7, MakeReferral("r2", kStart))
                .status()
                .code(),
            absl::StatusCode::kAborted);
  // The old referral's update succeeds, the new one's insert then fails.
  EXPECT_FALSE(Redirect(old, 1, MakeReferral("taken", kStart)).ok());
  EXPECT_THAT(Types(Events()),
              ElementsAre("referral.created", "referral.created"));
}

TEST_F(SqliteReferralStoreTest, CommitsWakeTheEventLogsListeners) {
  std::atomic<int> commits{0};
  EventLog::ListenerId listener =
      store_->event_log()->AddListener([&] { ++commits; });
  ASSERT_OK(Create(MakeReferral("r1", kStart)).status());
  EXPECT_EQ(commits.load(), 1);
  v1::Referral acknowledged = MakeReferral("r1", kStart);
  acknowledged.set_state(v1::ACKNOWLEDGED);
  ASSERT_OK(Update(acknowledged, 1, "referral.acknowledged").status());
  EXPECT_EQ(commits.load(), 2);
  store_->event_log()->RemoveListener(listener);
}

TEST_F(SqliteReferralStoreTest, RaisedCreateTimeShowsInTheEventPayload) {
  ASSERT_OK(Create(MakeReferral("later", kStart + absl::Seconds(5))).status());
  ASSERT_OK_AND_ASSIGN(StoredReferral slow,
                       Create(MakeReferral("slow", kStart)));
  std::vector<events::v1::Event> events = Events();
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_THAT(PayloadOf(events[1]), EqualsProto(slow.referral));
  EXPECT_EQ(FromProtoTimestamp(PayloadOf(events[1]).create_time()),
            kStart + absl::Seconds(5));
}

TEST_F(SqliteReferralStoreTest, EventsSurviveReopening) {
  ASSERT_OK(Create(MakeReferral("r1", kStart)).status());
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, SqliteReferralStore::Open(Location()));
  EXPECT_THAT(Types(Events()), ElementsAre("referral.created"));
}

TEST_F(SqliteReferralStoreTest, UnescalatedOverdueAreAwaitingAnswerPastDue) {
  // Due at kStart + 72h (MakeReferral), except `later`.
  ASSERT_OK(Create(MakeReferral("sent", kStart)).status());
  ASSERT_OK(Create(MakeReferral("acknowledged", kStart)).status());
  v1::Referral acknowledged = MakeReferral("acknowledged", kStart);
  acknowledged.set_state(v1::ACKNOWLEDGED);
  ASSERT_OK(Update(acknowledged, 1, "referral.acknowledged").status());
  ASSERT_OK(Create(MakeReferral("accepted", kStart)).status());
  v1::Referral accepted = MakeReferral("accepted", kStart);
  accepted.set_state(v1::ACCEPTED);
  ASSERT_OK(Update(accepted, 1).status());
  ASSERT_OK(Create(MakeReferral("escalated", kStart)).status());
  v1::Referral escalated = MakeReferral("escalated", kStart);
  *escalated.mutable_escalate_time() =
      ToProtoTimestamp(kStart + absl::Hours(73));
  ASSERT_OK(Update(escalated, 1, "referral.escalated").status());
  ASSERT_OK(Create(MakeReferral("later", kStart + absl::Hours(1))).status());

  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredReferral> due,
      store_->ListUnescalatedOverdue(kStart + absl::Hours(74), 10));
  EXPECT_THAT(Names(due),
              ElementsAre("referrals/sent", "referrals/acknowledged",
                          "referrals/later"));
  EXPECT_EQ(due[1].version, 2);

  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredReferral> at_deadline,
      store_->ListUnescalatedOverdue(kStart + absl::Hours(72), 10));
  EXPECT_THAT(at_deadline, IsEmpty());
}

TEST_F(SqliteReferralStoreTest, UnescalatedOverdueAreMostOverdueFirst) {
  ASSERT_OK(Create(MakeReferral("second", kStart + absl::Hours(2))).status());
  ASSERT_OK(Create(MakeReferral("third", kStart + absl::Hours(3))).status());
  // Due earlier although created later: a crisis deadline.
  v1::Referral crisis = MakeReferral("crisis", kStart + absl::Hours(4));
  *crisis.mutable_response_due_time() =
      ToProtoTimestamp(kStart + absl::Hours(6));
  ASSERT_OK(Create(crisis).status());
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredReferral> due,
      store_->ListUnescalatedOverdue(kStart + absl::Hours(100), 2));
  EXPECT_THAT(Names(due), ElementsAre("referrals/crisis", "referrals/second"));
}

// The schema before this service had an outbox and escalations.
constexpr char kVersionOneSchema[] = R"sql(
CREATE TABLE referrals (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  person TEXT NOT NULL,
  sending_team TEXT NOT NULL,
  receiving_team TEXT NOT NULL,
  state INTEGER NOT NULL,
  create_time_us INTEGER NOT NULL,
  response_due_time_us INTEGER NOT NULL,
  request_id TEXT,
  version INTEGER NOT NULL,
  body BLOB NOT NULL
);
)sql";

// SQLite only: PostgreSQL databases start at today's schema.
TEST_F(SqliteReferralStoreTest, SqliteFileAtVersionOneIsMigratedAndScanned) {
  store_.reset();
  const std::string path = dir_.File("old.db");
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteDb> old,
                         SqliteDb::Open(path, {{1, kVersionOneSchema}}));
    v1::Referral referral = MakeReferral("old", kStart);
    ASSERT_OK(old->Write([&](Connection& conn) -> absl::Status {
      absl::StatusOr<Statement> insert = conn.Prepare(
          "INSERT INTO referrals (id, person, sending_team, receiving_team, "
          "state, create_time_us, response_due_time_us, version, body) "
          "VALUES ('old', 'persons/p1', 'teams/cmht', 'teams/crisis', 1, ?1, "
          "?2, 1, ?3)");
      if (!insert.ok()) return insert.status();
      insert->Bind(1, ToUnixMicrosUtc(kStart))
          .Bind(2, ToUnixMicrosUtc(kStart + absl::Hours(72)))
          .BindBlob(3, referral.SerializeAsString());
      return insert->Run();
    }));
  }
  ASSERT_OK_AND_ASSIGN(store_, SqliteReferralStore::Open(path));
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredReferral> due,
      store_->ListUnescalatedOverdue(kStart + absl::Hours(73), 10));
  EXPECT_THAT(Names(due), ElementsAre("referrals/old"));
  EXPECT_THAT(Events(), IsEmpty());
}

}  // namespace
}  // namespace carebridge::referral
