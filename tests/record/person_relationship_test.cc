// GetPerson's need to know with every service hosted, as the all-in-one
// binary runs: the directory asks the record which teams have a care
// relationship with the person (the care team, and the teams on a referral
// still awaiting an answer), and gives every other team the minimum a
// referral needs.

#include <string>

#include "tests/record/record_test_fixture.h"
#include "tests/support/proto_matchers.h"

namespace carebridge::record::testing {
namespace {

using ::carebridge::testing::EqualsProto;

class PersonRelationshipTest : public RecordTest {
 protected:
  void SetUp() override {
    RecordTest::SetUp();
    dir::CreatePersonRequest request;
    request.mutable_person()->set_nhs_number("943 476 5919");
    request.mutable_person()->set_given_name("Dee");
    request.mutable_person()->set_family_name("Okafor");
    request.mutable_person()->set_preferred_name("D");
    request.mutable_person()->set_birth_date("1990-04-01");
    auto context = server_.ContextAs(alice_);
    grpc::Status status =
        directory_->CreatePerson(context.get(), request, &whole_);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  dir::Person Read(const Principal& as) {
    dir::GetPersonRequest request;
    request.set_name(whole_.name());
    dir::Person person;
    auto context = server_.ContextAs(as);
    grpc::Status status =
        directory_->GetPerson(context.get(), request, &person);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return person;
  }

  bool ReadsWhole(const Principal& as) {
    return Read(as).nhs_number() == whole_.nhs_number();
  }

  dir::Person Minimal() const {
    dir::Person minimal;
    minimal.set_name(whole_.name());
    minimal.set_given_name(whole_.given_name());
    minimal.set_family_name(whole_.family_name());
    minimal.set_birth_date(whole_.birth_date());
    minimal.set_etag(whole_.etag());
    return minimal;
  }

  dir::Person whole_;
};

TEST_F(PersonRelationshipTest, TheTeamsOnAReferralAndTheCareTeamReadTheWhole) {
  // Registered, but nothing has happened in Dee's care yet: even the
  // registering team reads the minimum.
  EXPECT_THAT(Read(alice_), EqualsProto(Minimal()));
  EXPECT_THAT(Read(bob_), EqualsProto(Minimal()));

  // A referral awaiting an answer: both its teams, nobody else.
  const std::string referral = Refer(whole_.name(), crisis_).name();
  ASSERT_TRUE(Eventually([&] { return ReadsWhole(bob_); }));
  EXPECT_THAT(Read(bob_), EqualsProto(whole_));
  EXPECT_TRUE(ReadsWhole(alice_));
  EXPECT_THAT(Read(val_), EqualsProto(Minimal()));

  // Accepted: the crisis team is on the care team; the referring team's
  // loop is closed and it is not on the care team, so it has no
  // relationship left.
  Accept(referral, bob_);
  ASSERT_TRUE(Eventually([&] { return !ReadsWhole(alice_); }));
  EXPECT_THAT(Read(alice_), EqualsProto(Minimal()));
  // The loop closes with the referral feed's event and the crisis team
  // joins the care team with the care plan feed's: the record may apply
  // the first before the second, and for that moment the accepting team
  // reads the minimum (a known gap, noted on issue 15). Once both are
  // applied it reads the whole.
  ASSERT_TRUE(Eventually([&] { return ReadsWhole(bob_); }));
  EXPECT_THAT(Read(bob_), EqualsProto(whole_));
  EXPECT_THAT(Read(val_), EqualsProto(Minimal()));
  // Services read the whole person.
  EXPECT_TRUE(ReadsWhole(Service()));
}

}  // namespace
}  // namespace carebridge::record::testing
