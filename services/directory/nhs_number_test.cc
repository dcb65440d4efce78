#include "services/directory/nhs_number.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace carebridge::directory {
namespace {

using ::testing::HasSubstr;

TEST(NhsNumberTest, AcceptsValidNumber) {
  auto result = NormalizeNhsNumber("nhs_number", "9434765919");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, "9434765919");
}

TEST(NhsNumberTest, StripsSpaces) {
  auto result = NormalizeNhsNumber("nhs_number", " 943 476 5919 ");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, "9434765919");
}

TEST(NhsNumberTest, AcceptsOtherValidNumbers) {
  for (const char* number : {"4010232137", "4857773457", "9434765927"}) {
    EXPECT_TRUE(NormalizeNhsNumber("nhs_number", number).ok()) << number;
  }
}

TEST(NhsNumberTest, RemainderZeroGivesCheckDigitZero) {
  // 11 - (sum mod 11) is 11 here, which the rules turn into 0.
  EXPECT_TRUE(NormalizeNhsNumber("nhs_number", "9434765080").ok());
  EXPECT_FALSE(NormalizeNhsNumber("nhs_number", "9434765081").ok());
}

TEST(NhsNumberTest, RejectsWrongCheckDigit) {
  auto result = NormalizeNhsNumber("person.nhs_number", "9434765918");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(),
              HasSubstr("person.nhs_number: is not a valid NHS number"));
}

TEST(NhsNumberTest, RejectsCheckDigitTen) {
  // The first nine digits of 123456789x give a check digit of 10: no final
  // digit makes this a valid number.
  for (char last = '0'; last <= '9'; ++last) {
    std::string number = std::string("123456789") + last;
    EXPECT_FALSE(NormalizeNhsNumber("nhs_number", number).ok()) << number;
  }
  for (char last = '0'; last <= '9'; ++last) {
    std::string number = std::string("943476596") + last;
    EXPECT_FALSE(NormalizeNhsNumber("nhs_number", number).ok()) << number;
  }
}

TEST(NhsNumberTest, RejectsWrongLength) {
  for (const char* number : {"", "943476591", "94347659190", "943 476 591"}) {
    auto result = NormalizeNhsNumber("nhs_number", number);
    ASSERT_FALSE(result.ok()) << number;
    EXPECT_THAT(result.status().message(),
                HasSubstr("nhs_number: must be 10 digits"));
  }
}

TEST(NhsNumberTest, RejectsLettersAndPunctuation) {
  for (const char* number :
       {"943476591A", "ABCDEFGHIJ", "943-476-5919", "9434765919\n"}) {
    auto result = NormalizeNhsNumber("nhs_number", number);
    ASSERT_FALSE(result.ok()) << number;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(result.status().message(),
                HasSubstr("nhs_number: must contain only digits and spaces"));
  }
}

}  // namespace
}  // namespace carebridge::directory
