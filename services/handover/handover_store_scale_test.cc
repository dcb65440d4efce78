// The handover store at real sizes, on the engine the run tests
// (TestDatabase): a handover at the longest the validators allow
// round-trips unchanged, thousands list through every page oldest first,
// and concurrent creates (on PostgreSQL from two store instances, as two
// replicas) get listing keys in commit order, so a reader following a
// mailbox page by page never misses one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"
#include "services/handover/handover_validation.h"
#include "services/handover/sqlite_handover_store.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::handover {
namespace {

using ::carebridge::testing::EqualsProto;
using ::testing::ElementsAreArray;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);

// `chars` characters cycling through one- to four-byte UTF-8 sequences.
std::string LongText(size_t chars) {
  static const char* const kPieces[] = {"a", "\xc3\xa9", "\xe2\x82\xac",
                                        "\xf0\x9f\x98\x80"};  // a é € 😀
  std::string text;
  for (size_t i = 0; i < chars; ++i) text += kPieces[i % 4];
  return text;
}

v1::Handover MakeHandover(const std::string& id, absl::Time create_time,
                          const std::string& receiving_team = "teams/cmht") {
  v1::Handover handover;
  handover.set_name(absl::StrCat("handovers/", id));
  handover.set_person(absl::StrCat("persons/", id));
  handover.set_sending_team("teams/crisis");
  handover.set_receiving_team(receiving_team);
  handover.set_kind(v1::SHARED_CARE);
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

events::v1::Event CreatedEvent(const v1::Handover& h) {
  return MakeEvent("handover.created", h.name(), h.person(),
                   {h.sending_team(), h.receiving_team()}, "members/m1",
                   FromProtoTimestamp(h.create_time()), h);
}

class HandoverStoreScaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        database_, ::carebridge::testing::TestDatabase::Create(dir_.path()));
    ASSERT_OK_AND_ASSIGN(
        store_, SqliteHandoverStore::Open(database_->location("handover")));
  }

  // Every handover in `team`'s inbox, page by page.
  std::vector<std::string> Inbox(const std::string& team, int page_size) {
    std::vector<std::string> names;
    HandoverQuery query;
    query.team = team;
    query.now = kStart;
    query.page_size = page_size;
    while (true) {
      absl::StatusOr<HandoverPage> page = store_->List(query);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return names;
      for (const StoredHandover& stored : page->handovers) {
        names.push_back(stored.handover.name());
      }
      if (!page->next.has_value()) return names;
      query.after = page->next;
    }
  }

  ::carebridge::testing::TempDir dir_;
  std::optional<::carebridge::testing::TestDatabase> database_;
  std::unique_ptr<SqliteHandoverStore> store_;
};

TEST_F(HandoverStoreScaleTest, AHandoverAtItsLongestRoundTrips) {
  v1::Handover handover = MakeHandover("h1", kStart);
  handover.set_situation(LongText(kMaxLongTextChars));
  handover.set_background(LongText(kMaxLongTextChars));
  handover.set_assessment(LongText(kMaxLongTextChars));
  handover.set_recommendation(LongText(kMaxLongTextChars));
  for (size_t i = 0; i < kMaxActions; ++i) {
    v1::HandoverAction* action = handover.add_actions();
    action->set_description(LongText(kMaxShortTextChars));
    action->set_owning_team("teams/cmht");
    *action->mutable_due_time() = ToProtoTimestamp(kStart + absl::Hours(i));
  }
  for (size_t i = 0; i < kMaxContingencies; ++i) {
    v1::Contingency* contingency = handover.add_contingencies();
    contingency->set_if_this(LongText(kMaxShortTextChars));
    contingency->set_then_do(LongText(kMaxShortTextChars));
  }
  ASSERT_OK_AND_ASSIGN(
      StoredHandover created,
      store_->Create(handover, {"req-1", "fp-1"}, CreatedEvent(handover)));
  ASSERT_OK_AND_ASSIGN(StoredHandover read, store_->Get(handover.name()));
  EXPECT_THAT(read.handover, EqualsProto(handover));
  EXPECT_EQ(read.request_fingerprint, "fp-1");

  handover.set_state(v1::ACCEPTED);
  handover.mutable_read_back()->set_summary(LongText(kMaxLongTextChars));
  ASSERT_OK(store_->Update(handover, created.version, CreatedEvent(handover))
                .status());
  ASSERT_OK_AND_ASSIGN(read, store_->Get(handover.name()));
  EXPECT_THAT(read.handover, EqualsProto(handover));

  ASSERT_OK_AND_ASSIGN(std::vector<events::v1::Event> events,
                       store_->event_log()->ReadAfter(0, 10));
  ASSERT_EQ(events.size(), 2u);
  v1::Handover payload;
  ASSERT_TRUE(events[1].payload().UnpackTo(&payload));
  EXPECT_THAT(payload, EqualsProto(handover));
}

TEST_F(HandoverStoreScaleTest, ThousandsListThroughEveryPageOldestFirst) {
  constexpr int kHandovers = 3000;
  std::vector<std::string> cmht;
  std::vector<std::string> vcs;
  for (int i = 0; i < kHandovers; ++i) {
    // Ten at a time share a create time: the store's order breaks the tie.
    const bool to_cmht = i % 3 != 0;
    v1::Handover handover = MakeHandover(
        absl::StrCat("h", (i * 7919) % kHandovers),
        kStart + absl::Seconds(i / 10), to_cmht ? "teams/cmht" : "teams/vcs");
    ASSERT_OK(store_->Create(handover, {}, CreatedEvent(handover)).status());
    (to_cmht ? cmht : vcs).push_back(handover.name());
  }
  EXPECT_THAT(Inbox("teams/cmht", 50), ElementsAreArray(cmht));
  EXPECT_THAT(Inbox("teams/vcs", 37), ElementsAreArray(vcs));
  ASSERT_OK_AND_ASSIGN(std::vector<events::v1::Event> events,
                       store_->event_log()->ReadAfter(0, kHandovers + 1));
  EXPECT_EQ(events.size(), static_cast<size_t>(kHandovers));
}

// Writers race, each with its own clock reading (raised by the store to the
// latest stored create time); a reader follows the inbox in small pages as
// they commit. Every handover must reach the reader, in the order a full
// listing gives at the end: a key handed out before a commit that lands
// later would sort before a cursor the reader has passed.
TEST_F(HandoverStoreScaleTest, ConcurrentCreatesReachAFollowingReaderInOrder) {
  // A second instance on the same database: a second replica on
  // PostgreSQL. SQLite files have one process writing.
  std::unique_ptr<SqliteHandoverStore> replica;
  if (::carebridge::testing::TestOnPostgresql()) {
    ASSERT_OK_AND_ASSIGN(
        replica, SqliteHandoverStore::Open(database_->location("handover")));
  }
  constexpr int kWriters = 4;
  constexpr int kEach = 75;
  std::atomic<int64_t> clock{0};
  std::atomic<int> writing{kWriters};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    SqliteHandoverStore* store =
        replica != nullptr && w % 2 == 1 ? replica.get() : store_.get();
    writers.emplace_back([&, store, w] {
      for (int i = 0; i < kEach; ++i) {
        v1::Handover handover =
            MakeHandover(absl::StrCat("w", w, "-", i),
                         kStart + absl::Microseconds(clock++ / 3));
        absl::Status created =
            store->Create(handover, {}, CreatedEvent(handover)).status();
        EXPECT_TRUE(created.ok()) << created;
      }
      --writing;
    });
  }

  std::vector<std::string> seen_in_order;
  std::set<std::string> seen;
  HandoverQuery query;
  query.team = "teams/cmht";
  query.now = kStart;
  query.page_size = 5;
  bool last_pass = false;
  while (true) {
    const bool writers_done = writing.load() == 0;
    ASSERT_OK_AND_ASSIGN(HandoverPage page, store_->List(query));
    for (const StoredHandover& stored : page.handovers) {
      if (seen.insert(stored.handover.name()).second) {
        seen_in_order.push_back(stored.handover.name());
      }
    }
    if (page.next.has_value()) {
      query.after = page.next;
      continue;
    }
    if (last_pass) break;
    // One more pass once every writer has finished.
    last_pass = writers_done;
  }
  for (std::thread& writer : writers) writer.join();

  EXPECT_EQ(seen_in_order.size(), static_cast<size_t>(kWriters * kEach));
  EXPECT_THAT(seen_in_order, ElementsAreArray(Inbox("teams/cmht", 100)));
  ASSERT_OK_AND_ASSIGN(std::vector<events::v1::Event> events,
                       store_->event_log()->ReadAfter(0, kWriters * kEach + 1));
  EXPECT_EQ(events.size(), static_cast<size_t>(kWriters * kEach));
}

}  // namespace
}  // namespace carebridge::handover
