// GetPerson under need to know: whole to services and to a team with a
// care relationship with the person now, the minimum a referral needs to
// any other clinical staff (and to everyone when the relationship cannot
// be told).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "services/common/clock.h"
#include "services/common/ids.h"
#include "services/common/token.h"
#include "services/directory/directory_domain.h"
#include "services/directory/fake_care_relationships.h"
#include "services/directory/sqlite_directory_store.h"
#include "tests/support/proto_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace carebridge::directory {
namespace {

using ::carebridge::testing::EqualsProto;

constexpr char kCmht[] = "teams/cmht";
constexpr char kVoluntary[] = "teams/vcs";

Principal Staff(const std::string& team, Role role = Role::kClinician) {
  Principal p;
  p.subject = "members/m-" + team.substr(6);
  p.team = team;
  p.role = role;
  return p;
}

Principal Service() {
  Principal p;
  p.subject = "services/careplan";
  p.role = Role::kService;
  return p;
}

class PersonRelationshipTest : public ::testing::Test {
 protected:
  PersonRelationshipTest() : ids_(/*seed=*/11), signer_(std::string(32, 's')) {}

  void SetUp() override {
    // On the engine the run tests (TestDatabase).
    ASSERT_OK_AND_ASSIGN(database_, testing::TestDatabase::Create(dir_.path()));
    auto store = SqliteDirectoryStore::Open(database_->location("directory"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    domain_ = std::make_unique<DirectoryDomain>(&clock_, &ids_, &signer_,
                                                store_.get(), &relationships_);
    v1::CreatePersonRequest request;
    v1::Person& person = *request.mutable_person();
    person.set_nhs_number("943 476 5919");
    person.set_given_name(std::string(200, 'A'));
    person.set_family_name("Okafor");
    person.set_preferred_name("Ade");
    person.set_birth_date("1990-04-01");
    for (int i = 0; i < 20; ++i) {
      v1::LocalIdentifier& id = *person.add_local_identifiers();
      id.set_system("https://trust.example/mrn");
      id.set_value("MRN" + std::to_string(i));
    }
    absl::StatusOr<v1::Person> created =
        domain_->CreatePerson(Staff(kCmht), request);
    ASSERT_TRUE(created.ok()) << created.status();
    whole_ = *created;
  }

  absl::StatusOr<v1::Person> Get(const Principal& as,
                                 RemoteCalls remote = RemoteCalls::kAllowed) {
    v1::GetPersonRequest request;
    request.set_name(whole_.name());
    return domain_->GetPerson(as, request, remote);
  }

  static void ExpectMinimal(const v1::Person& shown, const v1::Person& whole) {
    v1::Person expected;
    expected.set_name(whole.name());
    expected.set_given_name(whole.given_name());
    expected.set_family_name(whole.family_name());
    expected.set_birth_date(whole.birth_date());
    expected.set_etag(whole.etag());
    EXPECT_THAT(shown, EqualsProto(expected));
  }

  testing::TempDir dir_;
  std::optional<testing::TestDatabase> database_;
  FakeClock clock_;
  IdGenerator ids_;
  TokenSigner signer_;
  FakeCareRelationships relationships_;
  std::unique_ptr<SqliteDirectoryStore> store_;
  std::unique_ptr<DirectoryDomain> domain_;
  v1::Person whole_;
};

TEST_F(PersonRelationshipTest, ATeamInACareRelationshipReadsTheWholePerson) {
  relationships_.Relate(whole_.name(), kCmht);
  absl::StatusOr<v1::Person> read = Get(Staff(kCmht));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_THAT(*read, EqualsProto(whole_));
  EXPECT_EQ(read->nhs_number(), "9434765919");
  EXPECT_EQ(read->local_identifiers_size(), 20);
}

TEST_F(PersonRelationshipTest, AnyOtherTeamReadsTheMinimumToRefer) {
  relationships_.Relate(whole_.name(), kCmht);
  for (Role role : {Role::kClinician, Role::kTeamLead}) {
    absl::StatusOr<v1::Person> read = Get(Staff(kVoluntary, role));
    ASSERT_TRUE(read.ok()) << read.status();
    ExpectMinimal(*read, whole_);
  }
  // Even the team that registered the person, once it has no relationship.
  relationships_.Unrelate(whole_.name(), kCmht);
  absl::StatusOr<v1::Person> read = Get(Staff(kCmht));
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectMinimal(*read, whole_);
}

TEST_F(PersonRelationshipTest, WhenTheRelationshipCannotBeToldTheMinimum) {
  relationships_.Relate(whole_.name(), kCmht);
  relationships_.Fail(absl::UnavailableError("record: connection refused"));
  absl::StatusOr<v1::Person> read = Get(Staff(kCmht));
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectMinimal(*read, whole_);
}

TEST_F(PersonRelationshipTest, ServicesReadTheWholePersonWithoutAsking) {
  relationships_.Fail(absl::UnavailableError("record: connection refused"));
  absl::StatusOr<v1::Person> read = Get(Service(), RemoteCalls::kDeferred);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_THAT(*read, EqualsProto(whole_));
  EXPECT_EQ(relationships_.asked(), 0);
}

TEST_F(PersonRelationshipTest, StaffWaitOnTheRecordOffTheNetworkThread) {
  relationships_.Relate(whole_.name(), kCmht);
  absl::StatusOr<v1::Person> deferred =
      Get(Staff(kCmht), RemoteCalls::kDeferred);
  EXPECT_TRUE(IsRemoteCallDeferred(deferred.status())) << deferred.status();
  EXPECT_EQ(relationships_.asked(), 0);
  absl::StatusOr<v1::Person> read = Get(Staff(kCmht), RemoteCalls::kAllowed);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_THAT(*read, EqualsProto(whole_));
  EXPECT_EQ(relationships_.asked(), 1);
}

TEST_F(PersonRelationshipTest, RefusedCallersLearnNothingAndAskNothing) {
  Principal admin;
  admin.subject = "members/admin";
  admin.role = Role::kAdmin;
  EXPECT_EQ(Get(admin).status().code(), absl::StatusCode::kPermissionDenied);
  Principal person;
  person.subject = whole_.name();
  person.role = Role::kPerson;
  EXPECT_EQ(Get(person).status().code(), absl::StatusCode::kPermissionDenied);
  v1::GetPersonRequest unknown;
  unknown.set_name("persons/nobody");
  EXPECT_EQ(domain_->GetPerson(Staff(kCmht), unknown).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(relationships_.asked(), 0);
}

}  // namespace
}  // namespace carebridge::directory
