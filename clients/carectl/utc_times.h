#ifndef CAREBRIDGE_CLIENTS_CARECTL_UTC_TIMES_H_
#define CAREBRIDGE_CLIENTS_CARECTL_UTC_TIMES_H_

#include "clients/carectl/format.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {

// For tests that read times as `carectl --utc` prints them (RFC 3339 UTC),
// whatever the machine's time zone; the local form has its own tests
// (format_test.cc).
class UtcTimesTest : public ::testing::Test {
 protected:
  void SetUp() override { ShowTimesInUtc(true); }
  void TearDown() override { ShowTimesInUtc(false); }
};

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_UTC_TIMES_H_
