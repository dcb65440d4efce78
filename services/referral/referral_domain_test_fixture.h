#ifndef CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_DOMAIN_TEST_FIXTURE_H_
#define CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_DOMAIN_TEST_FIXTURE_H_

// The domain with a fake directory and a real store on the test run's
// engine (an SQLite file in a temporary directory, or a PostgreSQL database
// of its own: tests/support/test_database.h): three accepting teams (the crisis
// team with its own deadlines), one that is not accepting, one person, a
// clinician in each team.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/careplan_client/fake_careplan_lookup.h"
#include "services/directory_client/fake_directory_lookup.h"
#include "services/referral/referral_domain.h"
#include "services/referral/sqlite_referral_store.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::referral {

inline constexpr char kCmht[] = "teams/cmht";
inline constexpr char kCrisis[] = "teams/crisis";
inline constexpr char kVoluntary[] = "teams/vcs";
inline constexpr char kClosed[] = "teams/closed";
inline constexpr char kPerson[] = "persons/p1";

inline Principal Staff(absl::string_view member, absl::string_view team,
                       Role role = Role::kClinician) {
  Principal principal;
  principal.subject = std::string(member);
  principal.team = std::string(team);
  principal.role = role;
  return principal;
}

inline const Principal kAlice = Staff("members/alice", kCmht);
inline const Principal kBob = Staff("members/bob", kCrisis);
inline const Principal kVal = Staff("members/val", kVoluntary);

// Delegates to a real store, running `before_write` once just before the
// next Update or Redirect (the deadline scan's writes included), and
// `before_create` once just before the next Create: another writer winning the
// race.
class RacingStore : public ReferralStore {
 public:
  explicit RacingStore(ReferralStore* inner) : inner_(inner) {}
  std::function<void()> before_write;
  std::function<void()> before_create;
  // FindByRequestId calls so far.
  int request_id_lookups = 0;

  absl::StatusOr<StoredReferral> Create(
      const v1::Referral& referral, absl::string_view request_id,
      const events::v1::Event& event) override {
    if (before_create) std::exchange(before_create, nullptr)();
    return inner_->Create(referral, request_id, event);
  }
  absl::StatusOr<std::optional<StoredReferral>> FindByRequestId(
      absl::string_view team, absl::string_view request_id) override {
    ++request_id_lookups;
    return inner_->FindByRequestId(team, request_id);
  }
  absl::StatusOr<StoredReferral> Get(absl::string_view name) override {
    return inner_->Get(name);
  }
  absl::StatusOr<int64_t> Update(const v1::Referral& referral,
                                 int64_t expected_version,
                                 const events::v1::Event& event) override {
    Race();
    return inner_->Update(referral, expected_version, event);
  }
  absl::StatusOr<std::pair<StoredReferral, StoredReferral>> Redirect(
      const v1::Referral& redirected, int64_t expected_version,
      const events::v1::Event& redirected_event, const v1::Referral& created,
      const events::v1::Event& created_event) override {
    Race();
    return inner_->Redirect(redirected, expected_version, redirected_event,
                            created, created_event);
  }
  absl::StatusOr<ReferralPage> List(const ReferralQuery& query) override {
    return inner_->List(query);
  }
  absl::StatusOr<std::vector<StoredReferral>> ListUnescalatedOverdue(
      absl::Time now, int limit) override {
    return inner_->ListUnescalatedOverdue(now, limit);
  }
  EventLog* event_log() override { return inner_->event_log(); }

 private:
  void Race() {
    if (before_write) std::exchange(before_write, nullptr)();
  }
  ReferralStore* inner_;
};

class ReferralDomainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, ::carebridge::testing::TestDatabase::Create(
                                        std::string(dir_.path())));
    ASSERT_OK_AND_ASSIGN(
        sqlite_, SqliteReferralStore::Open(database_->location("referral")));
    store_ = std::make_unique<RacingStore>(sqlite_.get());
    AddTeam(kCmht, true, directory::v1::COMMUNITY_MENTAL_HEALTH);
    directory_client::TeamInfo crisis{kCrisis, "Crisis team", true,
                                      directory::v1::CRISIS};
    crisis.routine_deadline = absl::Hours(24 * 10);
    crisis.urgent_deadline = absl::Hours(48);
    crisis.crisis_deadline = absl::Hours(2);
    directory_.AddTeam(crisis);
    AddTeam(kVoluntary, true, directory::v1::VOLUNTARY_SECTOR);
    AddTeam(kClosed, false, directory::v1::OTHER);
    directory_.AddPerson(kPerson);
    careplan_.AddPerson(kPerson);
    domain_ = std::make_unique<ReferralDomain>(&clock_, &ids_, &directory_,
                                               store_.get(), &careplan_);
  }

  void AddTeam(absl::string_view name, bool accepting,
               directory::v1::Sector sector) {
    directory_.AddTeam(directory_client::TeamInfo{
        std::string(name), absl::StrCat("Team ", name), accepting, sector});
  }

  v1::CreateReferralRequest CreateRequest(
      absl::string_view receiving_team = kCrisis,
      v1::Urgency urgency = v1::URGENT) {
    v1::CreateReferralRequest request;
    v1::Referral* referral = request.mutable_referral();
    referral->set_person(kPerson);
    referral->set_receiving_team(std::string(receiving_team));
    referral->set_urgency(urgency);
    referral->set_reason("Escalating distress; needs crisis support.");
    referral->set_person_wishes("I want someone to talk to tonight.");
    referral->set_risk_summary("Feels safer with a friend present.");
    return request;
  }

  v1::Referral Send(absl::string_view receiving_team = kCrisis) {
    absl::StatusOr<v1::Referral> referral =
        domain_->CreateReferral(kAlice, CreateRequest(receiving_team));
    EXPECT_TRUE(referral.ok()) << referral.status();
    return referral.value_or(v1::Referral());
  }

  absl::StatusOr<v1::Referral> Accept(const Principal& caller,
                                      const std::string& name,
                                      const std::string& etag = "") {
    v1::AcceptReferralRequest request;
    request.set_name(name);
    request.set_etag(etag);
    return domain_->AcceptReferral(caller, request);
  }

  v1::DeclineReferralRequest DeclineRequest(const std::string& name) {
    v1::DeclineReferralRequest request;
    request.set_name(name);
    request.set_reason("We cannot offer evening support.");
    request.mutable_onward_route()->set_signposting(
        "The local crisis café is open 6pm-midnight.");
    return request;
  }

  v1::RedirectReferralRequest RedirectRequest(
      const std::string& name, absl::string_view new_team = kVoluntary) {
    v1::RedirectReferralRequest request;
    request.set_name(name);
    request.set_new_receiving_team(std::string(new_team));
    request.set_reason("Peer support fits what the person asked for.");
    return request;
  }

  // The referral as stored now, read by its receiving team (kBob's).
  v1::Referral Reread(const std::string& name) {
    v1::GetReferralRequest request;
    request.set_name(name);
    absl::StatusOr<v1::Referral> referral = domain_->GetReferral(kBob, request);
    EXPECT_TRUE(referral.ok()) << referral.status();
    return referral.value_or(v1::Referral());
  }

  // Every event the store committed, oldest first.
  std::vector<events::v1::Event> Events() {
    absl::StatusOr<std::vector<events::v1::Event>> events =
        sqlite_->event_log()->ReadAfter(0, 1000);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.value_or(std::vector<events::v1::Event>());
  }

  std::vector<std::string> SentNames() {
    v1::ListReferralsRequest request;
    request.set_mailbox(v1::SENT_BY_TEAM);
    absl::StatusOr<v1::ListReferralsResponse> response =
        domain_->ListReferrals(kAlice, request);
    EXPECT_TRUE(response.ok()) << response.status();
    std::vector<std::string> names;
    for (const auto& r : response->referrals()) names.push_back(r.name());
    return names;
  }

  ::carebridge::testing::TempDir dir_;
  std::optional<::carebridge::testing::TestDatabase> database_;
  FakeClock clock_;
  IdGenerator ids_{/*seed=*/7};
  directory_client::FakeDirectoryLookup directory_;
  careplan_client::FakeCarePlanLookup careplan_;
  std::unique_ptr<SqliteReferralStore> sqlite_;
  std::unique_ptr<RacingStore> store_;
  std::unique_ptr<ReferralDomain> domain_;
};

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_DOMAIN_TEST_FIXTURE_H_
