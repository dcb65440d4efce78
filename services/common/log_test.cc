#include "services/common/log.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/stderr_capture.h"

namespace carebridge {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class LogTest : public ::testing::Test {
 protected:
  ~LogTest() override { SetLogFormat(LogFormat::kText); }
};

TEST_F(LogTest, TextLinesStartWithTheTime) {
  StderrCapture capture;
  LogLine("serving on 127.0.0.1:1");
  LogCall({"/carebridge.referral.v1.ReferralService/GetReferral", "members/m1",
           "NOT_FOUND", absl::Microseconds(1500), "req-7"});
  std::vector<std::string> lines = capture.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], MatchesRegex("^[0-9-]+T[0-9:.]+Z serving on "
                                     "127\\.0\\.0\\.1:1$"));
  EXPECT_THAT(lines[1],
              HasSubstr(" call method=/carebridge.referral.v1.ReferralService/"
                        "GetReferral principal=members/m1 code=NOT_FOUND "
                        "latency_ms=1.5 trace_id=req-7"));
}

TEST_F(LogTest, JsonIsOneObjectPerLineWithTheCallsFields) {
  SetLogFormat(LogFormat::kJson);
  StderrCapture capture;
  LogLine("warning: the directory's feed could not be read");
  LogLine("a \"quoted\" line\twith\\ a control \x01 character");
  LogCall({"/carebridge.careplan.v1.CarePlanService/UpdateCarePlan",
           "members/m2", "OK", absl::Milliseconds(12), "4bf92f3577b34da6"});
  std::vector<std::string> lines = capture.Lines();
  ASSERT_EQ(lines.size(), 3u);
  std::vector<nlohmann::json> objects;
  for (const std::string& line : lines) {
    objects.push_back(nlohmann::json::parse(line));  // throws when not JSON
  }
  EXPECT_EQ(objects[0]["severity"], "WARNING");
  EXPECT_EQ(objects[0]["message"], "the directory's feed could not be read");
  EXPECT_EQ(objects[1]["severity"], "INFO");
  EXPECT_EQ(objects[1]["message"],
            "a \"quoted\" line\twith\\ a control \x01 character");
  EXPECT_EQ(objects[2]["message"], "call");
  EXPECT_EQ(objects[2]["method"],
            "/carebridge.careplan.v1.CarePlanService/UpdateCarePlan");
  EXPECT_EQ(objects[2]["principal"], "members/m2");
  EXPECT_EQ(objects[2]["code"], "OK");
  EXPECT_DOUBLE_EQ(objects[2]["latency_ms"].get<double>(), 12.0);
  EXPECT_EQ(objects[2]["trace_id"], "4bf92f3577b34da6");
  for (const nlohmann::json& object : objects) {
    EXPECT_THAT(object["time"].get<std::string>(),
                MatchesRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$"));
  }
}

TEST_F(LogTest, HttpRequestsInBothFormats) {
  StderrCapture capture;
  LogHttp({"GET", "/fhir/Patient/p1", 404, absl::Milliseconds(3), "abc"});
  SetLogFormat(LogFormat::kJson);
  LogHttp({"POST", "/v1/x", 200, absl::Microseconds(250), "def"});
  std::vector<std::string> lines = capture.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr(" http method=GET path=/fhir/Patient/p1 "
                                  "status=404 latency_ms=3 trace_id=abc"));
  nlohmann::json object = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(object["message"], "http");
  EXPECT_EQ(object["method"], "POST");
  EXPECT_EQ(object["path"], "/v1/x");
  EXPECT_EQ(object["status"], 200);
  EXPECT_DOUBLE_EQ(object["latency_ms"].get<double>(), 0.25);
  EXPECT_EQ(object["trace_id"], "def");
}

TEST_F(LogTest, AMessageOfThousandsOfCharactersStaysOneJsonLine) {
  // A 4,000-character reason with quotes, new lines and multi-byte text,
  // as a refusal message might quote it.
  std::string text;
  while (text.size() < 4000) text += "Zoë said \"I can't\"\n家 ";
  SetLogFormat(LogFormat::kJson);
  StderrCapture capture;
  LogLine(text);
  std::vector<std::string> lines = capture.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["message"], text);
}

TEST_F(LogTest, JsonQuoteEscapesWhatJsonRequires) {
  EXPECT_EQ(JsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\re\tf"), "\"a\\\"b\\\\c\\nd\\re\\tf\"");
  EXPECT_EQ(JsonQuote(std::string("\x1f", 1)), "\"\\u001f\"");
  // UTF-8 passes through unchanged.
  EXPECT_EQ(JsonQuote("Zoë"), "\"Zoë\"");
  EXPECT_EQ(JsonQuote("家 🙂"), "\"家 🙂\"");
  // Bytes that are not UTF-8 (a percent-decoded path) become U+FFFD, so the
  // line stays JSON.
  EXPECT_EQ(JsonQuote("/%\xff/a\xc3"), "\"/%\\ufffd/a\\ufffd\"");
  EXPECT_EQ(JsonQuote("\xed\xa0\x80"),
            "\"\\ufffd\\ufffd\\ufffd\"");                  // a surrogate
  EXPECT_EQ(JsonQuote("\xc0\xaf"), "\"\\ufffd\\ufffd\"");  // overlong
}

}  // namespace
}  // namespace carebridge
