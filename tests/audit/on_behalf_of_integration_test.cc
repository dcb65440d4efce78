// On whose behalf (issue 11): a service that calls another while serving a
// member's call names the member, and the second service's audit record
// says whom the read was for; only a service identity is believed, so a
// member cannot pass their access off as someone else's.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/on_behalf_of.h"
#include "tests/audit/audit_detail_fixture.h"

namespace carebridge::record::testing {
namespace {

namespace au = ::carebridge::audit::v1;
namespace cp = ::carebridge::careplan::v1;

class OnBehalfOfTest : public AuditDetailTest {
 protected:
  // How a member is named in `on_behalf_of`.
  static std::string Named(const Principal& member) {
    return absl::StrCat(member.subject, " (", member.team, ", clinician)");
  }

  // The accesses to Ada by `actor` calling `method` made for `requester`.
  int AccessesFor(const std::string& actor, const std::string& method,
                  const std::string& requester) {
    int found = 0;
    for (const au::Access& access : By(AccessesTo(ada_), actor, method)) {
      if (access.on_behalf_of() == requester) ++found;
    }
    return found;
  }

  grpc::Status GetPerson(std::unique_ptr<grpc::ClientContext> context) {
    dir::GetPersonRequest request;
    request.set_name(ada_);
    dir::Person person;
    return directory_->GetPerson(context.get(), request, &person);
  }

  // A context for `as` that also claims to act for bob.
  std::unique_ptr<grpc::ClientContext> ClaimingBob(const Principal& as) {
    auto context = server_.ContextAs(as);
    context->AddMetadata(kOnBehalfOfHeader, bob_.subject);
    context->AddMetadata(kOnBehalfOfTeamHeader, bob_.team);
    context->AddMetadata(kOnBehalfOfRoleHeader, "clinician");
    return context;
  }

  static constexpr char kSummary[] = "carebridge.record.v1.GetCareSummary";
};

// The directory asks the record whether bob's team cares for Ada before it
// shows her details: the record's log names bob as the one it was for.
TEST_F(OnBehalfOfTest, TheDirectorysReadOfTheRecordNamesTheClinician) {
  const int before = AccessesFor("services/directory", kSummary, Named(bob_));
  ASSERT_TRUE(GetPerson(server_.ContextAs(bob_)).ok());
  EXPECT_EQ(AccessesFor("services/directory", kSummary, Named(bob_)),
            before + 1);
  // The clinician's own call is theirs, for nobody else.
  for (const au::Access& access : By(AccessesTo(ada_), bob_.subject,
                                     "carebridge.directory.v1.GetPerson")) {
    EXPECT_EQ(access.on_behalf_of(), "");
    EXPECT_EQ(access.log(), "directory");
  }
}

// Listing who accessed Ada asks the care plan service who leads her care:
// that read is listed as the audit service's, for bob.
TEST_F(OnBehalfOfTest, TheAuditServicesReadOfThePlanNamesWhoAsked) {
  au::ListAccessesRequest request;
  request.set_person(ada_);
  au::ListAccessesResponse response;
  auto context = server_.ContextAs(bob_);
  ASSERT_TRUE(audit_->ListAccesses(context.get(), request, &response).ok());
  std::vector<au::Access> reads = By(AccessesTo(ada_), "services/audit",
                                     "carebridge.careplan.v1.GetCarePlan");
  ASSERT_FALSE(reads.empty());
  // Newest first: the read made for bob's listing.
  EXPECT_EQ(reads[0].on_behalf_of(), Named(bob_));
  EXPECT_EQ(reads[0].role(), "service");
  EXPECT_EQ(reads[0].team(), "");
  EXPECT_EQ(reads[0].outcome(), "OK");
}

// A member who sends the metadata is recorded as themselves alone, and the
// claim goes no further: the directory's read of the record is for otto.
TEST_F(OnBehalfOfTest, AMemberCannotClaimToActForSomeoneElse) {
  const int for_bob = AccessesFor("services/directory", kSummary, Named(bob_));
  const int for_otto =
      AccessesFor("services/directory", kSummary, Named(otto_));
  ASSERT_TRUE(GetPerson(ClaimingBob(otto_)).ok());
  std::vector<au::Access> lookups =
      By(AccessesTo(ada_), otto_.subject, "carebridge.directory.v1.GetPerson");
  ASSERT_EQ(lookups.size(), 1u);
  EXPECT_EQ(lookups[0].on_behalf_of(), "");
  EXPECT_EQ(lookups[0].team(), housing_);
  EXPECT_EQ(AccessesFor("services/directory", kSummary, Named(bob_)), for_bob);
  EXPECT_EQ(AccessesFor("services/directory", kSummary, Named(otto_)),
            for_otto + 1);

  // Refused calls too: the refusal is otto's.
  cp::CarePlan plan;
  cp::GetCarePlanRequest get;
  get.set_name(ada_ + "/carePlan");
  auto context = ClaimingBob(otto_);
  EXPECT_EQ(careplan_->GetCarePlan(context.get(), get, &plan).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  std::vector<au::Access> refused =
      By(AccessesTo(ada_), otto_.subject, "carebridge.careplan.v1.GetCarePlan");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].on_behalf_of(), "");
  EXPECT_EQ(refused[0].outcome(), "PERMISSION_DENIED");
}

// A service identity is believed, when what it says is well formed.
TEST_F(OnBehalfOfTest, AServiceIdentityIsBelievedWhenWellFormed) {
  const size_t before = By(AccessesTo(ada_), Service().subject,
                           "carebridge.careplan.v1.GetCarePlan")
                            .size();
  cp::CarePlan plan;
  cp::GetCarePlanRequest get;
  get.set_name(ada_ + "/carePlan");
  auto context = ClaimingBob(Service());
  ASSERT_TRUE(careplan_->GetCarePlan(context.get(), get, &plan).ok());
  EXPECT_EQ(AccessesFor(Service().subject, "carebridge.careplan.v1.GetCarePlan",
                        Named(bob_)),
            1);

  // A service is no one to act for; a name that is not a member's or a
  // person's, or a role nobody has, is not believed.
  const std::vector<std::vector<std::string>> malformed = {
      {"services/referral", "", "service"},
      {"teams/x", "", "clinician"},
      {bob_.subject, "members/bob", "clinician"},
      {bob_.subject, bob_.team, "surgeon"},
      {bob_.subject, bob_.team, ""},
      {"members/bob bad", bob_.team, "clinician"}};
  for (const std::vector<std::string>& claim : malformed) {
    auto bad = server_.ContextAs(Service());
    bad->AddMetadata(kOnBehalfOfHeader, claim[0]);
    if (!claim[1].empty()) bad->AddMetadata(kOnBehalfOfTeamHeader, claim[1]);
    if (!claim[2].empty()) bad->AddMetadata(kOnBehalfOfRoleHeader, claim[2]);
    ASSERT_TRUE(careplan_->GetCarePlan(bad.get(), get, &plan).ok());
  }
  std::vector<au::Access> reads = By(AccessesTo(ada_), Service().subject,
                                     "carebridge.careplan.v1.GetCarePlan");
  int believed = 0;
  for (const au::Access& access : reads) {
    if (!access.on_behalf_of().empty()) {
      ++believed;
      EXPECT_EQ(access.on_behalf_of(), Named(bob_));
    }
  }
  EXPECT_EQ(believed, 1);
  EXPECT_EQ(reads.size(), before + malformed.size() + 1);
}

}  // namespace
}  // namespace carebridge::record::testing
