#include "clients/carectl/format.h"

#include <cstdlib>
#include <ctime>
#include <optional>
#include <sstream>
#include <string>

#include "carebridge/directory/v1/directory.pb.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "clients/carectl/utc_times.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace dir = ::carebridge::directory::v1;
namespace ref = ::carebridge::referral::v1;
using ::testing::HasSubstr;
using ::testing::Not;

google::protobuf::Timestamp At(int64_t seconds) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds);
  return ts;
}

// These read times as --utc prints them.
class PrintNamesTest : public UtcTimesTest {};
class PrintResourceTest : public UtcTimesTest {};
class PrintTableTest : public UtcTimesTest {};
class ValueAtTest : public UtcTimesTest {};
class ToJsonTest : public UtcTimesTest {};

// Sets TZ for one test (absl::LocalTimeZone reads it), then restores it.
class LocalTimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    saved_ = tz == nullptr ? std::nullopt : std::optional<std::string>(tz);
  }
  void TearDown() override {
    if (saved_) {
      setenv("TZ", saved_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
    ShowTimesInUtc(false);
  }
  void UseZone(const char* zone) {
    setenv("TZ", zone, 1);
    tzset();
  }
  std::optional<std::string> saved_;
};

TEST_F(LocalTimeTest, LocalTimeWithTheZonesAbbreviation) {
  UseZone("Europe/London");
  EXPECT_EQ(FormatTimestamp(At(1796083200)), "2026-12-01 00:00:00 GMT");
  EXPECT_EQ(FormatTimestamp(At(1714555800)), "2024-05-01 10:30:00 BST");
  UseZone("America/New_York");
  EXPECT_EQ(FormatTimestamp(At(1796083200)), "2026-11-30 19:00:00 EST");
}

TEST_F(LocalTimeTest, UtcFlagKeepsRfc3339Utc) {
  UseZone("America/New_York");
  ShowTimesInUtc(true);
  EXPECT_EQ(FormatTimestamp(At(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(At(1714555800)), "2024-05-01T09:30:00Z");
}

TEST(FormatTimestampTest, InAGivenZone) {
  absl::TimeZone new_york;
  ASSERT_TRUE(absl::LoadTimeZone("America/New_York", &new_york));
  EXPECT_EQ(FormatTimestampIn(At(1714555800), new_york),
            "2024-05-01 05:30:00 EDT");
  EXPECT_EQ(FormatTimestampIn(At(0), absl::UTCTimeZone()),
            "1970-01-01 00:00:00 UTC");
}

// A date sent as midnight UTC is that date in every zone.
TEST_F(LocalTimeTest, DatesStayTheDateSent) {
  UseZone("America/New_York");
  EXPECT_EQ(FormatUtcDate(At(1796083200)), "2026-12-01");
}

TEST_F(PrintNamesTest, ResourceListAndPairOfResources) {
  dir::Team team;
  team.set_name("teams/t1");
  team.set_display_name("North CMHT");
  std::ostringstream one;
  EXPECT_TRUE(PrintNames(one, team));
  EXPECT_EQ(one.str(), "teams/t1\n");

  ref::RedirectReferralResponse pair;
  pair.mutable_redirected()->set_name("referrals/a");
  pair.mutable_created()->set_name("referrals/b");
  std::ostringstream two;
  EXPECT_TRUE(PrintNames(two, pair));
  EXPECT_EQ(two.str(), "referrals/a\nreferrals/b\n");

  dir::IssueTokenResponse token;
  token.set_token("cb1.x.y");
  std::ostringstream none;
  EXPECT_FALSE(PrintNames(none, token));
  EXPECT_EQ(none.str(), "");
}

TEST_F(PrintResourceTest, TeamAsKeyValueBlock) {
  dir::Team team;
  team.set_name("teams/t1");
  team.set_display_name("North CMHT");
  team.set_sector(dir::COMMUNITY_MENTAL_HEALTH);
  team.set_accepting_referrals(false);
  team.mutable_response_deadlines()->mutable_routine()->set_seconds(14 * 86400);
  team.mutable_response_deadlines()->mutable_crisis()->set_seconds(4 * 3600);
  *team.mutable_create_time() = At(1714555800);
  std::ostringstream out;
  PrintResource(out, team);
  EXPECT_EQ(out.str(),
            "name:                        teams/t1\n"
            "display_name:                North CMHT\n"
            "sector:                      community_mental_health\n"
            "accepting_referrals:         false\n"
            "response_deadlines.routine:  14d\n"
            "response_deadlines.crisis:   4h\n"
            "create_time:                 2024-05-01T09:30:00Z\n");
}

TEST_F(PrintResourceTest, MultiLineTextIsIndented) {
  dir::Team team;
  team.set_name("teams/t1");
  team.set_eligibility("Adults\nin the north");
  std::ostringstream out;
  PrintResource(out, team);
  EXPECT_THAT(out.str(), HasSubstr("eligibility:          Adults\n"
                                   "                      in the north\n"));
}

TEST_F(PrintResourceTest, ReferralHistoryIsATable) {
  ref::Referral referral;
  referral.set_name("referrals/r1");
  referral.set_state(ref::ACCEPTED);
  referral.set_urgency(ref::CRISIS);
  ref::ReferralEvent* created = referral.add_history();
  created->set_action(ref::ReferralEvent::CREATED);
  *created->mutable_time() = At(0);
  created->set_actor("members/a");
  created->set_to_state(ref::SENT);
  ref::ReferralEvent* accepted = referral.add_history();
  accepted->set_action(ref::ReferralEvent::ACCEPTED);
  *accepted->mutable_time() = At(60);
  accepted->set_actor("members/b");
  accepted->set_from_state(ref::SENT);
  accepted->set_to_state(ref::ACCEPTED);
  accepted->set_note("Seen\ntoday");
  std::ostringstream out;
  PrintResource(out, referral);
  EXPECT_EQ(
      out.str(),
      "name:     referrals/r1\n"
      "urgency:  crisis\n"
      "state:    accepted\n"
      "overdue:  false\n"
      "\n"
      "history:\n"
      "  ACTION    TIME                  ACTOR      ACTOR TEAM  "
      "FROM STATE  TO STATE  NOTE\n"
      "  created   1970-01-01T00:00:00Z  members/a                          "
      "sent\n"
      "  accepted  1970-01-01T00:01:00Z  members/b              sent        "
      "accepted  Seen today\n");
  EXPECT_THAT(out.str(), Not(HasSubstr("onward_route")));
}

TEST_F(PrintResourceTest, LocalIdentifiersAsTable) {
  dir::Person person;
  person.set_name("persons/p");
  dir::LocalIdentifier* id = person.add_local_identifiers();
  id->set_system("mrn");
  id->set_value("42");
  std::ostringstream out;
  PrintResource(out, person);
  EXPECT_THAT(out.str(), HasSubstr("local_identifiers:\n  SYSTEM  VALUE\n"
                                   "  mrn     42\n"));
}

TEST_F(PrintTableTest, AlignsColumns) {
  dir::Team a;
  a.set_name("teams/a");
  a.set_display_name("Crisis");
  a.set_sector(dir::CRISIS);
  a.set_accepting_referrals(true);
  dir::Team b;
  b.set_name("teams/bbbb");
  b.set_display_name("Mind");
  b.set_sector(dir::VOLUNTARY_SECTOR);
  std::ostringstream out;
  PrintList(out, {&a, &b},
            {"name", "display_name", "sector", "accepting_referrals"}, "tok");
  EXPECT_EQ(out.str(),
            "NAME        DISPLAY NAME  SECTOR            ACCEPTING REFERRALS\n"
            "teams/a     Crisis        crisis            true\n"
            "teams/bbbb  Mind          voluntary_sector  false\n"
            "next page: tok\n");
}

TEST_F(PrintTableTest, EmptyListSaysNone) {
  std::ostringstream out;
  PrintList(out, {}, {"name"}, "");
  EXPECT_EQ(out.str(), "(none)\n");
}

TEST_F(ValueAtTest, FollowsNestedPaths) {
  ref::Referral referral;
  referral.mutable_onward_route()->set_signposting("Call 111");
  EXPECT_EQ(ValueAt(referral, "onward_route.signposting"), "Call 111");
  EXPECT_EQ(ValueAt(referral, "no_such_field"), "");
  EXPECT_EQ(ValueAt(referral, "response_due_time"), "");
}

TEST_F(ToJsonTest, UsesProtoNamesAndPrintsDefaults) {
  ref::Referral referral;
  referral.set_name("referrals/r1");
  referral.set_state(ref::SENT);
  std::string json = ToJson(referral);
  EXPECT_THAT(json, HasSubstr("\"name\": \"referrals/r1\""));
  EXPECT_THAT(json, HasSubstr("\"state\": \"SENT\""));
  EXPECT_THAT(json, HasSubstr("\"overdue\": false"));
  EXPECT_THAT(json, HasSubstr("\"receiving_team\": \"\""));
  EXPECT_EQ(json.back(), '\n');
}

// A show screen puts the name first and keeps the id under it; its tables
// show the name alone.
TEST_F(PrintResourceTest, LabelledNamesShowTheLabelAndKeepTheId) {
  ref::Referral referral;
  referral.set_name("referrals/r1");
  referral.set_person("persons/p1");
  referral.set_sending_team("teams/unknown");
  ref::ReferralEvent& created = *referral.add_history();
  created.set_action(ref::ReferralEvent::CREATED);
  created.set_actor("members/kim");
  NameLabels names;
  names.Set("persons/p1", "Ada Lovelace (NHS 943 476 5919)");
  names.Set("members/kim", "Kim Jones");
  std::ostringstream out;
  PrintResource(out, referral, names);
  EXPECT_THAT(out.str(), HasSubstr("person:        Ada Lovelace (NHS 943 476 "
                                   "5919)\n"
                                   "               persons/p1\n"
                                   "sending_team:  teams/unknown\n"));
  EXPECT_THAT(out.str(), HasSubstr("  created        Kim Jones\n"));
}

}  // namespace
}  // namespace carebridge::carectl
