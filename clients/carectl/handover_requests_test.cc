#include "clients/carectl/handover_requests.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace hv = ::carebridge::handover::v1;
namespace ref = ::carebridge::referral::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Flags MakeFlags(const std::vector<std::string>& args,
                const std::vector<FlagSpec>& specs) {
  auto line = Tokenize(args);
  EXPECT_TRUE(line.ok());
  auto flags = Flags::Bind(line->flags, specs);
  EXPECT_TRUE(flags.ok()) << flags.status();
  return *flags;
}

Flags CreateFlags(std::vector<std::string> args) {
  return MakeFlags(args, HandoverCreateFlags());
}

// The required content flags of `handover create`, plus `extra`.
std::vector<std::string> Required(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {
      "--person=p1",        "--to=teams/cmht",
      "--kind=transfer",    "--urgency=urgent",
      "--severity=watcher", "--situation=Settled after crisis",
      "--assessment=Low",   "--recommendation=Weekly contact"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Required(), with `flag` (`--name=value`) replacing the flag of that name.
std::vector<std::string> RequiredWith(const std::string& flag) {
  std::string prefix = flag.substr(0, flag.find('=') + 1);
  std::vector<std::string> args = Required();
  for (std::string& arg : args) {
    if (arg.rfind(prefix, 0) == 0) {
      arg = flag;
      return args;
    }
  }
  args.push_back(flag);
  return args;
}

TEST(CreateHandoverRequestTest, FlagsFillTheHandover) {
  auto request = BuildCreateHandoverRequest(CreateFlags(Required(
      {"--background=Two weeks of home treatment",
       "--action=Review medication|cmht|2026-12-01",
       "--action=Call Alex|teams/crisis",
       "--contingency=If Alex calls in crisis|Crisis line, then CMHT duty",
       "--care_plan_version=3", "--request_id=rq-1"})));
  ASSERT_TRUE(request.ok()) << request.status();
  const hv::Handover& h = request->handover();
  EXPECT_EQ(h.person(), "persons/p1");
  EXPECT_EQ(h.receiving_team(), "teams/cmht");
  EXPECT_EQ(h.kind(), hv::TRANSFER_OF_RESPONSIBILITY);
  EXPECT_EQ(h.urgency(), ref::URGENT);
  EXPECT_EQ(h.illness_severity(), hv::WATCHER);
  EXPECT_EQ(h.situation(), "Settled after crisis");
  EXPECT_EQ(h.background(), "Two weeks of home treatment");
  EXPECT_EQ(h.assessment(), "Low");
  EXPECT_EQ(h.recommendation(), "Weekly contact");
  ASSERT_EQ(h.actions_size(), 2);
  EXPECT_EQ(h.actions(0).description(), "Review medication");
  EXPECT_EQ(h.actions(0).owning_team(), "teams/cmht");
  EXPECT_EQ(h.actions(0).due_time().seconds(), 1796083200);  // 2026-12-01Z
  EXPECT_EQ(h.actions(1).owning_team(), "teams/crisis");
  EXPECT_FALSE(h.actions(1).has_due_time());
  ASSERT_EQ(h.contingencies_size(), 1);
  EXPECT_EQ(h.contingencies(0).if_this(), "If Alex calls in crisis");
  EXPECT_EQ(h.contingencies(0).then_do(), "Crisis line, then CMHT duty");
  EXPECT_EQ(h.care_plan_version(), 3);
  EXPECT_EQ(request->request_id(), "rq-1");
  EXPECT_TRUE(h.sending_team().empty());
}

TEST(CreateHandoverRequestTest, KindTakesShortAndFullWords) {
  const std::pair<const char*, hv::Kind> cases[] = {
      {"transfer", hv::TRANSFER_OF_RESPONSIBILITY},
      {"transfer_of_responsibility", hv::TRANSFER_OF_RESPONSIBILITY},
      {"shared", hv::SHARED_CARE},
      {"SHARED_CARE", hv::SHARED_CARE},
      {"info", hv::INFORMATION_ONLY},
      {"information_only", hv::INFORMATION_ONLY},
  };
  for (const auto& [word, kind] : cases) {
    auto parsed = ParseHandoverKind(word);
    ASSERT_TRUE(parsed.ok()) << word;
    EXPECT_EQ(*parsed, kind) << word;
  }
}

TEST(CreateHandoverRequestTest, UnknownKindListsTheChoices) {
  for (const char* word : {"handoff", "kind_unspecified", ""}) {
    auto parsed = ParseHandoverKind(word);
    ASSERT_FALSE(parsed.ok()) << word;
    EXPECT_THAT(parsed.status().message(),
                HasSubstr("--kind: '" + std::string(word) +
                          "' is not one of transfer, shared, info"));
  }
}

TEST(CreateHandoverRequestTest, EachMissingRequiredFlagIsNamed) {
  for (const char* flag : {"person", "to", "kind", "urgency", "severity",
                           "situation", "assessment", "recommendation"}) {
    std::vector<std::string> args;
    for (const std::string& arg : Required()) {
      if (arg.rfind(absl::StrCat("--", flag, "="), 0) != 0) {
        args.push_back(arg);
      }
    }
    auto request = BuildCreateHandoverRequest(CreateFlags(args));
    ASSERT_FALSE(request.ok()) << flag;
    EXPECT_EQ(request.status().message(),
              absl::StrCat("--", flag, ": required (or give --from_file)"));
  }
}

TEST(CreateHandoverRequestTest, EmptyRequiredFlagIsRefused) {
  auto request =
      BuildCreateHandoverRequest(CreateFlags(RequiredWith("--situation=")));
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.status().message(),
            "--situation: required, and must not be empty");
}

TEST(CreateHandoverRequestTest, BadEnumsAreNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"--urgency=soon",
       "--urgency: 'soon' is not one of routine, urgent, "
       "crisis"},
      {"--severity=fine",
       "--severity: 'fine' is not one of stable, "
       "watcher, unstable"},
      {"--to=teams/a/b", "--to: expected teams/ID or ID"},
      {"--care_plan_version=0", "--care_plan_version: must be a version"},
  };
  for (const auto& [flag, message] : cases) {
    std::vector<std::string> args = RequiredWith(flag);
    auto request = BuildCreateHandoverRequest(CreateFlags(args));
    ASSERT_FALSE(request.ok()) << flag;
    EXPECT_THAT(request.status().message(), HasSubstr(message));
  }
}

TEST(HandoverActionTest, WhatAndTeamAreRequired) {
  for (const char* value : {"Review", "|cmht", "Review|", "", "  |  |"}) {
    auto action = ParseHandoverAction(value);
    ASSERT_FALSE(action.ok()) << value;
    EXPECT_THAT(action.status().message(),
                HasSubstr("--action: what and the owning team are required "
                          "(\"WHAT|TEAM|DUE\""));
  }
}

TEST(HandoverActionTest, DueIsADateOrATime) {
  auto dated = ParseHandoverAction(" Review | cmht | 2026-12-01T17:30:00Z ");
  ASSERT_TRUE(dated.ok()) << dated.status();
  EXPECT_EQ(dated->description(), "Review");
  EXPECT_EQ(dated->due_time().seconds(), 1796083200 + 17 * 3600 + 30 * 60);
  auto bad = ParseHandoverAction("Review|cmht|next week");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("--action: DUE: 'next week' is not a date or time"));
  auto impossible = ParseHandoverAction("Review|cmht|2026-02-30");
  ASSERT_FALSE(impossible.ok());
  EXPECT_THAT(impossible.status().message(),
              HasSubstr("--action: DUE: '2026-02-30' is not a date"));
}

TEST(ContingencyTest, BothPartsAreRequiredAndTheLastTakesTheRest) {
  auto c = ParseContingency("If A|do B | or C");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->if_this(), "If A");
  EXPECT_EQ(c->then_do(), "do B | or C");
  for (const char* value : {"If A", "If A|", "|do B"}) {
    auto bad = ParseContingency(value);
    ASSERT_FALSE(bad.ok()) << value;
    EXPECT_THAT(bad.status().message(),
                HasSubstr("--contingency: both parts are required"));
  }
}

constexpr char kHandoverJson[] = R"json({
  "person": "persons/p1",
  "receiving_team": "teams/cmht",
  "kind": "SHARED_CARE",
  "urgency": "ROUTINE",
  "illness_severity": "STABLE",
  "situation": "S",
  "assessment": "A",
  "recommendation": "R",
  "actions": [{"description": "Peer group", "owning_team": "teams/vol"}]
})json";

TEST(CreateHandoverFromFileTest, ReadsAHandoverInJson) {
  auto request = BuildCreateHandoverRequestFromFile(
      CreateFlags({"--from_file=h.json", "--request_id=rq-2"}), kHandoverJson);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->handover().kind(), hv::SHARED_CARE);
  EXPECT_EQ(request->handover().receiving_team(), "teams/cmht");
  EXPECT_EQ(request->handover().actions(0).owning_team(), "teams/vol");
  EXPECT_EQ(request->request_id(), "rq-2");
}

TEST(CreateHandoverFromFileTest, ContentFlagsAreRefusedWithIt) {
  for (const char* flag : {"--person=p2", "--action=X|t", "--background=B",
                           "--care_plan_version=2"}) {
    auto request = BuildCreateHandoverRequestFromFile(
        CreateFlags({"--from_file=h.json", flag}), kHandoverJson);
    ASSERT_FALSE(request.ok()) << flag;
    std::string name = std::string(flag).substr(0, std::string(flag).find('='));
    EXPECT_THAT(request.status().message(),
                HasSubstr(name + ": give either --from_file or the handover "
                                 "flags, not both"));
  }
}

TEST(CreateHandoverFromFileTest, NotAHandoverIsNamed) {
  auto request = BuildCreateHandoverRequestFromFile(
      CreateFlags({"--from_file=h.json"}), R"({"sbar": "x"})");
  ASSERT_FALSE(request.ok());
  EXPECT_THAT(request.status().message(),
              HasSubstr("--from_file: not a Handover in JSON"));
}

std::vector<FlagSpec> ListSpecs() {
  return {{"state", FlagKind::kRepeated},
          {"person", FlagKind::kValue},
          {"overdue", FlagKind::kBool},
          {"page_size", FlagKind::kValue},
          {"page_token", FlagKind::kValue}};
}

TEST(ListHandoversRequestTest, StatesRepeatOrComeAsAList) {
  auto request = BuildListHandoversRequest(
      hv::SENT_BY_TEAM,
      MakeFlags({"--state=pending,accepted", "--state=cancelled", "--overdue",
                 "--person=p1", "--page_size=5", "--page_token=t"},
                ListSpecs()));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->mailbox(), hv::SENT_BY_TEAM);
  EXPECT_THAT(request->states(),
              ElementsAre(hv::PENDING, hv::ACCEPTED, hv::CANCELLED));
  EXPECT_TRUE(request->overdue_only());
  EXPECT_EQ(request->person(), "persons/p1");
  EXPECT_EQ(request->page_size(), 5);
  EXPECT_EQ(request->page_token(), "t");
}

TEST(ListHandoversRequestTest, BadStateAndPageSizeAreNamed) {
  auto bad = BuildListHandoversRequest(
      hv::INBOX, MakeFlags({"--state=pending,open"}, ListSpecs()));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("--state: 'open' is not one of pending, accepted, "
                        "declined, cancelled"));
  bad = BuildListHandoversRequest(hv::INBOX,
                                  MakeFlags({"--page_size=-1"}, ListSpecs()));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("--page_size:"));
}

std::vector<FlagSpec> AcceptSpecs() {
  return {{"summary", FlagKind::kValue},
          {"taking_on", FlagKind::kRepeated},
          {"note", FlagKind::kValue},
          {"etag", FlagKind::kValue}};
}

TEST(AcceptHandoverRequestTest, ReadBackCarriesSummaryAndActions) {
  hv::AcceptHandoverRequest request = BuildAcceptHandoverRequest(
      "h1",
      MakeFlags({"--summary=Alex is settled", "--taking_on=Weekly visit",
                 "--taking_on=Medication review", "--note=OK", "--etag=2"},
                AcceptSpecs()));
  EXPECT_EQ(request.name(), "handovers/h1");
  EXPECT_EQ(request.etag(), "2");
  EXPECT_EQ(request.note(), "OK");
  ASSERT_TRUE(request.has_read_back());
  EXPECT_EQ(request.read_back().summary(), "Alex is settled");
  EXPECT_THAT(request.read_back().actions_taken_on(),
              ElementsAre("Weekly visit", "Medication review"));
}

TEST(AcceptHandoverRequestTest, NoReadBackFlagsSendNoReadBack) {
  hv::AcceptHandoverRequest request = BuildAcceptHandoverRequest(
      "handovers/h1", MakeFlags({"--note=Noted"}, AcceptSpecs()));
  EXPECT_EQ(request.name(), "handovers/h1");
  EXPECT_FALSE(request.has_read_back());
}

TEST(AcceptHandoverRequestTest, ActionsWithoutSummaryAreLeftToTheServer) {
  hv::AcceptHandoverRequest request = BuildAcceptHandoverRequest(
      "h1", MakeFlags({"--taking_on=Weekly visit"}, AcceptSpecs()));
  ASSERT_TRUE(request.has_read_back());
  EXPECT_THAT(request.read_back().summary(), IsEmpty());
  EXPECT_THAT(request.read_back().actions_taken_on(),
              ElementsAre("Weekly visit"));
}

TEST(ReasonRequestTest, DeclineAndCancelCarryReasonAndEtag) {
  std::vector<FlagSpec> specs = {{"reason", FlagKind::kValue, true},
                                 {"etag", FlagKind::kValue}};
  auto decline = BuildReasonRequest<hv::DeclineHandoverRequest>(
      "h1", MakeFlags({"--reason=No capacity", "--etag=3"}, specs));
  EXPECT_EQ(decline.name(), "handovers/h1");
  EXPECT_EQ(decline.reason(), "No capacity");
  EXPECT_EQ(decline.etag(), "3");
  auto cancel = BuildReasonRequest<hv::CancelHandoverRequest>(
      "handovers/h2", MakeFlags({"--reason=Sent in error"}, specs));
  EXPECT_EQ(cancel.name(), "handovers/h2");
  EXPECT_EQ(cancel.reason(), "Sent in error");
}

}  // namespace
}  // namespace carebridge::carectl
