#ifndef CAREBRIDGE_SERVICES_REFERRAL_SQLITE_REFERRAL_STORE_TEST_FIXTURE_H_
#define CAREBRIDGE_SERVICES_REFERRAL_SQLITE_REFERRAL_STORE_TEST_FIXTURE_H_

// SqliteReferralStore on the test run's engine (tests/support/
// test_database.h: an SQLite file in a temporary directory, or a PostgreSQL
// database of its own), with writers that pass each change the event a
// domain would (type, the referral as payload).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/event_log.h"
#include "services/common/time_util.h"
#include "services/referral/sqlite_referral_store.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::referral {

inline const absl::Time kStart = absl::FromUnixSeconds(1767225600);

inline v1::Referral MakeReferral(
    absl::string_view id, absl::Time create_time,
    absl::string_view sending_team = "teams/cmht",
    absl::string_view receiving_team = "teams/crisis") {
  v1::Referral referral;
  referral.set_name(absl::StrCat("referrals/", id));
  referral.set_person("persons/p1");
  referral.set_sending_team(std::string(sending_team));
  referral.set_receiving_team(std::string(receiving_team));
  referral.set_urgency(v1::URGENT);
  referral.set_reason("needs support");
  referral.set_state(v1::SENT);
  *referral.mutable_create_time() = ToProtoTimestamp(create_time);
  *referral.mutable_update_time() = ToProtoTimestamp(create_time);
  *referral.mutable_response_due_time() =
      ToProtoTimestamp(create_time + absl::Hours(72));
  return referral;
}

// The event a change leaving `referral` as it is would be written with.
inline events::v1::Event EventFor(absl::string_view type,
                                  const v1::Referral& referral) {
  return MakeEvent(type, referral.name(), referral.person(),
                   {referral.sending_team(), referral.receiving_team()},
                   "members/alice", kStart, referral);
}

inline std::vector<std::string> Names(const ReferralPage& page) {
  std::vector<std::string> names;
  for (const StoredReferral& stored : page.referrals) {
    names.push_back(stored.referral.name());
  }
  return names;
}

class SqliteReferralStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, ::carebridge::testing::TestDatabase::Create(
                                        std::string(dir_.path())));
    ASSERT_OK_AND_ASSIGN(store_, SqliteReferralStore::Open(Location()));
  }
  DatabaseLocation Location() const { return database_->location("referral"); }

  ReferralQuery Inbox(absl::string_view team = "teams/crisis") const {
    ReferralQuery query;
    query.mailbox = ReferralQuery::Mailbox::kInbox;
    query.team = std::string(team);
    query.now = kStart;
    return query;
  }

  absl::StatusOr<StoredReferral> Create(const v1::Referral& referral,
                                        absl::string_view request_id = "") {
    return store_->Create(referral, request_id,
                          EventFor("referral.created", referral));
  }
  absl::StatusOr<int64_t> Update(const v1::Referral& referral,
                                 int64_t expected_version,
                                 absl::string_view type = "referral.accepted") {
    return store_->Update(referral, expected_version, EventFor(type, referral));
  }
  absl::StatusOr<std::pair<StoredReferral, StoredReferral>> Redirect(
      const v1::Referral& redirected, int64_t expected_version,
      const v1::Referral& created) {
    return store_->Redirect(redirected, expected_version,
                            EventFor("referral.redirected", redirected),
                            created, EventFor("referral.created", created));
  }

  // Every event in the outbox, oldest first.
  std::vector<events::v1::Event> Events() {
    absl::StatusOr<std::vector<events::v1::Event>> events =
        store_->event_log()->ReadAfter(0, 1000);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.value_or(std::vector<events::v1::Event>());
  }

  ::carebridge::testing::TempDir dir_;
  std::optional<::carebridge::testing::TestDatabase> database_;
  std::unique_ptr<SqliteReferralStore> store_;
};

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_SERVICES_REFERRAL_SQLITE_REFERRAL_STORE_TEST_FIXTURE_H_
