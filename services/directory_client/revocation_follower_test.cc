#include "services/directory_client/revocation_follower.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "carebridge/directory/v1/person_tokens.pb.h"
#include "services/common/time_util.h"
#include "services/common/token.h"
#include "tests/support/eventually.h"

namespace carebridge::directory_client {
namespace {

using events::v1::Event;
using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;
using ::testing::HasSubstr;

Principal Staff(const std::string& subject, absl::Time issued) {
  Principal principal;
  principal.subject = subject;
  principal.team = "teams/north";
  principal.role = Role::kClinician;
  principal.issue_time = issued;
  principal.expire_time = issued + absl::Hours(8);
  principal.token_id = "t-" + subject;
  return principal;
}

Event MemberEvent(const std::string& type, directory::v1::Member member,
                  int64_t sequence) {
  Event event;
  event.set_type(type);
  event.set_sequence(sequence);
  event.set_subject(member.name());
  event.mutable_payload()->PackFrom(member);
  return event;
}

class ApplyTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  TokenRevocations revocations_{&clock_};
};

// A feed read long after the fact (a process started today) judges tokens
// by the times the feed carries, not by when it is read: a token issued
// after a reactivation stands, those from before the deactivation do not.
TEST_F(ApplyTest, AReplayedFeedJudgesByTheTimesItCarries) {
  const absl::Time t0 = clock_.Now();
  directory::v1::Member sam;
  sam.set_name("members/sam");
  sam.set_state(directory::v1::DEACTIVATED);
  sam.set_state_reason("suspended");
  *sam.mutable_tokens_valid_after() = ToProtoTimestamp(t0 + absl::Hours(1));
  sam.set_tokens_valid_after_reason("suspended");
  const Event deactivated = MemberEvent("member.deactivated", sam, 1);
  sam.set_state(directory::v1::ACTIVE);
  sam.clear_state_reason();
  const Event reactivated = MemberEvent("member.reactivated", sam, 2);

  clock_.Advance(absl::Hours(5));  // read now, hours later
  RevocationFollower::Apply(deactivated, &revocations_);
  absl::Status during =
      revocations_.Check(Staff("members/sam", t0 + absl::Hours(2)));
  EXPECT_TRUE(absl::IsUnauthenticated(during)) << during;
  EXPECT_THAT(during.message(), HasSubstr("suspended"));
  RevocationFollower::Apply(reactivated, &revocations_);
  EXPECT_TRUE(
      revocations_.Check(Staff("members/sam", t0 + absl::Hours(2))).ok());
  EXPECT_FALSE(
      revocations_.Check(Staff("members/sam", t0 + absl::Minutes(30))).ok());
  // Nobody else is touched.
  EXPECT_TRUE(revocations_.Check(Staff("members/kim", t0)).ok());
}

TEST_F(ApplyTest, ATokenRevokedByIdIsRefusedNamingWhenAndWhy) {
  directory::v1::TokenRevocation revoked;
  revoked.set_member("members/sam");
  revoked.set_token_id("t-members/sam");
  revoked.set_reason("left on a shared PC");
  *revoked.mutable_revoke_time() = ToProtoTimestamp(clock_.Now());
  *revoked.mutable_expire_time() =
      ToProtoTimestamp(clock_.Now() + absl::Hours(24));
  Event event;
  event.set_type("token.revoked");
  event.mutable_payload()->PackFrom(revoked);
  clock_.Advance(absl::Hours(1));
  RevocationFollower::Apply(event, &revocations_);
  absl::Status refused =
      revocations_.Check(Staff("members/sam", clock_.Now() - absl::Hours(2)));
  EXPECT_TRUE(absl::IsUnauthenticated(refused)) << refused;
  EXPECT_THAT(refused.message(), HasSubstr("left on a shared PC"));
  EXPECT_THAT(refused.message(), HasSubstr("2026-01-01T00:00:00Z"));
  EXPECT_EQ(revocations_.revoked_tokens(), 1u);
}

Event PersonTokensEvent(const directory::v1::PersonTokenRevocation& revoked) {
  Event event;
  event.set_type("person_tokens.revoked");
  event.set_subject(revoked.person());
  event.mutable_payload()->PackFrom(revoked);
  return event;
}

Principal PersonToken(const std::string& person, const std::string& id,
                      absl::Time issued) {
  Principal principal;
  principal.subject = person;
  principal.role = Role::kPerson;
  principal.issue_time = issued;
  principal.expire_time = issued + absl::Hours(24 * 30);
  principal.token_id = id;
  return principal;
}

// A person's own tokens ended all at once: those issued before stop, with
// the reason; one issued after stands, and nobody else is touched.
TEST_F(ApplyTest, APersonsTokensEndedAllAtOnce) {
  const absl::Time t0 = clock_.Now();
  directory::v1::PersonTokenRevocation revoked;
  revoked.set_person("persons/p1");
  revoked.set_reason("phone lost");
  *revoked.mutable_revoke_time() = ToProtoTimestamp(t0);
  *revoked.mutable_tokens_valid_after() = ToProtoTimestamp(t0);
  clock_.Advance(absl::Hours(1));
  RevocationFollower::Apply(PersonTokensEvent(revoked), &revocations_);
  absl::Status refused =
      revocations_.Check(PersonToken("persons/p1", "a", t0 - absl::Seconds(1)));
  EXPECT_TRUE(absl::IsUnauthenticated(refused)) << refused;
  EXPECT_THAT(refused.message(), HasSubstr("phone lost"));
  EXPECT_TRUE(revocations_.Check(PersonToken("persons/p1", "b", t0)).ok());
  EXPECT_TRUE(
      revocations_.Check(PersonToken("persons/p2", "c", t0 - absl::Hours(1)))
          .ok());
}

// One token of a person ended by its id: that token of that person alone.
TEST_F(ApplyTest, OnePersonTokenEndedByItsId) {
  const absl::Time t0 = clock_.Now();
  directory::v1::PersonTokenRevocation revoked;
  revoked.set_person("persons/p1");
  revoked.set_token_id("phone");
  revoked.set_reason("the person signed out");
  *revoked.mutable_revoke_time() = ToProtoTimestamp(t0);
  *revoked.mutable_expire_time() = ToProtoTimestamp(t0 + absl::Hours(24));
  RevocationFollower::Apply(PersonTokensEvent(revoked), &revocations_);
  const absl::Time issued = t0 - absl::Hours(1);
  absl::Status refused =
      revocations_.Check(PersonToken("persons/p1", "phone", issued));
  EXPECT_TRUE(absl::IsUnauthenticated(refused)) << refused;
  EXPECT_THAT(refused.message(), HasSubstr("the person signed out"));
  EXPECT_TRUE(
      revocations_.Check(PersonToken("persons/p1", "laptop", issued)).ok());
  // Another subject's token of the same id is not theirs to end.
  EXPECT_TRUE(revocations_.Check(Staff("members/sam", issued)).ok());
  Principal same_id = Staff("members/sam", issued);
  same_id.token_id = "phone";
  EXPECT_TRUE(revocations_.Check(same_id).ok());
}

// The member events keep who signs in as whom: created with an email, a
// new team and role, a changed email, deactivation.
TEST_F(ApplyTest, MemberEventsKeepTheMemberIndex) {
  MemberIndex members;
  directory::v1::Member ada;
  ada.set_name("members/ada");
  ada.set_team("teams/north");
  ada.set_role(directory::v1::CLINICIAN);
  ada.set_email("Ada@Example.nhs.uk");
  RevocationFollower::Apply(MemberEvent("member.created", ada, 1),
                            &revocations_, &members);
  absl::StatusOr<MemberIndex::Member> found =
      members.Find("ada@example.nhs.uk");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->name, "members/ada");
  EXPECT_EQ(found->team, "teams/north");
  EXPECT_EQ(found->role, Role::kClinician);
  EXPECT_TRUE(found->active);

  ada.set_team("teams/south");
  ada.set_role(directory::v1::TEAM_MANAGER);
  ada.set_email("ada.l@example.nhs.uk");
  RevocationFollower::Apply(MemberEvent("member.updated", ada, 2),
                            &revocations_, &members);
  EXPECT_TRUE(absl::IsNotFound(members.Find("ada@example.nhs.uk").status()));
  found = members.Find("ada.l@example.nhs.uk");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->team, "teams/south");
  EXPECT_EQ(found->role, Role::kTeamManager);

  ada.set_state(directory::v1::DEACTIVATED);
  RevocationFollower::Apply(MemberEvent("member.deactivated", ada, 3),
                            &revocations_, &members);
  found = members.Find("members/ada");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->active);
  EXPECT_EQ(members.size(), 1u);
}

// A stream of scripted responses, then an end.
class ScriptedReader : public grpc::ClientReaderInterface<SubscribeResponse> {
 public:
  explicit ScriptedReader(std::deque<SubscribeResponse> responses)
      : responses_(std::move(responses)) {}
  void WaitForInitialMetadata() override {}
  bool NextMessageSize(uint32_t* size) override {
    *size = 0;
    return !responses_.empty();
  }
  bool Read(SubscribeResponse* response) override {
    if (responses_.empty()) return false;
    *response = responses_.front();
    responses_.pop_front();
    return true;
  }
  grpc::Status Finish() override {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "scripted end");
  }

 private:
  std::deque<SubscribeResponse> responses_;
};

SubscribeResponse Batch(std::vector<Event> events, int64_t through,
                        int64_t head, const std::string& epoch) {
  SubscribeResponse response;
  for (Event& event : events) *response.add_events() = std::move(event);
  response.set_through_sequence(through);
  response.set_head_sequence(head);
  response.set_epoch(epoch);
  return response;
}

// The follower keeps its place across reconnects, marks the revocations
// known only once caught up, and asks for member. and token. events only.
TEST(RevocationFollowerTest, StaffWaitUntilCaughtUpThenThePlaceIsKept) {
  FakeClock clock;
  TokenSigner signer(std::string(32, 'k'));
  ServiceCredentials credentials("services/test", &signer, &clock);
  TokenRevocations revocations(&clock);
  directory::v1::Member sam;
  sam.set_name("members/sam");
  *sam.mutable_tokens_valid_after() = ToProtoTimestamp(clock.Now());

  absl::Mutex mu;
  std::vector<SubscribeRequest> asked;
  RevocationFollower::Options fast;
  fast.min_backoff = absl::Milliseconds(1);
  fast.max_backoff = absl::Milliseconds(5);
  RevocationFollower follower(
      [&](grpc::ClientContext*, const SubscribeRequest& request)
          -> std::unique_ptr<grpc::ClientReaderInterface<SubscribeResponse>> {
        absl::MutexLock lock(&mu);
        asked.push_back(request);
        std::deque<SubscribeResponse> script;
        if (asked.size() == 1) {
          // Part of the feed, then the connection drops.
          script.push_back(Batch({}, 10, 20, "e1"));
        } else if (asked.size() == 2) {
          script.push_back(Batch(
              {MemberEvent("member.tokens_revoked", sam, 15)}, 20, 20, "e1"));
        }
        return std::make_unique<ScriptedReader>(std::move(script));
      },
      &credentials, &revocations, nullptr, fast);
  const Principal old = Staff("members/sam", clock.Now() - absl::Hours(1));
  absl::Status waiting = revocations.Check(old);
  EXPECT_TRUE(absl::IsUnavailable(waiting)) << waiting;
  EXPECT_THAT(waiting.message(), HasSubstr("directory's feed"));
  Principal service;
  service.subject = "services/referral";
  service.role = Role::kService;
  EXPECT_TRUE(revocations.Check(service).ok());

  follower.Start();
  ASSERT_TRUE(follower.AwaitCaughtUp(absl::Seconds(10)));
  EXPECT_TRUE(revocations.known());
  EXPECT_TRUE(absl::IsUnauthenticated(revocations.Check(old)));
  follower.Stop();
  absl::MutexLock lock(&mu);
  ASSERT_GE(asked.size(), 2u);
  EXPECT_EQ(asked[0].after_sequence(), 0);
  EXPECT_EQ(asked[1].after_sequence(), 10);
  EXPECT_THAT(asked[0].type_prefixes(),
              ::testing::ElementsAre("member.", "token.revoked",
                                     "person_tokens.revoked"));
  // Later reconnects go on from where it stood.
  if (asked.size() > 2) {
    EXPECT_EQ(asked[2].after_sequence(), 20);
  }
}

// A feed from another database is read again from its start.
TEST(RevocationFollowerTest, AnotherDatabaseIsReadFromItsStart) {
  FakeClock clock;
  TokenSigner signer(std::string(32, 'k'));
  ServiceCredentials credentials("services/test", &signer, &clock);
  TokenRevocations revocations(&clock);
  absl::Mutex mu;
  std::vector<int64_t> asked;
  RevocationFollower::Options fast;
  fast.min_backoff = absl::Milliseconds(1);
  fast.max_backoff = absl::Milliseconds(5);
  RevocationFollower follower(
      [&](grpc::ClientContext*, const SubscribeRequest& request)
          -> std::unique_ptr<grpc::ClientReaderInterface<SubscribeResponse>> {
        absl::MutexLock lock(&mu);
        asked.push_back(request.after_sequence());
        std::deque<SubscribeResponse> script;
        if (asked.size() == 1) script.push_back(Batch({}, 30, 30, "old"));
        if (asked.size() == 2) script.push_back(Batch({}, 30, 30, "new"));
        return std::make_unique<ScriptedReader>(std::move(script));
      },
      &credentials, &revocations, nullptr, fast);
  follower.Start();
  ASSERT_TRUE(testing::Eventually([&] {
    absl::MutexLock lock(&mu);
    return asked.size() >= 3;
  }));
  follower.Stop();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(asked[0], 0);
  EXPECT_EQ(asked[1], 30);
  EXPECT_EQ(asked[2], 0);
}

}  // namespace
}  // namespace carebridge::directory_client
