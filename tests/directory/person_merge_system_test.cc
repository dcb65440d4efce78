// MergePersons with every service hosted, as the all-in-one binary runs
// them: the record says who leads and what is in flight; once merged, the
// kept person's timeline holds the duplicate's history, and the referral and
// care plan services refuse new work for the duplicate, naming the person
// to use.

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "carebridge/audit/v1/audit.grpc.pb.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "tests/record/record_test_fixture.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/status_matchers.h"

namespace carebridge::record::testing {
namespace {

namespace au = ::carebridge::audit::v1;
namespace cp = ::carebridge::careplan::v1;
using ::carebridge::testing::HasCodeAndMessage;
using ::carebridge::testing::TestServer;
using ::testing::HasSubstr;

class PersonMergeSystemTest : public RecordTest {
 protected:
  dir::Person Read(const Principal& as, const std::string& person) {
    dir::GetPersonRequest get;
    get.set_name(person);
    dir::Person read;
    auto context = server_.ContextAs(as);
    grpc::Status status = directory_->GetPerson(context.get(), get, &read);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return read;
  }

  grpc::Status Merge(const Principal& as, const std::string& duplicate,
                     const std::string& kept) {
    dir::MergePersonsRequest merge;
    merge.set_person(kept);
    merge.set_duplicate(duplicate);
    merge.set_duplicate_etag(Read(as, duplicate).etag());
    dir::Person result;
    auto context = server_.ContextAs(as);
    return directory_->MergePersons(context.get(), merge, &result);
  }

  // Whether the record has taken in every referral answer about `person`:
  // nothing awaits an answer.
  bool NothingAwaited(const std::string& person) {
    v1::CareSummary summary;
    return Summary(Service(), person, &summary).ok() &&
           summary.open_loops().empty();
  }
};

TEST_F(PersonMergeSystemTest, TheKeptRecordShowsTheDuplicatesHistory) {
  const std::string ada = MakePerson("Ada");
  Accept(Refer(ada, crisis_).name(), bob_);
  ASSERT_TRUE(Eventually([&] {
    v1::CareSummary summary;
    return Summary(Service(), ada, &summary).ok() &&
           summary.lead_team() == crisis_;
  }));

  // At 3 am the community team registers Ada again and refers her.
  const std::string again =
      MakePerson("Ada", /*allow_possible_duplicate=*/true);
  const ref::Referral referral = ReferAs(alice_, again, crisis_);
  ASSERT_TRUE(Eventually([&] { return !NothingAwaited(again); }));
  EXPECT_THAT(Merge(bob_, again, ada),
              HasCodeAndMessage(
                  grpc::StatusCode::FAILED_PRECONDITION,
                  HasSubstr(absl::StrCat(referral.name(),
                                         " about the duplicate still await"))));
  EXPECT_THAT(Merge(alice_, again, ada),
              HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                HasSubstr("only the team leading the care")));

  // The crisis team, leading Ada's care, answers and then merges.
  Decline(referral.name(), bob_);
  ASSERT_TRUE(Eventually([&] { return NothingAwaited(again); }));
  ASSERT_GRPC_OK(Merge(bob_, again, ada));
  EXPECT_EQ(Read(alice_, again).merged_into(), ada);
  // Audited under both persons.
  auto audit = au::AuditService::NewStub(server_.Channel());
  for (const std::string& person : {ada, again}) {
    au::ListAccessesRequest request;
    request.set_person(person);
    request.set_page_size(500);
    au::ListAccessesResponse accesses;
    auto context = server_.ContextAs(TestServer::Admin());
    ASSERT_GRPC_OK(audit->ListAccesses(context.get(), request, &accesses));
    int merges = 0;
    for (const au::Access& access : accesses.accesses()) {
      if (access.actor() == bob_.subject &&
          access.method() == "carebridge.directory.v1.MergePersons" &&
          access.outcome() == "OK") {
        ++merges;
      }
    }
    EXPECT_EQ(merges, 1) << person;
  }

  // Ada's timeline holds the duplicate's referral, sent and declined, and
  // says the two records became one.
  ASSERT_TRUE(Eventually([&] {
    int referral_entries = 0;
    bool merge_entry = false;
    for (const v1::TimelineEntry& entry : Timeline(bob_, ada)) {
      if (entry.resource() == referral.name()) ++referral_entries;
      if (absl::StrContains(entry.summary(), again)) merge_entry = true;
    }
    return referral_entries >= 2 && merge_entry;
  }));
  v1::CareSummary summary;
  EXPECT_THAT(
      Summary(Service(), again, &summary),
      HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION, HasSubstr(ada)));

  // New work for the duplicate is refused, naming the person to use, once
  // what other services remember of the directory has aged out.
  server_.clock().Advance(absl::Seconds(6));
  ref::CreateReferralRequest create;
  create.mutable_referral()->set_person(again);
  create.mutable_referral()->set_receiving_team(crisis_);
  create.mutable_referral()->set_urgency(ref::URGENT);
  create.mutable_referral()->set_reason("Low mood, asks for support");
  ref::Referral refused;
  auto context = server_.ContextAs(alice_);
  EXPECT_THAT(referral_->CreateReferral(context.get(), create, &refused),
              HasCodeAndMessage(
                  grpc::StatusCode::FAILED_PRECONDITION,
                  absl::StrCat("referral.person: ", again, " was merged into ",
                               ada, " (registered twice): use ", ada)));
  auto careplan = cp::CarePlanService::NewStub(server_.Channel());
  cp::GetCarePlanRequest get;
  get.set_name(again + "/carePlan");
  cp::CarePlan plan;
  auto read_context = server_.ContextAs(Service());
  EXPECT_THAT(careplan->GetCarePlan(read_context.get(), get, &plan),
              HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION,
                                HasSubstr("was merged into " + ada)));
}

}  // namespace
}  // namespace carebridge::record::testing
