#include "services/common/file_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;

TEST(FileUtilTest, WritesAtomicallyWithTheModeAndReadsBack) {
  testing::TempDir dir;
  std::string path = dir.path() + "/port";
  ASSERT_THAT(WriteFileAtomically(path, "first", 0600), IsOk());
  ASSERT_THAT(WriteFileAtomically(path, "second\n", 0600), IsOk());
  auto read = ReadFileToString(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "second\n");
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(FileUtilTest, MissingFileSaysWhichAndWhy) {
  EXPECT_THAT(ReadFileToString("/nonexistent/carebridge/file"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot read /nonexistent/carebridge/file")));
}

TEST(FileUtilTest, UnwritableDirectoryIsAnError) {
  EXPECT_THAT(WriteFileAtomically("/nonexistent/carebridge/file", "x", 0600),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace carebridge
