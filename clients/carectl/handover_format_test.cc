// How handovers, referral lists and events read on the terminal.

#include "clients/carectl/handover_format.h"

#include <sstream>

#include "clients/carectl/events_format.h"
#include "clients/carectl/format.h"
#include "clients/carectl/referral_format.h"
#include "clients/carectl/utc_times.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace ev = ::carebridge::events::v1;
namespace hv = ::carebridge::handover::v1;
namespace ref = ::carebridge::referral::v1;
using ::testing::HasSubstr;
using ::testing::Not;

template <typename T>
T Parse(const char* text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message));
  return message;
}

// 2026-12-01T00:00:00Z.
constexpr int64_t kDec1 = 1796083200;

hv::Handover PendingTransfer() {
  return Parse<hv::Handover>(R"pb(
    name: "handovers/h1"
    person: "persons/p1"
    sending_team: "teams/crisis"
    receiving_team: "teams/cmht"
    kind: TRANSFER_OF_RESPONSIBILITY
    urgency: URGENT
    situation: "Alex is settled after two weeks of home treatment."
    background: "Crisis on 10 Nov.\nHome treatment since."
    assessment: "Risk low; what helps: music, a walk."
    recommendation: "Weekly contact for a month."
    illness_severity: WATCHER
    actions {
      id: "a1"
      description: "Medication review"
      owning_team: "teams/cmht"
      due_time { seconds: 1796083200 }
    }
    actions { id: "a2" description: "Peer group" owning_team: "teams/vol" }
    contingencies { if_this: "Alex calls in crisis" then_do: "Crisis line" }
    care_plan_version: 3
    state: PENDING
    created_by: "members/jon"
    create_time { seconds: 1795996800 }
    response_due_time { seconds: 1796011200 }
    overdue: true
    escalate_time { seconds: 1796014800 }
    etag: "2"
  )pb");
}

// These read times as --utc prints them.
class HandoverFormatTest : public UtcTimesTest {};
class DeadlineMarkersTest : public UtcTimesTest {};
class ReferralListFormatTest : public UtcTimesTest {};
class ReferralShowFormatTest : public UtcTimesTest {};
class EventFormatTest : public UtcTimesTest {};

TEST_F(HandoverFormatTest, KindWordsAreTheOnesCreateTakes) {
  EXPECT_EQ(HandoverKindWord(hv::TRANSFER_OF_RESPONSIBILITY), "transfer");
  EXPECT_EQ(HandoverKindWord(hv::SHARED_CARE), "shared");
  EXPECT_EQ(HandoverKindWord(hv::INFORMATION_ONLY), "info");
  EXPECT_EQ(HandoverKindWord(hv::KIND_UNSPECIFIED), "");
}

TEST_F(HandoverFormatTest, DueIsADateAtMidnightElseATime) {
  google::protobuf::Timestamp due;
  EXPECT_EQ(DueText(due), "");
  due.set_seconds(kDec1);
  EXPECT_EQ(DueText(due), "2026-12-01");
  due.set_seconds(kDec1 + 3600);
  EXPECT_EQ(DueText(due), "2026-12-01T01:00:00Z");
}

TEST_F(HandoverFormatTest, ShowPrintsWhereTheLoopStandsAndTheSbar) {
  std::ostringstream out;
  PrintHandover(out, PendingTransfer());
  EXPECT_EQ(out.str(),
            "name:               handovers/h1\n"
            "person:             persons/p1\n"
            "kind:               transfer_of_responsibility\n"
            "from:               teams/crisis (members/jon, "
            "2026-11-30T00:00:00Z)\n"
            "to:                 teams/cmht\n"
            "urgency:            urgent\n"
            "illness severity:   watcher\n"
            "state:              pending\n"
            "answer:             awaiting teams/cmht\n"
            "response due:       2026-11-30T04:00:00Z  OVERDUE ESCALATED\n"
            "escalated:          2026-11-30T05:00:00Z\n"
            "care plan version:  3\n"
            "etag:               2\n"
            "\n"
            "situation:\n"
            "  Alex is settled after two weeks of home treatment.\n"
            "\n"
            "background:\n"
            "  Crisis on 10 Nov.\n"
            "  Home treatment since.\n"
            "\n"
            "assessment:\n"
            "  Risk low; what helps: music, a walk.\n"
            "\n"
            "recommendation:\n"
            "  Weekly contact for a month.\n"
            "\n"
            "actions:\n"
            "  ID  WHAT               OWNING TEAM  DUE\n"
            "  a1  Medication review  teams/cmht   2026-12-01\n"
            "  a2  Peer group         teams/vol\n"
            "\n"
            "contingencies:\n"
            "  IF THIS               THEN DO\n"
            "  Alex calls in crisis  Crisis line\n");
}

// The person's sharing choices keep the assessment from the receiving
// team: it reads why it is empty, the sender that the receiver does not.
TEST_F(HandoverFormatTest, AWithheldAssessmentSaysWhy) {
  hv::Handover received = PendingTransfer();
  received.clear_assessment();
  received.add_withheld_from_receiving_team("assessment");
  std::ostringstream out;
  PrintHandover(out, received);
  EXPECT_THAT(out.str(),
              HasSubstr("assessment:\n  (withheld: the person's sharing "
                        "choices do not share it with your team)\n"));

  hv::Handover sent = PendingTransfer();
  sent.add_withheld_from_receiving_team("assessment");
  out.str("");
  PrintHandover(out, sent);
  EXPECT_THAT(out.str(),
              HasSubstr("assessment:\n  Risk low; what helps: music, a walk.\n"
                        "  (withheld from teams/cmht by the person's sharing "
                        "choices)\n"));
  // Nothing withheld: nothing said.
  out.str("");
  PrintHandover(out, PendingTransfer());
  EXPECT_THAT(out.str(), Not(HasSubstr("withheld")));
}

TEST_F(HandoverFormatTest, AcceptedShowsTheReadBackAndTheAnswer) {
  hv::Handover h = PendingTransfer();
  h.set_state(hv::ACCEPTED);
  h.set_overdue(false);
  h.set_answered_by("members/priya");
  h.mutable_answer_time()->set_seconds(kDec1);
  h.set_answer_note("Welcome back");
  hv::ReadBack* rb = h.mutable_read_back();
  rb->set_summary("Alex is settled; risk low.");
  rb->add_actions_taken_on("Medication review by 1 Dec");
  rb->add_actions_taken_on("Weekly calls");
  rb->set_recorded_by("members/priya");
  rb->mutable_record_time()->set_seconds(kDec1);
  std::ostringstream out;
  PrintHandover(out, h);
  EXPECT_THAT(out.str(), HasSubstr("answer:             accepted by "
                                   "members/priya at 2026-12-01T00:00:00Z: "
                                   "Welcome back\n"));
  EXPECT_THAT(out.str(), HasSubstr("response due:       2026-11-30T04:00:00Z  "
                                   "ESCALATED\n"));
  EXPECT_THAT(out.str(),
              HasSubstr("\nread-back (members/priya, 2026-12-01T00:00:00Z):\n"
                        "  summary:\n"
                        "    Alex is settled; risk low.\n"
                        "  taking on:\n"
                        "    - Medication review by 1 Dec\n"
                        "    - Weekly calls\n"));
}

TEST_F(HandoverFormatTest, DeclineSaysResponsibilityStaysWithTheSender) {
  hv::Handover h = PendingTransfer();
  h.set_state(hv::DECLINED);
  h.set_answered_by("members/priya");
  h.set_answer_note("No capacity this month");
  std::ostringstream out;
  PrintHandover(out, h);
  EXPECT_THAT(out.str(),
              HasSubstr("answer:             declined by members/priya: No "
                        "capacity this month; responsibility stays with "
                        "teams/crisis\n"));
  EXPECT_THAT(out.str(), Not(HasSubstr("read-back")));
}

TEST_F(HandoverFormatTest, InboxShowsSenderAndMarkers) {
  hv::ListHandoversResponse response;
  *response.add_handovers() = PendingTransfer();
  hv::Handover* calm = response.add_handovers();
  *calm = PendingTransfer();
  calm->set_name("handovers/h2");
  calm->set_kind(hv::INFORMATION_ONLY);
  calm->set_illness_severity(hv::STABLE);
  calm->set_overdue(false);
  calm->clear_escalate_time();
  response.set_next_page_token("tok");
  std::ostringstream out;
  PrintHandoverList(out, response, hv::INBOX);
  EXPECT_EQ(out.str(),
            "NAME          PERSON      FROM          KIND      SEVERITY  "
            "STATE    DUE                   ALERTS\n"
            "handovers/h1  persons/p1  teams/crisis  transfer  watcher   "
            "pending  2026-11-30T04:00:00Z  OVERDUE ESCALATED\n"
            "handovers/h2  persons/p1  teams/crisis  info      stable    "
            "pending  2026-11-30T04:00:00Z\n"
            "next page: tok\n");
}

TEST_F(HandoverFormatTest, SentListShowsTheReceivingTeam) {
  hv::ListHandoversResponse response;
  *response.add_handovers() = PendingTransfer();
  std::ostringstream out;
  PrintHandoverList(out, response, hv::SENT_BY_TEAM);
  EXPECT_THAT(out.str(), HasSubstr("PERSON      TO          KIND"));
  EXPECT_THAT(out.str(), HasSubstr("persons/p1  teams/cmht  transfer"));
  std::ostringstream none;
  PrintHandoverList(none, hv::ListHandoversResponse(), hv::SENT_BY_TEAM);
  EXPECT_EQ(none.str(), "(none)\n");
}

TEST_F(DeadlineMarkersTest, OverdueEscalatedBothOrNothing) {
  EXPECT_EQ(DeadlineMarkers(false, false), "");
  EXPECT_EQ(DeadlineMarkers(true, false), "OVERDUE");
  EXPECT_EQ(DeadlineMarkers(false, true), "ESCALATED");
  EXPECT_EQ(DeadlineMarkers(true, true), "OVERDUE ESCALATED");
}

ref::Referral EscalatedReferral() {
  return Parse<ref::Referral>(R"pb(
    name: "referrals/r1"
    person: "persons/p1"
    sending_team: "teams/cmht"
    receiving_team: "teams/crisis"
    urgency: CRISIS
    state: SENT
    response_due_time { seconds: 1796011200 }
    overdue: true
    escalate_time { seconds: 1796014800 }
  )pb");
}

TEST_F(ReferralListFormatTest, EscalatedReferralIsMarked) {
  ref::ListReferralsResponse response;
  *response.add_referrals() = EscalatedReferral();
  ref::Referral* answered = response.add_referrals();
  *answered = EscalatedReferral();
  answered->set_name("referrals/r2");
  answered->set_state(ref::ACCEPTED);
  answered->set_overdue(false);
  ref::Referral* on_time = response.add_referrals();
  *on_time = EscalatedReferral();
  on_time->set_name("referrals/r3");
  on_time->set_overdue(false);
  on_time->clear_escalate_time();
  std::ostringstream out;
  PrintReferralList(out, response, ref::INBOX);
  EXPECT_EQ(out.str(),
            "NAME          STATE     URGENCY  PERSON      SENDING TEAM  "
            "RESPONSE DUE TIME     ALERTS\n"
            "referrals/r1  sent      crisis   persons/p1  teams/cmht    "
            "2026-11-30T04:00:00Z  OVERDUE ESCALATED\n"
            "referrals/r2  accepted  crisis   persons/p1  teams/cmht    "
            "2026-11-30T04:00:00Z  ESCALATED\n"
            "referrals/r3  sent      crisis   persons/p1  teams/cmht    "
            "2026-11-30T04:00:00Z\n");
}

TEST_F(ReferralListFormatTest, SentListNamesTheReceivingTeam) {
  ref::ListReferralsResponse response;
  *response.add_referrals() = EscalatedReferral();
  std::ostringstream out;
  PrintReferralList(out, response, ref::SENT_BY_TEAM);
  EXPECT_THAT(out.str(), HasSubstr("RECEIVING TEAM"));
  EXPECT_THAT(out.str(), HasSubstr("teams/crisis"));
}

// The inbox reads who and from whom, not ids.
TEST_F(ReferralListFormatTest, PersonAndTeamByName) {
  ref::ListReferralsResponse response;
  *response.add_referrals() = EscalatedReferral();
  NameLabels names;
  names.Set("persons/p1", "Ada Lovelace (NHS 943 476 5919)");
  names.Set("teams/cmht", "CMHT North");
  std::ostringstream out;
  PrintReferralList(out, response, ref::INBOX, names);
  EXPECT_THAT(out.str(), HasSubstr("referrals/r1  sent   crisis   Ada Lovelace "
                                   "(NHS 943 476 5919)  CMHT North    "));
}

TEST_F(HandoverFormatTest, ListAndShowByName) {
  hv::ListHandoversResponse response;
  hv::Handover& h = *response.add_handovers();
  h.set_name("handovers/h1");
  h.set_person("persons/p1");
  h.set_sending_team("teams/crisis");
  h.set_receiving_team("teams/cmht");
  h.set_created_by("members/kim");
  h.set_state(hv::PENDING);
  NameLabels names;
  names.Set("persons/p1", "Ada Lovelace (NHS 943 476 5919)");
  names.Set("teams/crisis", "Crisis Team");
  names.Set("members/kim", "Kim Jones");
  std::ostringstream list;
  PrintHandoverList(list, response, hv::INBOX, names);
  EXPECT_THAT(list.str(), HasSubstr("handovers/h1  Ada Lovelace (NHS 943 476 "
                                    "5919)  Crisis Team"));
  std::ostringstream show;
  PrintHandover(show, h, names);
  EXPECT_THAT(show.str(), HasSubstr("person:  Ada Lovelace (NHS 943 476 5919)\n"
                                    "         persons/p1\n"
                                    "from:    Crisis Team (Kim Jones)\n"
                                    "         teams/crisis\n"
                                    "to:      teams/cmht\n"));
}

TEST_F(ReferralShowFormatTest, ShowsWhenTheReferralWasEscalated) {
  std::ostringstream out;
  PrintResource(out, EscalatedReferral());
  EXPECT_THAT(out.str(), HasSubstr("escalate_time:      "
                                   "2026-11-30T05:00:00Z\n"));
  EXPECT_THAT(out.str(), HasSubstr("overdue:            true\n"));
}

ev::Event AcceptedEvent() {
  ev::Event event = Parse<ev::Event>(R"pb(
    sequence: 42
    id: "referral/42"
    feed: "referral"
    type: "referral.accepted"
    subject: "referrals/r1"
    person: "persons/p1"
    teams: "teams/cmht"
    teams: "teams/crisis"
    actor: "members/jon"
    time { seconds: 1796083200 }
  )pb");
  event.mutable_payload()->PackFrom(EscalatedReferral());
  return event;
}

TEST_F(EventFormatTest, OneLineWithEveryField) {
  EXPECT_EQ(EventLine(AcceptedEvent()),
            "42  2026-12-01T00:00:00Z  referral.accepted  referrals/r1  "
            "persons/p1  members/jon  teams/cmht,teams/crisis\n");
}

TEST_F(EventFormatTest, EmptyFieldsAreDashes) {
  ev::Event event;
  event.set_sequence(7);
  event.set_type("team.created");
  event.set_subject("teams/t1");
  EXPECT_EQ(EventLine(event), "7  -  team.created  teams/t1  -  -  -\n");
}

TEST_F(EventFormatTest, JsonIsOneLineWithThePayloadResolved) {
  std::string warning = "stale";
  std::string json = EventJsonLine(AcceptedEvent(), &warning);
  EXPECT_EQ(warning, "");
  EXPECT_EQ(json.find('\n'), json.size() - 1) << json;
  EXPECT_THAT(json, HasSubstr("\"sequence\":\"42\""));
  EXPECT_THAT(json, HasSubstr("\"type\":\"referral.accepted\""));
  EXPECT_THAT(
      json,
      HasSubstr("\"payload\":{\"@type\":\"type.googleapis.com/"
                "carebridge.referral.v1.Referral\",\"name\":\"referrals/r1\""));
  EXPECT_THAT(json, HasSubstr("\"escalate_time\":\"2026-11-30T05:00:00Z\""));
}

TEST_F(EventFormatTest, JsonLeavesOutAPayloadOfAnUnknownType) {
  ev::Event event = AcceptedEvent();
  event.mutable_payload()->set_type_url("type.googleapis.com/example.Future");
  std::string warning;
  std::string json = EventJsonLine(event, &warning);
  EXPECT_THAT(json, HasSubstr("\"sequence\":\"42\""));
  EXPECT_THAT(json, Not(HasSubstr("payload")));
  EXPECT_THAT(warning, HasSubstr("event referral/42: payload of type "
                                 "type.googleapis.com/example.Future left "
                                 "out"));
}

}  // namespace
}  // namespace carebridge::carectl
