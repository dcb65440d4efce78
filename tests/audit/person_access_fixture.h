#ifndef CAREBRIDGE_TESTS_AUDIT_PERSON_ACCESS_FIXTURE_H_
#define CAREBRIDGE_TESTS_AUDIT_PERSON_ACCESS_FIXTURE_H_

// The person as a principal, for the tests of their own token: every
// service hosted (RecordTest), Ada and Bea, whose care the crisis team
// leads (bob accepted each one's referral), Ada's own token from bob, and
// the calls those tests make with it.

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "carebridge/audit/v1/audit.grpc.pb.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "tests/record/record_test_fixture.h"

namespace carebridge::record::testing {

class PersonAccessFixture : public RecordTest {
 protected:
  void SetUp() override {
    RecordTest::SetUp();
    audit_ = audit::v1::AuditService::NewStub(server_.Channel());
    careplan_ = careplan::v1::CarePlanService::NewStub(server_.Channel());
    ada_ = MakePerson("Ada");
    bea_ = MakePerson("Bea");
    for (const std::string& person : {ada_, bea_}) {
      Accept(Refer(person, crisis_).name(), bob_);
      ASSERT_TRUE(Eventually([&] {
        careplan::v1::CarePlan plan;
        return GetPlanWith(server_.ContextAs(Service()), person, &plan).ok() &&
               plan.lead_team() == crisis_;
      }));
    }
    careplan::v1::IssuePersonTokenResponse issued;
    ASSERT_TRUE(Issue(bob_, ada_, &issued).ok());
    ada_token_ = issued.token();
  }

  // `as` gives `person` a token of `ttl` (the default when zero).
  grpc::Status Issue(const Principal& as, const std::string& person,
                     careplan::v1::IssuePersonTokenResponse* response,
                     absl::Duration ttl = absl::ZeroDuration()) {
    careplan::v1::IssuePersonTokenRequest request;
    request.set_name(person + "/carePlan");
    if (ttl != absl::ZeroDuration()) {
      request.mutable_ttl()->set_seconds(absl::ToInt64Seconds(ttl));
    }
    auto context = server_.ContextAs(as);
    return careplan_->IssuePersonToken(context.get(), request, response);
  }

  // A context presenting `token` as it is.
  static std::unique_ptr<grpc::ClientContext> WithToken(
      const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + token);
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return context;
  }
  std::unique_ptr<grpc::ClientContext> AsAda() { return WithToken(ada_token_); }

  grpc::Status GetPlanWith(std::unique_ptr<grpc::ClientContext> context,
                           const std::string& person,
                           careplan::v1::CarePlan* plan) {
    careplan::v1::GetCarePlanRequest request;
    request.set_name(person + "/carePlan");
    return careplan_->GetCarePlan(context.get(), request, plan);
  }

  // `person`'s accesses (as an admin lists them) by `actor` calling
  // `method` with `outcome`.
  std::vector<audit::v1::Access> AccessesBy(const std::string& person,
                                            const std::string& actor,
                                            const std::string& method,
                                            const std::string& outcome) {
    audit::v1::ListAccessesRequest request;
    request.set_person(person);
    request.set_page_size(500);
    audit::v1::ListAccessesResponse response;
    grpc::Status status = audit_->ListAccesses(
        server_.ContextAs(carebridge::testing::TestServer::Admin()).get(),
        request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<audit::v1::Access> found;
    for (const audit::v1::Access& access : response.accesses()) {
      if (access.actor() == actor && access.method() == method &&
          access.outcome() == outcome) {
        found.push_back(access);
      }
    }
    return found;
  }
  // How many of them there are.
  int Accesses(const std::string& person, const std::string& actor,
               const std::string& method, const std::string& outcome) {
    return static_cast<int>(AccessesBy(person, actor, method, outcome).size());
  }

  std::unique_ptr<audit::v1::AuditService::Stub> audit_;
  std::unique_ptr<careplan::v1::CarePlanService::Stub> careplan_;
  std::string ada_, bea_, ada_token_;
};

}  // namespace carebridge::record::testing

#endif  // CAREBRIDGE_TESTS_AUDIT_PERSON_ACCESS_FIXTURE_H_
