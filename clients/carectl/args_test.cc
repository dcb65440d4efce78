#include "clients/carectl/args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(TokenizeTest, SplitsWordsAndFlagsInAnyOrder) {
  auto line = Tokenize({"--json", "team", "get", "--server=h:1", "teams/a"});
  ASSERT_TRUE(line.ok());
  EXPECT_THAT(line->positional, ElementsAre("team", "get", "teams/a"));
  ASSERT_EQ(line->flags.size(), 2u);
  EXPECT_EQ(line->flags[0].name, "json");
  EXPECT_FALSE(line->flags[0].value.has_value());
  EXPECT_EQ(line->flags[1].name, "server");
  EXPECT_EQ(*line->flags[1].value, "h:1");
}

TEST(TokenizeTest, KeepsEverythingAfterTheFirstEquals) {
  auto line = Tokenize({"--local_id=https://x.example/mrn?a=b=42"});
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(*line->flags[0].value, "https://x.example/mrn?a=b=42");
}

TEST(TokenizeTest, EmptyValueIsAValue) {
  auto line = Tokenize({"--note="});
  ASSERT_TRUE(line.ok());
  ASSERT_TRUE(line->flags[0].value.has_value());
  EXPECT_EQ(*line->flags[0].value, "");
}

TEST(TokenizeTest, DashesInNamesReadAsUnderscores) {
  auto line = Tokenize({"--display-name=North"});
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->flags[0].name, "display_name");
}

TEST(TokenizeTest, DoubleDashEndsFlags) {
  auto line = Tokenize({"person", "get", "--", "--odd"});
  ASSERT_TRUE(line.ok());
  EXPECT_THAT(line->positional, ElementsAre("person", "get", "--odd"));
  EXPECT_TRUE(line->flags.empty());
}

TEST(TokenizeTest, ShortOptionsAreRejected) {
  auto line = Tokenize({"-v"});
  ASSERT_FALSE(line.ok());
  EXPECT_THAT(line.status().message(), HasSubstr("-v"));
  EXPECT_THAT(line.status().message(),
              HasSubstr("the only short options are -h and -o"));
}

TEST(TokenizeTest, DashHIsHelpAndDashOIsOutput) {
  auto line = Tokenize({"-h", "-ojson", "-o", "name"});
  ASSERT_TRUE(line.ok()) << line.status();
  ASSERT_EQ(line->flags.size(), 3u);
  EXPECT_EQ(line->flags[0].name, "help");
  EXPECT_EQ(line->flags[1].name, "output");
  EXPECT_EQ(*line->flags[1].value, "json");
  EXPECT_EQ(line->flags[2].name, "output");
  EXPECT_FALSE(line->flags[2].value.has_value());
  EXPECT_THAT(line->positional, ElementsAre("name"));
}

std::vector<FlagSpec> Specs() {
  return {{"name", FlagKind::kValue},
          {"all", FlagKind::kBool},
          {"local_id", FlagKind::kRepeated},
          {"must", FlagKind::kValue, /*required=*/true}};
}

absl::StatusOr<Flags> BindArgs(const std::vector<std::string>& args) {
  auto line = Tokenize(args);
  if (!line.ok()) return line.status();
  return Flags::Bind(line->flags, Specs());
}

CommandLine Attached(const std::vector<std::string>& args) {
  auto line = Tokenize(args);
  EXPECT_TRUE(line.ok()) << line.status();
  return AttachValues(*line, Specs());
}

TEST(AttachValuesTest, ValueFlagTakesTheNextWord) {
  CommandLine line = Attached({"team", "--name", "x", "get", "--must", "1"});
  EXPECT_THAT(line.positional, ElementsAre("team", "get"));
  auto flags = Flags::Bind(line.flags, Specs());
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->Get("name"), "x");
  EXPECT_EQ(flags->Get("must"), "1");
}

TEST(AttachValuesTest, RepeatedFlagTakesTheWordAfterEachUse) {
  CommandLine line =
      Attached({"--local_id", "a=1", "--local_id=b=2", "--local_id", "c=3"});
  EXPECT_TRUE(line.positional.empty());
  auto flags = Flags::Bind(line.flags, {{"local_id", FlagKind::kRepeated}});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_THAT(flags->GetAll("local_id"), ElementsAre("a=1", "b=2", "c=3"));
}

TEST(AttachValuesTest, BoolAndUnknownFlagsDoNotTakeTheNextWord) {
  CommandLine line = Attached({"--all", "team", "--colour", "get"});
  EXPECT_THAT(line.positional, ElementsAre("team", "get"));
  EXPECT_FALSE(line.flags[0].value.has_value());
  EXPECT_FALSE(line.flags[1].value.has_value());
}

TEST(AttachValuesTest, AFlagIsNeverAValue) {
  CommandLine line = Attached({"--must=1", "--name", "--all"});
  auto flags = Flags::Bind(line.flags, Specs());
  ASSERT_FALSE(flags.ok());
  EXPECT_THAT(
      flags.status().message(),
      HasSubstr("--name: needs a value (--name=VALUE or --name VALUE)"));
}

TEST(AttachValuesTest, ValueFlagLastNeedsAValue) {
  CommandLine line = Attached({"--must=1", "--name"});
  auto flags = Flags::Bind(line.flags, Specs());
  ASSERT_FALSE(flags.ok());
  EXPECT_THAT(flags.status().message(), HasSubstr("--name: needs a value"));
}

TEST(AttachValuesTest, WordAfterDoubleDashIsNeverAValue) {
  CommandLine line = Attached({"--must=1", "--name", "--", "x"});
  EXPECT_THAT(line.positional, ElementsAre("x"));
  EXPECT_FALSE(Flags::Bind(line.flags, Specs()).ok());
}

TEST(ClosestMatchTest, SuggestsALikelyTypo) {
  EXPECT_EQ(ClosestMatch("refferal", {"team", "referral", "careplan"}),
            "referral");
  EXPECT_EQ(ClosestMatch("displayname", {"display_name", "sector"}),
            "display_name");
  EXPECT_EQ(ClosestMatch("gett", {"get", "list"}), "get");
}

TEST(ClosestMatchTest, SuggestsNothingFarOffOrExact) {
  EXPECT_EQ(ClosestMatch("colour", {"team", "referral"}), "");
  EXPECT_EQ(ClosestMatch("x", {"y", "ab"}), "");
  EXPECT_EQ(ClosestMatch("team", {"team"}), "");
}

TEST(FlagsTest, UnknownFlagSuggestsTheClosest) {
  auto flags = BindArgs({"--must=1", "--nmae=x"});
  ASSERT_FALSE(flags.ok());
  EXPECT_EQ(flags.status().message(),
            "--nmae: unknown flag (did you mean --name?)");
}

TEST(FlagsTest, BindsKnownFlags) {
  auto flags = BindArgs(
      {"--must=1", "--name=x", "--all", "--local_id=a=1", "--local_id=b=2"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->Get("name"), "x");
  EXPECT_TRUE(flags->GetBool("all"));
  EXPECT_THAT(flags->GetAll("local_id"), ElementsAre("a=1", "b=2"));
  EXPECT_THAT(flags->given(), ElementsAre("must", "name", "all", "local_id"));
}

TEST(FlagsTest, AbsentFlagsTakeTheFallback) {
  auto flags = BindArgs({"--must=1"});
  ASSERT_TRUE(flags.ok());
  EXPECT_FALSE(flags->Has("name"));
  EXPECT_EQ(flags->Get("name", "dflt"), "dflt");
  EXPECT_FALSE(flags->GetBool("all"));
  EXPECT_TRUE(flags->GetAll("local_id").empty());
}

TEST(FlagsTest, UnknownFlagIsNamed) {
  auto flags = BindArgs({"--must=1", "--colour=red"});
  ASSERT_FALSE(flags.ok());
  EXPECT_EQ(flags.status().message(), "--colour: unknown flag");
}

TEST(FlagsTest, UnknownFlagsCanBePassedOn) {
  auto line = Tokenize({"--must=1", "--colour=red"});
  ASSERT_TRUE(line.ok());
  std::vector<RawFlag> rest;
  auto flags = Flags::Bind(line->flags, Specs(), &rest);
  ASSERT_TRUE(flags.ok());
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].name, "colour");
}

TEST(FlagsTest, MissingRequiredFlagIsNamed) {
  auto flags = BindArgs({"--name=x"});
  ASSERT_FALSE(flags.ok());
  EXPECT_EQ(flags.status().message(), "--must: required");
}

TEST(FlagsTest, RequiredFlagWithAnEmptyValueIsNamed) {
  auto flags = BindArgs({"--must="});
  ASSERT_FALSE(flags.ok());
  EXPECT_EQ(flags.status().message(),
            "--must: required, and must not be empty");
  // Optional flags may be empty (an empty value often clears a field).
  EXPECT_TRUE(BindArgs({"--must=1", "--name="}).ok());
}

TEST(FlagsTest, ValueFlagWithoutValueFails) {
  auto flags = BindArgs({"--must=1", "--name"});
  ASSERT_FALSE(flags.ok());
  EXPECT_THAT(flags.status().message(), HasSubstr("--name: needs a value"));
}

TEST(FlagsTest, SingleFlagGivenTwiceFails) {
  auto flags = BindArgs({"--must=1", "--name=a", "--name=b"});
  ASSERT_FALSE(flags.ok());
  EXPECT_EQ(flags.status().message(), "--name: given more than once");
}

TEST(FlagsTest, BoolAcceptsTrueAndFalseOnly) {
  auto yes = BindArgs({"--must=1", "--all=TRUE"});
  ASSERT_TRUE(yes.ok());
  EXPECT_TRUE(yes->GetBool("all"));
  auto no = BindArgs({"--must=1", "--all=false"});
  ASSERT_TRUE(no.ok());
  EXPECT_FALSE(no->GetBool("all"));
  EXPECT_TRUE(no->Has("all"));
  auto bad = BindArgs({"--must=1", "--all=maybe"});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("--all: must be true or false"));
}

TEST(FlagsTest, PositiveIntRejectsZeroAndText) {
  auto flags = BindArgs({"--must=0"});
  ASSERT_TRUE(flags.ok());
  EXPECT_FALSE(flags->GetPositiveInt("must").ok());
  flags = BindArgs({"--must=ten"});
  ASSERT_TRUE(flags.ok());
  auto n = flags->GetPositiveInt("must");
  ASSERT_FALSE(n.ok());
  EXPECT_THAT(n.status().message(), HasSubstr("--must:"));
  flags = BindArgs({"--must=25"});
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(*flags->GetPositiveInt("must"), 25);
}

TEST(FlagsTest, BadDurationNamesTheFlag) {
  auto flags = BindArgs({"--must=5"});
  ASSERT_TRUE(flags.ok());
  auto d = flags->GetDuration("must", absl::Seconds(1));
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("--must: not a duration: '5'"));
  EXPECT_EQ(*flags->GetDuration("name", absl::Seconds(7)), absl::Seconds(7));
}

TEST(ParseDurationTest, AcceptsEachUnit) {
  EXPECT_EQ(*ParseDuration("90s"), absl::Seconds(90));
  EXPECT_EQ(*ParseDuration("30m"), absl::Minutes(30));
  EXPECT_EQ(*ParseDuration("4h"), absl::Hours(4));
  EXPECT_EQ(*ParseDuration("72h"), absl::Hours(72));
  EXPECT_EQ(*ParseDuration("3d"), absl::Hours(72));
  EXPECT_EQ(*ParseDuration("14d"), absl::Hours(14 * 24));
}

TEST(ParseDurationTest, AcceptsCompounds) {
  EXPECT_EQ(*ParseDuration("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseDuration("1d12h"), absl::Hours(36));
}

TEST(ParseDurationTest, RejectsMalformed) {
  for (const char* text : {"", "5", "h", "4x", "-4h", "4.5h", "4h30", "0s",
                           "4 h", "99999999999999999999d"}) {
    EXPECT_FALSE(ParseDuration(text).ok()) << text;
  }
}

TEST(FormatDurationTest, UsesTheLargestExactUnit) {
  EXPECT_EQ(ShortDuration(absl::Hours(14 * 24)), "14d");
  EXPECT_EQ(ShortDuration(absl::Hours(72)), "3d");
  EXPECT_EQ(ShortDuration(absl::Hours(36)), "36h");
  EXPECT_EQ(ShortDuration(absl::Minutes(90)), "90m");
  EXPECT_EQ(ShortDuration(absl::Seconds(45)), "45s");
  EXPECT_EQ(ShortDuration(absl::Milliseconds(1500)), "1.5s");
}

TEST(FormatDurationTest, RoundTripsThroughParse) {
  for (const char* text : {"14d", "4h", "30m", "90s"}) {
    EXPECT_EQ(ShortDuration(*ParseDuration(text)), text);
  }
}

TEST(SplitListTest, DropsEmptyItemsAndSpaces) {
  EXPECT_THAT(SplitList("sent, acknowledged,,"),
              ElementsAre("sent", "acknowledged"));
  EXPECT_TRUE(SplitList("").empty());
}

}  // namespace
}  // namespace carebridge::carectl
