#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_DOMAIN_TEST_FIXTURE_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_DOMAIN_TEST_FIXTURE_H_

// The domain with a fake directory and a real SQLite store in a temporary
// directory: three teams, two registered persons (neither has a plan yet),
// a clinician in each team, an admin and a service identity.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/careplan/careplan_domain.h"
#include "services/careplan/sqlite_careplan_store.h"
#include "services/careplan/sqlite_sharing_store.h"
#include "services/directory_client/fake_directory_lookup.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::careplan {

inline constexpr char kCmht[] = "teams/cmht";
inline constexpr char kCrisis[] = "teams/crisis";
inline constexpr char kVoluntary[] = "teams/vcs";
inline constexpr char kPerson[] = "persons/p1";
inline constexpr char kPlan[] = "persons/p1/carePlan";
inline constexpr char kOtherPerson[] = "persons/p2";

inline Principal Caller(absl::string_view subject, absl::string_view team,
                        Role role) {
  Principal principal;
  principal.subject = std::string(subject);
  principal.team = std::string(team);
  principal.role = role;
  return principal;
}

inline const Principal kAlice =
    Caller("members/alice", kCmht, Role::kCareCoordinator);
inline const Principal kBob = Caller("members/bob", kCrisis, Role::kClinician);
inline const Principal kVal =
    Caller("members/val", kVoluntary, Role::kPeerSupportWorker);
inline const Principal kAdmin = Caller("members/admin", "", Role::kAdmin);
inline const Principal kRecordService =
    Caller("services/record", "", Role::kService);

// Delegates to a real store, running `before_append` once just before the
// next Append or AppendApplied: another writer winning the race. The next
// `busy_appends` Appends fail ABORTED first, committing nothing (a store
// too busy to take the write).
class RacingStore : public CarePlanStore {
 public:
  explicit RacingStore(CarePlanStore* inner) : inner_(inner) {}
  std::function<void()> before_append;
  int busy_appends = 0;
  int appends = 0;

  absl::StatusOr<v1::CarePlan> GetCurrent(
      absl::string_view person_id) override {
    return inner_->GetCurrent(person_id);
  }
  absl::Status Append(absl::string_view person_id, const v1::CarePlan& plan,
                      const PlanRequestKey* request) override {
    if (busy_appends > 0) {
      --busy_appends;
      ++appends;
      return absl::AbortedError("the store is busy");
    }
    if (before_append) std::exchange(before_append, nullptr)();
    ++appends;
    return inner_->Append(person_id, plan, request);
  }
  absl::Status AppendApplied(absl::string_view person_id,
                             const v1::CarePlan& plan,
                             const FeedPosition& applied) override {
    if (before_append) std::exchange(before_append, nullptr)();
    ++appends;
    return inner_->AppendApplied(person_id, plan, applied);
  }
  absl::Status RecordApplied(const FeedPosition& applied) override {
    return inner_->RecordApplied(applied);
  }
  absl::StatusOr<bool> IsPending(const FeedPosition& position) override {
    return inner_->IsPending(position);
  }
  absl::StatusOr<int64_t> AppliedThrough(absl::string_view feed) override {
    return inner_->AppliedThrough(feed);
  }
  absl::StatusOr<std::optional<PlanRequestRecord>> FindRequest(
      absl::string_view person_id, absl::string_view team,
      absl::string_view request_id) override {
    return inner_->FindRequest(person_id, team, request_id);
  }
  absl::StatusOr<v1::CarePlan> GetVersion(absl::string_view person_id,
                                          int64_t version) override {
    return inner_->GetVersion(person_id, version);
  }
  absl::StatusOr<std::vector<v1::CarePlan>> ListVersions(
      absl::string_view person_id, int64_t before_version, int limit) override {
    return inner_->ListVersions(person_id, before_version, limit);
  }

 private:
  CarePlanStore* inner_;
};

class CarePlanDomainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // SQLite, or PostgreSQL under CAREBRIDGE_TEST_DATABASE=postgresql.
    ASSERT_OK_AND_ASSIGN(
        database_, ::carebridge::testing::TestDatabase::Create(dir_.path()));
    ASSERT_OK_AND_ASSIGN(
        sqlite_, SqliteCarePlanStore::Open(database_->location("careplan")));
    store_ = std::make_unique<RacingStore>(sqlite_.get());
    const std::pair<const char*, directory::v1::Sector> teams[] = {
        {kCmht, directory::v1::COMMUNITY_MENTAL_HEALTH},
        {kCrisis, directory::v1::CRISIS},
        {kVoluntary, directory::v1::VOLUNTARY_SECTOR}};
    for (const auto& [team, sector] : teams) {
      directory_client::TeamInfo info{team, absl::StrCat("Team ", team), true};
      info.sector = sector;
      directory_.AddTeam(std::move(info));
    }
    directory_.AddPerson(kPerson);
    directory_.AddPerson(kOtherPerson);
    sharing_ = std::make_unique<SqliteSharingStore>(sqlite_->db());
    domain_ = std::make_unique<CarePlanDomain>(
        &clock_, &directory_, store_.get(), /*signer=*/nullptr, sharing_.get());
  }

  // An update of `paths` with the content of `content` (named kPlan).
  static v1::UpdateCarePlanRequest UpdateRequest(
      std::initializer_list<const char*> paths, v1::CarePlan content,
      const std::string& etag, const std::string& reason = "Plan reviewed") {
    v1::UpdateCarePlanRequest request;
    content.set_name(kPlan);
    *request.mutable_care_plan() = std::move(content);
    for (const char* path : paths) {
      request.mutable_update_mask()->add_paths(path);
    }
    request.set_etag(etag);
    request.set_reason(reason);
    return request;
  }

  static v1::CarePlan Goals(std::initializer_list<const char*> descriptions) {
    v1::CarePlan content;
    for (const char* description : descriptions) {
      content.add_goals()->set_description(description);
    }
    return content;
  }

  static v1::CarePlan WhatHelps(const std::string& text) {
    v1::CarePlan content;
    content.mutable_crisis_plan()->set_what_helps(text);
    return content;
  }

  // Writes goals as `caller`, on whatever version is current.
  v1::CarePlan WriteGoals(const Principal& caller,
                          std::initializer_list<const char*> descriptions) {
    return Succeed(domain_->UpdateCarePlan(
        caller, UpdateRequest({"goals"}, Goals(descriptions), CurrentEtag())));
  }

  v1::CarePlan WriteWhatHelps(const Principal& caller,
                              const std::string& text) {
    return Succeed(domain_->UpdateCarePlan(
        caller,
        UpdateRequest({"crisis_plan"}, WhatHelps(text), CurrentEtag())));
  }

  absl::StatusOr<v1::CarePlan> Get(const Principal& caller,
                                   const std::string& name = kPlan) {
    v1::GetCarePlanRequest request;
    request.set_name(name);
    return domain_->GetCarePlan(caller, request);
  }

  // The etag of the stored plan, empty when there is none.
  std::string CurrentEtag() {
    absl::StatusOr<v1::CarePlan> plan = sqlite_->GetCurrent("p1");
    return plan.ok() ? absl::StrCat(plan->version()) : "";
  }

  // The stored plan's version, 0 when there is none: how tests prove a
  // failed call made no version.
  int64_t StoredVersion(absl::string_view person_id = "p1") {
    absl::StatusOr<v1::CarePlan> plan = sqlite_->GetCurrent(person_id);
    return plan.ok() ? plan->version() : 0;
  }

  absl::StatusOr<v1::CarePlan> Add(const Principal& caller,
                                   const std::string& team,
                                   const std::string& etag = "",
                                   const std::string& role = "crisis support") {
    v1::AddCareTeamMemberRequest request;
    request.set_name(kPlan);
    request.set_team(team);
    request.set_role(role);
    request.set_etag(etag);
    request.set_reason("Referral accepted");
    return domain_->AddCareTeamMember(caller, request);
  }

  absl::StatusOr<v1::CarePlan> End(const Principal& caller,
                                   const std::string& team,
                                   const std::string& etag = "") {
    v1::EndCareTeamInvolvementRequest request;
    request.set_name(kPlan);
    request.set_team(team);
    request.set_etag(etag);
    request.set_reason("Support finished");
    return domain_->EndCareTeamInvolvement(caller, request);
  }

  absl::StatusOr<v1::CarePlan> SetLead(const Principal& caller,
                                       const std::string& team,
                                       const std::string& role = "") {
    v1::SetLeadTeamRequest request;
    request.set_name(kPlan);
    request.set_team(team);
    request.set_role(role);
    request.set_reason("Care coordinator changes");
    return domain_->SetLeadTeam(caller, request);
  }

  absl::StatusOr<v1::CarePlan> Agree(const Principal& caller, int64_t version,
                                     const std::string& comment = "") {
    v1::RecordAgreementRequest request;
    request.set_name(kPlan);
    request.set_version(version);
    request.set_person_comment(comment);
    return domain_->RecordAgreement(caller, request);
  }

  static v1::CarePlan Succeed(absl::StatusOr<v1::CarePlan> plan) {
    EXPECT_TRUE(plan.ok()) << plan.status();
    return plan.value_or(v1::CarePlan());
  }

  // Every version's number and change kind, newest first, read as a service.
  std::vector<std::pair<int64_t, v1::Change::Kind>> History() {
    v1::ListCarePlanVersionsRequest request;
    request.set_parent(kPlan);
    request.set_page_size(500);
    absl::StatusOr<v1::ListCarePlanVersionsResponse> response =
        domain_->ListCarePlanVersions(kRecordService, request);
    EXPECT_TRUE(response.ok()) << response.status();
    std::vector<std::pair<int64_t, v1::Change::Kind>> history;
    if (!response.ok()) return history;
    for (const v1::CarePlan& version : response->versions()) {
      history.emplace_back(version.version(), version.change().kind());
    }
    return history;
  }

  ::carebridge::testing::TempDir dir_;
  std::optional<::carebridge::testing::TestDatabase> database_;
  FakeClock clock_;
  directory_client::FakeDirectoryLookup directory_;
  std::unique_ptr<SqliteCarePlanStore> sqlite_;
  std::unique_ptr<RacingStore> store_;
  std::unique_ptr<SqliteSharingStore> sharing_;
  std::unique_ptr<CarePlanDomain> domain_;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CAREPLAN_DOMAIN_TEST_FIXTURE_H_
