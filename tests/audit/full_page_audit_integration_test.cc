// The audit of a long list at real size (issue 11), over gRPC, on SQLite
// and PostgreSQL: a list at the largest page size the service allows
// (500), of items with every text at its longest, succeeds on a default
// gRPC client (a page holds at most kMaxListPageBytes of them; the rest
// follow on the next), and records, under each person it showed, every
// item of theirs it showed, none missing and none extra, page by page;
// and the accesses to a person, such records among them, are listed whole.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "services/careplan/careplan_validation.h"
#include "services/careplan/sqlite_break_glass_store.h"
#include "services/common/validation.h"
#include "tests/audit/audit_detail_fixture.h"

namespace carebridge::record::testing {
namespace {

namespace au = ::carebridge::audit::v1;
namespace cp = ::carebridge::careplan::v1;
namespace hv = ::carebridge::handover::v1;

constexpr char kListReferrals[] = "carebridge.referral.v1.ListReferrals";
constexpr char kListHandovers[] = "carebridge.handover.v1.ListHandovers";
constexpr char kListBreakGlass[] =
    "carebridge.careplan.v1.ListBreakGlassAccesses";
// Every list's largest page (CheckPageSize); asking for more gets it.
constexpr int kLargestPage = 500;
constexpr int kAsked = 1000;

// `chars` characters (not bytes) naming `what`: mostly ASCII, with two-
// and three-byte characters throughout, as people write.
std::string LongestText(const std::string& what, size_t chars) {
  static constexpr const char* kTail[] = {" ", "c", "a", "f", "é", " ",
                                          "—", " ", "n", "a", "ï", "v"};
  std::string text = what;
  size_t count = what.size();
  for (size_t i = 0; count < chars; ++i, ++count) text += kTail[i % 12];
  return text;
}

class FullPageAuditTest : public AuditDetailTest {
 protected:
  void SetUp() override {
    AuditDetailTest::SetUp();
    handover_ = hv::HandoverService::NewStub(server_.Channel());
  }

  // Each page's items by person (`persons/{id}` -> `name: sections` of
  // each, in the order listed), and every name listed, as a list follows
  // its tokens.
  struct Paged {
    std::vector<std::map<std::string, std::vector<std::string>>> pages;
    std::vector<std::string> names;
  };

  // The sections the audit recorded for `person` of `as` calling `method`,
  // oldest first.
  std::vector<std::string> Recorded(const std::string& person,
                                    const Principal& as,
                                    const std::string& method) {
    std::vector<std::string> sections;
    std::vector<au::Access> found = By(AccessesTo(person), as.subject, method);
    for (auto it = found.rbegin(); it != found.rend(); ++it) {
      EXPECT_EQ(it->outcome(), "OK");
      sections.push_back(it->sections());
    }
    return sections;
  }

  // What `paged` showed of `person`, page by page (pages without any of
  // theirs left out): what the audit should say.
  static std::vector<std::string> Shown(const Paged& paged,
                                        const std::string& person) {
    std::vector<std::string> shown;
    for (const auto& page : paged.pages) {
      auto it = page.find(person);
      if (it != page.end()) shown.push_back(absl::StrJoin(it->second, "; "));
    }
    return shown;
  }

  std::unique_ptr<hv::HandoverService::Stub> handover_;
};

TEST_F(FullPageAuditTest, ALargestPageOfLongestReferralsIsRecordedWhole) {
  const std::string bea = MakePerson("Bea");
  const std::string cy = MakePerson("Cy");
  // 510 referrals from the crisis team to the peer café, most of them
  // Ada's, each text at its longest; the café's sector is not shown risk.
  constexpr int kReferrals = kLargestPage + 10;
  std::vector<std::string> created;
  for (int i = 0; i < kReferrals; ++i) {
    ref::CreateReferralRequest create;
    ref::Referral& referral = *create.mutable_referral();
    referral.set_person(i % 5 == 0 ? bea : i % 5 == 1 ? cy : ada_);
    referral.set_receiving_team(voluntary_);
    referral.set_urgency(ref::ROUTINE);
    referral.set_reason(
        LongestText(absl::StrCat("reason ", i), kMaxLongTextChars));
    referral.set_person_wishes(
        LongestText(absl::StrCat("wishes ", i), kMaxLongTextChars));
    referral.set_risk_summary(
        LongestText(absl::StrCat("risk ", i), kMaxLongTextChars));
    ref::Referral made;
    auto context = server_.ContextAs(bob_);
    grpc::Status status =
        referral_->CreateReferral(context.get(), create, &made);
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
    created.push_back(made.name());
  }

  // The café's inbox at the largest page, following the tokens.
  Paged paged;
  ref::ListReferralsRequest request;
  request.set_mailbox(ref::INBOX);
  request.set_page_size(kAsked);
  for (int calls = 0; calls < 50; ++calls) {
    ref::ListReferralsResponse response;
    auto context = server_.ContextAs(val_);
    grpc::Status status =
        referral_->ListReferrals(context.get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_LE(response.referrals_size(), kLargestPage);
    auto& page = paged.pages.emplace_back();
    for (const ref::Referral& referral : response.referrals()) {
      EXPECT_EQ(referral.risk_summary(), "") << referral.name();
      const int i = static_cast<int>(paged.names.size());
      EXPECT_EQ(referral.reason(),
                LongestText(absl::StrCat("reason ", i), kMaxLongTextChars))
          << referral.name();
      page[referral.person()].push_back(
          absl::StrCat(referral.name(), ": all but risk_summary"));
      paged.names.push_back(referral.name());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  // Every referral once, oldest first.
  EXPECT_EQ(paged.names, created);
  for (const std::string& person : {ada_, bea, cy}) {
    EXPECT_EQ(Recorded(person, val_, kListReferrals), Shown(paged, person))
        << person;
  }
}

// Handovers of Ada and Bea (both led by the crisis team) to the peer café,
// each with its four texts and a few actions and contingencies at their
// longest: pages at the largest page size, each recorded under each
// person by name.
TEST_F(FullPageAuditTest, ALargestPageOfLongestHandoversIsRecordedWhole) {
  const std::string bea = MakePerson("Bea");
  ASSERT_NO_FATAL_FAILURE(TakenOnByCrisis(bea));
  constexpr int kHandovers = kLargestPage + 10;
  std::vector<std::string> created;
  for (int i = 0; i < kHandovers; ++i) {
    hv::CreateHandoverRequest create;
    hv::Handover& handover = *create.mutable_handover();
    handover.set_person(i % 3 == 0 ? bea : ada_);
    handover.set_receiving_team(voluntary_);
    handover.set_kind(hv::SHARED_CARE);
    handover.set_urgency(ref::ROUTINE);
    handover.set_illness_severity(hv::WATCHER);
    const std::string n = absl::StrCat(i);
    handover.set_situation(LongestText("situation " + n, kMaxLongTextChars));
    handover.set_background(LongestText("background " + n, kMaxLongTextChars));
    handover.set_assessment(LongestText("assessment " + n, kMaxLongTextChars));
    handover.set_recommendation(
        LongestText("recommendation " + n, kMaxLongTextChars));
    for (int k = 0; k < 3; ++k) {
      hv::HandoverAction& action = *handover.add_actions();
      action.set_description(LongestText("action " + n, kMaxShortTextChars));
      action.set_owning_team(voluntary_);
      hv::Contingency& contingency = *handover.add_contingencies();
      contingency.set_if_this(LongestText("if " + n, kMaxShortTextChars));
      contingency.set_then_do(LongestText("then " + n, kMaxShortTextChars));
    }
    hv::Handover made;
    auto context = server_.ContextAs(bob_);
    grpc::Status status =
        handover_->CreateHandover(context.get(), create, &made);
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
    created.push_back(made.name());
  }

  Paged paged;
  hv::ListHandoversRequest request;
  request.set_mailbox(hv::INBOX);
  request.set_page_size(kAsked);
  for (int calls = 0; calls < 50; ++calls) {
    hv::ListHandoversResponse response;
    auto context = server_.ContextAs(val_);
    grpc::Status status =
        handover_->ListHandovers(context.get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_LE(response.handovers_size(), kLargestPage);
    auto& page = paged.pages.emplace_back();
    for (const hv::Handover& handover : response.handovers()) {
      // The café's sector is not shown the assessment.
      EXPECT_EQ(handover.assessment(), "") << handover.name();
      const std::string n = absl::StrCat(paged.names.size());
      EXPECT_EQ(handover.situation(),
                LongestText("situation " + n, kMaxLongTextChars))
          << handover.name();
      page[handover.person()].push_back(
          absl::StrCat(handover.name(), ": all but assessment"));
      paged.names.push_back(handover.name());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(paged.names, created);
  for (const std::string& person : {ada_, bea}) {
    EXPECT_EQ(Recorded(person, val_, kListHandovers), Shown(paged, person))
        << person;
  }
}

// Every person's break-glass accesses (the admins' review queue) at the
// largest page: 600 accesses to the plans of 300 persons, each reason at
// its longest, made through the care plan service's store. Each page's
// call is recorded once under each person it showed, and under no other.
TEST_F(FullPageAuditTest, ALargestPageOfEveryPersonsAccessesNamesEachPerson) {
  constexpr int kPersons = 300;
  constexpr int kAccesses = 2 * kPersons;
  careplan::SqliteBreakGlassStore store(modules_.Get("careplan")->audit_log());
  for (int i = 0; i < kAccesses; ++i) {
    const std::string person_id = absl::StrCat("bg", (i * 7) % kPersons);
    cp::BreakGlassAccess access;
    access.set_person("persons/" + person_id);
    access.set_member(absl::StrCat("members/m", i % 13));
    access.set_team(housing_);
    access.set_lead_team(crisis_);
    access.set_reason(
        LongestText(absl::StrCat("access ", i), careplan::kMaxReasonChars));
    ASSERT_TRUE(store.Insert(person_id, access).ok()) << i;
  }

  // Newest first, page by page: the persons each page showed.
  std::vector<std::vector<std::string>> pages;
  std::vector<std::string> names;
  cp::ListBreakGlassAccessesRequest request;
  request.set_parent("persons/-");
  request.set_page_size(kAsked);
  for (int calls = 0; calls < 10; ++calls) {
    cp::ListBreakGlassAccessesResponse response;
    auto context = server_.ContextAs(carebridge::testing::TestServer::Admin());
    grpc::Status status =
        careplan_->ListBreakGlassAccesses(context.get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.accesses_size(),
              calls == 0 ? kLargestPage : kAccesses - kLargestPage);
    auto& persons = pages.emplace_back();
    for (const cp::BreakGlassAccess& access : response.accesses()) {
      const int i = kAccesses - 1 - static_cast<int>(names.size());
      EXPECT_EQ(access.reason(), LongestText(absl::StrCat("access ", i),
                                             careplan::kMaxReasonChars));
      if (std::find(persons.begin(), persons.end(), access.person()) ==
          persons.end()) {
        persons.push_back(access.person());
      }
      names.push_back(access.name());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  ASSERT_EQ(names.size(), static_cast<size_t>(kAccesses));
  ASSERT_EQ(pages.size(), 2u);

  for (int p = 0; p < kPersons; ++p) {
    const std::string person = absl::StrCat("persons/bg", p);
    int shown_on = 0;
    for (const auto& persons : pages) {
      shown_on +=
          static_cast<int>(std::count(persons.begin(), persons.end(), person));
    }
    const std::vector<au::Access> recorded =
        By(AccessesTo(person), carebridge::testing::TestServer::Admin().subject,
           kListBreakGlass);
    ASSERT_EQ(static_cast<int>(recorded.size()), shown_on) << person;
    for (const au::Access& access : recorded) {
      EXPECT_EQ(access.resource(), "persons/-");
      EXPECT_EQ(access.outcome(), "OK");
    }
  }
}

// "Who viewed my record" at real size: Ada's accesses include 175 lists
// of a largest page of her referrals, each record naming all 500 (26 KB);
// together more than a default gRPC client takes in one response at the
// largest page. Every access is listed once, newest first, across pages,
// each list's record whole.
TEST_F(FullPageAuditTest, AccessesRecordingLargestPagesAreListedWhole) {
  std::vector<std::string> shown;
  for (int i = 0; i < kLargestPage; ++i) {
    const std::string name =
        ReferWithRisk(bob_, ada_, voluntary_, "Low mood in the evenings.")
            .name();
    ASSERT_FALSE(name.empty()) << i;
    shown.push_back(name + ": all but risk_summary");
  }
  const std::string sections = absl::StrJoin(shown, "; ");
  ASSERT_GT(sections.size(), 24u * 1024);
  constexpr int kLists = 175;
  ref::ListReferralsRequest request;
  request.set_mailbox(ref::INBOX);
  request.set_page_size(kAsked);
  for (int i = 0; i < kLists; ++i) {
    ref::ListReferralsResponse response;
    auto context = server_.ContextAs(val_);
    grpc::Status status =
        referral_->ListReferrals(context.get(), request, &response);
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
    ASSERT_EQ(response.referrals_size(), kLargestPage);
  }

  const std::vector<au::Access> all = AccessesTo(ada_);
  // Each once (by log and sequence), newest first.
  std::set<std::pair<std::string, int64_t>> seen;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_TRUE(seen.emplace(all[i].log(), all[i].sequence()).second)
        << all[i].log() << " " << all[i].sequence();
    if (i > 0) {
      EXPECT_GE(all[i - 1].time().seconds(), all[i].time().seconds());
    }
  }
  const std::vector<au::Access> lists = By(all, val_.subject, kListReferrals);
  ASSERT_EQ(lists.size(), static_cast<size_t>(kLists));
  for (const au::Access& list : lists) EXPECT_EQ(list.sections(), sections);
  EXPECT_EQ(
      By(all, bob_.subject, "carebridge.referral.v1.CreateReferral").size(),
      static_cast<size_t>(kLargestPage));
}

}  // namespace
}  // namespace carebridge::record::testing
