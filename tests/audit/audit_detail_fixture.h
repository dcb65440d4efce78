#ifndef CAREBRIDGE_TESTS_AUDIT_AUDIT_DETAIL_FIXTURE_H_
#define CAREBRIDGE_TESTS_AUDIT_AUDIT_DETAIL_FIXTURE_H_

// Every service hosted in one server (RecordTest), with Ada led by the
// crisis team, and the audit read back: the accesses listed for a person
// (AuditService, as an admin) and the records of one service's log that
// name nobody (subscriptions, refusals before anything was read).

#include <string>
#include <vector>

#include "carebridge/audit/v1/audit.grpc.pb.h"
#include "services/common/audit_record.h"
#include "services/common/database.h"
#include "tests/record/record_test_fixture.h"

namespace carebridge::record::testing {

class AuditDetailTest : public RecordTest {
 protected:
  void SetUp() override {
    RecordTest::SetUp();
    audit_ = audit::v1::AuditService::NewStub(server_.Channel());
    careplan_ = careplan::v1::CarePlanService::NewStub(server_.Channel());
    ada_ = MakePerson("Ada");
    ASSERT_NO_FATAL_FAILURE(TakenOnByCrisis(ada_));
  }

  // The crisis team takes `person` on (alice refers, bob accepts), and so
  // leads their care.
  void TakenOnByCrisis(const std::string& person) {
    Accept(Refer(person, crisis_).name(), bob_);
    ASSERT_TRUE(Eventually([&] {
      careplan::v1::CarePlan plan;
      return GetPlan(Service(), &plan, person).ok() &&
             plan.lead_team() == crisis_;
    }));
  }

  // `person`'s care plan (default: Ada's) as `as` reads it.
  grpc::Status GetPlan(const Principal& as, careplan::v1::CarePlan* plan,
                       const std::string& person = "") {
    careplan::v1::GetCarePlanRequest request;
    request.set_name((person.empty() ? ada_ : person) + "/carePlan");
    auto context = server_.ContextAs(as);
    return careplan_->GetCarePlan(context.get(), request, plan);
  }

  // Every access to `person` listed (newest first), as an admin sees them.
  std::vector<audit::v1::Access> AccessesTo(const std::string& person) {
    std::vector<audit::v1::Access> all;
    audit::v1::ListAccessesRequest request;
    request.set_person(person);
    request.set_page_size(500);
    for (int page = 0; page < 100; ++page) {
      audit::v1::ListAccessesResponse response;
      auto context =
          server_.ContextAs(carebridge::testing::TestServer::Admin());
      grpc::Status status =
          audit_->ListAccesses(context.get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      all.insert(all.end(), response.accesses().begin(),
                 response.accesses().end());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return all;
  }

  // Those of `accesses` by `actor` calling `method`.
  static std::vector<audit::v1::Access> By(
      const std::vector<audit::v1::Access>& accesses, const std::string& actor,
      const std::string& method) {
    std::vector<audit::v1::Access> found;
    for (const audit::v1::Access& access : accesses) {
      if (access.actor() == actor && access.method() == method) {
        found.push_back(access);
      }
    }
    return found;
  }

  // The records of `service`'s log that name no person, newest first, by
  // `actor` calling `method`.
  std::vector<AuditRecord> UnnamedRecords(const std::string& service,
                                          const std::string& actor,
                                          const std::string& method) {
    Database* log = modules_.Get(service)->audit_log();
    EXPECT_NE(log, nullptr) << service;
    std::vector<AuditRecord> found;
    if (log == nullptr) return found;
    absl::StatusOr<std::vector<AuditRecord>> unnamed =
        log->ListAuditForPerson(/*person=*/"", /*before_seq=*/0,
                                /*limit=*/5000);
    EXPECT_TRUE(unnamed.ok()) << unnamed.status();
    if (!unnamed.ok()) return found;
    for (const AuditRecord& record : *unnamed) {
      if (record.actor == actor && record.method == method) {
        found.push_back(record);
      }
    }
    return found;
  }

  std::unique_ptr<audit::v1::AuditService::Stub> audit_;
  std::unique_ptr<careplan::v1::CarePlanService::Stub> careplan_;
  std::string ada_;
};

}  // namespace carebridge::record::testing

#endif  // CAREBRIDGE_TESTS_AUDIT_AUDIT_DETAIL_FIXTURE_H_
