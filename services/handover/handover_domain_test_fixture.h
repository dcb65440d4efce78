#ifndef CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_DOMAIN_TEST_FIXTURE_H_
#define CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_DOMAIN_TEST_FIXTURE_H_

// The domain with a fake directory, a fake care plan service and a real
// SQLite store in a temporary directory. After a crisis, the crisis team
// leads persons/p1's care; the community team (CMHT) and a voluntary-sector
// team are involved too; a housing team exists but is not on the care team.
// persons/p2 is registered and has no care plan. A clinician in each team.

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
#include "services/common/event_log.h"
#include "services/directory_client/fake_directory_lookup.h"
#include "services/handover/handover_domain.h"
#include "services/handover/sqlite_handover_store.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::handover {

using careplan_client::FakeCarePlanLookup;

inline constexpr char kCrisis[] = "teams/crisis";
inline constexpr char kCmht[] = "teams/cmht";
inline constexpr char kVoluntary[] = "teams/vcs";
inline constexpr char kHousing[] = "teams/housing";
inline constexpr char kPerson[] = "persons/p1";
inline constexpr char kPersonWithoutPlan[] = "persons/p2";
inline constexpr int64_t kPlanVersion = 4;

inline Principal Staff(absl::string_view member, absl::string_view team,
                       Role role = Role::kClinician) {
  Principal principal;
  principal.subject = std::string(member);
  principal.team = std::string(team);
  principal.role = role;
  return principal;
}

inline Principal Service(absl::string_view subject) {
  Principal principal;
  principal.subject = std::string(subject);
  principal.role = Role::kService;
  return principal;
}

inline const Principal kBob = Staff("members/bob", kCrisis);
inline const Principal kAlice = Staff("members/alice", kCmht);
inline const Principal kVal =
    Staff("members/val", kVoluntary, Role::kPeerSupportWorker);
inline const Principal kOtto = Staff("members/otto", kHousing);
inline const Principal kAdmin = Staff("members/root", "", Role::kAdmin);
inline const Principal kRecordService = Service("services/record");

// Delegates to a real store, running `before_write` once just before the
// next Update and `before_create` once just before the next Create: another
// writer winning the race.
class RacingStore : public HandoverStore {
 public:
  explicit RacingStore(HandoverStore* inner) : inner_(inner) {}
  std::function<void()> before_write;
  std::function<void()> before_create;
  // FindByRequestId calls so far.
  int request_id_lookups = 0;

  absl::StatusOr<StoredHandover> Create(
      const v1::Handover& handover, const HandoverRequestKey& key,
      const events::v1::Event& event) override {
    if (before_create) std::exchange(before_create, nullptr)();
    return inner_->Create(handover, key, event);
  }
  absl::StatusOr<std::optional<StoredHandover>> FindByRequestId(
      absl::string_view team, absl::string_view request_id) override {
    ++request_id_lookups;
    return inner_->FindByRequestId(team, request_id);
  }
  absl::StatusOr<StoredHandover> Get(absl::string_view name) override {
    return inner_->Get(name);
  }
  absl::StatusOr<int64_t> Update(const v1::Handover& handover,
                                 int64_t expected_version,
                                 const events::v1::Event& event) override {
    if (before_write) std::exchange(before_write, nullptr)();
    return inner_->Update(handover, expected_version, event);
  }
  absl::StatusOr<HandoverPage> List(const HandoverQuery& query) override {
    return inner_->List(query);
  }
  absl::StatusOr<std::vector<StoredHandover>> ListUnescalatedOverdue(
      absl::Time now, int limit) override {
    return inner_->ListUnescalatedOverdue(now, limit);
  }
  absl::StatusOr<std::optional<StoredHandover>> LatestAcceptedTransferFrom(
      absl::string_view person, absl::string_view sending_team) override {
    return inner_->LatestAcceptedTransferFrom(person, sending_team);
  }
  EventLog* event_log() override { return inner_->event_log(); }

 private:
  HandoverStore* inner_;
};

class HandoverDomainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // On the engine the run tests (TestDatabase).
    ASSERT_OK_AND_ASSIGN(
        database_, ::carebridge::testing::TestDatabase::Create(dir_.path()));
    ASSERT_OK_AND_ASSIGN(
        sqlite_, SqliteHandoverStore::Open(database_->location("handover")));
    store_ = std::make_unique<RacingStore>(sqlite_.get());
    directory_client::TeamInfo cmht{kCmht, "North CMHT", true,
                                    directory::v1::COMMUNITY_MENTAL_HEALTH};
    cmht.routine_deadline = absl::Hours(24 * 10);
    cmht.urgent_deadline = absl::Hours(48);
    cmht.crisis_deadline = absl::Hours(2);
    directory_.AddTeam(cmht);
    directory_.AddTeam({kCrisis, "Crisis team", true, directory::v1::CRISIS});
    directory_.AddTeam(
        {kVoluntary, "Peer Café", true, directory::v1::VOLUNTARY_SECTOR});
    directory_.AddTeam(
        {kHousing, "Housing", false, directory::v1::SOCIAL_CARE});
    CareTeamView view;
    view.current_version = kPlanVersion;
    view.lead_team = kCrisis;
    view.involved_teams = {kCrisis, kCmht, kVoluntary};
    careplan_.SetCareTeam(kPerson, view);
    careplan_.AddPerson(kPersonWithoutPlan);
    domain_ = std::make_unique<HandoverDomain>(&clock_, &ids_, &directory_,
                                               &careplan_, store_.get());
  }

  // Bob (crisis, the lead team) hands responsibility back to the CMHT.
  static v1::CreateHandoverRequest CreateRequest(
      v1::Kind kind = v1::TRANSFER_OF_RESPONSIBILITY,
      absl::string_view receiving_team = kCmht,
      referral::v1::Urgency urgency = referral::v1::URGENT) {
    v1::CreateHandoverRequest request;
    v1::Handover* h = request.mutable_handover();
    h->set_person(kPerson);
    h->set_receiving_team(std::string(receiving_team));
    h->set_kind(kind);
    h->set_urgency(urgency);
    h->set_situation("Settled after three nights of crisis support.");
    h->set_background("Crisis after a bereavement; known to the CMHT.");
    h->set_assessment("Sleeping again; walks and her sister help.");
    h->set_recommendation("Care coordinator visit within two days.");
    h->set_illness_severity(v1::WATCHER);
    v1::HandoverAction* visit = h->add_actions();
    visit->set_description("Home visit by the care coordinator");
    visit->set_owning_team(kCmht);
    v1::HandoverAction* cafe = h->add_actions();
    cafe->set_description("Invite to the peer support café");
    cafe->set_owning_team(kVoluntary);
    v1::Contingency* contingency = h->add_contingencies();
    contingency->set_if_this("She stops sleeping again");
    contingency->set_then_do("Call the crisis line the same day");
    return request;
  }

  v1::Handover Create(const Principal& as = kBob,
                      v1::CreateHandoverRequest request = CreateRequest()) {
    absl::StatusOr<v1::Handover> handover =
        domain_->CreateHandover(as, request);
    EXPECT_TRUE(handover.ok()) << handover.status();
    return handover.value_or(v1::Handover());
  }

  static v1::AcceptHandoverRequest AcceptRequest(const std::string& name) {
    v1::AcceptHandoverRequest request;
    request.set_name(name);
    v1::ReadBack* read_back = request.mutable_read_back();
    read_back->set_summary("Settling; sleep back; her sister and walks help.");
    read_back->add_actions_taken_on("Visit her at home by Thursday");
    request.set_note("Sam is her care coordinator again.");
    return request;
  }

  static v1::DeclineHandoverRequest DeclineRequest(const std::string& name) {
    v1::DeclineHandoverRequest request;
    request.set_name(name);
    request.set_reason("No care coordinator free this week; call us Monday.");
    return request;
  }

  static v1::CancelHandoverRequest CancelRequest(const std::string& name) {
    v1::CancelHandoverRequest request;
    request.set_name(name);
    request.set_reason("She was admitted overnight.");
    return request;
  }

  // The handover as stored now, read by a service identity.
  v1::Handover Reread(const std::string& name) {
    v1::GetHandoverRequest request;
    request.set_name(name);
    absl::StatusOr<v1::Handover> handover =
        domain_->GetHandover(kRecordService, request);
    EXPECT_TRUE(handover.ok()) << handover.status();
    return handover.value_or(v1::Handover());
  }

  std::vector<events::v1::Event> Events() {
    absl::StatusOr<std::vector<events::v1::Event>> events =
        sqlite_->event_log()->ReadAfter(0, 10000);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.value_or(std::vector<events::v1::Event>());
  }

  std::vector<std::string> EventTypes() {
    std::vector<std::string> types;
    for (const events::v1::Event& event : Events()) {
      types.push_back(event.type());
    }
    return types;
  }

  static v1::Handover PayloadOf(const events::v1::Event& event) {
    v1::Handover handover;
    EXPECT_TRUE(event.payload().UnpackTo(&handover));
    return handover;
  }
  // `handover` as a feed carries it: never what the person's sharing
  // choices decide on.
  static v1::Handover AsFeedCarries(v1::Handover handover) {
    handover.clear_assessment();
    handover.clear_withheld_from_receiving_team();
    return handover;
  }

  std::vector<std::string> ListNames(const Principal& as,
                                     v1::ListHandoversRequest request) {
    std::vector<std::string> names;
    do {
      absl::StatusOr<v1::ListHandoversResponse> response =
          domain_->ListHandovers(as, request);
      EXPECT_TRUE(response.ok()) << response.status();
      if (!response.ok()) break;
      for (const auto& h : response->handovers()) names.push_back(h.name());
      request.set_page_token(response->next_page_token());
    } while (!request.page_token().empty());
    return names;
  }

  static v1::ListHandoversRequest Mailbox(v1::Mailbox mailbox,
                                          bool overdue_only = false) {
    v1::ListHandoversRequest request;
    request.set_mailbox(mailbox);
    request.set_overdue_only(overdue_only);
    return request;
  }

  ::carebridge::testing::TempDir dir_;
  std::optional<::carebridge::testing::TestDatabase> database_;
  FakeClock clock_;
  IdGenerator ids_{/*seed=*/11};
  directory_client::FakeDirectoryLookup directory_;
  FakeCarePlanLookup careplan_;
  std::unique_ptr<SqliteHandoverStore> sqlite_;
  std::unique_ptr<RacingStore> store_;
  std::unique_ptr<HandoverDomain> domain_;
};

}  // namespace carebridge::handover

#endif  // CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_DOMAIN_TEST_FIXTURE_H_
