#include "services/common/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

std::string Repeat(absl::string_view piece, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out.append(piece.data(), piece.size());
  return out;
}

// --- CheckText ---

TEST(CheckTextTest, AsciiAtTheLimitPassesAndOneOverFails) {
  EXPECT_THAT(CheckText("team.name", Repeat("a", 10), 10), IsOk());
  EXPECT_THAT(CheckText("team.name", Repeat("a", 11), 10),
              StatusIs(kInvalid, "team.name: must be at most 10 characters"));
}

TEST(CheckTextTest, CountsCodePointsNotBytes) {
  // 2-, 3- and 4-byte characters: é, €, 😀.
  for (absl::string_view ch :
       {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
    SCOPED_TRACE(ch);
    EXPECT_THAT(CheckText("goal", Repeat(ch, 10), 10), IsOk());
    EXPECT_THAT(CheckText("goal", Repeat(ch, 11), 10),
                StatusIs(kInvalid, HasSubstr("goal: must be at most 10")));
  }
}

TEST(CheckTextTest, MixedWidthTextAtTheLimitPasses) {
  // "Ich möchte 🙂" is 12 code points in 16 bytes.
  std::string text =
      "Ich m\xC3\xB6"
      "chte \xF0\x9F\x99\x82";
  ASSERT_EQ(text.size(), 16u);
  EXPECT_THAT(CheckText("wants", text, 12), IsOk());
  EXPECT_THAT(CheckText("wants", text, 11), StatusIs(kInvalid));
}

TEST(CheckTextTest, NulCharacterFailsNamingTheField) {
  EXPECT_THAT(
      CheckText("team.display_name", std::string("Crisis\0team", 12), 100),
      StatusIs(kInvalid,
               "team.display_name: must not contain NUL "
               "characters (U+0000)"));
  EXPECT_THAT(CheckRequiredText("reason", std::string(1, '\0'), 10),
              StatusIs(kInvalid, HasSubstr("reason: must not contain NUL")));
}

TEST(CheckTextTest, EmptyTextIsAllowed) {
  EXPECT_THAT(CheckText("note", "", 10), IsOk());
}

TEST(CheckTextTest, InvalidUtf8Fails) {
  const std::string cases[] = {
      std::string("abc\xC3"),       // truncated 2-byte sequence
      std::string("\xE2\x82"),      // truncated 3-byte sequence
      std::string("\xF0\x9F\x98"),  // truncated 4-byte sequence
      std::string("a\x80"
                  "b"),                 // stray continuation byte
      std::string("\xBF"),              // lone continuation byte
      std::string("\xC3\x28"),          // lead byte followed by ASCII
      std::string("\xC0\xAF"),          // overlong '/'
      std::string("\xE0\x80\xAF"),      // overlong '/' in 3 bytes
      std::string("\xF0\x80\x80\xAF"),  // overlong '/' in 4 bytes
      std::string("\xED\xA0\x80"),      // UTF-16 surrogate U+D800
      std::string("\xF4\x90\x80\x80"),  // U+110000, above the maximum
      std::string("\xF5\x80\x80\x80"),  // lead byte never valid
      std::string("\xFF"),              // byte never valid
  };
  for (const std::string& value : cases) {
    SCOPED_TRACE(::testing::PrintToString(value));
    EXPECT_THAT(CheckText("person.name", value, 100),
                StatusIs(kInvalid, "person.name: must be valid UTF-8"));
  }
}

TEST(CheckTextTest, BoundaryCodePointsAreValid) {
  EXPECT_THAT(CheckText("f", "\xC2\x80", 1), IsOk());          // U+0080
  EXPECT_THAT(CheckText("f", "\xED\x9F\xBF", 1), IsOk());      // U+D7FF
  EXPECT_THAT(CheckText("f", "\xEE\x80\x80", 1), IsOk());      // U+E000
  EXPECT_THAT(CheckText("f", "\xF4\x8F\xBF\xBF", 1), IsOk());  // U+10FFFF
}

// --- CheckRequiredText ---

TEST(CheckRequiredTextTest, EmptyFailsNamingTheField) {
  EXPECT_THAT(CheckRequiredText("referral.reason", "", 100),
              StatusIs(kInvalid, "referral.reason: must be set"));
}

TEST(CheckRequiredTextTest, WhitespaceOnlyFailsNamingTheField) {
  EXPECT_THAT(CheckRequiredText("referral.reason", " \t\n ", 100),
              StatusIs(kInvalid, "referral.reason: must be set"));
}

TEST(CheckRequiredTextTest, TextIsCheckedLikeCheckText) {
  EXPECT_THAT(CheckRequiredText("referral.reason", " needs support ", 100),
              IsOk());
  EXPECT_THAT(CheckRequiredText("referral.reason", Repeat("x", 5), 4),
              StatusIs(kInvalid, HasSubstr("at most 4")));
  EXPECT_THAT(CheckRequiredText("referral.reason", "ok\xC3", 100),
              StatusIs(kInvalid, HasSubstr("UTF-8")));
}

// --- CheckRequestId ---

TEST(CheckRequestIdTest, EmptyIsAllowedBecauseItIsOptional) {
  EXPECT_THAT(CheckRequestId("request_id", ""), IsOk());
}

TEST(CheckRequestIdTest, PrintableAsciiUpToTheLimitPasses) {
  EXPECT_THAT(CheckRequestId("request_id", "4f1c-9a2b_retry:1"), IsOk());
  EXPECT_THAT(CheckRequestId("request_id", Repeat("r", kMaxRequestIdChars)),
              IsOk());
}

TEST(CheckRequestIdTest, TooLongFails) {
  EXPECT_THAT(CheckRequestId("request_id", Repeat("r", kMaxRequestIdChars + 1)),
              StatusIs(kInvalid, HasSubstr("request_id: must be at most 64")));
}

TEST(CheckRequestIdTest, SpacesControlAndNonAsciiFail) {
  for (absl::string_view value : {"a b", "a\tb", "a\nb", "caf\xC3\xA9"}) {
    SCOPED_TRACE(value);
    EXPECT_THAT(CheckRequestId("request_id", value),
                StatusIs(kInvalid, HasSubstr("request_id: ")));
  }
  EXPECT_THAT(CheckRequestId("request_id", std::string("a\0b", 3)),
              StatusIs(kInvalid));
}

// --- ParseResourceName ---

TEST(ParseResourceNameTest, ReturnsTheId) {
  absl::StatusOr<std::string> id =
      ParseResourceName("referral.person", "persons/abc-12_z", "persons");
  ASSERT_THAT(id, IsOk());
  EXPECT_EQ(*id, "abc-12_z");
}

TEST(ParseResourceNameTest, EmptyIsMustBeSet) {
  EXPECT_THAT(ParseResourceName("referral.person", "", "persons"),
              StatusIs(kInvalid, "referral.person: must be set"));
}

TEST(ParseResourceNameTest, WrongCollectionFailsShowingThePattern) {
  EXPECT_THAT(
      ParseResourceName("referral.person", "teams/abc", "persons"),
      StatusIs(kInvalid, AllOf(HasSubstr("referral.person: \"teams/abc\""),
                               HasSubstr("persons/{id}"))));
  // A collection that merely starts with the right word is still wrong.
  EXPECT_THAT(ParseResourceName("name", "personsx/abc", "persons"),
              StatusIs(kInvalid));
  EXPECT_THAT(ParseResourceName("name", "abc", "persons"), StatusIs(kInvalid));
}

TEST(ParseResourceNameTest, EmptyIdFails) {
  EXPECT_THAT(ParseResourceName("name", "persons/", "persons"),
              StatusIs(kInvalid, HasSubstr("persons/{id}")));
  EXPECT_THAT(ParseResourceName("name", "persons", "persons"),
              StatusIs(kInvalid));
}

TEST(ParseResourceNameTest, BadCharactersFail) {
  for (absl::string_view name :
       {"persons/ABC", "persons/a b", "persons/a/b", "persons/a.b",
        "persons/caf\xC3\xA9", "persons/a%2F"}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(ParseResourceName("name", name, "persons"),
                StatusIs(kInvalid, HasSubstr("name: ")));
  }
}

TEST(ParseResourceNameTest, IdOfSixtyFourCharactersPassesAndLongerFails) {
  EXPECT_THAT(
      ParseResourceName("name", "persons/" + Repeat("a", 64), "persons"),
      IsOk());
  EXPECT_THAT(
      ParseResourceName("name", "persons/" + Repeat("a", 65), "persons"),
      StatusIs(kInvalid));
}

TEST(ParseResourceNameTest, LongBadValueIsShortenedInTheMessage) {
  absl::StatusOr<std::string> id =
      ParseResourceName("name", Repeat("x", 10000), "persons");
  ASSERT_THAT(id, StatusIs(kInvalid));
  EXPECT_LT(id.status().message().size(), 300u);
}

// --- CheckPageSize ---

TEST(CheckPageSizeTest, ZeroMeansTheDefault) {
  absl::StatusOr<int> size = CheckPageSize("page_size", 0, 20, 100);
  ASSERT_THAT(size, IsOk());
  EXPECT_EQ(*size, 20);
}

TEST(CheckPageSizeTest, NegativeFailsNamingTheField) {
  EXPECT_THAT(CheckPageSize("page_size", -1),
              StatusIs(kInvalid, HasSubstr("page_size: ")));
}

TEST(CheckPageSizeTest, WithinRangeIsKeptAndAboveMaximumIsClamped) {
  absl::StatusOr<int> kept = CheckPageSize("page_size", 7, 20, 100);
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(*kept, 7);
  absl::StatusOr<int> at_max = CheckPageSize("page_size", 100, 20, 100);
  ASSERT_THAT(at_max, IsOk());
  EXPECT_EQ(*at_max, 100);
  absl::StatusOr<int> clamped = CheckPageSize("page_size", 101, 20, 100);
  ASSERT_THAT(clamped, IsOk());
  EXPECT_EQ(*clamped, 100);
}

}  // namespace
}  // namespace carebridge
