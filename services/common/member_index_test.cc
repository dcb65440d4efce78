#include "services/common/member_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace carebridge {
namespace {

using ::testing::HasSubstr;

MemberIndex::Member Clinician(const std::string& name, bool active = true) {
  return {name, "teams/north", Role::kClinician, active};
}

TEST(MemberIndexTest, FindsByEmailWhateverTheCaseAndByName) {
  MemberIndex index;
  index.Put(Clinician("members/ada"), "Ada.Lovelace@Example.NHS.uk");
  absl::StatusOr<MemberIndex::Member> found =
      index.Find("ada.lovelace@example.nhs.uk");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->name, "members/ada");
  EXPECT_EQ(found->team, "teams/north");
  EXPECT_EQ(found->role, Role::kClinician);
  found = index.Find("members/ada");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->name, "members/ada");
}

TEST(MemberIndexTest, UnknownIdsAreNotFoundNamingThem) {
  MemberIndex index;
  index.Put(Clinician("members/ada"), "ada@example.nhs.uk");
  absl::Status unknown = index.Find("bob@example.nhs.uk").status();
  EXPECT_TRUE(absl::IsNotFound(unknown)) << unknown;
  EXPECT_THAT(unknown.message(), HasSubstr("bob@example.nhs.uk"));
  EXPECT_TRUE(absl::IsNotFound(index.Find("members/bob").status()));
  EXPECT_TRUE(absl::IsNotFound(index.Find("").status()));
  // A member without an email is found by name only.
  index.Put(Clinician("members/cy"), "");
  EXPECT_TRUE(index.Find("members/cy").ok());
  EXPECT_TRUE(absl::IsNotFound(index.Find("").status()));
}

TEST(MemberIndexTest, AChangedEmailNoLongerFindsTheMember) {
  MemberIndex index;
  index.Put(Clinician("members/ada"), "ada@old.example");
  index.Put({"members/ada", "teams/south", Role::kTeamLead, true},
            "ada@new.example");
  EXPECT_TRUE(absl::IsNotFound(index.Find("ada@old.example").status()));
  absl::StatusOr<MemberIndex::Member> found = index.Find("ada@new.example");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->team, "teams/south");
  EXPECT_EQ(found->role, Role::kTeamLead);
  EXPECT_EQ(index.size(), 1u);
}

TEST(MemberIndexTest, AnEmailTwoActiveMembersShareNamesNobody) {
  MemberIndex index;
  index.Put(Clinician("members/ada"), "shared@example.nhs.uk");
  index.Put(Clinician("members/bob"), "SHARED@example.nhs.uk");
  absl::Status shared = index.Find("shared@example.nhs.uk").status();
  EXPECT_TRUE(absl::IsFailedPrecondition(shared)) << shared;
  EXPECT_THAT(shared.message(), HasSubstr("members/ada"));
  EXPECT_THAT(shared.message(), HasSubstr("members/bob"));
  // Once one of them is deactivated the email names the other.
  index.Put(Clinician("members/ada", /*active=*/false),
            "shared@example.nhs.uk");
  absl::StatusOr<MemberIndex::Member> found =
      index.Find("shared@example.nhs.uk");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->name, "members/bob");
}

// A deactivated member alone with their email is found (the revocations
// then tell them they were deactivated), marked not active.
TEST(MemberIndexTest, ADeactivatedMemberIsFoundMarkedInactive) {
  MemberIndex index;
  index.Put(Clinician("members/ada", /*active=*/false), "ada@example.nhs.uk");
  absl::StatusOr<MemberIndex::Member> found = index.Find("ada@example.nhs.uk");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->active);
}

// An organisation's worth of staff: every one found by their own email.
TEST(MemberIndexTest, TenThousandMembersEachFoundByTheirEmail) {
  MemberIndex index;
  constexpr int kMembers = 10000;
  for (int i = 0; i < kMembers; ++i) {
    index.Put(Clinician(absl::StrCat("members/m", i)),
              absl::StrCat("staff", i, "@example.nhs.uk"));
  }
  EXPECT_EQ(index.size(), static_cast<size_t>(kMembers));
  for (int i = 0; i < kMembers; i += 97) {
    absl::StatusOr<MemberIndex::Member> found =
        index.Find(absl::StrCat("STAFF", i, "@example.nhs.uk"));
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(found->name, absl::StrCat("members/m", i));
  }
}

}  // namespace
}  // namespace carebridge
