#include "services/common/fingerprint.h"

#include <gtest/gtest.h>

#include "google/protobuf/timestamp.pb.h"

namespace carebridge {
namespace {

TEST(Sha256HexTest, IsTheStandardDigestInHex) {
  absl::StatusOr<std::string> empty = Sha256Hex("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  absl::StatusOr<std::string> abc = Sha256Hex("abc");
  ASSERT_TRUE(abc.ok());
  EXPECT_EQ(*abc,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DeterministicBytesTest, EqualMessagesGiveEqualBytesThatParseBack) {
  google::protobuf::Timestamp a;
  a.set_seconds(42);
  a.set_nanos(7);
  google::protobuf::Timestamp b = a;
  EXPECT_EQ(DeterministicBytes(a), DeterministicBytes(b));
  google::protobuf::Timestamp parsed;
  ASSERT_TRUE(parsed.ParseFromString(DeterministicBytes(a)));
  EXPECT_EQ(parsed.seconds(), 42);
  b.set_nanos(8);
  EXPECT_NE(DeterministicBytes(a), DeterministicBytes(b));
}

}  // namespace
}  // namespace carebridge
