#include "services/common/on_behalf_of.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <list>
#include <map>
#include <string>
#include <vector>

#include "google/protobuf/empty.pb.h"

namespace carebridge {
namespace {

using ::testing::Pair;
using ::testing::UnorderedElementsAre;

Principal Caller(Role role) {
  Principal caller;
  caller.subject = role == Role::kService ? "services/directory" : "members/m";
  caller.team = role == Role::kService ? "" : "teams/t";
  caller.role = role;
  return caller;
}

// Received metadata refers to strings that outlive it.
class OnBehalfOfTest : public ::testing::Test {
 protected:
  void Set(const char* key, const std::string& value) {
    values_.push_back(value);
    metadata_.emplace(grpc::string_ref(key), grpc::string_ref(values_.back()));
  }
  void Claim(const std::string& subject, const std::string& team,
             const std::string& role) {
    Set(kOnBehalfOfHeader, subject);
    if (!team.empty()) Set(kOnBehalfOfTeamHeader, team);
    Set(kOnBehalfOfRoleHeader, role);
  }

  std::list<std::string> values_;
  std::multimap<grpc::string_ref, grpc::string_ref> metadata_;
};

TEST_F(OnBehalfOfTest, AServiceIsBelieved) {
  Claim("members/bob", "teams/crisis", "clinician");
  std::optional<Requester> requester =
      OnBehalfOfIn(Caller(Role::kService), metadata_);
  ASSERT_TRUE(requester.has_value());
  EXPECT_EQ(requester->subject, "members/bob");
  EXPECT_EQ(requester->team, "teams/crisis");
  EXPECT_EQ(requester->role, "clinician");
  EXPECT_EQ(OnBehalfOfText(*requester),
            "members/bob (teams/crisis, clinician)");
}

TEST_F(OnBehalfOfTest, APersonHasNoTeam) {
  Claim("persons/p1", "", "person");
  std::optional<Requester> requester =
      OnBehalfOfIn(Caller(Role::kService), metadata_);
  ASSERT_TRUE(requester.has_value());
  EXPECT_EQ(OnBehalfOfText(*requester), "persons/p1 (person)");
}

TEST_F(OnBehalfOfTest, NobodyButAServiceIsBelieved) {
  Claim("members/bob", "teams/crisis", "clinician");
  for (Role role : {Role::kClinician, Role::kTeamLead, Role::kAdmin,
                    Role::kPerson, Role::kTeamManager, Role::kUnspecified}) {
    EXPECT_FALSE(OnBehalfOfIn(Caller(role), metadata_).has_value())
        << RoleName(role);
  }
}

TEST_F(OnBehalfOfTest, NothingSaidIsNobody) {
  EXPECT_FALSE(OnBehalfOfIn(Caller(Role::kService), metadata_).has_value());
}

TEST_F(OnBehalfOfTest, AMalformedClaimIsNotBelieved) {
  struct Case {
    std::string subject, team, role;
  };
  for (const Case& c : std::vector<Case>{
           {"services/referral", "", "service"},
           {"members/bob", "teams/crisis", "service"},
           {"members/bob", "teams/crisis", "surgeon"},
           {"members/bob", "teams/crisis", "unspecified"},
           {"teams/crisis", "", "clinician"},
           {"members/", "teams/crisis", "clinician"},
           {"members/bob/x", "teams/crisis", "clinician"},
           {"members/b b", "teams/crisis", "clinician"},
           {"members/" + std::string(65, 'b'), "teams/crisis", "clinician"},
           {"members/bob", "members/bob", "clinician"},
           {"members/bob", "teams/", "clinician"},
           // A person is in the role person, with no team, and only a
           // person is.
           {"persons/p1", "", "clinician"},
           {"persons/p1", "teams/crisis", "clinician"},
           {"persons/p1", "teams/crisis", "person"},
           {"members/bob", "teams/crisis", "person"},
           {"members/bob", "", "person"}}) {
    metadata_.clear();
    Claim(c.subject, c.team, c.role);
    EXPECT_FALSE(OnBehalfOfIn(Caller(Role::kService), metadata_).has_value())
        << c.subject << " " << c.team << " " << c.role;
  }
}

TEST(AddOnBehalfOfTest, SendsTheRequesterOnce) {
  std::multimap<std::string, std::string> metadata;
  AddOnBehalfOf({"members/bob", "teams/crisis", "clinician"}, &metadata);
  AddOnBehalfOf({"members/eve", "teams/x", "clinician"}, &metadata);
  EXPECT_THAT(metadata,
              UnorderedElementsAre(Pair(kOnBehalfOfHeader, "members/bob"),
                                   Pair(kOnBehalfOfTeamHeader, "teams/crisis"),
                                   Pair(kOnBehalfOfRoleHeader, "clinician")));
}

TEST(AddOnBehalfOfTest, NobodySendsNothing) {
  std::multimap<std::string, std::string> metadata;
  AddOnBehalfOf(Requester(), &metadata);
  EXPECT_TRUE(metadata.empty());
}

// What a call is for: its caller, unless a service says whom it serves;
// a service's own call is for nobody.
TEST(RequesterTest, ACallIsForItsCallerOrWhomItsServiceSays) {
  google::protobuf::Empty request;
  CallAudit member =
      BeginCallAudit(Caller(Role::kClinician), absl::UnixEpoch(), request);
  EXPECT_EQ(member.requester.subject, "members/m");
  EXPECT_EQ(member.requester.team, "teams/t");
  EXPECT_EQ(member.record.on_behalf_of, "");
  CallAudit service =
      BeginCallAudit(Caller(Role::kService), absl::UnixEpoch(), request);
  EXPECT_EQ(service.requester.subject, "");
  SetOnBehalfOf(service, {"members/bob", "teams/crisis", "clinician"});
  EXPECT_EQ(service.requester.subject, "members/bob");
  EXPECT_EQ(service.record.on_behalf_of,
            "members/bob (teams/crisis, clinician)");
}

}  // namespace
}  // namespace carebridge
