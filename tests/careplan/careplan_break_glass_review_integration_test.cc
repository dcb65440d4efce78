// The review of break-glass accesses (issue 11): the lead team or an admin
// records, once, whether opening the crisis plan was justified; the person
// and the lead team see the review with the access, the lead team is told on
// the feed, and whoever oversees access lists what is still unreviewed
// across persons.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/careplan/careplan_break_glass_fixture.h"

namespace carebridge::careplan {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kFound[] =
    "Spoke to Nina: Ada was found in crisis and the line had no other way "
    "to see what helps. Justified.";

class BreakGlassReviewTest : public CarePlanBreakGlassTest {
 protected:
  // Nina's access to Ada's plan.
  v1::BreakGlassAccess Opened() {
    v1::BreakGlassAccess access;
    grpc::Status status = Break(nina_, kReason, &access);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return access;
  }

  // The one access listed for Ada, as `as` sees it.
  v1::BreakGlassAccess ListedOne(const Principal& as) {
    v1::ListBreakGlassAccessesResponse listed;
    grpc::Status status = ListUnder(as, person_, false, &listed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_THAT(listed.accesses(), SizeIs(1)) << as.subject;
    return listed.accesses_size() == 1 ? listed.accesses(0)
                                       : v1::BreakGlassAccess();
  }

  // A second person whose plan the community team leads, opened by nina.
  std::string SecondPersonOpened() {
    const std::string ada = person_;
    const std::string ada_plan = plan_;
    person_ = MakePerson("Ben", "Adeyemi");
    plan_ = PlanName(person_);
    CreateRealisticPlan();
    Opened();
    const std::string ben = person_;
    person_ = ada;
    plan_ = ada_plan;
    return ben;
  }
};

TEST_F(BreakGlassReviewTest, TheLeadTeamReviewsOnceAndThePersonSeesIt) {
  const v1::BreakGlassAccess access = Opened();
  EXPECT_FALSE(ListedOne(alice_).has_review());
  server_.clock().Advance(absl::Hours(6));
  const absl::Time reviewed_at = server_.clock().Now();

  v1::BreakGlassAccess reviewed;
  ASSERT_GRPC_OK(Review(alice_, access.name(), v1::BreakGlassReview::JUSTIFIED,
                        kFound, &reviewed));
  EXPECT_EQ(reviewed.name(), access.name());
  EXPECT_EQ(reviewed.member(), nina_.subject);
  EXPECT_EQ(reviewed.reason(), kReason);
  EXPECT_FALSE(reviewed.has_crisis_plan()) << "a review shows no plan";
  EXPECT_EQ(reviewed.review().outcome(), v1::BreakGlassReview::JUSTIFIED);
  EXPECT_EQ(reviewed.review().reason(), kFound);
  EXPECT_EQ(reviewed.review().reviewer(), alice_.subject);
  EXPECT_EQ(reviewed.review().reviewer_team(), community_.name());
  EXPECT_EQ(FromProtoTimestamp(reviewed.review().review_time()), reviewed_at);

  // The person, the lead team and admins see it with the access.
  for (const Principal& as : {ada_, carol_, admin_}) {
    EXPECT_THAT(ListedOne(as), EqualsProto(reviewed)) << as.subject;
  }

  // The same review again (a retry) answers the review kept.
  server_.clock().Advance(absl::Minutes(1));
  v1::BreakGlassAccess again;
  ASSERT_GRPC_OK(Review(alice_, access.name(), v1::BreakGlassReview::JUSTIFIED,
                        kFound, &again));
  EXPECT_THAT(again, EqualsProto(reviewed));
  // Another review is refused, naming who reviewed it and when; nothing
  // changes.
  const int64_t head = FeedHead();
  for (const Principal& as : {carol_, admin_}) {
    grpc::Status status =
        Review(as, access.name(), v1::BreakGlassReview::NOT_JUSTIFIED,
               "Not justified.", &again);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << as.subject;
    EXPECT_THAT(status.error_message(), HasSubstr(alice_.subject));
    EXPECT_THAT(status.error_message(), HasSubstr("reviewed already"));
  }
  // Nor may the reviewer change her outcome.
  EXPECT_EQ(Review(alice_, access.name(), v1::BreakGlassReview::NOT_JUSTIFIED,
                   kFound, &again)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(ListedOne(ada_), EqualsProto(reviewed));
  EXPECT_EQ(FeedHead(), head);
}

TEST_F(BreakGlassReviewTest, AdminsReviewToo) {
  const v1::BreakGlassAccess access = Opened();
  v1::BreakGlassAccess reviewed;
  ASSERT_GRPC_OK(Review(admin_, access.name(),
                        v1::BreakGlassReview::NOT_JUSTIFIED,
                        "No emergency: a routine enquiry. Raised with the "
                        "out-of-hours service's manager.",
                        &reviewed));
  EXPECT_EQ(reviewed.review().reviewer(), admin_.subject);
  EXPECT_EQ(reviewed.review().reviewer_team(), "");
  EXPECT_EQ(reviewed.review().outcome(), v1::BreakGlassReview::NOT_JUSTIFIED);
  EXPECT_THAT(ListedOne(alice_), EqualsProto(reviewed));
}

TEST_F(BreakGlassReviewTest, OnlyTheLeadTeamAndAdminsReviewAndNeverTheOpener) {
  const v1::BreakGlassAccess access = Opened();
  // Bob's crisis team joins the care team but does not lead it.
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  const size_t from = AuditLog().size();
  const int64_t head = FeedHead();
  for (const Principal& as : {bob_, omar_, ada_, service_, val_}) {
    v1::BreakGlassAccess out;
    EXPECT_EQ(
        Review(as, access.name(), v1::BreakGlassReview::JUSTIFIED, kFound, &out)
            .error_code(),
        grpc::StatusCode::PERMISSION_DENIED)
        << as.subject;
  }
  // Nina's team becomes the lead: she still may not review her own access.
  MustAddTeam(alice_, out_of_hours_.name(), "out-of-hours cover");
  MustSetLead(alice_, out_of_hours_.name());
  v1::BreakGlassAccess out;
  grpc::Status own = Review(nina_, access.name(),
                            v1::BreakGlassReview::JUSTIFIED, kFound, &out);
  EXPECT_EQ(own.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(own.error_message(), HasSubstr("may not review it"));
  // Nor may the community team, no longer the lead.
  EXPECT_EQ(Review(alice_, access.name(), v1::BreakGlassReview::JUSTIFIED,
                   kFound, &out)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Omar, of the new lead team, may.
  ASSERT_GRPC_OK(Review(omar_, access.name(), v1::BreakGlassReview::JUSTIFIED,
                        kFound, &out));
  EXPECT_EQ(out.review().reviewer(), omar_.subject);

  // Every refusal is audited with the review's outcome and reason; the
  // refused changed nothing (the feed moved only for the care team and the
  // one review).
  std::vector<std::string> refused;
  for (const AuditRecord& record :
       Of(AuditLog(), "carebridge.careplan.v1.ReviewBreakGlassAccess")) {
    if (record.seq <= static_cast<int64_t>(from)) continue;
    EXPECT_EQ(record.resource, access.name());
    EXPECT_EQ(record.person, person_);
    EXPECT_EQ(record.reason,
              absl::StrCat("break-glass review, JUSTIFIED: ", kFound));
    refused.push_back(absl::StrCat(record.actor, " ", record.outcome));
  }
  EXPECT_THAT(refused, ElementsAre(bob_.subject + " PERMISSION_DENIED",
                                   omar_.subject + " PERMISSION_DENIED",
                                   person_ + " PERMISSION_DENIED",
                                   service_.subject + " PERMISSION_DENIED",
                                   val_.subject + " PERMISSION_DENIED",
                                   nina_.subject + " PERMISSION_DENIED",
                                   alice_.subject + " PERMISSION_DENIED",
                                   omar_.subject + " OK"));
  std::vector<std::string> types;
  for (const events::v1::Event& event : ReadFeed(service_, head)) {
    types.push_back(event.type());
  }
  EXPECT_THAT(types,
              ElementsAre("careplan.care_team_changed", "careplan.lead_changed",
                          "careplan.break_glass_reviewed"));
}

TEST_F(BreakGlassReviewTest, BadRequestsAreRefusedAndChangeNothing) {
  const v1::BreakGlassAccess access = Opened();
  const int64_t head = FeedHead();
  struct Bad {
    std::string name;
    v1::BreakGlassReview::Outcome outcome;
    std::string reason;
    grpc::StatusCode code;
    std::string says;
  };
  const std::string number = access.name().substr(access.name().rfind('/') + 1);
  const std::vector<Bad> bad = {
      {"", v1::BreakGlassReview::JUSTIFIED, kFound,
       grpc::StatusCode::INVALID_ARGUMENT, "name: must be set"},
      {person_ + "/carePlan", v1::BreakGlassReview::JUSTIFIED, kFound,
       grpc::StatusCode::INVALID_ARGUMENT, "name"},
      {person_ + "/breakGlassAccesses/0", v1::BreakGlassReview::JUSTIFIED,
       kFound, grpc::StatusCode::INVALID_ARGUMENT, "name"},
      {person_ + "/breakGlassAccesses/0" + number,
       v1::BreakGlassReview::JUSTIFIED, kFound,
       grpc::StatusCode::INVALID_ARGUMENT, "name"},
      {access.name(), v1::BreakGlassReview::OUTCOME_UNSPECIFIED, kFound,
       grpc::StatusCode::INVALID_ARGUMENT, "outcome: must be set"},
      {access.name(), static_cast<v1::BreakGlassReview::Outcome>(7), kFound,
       grpc::StatusCode::INVALID_ARGUMENT, "outcome"},
      {access.name(), v1::BreakGlassReview::JUSTIFIED, "",
       grpc::StatusCode::INVALID_ARGUMENT, "reason: must be set"},
      {access.name(), v1::BreakGlassReview::JUSTIFIED, std::string(501, 'x'),
       grpc::StatusCode::INVALID_ARGUMENT, "reason"},
      {person_ + "/breakGlassAccesses/999", v1::BreakGlassReview::JUSTIFIED,
       kFound, grpc::StatusCode::NOT_FOUND, "999"},
  };
  for (const Bad& one : bad) {
    v1::BreakGlassAccess out;
    grpc::Status status =
        Review(alice_, one.name, one.outcome, one.reason, &out);
    EXPECT_EQ(status.error_code(), one.code) << one.name << " " << one.says;
    EXPECT_THAT(status.error_message(), HasSubstr(one.says)) << one.name;
  }
  // Another person's number: not theirs to find.
  const std::string ben = SecondPersonOpened();
  v1::BreakGlassAccess out;
  EXPECT_EQ(Review(alice_, absl::StrCat(ben, "/breakGlassAccesses/", number),
                   v1::BreakGlassReview::JUSTIFIED, kFound, &out)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_FALSE(ListedOne(alice_).has_review());
  // Ben's plan and access are the only events since.
  EXPECT_THAT(ReadFeed(service_, head), SizeIs(2));

  // The longest reason is kept whole.
  const std::string longest(500, 'r');
  ASSERT_GRPC_OK(Review(alice_, access.name(), v1::BreakGlassReview::JUSTIFIED,
                        longest, &out));
  EXPECT_EQ(ListedOne(ada_).review().reason(), longest);
}

TEST_F(BreakGlassReviewTest, TheFeedTellsTheLeadTeamOfTheReview) {
  const v1::BreakGlassAccess access = Opened();
  const int64_t head = FeedHead();
  v1::BreakGlassAccess reviewed;
  ASSERT_GRPC_OK(Review(carol_, access.name(), v1::BreakGlassReview::JUSTIFIED,
                        kFound, &reviewed));
  std::vector<events::v1::Event> events = ReadFeed(alice_, head);
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].type(), "careplan.break_glass_reviewed");
  EXPECT_EQ(events[0].subject(), access.name());
  EXPECT_EQ(events[0].person(), person_);
  EXPECT_EQ(events[0].actor(), carol_.subject);
  EXPECT_THAT(events[0].teams(), ElementsAre(community_.name()));
  v1::BreakGlassAccess carried;
  ASSERT_TRUE(events[0].payload().UnpackTo(&carried));
  EXPECT_THAT(carried, EqualsProto(reviewed));
  // Nina's team is not on the care team; Bob's team is not told either.
  EXPECT_THAT(ReadFeed(nina_, head), IsEmpty());
  EXPECT_THAT(ReadFeed(bob_, head), IsEmpty());
}

// The lead team when the access is reviewed is told, not the one it was
// opened under: after a handover the new lead answers for who sees the
// person's plan, and the team that handed over (still on the care team)
// hears no more of it.
TEST_F(BreakGlassReviewTest, TheReviewIsToldToTheLeadTeamAtTheReview) {
  const v1::BreakGlassAccess access = Opened();
  EXPECT_EQ(access.lead_team(), community_.name());
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  const v1::CarePlan handed = MustSetLead(alice_, crisis_.name());
  bool community_stays = false;
  for (const v1::CareTeamMember& member : handed.care_team()) {
    community_stays |=
        member.team() == community_.name() && !member.has_end_time();
  }
  ASSERT_TRUE(community_stays) << "the old lead stays on the care team";
  const int64_t head = FeedHead();

  v1::BreakGlassAccess reviewed;
  ASSERT_GRPC_OK(Review(bob_, access.name(), v1::BreakGlassReview::JUSTIFIED,
                        kFound, &reviewed));
  std::vector<events::v1::Event> told = ReadFeed(bob_, head);
  ASSERT_THAT(told, SizeIs(1));
  EXPECT_EQ(told[0].type(), "careplan.break_glass_reviewed");
  EXPECT_THAT(told[0].teams(), ElementsAre(crisis_.name()));
  v1::BreakGlassAccess carried;
  ASSERT_TRUE(told[0].payload().UnpackTo(&carried));
  // The access still says whom it was opened under.
  EXPECT_EQ(carried.lead_team(), community_.name());
  EXPECT_THAT(ReadFeed(alice_, head), IsEmpty());
  EXPECT_THAT(ReadFeed(nina_, head), IsEmpty());
}

TEST_F(BreakGlassReviewTest, AnAdminsReviewIsToldToTheLeadTeamAtTheReview) {
  const v1::BreakGlassAccess access = Opened();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  MustSetLead(alice_, crisis_.name());
  const int64_t head = FeedHead();
  v1::BreakGlassAccess reviewed;
  ASSERT_GRPC_OK(Review(admin_, access.name(),
                        v1::BreakGlassReview::NOT_JUSTIFIED,
                        "Routine enquiry, not an emergency.", &reviewed));
  std::vector<events::v1::Event> told = ReadFeed(service_, head);
  ASSERT_THAT(told, SizeIs(1));
  EXPECT_THAT(told[0].teams(), ElementsAre(crisis_.name()));
  EXPECT_THAT(ReadFeed(bob_, head), SizeIs(1));
  EXPECT_THAT(ReadFeed(alice_, head), IsEmpty());
}

// Subscribing to `careplan.break_glass` asks for accesses, not their
// reviews: a prefix matches whole segments of the type.
TEST_F(BreakGlassReviewTest, ATypePrefixTellsAccessesFromReviews) {
  const int64_t head = FeedHead();
  const v1::BreakGlassAccess access = Opened();
  v1::BreakGlassAccess reviewed;
  ASSERT_GRPC_OK(Review(alice_, access.name(), v1::BreakGlassReview::JUSTIFIED,
                        kFound, &reviewed));
  auto types_read = [&](const std::vector<std::string>& prefixes) {
    events::v1::SubscribeRequest request;
    request.set_after_sequence(head);
    request.set_stop_when_caught_up(true);
    for (const std::string& prefix : prefixes) {
      request.add_type_prefixes(prefix);
    }
    auto context = server_.ContextAs(alice_);
    auto reader = stub_->Subscribe(context.get(), request);
    std::vector<std::string> types;
    events::v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      for (const events::v1::Event& event : response.events()) {
        types.push_back(event.type());
      }
    }
    grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return types;
  };
  EXPECT_THAT(types_read({"careplan.break_glass"}),
              ElementsAre("careplan.break_glass"));
  EXPECT_THAT(types_read({"careplan.break_glass_reviewed"}),
              ElementsAre("careplan.break_glass_reviewed"));
  EXPECT_THAT(
      types_read({"careplan."}),
      ElementsAre("careplan.break_glass", "careplan.break_glass_reviewed"));
}

TEST_F(BreakGlassReviewTest, AdminsListWhatIsUnreviewedAcrossPersons) {
  const v1::BreakGlassAccess ada_access = Opened();
  const std::string ben = SecondPersonOpened();
  server_.clock().Advance(absl::Minutes(5));
  Opened();

  // Page by page, newest first, every person's.
  std::vector<std::string> persons;
  std::string token;
  do {
    v1::ListBreakGlassAccessesResponse page;
    ASSERT_GRPC_OK(ListUnder(admin_, "persons/-", true, &page, 1, token));
    for (const v1::BreakGlassAccess& a : page.accesses()) {
      persons.push_back(a.person());
      EXPECT_THAT(a.name(), HasSubstr(a.person() + "/breakGlassAccesses/"));
    }
    token = page.next_page_token();
  } while (!token.empty());
  EXPECT_THAT(persons, ElementsAre(person_, ben, person_));

  v1::BreakGlassAccess out;
  ASSERT_GRPC_OK(Review(alice_, ada_access.name(),
                        v1::BreakGlassReview::JUSTIFIED, kFound, &out));
  v1::ListBreakGlassAccessesResponse unreviewed;
  ASSERT_GRPC_OK(ListUnder(admin_, "persons/-", true, &unreviewed));
  ASSERT_THAT(unreviewed.accesses(), SizeIs(2));
  EXPECT_EQ(unreviewed.accesses(0).person(), person_);
  EXPECT_EQ(unreviewed.accesses(1).person(), ben);
  v1::ListBreakGlassAccessesResponse all;
  ASSERT_GRPC_OK(ListUnder(admin_, "persons/-", false, &all));
  EXPECT_THAT(all.accesses(), SizeIs(3));
  // Per person too.
  ASSERT_GRPC_OK(ListUnder(alice_, person_, true, &unreviewed));
  ASSERT_THAT(unreviewed.accesses(), SizeIs(1));
  EXPECT_NE(unreviewed.accesses(0).name(), ada_access.name());

  // Only admins and services list across persons.
  for (const Principal& as : {alice_, ada_}) {
    v1::ListBreakGlassAccessesResponse refused;
    EXPECT_EQ(ListUnder(as, "persons/-", true, &refused).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << as.subject;
  }
  // A page token is bound to the filter it was issued with.
  v1::ListBreakGlassAccessesResponse first;
  ASSERT_GRPC_OK(ListUnder(admin_, "persons/-", true, &first, 1));
  ASSERT_NE(first.next_page_token(), "");
  v1::ListBreakGlassAccessesResponse other;
  grpc::Status mismatched =
      ListUnder(admin_, "persons/-", false, &other, 1, first.next_page_token());
  EXPECT_EQ(mismatched.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(mismatched.error_message(), HasSubstr("page_token"));

  // The admin's list is in each listed person's record of who looked.
  bool ada_told = false, ben_told = false;
  for (const AuditRecord& record :
       Of(AuditLog(), "carebridge.careplan.v1.ListBreakGlassAccesses")) {
    if (record.actor != admin_.subject) continue;
    ada_told |= record.person == person_;
    ben_told |= record.person == ben;
    // persons/- is nobody's: no record is filed under it.
    EXPECT_NE(record.person, "persons/-");
  }
  EXPECT_TRUE(ada_told);
  EXPECT_TRUE(ben_told);
}

}  // namespace
}  // namespace carebridge::careplan
