// AuditService (issue 11) over a server hosting every service: the lead
// team and admins see who accessed a person's record, across every
// service's log, newest first and paged; nobody else may; the logs verify,
// and tampering with one database's log is found.

#include <algorithm>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "carebridge/audit/v1/audit.grpc.pb.h"
#include "services/common/database.h"
#include "services/directory/lookup_limiter.h"
#include "tests/record/record_test_fixture.h"
#include "tests/support/proto_matchers.h"

namespace carebridge::record::testing {
namespace {

namespace au = ::carebridge::audit::v1;
namespace cp = ::carebridge::careplan::v1;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

class AuditServiceTest : public RecordTest {
 protected:
  void SetUp() override {
    RecordTest::SetUp();
    audit_ = au::AuditService::NewStub(server_.Channel());
    careplan_ = cp::CarePlanService::NewStub(server_.Channel());
    person_ = MakePerson("Ada");
    // The crisis team accepts Ada's referral and so leads her care.
    Accept(Refer(person_, crisis_).name(), bob_);
    ASSERT_TRUE(Eventually([&] {
      cp::CarePlan plan;
      return GetPlan(Service(), &plan).ok() && plan.lead_team() == crisis_;
    }));
  }

  grpc::Status GetPlan(const Principal& as, cp::CarePlan* plan) {
    cp::GetCarePlanRequest request;
    request.set_name(person_ + "/carePlan");
    auto context = server_.ContextAs(as);
    return careplan_->GetCarePlan(context.get(), request, plan);
  }

  // The record has every feed's events about the person.
  bool RecordCaughtUp() {
    return Eventually([&] {
      v1::ListTimelineEntriesRequest request;
      request.set_parent(person_);
      v1::ListTimelineEntriesResponse response;
      return List(Service(), request, &response).ok() &&
             response.freshness().caught_up() && response.entries_size() > 0;
    });
  }

  grpc::Status ListAccesses(const Principal& as,
                            const au::ListAccessesRequest& request,
                            au::ListAccessesResponse* response) {
    auto context = server_.ContextAs(as);
    return audit_->ListAccesses(context.get(), request, response);
  }

  // Every access to `person` (default: Ada), page by page.
  std::vector<au::Access> AllAccesses(const Principal& as, int page_size,
                                      const std::string& person = "") {
    std::vector<au::Access> all;
    au::ListAccessesRequest request;
    request.set_person(person.empty() ? person_ : person);
    request.set_page_size(page_size);
    for (int page = 0; page < 1000; ++page) {
      au::ListAccessesResponse response;
      grpc::Status status = ListAccesses(as, request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      EXPECT_LE(response.accesses_size(), page_size);
      all.insert(all.end(), response.accesses().begin(),
                 response.accesses().end());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return all;
  }

  au::VerifyAuditLogsResponse Verify() {
    au::VerifyAuditLogsResponse response;
    auto context = server_.ContextAs(carebridge::testing::TestServer::Admin());
    grpc::Status status = audit_->VerifyAuditLogs(
        context.get(), au::VerifyAuditLogsRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  static std::vector<au::Access> By(const std::vector<au::Access>& accesses,
                                    const std::string& actor,
                                    const std::string& method) {
    std::vector<au::Access> found;
    for (const au::Access& access : accesses) {
      if (access.actor() == actor && access.method() == method) {
        found.push_back(access);
      }
    }
    return found;
  }

  std::unique_ptr<au::AuditService::Stub> audit_;
  std::unique_ptr<cp::CarePlanService::Stub> careplan_;
  std::string person_;
};

TEST_F(AuditServiceTest, TheLeadTeamSeesWhoReadTheRecordInEveryService) {
  cp::CarePlan plan;
  ASSERT_TRUE(GetPlan(bob_, &plan).ok());
  ASSERT_TRUE(RecordCaughtUp());
  Timeline(bob_, person_);
  // A team with no care relationship is refused; that is listed too.
  EXPECT_EQ(GetPlan(otto_, &plan).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  std::vector<au::Access> accesses = AllAccesses(bob_, 50);
  std::vector<au::Access> reads =
      By(accesses, "members/bob", "carebridge.careplan.v1.GetCarePlan");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].team(), crisis_);
  EXPECT_EQ(reads[0].role(), "clinician");
  EXPECT_EQ(reads[0].resource(), person_ + "/carePlan");
  EXPECT_EQ(reads[0].outcome(), "OK");
  EXPECT_EQ(reads[0].log(), "careplan");
  std::vector<au::Access> timeline =
      By(accesses, "members/bob", "carebridge.record.v1.ListTimelineEntries");
  ASSERT_EQ(timeline.size(), 1u);
  EXPECT_EQ(timeline[0].log(), "record");
  // Answering the referral named only `referrals/{id}`: still Ada's.
  std::vector<au::Access> accepted =
      By(accesses, "members/bob", "carebridge.referral.v1.AcceptReferral");
  ASSERT_EQ(accepted.size(), 1u);
  EXPECT_EQ(accepted[0].log(), "referral");
  EXPECT_EQ(accepted[0].outcome(), "OK");
  std::vector<au::Access> refused =
      By(accesses, "members/otto", "carebridge.careplan.v1.GetCarePlan");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].team(), housing_);
  EXPECT_EQ(refused[0].outcome(), "PERMISSION_DENIED");
  // Newest first, across the logs.
  for (size_t i = 1; i < accesses.size(); ++i) {
    EXPECT_GE(accesses[i - 1].time().seconds() * 1000000000LL +
                  accesses[i - 1].time().nanos(),
              accesses[i].time().seconds() * 1000000000LL +
                  accesses[i].time().nanos());
  }
}

// Looking a person up is an access to their record (issue 11).
TEST_F(AuditServiceTest, ALookupIsListedUnderThePersonFound) {
  directory::v1::FindPersonsRequest find;
  find.set_family_name("Okafor");
  find.set_birth_date("1990-04-01");
  directory::v1::FindPersonsResponse found;
  auto context = server_.ContextAs(otto_);
  ASSERT_TRUE(directory_->FindPersons(context.get(), find, &found).ok());
  ASSERT_EQ(found.persons_size(), 1);
  EXPECT_EQ(found.persons(0).name(), person_);
  std::vector<au::Access> lookups = By(AllAccesses(bob_, 50), "members/otto",
                                       "carebridge.directory.v1.FindPersons");
  ASSERT_EQ(lookups.size(), 1u);
  EXPECT_EQ(lookups[0].log(), "directory");
  EXPECT_EQ(lookups[0].team(), housing_);
  EXPECT_EQ(lookups[0].outcome(), "OK");
}

// A lookup that finds several persons is an access to each of them.
TEST_F(AuditServiceTest, ALookupIsListedUnderEveryPersonFound) {
  std::vector<std::string> okafors = {person_};
  for (const char* name : {"Bea", "Cal", "Dan"}) {
    okafors.push_back(MakePerson(name));
  }
  directory::v1::FindPersonsRequest find;
  find.set_family_name("okafor");
  find.set_birth_date("1990-04-01");
  directory::v1::FindPersonsResponse found;
  auto context = server_.ContextAs(otto_);
  ASSERT_TRUE(directory_->FindPersons(context.get(), find, &found).ok());
  ASSERT_EQ(found.persons_size(), 4);
  const Principal admin = carebridge::testing::TestServer::Admin();
  for (const std::string& person : okafors) {
    SCOPED_TRACE(person);
    std::vector<au::Access> lookups =
        By(AllAccesses(admin, 50, person), "members/otto",
           "carebridge.directory.v1.FindPersons");
    ASSERT_EQ(lookups.size(), 1u);
    EXPECT_EQ(lookups[0].log(), "directory");
    EXPECT_EQ(lookups[0].outcome(), "OK");
  }
  // The records are chained like any others.
  EXPECT_TRUE(Verify().intact());
}

// A lookup refused as bulk enumeration is recorded with its outcome like
// any refusal: it names nobody, so it is in the directory's log under no
// person.
TEST_F(AuditServiceTest, ALookupRefusedAsBulkIsRecordedAsRefused) {
  directory::v1::FindPersonsRequest find;
  find.set_family_name("Okafor");
  find.set_birth_date("1990-04-01");
  directory::v1::FindPersonsResponse found;
  for (int i = 0; i < directory::LookupLimiter::kDefaultMaxLookups; ++i) {
    auto context = server_.ContextAs(otto_);
    ASSERT_TRUE(directory_->FindPersons(context.get(), find, &found).ok()) << i;
  }
  auto context = server_.ContextAs(otto_);
  ASSERT_EQ(directory_->FindPersons(context.get(), find, &found).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  Database* directory_log = modules_.Get("directory")->audit_log();
  ASSERT_NE(directory_log, nullptr);
  ASSERT_OK_AND_ASSIGN(std::vector<AuditRecord> unnamed,
                       directory_log->ListAuditForPerson(
                           /*person=*/"", /*before_seq=*/0, /*limit=*/1000));
  std::vector<AuditRecord> refused;
  std::copy_if(unnamed.begin(), unnamed.end(), std::back_inserter(refused),
               [](const AuditRecord& record) {
                 return record.actor == "members/otto" &&
                        record.method == "carebridge.directory.v1.FindPersons";
               });
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].team, housing_);
  EXPECT_EQ(refused[0].outcome, "RESOURCE_EXHAUSTED");
  // The lookups admitted are each listed under the person found.
  EXPECT_EQ(By(AllAccesses(bob_, 100), "members/otto",
               "carebridge.directory.v1.FindPersons")
                .size(),
            static_cast<size_t>(directory::LookupLimiter::kDefaultMaxLookups));
}

TEST_F(AuditServiceTest, OnlyTheLeadTeamAndAdminsMayListAndAskingIsRecorded) {
  au::ListAccessesRequest request;
  request.set_person(person_);
  au::ListAccessesResponse response;
  // The sending team is not on the care team; the housing team knows
  // nothing of Ada; a service identity is not a reader either.
  for (const Principal& refused : {alice_, otto_, val_, Service()}) {
    SCOPED_TRACE(refused.subject);
    grpc::Status status = ListAccesses(refused, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(status.error_message(), HasSubstr("lead team"));
  }
  EXPECT_TRUE(ListAccesses(bob_, request, &response).ok());
  std::vector<au::Access> seen =
      AllAccesses(carebridge::testing::TestServer::Admin(), 50);
  // Asking is itself an access, kept in the audit service's own log.
  std::vector<au::Access> asked =
      By(seen, "members/alice", "carebridge.audit.v1.ListAccesses");
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].log(), "audit");
  EXPECT_EQ(asked[0].outcome(), "PERMISSION_DENIED");
  EXPECT_EQ(By(seen, "members/bob", "carebridge.audit.v1.ListAccesses").size(),
            1u);
}

TEST_F(AuditServiceTest, PagesCoverEveryAccessOnceNewestFirst) {
  cp::CarePlan plan;
  for (int i = 0; i < 120; ++i) ASSERT_TRUE(GetPlan(bob_, &plan).ok());
  ASSERT_TRUE(RecordCaughtUp());
  for (int i = 0; i < 30; ++i) Timeline(bob_, person_);
  std::vector<au::Access> whole = AllAccesses(bob_, 500);
  for (int page_size : {1, 7, 25}) {
    SCOPED_TRACE(page_size);
    std::vector<au::Access> paged = AllAccesses(bob_, page_size);
    // Each listing is itself an access (in `audit`), and asks the care plan
    // service who leads (a read by services/audit): compare the rest, which
    // does not change.
    auto stable = [](const au::Access& x) {
      return x.log() != "audit" && x.actor() != "services/audit";
    };
    std::set<std::pair<std::string, int64_t>> a, b;
    for (const au::Access& x : whole) {
      if (stable(x)) a.insert({x.log(), x.sequence()});
    }
    for (const au::Access& x : paged) {
      if (stable(x)) {
        EXPECT_TRUE(b.insert({x.log(), x.sequence()}).second);
      }
    }
    std::vector<std::pair<std::string, int64_t>> missing, extra;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(),
                        std::back_inserter(missing));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(),
                        std::back_inserter(extra));
    EXPECT_THAT(missing, IsEmpty());
    EXPECT_THAT(extra, IsEmpty());
  }
  EXPECT_EQ(
      By(whole, "members/bob", "carebridge.careplan.v1.GetCarePlan").size(),
      120u);
  EXPECT_EQ(By(whole, "members/bob", "carebridge.record.v1.ListTimelineEntries")
                .size(),
            30u);
}

TEST_F(AuditServiceTest, BadRequestsNameTheField) {
  au::ListAccessesResponse response;
  au::ListAccessesRequest request;
  grpc::Status status = ListAccesses(bob_, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("person"));
  request.set_person("people/ada");
  status = ListAccesses(bob_, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("person"));
  request.set_person(person_);
  request.set_page_size(-1);
  status = ListAccesses(bob_, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_size"));
  request.set_page_size(0);
  request.set_page_token("not-a-token");
  status = ListAccesses(bob_, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
  // A token for another person's listing is refused, not followed.
  cp::CarePlan plan;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(GetPlan(bob_, &plan).ok());
  request.set_page_token("");
  request.set_page_size(1);
  ASSERT_TRUE(ListAccesses(bob_, request, &response).ok());
  ASSERT_FALSE(response.next_page_token().empty());
  au::ListAccessesRequest other;
  other.set_person(MakePerson("Bea"));
  other.set_page_token(response.next_page_token());
  status =
      ListAccesses(carebridge::testing::TestServer::Admin(), other, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
}

TEST_F(AuditServiceTest, EveryLogVerifiesAndTamperingWithOneIsFound) {
  cp::CarePlan plan;
  ASSERT_TRUE(GetPlan(bob_, &plan).ok());
  au::VerifyAuditLogsResponse verified = Verify();
  EXPECT_TRUE(verified.intact());
  std::vector<std::string> logs;
  for (const au::AuditLogVerification& log : verified.logs()) {
    logs.push_back(log.log());
    EXPECT_TRUE(log.intact()) << log.log();
    EXPECT_THAT(log.problems(), IsEmpty());
    EXPECT_EQ(log.head_sequence(), log.records()) << log.log();
    // Every service the test called has records.
    if (log.log() == "directory" || log.log() == "referral" ||
        log.log() == "careplan") {
      EXPECT_GT(log.records(), 0) << log.log();
    }
  }
  EXPECT_THAT(logs, UnorderedElementsAre("directory", "referral", "careplan",
                                         "handover", "record", "audit"));
  // Only admins verify.
  au::VerifyAuditLogsResponse refused;
  auto context = server_.ContextAs(bob_);
  EXPECT_EQ(audit_
                ->VerifyAuditLogs(context.get(), au::VerifyAuditLogsRequest(),
                                  &refused)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Someone with the database (not the key) rewrites who read the plan:
  // the SQLite file or the PostgreSQL schema, whichever the test runs on.
  Database* careplan_db = modules_.Get("careplan")->audit_log();
  ASSERT_NE(careplan_db, nullptr);
  ASSERT_TRUE(careplan_db
                  ->Write([](Connection& conn) {
                    return conn.Exec(
                        "UPDATE audit_log SET actor = 'members/nobody' "
                        "WHERE actor = 'members/bob'");
                  })
                  .ok());
  verified = Verify();
  EXPECT_FALSE(verified.intact());
  for (const au::AuditLogVerification& log : verified.logs()) {
    if (log.log() == "careplan") {
      EXPECT_FALSE(log.intact());
      EXPECT_THAT(log.problems(), Contains(HasSubstr("edited")));
    } else {
      EXPECT_TRUE(log.intact()) << log.log();
    }
  }
}

}  // namespace
}  // namespace carebridge::record::testing
