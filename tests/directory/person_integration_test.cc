// Persons over a real gRPC channel: registration, NHS number uniqueness,
// lookup and search.

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/time_util.h"
#include "services/directory/lookup_limiter.h"
#include "tests/directory/directory_test_fixture.h"

namespace carebridge::directory {
namespace {

using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::HasCode;
using ::carebridge::testing::HasCodeAndMessage;
using ::testing::HasSubstr;
using Stub = v1::DirectoryService::Stub;

class PersonTest : public DirectoryTest {
 protected:
  void SetUp() override {
    DirectoryTest::SetUp();
    team_ = MakeTeam("North");
    clinician_ = Staff(team_.name(), Role::kClinician, "members/clinician");
  }

  v1::Person Register(const v1::CreatePersonRequest& request) {
    v1::Person person;
    grpc::Status status =
        Call(&Stub::CreatePerson, clinician_, request, &person);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return person;
  }

  v1::Team team_;
  Principal clinician_;
};

TEST_F(PersonTest, CreatePersonStoresTheNormalisedNhsNumber) {
  v1::Person person = Register(PersonRequest("943 476 5919"));
  EXPECT_THAT(person.name(), ::testing::StartsWith("persons/"));
  EXPECT_EQ(person.nhs_number(), "9434765919");
  EXPECT_EQ(person.given_name(), "Ada");
  EXPECT_EQ(person.preferred_name(), "Addy");
  EXPECT_EQ(person.birth_date(), "1990-04-01");
  ASSERT_EQ(person.local_identifiers_size(), 1);
  EXPECT_EQ(person.local_identifiers(0).value(), "MRN-1");
  EXPECT_EQ(FromProtoTimestamp(person.create_time()), server_.clock().Now());
  EXPECT_FALSE(person.etag().empty());

  v1::GetPersonRequest get;
  get.set_name(person.name());
  v1::Person read;
  relationships_->Relate(person.name(), clinician_.team);
  ASSERT_GRPC_OK(Call(&Stub::GetPerson, clinician_, get, &read));
  EXPECT_THAT(read, EqualsProto(person));
}

TEST_F(PersonTest, CreatePersonIgnoresOutputOnlyFields) {
  v1::CreatePersonRequest request = PersonRequest();
  request.mutable_person()->set_name("persons/chosen-by-client");
  request.mutable_person()->set_etag("client-etag");
  *request.mutable_person()->mutable_create_time() =
      ToProtoTimestamp(absl::FromUnixSeconds(1));
  v1::Person person = Register(request);
  EXPECT_NE(person.name(), "persons/chosen-by-client");
  EXPECT_NE(person.etag(), "client-etag");
  EXPECT_EQ(FromProtoTimestamp(person.create_time()), server_.clock().Now());
  EXPECT_EQ(FromProtoTimestamp(person.update_time()), server_.clock().Now());
}

TEST_F(PersonTest, NhsNumberIsOptional) {
  v1::Person first = Register(PersonRequest(""));
  // Someone else of the same name and birth date, confirmed as such.
  v1::CreatePersonRequest again = PersonRequest("");
  again.set_allow_possible_duplicate(true);
  v1::Person second = Register(again);
  EXPECT_NE(first.name(), second.name());
  EXPECT_TRUE(first.nhs_number().empty());
}

TEST_F(PersonTest, APossibleDuplicateIsRefusedNamingTheMatch) {
  v1::Person existing = Register(PersonRequest(""));
  // The same person typed again, differently cased, without NHS number.
  v1::CreatePersonRequest again = PersonRequest("");
  again.mutable_person()->set_given_name(" ada ");
  again.mutable_person()->set_family_name("OKAFOR");
  v1::Person created;
  EXPECT_THAT(
      Call(&Stub::CreatePerson, clinician_, again, &created),
      HasCodeAndMessage(
          grpc::StatusCode::FAILED_PRECONDITION,
          HasSubstr("person: may be registered already as " + existing.name() +
                    " (Ada Okafor, born 1990-04-01); use that record if it "
                    "is this person (FindPersons by family name and birth "
                    "date shows it), or set allow_possible_duplicate")));
  // The preferred name is a name too; an NHS number on only one of the two
  // says nothing.
  v1::CreatePersonRequest by_preferred = PersonRequest("943 476 5919");
  by_preferred.mutable_person()->set_given_name("Addy");
  EXPECT_THAT(Call(&Stub::CreatePerson, clinician_, by_preferred, &created),
              HasCode(grpc::StatusCode::FAILED_PRECONDITION));
  v1::FindPersonsRequest find;
  find.set_family_name("okafor");
  find.set_birth_date("1990-04-01");
  v1::FindPersonsResponse found;
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, clinician_, find, &found));
  EXPECT_EQ(found.persons_size(), 1) << "a refused create wrote nothing";

  // Confirmed: someone else after all.
  again.set_allow_possible_duplicate(true);
  ASSERT_GRPC_OK(Call(&Stub::CreatePerson, clinician_, again, &created));
  EXPECT_NE(created.name(), existing.name());
}

TEST_F(PersonTest, APreferredNameMatchesEitherWay) {
  // Registered as Bob; Robert, known as Bob, arrives.
  v1::CreatePersonRequest bob = PersonRequest("");
  bob.mutable_person()->set_given_name("Bob");
  bob.mutable_person()->set_preferred_name("");
  v1::Person registered = Register(bob);
  v1::CreatePersonRequest robert = PersonRequest("");
  robert.mutable_person()->set_given_name("Robert");
  robert.mutable_person()->set_preferred_name("bob");
  v1::Person created;
  EXPECT_THAT(Call(&Stub::CreatePerson, clinician_, robert, &created),
              HasCodeAndMessage(grpc::StatusCode::FAILED_PRECONDITION,
                                HasSubstr(registered.name())));
}

TEST_F(PersonTest, ShowingPossibleDuplicatesCountsAsALookup) {
  Register(PersonRequest(""));
  v1::FindPersonsRequest find;
  find.set_family_name("Okafor");
  find.set_birth_date("1990-04-01");
  v1::FindPersonsResponse found;
  for (int i = 0; i < LookupLimiter::kDefaultMaxLookups; ++i) {
    ASSERT_TRUE(Call(&Stub::FindPersons, clinician_, find, &found).ok()) << i;
  }
  // Registering someone new is not a lookup; being shown who a new
  // registration may be is.
  v1::CreatePersonRequest someone_else = PersonRequest("");
  someone_else.mutable_person()->set_given_name("Obi");
  someone_else.mutable_person()->set_preferred_name("");
  Register(someone_else);
  v1::Person created;
  EXPECT_THAT(
      Call(&Stub::CreatePerson, clinician_, PersonRequest(""), &created),
      HasCode(grpc::StatusCode::RESOURCE_EXHAUSTED));
}

TEST_F(PersonTest, DifferentPersonsOfOneNameAndBirthDateAreNotDuplicates) {
  Register(PersonRequest("9434765919"));
  // Twins: another given name.
  v1::CreatePersonRequest twin = PersonRequest("");
  twin.mutable_person()->set_given_name("Obi");
  twin.mutable_person()->set_preferred_name("");
  Register(twin);
  // Another NHS number is another person.
  Register(PersonRequest("401 023 2137"));
  // Another birth date.
  v1::CreatePersonRequest older = PersonRequest("");
  older.mutable_person()->set_birth_date("1970-04-01");
  Register(older);
}

TEST_F(PersonTest, ARetryIsAnsweredAsBeforeNotAsADuplicate) {
  v1::CreatePersonRequest request = PersonRequest("");
  request.set_request_id("ada-1");
  v1::Person first = Register(request);
  v1::Person retried = Register(request);
  EXPECT_EQ(retried.name(), first.name());
}

TEST_F(PersonTest, ConcurrentRegistrationsOfOnePersonCreateOne) {
  std::atomic<int> created{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      v1::Person person;
      grpc::Status status =
          Call(&Stub::CreatePerson, clinician_, PersonRequest(""), &person);
      if (status.ok()) ++created;
      if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        ++refused;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(refused.load(), 7);
}

TEST_F(PersonTest, PersonHasNoDiagnosisField) {
  const google::protobuf::Descriptor* person = v1::Person::descriptor();
  for (int i = 0; i < person->field_count(); ++i) {
    EXPECT_THAT(absl::AsciiStrToLower(person->field(i)->name()),
                ::testing::Not(HasSubstr("diagnos")));
  }
}

TEST_F(PersonTest, DuplicateNhsNumberNamesTheExistingPerson) {
  v1::Person existing = Register(PersonRequest("9434765919", "Okafor"));
  v1::Person duplicate;
  EXPECT_THAT(Call(&Stub::CreatePerson, clinician_,
                   PersonRequest("943 476 5919", "Someone Else"), &duplicate),
              HasCodeAndMessage(grpc::StatusCode::ALREADY_EXISTS,
                                HasSubstr(existing.name())));
  // Nothing was written: the other name finds no one.
  v1::FindPersonsRequest find;
  find.set_family_name("Someone Else");
  find.set_birth_date("1990-04-01");
  v1::FindPersonsResponse found;
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, clinician_, find, &found));
  EXPECT_EQ(found.persons_size(), 0);
}

TEST_F(PersonTest, ConcurrentRegistrationsOfOneNhsNumberCreateOnePerson) {
  constexpr int kCallers = 8;
  std::atomic<int> created{0};
  std::vector<std::string> messages(kCallers);
  std::vector<grpc::StatusCode> codes(kCallers);
  std::vector<std::thread> threads;
  std::string winner;
  std::mutex winner_mu;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      v1::Person person;
      grpc::Status status = Call(
          &Stub::CreatePerson,
          Staff(team_.name(), Role::kClinician, absl::StrCat("members/c", i)),
          PersonRequest("4010232137"), &person);
      codes[i] = status.error_code();
      messages[i] = status.error_message();
      if (status.ok()) {
        ++created;
        std::lock_guard<std::mutex> lock(winner_mu);
        winner = person.name();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(created.load(), 1);
  for (int i = 0; i < kCallers; ++i) {
    if (codes[i] == grpc::StatusCode::OK) continue;
    EXPECT_EQ(codes[i], grpc::StatusCode::ALREADY_EXISTS) << messages[i];
    EXPECT_THAT(messages[i], HasSubstr(winner));
  }
}

TEST_F(PersonTest, RetriedCreatePersonReturnsTheFirstPerson) {
  v1::CreatePersonRequest request = PersonRequest("9434765919");
  request.set_request_id("register-ada");
  v1::Person first = Register(request);
  server_.clock().Advance(absl::Seconds(30));
  // Not ALREADY_EXISTS: the retry is the same request, answered again.
  v1::Person second = Register(request);
  EXPECT_THAT(second, EqualsProto(first));

  // Concurrent retries agree too.
  request.set_request_id("register-bo");
  request.mutable_person()->set_nhs_number("");
  request.mutable_person()->set_family_name("Bo");
  std::vector<std::string> names(6);
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      v1::Person person;
      if (Call(&Stub::CreatePerson, clinician_, request, &person).ok()) {
        names[i] = person.name();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 1u);
  EXPECT_FALSE(names[0].empty());
  v1::FindPersonsRequest find;
  find.set_family_name("Bo");
  find.set_birth_date("1990-04-01");
  v1::FindPersonsResponse found;
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, clinician_, find, &found));
  EXPECT_EQ(found.persons_size(), 1);
}

TEST_F(PersonTest, SameRequestIdFromAnotherCallerIsAnotherRequest) {
  // Request ids are the caller's own: reusing another member's id must
  // neither return their person nor stop this registration.
  v1::CreatePersonRequest request = PersonRequest("");
  request.set_request_id("register-1");
  request.set_allow_possible_duplicate(true);
  v1::Person mine = Register(request);
  v1::Person theirs;
  ASSERT_GRPC_OK(Call(&Stub::CreatePerson,
                      Staff(team_.name(), Role::kClinician, "members/other"),
                      request, &theirs));
  EXPECT_NE(theirs.name(), mine.name());

  // With an NHS number the second registration is a duplicate person, and
  // says so, rather than quietly handing back the first caller's record.
  request = PersonRequest("9434765919");
  request.set_request_id("register-2");
  request.set_allow_possible_duplicate(true);
  Register(request);
  EXPECT_THAT(Call(&Stub::CreatePerson,
                   Staff(team_.name(), Role::kClinician, "members/other"),
                   request, &theirs),
              HasCode(grpc::StatusCode::ALREADY_EXISTS));
}

TEST_F(PersonTest, CreatePersonRejectsInvalidFieldsNamingThem) {
  struct Case {
    std::string description;
    std::function<void(v1::CreatePersonRequest*)> mutate;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"no person", [](auto* r) { r->clear_person(); }, "person: must be set"},
      {"wrong check digit",
       [](auto* r) { r->mutable_person()->set_nhs_number("9434765918"); },
       "person.nhs_number: is not a valid NHS number"},
      {"check digit ten",
       [](auto* r) { r->mutable_person()->set_nhs_number("1234567890"); },
       "person.nhs_number: is not a valid NHS number"},
      {"short NHS number",
       [](auto* r) { r->mutable_person()->set_nhs_number("943476591"); },
       "person.nhs_number: must be 10 digits"},
      {"letters in NHS number",
       [](auto* r) { r->mutable_person()->set_nhs_number("94347659AB"); },
       "person.nhs_number: must contain only digits"},
      {"long given name",
       [](auto* r) {
         r->mutable_person()->set_given_name(std::string(201, 'x'));
       },
       "person.given_name: must be at most 200"},
      {"no given name",
       [](auto* r) { r->mutable_person()->clear_given_name(); },
       "person.given_name: must be set"},
      {"no family name",
       [](auto* r) { r->mutable_person()->set_family_name(" "); },
       "person.family_name: must be set"},
      {"long family name",
       [](auto* r) {
         r->mutable_person()->set_family_name(std::string(201, 'x'));
       },
       "person.family_name: must be at most 200"},
      {"long preferred name",
       [](auto* r) {
         r->mutable_person()->set_preferred_name(std::string(201, 'x'));
       },
       "person.preferred_name: must be at most 200"},
      {"no birth date",
       [](auto* r) { r->mutable_person()->clear_birth_date(); },
       "person.birth_date: must be set"},
      {"malformed birth date",
       [](auto* r) { r->mutable_person()->set_birth_date("01/04/1990"); },
       "person.birth_date: must be a real date written YYYY-MM-DD"},
      {"impossible birth date",
       [](auto* r) { r->mutable_person()->set_birth_date("1990-02-30"); },
       "person.birth_date: must be a real date"},
      {"birth date tomorrow",
       [](auto* r) { r->mutable_person()->set_birth_date("2026-01-02"); },
       "person.birth_date: must not be in the future"},
      {"too many local identifiers",
       [](auto* r) {
         for (int i = 0; i < 20; ++i) {
           auto* id = r->mutable_person()->add_local_identifiers();
           id->set_system("https://x.example");
           id->set_value(absl::StrCat(i));
         }
       },
       "person.local_identifiers: must have at most 20"},
      {"identifier without system",
       [](auto* r) {
         r->mutable_person()->mutable_local_identifiers(0)->clear_system();
       },
       "person.local_identifiers[0].system: must be set"},
      {"identifier without value",
       [](auto* r) {
         r->mutable_person()->add_local_identifiers()->set_system("s");
       },
       "person.local_identifiers[1].value: must be set"},
      {"long identifier system",
       [](auto* r) {
         r->mutable_person()->mutable_local_identifiers(0)->set_system(
             std::string(201, 's'));
       },
       "person.local_identifiers[0].system: must be at most 200"},
      {"long identifier value",
       [](auto* r) {
         r->mutable_person()->mutable_local_identifiers(0)->set_value(
             std::string(101, 'v'));
       },
       "person.local_identifiers[0].value: must be at most 100"},
  };
  for (const Case& c : cases) {
    v1::CreatePersonRequest request = PersonRequest();
    c.mutate(&request);
    v1::Person person;
    EXPECT_THAT(Call(&Stub::CreatePerson, clinician_, request, &person),
                HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                  HasSubstr(c.message)))
        << c.description;
  }
  // None of them registered the (valid) NHS number.
  v1::FindPersonsRequest find;
  find.set_nhs_number("9434765919");
  v1::FindPersonsResponse found;
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, clinician_, find, &found));
  EXPECT_EQ(found.persons_size(), 0);
}

TEST_F(PersonTest, BirthDateTodayIsAccepted) {
  v1::CreatePersonRequest request = PersonRequest("");
  request.mutable_person()->set_birth_date("2026-01-01");
  Register(request);
}

TEST_F(PersonTest, OnlyClinicalStaffRegisterPersons) {
  v1::Person person;
  EXPECT_THAT(Call(&Stub::CreatePerson, Admin(), PersonRequest(), &person),
              HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                HasSubstr("CreatePerson")));
  EXPECT_THAT(Call(&Stub::CreatePerson, Service(), PersonRequest(), &person),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));
  for (Role role :
       {Role::kCareCoordinator, Role::kTeamLead, Role::kPeerSupportWorker}) {
    v1::CreatePersonRequest request = PersonRequest("");
    request.set_allow_possible_duplicate(true);
    ASSERT_GRPC_OK(
        Call(&Stub::CreatePerson, Staff(team_.name(), role), request, &person));
  }
}

TEST_F(PersonTest, ClinicalStaffAndServicesReadPersonsButAdminsDoNot) {
  v1::Person person = Register(PersonRequest());
  v1::GetPersonRequest get;
  get.set_name(person.name());
  v1::Person read;
  v1::Team other = MakeTeam("South");
  relationships_->Relate(person.name(), other.name());
  ASSERT_GRPC_OK(
      Call(&Stub::GetPerson, Staff(other.name(), Role::kTeamLead), get, &read));
  EXPECT_THAT(read, EqualsProto(person));
  ASSERT_GRPC_OK(Call(&Stub::GetPerson, Service(), get, &read));
  EXPECT_THAT(read, EqualsProto(person));
  EXPECT_THAT(Call(&Stub::GetPerson, Admin(), get, &read),
              HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                HasSubstr("GetPerson")));
  EXPECT_THAT(CallAnonymously(&Stub::GetPerson, get, &read),
              HasCode(grpc::StatusCode::UNAUTHENTICATED));

  get.set_name("persons/nosuchperson");
  EXPECT_THAT(Call(&Stub::GetPerson, clinician_, get, &read),
              HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                HasSubstr("persons/nosuchperson")));
  get.set_name("teams/abc");
  EXPECT_THAT(Call(&Stub::GetPerson, clinician_, get, &read),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("name:")));
}

// Over the wire: a team without a care relationship reads the minimum a
// referral needs, and the read is audited under the person like any other.
TEST_F(PersonTest, StaffWithoutACareRelationshipReadTheMinimum) {
  v1::Person person = Register(PersonRequest("943 476 5919"));
  v1::GetPersonRequest get;
  get.set_name(person.name());
  v1::Person read;
  ASSERT_GRPC_OK(Call(&Stub::GetPerson, clinician_, get, &read));
  v1::Person minimal;
  minimal.set_name(person.name());
  minimal.set_given_name(person.given_name());
  minimal.set_family_name(person.family_name());
  minimal.set_birth_date(person.birth_date());
  minimal.set_etag(person.etag());
  EXPECT_THAT(read, EqualsProto(minimal));
  // Once in a relationship (a referral received, say), the whole person;
  // once it ends, the minimum again.
  relationships_->Relate(person.name(), clinician_.team);
  ASSERT_GRPC_OK(Call(&Stub::GetPerson, clinician_, get, &read));
  EXPECT_THAT(read, EqualsProto(person));
  relationships_->Unrelate(person.name(), clinician_.team);
  ASSERT_GRPC_OK(Call(&Stub::GetPerson, clinician_, get, &read));
  EXPECT_THAT(read, EqualsProto(minimal));
  // The record service unreachable: the minimum, never an error.
  relationships_->Relate(person.name(), clinician_.team);
  relationships_->Fail(absl::UnavailableError("record: connection refused"));
  ASSERT_GRPC_OK(Call(&Stub::GetPerson, clinician_, get, &read));
  EXPECT_THAT(read, EqualsProto(minimal));
}

TEST_F(PersonTest, ServiceIdentityMayReadTeamsAndPersons) {
  // The referral service checks both before accepting a referral.
  v1::Person person = Register(PersonRequest());
  v1::GetTeamRequest get_team;
  get_team.set_name(team_.name());
  v1::Team team;
  ASSERT_GRPC_OK(Call(&Stub::GetTeam, Service(), get_team, &team));
  v1::GetPersonRequest get_person;
  get_person.set_name(person.name());
  v1::Person read;
  ASSERT_GRPC_OK(Call(&Stub::GetPerson, Service(), get_person, &read));
}

TEST_F(PersonTest, FindPersonsByNhsNumber) {
  // Whole persons, as a service sees them (staff see less: below).
  v1::Person person = Register(PersonRequest("9434765919"));
  Register(PersonRequest("4010232137"));
  v1::FindPersonsRequest find;
  find.set_nhs_number("943 476 5919");
  v1::FindPersonsResponse found;
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, Service(), find, &found));
  ASSERT_EQ(found.persons_size(), 1);
  EXPECT_THAT(found.persons(0), EqualsProto(person));

  find.set_nhs_number("9434765927");
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, Service(), find, &found));
  EXPECT_EQ(found.persons_size(), 0);
}

TEST_F(PersonTest, FindPersonsByFamilyNameIgnoresCaseButNotBirthDate) {
  v1::Person match = Register(PersonRequest("", "McDonald"));
  v1::CreatePersonRequest other_day = PersonRequest("", "McDonald");
  other_day.mutable_person()->set_birth_date("1990-04-02");
  Register(other_day);
  Register(PersonRequest("", "MacDonald"));

  v1::FindPersonsRequest find;
  find.set_family_name("mcdonald");
  find.set_birth_date("1990-04-01");
  v1::FindPersonsResponse found;
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, Service(), find, &found));
  ASSERT_EQ(found.persons_size(), 1);
  EXPECT_THAT(found.persons(0), EqualsProto(match));
}

TEST_F(PersonTest, FindPersonsReturnsAtMostFifty) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 5; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 11; ++i) {
        v1::CreatePersonRequest smith = PersonRequest("", "Smith");
        smith.set_allow_possible_duplicate(true);
        Register(smith);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  v1::FindPersonsRequest find;
  find.set_family_name("SMITH");
  find.set_birth_date("1990-04-01");
  v1::FindPersonsResponse found;
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, clinician_, find, &found));
  EXPECT_EQ(found.persons_size(), 50);
}

TEST_F(PersonTest, FindPersonsNeedsExactlyOneSearch) {
  struct Case {
    std::string description;
    std::string nhs_number, family_name, birth_date;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"nothing", "", "", "", "nhs_number: must be set, or family_name"},
      {"both kinds", "9434765919", "Okafor", "1990-04-01", "not both"},
      {"name without date", "", "Okafor", "", "birth_date: must be set"},
      {"date without name", "", "", "1990-04-01", "family_name: must be set"},
      {"bad NHS number", "9434765918", "", "", "nhs_number: is not a valid"},
      {"bad date", "", "Okafor", "1990-4-1", "birth_date: must be a real date"},
  };
  for (const Case& c : cases) {
    v1::FindPersonsRequest find;
    find.set_nhs_number(c.nhs_number);
    find.set_family_name(c.family_name);
    find.set_birth_date(c.birth_date);
    v1::FindPersonsResponse found;
    EXPECT_THAT(Call(&Stub::FindPersons, clinician_, find, &found),
                HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                  HasSubstr(c.message)))
        << c.description;
  }
}

TEST_F(PersonTest, AdminsCannotSearchPersons) {
  v1::FindPersonsRequest find;
  find.set_nhs_number("9434765919");
  v1::FindPersonsResponse found;
  EXPECT_THAT(Call(&Stub::FindPersons, Admin(), find, &found),
              HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                HasSubstr("FindPersons")));
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, Service(), find, &found));
}

// Lookups give clinical staff the minimum needed to refer (issue 11).
TEST_F(PersonTest, ALookupGivesStaffOnlyWhatAReferralNeeds) {
  const v1::Person full = Register(PersonRequest("943 476 5919", "Okafor"));
  v1::FindPersonsRequest by_name;
  by_name.set_family_name("okafor");
  by_name.set_birth_date("1990-04-01");
  v1::FindPersonsResponse found;
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, clinician_, by_name, &found));
  ASSERT_EQ(found.persons_size(), 1);
  v1::Person expected;
  expected.set_name(full.name());
  expected.set_given_name("Ada");
  expected.set_family_name("Okafor");
  expected.set_birth_date("1990-04-01");
  expected.set_etag(full.etag());
  // Found by name and birth date: not the NHS number, the preferred name
  // or the local identifiers.
  EXPECT_THAT(found.persons(0), EqualsProto(expected));
  v1::FindPersonsRequest by_number;
  by_number.set_nhs_number("9434765919");
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, clinician_, by_number, &found));
  ASSERT_EQ(found.persons_size(), 1);
  expected.set_nhs_number("9434765919");
  EXPECT_THAT(found.persons(0), EqualsProto(expected));
  // A service gets the whole person.
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, Service(), by_number, &found));
  ASSERT_EQ(found.persons_size(), 1);
  EXPECT_EQ(found.persons(0).local_identifiers_size(), 1);
  EXPECT_EQ(found.persons(0).preferred_name(), "Addy");
}

TEST_F(PersonTest, BulkLookupsAreRefused) {
  Register(PersonRequest("943 476 5919", "Okafor"));
  v1::FindPersonsRequest find;
  find.set_nhs_number("9434765919");
  v1::FindPersonsResponse found;
  for (int i = 0; i < LookupLimiter::kDefaultMaxLookups; ++i) {
    ASSERT_TRUE(Call(&Stub::FindPersons, clinician_, find, &found).ok()) << i;
  }
  grpc::Status refused = Call(&Stub::FindPersons, clinician_, find, &found);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("bulk lookups are refused"));
  // A colleague is not held up; an hour on, the member may look up again.
  ASSERT_GRPC_OK(Call(&Stub::FindPersons,
                      Staff(team_.name(), Role::kClinician, "members/other"),
                      find, &found));
  server_.clock().Advance(LookupLimiter::kDefaultWindow);
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, clinician_, find, &found));
  // A malformed request is refused without being counted, and says why:
  // after any number of them the member still has the rest of the hour's
  // lookups, and no more.
  v1::FindPersonsRequest malformed;
  malformed.set_nhs_number("123");
  for (int i = 0; i < 2 * LookupLimiter::kDefaultMaxLookups; ++i) {
    grpc::Status bad = Call(&Stub::FindPersons, clinician_, malformed, &found);
    ASSERT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << i;
    ASSERT_THAT(bad.error_message(), HasSubstr("nhs_number")) << i;
  }
  for (int i = 1; i < LookupLimiter::kDefaultMaxLookups; ++i) {
    ASSERT_TRUE(Call(&Stub::FindPersons, clinician_, find, &found).ok()) << i;
  }
  EXPECT_EQ(Call(&Stub::FindPersons, clinician_, find, &found).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// --- UpdatePerson ---

class UpdatePersonTest : public PersonTest {
 protected:
  void SetUp() override {
    PersonTest::SetUp();
    person_ = Register(PersonRequest(""));
    relationships_->Relate(person_.name(), team_.name());
  }

  // An update of `paths` from `patch` (named person_), at person_'s etag.
  v1::UpdatePersonRequest Update(std::initializer_list<const char*> paths,
                                 v1::Person patch) const {
    v1::UpdatePersonRequest request;
    patch.set_name(person_.name());
    *request.mutable_person() = std::move(patch);
    for (const char* path : paths)
      request.mutable_update_mask()->add_paths(path);
    request.set_etag(person_.etag());
    return request;
  }

  v1::Person Read() {
    v1::GetPersonRequest get;
    get.set_name(person_.name());
    v1::Person read;
    grpc::Status status = Call(&Stub::GetPerson, Service(), get, &read);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return read;
  }

  v1::Person person_;
};

TEST_F(UpdatePersonTest, TheCaringTeamCorrectsTheRegisteredDetails) {
  v1::Person patch;
  patch.set_family_name("Okafor-Reid");
  patch.set_nhs_number("943 476 5919");
  patch.set_given_name("ignored: not in the mask");
  v1::Person updated;
  ASSERT_GRPC_OK(Call(&Stub::UpdatePerson, clinician_,
                      Update({"family_name", "nhs_number"}, patch), &updated));
  EXPECT_EQ(updated.family_name(), "Okafor-Reid");
  EXPECT_EQ(updated.nhs_number(), "9434765919") << "normalised";
  EXPECT_EQ(updated.given_name(), "Ada");
  EXPECT_NE(updated.etag(), person_.etag());
  EXPECT_THAT(Read(), EqualsProto(updated));
  // Found by the new details, not the old.
  v1::FindPersonsRequest find;
  find.set_family_name("okafor-reid");
  find.set_birth_date("1990-04-01");
  v1::FindPersonsResponse found;
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, clinician_, find, &found));
  ASSERT_EQ(found.persons_size(), 1);
  EXPECT_EQ(found.persons(0).name(), person_.name());
  find.set_family_name("okafor");
  ASSERT_GRPC_OK(Call(&Stub::FindPersons, clinician_, find, &found));
  EXPECT_EQ(found.persons_size(), 0);
  // A whole list is replaced whole.
  v1::Person ids;
  ids.add_local_identifiers()->set_system("https://gp.example/id");
  ids.mutable_local_identifiers(0)->set_value("G-7");
  v1::UpdatePersonRequest replace = Update({"local_identifiers"}, ids);
  replace.set_etag(updated.etag());
  ASSERT_GRPC_OK(Call(&Stub::UpdatePerson, clinician_, replace, &updated));
  ASSERT_EQ(updated.local_identifiers_size(), 1);
  EXPECT_EQ(updated.local_identifiers(0).value(), "G-7");
}

TEST_F(UpdatePersonTest, OnlyATeamCaringForThePersonNow) {
  v1::Team other = MakeTeam("South");
  v1::Person patch;
  patch.set_family_name("Changed");
  v1::Person updated;
  EXPECT_THAT(Call(&Stub::UpdatePerson,
                   Staff(other.name(), Role::kClinician, "members/south"),
                   Update({"family_name"}, patch), &updated),
              HasCodeAndMessage(grpc::StatusCode::PERMISSION_DENIED,
                                HasSubstr(other.name() + " has none")));
  EXPECT_THAT(Call(&Stub::UpdatePerson, Admin(), Update({"family_name"}, patch),
                   &updated),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));
  relationships_->Fail(absl::UnavailableError("record: connection refused"));
  EXPECT_THAT(Call(&Stub::UpdatePerson, clinician_,
                   Update({"family_name"}, patch), &updated),
              HasCodeAndMessage(grpc::StatusCode::UNAVAILABLE,
                                HasSubstr("record: connection refused")));
  EXPECT_THAT(Read(), EqualsProto(person_)) << "nothing changed";
}

TEST_F(UpdatePersonTest, BadUpdatesNameTheProblemAndChangeNothing) {
  v1::Person holder = Register(PersonRequest("9434765919", "Mensah"));
  v1::Person patch;
  patch.set_nhs_number("9434765919");
  v1::Person updated;
  EXPECT_THAT(Call(&Stub::UpdatePerson, clinician_,
                   Update({"nhs_number"}, patch), &updated),
              HasCodeAndMessage(grpc::StatusCode::ALREADY_EXISTS,
                                HasSubstr(holder.name())));
  EXPECT_THAT(Call(&Stub::UpdatePerson, clinician_,
                   Update({"diagnosis"}, patch), &updated),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("diagnosis")));
  EXPECT_THAT(Call(&Stub::UpdatePerson, clinician_,
                   Update({"given_name"}, patch), &updated),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("person.given_name")));
  v1::Person future;
  future.set_birth_date("2999-01-01");
  EXPECT_THAT(Call(&Stub::UpdatePerson, clinician_,
                   Update({"birth_date"}, future), &updated),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("person.birth_date")));
  v1::UpdatePersonRequest no_mask = Update({}, patch);
  EXPECT_THAT(Call(&Stub::UpdatePerson, clinician_, no_mask, &updated),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("update_mask")));
  v1::UpdatePersonRequest stale = Update({"preferred_name"}, patch);
  stale.set_etag("not-the-etag");
  EXPECT_THAT(Call(&Stub::UpdatePerson, clinician_, stale, &updated),
              HasCode(grpc::StatusCode::ABORTED));
  EXPECT_THAT(Read(), EqualsProto(person_)) << "nothing changed";
}

}  // namespace
}  // namespace carebridge::directory
