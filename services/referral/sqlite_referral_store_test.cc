#include "services/referral/sqlite_referral_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/time_util.h"
#include "services/referral/sqlite_referral_store_test_fixture.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/temp_dir.h"

namespace carebridge::referral {
namespace {

using ::carebridge::testing::EqualsProto;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(SqliteReferralStoreTest, CreatedReferralReadsBackAtVersionOne) {
  v1::Referral referral = MakeReferral("r1", kStart);
  ASSERT_OK_AND_ASSIGN(StoredReferral created, Create(referral));
  EXPECT_EQ(created.version, 1);
  ASSERT_OK_AND_ASSIGN(StoredReferral read, store_->Get("referrals/r1"));
  EXPECT_EQ(read.version, 1);
  EXPECT_THAT(read.referral, EqualsProto(referral));
}

TEST_F(SqliteReferralStoreTest, EtagAndOverdueAreNeverStored) {
  v1::Referral referral = MakeReferral("r1", kStart);
  referral.set_etag("7");
  referral.set_overdue(true);
  ASSERT_OK(Create(referral).status());
  ASSERT_OK_AND_ASSIGN(StoredReferral read, store_->Get("referrals/r1"));
  EXPECT_EQ(read.referral.etag(), "");
  EXPECT_FALSE(read.referral.overdue());
}

TEST_F(SqliteReferralStoreTest, GetUnknownIsNotFound) {
  EXPECT_EQ(store_->Get("referrals/nope").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteReferralStoreTest, CreateWithSameRequestIdReturnsTheFirst) {
  ASSERT_OK_AND_ASSIGN(StoredReferral first,
                       Create(MakeReferral("r1", kStart), "req-1"));
  v1::Referral retry = MakeReferral("r2", kStart);
  retry.set_reason("a different body");
  ASSERT_OK_AND_ASSIGN(StoredReferral second, Create(retry, "req-1"));
  EXPECT_EQ(second.referral.name(), "referrals/r1");
  EXPECT_EQ(second.referral.reason(), "needs support");
  EXPECT_EQ(store_->Get("referrals/r2").status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(auto found,
                       store_->FindByRequestId("teams/cmht", "req-1"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->referral.name(), "referrals/r1");
}

TEST_F(SqliteReferralStoreTest, ConcurrentRetriesMakeOneReferral) {
  constexpr int kThreads = 8;
  std::vector<std::string> names(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<StoredReferral> stored =
          Create(MakeReferral(absl::StrCat("r", i), kStart), "same-request");
      names[i] = stored.ok() ? stored->referral.name() : "error";
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& name : names) EXPECT_EQ(name, names[0]);
  ASSERT_OK_AND_ASSIGN(ReferralPage page, store_->List(Inbox()));
  EXPECT_THAT(Names(page), ElementsAre(names[0]));
}

TEST_F(SqliteReferralStoreTest, RequestIdsAreScopedToTheSendingTeam) {
  ASSERT_OK(Create(MakeReferral("r1", kStart, "teams/a"), "req-1").status());
  ASSERT_OK_AND_ASSIGN(StoredReferral other,
                       Create(MakeReferral("r2", kStart, "teams/b"), "req-1"));
  EXPECT_EQ(other.referral.name(), "referrals/r2");
  ASSERT_OK_AND_ASSIGN(auto none, store_->FindByRequestId("teams/c", "req-1"));
  EXPECT_FALSE(none.has_value());
}

TEST_F(SqliteReferralStoreTest, CreatesWithoutRequestIdAreNeverMerged) {
  ASSERT_OK(Create(MakeReferral("r1", kStart)).status());
  ASSERT_OK(Create(MakeReferral("r2", kStart)).status());
  ASSERT_OK_AND_ASSIGN(ReferralPage page, store_->List(Inbox()));
  EXPECT_THAT(Names(page), ElementsAre("referrals/r1", "referrals/r2"));
}

// Identifiers are kept with the referral and found by List, in the
// query's mailbox, paged, a change of the referral keeping them.
TEST_F(SqliteReferralStoreTest, IdentifiersAreStoredAndListedBy) {
  auto identified = [](v1::Referral referral,
                       std::vector<std::pair<std::string, std::string>> ids) {
    for (const auto& [system, value] : ids) {
      v1::ReferralIdentifier* identifier = referral.add_identifiers();
      identifier->set_system(system);
      identifier->set_value(value);
    }
    return referral;
  };
  const std::string trust = "https://trust.example/ref";
  v1::Referral r1 = identified(MakeReferral("r1", kStart),
                               {{trust, "R-1"}, {"urn:other", "R-2"}});
  ASSERT_OK(Create(r1).status());
  ASSERT_OK(Create(identified(MakeReferral("r2", kStart + absl::Seconds(1)),
                              {{trust, "R-1"}}))
                .status());
  ASSERT_OK(Create(identified(MakeReferral("r3", kStart), {{trust, "R-2"}}))
                .status());
  ASSERT_OK(Create(identified(MakeReferral("r4", kStart, "teams/other"),
                              {{trust, "R-1"}}))
                .status());
  ASSERT_OK(Create(MakeReferral("r5", kStart)).status());
  ASSERT_OK_AND_ASSIGN(StoredReferral read, store_->Get("referrals/r1"));
  EXPECT_THAT(read.referral, EqualsProto(r1));

  auto carrying = [&](ReferralQuery query, const std::string& system,
                      const std::string& value) {
    query.identifier.emplace();
    query.identifier->set_system(system);
    query.identifier->set_value(value);
    return query;
  };
  ReferralQuery sent = Inbox();
  sent.mailbox = ReferralQuery::Mailbox::kSentByTeam;
  sent.team = "teams/cmht";
  ASSERT_OK_AND_ASSIGN(ReferralPage page,
                       store_->List(carrying(sent, trust, "R-1")));
  EXPECT_THAT(Names(page), ElementsAre("referrals/r1", "referrals/r2"));
  ASSERT_OK_AND_ASSIGN(page, store_->List(carrying(Inbox(), trust, "R-1")));
  EXPECT_THAT(Names(page),
              ElementsAre("referrals/r1", "referrals/r2", "referrals/r4"));
  ASSERT_OK_AND_ASSIGN(page, store_->List(carrying(sent, trust, "R-2")));
  EXPECT_THAT(Names(page), ElementsAre("referrals/r3"));
  ASSERT_OK_AND_ASSIGN(page, store_->List(carrying(sent, "urn:other", "R-1")));
  EXPECT_THAT(Names(page), IsEmpty());

  // Paged: one at a time.
  ReferralQuery first = carrying(sent, trust, "R-1");
  first.page_size = 1;
  ASSERT_OK_AND_ASSIGN(page, store_->List(first));
  EXPECT_THAT(Names(page), ElementsAre("referrals/r1"));
  ASSERT_TRUE(page.next.has_value());
  first.after = page.next;
  ASSERT_OK_AND_ASSIGN(page, store_->List(first));
  EXPECT_THAT(Names(page), ElementsAre("referrals/r2"));

  // With the other filters.
  ReferralQuery accepted = carrying(sent, trust, "R-1");
  accepted.states = {v1::ACCEPTED};
  ASSERT_OK_AND_ASSIGN(page, store_->List(accepted));
  EXPECT_THAT(Names(page), IsEmpty());
  v1::Referral changed = r1;
  changed.set_state(v1::ACCEPTED);
  ASSERT_OK(Update(changed, 1).status());
  ASSERT_OK_AND_ASSIGN(page, store_->List(accepted));
  EXPECT_THAT(Names(page), ElementsAre("referrals/r1"));
  EXPECT_EQ(page.referrals[0].referral.identifiers_size(), 2);
}

TEST_F(SqliteReferralStoreTest, UpdateAtCurrentVersionBumpsIt) {
  ASSERT_OK(Create(MakeReferral("r1", kStart)).status());
  v1::Referral changed = MakeReferral("r1", kStart);
  changed.set_state(v1::ACCEPTED);
  ASSERT_OK_AND_ASSIGN(int64_t version, Update(changed, 1));
  EXPECT_EQ(version, 2);
  ASSERT_OK_AND_ASSIGN(StoredReferral read, store_->Get("referrals/r1"));
  EXPECT_EQ(read.version, 2);
  EXPECT_EQ(read.referral.state(), v1::ACCEPTED);
}

TEST_F(SqliteReferralStoreTest,
       UpdateAtStaleVersionIsAbortedAndChangesNothing) {
  ASSERT_OK(Create(MakeReferral("r1", kStart)).status());
  v1::Referral accepted = MakeReferral("r1", kStart);
  accepted.set_state(v1::ACCEPTED);
  ASSERT_OK(Update(accepted, 1).status());
  v1::Referral declined = MakeReferral("r1", kStart);
  declined.set_state(v1::DECLINED);
  EXPECT_EQ(Update(declined, 1).status().code(), absl::StatusCode::kAborted);
  ASSERT_OK_AND_ASSIGN(StoredReferral read, store_->Get("referrals/r1"));
  EXPECT_EQ(read.referral.state(), v1::ACCEPTED);
  EXPECT_EQ(read.version, 2);
}

TEST_F(SqliteReferralStoreTest, UpdateOfUnknownIsNotFound) {
  EXPECT_EQ(Update(MakeReferral("nope", kStart), 1).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteReferralStoreTest, RedirectStoresBoth) {
  ASSERT_OK(Create(MakeReferral("r1", kStart)).status());
  v1::Referral old = MakeReferral("r1", kStart);
  old.set_state(v1::REDIRECTED);
  old.set_redirected_to("referrals/r2");
  v1::Referral created = MakeReferral("r2", kStart, "teams/cmht", "teams/vcs");
  created.set_redirected_from("referrals/r1");
  ASSERT_OK_AND_ASSIGN(auto both, Redirect(old, 1, created));
  EXPECT_EQ(both.first.version, 2);
  EXPECT_EQ(both.second.version, 1);
  ASSERT_OK_AND_ASSIGN(StoredReferral read_old, store_->Get("referrals/r1"));
  EXPECT_EQ(read_old.referral.state(), v1::REDIRECTED);
  ASSERT_OK_AND_ASSIGN(StoredReferral read_new, store_->Get("referrals/r2"));
  EXPECT_EQ(read_new.referral.redirected_from(), "referrals/r1");
}

TEST_F(SqliteReferralStoreTest, RedirectAtStaleVersionStoresNeither) {
  ASSERT_OK(Create(MakeReferral("r1", kStart)).status());
  v1::Referral old = MakeReferral("r1", kStart);
  old.set_state(v1::REDIRECTED);
  EXPECT_EQ(Redirect(old, /*expected_version=*/7,
                     MakeReferral("r2", kStart, "teams/cmht", "teams/vcs"))
                .status()
                .code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(store_->Get("referrals/r2").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteReferralStoreTest, RedirectWhoseNewReferralFailsLeavesTheOldOne) {
  ASSERT_OK(Create(MakeReferral("r1", kStart)).status());
  ASSERT_OK(Create(MakeReferral("taken", kStart)).status());
  v1::Referral old = MakeReferral("r1", kStart);
  old.set_state(v1::REDIRECTED);
  // The new referral's id collides, so its insert fails after the update.
  EXPECT_FALSE(Redirect(old, 1, MakeReferral("taken", kStart)).status().ok());
  ASSERT_OK_AND_ASSIGN(StoredReferral read, store_->Get("referrals/r1"));
  EXPECT_EQ(read.referral.state(), v1::SENT);
  EXPECT_EQ(read.version, 1);
}

TEST_F(SqliteReferralStoreTest, MailboxesSelectByTeam) {
  ASSERT_OK(Create(MakeReferral("in", kStart, "teams/cmht", "teams/crisis"))
                .status());
  ASSERT_OK(
      Create(MakeReferral("out", kStart, "teams/crisis", "teams/cmht"), "")
          .status());
  ASSERT_OK_AND_ASSIGN(ReferralPage inbox, store_->List(Inbox()));
  EXPECT_THAT(Names(inbox), ElementsAre("referrals/in"));
  ReferralQuery sent = Inbox();
  sent.mailbox = ReferralQuery::Mailbox::kSentByTeam;
  ASSERT_OK_AND_ASSIGN(ReferralPage sent_page, store_->List(sent));
  EXPECT_THAT(Names(sent_page), ElementsAre("referrals/out"));
}

TEST_F(SqliteReferralStoreTest, ListFiltersByStateAndPerson) {
  ASSERT_OK(Create(MakeReferral("a", kStart)).status());
  v1::Referral other_person = MakeReferral("b", kStart);
  other_person.set_person("persons/p2");
  ASSERT_OK(Create(other_person, "").status());
  ASSERT_OK(Create(MakeReferral("c", kStart)).status());
  v1::Referral accepted = MakeReferral("c", kStart);
  accepted.set_state(v1::ACCEPTED);
  ASSERT_OK(Update(accepted, 1).status());

  ReferralQuery by_state = Inbox();
  by_state.states = {v1::ACCEPTED, v1::DECLINED};
  ASSERT_OK_AND_ASSIGN(ReferralPage accepted_page, store_->List(by_state));
  EXPECT_THAT(Names(accepted_page), ElementsAre("referrals/c"));

  ReferralQuery by_person = Inbox();
  by_person.person = "persons/p2";
  ASSERT_OK_AND_ASSIGN(ReferralPage person_page, store_->List(by_person));
  EXPECT_THAT(Names(person_page), ElementsAre("referrals/b"));
}

TEST_F(SqliteReferralStoreTest, OverdueOnlyListsUnansweredPastDeadline) {
  ASSERT_OK(Create(MakeReferral("late", kStart)).status());
  ASSERT_OK(Create(MakeReferral("answered", kStart)).status());
  v1::Referral accepted = MakeReferral("answered", kStart);
  accepted.set_state(v1::ACCEPTED);
  ASSERT_OK(Update(accepted, 1).status());
  v1::Referral later = MakeReferral("not-yet", kStart + absl::Hours(48));
  ASSERT_OK(Create(later, "").status());

  ReferralQuery overdue = Inbox();
  overdue.overdue_only = true;
  overdue.now = kStart + absl::Hours(73);
  ASSERT_OK_AND_ASSIGN(ReferralPage page, store_->List(overdue));
  EXPECT_THAT(Names(page), ElementsAre("referrals/late"));

  overdue.now = kStart + absl::Hours(71);
  ASSERT_OK_AND_ASSIGN(ReferralPage none, store_->List(overdue));
  EXPECT_THAT(Names(none), IsEmpty());
}

TEST_F(SqliteReferralStoreTest, PagesAreOldestFirstAndStableUnderInserts) {
  for (const char* id : {"zz", "mm", "aa"}) {
    ASSERT_OK(Create(MakeReferral(id, kStart)).status());
  }
  ReferralQuery query = Inbox();
  query.page_size = 2;
  ASSERT_OK_AND_ASSIGN(ReferralPage first, store_->List(query));
  // Same create time: insertion order decides, not the (random) id.
  EXPECT_THAT(Names(first), ElementsAre("referrals/zz", "referrals/mm"));
  ASSERT_TRUE(first.next.has_value());

  // Created between page reads, with an id that sorts first.
  ASSERT_OK(Create(MakeReferral("00", kStart)).status());
  query.after = first.next;
  ASSERT_OK_AND_ASSIGN(ReferralPage second, store_->List(query));
  EXPECT_THAT(Names(second), ElementsAre("referrals/aa", "referrals/00"));
  EXPECT_FALSE(second.next.has_value());
}

TEST_F(SqliteReferralStoreTest, CreateTimeNeverGoesBackwards) {
  ASSERT_OK(
      Create(MakeReferral("later", kStart + absl::Seconds(5)), "").status());
  ASSERT_OK_AND_ASSIGN(StoredReferral slow,
                       Create(MakeReferral("slow", kStart)));
  EXPECT_EQ(FromProtoTimestamp(slow.referral.create_time()),
            kStart + absl::Seconds(5));
  ASSERT_OK_AND_ASSIGN(ReferralPage page, store_->List(Inbox()));
  EXPECT_THAT(Names(page), ElementsAre("referrals/later", "referrals/slow"));
}

TEST_F(SqliteReferralStoreTest, ReferralsSurviveReopening) {
  ASSERT_OK(Create(MakeReferral("r1", kStart), "req").status());
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, SqliteReferralStore::Open(Location()));
  ASSERT_OK_AND_ASSIGN(StoredReferral read, store_->Get("referrals/r1"));
  EXPECT_EQ(read.referral.reason(), "needs support");
  ASSERT_OK_AND_ASSIGN(auto found,
                       store_->FindByRequestId("teams/cmht", "req"));
  EXPECT_TRUE(found.has_value());
}

}  // namespace
}  // namespace carebridge::referral
