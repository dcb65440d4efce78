#include "services/http/fhir_search.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace carebridge::http {
namespace {

absl::Time At(const char* rfc3339) {
  absl::Time time;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &time, &error))
      << error;
  return time;
}

LastUpdated Bounds(std::initializer_list<const char*> values) {
  FhirParams params;
  for (const char* value : values) params.emplace("_lastUpdated", value);
  absl::StatusOr<LastUpdated> bounds = LastUpdated::FromParams(params);
  EXPECT_TRUE(bounds.ok()) << bounds.status();
  return bounds.ok() ? *bounds : LastUpdated();
}

// A date is the whole day: eq within it, gt after it, le up to its end.
TEST(LastUpdatedTest, ADateMeansTheWholeDay) {
  const absl::Time noon = At("2026-12-06T12:00:00Z");
  EXPECT_TRUE(Bounds({"eq2026-12-06"}).Matches(noon));
  EXPECT_TRUE(Bounds({"2026-12-06"}).Matches(noon));
  EXPECT_FALSE(Bounds({"eq2026-12-07"}).Matches(noon));
  EXPECT_TRUE(Bounds({"le2026-12-06"}).Matches(noon));
  EXPECT_FALSE(Bounds({"lt2026-12-06"}).Matches(noon));
  EXPECT_TRUE(Bounds({"ge2026-12-06"}).Matches(noon));
  EXPECT_FALSE(Bounds({"gt2026-12-06"}).Matches(noon));
  EXPECT_TRUE(Bounds({"gt2026-12-05"}).Matches(noon));
  // A range: both bounds hold.
  EXPECT_TRUE(Bounds({"ge2026-12-01", "lt2026-12-07"}).Matches(noon));
  EXPECT_FALSE(Bounds({"ge2026-12-01", "lt2026-12-06"}).Matches(noon));
}

TEST(LastUpdatedTest, AnInstantMeansItsSecond) {
  const absl::Time time = At("2026-12-06T12:00:00.500Z");
  EXPECT_TRUE(Bounds({"eq2026-12-06T12:00:00Z"}).Matches(time));
  EXPECT_TRUE(Bounds({"gt2026-12-06T11:59:59Z"}).Matches(time));
  EXPECT_FALSE(Bounds({"gt2026-12-06T12:00:00Z"}).Matches(time));
  // +01:00: 12:00 UTC, not after it.
  EXPECT_FALSE(Bounds({"lt2026-12-06T13:00:00+01:00"}).Matches(time));
}

TEST(LastUpdatedTest, NotATimeIsRefusedNamingIt) {
  FhirParams params = {{"_lastUpdated", "yesterday"}};
  absl::Status status = LastUpdated::FromParams(params).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_NE(status.message().find("`yesterday`"), absl::string_view::npos);
}

// Links carry the query encoded, so a `+` or `&` in a value survives.
TEST(SearchsetTest, LinksEncodeTheQuery) {
  FhirParams params = {{"_lastUpdated", "ge2026-12-06T00:00:00+01:00"},
                       {"patient", "Patient/a&b"}};
  fhir::Json bundle =
      Searchset("http://h/fhir", "Task", params, {}, "next/token+1");
  const std::string self = bundle["link"][0]["url"];
  EXPECT_NE(self.find("_lastUpdated=ge2026-12-06T00%3A00%3A00%2B01%3A00"),
            std::string::npos)
      << self;
  EXPECT_NE(self.find("patient=Patient%2Fa%26b"), std::string::npos) << self;
  const std::string next = bundle["link"][1]["url"];
  EXPECT_NE(next.find("_page_token=next%2Ftoken%2B1"), std::string::npos)
      << next;
}

fhir::Json Entry(const char* id) {
  return fhir::Json{{"resourceType", "Task"}, {"id", id}};
}

// The total is the result's size only when one page is the whole result:
// the last page of several holds only its own entries, and a first page
// with more to come does not know the rest.
TEST(SearchsetTest, TotalOnlyWhenOnePageIsTheWholeResult) {
  fhir::Json whole = Searchset("http://h/fhir", "Task", {{"_count", "5"}},
                               {Entry("a"), Entry("b")}, "");
  EXPECT_EQ(whole["total"], 2);
  fhir::Json first = Searchset("http://h/fhir", "Task", {{"_count", "2"}},
                               {Entry("a"), Entry("b")}, "more");
  EXPECT_FALSE(first.contains("total")) << first.dump();
  fhir::Json last =
      Searchset("http://h/fhir", "Task",
                {{"_count", "2"}, {"_page_token", "more"}}, {Entry("c")}, "");
  EXPECT_FALSE(last.contains("total")) << last.dump();
  EXPECT_EQ(last["entry"].size(), 1u);
}

// If-None-Exist is a query string: percent-encoded or not, `+` a space.
TEST(IfNoneExistTest, EncodedOrNotTheSameIdentifier) {
  for (const char* header :
       {"identifier=https://trust.example/ref|R-123",
        "identifier=https%3A%2F%2Ftrust.example%2Fref%7CR-123",
        "identifier=https%3a%2f%2ftrust.example%2fref%7cR%2D123",
        "%69dentifier=https://trust.example/ref%7CR-123"}) {
    absl::StatusOr<referral::v1::ReferralIdentifier> identifier =
        IfNoneExistIdentifier(header);
    ASSERT_TRUE(identifier.ok()) << header << ": " << identifier.status();
    EXPECT_EQ(identifier->system(), "https://trust.example/ref") << header;
    EXPECT_EQ(identifier->value(), "R-123") << header;
  }
  absl::StatusOr<referral::v1::ReferralIdentifier> spaced =
      IfNoneExistIdentifier("identifier=urn:ehr|R+1%2B2");
  ASSERT_TRUE(spaced.ok()) << spaced.status();
  EXPECT_EQ(spaced->value(), "R 1+2");
}

TEST(IfNoneExistTest, MalformedEscapesAreRefusedNamingTheHeader) {
  for (const char* header :
       {"identifier=https://trust.example/ref|R-%zz",
        "identifier=https://trust.example/ref|R-%4", "identifier=urn:a|b%",
        "identifier=urn:a|%C3%28"}) {
    absl::Status status = IfNoneExistIdentifier(header).status();
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << header << ": " << status;
    EXPECT_TRUE(absl::StartsWith(status.message(), "If-None-Exist: "))
        << header << ": " << status;
  }
  EXPECT_THAT(
      std::string(
          IfNoneExistIdentifier("identifier=urn:a|R-%zz").status().message()),
      ::testing::HasSubstr("`%zz` is not a percent-encoded byte"));
}

TEST(IfNoneExistTest, OnlyOneIdentifierWithSystemAndValue) {
  for (const char* header :
       {"identifier=R-123", "identifier=|R-123", "identifier=urn:a|",
        "status=active", "identifier=urn:a|1&status=active",
        "identifier=urn:a|1,urn:a|2", ""}) {
    absl::Status status = IfNoneExistIdentifier(header).status();
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << header << ": " << status;
    EXPECT_TRUE(absl::StartsWith(status.message(), "If-None-Exist"))
        << header << ": " << status;
  }
}

// FHIR search escapes: `\|`, `\,`, `\$` and `\\` stand for themselves.
TEST(IdentifierTokenTest, EscapesAreTakenLiterally) {
  absl::StatusOr<referral::v1::ReferralIdentifier> token =
      IdentifierToken("identifier", R"(urn:ehr|a\,b\|c\\d\$)");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->system(), "urn:ehr");
  EXPECT_EQ(token->value(), R"(a,b|c\d$)");
  EXPECT_FALSE(IdentifierToken("identifier", R"(urn:ehr|a\b)").ok());
  EXPECT_FALSE(IdentifierToken("identifier", "urn:ehr|a,b").ok());
}

}  // namespace
}  // namespace carebridge::http
