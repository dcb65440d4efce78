// Streaming reads are audited (issue 11): each subscription to a service's
// feed leaves a record in that service's log (who, team, role, the feed,
// from which sequence, the outcome) before its first response, refused
// subscriptions too; a member's stream also leaves a record under each
// person it carries events about, so it is listed among their accesses.

#include <grpcpp/support/sync_stream.h>

#include <memory>
#include <string>
#include <vector>

#include "carebridge/events/v1/events.pb.h"
#include "tests/audit/audit_detail_fixture.h"

namespace carebridge::record::testing {
namespace {

namespace au = ::carebridge::audit::v1;
namespace ev = ::carebridge::events::v1;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class FeedAuditTest : public AuditDetailTest {
 protected:
  static constexpr char kSubscribe[] = "carebridge.careplan.v1.Subscribe";

  // Subscribes to the care plan feed through `context` and reads the first
  // response (false when none came); the stream is cancelled after it.
  bool FirstResponse(std::unique_ptr<grpc::ClientContext> context,
                     const ev::SubscribeRequest& request,
                     ev::SubscribeResponse* first, grpc::Status* finished) {
    auto reader = careplan_->Subscribe(context.get(), request);
    const bool got = reader->Read(first);
    if (got) context->TryCancel();
    ev::SubscribeResponse rest;
    while (reader->Read(&rest)) {
    }
    *finished = reader->Finish();
    return got;
  }
};

TEST_F(FeedAuditTest, AMembersSubscriptionIsRecordedBeforeItsFirstResponse) {
  ev::SubscribeRequest request;
  request.set_after_sequence(0);
  request.add_type_prefixes("careplan.");
  ev::SubscribeResponse first;
  grpc::Status finished;
  ASSERT_TRUE(
      FirstResponse(server_.ContextAs(bob_), request, &first, &finished));
  ASSERT_GT(first.events_size(), 0);
  // Read at once: the record was durable before the response left.
  std::vector<AuditRecord> subscriptions =
      UnnamedRecords("careplan", bob_.subject, kSubscribe);
  ASSERT_THAT(subscriptions, SizeIs(1));
  const AuditRecord& record = subscriptions[0];
  EXPECT_EQ(record.team, crisis_);
  EXPECT_EQ(record.role, "clinician");
  EXPECT_EQ(record.resource, "feeds/careplan");
  EXPECT_EQ(record.sections, "events after sequence 0; types careplan.");
  EXPECT_EQ(record.outcome, "OK");

  // The stream carried Ada's plan: her accesses list it once, from the
  // first event about her.
  std::vector<au::Access> about_ada =
      By(AccessesTo(ada_), bob_.subject, kSubscribe);
  ASSERT_THAT(about_ada, SizeIs(1));
  int64_t first_about_ada = 0;
  for (const ev::Event& event : first.events()) {
    if (event.person() == ada_) {
      first_about_ada = event.sequence();
      break;
    }
  }
  ASSERT_GT(first_about_ada, 0);
  EXPECT_EQ(
      about_ada[0].sections(),
      absl::StrCat("events about the person from sequence ", first_about_ada));
  EXPECT_EQ(about_ada[0].log(), "careplan");
  EXPECT_EQ(about_ada[0].outcome(), "OK");

  // Another subscription is another record.
  ASSERT_TRUE(
      FirstResponse(server_.ContextAs(bob_), request, &first, &finished));
  EXPECT_THAT(UnnamedRecords("careplan", bob_.subject, kSubscribe), SizeIs(2));
  EXPECT_THAT(By(AccessesTo(ada_), bob_.subject, kSubscribe), SizeIs(2));
}

// A person the stream tells the member nothing about is not listed: the
// housing team is on nobody's care team and receives no care plan events.
TEST_F(FeedAuditTest, OnlyThePersonsAStreamCarriesAreListed) {
  ev::SubscribeRequest request;
  request.set_stop_when_caught_up(true);
  ev::SubscribeResponse first;
  grpc::Status finished;
  ASSERT_TRUE(
      FirstResponse(server_.ContextAs(otto_), request, &first, &finished));
  EXPECT_THAT(first.events(), IsEmpty());
  EXPECT_THAT(UnnamedRecords("careplan", otto_.subject, kSubscribe), SizeIs(1));
  EXPECT_THAT(By(AccessesTo(ada_), otto_.subject, kSubscribe), IsEmpty());
}

TEST_F(FeedAuditTest, RefusedSubscriptionsAreRecordedWithTheirCode) {
  ev::SubscribeRequest bad;
  bad.set_after_sequence(-1);
  ev::SubscribeResponse first;
  grpc::Status finished;
  EXPECT_FALSE(FirstResponse(server_.ContextAs(bob_), bad, &first, &finished));
  EXPECT_EQ(finished.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<AuditRecord> refused =
      UnnamedRecords("careplan", bob_.subject, kSubscribe);
  ASSERT_THAT(refused, SizeIs(1));
  EXPECT_EQ(refused[0].outcome, "INVALID_ARGUMENT");
  EXPECT_EQ(refused[0].sections, "events after sequence -1");

  EXPECT_FALSE(FirstResponse(server_.AnonymousContext(), ev::SubscribeRequest(),
                             &first, &finished));
  EXPECT_EQ(finished.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  std::vector<AuditRecord> anonymous =
      UnnamedRecords("careplan", "unauthenticated", kSubscribe);
  ASSERT_THAT(anonymous, SizeIs(1));
  EXPECT_EQ(anonymous[0].outcome, "UNAUTHENTICATED");
  EXPECT_EQ(anonymous[0].resource, "feeds/careplan");
}

// A service (a consumer keeping its own copy) leaves one record per
// subscription, none per person; a member's claim to act for someone else
// is not believed on a stream either.
TEST_F(FeedAuditTest, AServicesSubscriptionIsOneRecord) {
  ev::SubscribeRequest request;
  ev::SubscribeResponse first;
  grpc::Status finished;
  ASSERT_TRUE(
      FirstResponse(server_.ContextAs(Service()), request, &first, &finished));
  ASSERT_GT(first.events_size(), 0);
  std::vector<AuditRecord> subscriptions =
      UnnamedRecords("careplan", Service().subject, kSubscribe);
  ASSERT_THAT(subscriptions, SizeIs(1));
  EXPECT_EQ(subscriptions[0].role, "service");
  EXPECT_EQ(subscriptions[0].outcome, "OK");
  EXPECT_THAT(By(AccessesTo(ada_), Service().subject, kSubscribe), IsEmpty());

  auto claiming = server_.ContextAs(otto_);
  claiming->AddMetadata("x-carebridge-on-behalf-of", bob_.subject);
  claiming->AddMetadata("x-carebridge-on-behalf-of-role", "clinician");
  ASSERT_TRUE(FirstResponse(std::move(claiming), request, &first, &finished));
  std::vector<AuditRecord> otto =
      UnnamedRecords("careplan", otto_.subject, kSubscribe);
  ASSERT_THAT(otto, SizeIs(1));
  EXPECT_EQ(otto[0].on_behalf_of, "");
}

}  // namespace
}  // namespace carebridge::record::testing
