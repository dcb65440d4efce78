#ifndef CAREBRIDGE_TESTS_CAREPLAN_CAREPLAN_BREAK_GLASS_FIXTURE_H_
#define CAREBRIDGE_TESTS_CAREPLAN_CAREPLAN_BREAK_GLASS_FIXTURE_H_

// CarePlanAuditTest with a realistic plan led by the community team, an
// out-of-hours crisis line outside the care team (nina, omar) and the person
// herself (ada): what the break-glass tests share.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/careplan/careplan_audit_fixture.h"

namespace carebridge::careplan {

constexpr char kReason[] =
    "Found by police in distress at 3am; crisis line needs her crisis plan";

class CarePlanBreakGlassTest : public CarePlanAuditTest {
 protected:
  void SetUp() override {
    CarePlanAuditTest::SetUp();
    full_ = CreateRealisticPlan();
    out_of_hours_ = MakeTeam("Out-of-hours crisis line", dir::CRISIS);
    nina_ = Member("members/nina", out_of_hours_.name());
    omar_ = Member("members/omar", out_of_hours_.name());
    ada_.subject = person_;
    ada_.role = Role::kPerson;
    ada_.expire_time = server_.clock().Now() + absl::Hours(24 * 365);
  }

  grpc::Status Break(const Principal& as, const std::string& reason,
                     v1::BreakGlassAccess* out) {
    v1::BreakGlassRequest request;
    request.set_name(plan_);
    request.set_reason(reason);
    return Call(&Stub::BreakGlass, as, request, out);
  }

  grpc::Status List(const Principal& as,
                    v1::ListBreakGlassAccessesResponse* out, int page_size = 0,
                    const std::string& token = "") {
    v1::ListBreakGlassAccessesRequest request;
    request.set_parent(person_);
    request.set_page_size(page_size);
    request.set_page_token(token);
    return Call(&Stub::ListBreakGlassAccesses, as, request, out);
  }

  grpc::Status Review(const Principal& as, const std::string& name,
                      v1::BreakGlassReview::Outcome outcome,
                      const std::string& reason, v1::BreakGlassAccess* out) {
    v1::ReviewBreakGlassAccessRequest request;
    request.set_name(name);
    request.set_outcome(outcome);
    request.set_reason(reason);
    return Call(&Stub::ReviewBreakGlassAccess, as, request, out);
  }

  // Lists under `parent` (a person, or persons/-).
  grpc::Status ListUnder(const Principal& as, const std::string& parent,
                         bool unreviewed_only,
                         v1::ListBreakGlassAccessesResponse* out,
                         int page_size = 0, const std::string& token = "") {
    v1::ListBreakGlassAccessesRequest request;
    request.set_parent(parent);
    request.set_unreviewed_only(unreviewed_only);
    request.set_page_size(page_size);
    request.set_page_token(token);
    return Call(&Stub::ListBreakGlassAccesses, as, request, out);
  }

  int Listed() {
    v1::ListBreakGlassAccessesResponse response;
    grpc::Status status = List(alice_, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.accesses_size();
  }

  // The newest event on the care plan feed (0: none yet).
  int64_t FeedHead() {
    const std::vector<events::v1::Event> feed = ReadFeed(service_);
    return feed.empty() ? 0 : feed.back().sequence();
  }

  // Each audit record of `method` since the log held `from` records, as
  // "actor person outcome".
  std::vector<std::string> Recorded(const std::string& method, size_t from) {
    const std::vector<AuditRecord> log = AuditLog();
    std::vector<std::string> found;
    for (size_t i = from; i < log.size(); ++i) {
      if (log[i].method != method) continue;
      EXPECT_EQ(log[i].resource, PlanName(log[i].person)) << log[i].seq;
      found.push_back(
          absl::StrCat(log[i].actor, " ", log[i].person, " ", log[i].outcome));
    }
    return found;
  }

  v1::CarePlan full_;
  dir::Team out_of_hours_;
  Principal nina_, omar_, ada_;
};

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_TESTS_CAREPLAN_CAREPLAN_BREAK_GLASS_FIXTURE_H_
