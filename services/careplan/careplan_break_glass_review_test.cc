// CarePlanDomain::ReviewBreakGlassAccess: the careplan.break_glass_reviewed
// event goes to the person's lead team when the review commits, even when
// a handover commits after the review began (engine: CAREBRIDGE_TEST_DATABASE).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "services/careplan/careplan_domain_test_fixture.h"
#include "services/careplan/sqlite_break_glass_store.h"

namespace carebridge::careplan {
namespace {

using ::testing::ElementsAre;

inline const Principal kCarl = Caller("members/carl", kCmht, Role::kClinician);

// Delegates to a real store, running `before_review` once just before the
// next Review: a write that commits while the review is under way.
class RacingBreakGlassStore : public BreakGlassStore {
 public:
  explicit RacingBreakGlassStore(BreakGlassStore* inner) : inner_(inner) {}
  std::function<void()> before_review;

  absl::StatusOr<int64_t> Insert(absl::string_view person_id,
                                 const v1::BreakGlassAccess& access) override {
    return inner_->Insert(person_id, access);
  }
  absl::StatusOr<std::optional<v1::BreakGlassAccess>> Latest(
      absl::string_view person_id, absl::string_view member) override {
    return inner_->Latest(person_id, member);
  }
  absl::StatusOr<v1::BreakGlassAccess> Get(absl::string_view person_id,
                                           int64_t seq) override {
    return inner_->Get(person_id, seq);
  }
  absl::StatusOr<v1::BreakGlassAccess> Review(
      absl::string_view person_id, int64_t seq,
      const v1::BreakGlassReview& review) override {
    if (before_review) std::exchange(before_review, nullptr)();
    return inner_->Review(person_id, seq, review);
  }
  absl::StatusOr<std::vector<std::pair<int64_t, v1::BreakGlassAccess>>> List(
      absl::string_view person_id, int64_t before, int limit,
      bool unreviewed_only) override {
    return inner_->List(person_id, before, limit, unreviewed_only);
  }

 private:
  BreakGlassStore* inner_;
};

class BreakGlassReviewDomainTest : public CarePlanDomainTest {
 protected:
  void SetUp() override {
    CarePlanDomainTest::SetUp();
    accesses_.emplace(sqlite_->db(), sqlite_->event_log());
    racing_.emplace(&*accesses_);
    domain_ = std::make_unique<CarePlanDomain>(&clock_, &directory_,
                                               store_.get(), /*signer=*/nullptr,
                                               sharing_.get(), &*racing_);
    // The community team leads; the voluntary-sector team is involved too;
    // bob, of the crisis team (not on the care team), breaks glass.
    WriteGoals(kAlice, {"Stay well"});
    ASSERT_OK(Add(kAlice, kVoluntary, "1").status());
    v1::BreakGlassRequest request;
    request.set_name(kPlan);
    request.set_reason("Found in crisis at A&E");
    ASSERT_OK_AND_ASSIGN(access_, domain_->BreakGlass(kBob, request));
    ASSERT_EQ(access_.lead_team(), kCmht);
  }

  absl::StatusOr<v1::BreakGlassAccess> Review(const Principal& caller) {
    v1::ReviewBreakGlassAccessRequest request;
    request.set_name(access_.name());
    request.set_outcome(v1::BreakGlassReview::JUSTIFIED);
    request.set_reason("Seen in crisis out of hours");
    return domain_->ReviewBreakGlassAccess(caller, request);
  }

  // The newest event of the careplan feed.
  events::v1::Event LastEvent() {
    absl::StatusOr<int64_t> head = sqlite_->event_log()->Head();
    EXPECT_TRUE(head.ok()) << head.status();
    absl::StatusOr<std::vector<events::v1::Event>> events =
        sqlite_->event_log()->ReadAfter(head.value_or(1) - 1, 1);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() && !events->empty() ? events->back()
                                           : events::v1::Event();
  }

  std::optional<SqliteBreakGlassStore> accesses_;
  std::optional<RacingBreakGlassStore> racing_;
  v1::BreakGlassAccess access_;
};

// The community team's carl starts the review as its lead; the community
// team hands the lead to the voluntary-sector team before the review
// commits: the new lead is told (it answers for who sees the plan now),
// the team that handed over is not. So too for an admin's review.
TEST_F(BreakGlassReviewDomainTest, TheReviewIsToldToTheLeadAtItsCommit) {
  for (const Principal& reviewer : {kCarl, kAdmin}) {
    SCOPED_TRACE(reviewer.subject);
    const std::string from =
        reviewer.subject == kCarl.subject ? kCmht : kVoluntary;
    const std::string to = from == kCmht ? kVoluntary : kCmht;
    const Principal handing_over =
        from == kCmht ? kAlice
                      : Caller("members/vic", kVoluntary, Role::kClinician);
    if (reviewer.subject == kAdmin.subject) {
      // Another access for the admin to review.
      v1::BreakGlassRequest request;
      request.set_name(kPlan);
      request.set_reason("Seen again");
      clock_.Advance(absl::Hours(5));
      ASSERT_OK_AND_ASSIGN(access_, domain_->BreakGlass(kBob, request));
    }
    ASSERT_OK_AND_ASSIGN(v1::CarePlan before, sqlite_->GetCurrent("p1"));
    ASSERT_EQ(before.lead_team(), from);
    racing_->before_review = [&] {
      ASSERT_OK_AND_ASSIGN(v1::CarePlan handed, SetLead(handing_over, to));
      ASSERT_EQ(handed.lead_team(), to);
    };
    ASSERT_OK_AND_ASSIGN(v1::BreakGlassAccess reviewed, Review(reviewer));
    EXPECT_FALSE(racing_->before_review) << "the handover did not run";
    EXPECT_EQ(reviewed.review().reviewer(), reviewer.subject);
    const events::v1::Event told = LastEvent();
    EXPECT_EQ(told.type(), "careplan.break_glass_reviewed");
    EXPECT_THAT(told.teams(), ElementsAre(to));
    // The access keeps the lead it was opened under.
    EXPECT_EQ(reviewed.lead_team(), access_.lead_team());
  }
}

}  // namespace
}  // namespace carebridge::careplan
