// SqliteReferralStore at real sizes, on either engine: the longest texts
// the validators allow in every field, thousands of referrals listed through
// every page, and writers racing a paging reader, from one store or (on
// PostgreSQL) two replicas sharing the database.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/validation.h"
#include "services/referral/sqlite_referral_store_test_fixture.h"

namespace carebridge::referral {
namespace {

using ::carebridge::testing::EqualsProto;
using ::testing::ElementsAreArray;
using ::testing::SizeIs;

// `chars` code points of four-byte UTF-8 (the most bytes a character
// takes), starting with a NUL (valid UTF-8, and no TEXT column on
// PostgreSQL could hold it: the body is bytes).
std::string LongestText(size_t chars) {
  std::string text("\0", 1);
  for (size_t i = 1; i < chars; ++i) text += "\xF0\x9F\x92\x9A";  // U+1F49A
  return text;
}

// An id of the longest a resource name allows (64 characters).
std::string LongId(char fill) { return std::string(64, fill); }

// A referral with every field set, each text at its validator's limit and a
// history of every step a referral can take, each with the longest note.
v1::Referral FullReferral(absl::string_view id) {
  v1::Referral referral =
      MakeReferral(id, kStart, "teams/" + LongId('s'), "teams/" + LongId('r'));
  referral.set_person("persons/" + LongId('p'));
  referral.set_reason(LongestText(kMaxLongTextChars));
  referral.set_person_wishes(LongestText(kMaxLongTextChars));
  referral.set_risk_summary(LongestText(kMaxLongTextChars));
  referral.set_created_by("members/" + LongId('m'));
  referral.mutable_onward_route()->set_signposting(
      LongestText(kMaxShortTextChars));
  referral.mutable_onward_route()->set_suggested_team("teams/" + LongId('o'));
  referral.set_redirected_to("referrals/" + LongId('t'));
  referral.set_redirected_from("referrals/" + LongId('f'));
  *referral.mutable_escalate_time() =
      ToProtoTimestamp(kStart + absl::Hours(73));
  for (int action = v1::ReferralEvent::CREATED;
       action <= v1::ReferralEvent::ESCALATED; ++action) {
    v1::ReferralEvent* step = referral.add_history();
    step->set_action(static_cast<v1::ReferralEvent::Action>(action));
    *step->mutable_time() = ToProtoTimestamp(kStart + absl::Minutes(action));
    step->set_actor("members/" + LongId('a'));
    step->set_actor_team("teams/" + LongId('r'));
    step->set_from_state(v1::SENT);
    step->set_to_state(v1::ACKNOWLEDGED);
    step->set_note(LongestText(kMaxShortTextChars));
  }
  for (char team = 'a'; team <= 'h'; ++team) {
    referral.add_withheld_from_receiving_team("teams/" + LongId(team));
  }
  return referral;
}

TEST_F(SqliteReferralStoreTest, FullReferralAtTheLimitsRoundTrips) {
  const std::string request_id(kMaxRequestIdChars, '~');
  v1::Referral referral = FullReferral(LongId('1'));
  ASSERT_OK_AND_ASSIGN(StoredReferral created, Create(referral, request_id));
  EXPECT_THAT(created.referral, EqualsProto(referral));
  ASSERT_OK_AND_ASSIGN(StoredReferral read, store_->Get(referral.name()));
  EXPECT_THAT(read.referral, EqualsProto(referral));
  ASSERT_OK_AND_ASSIGN(
      auto found, store_->FindByRequestId(referral.sending_team(), request_id));
  ASSERT_TRUE(found.has_value());
  EXPECT_THAT(found->referral, EqualsProto(referral));

  v1::Referral declined = referral;
  declined.set_state(v1::DECLINED);
  ASSERT_OK(Update(declined, 1, "referral.declined").status());
  ASSERT_OK_AND_ASSIGN(StoredReferral reread, store_->Get(referral.name()));
  EXPECT_THAT(reread.referral, EqualsProto(declined));
  EXPECT_EQ(reread.version, 2);

  ReferralQuery query = Inbox(referral.receiving_team());
  query.person = referral.person();
  query.states = {v1::DECLINED};
  ASSERT_OK_AND_ASSIGN(ReferralPage page, store_->List(query));
  ASSERT_THAT(page.referrals, SizeIs(1));
  EXPECT_THAT(page.referrals[0].referral, EqualsProto(declined));

  std::vector<events::v1::Event> events = Events();
  ASSERT_THAT(events, SizeIs(2));
  v1::Referral payload;
  ASSERT_TRUE(events[1].payload().UnpackTo(&payload));
  EXPECT_THAT(payload, EqualsProto(declined));
}

// The names `query` lists, read through every page of `page_size`,
// following each page's key.
std::vector<std::string> ReadAllPages(ReferralStore& store, ReferralQuery query,
                                      int page_size) {
  query.page_size = page_size;
  std::vector<std::string> names;
  while (true) {
    absl::StatusOr<ReferralPage> page = store.List(query);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return names;
    EXPECT_LE(static_cast<int>(page->referrals.size()), page_size);
    for (const StoredReferral& stored : page->referrals) {
      names.push_back(stored.referral.name());
    }
    if (!page->next.has_value()) return names;
    query.after = page->next;
  }
}

TEST_F(SqliteReferralStoreTest, ThousandsOfReferralsListInCreateOrderByPage) {
  constexpr int kReferrals = 3000;
  // Inserted in this order; ids descending, so an order by id would show.
  // Create times repeat in runs of five (the sequence orders those) and
  // every seventh goes back an hour (raised to the latest: still last).
  std::vector<std::string> crisis_all, crisis_accepted, crisis_person2,
      cmht_all;
  for (int i = 0; i < kReferrals; ++i) {
    absl::Time create_time = kStart + absl::Seconds(i / 5);
    if (i % 7 == 3) create_time -= absl::Hours(1);
    const bool to_crisis = i % 4 != 0;
    v1::Referral referral =
        MakeReferral(absl::StrCat("r", kReferrals * 2 - i), create_time,
                     "teams/sender", to_crisis ? "teams/crisis" : "teams/cmht");
    if (i % 3 == 0) referral.set_person("persons/p2");
    ASSERT_OK(Create(referral, absl::StrCat("req-", i)).status());
    if (i % 5 == 0) {
      v1::Referral accepted = referral;
      accepted.set_state(v1::ACCEPTED);
      ASSERT_OK(Update(accepted, 1).status());
    }
    (to_crisis ? crisis_all : cmht_all).push_back(referral.name());
    if (to_crisis && i % 5 == 0) crisis_accepted.push_back(referral.name());
    if (to_crisis && i % 3 == 0) crisis_person2.push_back(referral.name());
  }

  for (int page_size : {1, 7, 50, 1000}) {
    SCOPED_TRACE(absl::StrCat("page size ", page_size));
    if (page_size == 1) {
      // One referral a page, on the smaller mailbox (750 pages).
      EXPECT_THAT(ReadAllPages(*store_, Inbox("teams/cmht"), page_size),
                  ElementsAreArray(cmht_all));
      continue;
    }
    EXPECT_THAT(ReadAllPages(*store_, Inbox(), page_size),
                ElementsAreArray(crisis_all));
    ReferralQuery accepted = Inbox();
    accepted.states = {v1::ACCEPTED};
    EXPECT_THAT(ReadAllPages(*store_, accepted, page_size),
                ElementsAreArray(crisis_accepted));
    ReferralQuery person2 = Inbox();
    person2.person = "persons/p2";
    EXPECT_THAT(ReadAllPages(*store_, person2, page_size),
                ElementsAreArray(crisis_person2));
  }
  ReferralQuery sent = Inbox("teams/sender");
  sent.mailbox = ReferralQuery::Mailbox::kSentByTeam;
  EXPECT_THAT(ReadAllPages(*store_, sent, 1000), SizeIs(kReferrals));

  std::vector<events::v1::Event> events;
  int64_t after = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(std::vector<events::v1::Event> slice,
                         store_->event_log()->ReadAfter(after, 1000));
    if (slice.empty()) break;
    after = slice.back().sequence();
    for (events::v1::Event& event : slice) events.push_back(std::move(event));
  }
  ASSERT_THAT(events, SizeIs(kReferrals + kReferrals / 5));
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), static_cast<int64_t>(i) + 1);
  }
}

// A second store on the same database: another replica on PostgreSQL;
// on SQLite (one process per file) the same store.
class ReplicatedReferralStoreTest : public SqliteReferralStoreTest {
 protected:
  void SetUp() override {
    SqliteReferralStoreTest::SetUp();
    if (::carebridge::testing::TestOnPostgresql()) {
      ASSERT_OK_AND_ASSIGN(replica_, SqliteReferralStore::Open(Location()));
    }
  }
  ReferralStore& Replica() { return replica_ != nullptr ? *replica_ : *store_; }

  std::unique_ptr<SqliteReferralStore> replica_;
};

// The listing key's promise (ReferralCursor): a reader that resumes after
// the last key it saw never misses a referral committed later, however
// the writers' commits interleave.
TEST_F(ReplicatedReferralStoreTest, PagingReaderMissesNoConcurrentCreate) {
  constexpr int kWriters = 4;
  constexpr int kEach = 150;
  std::atomic<int> writers_left{kWriters};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      ReferralStore& store = w % 2 == 0 ? *store_ : Replica();
      for (int i = 0; i < kEach; ++i) {
        // Clock readings that go back and forth between writers.
        v1::Referral referral =
            MakeReferral(absl::StrCat("w", w, "-", i),
                         kStart + absl::Milliseconds(i * 10 - w * 15));
        absl::StatusOr<StoredReferral> created =
            store.Create(referral, "", EventFor("referral.created", referral));
        EXPECT_TRUE(created.ok()) << created.status();
      }
      --writers_left;
    });
  }

  // Full pages are taken once, following their keys; the last page (not
  // full, no key yet) is read again until the writers are done.
  std::vector<std::string> seen;
  ReferralQuery query = Inbox();
  query.page_size = 13;
  while (true) {
    const bool writers_done = writers_left.load() == 0;
    absl::StatusOr<ReferralPage> page = store_->List(query);
    if (!page.ok()) {
      // Not ASSERT: the writers are still to be joined.
      ADD_FAILURE() << page.status();
      break;
    }
    if (page->next.has_value() || writers_done) {
      for (const StoredReferral& stored : page->referrals) {
        seen.push_back(stored.referral.name());
      }
    }
    if (page->next.has_value()) {
      query.after = page->next;
    } else if (writers_done) {
      break;
    } else {
      absl::SleepFor(absl::Milliseconds(1));
    }
  }
  for (std::thread& writer : writers) writer.join();

  ASSERT_THAT(seen, SizeIs(kWriters * kEach));
  EXPECT_THAT(seen, ElementsAreArray(ReadAllPages(*store_, Inbox(), 1000)));
}

TEST_F(ReplicatedReferralStoreTest, RetriesOnBothReplicasMakeOneReferral) {
  constexpr int kThreads = 8;
  std::vector<std::string> names(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ReferralStore& store = i % 2 == 0 ? *store_ : Replica();
      v1::Referral referral = MakeReferral(absl::StrCat("r", i), kStart);
      absl::StatusOr<StoredReferral> stored = store.Create(
          referral, "same-request", EventFor("referral.created", referral));
      names[i] =
          stored.ok() ? stored->referral.name() : stored.status().ToString();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& name : names) EXPECT_EQ(name, names[0]);
  EXPECT_THAT(ReadAllPages(*store_, Inbox(), 50), ElementsAreArray({names[0]}));
  std::vector<events::v1::Event> events = Events();
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].subject(), names[0]);
}

}  // namespace
}  // namespace carebridge::referral
