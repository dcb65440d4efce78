// `carectl person merge` and a merged person as `person get` shows it,
// against a fake directory: what is sent, what is printed, the usage errors
// caught before any call, the hint for a person merged into another, help,
// and "did you mean".

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "clients/carectl/cli.h"
#include "clients/carectl/cli_test_server.h"
#include "clients/carectl/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace dir = ::carebridge::directory::v1;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr int64_t kDec1 = 1796083200;  // 2026-12-01T00:00:00Z

// persons/p1 (Ada Lovelace, kept) and persons/p2, registered twice and
// merged into p1 on 1 December; MergePersons keeps p1, UpdatePerson refuses
// p2 as the directory does a merged person. Thread-safe.
class FakePersons final : public dir::DirectoryService::Service {
 public:
  grpc::Status GetPerson(grpc::ServerContext*,
                         const dir::GetPersonRequest* request,
                         dir::Person* person) override {
    absl::MutexLock lock(&mu_);
    ++lookups_[request->name()];
    if (request->name() == "persons/p1") {
      *person = Kept();
      return grpc::Status::OK;
    }
    if (request->name() == "persons/p2") {
      person->set_name("persons/p2");
      person->set_given_name("Ada");
      person->set_family_name("Lovelace");
      person->set_birth_date("1815-12-10");
      person->set_etag("e7");
      person->set_merged_into("persons/p1");
      person->mutable_merge_time()->set_seconds(kDec1);
      return grpc::Status::OK;
    }
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such person");
  }
  grpc::Status UpdatePerson(grpc::ServerContext*,
                            const dir::UpdatePersonRequest* request,
                            dir::Person*) override {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat(request->person().name(),
                                     " was merged into persons/p1: use "
                                     "persons/p1"));
  }
  grpc::Status MergePersons(grpc::ServerContext*,
                            const dir::MergePersonsRequest* request,
                            dir::Person* kept) override {
    absl::MutexLock lock(&mu_);
    merges_.push_back(request->ShortDebugString());
    *kept = Kept();
    return grpc::Status::OK;
  }

  std::vector<std::string> merges() {
    absl::MutexLock lock(&mu_);
    return merges_;
  }
  int lookups(const std::string& name) {
    absl::MutexLock lock(&mu_);
    return lookups_[name];
  }

 private:
  static dir::Person Kept() {
    dir::Person person;
    person.set_name("persons/p1");
    person.set_given_name("Ada");
    person.set_family_name("Lovelace");
    person.set_nhs_number("9434765919");
    person.set_birth_date("1815-12-10");
    person.set_etag("e3");
    return person;
  }

  absl::Mutex mu_;
  std::vector<std::string> merges_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> lookups_ ABSL_GUARDED_BY(mu_);
};

using Result = CliResult;

class PersonCliTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.started()); }

  Result Run(std::vector<std::string> args) {
    return server_.Run(std::move(args));
  }

  FakePersons directory_;
  CliTestServer server_{&directory_};
};

TEST_F(PersonCliTest, MergeSendsTheDuplicateItsEtagAndThePersonKept) {
  Result r =
      Run({"person", "merge", "p2", "--into", "persons/p1", "--etag=e7"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(directory_.merges(),
              ::testing::ElementsAre("person: \"persons/p1\" duplicate: "
                                     "\"persons/p2\" duplicate_etag: \"e7\""));
  EXPECT_THAT(r.out, StartsWith("merged persons/p2 into persons/p1, the "
                                "person kept (cannot be undone)\n\n"));
  EXPECT_THAT(r.out, HasSubstr("name:         persons/p1\n"));
  EXPECT_THAT(r.out, HasSubstr("nhs_number:   9434765919\n"));
}

TEST_F(PersonCliTest, MergeAsJsonOrNamePrintsThePersonKept) {
  Result json =
      Run({"-o", "json", "person", "merge", "p2", "--into=p1", "--etag=e7"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_THAT(json.out, StartsWith("{"));
  EXPECT_THAT(json.out, HasSubstr("\"name\": \"persons/p1\""));
  Result name =
      Run({"-o", "name", "person", "merge", "p2", "--into=p1", "--etag=e7"});
  EXPECT_EQ(name.out, "persons/p1\n");
}

TEST_F(PersonCliTest, MergeWithoutEtagSaysToReadTheDuplicateAndSendsNothing) {
  Result r = Run({"person", "merge", "p2", "--into=p1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("carectl: usage: --etag: required: read the "
                               "duplicate first and give --etag=ETAG from "
                               "`carectl person get persons/p2`"));
  EXPECT_TRUE(directory_.merges().empty());
}

TEST_F(PersonCliTest, MergeWithoutIntoNamesItAndSendsNothing) {
  Result r = Run({"person", "merge", "p2", "--etag=e7"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("carectl: usage: --into: required"));
  r = Run({"person", "merge", "--into=p1", "--etag=e7"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("DUPLICATE"));
  EXPECT_TRUE(directory_.merges().empty());
}

TEST_F(PersonCliTest, MergedPersonSaysFirstWhichPersonToUse) {
  Result r = Run({"--utc", "person", "get", "p2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("Merged into: Ada Lovelace (NHS 943 476 "
                                "5919), persons/p1, on 2026-12-01T00:00:00Z. "
                                "Use that record.\n\n"));
  EXPECT_THAT(r.out, HasSubstr("name:         persons/p2\n"));
  EXPECT_THAT(r.out, HasSubstr("merged_into:  Ada Lovelace (NHS 943 476 "
                               "5919)\n              persons/p1\n"));
}

TEST_F(PersonCliTest, MergeTimeIsLocalUnlessUtc) {
  google::protobuf::Timestamp merged;
  merged.set_seconds(kDec1);
  Result r = Run({"person", "get", "p2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr(absl::StrCat(
                  ", on ", FormatTimestampIn(merged, absl::LocalTimeZone()),
                  ". Use that record.\n")));
}

TEST_F(PersonCliTest, PersonNotMergedLooksNothingElseUp) {
  Result r = Run({"person", "get", "p1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("name:"));
  EXPECT_THAT(r.out, Not(HasSubstr("Merged")));
  EXPECT_EQ(directory_.lookups("persons/p1"), 1);
}

TEST_F(PersonCliTest, MergedPersonAsJsonKeepsTheIds) {
  Result r = Run({"--json", "person", "get", "p2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"merged_into\": \"persons/p1\""));
  EXPECT_THAT(r.out, Not(HasSubstr("Merged into")));
  EXPECT_EQ(directory_.lookups("persons/p1"), 0);
}

TEST_F(PersonCliTest, RefusalForAMergedPersonNamesThePersonToUse) {
  Result r = Run({"person", "update", "p2", "--etag=e7", "--given_name=Ada"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("FAILED_PRECONDITION: persons/p2 was merged "
                               "into persons/p1"));
  EXPECT_THAT(r.err, HasSubstr("carectl: use the person it was merged into: "
                               "carectl person get persons/p1\n"));
}

TEST(PersonHelpTest, HelpExplainsMerge) {
  Result noun = RunCli({"person", "-h"});
  ASSERT_EQ(noun.code, 0);
  std::string text = noun.out;
  // Help wraps lines; read it as one.
  std::replace(text.begin(), text.end(), '\n', ' ');
  text.erase(std::unique(text.begin(), text.end(),
                         [](char a, char b) { return a == ' ' && b == ' '; }),
             text.end());
  EXPECT_THAT(text, HasSubstr("carectl person merge DUPLICATE --into=PERSON "
                              "--etag=ETAG"));
  EXPECT_THAT(text, HasSubstr("registered twice into the one kept"));
  EXPECT_THAT(text, HasSubstr("lead team of the person kept"));
  EXPECT_THAT(text, HasSubstr("Cannot be undone"));
  EXPECT_THAT(text, HasSubstr("different NHS numbers or birth dates"));
  EXPECT_THAT(text, HasSubstr("only the duplicate has an NHS number"));
  EXPECT_THAT(text, HasSubstr("care plan or a referral or handover awaiting "
                              "an answer"));
  Result all = RunCli({"help"});
  EXPECT_THAT(all.out, HasSubstr("person register|get|find|update|merge"));
}

TEST(PersonHelpTest, TyposSuggestMergeAndInto) {
  Result verb = RunCli({"person", "merg", "p2"});
  EXPECT_EQ(verb.code, 1);
  EXPECT_THAT(verb.err, HasSubstr("did you mean 'person merge'?"));
  Result flag = RunCli({"person", "merge", "p2", "--int=p1", "--etag=e7"});
  EXPECT_EQ(flag.code, 1);
  EXPECT_THAT(flag.err,
              HasSubstr("--int: unknown flag (did you mean --into?)"));
}

}  // namespace
}  // namespace carebridge::carectl
