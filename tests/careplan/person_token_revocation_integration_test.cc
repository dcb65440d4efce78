// Ending a person's own tokens, over real gRPC with every service hosted
// (issue 11): their lead team, an admin, or the person themself ends them;
// within 5 seconds the care plan, record and audit services refuse them
// (UNAUTHENTICATED, saying why) and the person's open stream ends; a token
// issued afterwards works. Anyone else is refused, audited, and nothing
// changes; bad input names the field.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "tests/audit/person_access_fixture.h"

namespace carebridge::record::testing {
namespace {

namespace au = ::carebridge::audit::v1;
namespace cp = ::carebridge::careplan::v1;
using carebridge::testing::TestServer;
using ::testing::HasSubstr;

constexpr absl::Duration kWithin = absl::Seconds(5);

class PersonTokenRevocationTest : public PersonAccessFixture {
 protected:
  void SetUp() override {
    PersonAccessFixture::SetUp();
    // The voluntary team joins Ada's care team (without leading it).
    Accept(Refer(ada_, voluntary_).name(), val_);
    ASSERT_TRUE(Eventually([&] {
      cp::CarePlan plan;
      return GetPlanWith(server_.ContextAs(Service()), ada_, &plan).ok() &&
             plan.care_team_size() == 2;
    }));
    // The record knows Ada before her token is tried there.
    ASSERT_TRUE(Eventually([&] { return Summary(ada_token_).ok(); }));
    // Tokens carry whole seconds: what follows happens in a later second,
    // part way through it.
    server_.clock().Advance(absl::Milliseconds(1300));
  }

  // Bob (the lead team) gives `person` a token.
  cp::IssuePersonTokenResponse Issue(const std::string& person) {
    cp::IssuePersonTokenResponse response;
    grpc::Status status = PersonAccessFixture::Issue(bob_, person, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // Ada's care summary (the record), as `token` reads it.
  grpc::Status Summary(const std::string& token) {
    v1::GetCareSummaryRequest request;
    request.set_name(ada_ + "/careSummary");
    v1::CareSummary summary;
    return record_->GetCareSummary(WithToken(token).get(), request, &summary);
  }

  // Who accessed Ada's record (the audit service), as `token` reads it.
  grpc::Status OwnAccesses(const std::string& token) {
    au::ListAccessesRequest request;
    request.set_person(ada_);
    au::ListAccessesResponse response;
    return audit_->ListAccesses(WithToken(token).get(), request, &response);
  }

  // The care plan, record and audit services each answer `token` (Ada's).
  bool WorksEverywhere(const std::string& token) {
    cp::CarePlan plan;
    grpc::Status statuses[] = {GetPlanWith(WithToken(token), ada_, &plan),
                               Summary(token), OwnAccesses(token)};
    for (const grpc::Status& status : statuses) {
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) return false;
    }
    return true;
  }

  // True once the care plan, record and audit services all refuse `token`
  // as UNAUTHENTICATED saying `why`, within kWithin.
  bool RefusedEverywhereSoon(const std::string& token, const std::string& why) {
    const absl::Time deadline = absl::Now() + kWithin;
    while (true) {
      cp::CarePlan plan;
      grpc::Status statuses[] = {GetPlanWith(WithToken(token), ada_, &plan),
                                 Summary(token), OwnAccesses(token)};
      bool refused = true;
      for (const grpc::Status& status : statuses) {
        refused = refused &&
                  status.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
                  absl::StrContains(status.error_message(), why);
      }
      if (refused) return true;
      if (absl::Now() > deadline) {
        for (const grpc::Status& status : statuses) {
          ADD_FAILURE() << status.error_code() << ": "
                        << status.error_message();
        }
        return false;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  grpc::Status Revoke(std::unique_ptr<grpc::ClientContext> context,
                      const std::string& person, const std::string& reason,
                      const std::string& token_id = "",
                      directory::v1::PersonTokenRevocation* out = nullptr) {
    cp::RevokePersonTokensRequest request;
    request.set_name(person + "/carePlan");
    request.set_reason(reason);
    request.set_token_id(token_id);
    directory::v1::PersonTokenRevocation revocation;
    return careplan_->RevokePersonTokens(context.get(), request,
                                         out != nullptr ? out : &revocation);
  }

  // Ada's accesses (as an admin lists them).
  std::vector<au::Access> Accesses(const std::string& actor,
                                   const std::string& method,
                                   const std::string& outcome) {
    return AccessesBy(ada_, actor, method, outcome);
  }

  // Ada as the directory keeps her (read whole, as a service).
  directory::v1::Person AdaInDirectory() {
    directory::v1::GetPersonRequest request;
    request.set_name(ada_);
    directory::v1::Person person;
    grpc::Status status = directory_->GetPerson(
        server_.ContextAs(Service()).get(), request, &person);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return person;
  }
};

TEST_F(PersonTokenRevocationTest, TheLeadTeamEndsThemEverywhereWithinSeconds) {
  ASSERT_TRUE(WorksEverywhere(ada_token_));
  // Ada's open stream (the care plan feed).
  grpc::ClientContext stream_context;
  stream_context.AddMetadata("authorization", "Bearer " + ada_token_);
  auto stream =
      careplan_->Subscribe(&stream_context, events::v1::SubscribeRequest());
  events::v1::SubscribeResponse first;
  ASSERT_TRUE(stream->Read(&first));

  directory::v1::PersonTokenRevocation revocation;
  grpc::Status status = Revoke(server_.ContextAs(bob_), ada_,
                               "phone seen by someone else", "", &revocation);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const absl::Time said = absl::Now();
  EXPECT_EQ(revocation.person(), ada_);
  EXPECT_EQ(revocation.revoked_by(), "services/careplan");
  EXPECT_THAT(revocation.on_behalf_of(), HasSubstr("members/bob"));
  EXPECT_TRUE(revocation.has_tokens_valid_after());
  EXPECT_TRUE(RefusedEverywhereSoon(ada_token_, "phone seen by someone else"));

  events::v1::SubscribeResponse more;
  while (stream->Read(&more)) {
  }
  grpc::Status ended = stream->Finish();
  EXPECT_LT(absl::Now() - said, kWithin);
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << ended.error_message();

  // Kept by the directory; a token issued now, in the same second, carries
  // the next one and works.
  EXPECT_EQ(AdaInDirectory().tokens_valid_after_reason(),
            "phone seen by someone else");
  cp::IssuePersonTokenResponse fresh = Issue(ada_);
  EXPECT_FALSE(fresh.token_id().empty());
  EXPECT_EQ(fresh.issue_time().seconds(),
            revocation.tokens_valid_after().seconds() + 1);
  EXPECT_TRUE(WorksEverywhere(fresh.token()));

  // Recorded under Ada in both services: the lead team's call, and the
  // care plan service's to the directory on their behalf.
  EXPECT_EQ(
      Accesses("members/bob", "carebridge.careplan.v1.RevokePersonTokens", "OK")
          .size(),
      1u);
  std::vector<au::Access> asked = Accesses(
      "services/careplan", "carebridge.directory.v1.RevokePersonTokens", "OK");
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_THAT(asked[0].on_behalf_of(), HasSubstr("members/bob"));
}

TEST_F(PersonTokenRevocationTest, ThePersonSignsOutOneDeviceThenEverywhere) {
  const std::string phone = ada_token_;
  cp::IssuePersonTokenResponse laptop = Issue(ada_);
  cp::IssuePersonTokenResponse tablet = Issue(ada_);
  server_.clock().Advance(absl::Seconds(1));
  // Signing out the tablet, on the tablet, by the id it was issued with.
  grpc::Status status = Revoke(WithToken(tablet.token()), ada_,
                               /*reason=*/"", tablet.token_id());
  ASSERT_TRUE(status.ok()) << status.error_message();
  // The other devices carry on.
  EXPECT_TRUE(RefusedEverywhereSoon(tablet.token(), "the person signed out"));
  EXPECT_TRUE(WorksEverywhere(phone));
  EXPECT_TRUE(WorksEverywhere(laptop.token()));

  // Everywhere, asked of the directory itself, in her own words.
  directory::v1::RevokePersonTokensRequest everywhere;
  everywhere.set_name(ada_);
  everywhere.set_reason("I think someone has my password");
  directory::v1::PersonTokenRevocation revocation;
  status = directory_->RevokePersonTokens(WithToken(laptop.token()).get(),
                                          everywhere, &revocation);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(revocation.revoked_by(), ada_);
  EXPECT_TRUE(RefusedEverywhereSoon(laptop.token(), "someone has my password"));
  EXPECT_TRUE(RefusedEverywhereSoon(phone, "someone has my password"));
  EXPECT_TRUE(WorksEverywhere(Issue(ada_).token()));
}

TEST_F(PersonTokenRevocationTest, AnAdminEndsThem) {
  grpc::Status status = Revoke(server_.ContextAs(TestServer::Admin()), ada_,
                               "account compromised");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(RefusedEverywhereSoon(ada_token_, "account compromised"));
}

TEST_F(PersonTokenRevocationTest, AnyoneElseIsRefusedAuditedAndNothingChanges) {
  const std::string bea_token = Issue(bea_).token();
  // Not on the care team; on it but not leading; the lead team's manager;
  // another person.
  const Principal manager = TestServer::Manager(crisis_);
  const std::pair<std::string,
                  std::function<std::unique_ptr<grpc::ClientContext>()>>
      refused[] = {
          {"members/alice", [&] { return server_.ContextAs(alice_); }},
          {"members/val", [&] { return server_.ContextAs(val_); }},
          {manager.subject, [&] { return server_.ContextAs(manager); }},
          {bea_, [&] { return WithToken(bea_token); }},
      };
  for (const auto& [actor, context] : refused) {
    SCOPED_TRACE(actor);
    grpc::Status status = Revoke(context(), ada_, "because");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << status.error_message();
    EXPECT_EQ(Accesses(actor, "carebridge.careplan.v1.RevokePersonTokens",
                       "PERMISSION_DENIED")
                  .size(),
              1u);
    // Nor may they ask the directory directly.
    directory::v1::RevokePersonTokensRequest direct;
    direct.set_name(ada_);
    direct.set_reason("because");
    directory::v1::PersonTokenRevocation revocation;
    status =
        directory_->RevokePersonTokens(context().get(), direct, &revocation);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << status.error_message();
    EXPECT_EQ(Accesses(actor, "carebridge.directory.v1.RevokePersonTokens",
                       "PERMISSION_DENIED")
                  .size(),
              1u);
  }
  EXPECT_FALSE(AdaInDirectory().has_tokens_valid_after());
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(WorksEverywhere(ada_token_));
}

TEST_F(PersonTokenRevocationTest, BadInputNamesTheField) {
  auto expect_invalid = [](const grpc::Status& status, const char* field) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << field << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(field));
  };
  expect_invalid(Revoke(server_.ContextAs(bob_), ada_, ""), "reason");
  expect_invalid(Revoke(server_.ContextAs(bob_), ada_, std::string(501, 'r')),
                 "reason");
  expect_invalid(Revoke(WithToken(ada_token_), ada_, std::string(501, 'r')),
                 "reason");
  expect_invalid(Revoke(server_.ContextAs(bob_), ada_, "lost", "two words"),
                 "token_id");
  cp::RevokePersonTokensRequest unnamed;
  unnamed.set_name(ada_);
  unnamed.set_reason("lost");
  directory::v1::PersonTokenRevocation revocation;
  expect_invalid(careplan_->RevokePersonTokens(server_.ContextAs(bob_).get(),
                                               unnamed, &revocation),
                 "name");
  directory::v1::RevokePersonTokensRequest direct;
  direct.set_name(ada_ + "/carePlan");
  direct.set_reason("lost");
  expect_invalid(
      directory_->RevokePersonTokens(
          server_.ContextAs(TestServer::Admin()).get(), direct, &revocation),
      "name");
  direct.set_name(ada_);
  direct.clear_reason();
  expect_invalid(
      directory_->RevokePersonTokens(
          server_.ContextAs(TestServer::Admin()).get(), direct, &revocation),
      "reason");
  EXPECT_FALSE(AdaInDirectory().has_tokens_valid_after());
  EXPECT_TRUE(WorksEverywhere(ada_token_));
}

}  // namespace
}  // namespace carebridge::record::testing
