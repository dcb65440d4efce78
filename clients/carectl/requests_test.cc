#include "clients/carectl/directory_requests.h"
#include "clients/carectl/referral_requests.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace dir = ::carebridge::directory::v1;
namespace ref = ::carebridge::referral::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Binds `args` against `specs` plus any flag the builders read, the way
// the command table does.
Flags MakeFlags(const std::vector<std::string>& args,
                std::vector<FlagSpec> specs) {
  auto line = Tokenize(args);
  EXPECT_TRUE(line.ok());
  auto flags = Flags::Bind(line->flags, specs);
  EXPECT_TRUE(flags.ok()) << flags.status();
  return *flags;
}

std::vector<FlagSpec> TeamSpecs() {
  std::vector<FlagSpec> specs = TeamFieldFlags();
  specs.push_back({"etag", FlagKind::kValue});
  specs.push_back({"request_id", FlagKind::kValue});
  return specs;
}

TEST(CreateTeamRequestTest, NewTeamsAcceptReferralsByDefault) {
  auto request = BuildCreateTeamRequest(
      MakeFlags({"--display_name=Crisis", "--sector=crisis", "--request_id=r1"},
                TeamSpecs()));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->team().display_name(), "Crisis");
  EXPECT_EQ(request->team().sector(), dir::CRISIS);
  EXPECT_TRUE(request->team().accepting_referrals());
  EXPECT_FALSE(request->team().has_response_deadlines());
  EXPECT_EQ(request->request_id(), "r1");
}

TEST(CreateTeamRequestTest, SetsDeadlinesAndTexts) {
  auto request = BuildCreateTeamRequest(
      MakeFlags({"--display_name=N", "--sector=COMMUNITY_MENTAL_HEALTH",
                 "--accepting_referrals=false", "--routine=14d", "--crisis=4h",
                 "--eligibility=Adults", "--contact=01234"},
                TeamSpecs()));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->team().sector(), dir::COMMUNITY_MENTAL_HEALTH);
  EXPECT_FALSE(request->team().accepting_referrals());
  EXPECT_EQ(request->team().response_deadlines().routine().seconds(),
            14 * 24 * 3600);
  EXPECT_EQ(request->team().response_deadlines().crisis().seconds(), 4 * 3600);
  EXPECT_FALSE(request->team().response_deadlines().has_urgent());
  EXPECT_EQ(request->team().eligibility(), "Adults");
  EXPECT_EQ(request->team().contact(), "01234");
}

TEST(CreateTeamRequestTest, UnknownSectorListsTheChoices) {
  auto request = BuildCreateTeamRequest(
      MakeFlags({"--display_name=N", "--sector=hospital"}, TeamSpecs()));
  ASSERT_FALSE(request.ok());
  EXPECT_THAT(request.status().message(),
              HasSubstr("--sector: 'hospital' is not one of "
                        "community_mental_health, crisis, voluntary_sector"));
  EXPECT_THAT(request.status().message(), Not(HasSubstr("unspecified")));
}

TEST(CreateTeamRequestTest, SectorUnspecifiedIsNotAccepted) {
  auto request = BuildCreateTeamRequest(MakeFlags(
      {"--display_name=N", "--sector=sector_unspecified"}, TeamSpecs()));
  EXPECT_FALSE(request.ok());
}

TEST(UpdateTeamRequestTest, MaskIsExactlyTheFlagsGiven) {
  auto request = BuildUpdateTeamRequest(
      "abc",
      MakeFlags({"--etag=e1", "--accepting_referrals=false", "--contact=x"},
                TeamSpecs()),
      dir::ResponseDeadlines());
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->team().name(), "teams/abc");
  EXPECT_EQ(request->etag(), "e1");
  EXPECT_THAT(request->update_mask().paths(),
              ElementsAre("accepting_referrals", "contact"));
  EXPECT_FALSE(request->team().accepting_referrals());
}

TEST(UpdateTeamRequestTest, OneDeadlineKeepsTheOthers) {
  dir::ResponseDeadlines current;
  current.mutable_routine()->set_seconds(1000);
  current.mutable_urgent()->set_seconds(2000);
  current.mutable_crisis()->set_seconds(3000);
  Flags flags =
      MakeFlags({"--etag=e", "--urgent=2d", "--crisis=2h"}, TeamSpecs());
  EXPECT_TRUE(UpdatesDeadlines(flags));
  auto request = BuildUpdateTeamRequest("teams/t", flags, current);
  ASSERT_TRUE(request.ok());
  EXPECT_THAT(request->update_mask().paths(),
              ElementsAre("response_deadlines"));
  const dir::ResponseDeadlines& d = request->team().response_deadlines();
  EXPECT_EQ(d.routine().seconds(), 1000);
  EXPECT_EQ(d.urgent().seconds(), 2 * 24 * 3600);
  EXPECT_EQ(d.crisis().seconds(), 2 * 3600);
}

TEST(UpdateTeamRequestTest, NothingToChangeIsAUsageError) {
  Flags flags = MakeFlags({"--etag=e"}, TeamSpecs());
  EXPECT_FALSE(UpdatesDeadlines(flags));
  EXPECT_FALSE(
      BuildUpdateTeamRequest("t", flags, dir::ResponseDeadlines()).ok());
}

TEST(ListTeamsRequestTest, Filters) {
  auto request = BuildListTeamsRequest(
      MakeFlags({"--sector=voluntary_sector", "--accepting_only",
                 "--page_size=5", "--page_token=p"},
                {{"sector", FlagKind::kValue},
                 {"accepting_only", FlagKind::kBool},
                 {"page_size", FlagKind::kValue},
                 {"page_token", FlagKind::kValue}}));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->sector(), dir::VOLUNTARY_SECTOR);
  EXPECT_TRUE(request->accepting_referrals_only());
  EXPECT_EQ(request->page_size(), 5);
  EXPECT_EQ(request->page_token(), "p");
}

TEST(CreateMemberRequestTest, ParsesRoleAndPrefixesTeam) {
  std::vector<FlagSpec> specs = {{"display_name", FlagKind::kValue},
                                 {"team", FlagKind::kValue},
                                 {"role", FlagKind::kValue},
                                 {"email", FlagKind::kValue}};
  auto request = BuildCreateMemberRequest(MakeFlags(
      {"--display_name=Sam", "--team=t1", "--role=team_lead"}, specs));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->member().team(), "teams/t1");
  EXPECT_EQ(request->member().role(), dir::TEAM_LEAD);
  auto bad = BuildCreateMemberRequest(
      MakeFlags({"--display_name=Sam", "--role=doctor"}, specs));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("--role: 'doctor'"));
}

std::vector<FlagSpec> MemberUpdateSpecs() {
  return {{"etag", FlagKind::kValue, true},
          {"display_name", FlagKind::kValue},
          {"email", FlagKind::kValue},
          {"role", FlagKind::kValue},
          {"team", FlagKind::kValue}};
}

TEST(UpdateMemberRequestTest, MaskIsExactlyTheFlagsGiven) {
  auto request = BuildUpdateMemberRequest(
      "m1", MakeFlags({"--etag=e1", "--role=care_coordinator", "--team=t2"},
                      MemberUpdateSpecs()));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->member().name(), "members/m1");
  EXPECT_EQ(request->etag(), "e1");
  EXPECT_THAT(request->update_mask().paths(), ElementsAre("role", "team"));
  EXPECT_EQ(request->member().role(), dir::CARE_COORDINATOR);
  EXPECT_EQ(request->member().team(), "teams/t2");
}

TEST(UpdateMemberRequestTest, BadRoleOrNothingToChangeIsAUsageError) {
  auto bad = BuildUpdateMemberRequest(
      "m1", MakeFlags({"--etag=e", "--role=surgeon"}, MemberUpdateSpecs()));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("--role"));
  auto nothing = BuildUpdateMemberRequest(
      "m1", MakeFlags({"--etag=e"}, MemberUpdateSpecs()));
  ASSERT_FALSE(nothing.ok());
  EXPECT_THAT(std::string(nothing.status().message()),
              HasSubstr("--display_name"));
}

TEST(IssueTokenRequestTest, TtlIsOptional) {
  std::vector<FlagSpec> specs = {{"ttl", FlagKind::kValue}};
  auto plain = BuildIssueTokenRequest("m1", MakeFlags({}, specs));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->member(), "members/m1");
  EXPECT_FALSE(plain->has_ttl());
  auto with_ttl =
      BuildIssueTokenRequest("members/m1", MakeFlags({"--ttl=30m"}, specs));
  ASSERT_TRUE(with_ttl.ok());
  EXPECT_EQ(with_ttl->member(), "members/m1");
  EXPECT_EQ(with_ttl->ttl().seconds(), 1800);
}

std::vector<FlagSpec> PersonSpecs() {
  return {{"given_name", FlagKind::kValue},
          {"family_name", FlagKind::kValue},
          {"birth_date", FlagKind::kValue},
          {"nhs_number", FlagKind::kValue},
          {"preferred_name", FlagKind::kValue},
          {"local_id", FlagKind::kRepeated},
          {"request_id", FlagKind::kValue},
          {"allow_duplicate", FlagKind::kBool}};
}

TEST(CreatePersonRequestTest, LocalIdsSplitAtTheLastEquals) {
  auto request = BuildCreatePersonRequest(MakeFlags(
      {"--given_name=Alex", "--family_name=Smith", "--birth_date=1990-01-02",
       "--nhs_number=943 476 5919", "--local_id=https://t.example/mrn=123",
       "--local_id=https://q.example/?s=a=X9"},
      PersonSpecs()));
  ASSERT_TRUE(request.ok());
  const dir::Person& p = request->person();
  EXPECT_EQ(p.nhs_number(), "943 476 5919");
  ASSERT_EQ(p.local_identifiers_size(), 2);
  EXPECT_EQ(p.local_identifiers(0).system(), "https://t.example/mrn");
  EXPECT_EQ(p.local_identifiers(0).value(), "123");
  EXPECT_EQ(p.local_identifiers(1).system(), "https://q.example/?s=a");
  EXPECT_EQ(p.local_identifiers(1).value(), "X9");
  EXPECT_FALSE(request->allow_possible_duplicate());
  auto confirmed = BuildCreatePersonRequest(
      MakeFlags({"--given_name=Alex", "--family_name=Smith",
                 "--birth_date=1990-01-02", "--allow_duplicate"},
                PersonSpecs()));
  ASSERT_TRUE(confirmed.ok());
  EXPECT_TRUE(confirmed->allow_possible_duplicate());
}

TEST(CreatePersonRequestTest, LocalIdWithoutValueFails) {
  for (const char* arg :
       {"--local_id=mrn", "--local_id=mrn=", "--local_id==1"}) {
    auto request = BuildCreatePersonRequest(MakeFlags({arg}, PersonSpecs()));
    ASSERT_FALSE(request.ok()) << arg;
    EXPECT_THAT(request.status().message(), HasSubstr("--local_id:"));
  }
}

std::vector<FlagSpec> PersonUpdateSpecs() {
  std::vector<FlagSpec> specs = PersonSpecs();
  specs.push_back({"etag", FlagKind::kValue});
  specs.push_back({"clear_local_ids", FlagKind::kBool});
  return specs;
}

TEST(UpdatePersonRequestTest, TheFlagsGivenMakeTheMask) {
  auto request = BuildUpdatePersonRequest(
      "p1", MakeFlags({"--family_name=Okafor-Reid", "--nhs_number=9434765919",
                       "--etag=e1"},
                      PersonUpdateSpecs()));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->person().name(), "persons/p1");
  EXPECT_EQ(request->etag(), "e1");
  EXPECT_THAT(request->update_mask().paths(),
              ::testing::ElementsAre("family_name", "nhs_number"));
  EXPECT_EQ(request->person().family_name(), "Okafor-Reid");

  auto ids = BuildUpdatePersonRequest(
      "persons/p1",
      MakeFlags({"--local_id=https://gp.example/id=G-7"}, PersonUpdateSpecs()));
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(ids->update_mask().paths(),
              ::testing::ElementsAre("local_identifiers"));
  EXPECT_EQ(ids->person().local_identifiers(0).value(), "G-7");
  auto cleared = BuildUpdatePersonRequest(
      "p1", MakeFlags({"--clear_local_ids"}, PersonUpdateSpecs()));
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(cleared->person().local_identifiers_size(), 0);
  EXPECT_THAT(cleared->update_mask().paths(),
              ::testing::ElementsAre("local_identifiers"));
}

TEST(UpdatePersonRequestTest, NothingToChangeOrBothListFlagsIsAUsageError) {
  auto none = BuildUpdatePersonRequest(
      "p1", MakeFlags({"--etag=e1"}, PersonUpdateSpecs()));
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("give at least one of"));
  auto both = BuildUpdatePersonRequest(
      "p1",
      MakeFlags({"--local_id=a=b", "--clear_local_ids"}, PersonUpdateSpecs()));
  ASSERT_FALSE(both.ok());
  EXPECT_THAT(both.status().message(), HasSubstr("--clear_local_ids"));
}

std::vector<FlagSpec> PersonMergeSpecs() {
  return {{"into", FlagKind::kValue}, {"etag", FlagKind::kValue}};
}

TEST(MergePersonsRequestTest, DuplicateIsMergedIntoThePersonKept) {
  auto request = BuildMergePersonsRequest(
      "p2", MakeFlags({"--into=p1", "--etag=e7"}, PersonMergeSpecs()));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->duplicate(), "persons/p2");
  EXPECT_EQ(request->person(), "persons/p1");
  EXPECT_EQ(request->duplicate_etag(), "e7");
}

TEST(MergePersonsRequestTest, WithoutIntoNamesIt) {
  auto request = BuildMergePersonsRequest(
      "p2", MakeFlags({"--etag=e7"}, PersonMergeSpecs()));
  ASSERT_FALSE(request.ok());
  EXPECT_THAT(request.status().message(),
              HasSubstr("--into: required: give --into=PERSON"));
}

TEST(MergePersonsRequestTest, WithoutEtagSaysToReadTheDuplicateFirst) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--into=p1"},
                                             {"--into=p1", "--etag="}}) {
    auto request =
        BuildMergePersonsRequest("p2", MakeFlags(args, PersonMergeSpecs()));
    ASSERT_FALSE(request.ok());
    EXPECT_THAT(request.status().message(),
                HasSubstr("--etag: required: read the duplicate first and "
                          "give --etag=ETAG from `carectl person get "
                          "persons/p2`"));
  }
}

TEST(MergePersonsRequestTest, IntoItselfIsAUsageError) {
  auto request = BuildMergePersonsRequest(
      "p2", MakeFlags({"--into=persons/p2", "--etag=e7"}, PersonMergeSpecs()));
  ASSERT_FALSE(request.ok());
  EXPECT_THAT(request.status().message(), HasSubstr("--into: is persons/p2"));
}

TEST(FindPersonsRequestTest, ExactlyOneWayToSearch) {
  std::vector<FlagSpec> specs = {{"nhs_number", FlagKind::kValue},
                                 {"family_name", FlagKind::kValue},
                                 {"birth_date", FlagKind::kValue}};
  EXPECT_TRUE(
      BuildFindPersonsRequest(MakeFlags({"--nhs_number=1"}, specs)).ok());
  EXPECT_TRUE(
      BuildFindPersonsRequest(
          MakeFlags({"--family_name=S", "--birth_date=1990-01-01"}, specs))
          .ok());
  EXPECT_FALSE(BuildFindPersonsRequest(MakeFlags({}, specs)).ok());
  EXPECT_FALSE(BuildFindPersonsRequest(
                   MakeFlags({"--nhs_number=1", "--family_name=S"}, specs))
                   .ok());
  auto half = BuildFindPersonsRequest(MakeFlags({"--family_name=S"}, specs));
  ASSERT_FALSE(half.ok());
  EXPECT_THAT(half.status().message(), HasSubstr("--birth_date: required"));
}

TEST(CreateReferralRequestTest, MapsFlagsToFields) {
  auto request = BuildCreateReferralRequest(
      MakeFlags({"--person=p1", "--to=teams/t2", "--urgency=crisis",
                 "--reason=R", "--wishes=W", "--risk=K", "--request_id=rq-1"},
                {{"person", FlagKind::kValue},
                 {"to", FlagKind::kValue},
                 {"urgency", FlagKind::kValue},
                 {"reason", FlagKind::kValue},
                 {"wishes", FlagKind::kValue},
                 {"risk", FlagKind::kValue},
                 {"request_id", FlagKind::kValue}}));
  ASSERT_TRUE(request.ok());
  const ref::Referral& r = request->referral();
  EXPECT_EQ(r.person(), "persons/p1");
  EXPECT_EQ(r.receiving_team(), "teams/t2");
  EXPECT_EQ(r.urgency(), ref::CRISIS);
  EXPECT_EQ(r.reason(), "R");
  EXPECT_EQ(r.person_wishes(), "W");
  EXPECT_EQ(r.risk_summary(), "K");
  EXPECT_TRUE(r.sending_team().empty());
  EXPECT_EQ(request->request_id(), "rq-1");
}

TEST(ListReferralsRequestTest, ParsesStateList) {
  std::vector<FlagSpec> specs = {{"state", FlagKind::kValue},
                                 {"person", FlagKind::kValue},
                                 {"overdue", FlagKind::kBool},
                                 {"page_size", FlagKind::kValue},
                                 {"page_token", FlagKind::kValue}};
  auto request = BuildListReferralsRequest(
      ref::INBOX,
      MakeFlags({"--state=sent,acknowledged", "--overdue", "--person=p"},
                specs));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->mailbox(), ref::INBOX);
  EXPECT_THAT(request->states(), ElementsAre(ref::SENT, ref::ACKNOWLEDGED));
  EXPECT_TRUE(request->overdue_only());
  EXPECT_EQ(request->person(), "persons/p");
  auto bad = BuildListReferralsRequest(ref::SENT_BY_TEAM,
                                       MakeFlags({"--state=sent,lost"}, specs));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("--state: 'lost'"));
}

TEST(ListReferralsRequestTest, StateMayRepeat) {
  std::vector<FlagSpec> specs = {{"state", FlagKind::kRepeated}};
  auto request = BuildListReferralsRequest(
      ref::SENT_BY_TEAM,
      MakeFlags({"--state=sent", "--state=acknowledged,accepted"}, specs));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->states(),
              ElementsAre(ref::SENT, ref::ACKNOWLEDGED, ref::ACCEPTED));
}

TEST(DeclineReferralRequestTest, CarriesReasonAndOnwardRoute) {
  ref::DeclineReferralRequest request = BuildDeclineReferralRequest(
      "r1", MakeFlags({"--reason=Out of area", "--signpost=Samaritans 116 123",
                       "--suggest_team=t9", "--etag=e"},
                      {{"reason", FlagKind::kValue},
                       {"signpost", FlagKind::kValue},
                       {"suggest_team", FlagKind::kValue},
                       {"etag", FlagKind::kValue}}));
  EXPECT_EQ(request.name(), "referrals/r1");
  EXPECT_EQ(request.etag(), "e");
  EXPECT_EQ(request.reason(), "Out of area");
  EXPECT_EQ(request.onward_route().signposting(), "Samaritans 116 123");
  EXPECT_EQ(request.onward_route().suggested_team(), "teams/t9");
}

TEST(RedirectReferralRequestTest, NamesTheNewTeam) {
  ref::RedirectReferralRequest request = BuildRedirectReferralRequest(
      "referrals/r1",
      MakeFlags({"--to=t3", "--reason=Better placed"},
                {{"to", FlagKind::kValue}, {"reason", FlagKind::kValue}}));
  EXPECT_EQ(request.name(), "referrals/r1");
  EXPECT_EQ(request.new_receiving_team(), "teams/t3");
  EXPECT_EQ(request.reason(), "Better placed");
}

TEST(NoteRequestTest, AcceptCarriesNoteAndEtag) {
  auto request = BuildNoteRequest<ref::AcceptReferralRequest>(
      "r1",
      MakeFlags({"--note=Seen today", "--etag=e2"},
                {{"note", FlagKind::kValue}, {"etag", FlagKind::kValue}}));
  EXPECT_EQ(request.name(), "referrals/r1");
  EXPECT_EQ(request.note(), "Seen today");
  EXPECT_EQ(request.etag(), "e2");
}

}  // namespace
}  // namespace carebridge::carectl
