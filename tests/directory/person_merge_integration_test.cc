// MergePersons over a real gRPC channel: the lead team merges a person
// registered twice; the duplicate stays, marked, and is no longer found,
// compared, updated or merged again. What would make two people one, or
// lose something in flight, is refused and changes nothing.

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/time_util.h"
#include "tests/directory/directory_test_fixture.h"

namespace carebridge::directory {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::HasCode;
using ::carebridge::testing::HasCodeAndMessage;
using ::testing::AllOf;
using ::testing::HasSubstr;
using Stub = v1::DirectoryService::Stub;

class PersonMergeTest : public DirectoryTest {
 protected:
  void SetUp() override {
    DirectoryTest::SetUp();
    team_ = MakeTeam("North");
    clinician_ = Staff(team_.name(), Role::kClinician, "members/clinician");
    kept_ = Register("9434765919", "Ada");
    duplicate_ = Register("", "Ada");
    relationships_->Lead(kept_.name(), team_.name());
    relationships_->Relate(kept_.name(), team_.name());
    relationships_->Relate(duplicate_.name(), team_.name());
  }

  // Ada Okafor, born 1990-04-01, registered again and again on purpose.
  v1::Person Register(const std::string& nhs_number,
                      const std::string& given_name,
                      const std::string& birth_date = "1990-04-01") {
    v1::CreatePersonRequest request;
    request.mutable_person()->set_nhs_number(nhs_number);
    request.mutable_person()->set_given_name(given_name);
    request.mutable_person()->set_family_name("Okafor");
    request.mutable_person()->set_birth_date(birth_date);
    request.set_allow_possible_duplicate(true);
    v1::Person person;
    grpc::Status status =
        Call(&Stub::CreatePerson, clinician_, request, &person);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return person;
  }

  static v1::MergePersonsRequest Merge(const v1::Person& duplicate,
                                       const v1::Person& kept) {
    v1::MergePersonsRequest request;
    request.set_person(kept.name());
    request.set_duplicate(duplicate.name());
    request.set_duplicate_etag(duplicate.etag());
    return request;
  }

  v1::Person Read(const std::string& name) {
    v1::GetPersonRequest get;
    get.set_name(name);
    v1::Person read;
    grpc::Status status = Call(&Stub::GetPerson, Service(), get, &read);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return read;
  }

  // The persons FindPersons finds of Ada Okafor's name and birth date.
  std::vector<std::string> Found() {
    v1::FindPersonsRequest find;
    find.set_family_name("Okafor");
    find.set_birth_date("1990-04-01");
    v1::FindPersonsResponse found;
    EXPECT_TRUE(Call(&Stub::FindPersons, Service(), find, &found).ok());
    std::vector<std::string> names;
    for (const v1::Person& person : found.persons()) {
      names.push_back(person.name());
    }
    return names;
  }

  // `as` merging `duplicate` into `kept` is refused with `code` and a
  // message holding `words`, and both stay as they were.
  void ExpectRefused(const Principal& as, const v1::MergePersonsRequest& merge,
                     grpc::StatusCode code, const std::string& words) {
    const v1::Person kept_before = Read(merge.person());
    const v1::Person duplicate_before = Read(merge.duplicate());
    v1::Person merged;
    EXPECT_THAT(Call(&Stub::MergePersons, as, merge, &merged),
                HasCodeAndMessage(code, HasSubstr(words)));
    EXPECT_THAT(Read(merge.person()), EqualsProto(kept_before));
    EXPECT_THAT(Read(merge.duplicate()), EqualsProto(duplicate_before));
  }

  v1::Team team_;
  Principal clinician_;
  v1::Person kept_;
  v1::Person duplicate_;
};

TEST_F(PersonMergeTest, TheLeadTeamMergesAPersonRegisteredTwice) {
  ASSERT_EQ(Found().size(), 2u);
  v1::Person result;
  ASSERT_GRPC_OK(
      Call(&Stub::MergePersons, clinician_, Merge(duplicate_, kept_), &result));
  EXPECT_THAT(result, EqualsProto(kept_)) << "the person kept, unchanged";

  // The duplicate stays, saying which record to use, to everyone who reads
  // it (also the minimum a team without a relationship reads).
  const v1::Person merged = Read(duplicate_.name());
  EXPECT_EQ(merged.merged_into(), kept_.name());
  EXPECT_EQ(FromProtoTimestamp(merged.merge_time()), server_.clock().Now());
  EXPECT_NE(merged.etag(), duplicate_.etag());
  EXPECT_EQ(merged.birth_date(), duplicate_.birth_date()) << "kept as it was";
  const Principal stranger =
      Staff(MakeTeam("South").name(), Role::kClinician, "members/south");
  v1::GetPersonRequest get;
  get.set_name(duplicate_.name());
  v1::Person shown;
  ASSERT_GRPC_OK(Call(&Stub::GetPerson, stranger, get, &shown));
  EXPECT_EQ(shown.merged_into(), kept_.name());
  // The kept person's care team reads the duplicate whole.
  relationships_->Relate(kept_.name(), stranger.team);
  ASSERT_GRPC_OK(Call(&Stub::GetPerson, stranger, get, &shown));
  EXPECT_THAT(shown, EqualsProto(merged));

  // No longer found, nor offered as a possible duplicate of a newcomer.
  EXPECT_EQ(Found(), std::vector<std::string>{kept_.name()});
  v1::CreatePersonRequest again;
  again.mutable_person()->set_given_name("Ada");
  again.mutable_person()->set_family_name("Okafor");
  again.mutable_person()->set_birth_date("1990-04-01");
  v1::Person created;
  EXPECT_THAT(
      Call(&Stub::CreatePerson, clinician_, again, &created),
      HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION,
                        AllOf(HasSubstr(kept_.name()),
                              ::testing::Not(HasSubstr(duplicate_.name())))));

  // Neither updated nor merged again; nothing merged into it.
  v1::UpdatePersonRequest update;
  update.mutable_person()->set_name(duplicate_.name());
  update.mutable_person()->set_preferred_name("Ada");
  update.mutable_update_mask()->add_paths("preferred_name");
  update.set_etag(merged.etag());
  v1::Person updated;
  const std::string use_kept =
      absl::StrCat(duplicate_.name(), " was merged into ", kept_.name(),
                   " (registered twice): use ", kept_.name());
  EXPECT_THAT(
      Call(&Stub::UpdatePerson, clinician_, update, &updated),
      HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION, use_kept));
  // A retry (its answer lost) is answered as the first time; merging it
  // into someone else is refused.
  ASSERT_GRPC_OK(
      Call(&Stub::MergePersons, clinician_, Merge(duplicate_, kept_), &result));
  EXPECT_THAT(result, EqualsProto(kept_));
  v1::Person third = Register("", "Ada");
  relationships_->Lead(third.name(), team_.name());
  ExpectRefused(clinician_, Merge(merged, third),
                grpc::StatusCode::FAILED_PRECONDITION, use_kept);
  relationships_->Lead(duplicate_.name(), team_.name());
  ExpectRefused(clinician_, Merge(third, merged),
                grpc::StatusCode::FAILED_PRECONDITION, use_kept);
}

TEST_F(PersonMergeTest, OnlyTheTeamLeadingTheKeptPersonsCare) {
  const Principal south =
      Staff(MakeTeam("South").name(), Role::kClinician, "members/south");
  relationships_->Relate(duplicate_.name(), south.team);
  ExpectRefused(south, Merge(duplicate_, kept_),
                grpc::StatusCode::PERMISSION_DENIED,
                absl::StrCat("only the team leading the care of ", kept_.name(),
                             " (", team_.name(), ")"));
  ExpectRefused(Admin(), Merge(duplicate_, kept_),
                grpc::StatusCode::PERMISSION_DENIED, "MergePersons");
  const v1::Person unled = Register("", "Ade");
  ExpectRefused(clinician_, Merge(duplicate_, unled),
                grpc::StatusCode::PERMISSION_DENIED, "nobody leads it");
  relationships_->Fail(absl::UnavailableError("record: connection refused"));
  ExpectRefused(clinician_, Merge(duplicate_, kept_),
                grpc::StatusCode::UNAVAILABLE, "record: connection refused");
}

TEST_F(PersonMergeTest, ADuplicateAnotherTeamLeadsNeedsARelationshipWithIt) {
  relationships_->Unrelate(duplicate_.name(), team_.name());
  relationships_->Lead(duplicate_.name(), "teams/elsewhere");
  ExpectRefused(clinician_, Merge(duplicate_, kept_),
                grpc::StatusCode::PERMISSION_DENIED,
                absl::StrCat(team_.name(), " has no care relationship with ",
                             duplicate_.name()));
}

TEST_F(PersonMergeTest, ADuplicateNobodyCaresForIsMergedOnSight) {
  // Registered twice at 3 am and left: no relationship, nothing in flight.
  relationships_->Unrelate(duplicate_.name(), team_.name());
  v1::GetPersonRequest get;
  get.set_name(duplicate_.name());
  v1::Person seen;
  ASSERT_GRPC_OK(Call(&Stub::GetPerson, clinician_, get, &seen));
  ASSERT_TRUE(seen.nhs_number().empty() && seen.preferred_name().empty())
      << "the minimum";
  v1::Person result;
  ASSERT_GRPC_OK(
      Call(&Stub::MergePersons, clinician_, Merge(seen, kept_), &result));
  EXPECT_EQ(Read(duplicate_.name()).merged_into(), kept_.name());
}

TEST_F(PersonMergeTest, ADuplicateWithHistoryNeedsATeamThatKnowsIt) {
  // Its referrals all answered: nothing in flight, but not untouched.
  relationships_->Unrelate(duplicate_.name(), team_.name());
  relationships_->GiveHistory(duplicate_.name(), {"teams/elsewhere"});
  ExpectRefused(clinician_, Merge(duplicate_, kept_),
                grpc::StatusCode::PERMISSION_DENIED,
                absl::StrCat(team_.name(), " has no care relationship with ",
                             duplicate_.name()));
  // A team that answered the duplicate's referral knows them.
  relationships_->GiveHistory(duplicate_.name(), {team_.name()});
  v1::Person result;
  ASSERT_GRPC_OK(
      Call(&Stub::MergePersons, clinician_, Merge(duplicate_, kept_), &result));
}

TEST_F(PersonMergeTest, TwoPeopleAreNeverMadeOne) {
  const v1::Person other = Register("9434765870", "Ada");
  relationships_->Relate(other.name(), team_.name());
  ExpectRefused(clinician_, Merge(other, kept_),
                grpc::StatusCode::FAILED_PRECONDITION,
                "they have different NHS numbers: two people");
  // Nothing in the refusal tells the caller the other's NHS number.
  v1::Person result;
  EXPECT_THAT(
      Call(&Stub::MergePersons, clinician_, Merge(other, kept_), &result),
      HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION,
                        ::testing::Not(HasSubstr("9434765870"))));
  const v1::Person twin = Register("", "Bea");
  relationships_->Relate(twin.name(), team_.name());
  ExpectRefused(clinician_, Merge(twin, kept_),
                grpc::StatusCode::FAILED_PRECONDITION,
                "they have different names");
  const v1::Person younger = Register("", "Ada", "1991-04-01");
  relationships_->Relate(younger.name(), team_.name());
  ExpectRefused(clinician_, Merge(younger, kept_),
                grpc::StatusCode::FAILED_PRECONDITION,
                "born on different dates (1990-04-01, 1991-04-01): if one is "
                "wrong, correct it first");
  // Keep the one the NHS knows.
  relationships_->Lead(duplicate_.name(), team_.name());
  ExpectRefused(clinician_, Merge(kept_, duplicate_),
                grpc::StatusCode::FAILED_PRECONDITION,
                absl::StrCat("only the duplicate has an NHS number: keep that "
                             "one (merge ",
                             duplicate_.name(), " into ", kept_.name(), ")"));
}

TEST_F(PersonMergeTest, NothingInFlightIsReaddressed) {
  relationships_->Await(duplicate_.name(), "referrals/r1");
  relationships_->Await(duplicate_.name(), "handovers/h1");
  ExpectRefused(clinician_, Merge(duplicate_, kept_),
                grpc::StatusCode::FAILED_PRECONDITION,
                "referrals/r1, handovers/h1 about the duplicate still await an "
                "answer: answer or withdraw them first");
  const v1::Person planned = Register("", "Ada");
  relationships_->Relate(planned.name(), team_.name());
  relationships_->GivePlan(planned.name());
  ExpectRefused(clinician_, Merge(planned, kept_),
                grpc::StatusCode::FAILED_PRECONDITION,
                absl::StrCat("the duplicate has the care plan: keep that one "
                             "(merge ",
                             kept_.name(), " into ", planned.name(), ")"));
  relationships_->GivePlan(kept_.name());
  ExpectRefused(clinician_, Merge(planned, kept_),
                grpc::StatusCode::FAILED_PRECONDITION,
                "both have a care plan, and care plans are not merged");
}

TEST_F(PersonMergeTest, BadRequestsNameTheFieldAndChangeNothing) {
  struct Case {
    std::function<void(v1::MergePersonsRequest&)> change;
    grpc::StatusCode code;
    std::string words;
  };
  const std::vector<Case> cases = {
      {[](v1::MergePersonsRequest& r) { r.clear_person(); },
       grpc::StatusCode::INVALID_ARGUMENT, "person"},
      {[](v1::MergePersonsRequest& r) { r.set_duplicate("teams/x"); },
       grpc::StatusCode::INVALID_ARGUMENT, "duplicate"},
      {[&](v1::MergePersonsRequest& r) { r.set_duplicate(kept_.name()); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "duplicate: must be another person than `person`"},
      {[](v1::MergePersonsRequest& r) { r.clear_duplicate_etag(); },
       grpc::StatusCode::INVALID_ARGUMENT, "duplicate_etag"},
      {[](v1::MergePersonsRequest& r) { r.set_duplicate_etag("stale"); },
       grpc::StatusCode::ABORTED, ""},
      {[](v1::MergePersonsRequest& r) { r.set_person("persons/nobody"); },
       grpc::StatusCode::NOT_FOUND, "persons/nobody"},
  };
  for (const Case& c : cases) {
    v1::MergePersonsRequest merge = Merge(duplicate_, kept_);
    c.change(merge);
    v1::Person result;
    EXPECT_THAT(Call(&Stub::MergePersons, clinician_, merge, &result),
                HasCodeAndMessage(c.code, HasSubstr(c.words)))
        << merge.ShortDebugString();
  }
  EXPECT_THAT(Read(duplicate_.name()), EqualsProto(duplicate_));
  EXPECT_THAT(Read(kept_.name()), EqualsProto(kept_));
}

// Two members each merging one of a pair into the other at once: one
// merge happens, never both (which would leave no record to use).
TEST_F(PersonMergeTest, ConcurrentMergesOfAPairMergeOnce) {
  relationships_->Lead(duplicate_.name(), team_.name());
  const v1::Person second = Register("", "Ada");
  relationships_->Relate(second.name(), team_.name());
  relationships_->Lead(second.name(), team_.name());
  // Calls the same way are retries of one another; one way wins.
  std::atomic<int> forward_ok{0};
  std::atomic<int> backward_ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      const bool forward = i % 2 == 0;
      v1::Person result;
      grpc::Status status =
          Call(&Stub::MergePersons, clinician_,
               forward ? Merge(second, duplicate_) : Merge(duplicate_, second),
               &result);
      if (status.ok()) ++(forward ? forward_ok : backward_ok);
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_TRUE((forward_ok > 0) != (backward_ok > 0))
      << forward_ok << " one way, " << backward_ok << " the other";
  const bool second_merged = !Read(second.name()).merged_into().empty();
  const bool duplicate_merged = !Read(duplicate_.name()).merged_into().empty();
  EXPECT_NE(second_merged, duplicate_merged);
}

}  // namespace
}  // namespace carebridge::directory
