#include "services/handover/handover_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "tests/support/status_matchers.h"

namespace carebridge::handover {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A create that passes every check.
v1::CreateHandoverRequest ValidCreate() {
  v1::CreateHandoverRequest request;
  v1::Handover* h = request.mutable_handover();
  h->set_person("persons/p1");
  h->set_receiving_team("teams/cmht");
  h->set_kind(v1::TRANSFER_OF_RESPONSIBILITY);
  h->set_urgency(referral::v1::URGENT);
  h->set_situation("Settled after three nights with the crisis team.");
  h->set_background("Known to the CMHT; crisis after a bereavement.");
  h->set_assessment("Low immediate risk; sleeping again; what helps: walks.");
  h->set_recommendation("Care coordinator visit within 72 hours.");
  h->set_illness_severity(v1::WATCHER);
  v1::HandoverAction* action = h->add_actions();
  action->set_description("Home visit");
  action->set_owning_team("teams/cmht");
  action->mutable_due_time()->set_seconds(1767225600);
  v1::Contingency* contingency = h->add_contingencies();
  contingency->set_if_this("Stops sleeping again");
  contingency->set_then_do("Call the crisis line the same day");
  request.set_request_id("req-1");
  return request;
}

struct CreateCase {
  std::string name;
  std::function<void(v1::CreateHandoverRequest&)> change;
  // The error message starts with this (the field it names).
  std::string message_prefix;
};

class CreateValidationTest : public ::testing::TestWithParam<CreateCase> {};

TEST_P(CreateValidationTest, NamesTheField) {
  v1::CreateHandoverRequest request = ValidCreate();
  GetParam().change(request);
  EXPECT_THAT(ValidateCreate(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith(GetParam().message_prefix)));
}

v1::Handover& H(v1::CreateHandoverRequest& r) { return *r.mutable_handover(); }

INSTANTIATE_TEST_SUITE_P(
    EveryFieldAndLimit, CreateValidationTest,
    ::testing::ValuesIn(std::vector<CreateCase>{
        {"NoHandover", [](auto& r) { r.clear_handover(); },
         "handover: must be set"},
        {"NoPerson", [](auto& r) { H(r).clear_person(); },
         "handover.person: must be set"},
        {"BadPerson", [](auto& r) { H(r).set_person("teams/p1"); },
         "handover.person: "},
        {"NoReceivingTeam", [](auto& r) { H(r).clear_receiving_team(); },
         "handover.receiving_team: must be set"},
        {"BadReceivingTeam",
         [](auto& r) { H(r).set_receiving_team("persons/x"); },
         "handover.receiving_team: "},
        {"NoKind", [](auto& r) { H(r).clear_kind(); },
         "handover.kind: must be set"},
        {"UnknownKind",
         [](auto& r) { H(r).set_kind(static_cast<v1::Kind>(9)); },
         "handover.kind: unknown value 9"},
        {"NoUrgency", [](auto& r) { H(r).clear_urgency(); },
         "handover.urgency: must be set"},
        {"UnknownUrgency",
         [](auto& r) {
           H(r).set_urgency(static_cast<referral::v1::Urgency>(7));
         },
         "handover.urgency: unknown value 7"},
        {"NoSituation", [](auto& r) { H(r).clear_situation(); },
         "handover.situation: must be set"},
        {"BlankSituation", [](auto& r) { H(r).set_situation(" \n\t "); },
         "handover.situation: must be set"},
        {"LongSituation",
         [](auto& r) { H(r).set_situation(std::string(4001, 's')); },
         "handover.situation: must be at most 4000"},
        {"LongBackground",
         [](auto& r) { H(r).set_background(std::string(4001, 'b')); },
         "handover.background: must be at most 4000"},
        {"NoAssessment", [](auto& r) { H(r).clear_assessment(); },
         "handover.assessment: must be set"},
        {"LongAssessment",
         [](auto& r) { H(r).set_assessment(std::string(4001, 'a')); },
         "handover.assessment: must be at most 4000"},
        {"NoRecommendation", [](auto& r) { H(r).clear_recommendation(); },
         "handover.recommendation: must be set"},
        {"LongRecommendation",
         [](auto& r) { H(r).set_recommendation(std::string(4001, 'r')); },
         "handover.recommendation: must be at most 4000"},
        {"NoIllnessSeverity", [](auto& r) { H(r).clear_illness_severity(); },
         "handover.illness_severity: must be set"},
        {"UnknownIllnessSeverity",
         [](auto& r) {
           H(r).set_illness_severity(static_cast<v1::IllnessSeverity>(8));
         },
         "handover.illness_severity: unknown value 8"},
        {"TooManyActions",
         [](auto& r) {
           while (H(r).actions_size() <= 50)
             *H(r).add_actions() = H(r).actions(0);
         },
         "handover.actions: must have at most 50"},
        {"ActionWithoutDescription",
         [](auto& r) { H(r).mutable_actions(0)->clear_description(); },
         "handover.actions[0].description: must be set"},
        {"LongActionDescription",
         [](auto& r) {
           H(r).mutable_actions(0)->set_description(std::string(2001, 'd'));
         },
         "handover.actions[0].description: must be at most 2000"},
        {"ActionWithoutOwningTeam",
         [](auto& r) {
           *H(r).add_actions() = H(r).actions(0);
           H(r).mutable_actions(1)->clear_owning_team();
         },
         "handover.actions[1].owning_team: must be set"},
        {"ActionWithBadOwningTeam",
         [](auto& r) { H(r).mutable_actions(0)->set_owning_team("teams/"); },
         "handover.actions[0].owning_team: "},
        {"ActionWithImpossibleDueTime",
         [](auto& r) {
           H(r).mutable_actions(0)->mutable_due_time()->set_nanos(-1);
         },
         "handover.actions[0].due_time: is not a valid time"},
        {"ActionDueAfterYear9999",
         [](auto& r) {
           H(r).mutable_actions(0)->mutable_due_time()->set_seconds(
               253402300800);
         },
         "handover.actions[0].due_time: is not a valid time"},
        {"TooManyContingencies",
         [](auto& r) {
           while (H(r).contingencies_size() <= 20) {
             *H(r).add_contingencies() = H(r).contingencies(0);
           }
         },
         "handover.contingencies: must have at most 20"},
        {"ContingencyWithoutIf",
         [](auto& r) { H(r).mutable_contingencies(0)->clear_if_this(); },
         "handover.contingencies[0].if_this: must be set"},
        {"LongContingencyIf",
         [](auto& r) {
           H(r).mutable_contingencies(0)->set_if_this(std::string(2001, 'i'));
         },
         "handover.contingencies[0].if_this: must be at most 2000"},
        {"ContingencyWithoutThen",
         [](auto& r) { H(r).mutable_contingencies(0)->clear_then_do(); },
         "handover.contingencies[0].then_do: must be set"},
        {"LongContingencyThen",
         [](auto& r) {
           H(r).mutable_contingencies(0)->set_then_do(std::string(2001, 't'));
         },
         "handover.contingencies[0].then_do: must be at most 2000"},
        {"NegativeCarePlanVersion",
         [](auto& r) { H(r).set_care_plan_version(-1); },
         "handover.care_plan_version: must not be negative"},
        {"LongRequestId",
         [](auto& r) { r.set_request_id(std::string(65, 'q')); },
         "request_id: "},
        {"UnprintableRequestId", [](auto& r) { r.set_request_id("a\nb"); },
         "request_id: "},
    }),
    [](const auto& info) { return info.param.name; });

TEST(ValidateCreateTest, ValidRequestPasses) {
  EXPECT_THAT(ValidateCreate(ValidCreate()), IsOk());
}

TEST(ValidateCreateTest, LimitsAreInclusive) {
  v1::CreateHandoverRequest request = ValidCreate();
  v1::Handover& h = H(request);
  h.set_situation(std::string(4000, 's'));
  h.set_background(std::string(4000, 'b'));
  h.set_assessment(std::string(4000, 'a'));
  h.set_recommendation(std::string(4000, 'r'));
  h.mutable_actions(0)->set_description(std::string(2000, 'd'));
  while (h.actions_size() < 50) *h.add_actions() = h.actions(0);
  h.mutable_contingencies(0)->set_if_this(std::string(2000, 'i'));
  h.mutable_contingencies(0)->set_then_do(std::string(2000, 't'));
  while (h.contingencies_size() < 20)
    *h.add_contingencies() = h.contingencies(0);
  request.set_request_id(std::string(64, 'q'));
  EXPECT_THAT(ValidateCreate(request), IsOk());
}

TEST(ValidateCreateTest, OptionalPartsMayBeLeftOut) {
  v1::CreateHandoverRequest request = ValidCreate();
  H(request).clear_background();
  H(request).clear_actions();
  H(request).clear_contingencies();
  request.clear_request_id();
  EXPECT_THAT(ValidateCreate(request), IsOk());
}

TEST(ValidateCreateTest, ActionsNeedNoDueTime) {
  v1::CreateHandoverRequest request = ValidCreate();
  H(request).mutable_actions(0)->clear_due_time();
  EXPECT_THAT(ValidateCreate(request), IsOk());
}

TEST(ValidateGetTest, NeedsAHandoverName) {
  v1::GetHandoverRequest request;
  EXPECT_THAT(ValidateGet(request), StatusIs(absl::StatusCode::kInvalidArgument,
                                             "name: must be set"));
  request.set_name("referrals/r1");
  EXPECT_THAT(ValidateGet(request), StatusIs(absl::StatusCode::kInvalidArgument,
                                             StartsWith("name:")));
  request.set_name("handovers/h1");
  EXPECT_THAT(ValidateGet(request), IsOk());
}

v1::ListHandoversRequest ValidList() {
  v1::ListHandoversRequest request;
  request.set_mailbox(v1::INBOX);
  request.add_states(v1::PENDING);
  request.set_person("persons/p1");
  request.set_page_size(10);
  return request;
}

TEST(ValidateListTest, ValidRequestPasses) {
  EXPECT_THAT(ValidateList(ValidList()), IsOk());
}

TEST(ValidateListTest, NeedsAKnownMailbox) {
  v1::ListHandoversRequest request = ValidList();
  request.clear_mailbox();
  EXPECT_THAT(
      ValidateList(request),
      StatusIs(absl::StatusCode::kInvalidArgument, "mailbox: must be set"));
  request.set_mailbox(static_cast<v1::Mailbox>(5));
  EXPECT_THAT(ValidateList(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("mailbox: unknown value 5")));
}

TEST(ValidateListTest, StatesAreKnownAndAtMostFour) {
  v1::ListHandoversRequest request = ValidList();
  request.add_states(v1::STATE_UNSPECIFIED);
  EXPECT_THAT(
      ValidateList(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("states: ")));
  request = ValidList();
  request.add_states(static_cast<v1::State>(12));
  EXPECT_THAT(
      ValidateList(request),
      StatusIs(absl::StatusCode::kInvalidArgument, "states: unknown state 12"));
  request = ValidList();
  for (int i = 0; i < 4; ++i) request.add_states(v1::ACCEPTED);
  EXPECT_THAT(ValidateList(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("states: must have at most 4")));
}

TEST(ValidateListTest, PersonAndPageSizeAreChecked) {
  v1::ListHandoversRequest request = ValidList();
  request.set_person("people/p1");
  EXPECT_THAT(
      ValidateList(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("person: ")));
  request = ValidList();
  request.set_page_size(-1);
  EXPECT_THAT(
      ValidateList(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_size: ")));
}

v1::AcceptHandoverRequest ValidAccept() {
  v1::AcceptHandoverRequest request;
  request.set_name("handovers/h1");
  request.set_etag("3");
  request.mutable_read_back()->set_summary("Settled; sleeping; walks help.");
  request.mutable_read_back()->add_actions_taken_on("Home visit this week");
  request.set_note("Taken on by Sam.");
  return request;
}

TEST(ValidateAcceptTest, ValidRequestPasses) {
  EXPECT_THAT(ValidateAccept(ValidAccept()), IsOk());
  v1::AcceptHandoverRequest bare;
  bare.set_name("handovers/h1");
  EXPECT_THAT(ValidateAccept(bare), IsOk());
}

TEST(ValidateAcceptTest, ChecksNameEtagAndNote) {
  v1::AcceptHandoverRequest request = ValidAccept();
  request.clear_name();
  EXPECT_THAT(
      ValidateAccept(request),
      StatusIs(absl::StatusCode::kInvalidArgument, "name: must be set"));
  request = ValidAccept();
  request.set_etag(std::string(65, 'e'));
  EXPECT_THAT(
      ValidateAccept(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("etag:")));
  request = ValidAccept();
  request.set_note(std::string(2001, 'n'));
  EXPECT_THAT(ValidateAccept(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("note: must be at most 2000")));
}

TEST(ValidateAcceptTest, ChecksTheReadBackWhenGiven) {
  v1::AcceptHandoverRequest request = ValidAccept();
  request.mutable_read_back()->set_summary(std::string(4001, 's'));
  EXPECT_THAT(ValidateAccept(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("read_back.summary: must be at most 4000")));
  request = ValidAccept();
  request.mutable_read_back()->add_actions_taken_on("  ");
  EXPECT_THAT(ValidateAccept(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "read_back.actions_taken_on[1]: must be set"));
  request = ValidAccept();
  request.mutable_read_back()->set_actions_taken_on(0, std::string(2001, 'a'));
  EXPECT_THAT(
      ValidateAccept(request),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          StartsWith("read_back.actions_taken_on[0]: must be at most 2000")));
  request = ValidAccept();
  while (request.read_back().actions_taken_on_size() <= 50) {
    request.mutable_read_back()->add_actions_taken_on("More");
  }
  EXPECT_THAT(ValidateAccept(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("read_back.actions_taken_on: must have at "
                                  "most 50")));
}

TEST(ValidateAnswerTest, DeclineAndCancelNeedAReason) {
  v1::DeclineHandoverRequest decline;
  decline.set_name("handovers/h1");
  EXPECT_THAT(
      ValidateDecline(decline),
      StatusIs(absl::StatusCode::kInvalidArgument, "reason: must be set"));
  decline.set_reason(std::string(2001, 'r'));
  EXPECT_THAT(ValidateDecline(decline),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("reason: must be at most 2000")));
  decline.set_reason("No capacity for evening visits.");
  EXPECT_THAT(ValidateDecline(decline), IsOk());
  decline.set_name("h1");
  EXPECT_THAT(ValidateDecline(decline),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name:")));

  v1::CancelHandoverRequest cancel;
  cancel.set_name("handovers/h1");
  cancel.set_reason(" ");
  EXPECT_THAT(
      ValidateCancel(cancel),
      StatusIs(absl::StatusCode::kInvalidArgument, "reason: must be set"));
  cancel.set_reason("Sent to the wrong team.");
  EXPECT_THAT(ValidateCancel(cancel), IsOk());
  cancel.set_etag(std::string(65, 'e'));
  EXPECT_THAT(
      ValidateCancel(cancel),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("etag:")));
}

}  // namespace
}  // namespace carebridge::handover
