// `carectl completion bash`: the script is valid bash, and sourced into bash
// it completes nouns, verbs and flags from the command table.

#include "clients/carectl/completion.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "clients/carectl/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ScriptPath() {
  std::string path = ::testing::TempDir() + "/carectl_completion.bash";
  std::ostringstream out, err;
  EXPECT_EQ(RunCarectl({"completion", "bash"}, {}, out, err), 0) << err.str();
  std::ofstream(path) << out.str();
  return path;
}

// What bash offers for `line` (the cursor at its end), space-separated.
std::string Complete(const std::string& line) {
  std::string command = absl::StrCat(
      "bash -c 'source ", ScriptPath(), "; COMP_LINE=\"", line,
      "\"; COMP_POINT=${#COMP_LINE}; _carectl; echo \"${COMPREPLY[*]}\"'");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) {
    output.append(buffer, n);
  }
  pclose(pipe);
  if (!output.empty() && output.back() == '\n') output.pop_back();
  return output;
}

TEST(CompletionTest, ScriptIsValidBash) {
  std::string command = absl::StrCat("bash -n ", ScriptPath());
  EXPECT_EQ(std::system(command.c_str()), 0);
}

TEST(CompletionTest, ScriptNamesNounsVerbsAndFlags) {
  std::ostringstream out, err;
  ASSERT_EQ(RunCarectl({"completion", "bash"}, {}, out, err), 0);
  EXPECT_THAT(out.str(), HasSubstr("complete -F _carectl carectl"));
  EXPECT_THAT(out.str(), HasSubstr("\"referral decline\") echo \"--reason="));
  EXPECT_THAT(out.str(), HasSubstr("--suggest_team="));
  EXPECT_THAT(out.str(), HasSubstr("--server="));
}

TEST(CompletionTest, CompletesNouns) {
  std::string offered = Complete("carectl ref");
  EXPECT_EQ(offered, "referral");
  offered = Complete("carectl --server=h:1 con");
  EXPECT_EQ(offered, "config");
}

TEST(CompletionTest, CompletesVerbsAndTwoWordVerbs) {
  EXPECT_THAT(Complete("carectl referral de"), HasSubstr("decline"));
  EXPECT_THAT(Complete("carectl careplan team "), HasSubstr("add"));
  EXPECT_EQ(Complete("carectl --server h:1 config use"), "use-context");
}

TEST(CompletionTest, CompletesPersonMergeAndItsFlags) {
  EXPECT_EQ(Complete("carectl person mer"), "merge");
  EXPECT_EQ(Complete("carectl person merge p2 --in"), "--into=");
  // --into takes the next word as its value, not as a command word.
  EXPECT_THAT(Complete("carectl person merge p2 --into p1 --e"),
              HasSubstr("--etag="));
}

TEST(CompletionTest, CompletesTheCommandsAndGlobalFlags) {
  std::string offered = Complete("carectl referral decline r1 --s");
  EXPECT_THAT(offered, HasSubstr("--signpost="));
  EXPECT_THAT(offered, HasSubstr("--suggest_team="));
  EXPECT_THAT(offered, HasSubstr("--server="));
  EXPECT_THAT(offered, Not(HasSubstr("--sector=")));
}

}  // namespace
}  // namespace carebridge::carectl
