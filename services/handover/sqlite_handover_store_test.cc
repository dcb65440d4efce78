#include "services/handover/sqlite_handover_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/event_log.h"
#include "services/common/time_util.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::handover {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);

v1::Handover MakeHandover(absl::string_view id, absl::Time create_time,
                          v1::Kind kind = v1::SHARED_CARE,
                          absl::string_view person = "persons/p1",
                          absl::string_view sending_team = "teams/crisis",
                          absl::string_view receiving_team = "teams/cmht") {
  v1::Handover handover;
  handover.set_name(absl::StrCat("handovers/", id));
  handover.set_person(std::string(person));
  handover.set_sending_team(std::string(sending_team));
  handover.set_receiving_team(std::string(receiving_team));
  handover.set_kind(kind);
  handover.set_urgency(referral::v1::URGENT);
  handover.set_situation("settled");
  handover.set_assessment("low risk");
  handover.set_recommendation("visit");
  handover.set_illness_severity(v1::STABLE);
  handover.set_state(v1::PENDING);
  *handover.mutable_create_time() = ToProtoTimestamp(create_time);
  *handover.mutable_update_time() = ToProtoTimestamp(create_time);
  *handover.mutable_response_due_time() =
      ToProtoTimestamp(create_time + absl::Hours(72));
  return handover;
}

events::v1::Event EventFor(absl::string_view type, const v1::Handover& h,
                           absl::Time time) {
  return MakeEvent(type, h.name(), h.person(),
                   {h.sending_team(), h.receiving_team()}, "members/m1", time,
                   h);
}

std::vector<std::string> Names(const HandoverPage& page) {
  std::vector<std::string> names;
  for (const StoredHandover& stored : page.handovers) {
    names.push_back(stored.handover.name());
  }
  return names;
}

std::vector<std::string> Names(const std::vector<StoredHandover>& list) {
  std::vector<std::string> names;
  for (const StoredHandover& stored : list) {
    names.push_back(stored.handover.name());
  }
  return names;
}

// The store on the engine the run tests (TestDatabase): an SQLite file, or
// a database of its own on the test PostgreSQL cluster.
class SqliteHandoverStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        database_, ::carebridge::testing::TestDatabase::Create(dir_.path()));
    ASSERT_OK_AND_ASSIGN(store_, SqliteHandoverStore::Open(Location()));
  }
  DatabaseLocation Location() const { return database_->location("handover"); }

  StoredHandover MustCreate(const v1::Handover& handover,
                            const HandoverRequestKey& key = {}) {
    absl::StatusOr<StoredHandover> stored =
        store_->Create(handover, key,
                       EventFor("handover.created", handover,
                                FromProtoTimestamp(handover.create_time())));
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.value_or(StoredHandover());
  }

  absl::StatusOr<int64_t> Answer(v1::Handover handover, int64_t version,
                                 v1::State state) {
    handover.set_state(state);
    return store_->Update(handover, version,
                          EventFor("handover.accepted", handover, kStart));
  }

  std::vector<events::v1::Event> Events() {
    absl::StatusOr<std::vector<events::v1::Event>> events =
        store_->event_log()->ReadAfter(0, 1000);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.value_or(std::vector<events::v1::Event>());
  }

  HandoverQuery Mailbox(HandoverQuery::Mailbox mailbox,
                        absl::string_view team) const {
    HandoverQuery query;
    query.mailbox = mailbox;
    query.team = std::string(team);
    query.now = kStart;
    return query;
  }

  ::carebridge::testing::TempDir dir_;
  std::optional<::carebridge::testing::TestDatabase> database_;
  std::unique_ptr<SqliteHandoverStore> store_;
};

TEST_F(SqliteHandoverStoreTest, CreatedHandoverReadsBackAtVersionOne) {
  v1::Handover handover = MakeHandover("h1", kStart);
  StoredHandover created = MustCreate(handover);
  EXPECT_EQ(created.version, 1);
  EXPECT_EQ(created.request_fingerprint, "");
  ASSERT_OK_AND_ASSIGN(StoredHandover read, store_->Get("handovers/h1"));
  EXPECT_EQ(read.version, 1);
  EXPECT_THAT(read.handover, EqualsProto(handover));
}

// Every handover must fit in one feed event: one within every per-field
// limit, written in 4-byte characters and answered with a maximal read-back,
// is refused naming its largest field, and nothing is stored.
TEST_F(SqliteHandoverStoreTest, AHandoverTooLargeForOneEventIsRefused) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "\xF0\x9F\x8C\xBF";
  v1::Handover handover = MakeHandover("h1", kStart);
  for (int i = 0; i < 50; ++i) {
    v1::HandoverAction* action = handover.add_actions();
    action->set_description(text);
    action->set_owning_team("teams/b");
  }
  StoredHandover created = MustCreate(handover);  // 400 KB: fits
  for (int i = 0; i < 50; ++i) {
    handover.mutable_read_back()->add_actions_taken_on(text);
  }
  handover.set_state(v1::ACCEPTED);
  EXPECT_THAT(
      store_->Update(handover, created.version,
                     EventFor("handover.accepted", handover, kStart)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("handover.")));
  EXPECT_THAT(Events(), SizeIs(1));
  ASSERT_OK_AND_ASSIGN(StoredHandover stored, store_->Get("handovers/h1"));
  EXPECT_EQ(stored.version, created.version);
  EXPECT_EQ(stored.handover.state(), v1::PENDING);
}

TEST_F(SqliteHandoverStoreTest, UnknownHandoverIsNotFound) {
  EXPECT_THAT(
      store_->Get("handovers/nope"),
      StatusIs(absl::StatusCode::kNotFound, "handovers/nope not found"));
}

TEST_F(SqliteHandoverStoreTest, EtagAndOverdueAreNeverStored) {
  v1::Handover handover = MakeHandover("h1", kStart);
  handover.set_etag("7");
  handover.set_overdue(true);
  MustCreate(handover);
  ASSERT_OK_AND_ASSIGN(StoredHandover read, store_->Get("handovers/h1"));
  EXPECT_EQ(read.handover.etag(), "");
  EXPECT_FALSE(read.handover.overdue());
}

TEST_F(SqliteHandoverStoreTest, CreateAppendsItsEventInCommitOrder) {
  v1::Handover first = MakeHandover("h1", kStart);
  v1::Handover second = MakeHandover("h2", kStart + absl::Seconds(1));
  MustCreate(first);
  MustCreate(second);
  std::vector<events::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].sequence(), 1);
  EXPECT_EQ(events[0].id(), "handover/1");
  EXPECT_EQ(events[0].feed(), "handover");
  EXPECT_EQ(events[0].type(), "handover.created");
  EXPECT_EQ(events[0].subject(), "handovers/h1");
  EXPECT_EQ(events[0].person(), "persons/p1");
  EXPECT_THAT(events[0].teams(), ElementsAre("teams/crisis", "teams/cmht"));
  v1::Handover payload;
  ASSERT_TRUE(events[0].payload().UnpackTo(&payload));
  EXPECT_THAT(payload, EqualsProto(first));
  EXPECT_EQ(events[1].subject(), "handovers/h2");
  EXPECT_THAT(store_->event_log()->Head(),
              ::carebridge::testing::IsOkAndHolds(2));
}

TEST_F(SqliteHandoverStoreTest, CommitsWakeTheEventLogsListeners) {
  std::atomic<int> wakes{0};
  store_->event_log()->AddListener([&] { ++wakes; });
  StoredHandover created = MustCreate(MakeHandover("h1", kStart));
  EXPECT_EQ(wakes.load(), 1);
  ASSERT_OK(Answer(created.handover, 1, v1::ACCEPTED).status());
  EXPECT_EQ(wakes.load(), 2);
  // A failed write commits nothing, so wakes nobody.
  EXPECT_THAT(Answer(created.handover, 1, v1::DECLINED),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(wakes.load(), 2);
}

TEST_F(SqliteHandoverStoreTest,
       RequestIdRetryReturnsTheFirstAndAppendsNothing) {
  HandoverRequestKey key{"req-1", "fp-1"};
  StoredHandover first = MustCreate(MakeHandover("h1", kStart), key);
  EXPECT_EQ(first.request_fingerprint, "fp-1");
  StoredHandover retry = MustCreate(MakeHandover("h2", kStart), key);
  EXPECT_EQ(retry.handover.name(), "handovers/h1");
  EXPECT_EQ(retry.request_fingerprint, "fp-1");
  EXPECT_THAT(store_->Get("handovers/h2"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Events().size(), 1u);
  ASSERT_OK_AND_ASSIGN(std::optional<StoredHandover> found,
                       store_->FindByRequestId("teams/crisis", "req-1"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->handover.name(), "handovers/h1");
  EXPECT_EQ(found->request_fingerprint, "fp-1");
}

TEST_F(SqliteHandoverStoreTest, RequestIdsBelongToTheSendingTeam) {
  HandoverRequestKey key{"req-1", "fp"};
  MustCreate(MakeHandover("h1", kStart), key);
  StoredHandover other = MustCreate(
      MakeHandover("h2", kStart, v1::SHARED_CARE, "persons/p1", "teams/vcs"),
      key);
  EXPECT_EQ(other.handover.name(), "handovers/h2");
  ASSERT_OK_AND_ASSIGN(std::optional<StoredHandover> none,
                       store_->FindByRequestId("teams/cmht", "req-1"));
  EXPECT_FALSE(none.has_value());
}

TEST_F(SqliteHandoverStoreTest, SecondPendingTransferForAPersonFails) {
  MustCreate(MakeHandover("t1", kStart, v1::TRANSFER_OF_RESPONSIBILITY));
  v1::Handover second =
      MakeHandover("t2", kStart, v1::TRANSFER_OF_RESPONSIBILITY, "persons/p1",
                   "teams/crisis", "teams/vcs");
  EXPECT_THAT(
      store_->Create(second, {}, EventFor("handover.created", second, kStart)),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("handovers/t1 already transfers responsibility for "
                         "persons/p1")));
  EXPECT_THAT(store_->Get("handovers/t2"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Events().size(), 1u);
}

TEST_F(SqliteHandoverStoreTest, PendingTransferLimitIsPerPersonAndKind) {
  MustCreate(MakeHandover("t1", kStart, v1::TRANSFER_OF_RESPONSIBILITY));
  // Another person, and other kinds for the same person, are not limited.
  MustCreate(
      MakeHandover("t2", kStart, v1::TRANSFER_OF_RESPONSIBILITY, "persons/p2"));
  MustCreate(MakeHandover("s1", kStart, v1::SHARED_CARE));
  MustCreate(MakeHandover("i1", kStart, v1::INFORMATION_ONLY));
  EXPECT_EQ(Events().size(), 4u);
}

TEST_F(SqliteHandoverStoreTest, AnsweredTransferMakesRoomForTheNext) {
  StoredHandover first =
      MustCreate(MakeHandover("t1", kStart, v1::TRANSFER_OF_RESPONSIBILITY));
  ASSERT_OK(Answer(first.handover, 1, v1::DECLINED).status());
  StoredHandover next =
      MustCreate(MakeHandover("t2", kStart, v1::TRANSFER_OF_RESPONSIBILITY));
  EXPECT_EQ(next.handover.name(), "handovers/t2");
}

TEST_F(SqliteHandoverStoreTest, UpdateIsACompareAndSwap) {
  StoredHandover created = MustCreate(MakeHandover("h1", kStart));
  ASSERT_OK_AND_ASSIGN(int64_t version,
                       Answer(created.handover, 1, v1::ACCEPTED));
  EXPECT_EQ(version, 2);
  EXPECT_THAT(Answer(created.handover, 1, v1::DECLINED),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("handovers/h1")));
  EXPECT_THAT(Answer(MakeHandover("nope", kStart), 1, v1::DECLINED),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(StoredHandover read, store_->Get("handovers/h1"));
  EXPECT_EQ(read.version, 2);
  EXPECT_EQ(read.handover.state(), v1::ACCEPTED);
  // The failed updates appended nothing.
  std::vector<events::v1::Event> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type(), "handover.accepted");
}

TEST_F(SqliteHandoverStoreTest, EarlierClockReadingIsRaisedInRowAndEvent) {
  MustCreate(MakeHandover("h1", kStart + absl::Seconds(5)));
  StoredHandover late = MustCreate(MakeHandover("h2", kStart));
  const auto raised = ToProtoTimestamp(kStart + absl::Seconds(5));
  EXPECT_THAT(late.handover.create_time(), EqualsProto(raised));
  ASSERT_OK_AND_ASSIGN(StoredHandover read, store_->Get("handovers/h2"));
  EXPECT_THAT(read.handover.create_time(), EqualsProto(raised));
  v1::Handover payload;
  ASSERT_TRUE(Events()[1].payload().UnpackTo(&payload));
  EXPECT_THAT(payload.create_time(), EqualsProto(raised));
  EXPECT_THAT(payload.update_time(), EqualsProto(raised));
}

TEST_F(SqliteHandoverStoreTest, ListsPageOldestFirstInEachMailbox) {
  for (int i = 1; i <= 5; ++i) {
    MustCreate(MakeHandover(absl::StrCat("h", i), kStart + absl::Seconds(i)));
  }
  MustCreate(MakeHandover("other", kStart + absl::Seconds(9), v1::SHARED_CARE,
                          "persons/p1", "teams/vcs", "teams/crisis"));
  HandoverQuery query = Mailbox(HandoverQuery::Mailbox::kInbox, "teams/cmht");
  query.page_size = 2;
  std::vector<std::string> names;
  for (int pages = 0; pages < 10; ++pages) {
    ASSERT_OK_AND_ASSIGN(HandoverPage page, store_->List(query));
    for (const auto& name : Names(page)) names.push_back(name);
    if (!page.next.has_value()) break;
    query.after = page.next;
  }
  EXPECT_THAT(names, ElementsAre("handovers/h1", "handovers/h2", "handovers/h3",
                                 "handovers/h4", "handovers/h5"));
  ASSERT_OK_AND_ASSIGN(
      HandoverPage sent,
      store_->List(Mailbox(HandoverQuery::Mailbox::kSentByTeam, "teams/vcs")));
  EXPECT_THAT(Names(sent), ElementsAre("handovers/other"));
  ASSERT_OK_AND_ASSIGN(
      HandoverPage crisis_inbox,
      store_->List(Mailbox(HandoverQuery::Mailbox::kInbox, "teams/crisis")));
  EXPECT_THAT(Names(crisis_inbox), ElementsAre("handovers/other"));
}

TEST_F(SqliteHandoverStoreTest, ListsFilterByStatePersonAndOverdue) {
  StoredHandover a = MustCreate(MakeHandover("a", kStart));
  MustCreate(MakeHandover("b", kStart + absl::Seconds(1), v1::SHARED_CARE,
                          "persons/p2"));
  MustCreate(MakeHandover("c", kStart + absl::Hours(100)));
  ASSERT_OK(Answer(a.handover, 1, v1::ACCEPTED).status());

  HandoverQuery query = Mailbox(HandoverQuery::Mailbox::kInbox, "teams/cmht");
  query.states = {v1::ACCEPTED};
  ASSERT_OK_AND_ASSIGN(HandoverPage accepted, store_->List(query));
  EXPECT_THAT(Names(accepted), ElementsAre("handovers/a"));

  query = Mailbox(HandoverQuery::Mailbox::kInbox, "teams/cmht");
  query.person = "persons/p2";
  ASSERT_OK_AND_ASSIGN(HandoverPage p2, store_->List(query));
  EXPECT_THAT(Names(p2), ElementsAre("handovers/b"));

  // At 80 hours a and b are past their 72-hour deadline; a is answered.
  query = Mailbox(HandoverQuery::Mailbox::kSentByTeam, "teams/crisis");
  query.overdue_only = true;
  query.now = kStart + absl::Hours(80);
  ASSERT_OK_AND_ASSIGN(HandoverPage overdue, store_->List(query));
  EXPECT_THAT(Names(overdue), ElementsAre("handovers/b"));
}

TEST_F(SqliteHandoverStoreTest, UnescalatedOverdueSkipsAnsweredAndEscalated) {
  StoredHandover answered = MustCreate(MakeHandover("answered", kStart));
  StoredHandover escalated =
      MustCreate(MakeHandover("escalated", kStart + absl::Seconds(1)));
  MustCreate(MakeHandover("later", kStart + absl::Seconds(2)));
  MustCreate(MakeHandover("earlier", kStart - absl::Hours(1)));
  MustCreate(MakeHandover("not-due", kStart + absl::Hours(50)));
  ASSERT_OK(Answer(answered.handover, 1, v1::CANCELLED).status());
  v1::Handover marked = escalated.handover;
  *marked.mutable_escalate_time() = ToProtoTimestamp(kStart + absl::Hours(73));
  ASSERT_OK(store_
                ->Update(marked, 1,
                         EventFor("handover.escalated", marked,
                                  kStart + absl::Hours(73)))
                .status());

  const absl::Time now = kStart + absl::Hours(80);
  ASSERT_OK_AND_ASSIGN(std::vector<StoredHandover> due,
                       store_->ListUnescalatedOverdue(now, 10));
  // Most overdue first. ("earlier" was raised to the latest create time on
  // insert, but its deadline stays the one it was given.)
  EXPECT_THAT(Names(due), ElementsAre("handovers/earlier", "handovers/later"));
  ASSERT_OK_AND_ASSIGN(std::vector<StoredHandover> one,
                       store_->ListUnescalatedOverdue(now, 1));
  EXPECT_THAT(Names(one), ElementsAre("handovers/earlier"));
  ASSERT_OK_AND_ASSIGN(std::vector<StoredHandover> none,
                       store_->ListUnescalatedOverdue(kStart, 10));
  EXPECT_THAT(none, IsEmpty());
}

TEST_F(SqliteHandoverStoreTest, ReopenedStoreKeepsHandoversAndEvents) {
  MustCreate(MakeHandover("h1", kStart), {"req-1", "fp"});
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, SqliteHandoverStore::Open(Location()));
  ASSERT_OK_AND_ASSIGN(StoredHandover read, store_->Get("handovers/h1"));
  EXPECT_EQ(read.version, 1);
  EXPECT_EQ(Events().size(), 1u);
  StoredHandover retry =
      MustCreate(MakeHandover("h2", kStart), {"req-1", "fp"});
  EXPECT_EQ(retry.handover.name(), "handovers/h1");
}

}  // namespace
}  // namespace carebridge::handover
