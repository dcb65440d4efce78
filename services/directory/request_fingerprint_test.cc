#include "services/directory/request_fingerprint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "services/common/time_util.h"

namespace carebridge::directory {
namespace {

std::string Fingerprint(const v1::Team& team) {
  absl::StatusOr<std::string> fingerprint = CreateFingerprint(team);
  EXPECT_TRUE(fingerprint.ok()) << fingerprint.status();
  return fingerprint.value_or("");
}
std::string Fingerprint(const v1::Member& member) {
  absl::StatusOr<std::string> fingerprint = CreateFingerprint(member);
  EXPECT_TRUE(fingerprint.ok()) << fingerprint.status();
  return fingerprint.value_or("");
}
std::string Fingerprint(const v1::Person& person) {
  absl::StatusOr<std::string> fingerprint = CreateFingerprint(person);
  EXPECT_TRUE(fingerprint.ok()) << fingerprint.status();
  return fingerprint.value_or("");
}

v1::Team SomeTeam() {
  v1::Team team;
  team.set_display_name("North CMHT");
  team.set_sector(v1::COMMUNITY_MENTAL_HEALTH);
  team.set_accepting_referrals(true);
  *team.mutable_response_deadlines()->mutable_crisis() =
      ToProtoDuration(absl::Hours(2));
  team.set_service_description("Community mental health care");
  team.set_eligibility("Adults in the north locality");
  team.set_contact("0100 000 0000");
  return team;
}

v1::Member SomeMember() {
  v1::Member member;
  member.set_display_name("Sam Patel");
  member.set_team("teams/north");
  member.set_role(v1::CLINICIAN);
  member.set_email("sam@example.org");
  return member;
}

v1::Person SomePerson() {
  v1::Person person;
  person.set_nhs_number("9434765919");
  person.set_given_name("Ada");
  person.set_family_name("Okafor");
  person.set_preferred_name("Addy");
  person.set_birth_date("1990-04-01");
  v1::LocalIdentifier* id = person.add_local_identifiers();
  id->set_system("https://trust.example/mrn");
  id->set_value("MRN-1");
  return person;
}

TEST(RequestFingerprintTest, OutputOnlyFieldsDoNotCount) {
  // A create ignores them, so a retry that fills them in differently asks
  // for the same resource.
  v1::Team team = SomeTeam();
  team.set_name("teams/anything");
  *team.mutable_create_time() = ToProtoTimestamp(absl::FromUnixSeconds(5));
  *team.mutable_update_time() = ToProtoTimestamp(absl::FromUnixSeconds(6));
  team.set_etag("etag");
  EXPECT_EQ(Fingerprint(team), Fingerprint(SomeTeam()));

  v1::Member member = SomeMember();
  member.set_name("members/anything");
  *member.mutable_create_time() = ToProtoTimestamp(absl::FromUnixSeconds(5));
  member.set_etag("etag");
  EXPECT_EQ(Fingerprint(member), Fingerprint(SomeMember()));

  v1::Person person = SomePerson();
  person.set_name("persons/anything");
  *person.mutable_create_time() = ToProtoTimestamp(absl::FromUnixSeconds(5));
  *person.mutable_update_time() = ToProtoTimestamp(absl::FromUnixSeconds(6));
  person.set_etag("etag");
  EXPECT_EQ(Fingerprint(person), Fingerprint(SomePerson()));
}

TEST(RequestFingerprintTest, EveryTeamFieldAClientSetsCounts) {
  const std::vector<std::function<void(v1::Team*)>> changes = {
      [](v1::Team* t) { t->set_display_name("North cmht"); },
      [](v1::Team* t) { t->set_sector(v1::CRISIS); },
      [](v1::Team* t) { t->set_accepting_referrals(false); },
      [](v1::Team* t) {
        *t->mutable_response_deadlines()->mutable_routine() =
            ToProtoDuration(absl::Hours(24));
      },
      [](v1::Team* t) { t->clear_response_deadlines(); },
      [](v1::Team* t) { t->set_service_description("Other"); },
      [](v1::Team* t) { t->set_eligibility("Other"); },
      [](v1::Team* t) { t->set_contact("Other"); },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    v1::Team changed = SomeTeam();
    changes[i](&changed);
    EXPECT_NE(Fingerprint(changed), Fingerprint(SomeTeam())) << "change " << i;
  }
}

TEST(RequestFingerprintTest, EveryMemberFieldAClientSetsCounts) {
  const std::vector<std::function<void(v1::Member*)>> changes = {
      [](v1::Member* m) { m->set_display_name("Sam"); },
      [](v1::Member* m) { m->set_team("teams/south"); },
      [](v1::Member* m) { m->set_role(v1::TEAM_LEAD); },
      [](v1::Member* m) { m->set_email(""); },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    v1::Member changed = SomeMember();
    changes[i](&changed);
    EXPECT_NE(Fingerprint(changed), Fingerprint(SomeMember()))
        << "change " << i;
  }
}

TEST(RequestFingerprintTest, EveryPersonFieldAClientSetsCounts) {
  const std::vector<std::function<void(v1::Person*)>> changes = {
      // Written differently is a different body, even if it normalises to
      // the same number: a retry resends the same bytes.
      [](v1::Person* p) { p->set_nhs_number("943 476 5919"); },
      [](v1::Person* p) { p->set_given_name("Ade"); },
      [](v1::Person* p) { p->set_family_name("okafor"); },
      [](v1::Person* p) { p->set_preferred_name(""); },
      [](v1::Person* p) { p->set_birth_date("1990-04-02"); },
      [](v1::Person* p) { p->mutable_local_identifiers(0)->set_value("M"); },
      [](v1::Person* p) { p->add_local_identifiers()->set_value("MRN-2"); },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    v1::Person changed = SomePerson();
    changes[i](&changed);
    EXPECT_NE(Fingerprint(changed), Fingerprint(SomePerson()))
        << "change " << i;
  }
}

TEST(RequestFingerprintTest, FingerprintsAreStableAcrossReleases) {
  // Fingerprints are stored with request ids: if this value changes, a
  // retry that spans an upgrade is refused as a different request. It is the
  // SHA-256 of the team's canonical wire encoding (fields in number order),
  // worked out independently of the protobuf library.
  EXPECT_EQ(Fingerprint(SomeTeam()),
            "72b6e4ddb742006cce74eaff515a440ecb270f296b774d83912bddbf594975ba");
}

}  // namespace
}  // namespace carebridge::directory
