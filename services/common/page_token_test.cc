#include "services/common/page_token.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

TEST(PageTokenTest, RoundTripReturnsTheCursor) {
  std::string token =
      EncodePageToken("team=teams/a;state=SENT", {"1767225600000000", "abc"});
  absl::StatusOr<std::vector<std::string>> cursor =
      DecodePageToken(token, "team=teams/a;state=SENT");
  ASSERT_THAT(cursor, IsOk());
  EXPECT_THAT(*cursor, ElementsAre("1767225600000000", "abc"));
}

TEST(PageTokenTest, TokenIsUrlSafe) {
  std::string token = EncodePageToken("f", {std::string("\xff\xfe/+=?&", 7)});
  EXPECT_THAT(token, MatchesRegex("[A-Za-z0-9_-]+"));
}

TEST(PageTokenTest, EmptyTokenIsTheFirstPage) {
  absl::StatusOr<std::vector<std::string>> cursor =
      DecodePageToken("", "anything");
  ASSERT_THAT(cursor, IsOk());
  EXPECT_THAT(*cursor, IsEmpty());
}

TEST(PageTokenTest, TokenFromOtherFiltersIsRejectedNamingPageToken) {
  std::string token = EncodePageToken("state=SENT", {"k"});
  EXPECT_THAT(DecodePageToken(token, "state=ACCEPTED"),
              StatusIs(kInvalid, HasSubstr("page_token")));
}

TEST(PageTokenTest, GarbageIsRejectedNamingPageToken) {
  const std::string cases[] = {
      "not a token!",                      // not base64
      absl::WebSafeBase64Escape("hello"),  // no fields
      absl::WebSafeBase64Escape("2\x1f"
                                "abc\x1fk"),  // unknown version
      std::string(3000, 'A'),                 // far too long
  };
  for (const std::string& token : cases) {
    SCOPED_TRACE(token.substr(0, 40));
    EXPECT_THAT(DecodePageToken(token, "f"),
                StatusIs(kInvalid, HasSubstr("page_token")));
  }
}

TEST(PageTokenTest, CursorPartsWithArbitraryBytesSurvive) {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  std::vector<std::string> cursor = {all_bytes, std::string("\x1f", 1), "",
                                     std::string("a\0b", 3), "\x1f\x1f|end"};
  absl::StatusOr<std::vector<std::string>> decoded =
      DecodePageToken(EncodePageToken("f", cursor), "f");
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, cursor);
}

TEST(PageTokenTest, EmptyCursorRoundTrips) {
  absl::StatusOr<std::vector<std::string>> decoded =
      DecodePageToken(EncodePageToken("f", {}), "f");
  ASSERT_THAT(decoded, IsOk());
  EXPECT_THAT(*decoded, IsEmpty());
}

TEST(PageTokenTest, TokenIssuedByAnotherProcessStillDecodes) {
  // Encoded once and kept: the filter fingerprint must not depend on
  // per-process hashing, or tokens would break across restarts and replicas.
  constexpr char kIssuedEarlier[] =
      "MR9hYWMyZTQwOWJmMjhhNjdkH01UYzJOekl5TlRZd01EQXdNREF3TUEfWVdKag";
  absl::StatusOr<std::vector<std::string>> cursor =
      DecodePageToken(kIssuedEarlier, "state=SENT");
  ASSERT_THAT(cursor, IsOk());
  EXPECT_THAT(*cursor, ElementsAre("1767225600000000", "abc"));
}

TEST(PageTokenTest, CreateOrderCursorRoundTrips) {
  const std::string token = EncodeCreateOrderPageToken(
      "inbox", CreateOrderCursor{1767225600000000, 42});
  absl::StatusOr<std::optional<CreateOrderCursor>> cursor =
      DecodeCreateOrderPageToken(token, "inbox");
  ASSERT_THAT(cursor, IsOk());
  ASSERT_TRUE(cursor->has_value());
  EXPECT_EQ((*cursor)->create_time_us, 1767225600000000);
  EXPECT_EQ((*cursor)->sequence, 42);
  EXPECT_THAT(DecodeCreateOrderPageToken(token, "sent"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PageTokenTest, EmptyTokenIsTheFirstPageOfACreateOrderListing) {
  absl::StatusOr<std::optional<CreateOrderCursor>> cursor =
      DecodeCreateOrderPageToken("", "inbox");
  ASSERT_THAT(cursor, IsOk());
  EXPECT_FALSE(cursor->has_value());
}

TEST(PageTokenTest, CreateOrderTokenWithAnotherCursorShapeIsRefused) {
  for (const std::vector<std::string>& parts :
       std::vector<std::vector<std::string>>{
           {"1767225600000000"}, {"x", "1"}, {"1", "2", "3"}}) {
    EXPECT_THAT(
        DecodeCreateOrderPageToken(EncodePageToken("inbox", parts), "inbox"),
        StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(PageTokenTest, BelowNumberTokensResumeBelowTheLastNumber) {
  EXPECT_EQ(DecodeBelowNumberPageToken("", "f").value(), 0);
  EXPECT_EQ(
      DecodeBelowNumberPageToken(EncodePageToken("f", {"42"}), "f").value(),
      42);
  // Another listing's token, a number with nothing below it, not a number,
  // two numbers: all refused.
  for (const std::string& token :
       {EncodePageToken("g", {"42"}), EncodePageToken("f", {"1"}),
        EncodePageToken("f", {"x"}), EncodePageToken("f", {"4", "2"})}) {
    EXPECT_THAT(
        DecodeBelowNumberPageToken(token, "f"),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  }
}

}  // namespace
}  // namespace carebridge
