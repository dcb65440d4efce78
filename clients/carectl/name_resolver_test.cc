#include "clients/carectl/name_resolver.h"

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <sstream>

#include "absl/strings/str_cat.h"
#include "clients/carectl/fake_directory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

using ::testing::ElementsAre;

TEST(PersonLabelTest, NameWithNhsNumberInThrees) {
  directory::v1::Person person;
  person.set_given_name("Ada");
  person.set_family_name("Lovelace");
  person.set_nhs_number("9434765919");
  person.set_birth_date("1815-12-10");
  EXPECT_EQ(PersonLabel(person), "Ada Lovelace (NHS 943 476 5919)");
}

// What the directory gives a team with no care relationship: no NHS
// number, so the birth date tells two people of one name apart.
TEST(PersonLabelTest, WithoutNhsNumberTheBirthDate) {
  directory::v1::Person person;
  person.set_given_name("Mary");
  person.set_family_name("Seacole");
  person.set_birth_date("1805-11-23");
  EXPECT_EQ(PersonLabel(person), "Mary Seacole (born 1805-11-23)");
  EXPECT_EQ(PersonLabel(directory::v1::Person()), "");
}

TEST(NameResolverTest, AsksEachNameOnceAndAPageAtOnce) {
  std::vector<std::vector<std::string>> batches;
  NameResolver resolver([&](const std::vector<std::string>& names) {
    batches.push_back(names);
    std::map<std::string, std::string> labels;
    for (const std::string& name : names) labels[name] = "label of " + name;
    return labels;
  });
  const NameLabels& labels =
      resolver.For(std::vector<std::string>{"teams/a", "persons/p1"});
  EXPECT_EQ(labels.Label("teams/a"), "label of teams/a");
  resolver.For(std::vector<std::string>{"persons/p1", "teams/b", "teams/a"});
  resolver.For(std::vector<std::string>{"teams/b"});
  EXPECT_THAT(batches, ElementsAre(ElementsAre("teams/a", "persons/p1"),
                                   ElementsAre("teams/b")));
  EXPECT_EQ(resolver.For(std::vector<std::string>{}).Label("teams/b"),
            "label of teams/b");
}

// A screen whose text names nobody asks the directory nothing.
TEST(NameResolverTest, AsksNothingForTextWithoutNames) {
  int lookups = 0;
  NameResolver resolver([&](const std::vector<std::string>&) {
    ++lookups;
    return std::map<std::string, std::string>();
  });
  resolver.For(ResourceNamesInText("Referral declined (no onward route)"));
  resolver.For(std::vector<std::string>{});
  EXPECT_EQ(lookups, 0);
}

class DirectoryNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&directory_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    options_.server = absl::StrCat("127.0.0.1:", port);
  }
  void TearDown() override { server_->Shutdown(); }

  FakeDirectory directory_;
  std::unique_ptr<grpc::Server> server_;
  GlobalOptions options_;
  std::ostringstream out_, err_;
};

TEST_F(DirectoryNamesTest, LabelsWhatTheDirectoryShowsAndKeepsIdsOtherwise) {
  Session session(options_, out_, err_);
  ASSERT_TRUE(session.Connect().ok());
  NameResolver names = DirectoryNames(session);
  const NameLabels& labels = names.For(std::vector<std::string>{
      "persons/p1", "persons/p2", "persons/gone", "teams/crisis", "members/kim",
      "members/elsewhere"});
  EXPECT_EQ(labels.Label("persons/p1"), "Ada Lovelace (NHS 943 476 5919)");
  EXPECT_EQ(labels.Label("persons/p2"), "Mary Seacole (born 1805-11-23)");
  EXPECT_EQ(labels.Label("persons/gone"), "persons/gone");
  EXPECT_EQ(labels.Label("teams/crisis"), "Crisis Team");
  EXPECT_EQ(labels.Label("members/kim"), "Kim Jones");
  EXPECT_EQ(labels.Label("members/elsewhere"), "members/elsewhere");
}

// Admins may not read persons: after the first refusal carectl stops
// asking, rather than making (and failing) a call per person.
TEST_F(DirectoryNamesTest, StopsAskingForPersonsOnceRefused) {
  directory_.RefusePersons();
  Session session(options_, out_, err_);
  ASSERT_TRUE(session.Connect().ok());
  NameResolver names = DirectoryNames(session);
  names.For(std::vector<std::string>{"persons/p1", "teams/cmht"});
  const NameLabels& labels =
      names.For(std::vector<std::string>{"persons/p2", "teams/crisis"});
  EXPECT_EQ(labels.Label("persons/p1"), "persons/p1");
  EXPECT_EQ(labels.Label("teams/cmht"), "CMHT North");
  EXPECT_EQ(labels.Label("teams/crisis"), "Crisis Team");
  EXPECT_EQ(directory_.lookups("persons/p2"), 0);
}

TEST_F(DirectoryNamesTest, AsksNothingForJsonOrNameOnly) {
  options_.json = true;
  Session session(options_, out_, err_);
  ASSERT_TRUE(session.Connect().ok());
  NameResolver names = DirectoryNames(session);
  EXPECT_EQ(
      names.For(std::vector<std::string>{"teams/crisis"}).Label("teams/crisis"),
      "teams/crisis");
  EXPECT_EQ(directory_.total_lookups(), 0);
}

TEST(DirectoryNamesUnreachableTest, KeepsIdsWhenNoDirectoryAnswers) {
  GlobalOptions options;
  options.server = "127.0.0.1:1";
  std::ostringstream out, err;
  Session session(options, out, err);
  ASSERT_TRUE(session.Connect().ok());
  NameResolver names = DirectoryNames(session);
  EXPECT_EQ(names.For(std::vector<std::string>{"teams/crisis", "persons/p1"})
                .Label("teams/crisis"),
            "teams/crisis");
}

}  // namespace
}  // namespace carebridge::carectl
