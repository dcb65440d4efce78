// The team inbox's handover items and withdrawn referrals: each goes to the
// team that has to act on it, and only there.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/record/record_test_fixture.h"

namespace carebridge::record::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Item {
  std::string type;
  v1::InboxItem item;
};

class RecordInboxTest : public RecordTest {
 protected:
  // `as`'s team's inbox, in order.
  std::vector<Item> InboxOf(const Principal& as) {
    std::vector<Item> items;
    for (const events::v1::Event& event : Inbox(as)) {
      Item& item = items.emplace_back();
      item.type = event.type();
      EXPECT_TRUE(event.payload().UnpackTo(&item.item));
    }
    return items;
  }
};

std::vector<std::string> Types(const std::vector<Item>& items) {
  std::vector<std::string> types;
  for (const Item& item : items) types.push_back(item.type);
  return types;
}

// Fay: the voluntary team took her on and hands her over to the crisis
// team (declined), to housing (cancelled before an answer), to housing
// again (accepted); the community team refers her to the crisis team and
// withdraws the referral.
TEST_F(RecordInboxTest, HandoverStepsAndWithdrawalsReachTheTeamThatActs) {
  const std::string fay = MakePerson("Fay");
  Accept(Refer(fay, voluntary_).name(), val_);
  ASSERT_TRUE(RecordShows(fay, 4));
  const std::string declined = HandOver(val_, fay, crisis_).name();
  DeclineHandover(declined, bob_);
  const std::string cancelled = HandOver(val_, fay, housing_).name();
  CancelHandover(cancelled, val_);
  const std::string accepted = HandOver(val_, fay, housing_).name();
  AcceptHandover(accepted, otto_);
  const std::string withdrawn = Refer(fay, crisis_).name();
  Withdraw(withdrawn, alice_);
  // Six handover steps, the housing team joining, two referral steps.
  ASSERT_TRUE(RecordShows(fay, 13));

  // The receiving team: what it was sent, and what it need not act on any
  // more.
  std::vector<Item> bobs = InboxOf(bob_);
  ASSERT_THAT(Types(bobs),
              ElementsAre("inbox.handover_received", "inbox.referral_received",
                          "inbox.referral_withdrawn"));
  EXPECT_EQ(bobs[0].item.resource(), declined);
  EXPECT_EQ(bobs[0].item.summary(), "Handover (shared care) sent by " +
                                        voluntary_ + " to " + crisis_ +
                                        " (urgent)");
  const v1::InboxItem& withdrawal = bobs[2].item;
  EXPECT_EQ(withdrawal.team(), crisis_);
  EXPECT_EQ(withdrawal.person(), fay);
  EXPECT_EQ(withdrawal.resource(), withdrawn);
  EXPECT_EQ(withdrawal.summary(), "Referral withdrawn by " + community_);
  EXPECT_THAT(withdrawal.entry(), HasSubstr(fay + "/timeline/referral-"));

  std::vector<Item> ottos = InboxOf(otto_);
  ASSERT_THAT(Types(ottos),
              ElementsAre("inbox.handover_received", "inbox.handover_cancelled",
                          "inbox.handover_received"));
  const v1::InboxItem& cancellation = ottos[1].item;
  EXPECT_EQ(cancellation.team(), housing_);
  EXPECT_EQ(cancellation.person(), fay);
  EXPECT_EQ(cancellation.resource(), cancelled);
  EXPECT_EQ(cancellation.summary(),
            "Handover (shared care) cancelled by " + voluntary_);
  EXPECT_THAT(cancellation.entry(), HasSubstr(fay + "/timeline/handover-"));
  EXPECT_EQ(ottos[2].item.resource(), accepted);

  // The sending team: the answers to what it sent, not its own steps.
  std::vector<Item> vals = InboxOf(val_);
  ASSERT_THAT(Types(vals),
              ElementsAre("inbox.referral_received", "inbox.handover_answered",
                          "inbox.handover_answered"));
  EXPECT_EQ(vals[1].item.team(), voluntary_);
  EXPECT_EQ(vals[1].item.person(), fay);
  EXPECT_EQ(vals[1].item.resource(), declined);
  EXPECT_EQ(vals[1].item.summary(),
            "Handover (shared care) declined by " + crisis_);
  EXPECT_EQ(vals[2].item.resource(), accepted);
  EXPECT_EQ(vals[2].item.summary(),
            "Handover (shared care) accepted by " + housing_);

  // The community team withdrew its referral itself: only the voluntary
  // team's answer to the first is news to it.
  EXPECT_THAT(Types(InboxOf(alice_)), ElementsAre("inbox.referral_answered"));
}

// A team's inbox is its own staff's: naming their own team reads it as
// leaving it out does; another team's is refused, as is any team for an
// admin or a service, and a malformed team; other feeds have no inboxes.
TEST_F(RecordInboxTest, ATeamsInboxIsReadByItsOwnStaffOnly) {
  const std::string gus = MakePerson("Gus");
  Refer(gus, crisis_);
  ASSERT_TRUE(RecordShows(gus, 2));
  auto subscribe = [&](const Principal& as, const std::string& team,
                       std::vector<events::v1::Event>* items) {
    events::v1::SubscribeRequest request;
    request.add_type_prefixes("inbox.");
    request.set_stop_when_caught_up(true);
    request.set_team(team);
    auto context = server_.ContextAs(as);
    auto reader = record_->Subscribe(context.get(), request);
    events::v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      for (const events::v1::Event& event : response.events()) {
        items->push_back(event);
      }
    }
    return reader->Finish();
  };
  std::vector<events::v1::Event> named;
  grpc::Status status = subscribe(bob_, crisis_, &named);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::vector<events::v1::Event> own = Inbox(bob_);
  ASSERT_EQ(named.size(), own.size());
  ASSERT_FALSE(named.empty());
  for (size_t i = 0; i < own.size(); ++i) {
    EXPECT_EQ(named[i].sequence(), own[i].sequence());
  }

  std::vector<events::v1::Event> none;
  status = subscribe(alice_, crisis_, &none);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(),
              HasSubstr(crisis_ + "'s inbox is its own staff's"));
  EXPECT_THAT(status.error_message(), HasSubstr(community_));
  for (const Principal& as :
       {Service(), carebridge::testing::TestServer::Admin()}) {
    status = subscribe(as, crisis_, &none);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << as.subject;
  }
  status = subscribe(bob_, "crisis", &none);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("team"));
  EXPECT_TRUE(none.empty());

  // The care plan feed has no inboxes.
  auto careplans = careplan::v1::CarePlanService::NewStub(server_.Channel());
  events::v1::SubscribeRequest request;
  request.set_team(crisis_);
  request.set_stop_when_caught_up(true);
  auto context = server_.ContextAs(bob_);
  auto reader = careplans->Subscribe(context.get(), request);
  events::v1::SubscribeResponse response;
  while (reader->Read(&response)) {
  }
  status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("team: only the record's"));
}

}  // namespace
}  // namespace carebridge::record::testing
