// The version history over real gRPC: listing (newest first, paged, BASIC
// and FULL views), reading one version, and the difference between two
// versions section by section.

#include <algorithm>
#include <string>
#include <vector>

#include "tests/careplan/careplan_test_fixture.h"

namespace carebridge::careplan {
namespace {

class CarePlanVersionsTest : public CarePlanTest {
 protected:
  // Five versions by three members of two teams, each response kept:
  //   1 alice: the realistic plan       2 alice: adds the crisis team
  //   3 alice: goals changed            4 bob: crisis plan changed
  //   5 carol: review date changed
  void MakeHistory() {
    written_.push_back(CreateRealisticPlan());
    server_.clock().Advance(absl::Hours(1));
    written_.push_back(MustAddTeam(alice_, crisis_.name(), "crisis support"));
    server_.clock().Advance(absl::Hours(1));
    v1::CarePlan goals = ContentOf(written_.back());
    goals.mutable_goals(0)->set_status(v1::Goal::ACHIEVED);
    goals.mutable_goals()->erase(goals.mutable_goals()->begin() + 1);
    goals.add_goals()->set_description("Learn to swim this summer.");
    written_.push_back(Write(alice_, goals, {"goals"}, written_.back().etag(),
                             "Ada's goals at the review."));
    server_.clock().Advance(absl::Hours(1));
    v1::CarePlan crisis = ContentOf(written_.back());
    crisis.mutable_crisis_plan()->set_what_helps("Being met at the door.");
    crisis.mutable_crisis_plan()->mutable_contacts(2)->set_how_to_contact(
        "0113 496 0999");
    written_.push_back(Write(bob_, crisis, {"crisis_plan"},
                             written_.back().etag(), "After the 3am visit."));
    server_.clock().Advance(absl::Hours(1));
    v1::CarePlan review;
    *review.mutable_review_date() = MakeDate(2026, 9, 30);
    written_.push_back(Write(carol_, review, {"review_date"},
                             written_.back().etag(), "Review moved."));
  }

  // What the service returned for version n, as GetCarePlanVersion gives it.
  v1::CarePlan AsVersion(const v1::CarePlan& plan) const {
    v1::CarePlan version = plan;
    version.set_name(VersionName(plan.version()));
    version.clear_etag();
    return version;
  }

  // The BASIC view of a version.
  static v1::CarePlan BasicOf(const v1::CarePlan& full) {
    v1::CarePlan basic;
    basic.set_name(full.name());
    basic.set_person(full.person());
    basic.set_version(full.version());
    if (full.has_change()) *basic.mutable_change() = full.change();
    if (full.has_agreement()) *basic.mutable_agreement() = full.agreement();
    basic.set_agreed(full.agreed());
    basic.set_lead_team(full.lead_team());
    if (full.has_create_time()) {
      *basic.mutable_create_time() = full.create_time();
    }
    if (full.has_update_time()) {
      *basic.mutable_update_time() = full.update_time();
    }
    return basic;
  }

  static std::vector<int64_t> Numbers(const std::vector<v1::CarePlan>& plans) {
    std::vector<int64_t> numbers;
    for (const v1::CarePlan& plan : plans) numbers.push_back(plan.version());
    return numbers;
  }

  grpc::Status List(const Principal& as, const std::string& parent,
                    v1::VersionView view, int page_size,
                    const std::string& page_token,
                    v1::ListCarePlanVersionsResponse* out) {
    v1::ListCarePlanVersionsRequest request;
    request.set_parent(parent);
    request.set_view(view);
    request.set_page_size(page_size);
    request.set_page_token(page_token);
    return Call(&Stub::ListCarePlanVersions, as, request, out);
  }

  static const v1::SectionDiff* SectionIn(const v1::CarePlanDiff& diff,
                                          v1::Section section) {
    for (const v1::SectionDiff& s : diff.sections()) {
      if (s.section() == section) return &s;
    }
    return nullptr;
  }

  static const v1::FieldChange* ChangeAt(const v1::SectionDiff& section,
                                         const std::string& path) {
    for (const v1::FieldChange& c : section.changes()) {
      if (c.path() == path) return &c;
    }
    return nullptr;
  }

  std::vector<v1::CarePlan> written_;
};

TEST_F(CarePlanVersionsTest, EveryVersionReadsBackAsItWasWritten) {
  MakeHistory();
  for (const v1::CarePlan& plan : written_) {
    v1::CarePlan version;
    ASSERT_GRPC_OK(GetVersion(bob_, VersionName(plan.version()), &version));
    EXPECT_THAT(version, EqualsProto(AsVersion(plan))) << plan.version();
  }
  v1::CarePlan first;
  ASSERT_GRPC_OK(GetVersion(alice_, VersionName(1), &first));
  EXPECT_EQ(first.goals(1).id(), "g1-2");  // removed since
  EXPECT_THAT(first.care_team(), SizeIs(1));
}

TEST_F(CarePlanVersionsTest, VersionBeyondTheNewestIsNotFoundNamingIt) {
  MakeHistory();
  v1::CarePlan out;
  EXPECT_THAT(GetVersion(alice_, VersionName(6), &out),
              HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                HasSubstr(VersionName(6))));
  EXPECT_THAT(GetVersion(alice_, VersionName(99999), &out),
              HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                HasSubstr(VersionName(99999))));
}

TEST_F(CarePlanVersionsTest, ListIsNewestFirstInTheBasicViewByDefault) {
  MakeHistory();
  for (v1::VersionView view : {v1::VERSION_VIEW_UNSPECIFIED, v1::BASIC}) {
    v1::ListCarePlanVersionsResponse response;
    ASSERT_GRPC_OK(List(bob_, plan_, view, 0, "", &response));
    EXPECT_EQ(response.next_page_token(), "");
    std::vector<v1::CarePlan> versions(response.versions().begin(),
                                       response.versions().end());
    ASSERT_THAT(Numbers(versions), ElementsAre(5, 4, 3, 2, 1));
    for (size_t i = 0; i < versions.size(); ++i) {
      const v1::CarePlan& expected = written_[written_.size() - 1 - i];
      EXPECT_THAT(versions[i], EqualsProto(BasicOf(AsVersion(expected))));
      EXPECT_EQ(versions[i].etag(), "");
      EXPECT_THAT(versions[i].goals(), IsEmpty());
      EXPECT_THAT(versions[i].care_team(), IsEmpty());
    }
  }
}

TEST_F(CarePlanVersionsTest, FullViewListsWholeVersions) {
  MakeHistory();
  std::vector<v1::CarePlan> versions = ListAllVersions(v1::FULL);
  ASSERT_THAT(Numbers(versions), ElementsAre(5, 4, 3, 2, 1));
  for (const v1::CarePlan& version : versions) {
    EXPECT_THAT(version,
                EqualsProto(AsVersion(written_[version.version() - 1])));
  }
}

TEST_F(CarePlanVersionsTest, PagesFollowTheTokenToTheOldest) {
  MakeHistory();
  written_.push_back(MustAgree(alice_, 5, "Yes."));
  written_.push_back(MustAddTeam(alice_, voluntary_.name(), "peer support"));
  for (v1::VersionView view : {v1::BASIC, v1::FULL}) {
    std::vector<std::vector<int64_t>> pages;
    std::string token;
    do {
      v1::ListCarePlanVersionsResponse response;
      ASSERT_GRPC_OK(List(alice_, plan_, view, 3, token, &response));
      pages.push_back(Numbers(std::vector<v1::CarePlan>(
          response.versions().begin(), response.versions().end())));
      token = response.next_page_token();
      ASSERT_LE(pages.size(), 4u);
    } while (!token.empty());
    EXPECT_THAT(pages, ElementsAre(ElementsAre(7, 6, 5), ElementsAre(4, 3, 2),
                                   ElementsAre(1)))
        << v1::VersionView_Name(view);
  }
  EXPECT_THAT(Numbers(ListAllVersions(v1::BASIC, 1)),
              ElementsAre(7, 6, 5, 4, 3, 2, 1));
  EXPECT_THAT(Numbers(ListAllVersions(v1::FULL, 7)),
              ElementsAre(7, 6, 5, 4, 3, 2, 1));
}

TEST_F(CarePlanVersionsTest, PageTokensAreBoundToTheRequest) {
  MakeHistory();
  const std::string other_person = MakePerson("Ben", "Adeyemi");
  const std::string other_plan = PlanName(other_person);
  v1::CarePlan other;
  v1::UpdateCarePlanRequest request =
      UpdateRequest(Goals({"Ben's goal."}), {"goals"}, "");
  request.mutable_care_plan()->set_name(other_plan);
  ASSERT_GRPC_OK(Update(alice_, request, &other));

  v1::ListCarePlanVersionsResponse first_page;
  ASSERT_GRPC_OK(List(alice_, plan_, v1::BASIC, 2, "", &first_page));
  ASSERT_NE(first_page.next_page_token(), "");
  const std::string token = first_page.next_page_token();
  const auto bad_token = HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                           StartsWith("page_token: "));
  v1::ListCarePlanVersionsResponse out;
  EXPECT_THAT(List(alice_, plan_, v1::FULL, 2, token, &out), bad_token);
  EXPECT_THAT(List(alice_, other_plan, v1::BASIC, 2, token, &out), bad_token);
  EXPECT_THAT(List(alice_, plan_, v1::BASIC, 2, "not-a-token", &out),
              bad_token);
  EXPECT_THAT(List(alice_, plan_, v1::BASIC, 2, token + "x", &out), bad_token);
  // A different page size with the same token is fine (AIP-158).
  ASSERT_GRPC_OK(List(alice_, plan_, v1::BASIC, 10, token, &out));
  EXPECT_THAT(Numbers(std::vector<v1::CarePlan>(out.versions().begin(),
                                                out.versions().end())),
              ElementsAre(3, 2, 1));
  EXPECT_THAT(List(alice_, plan_, v1::BASIC, -1, "", &out),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                StartsWith("page_size: ")));
}

TEST_F(CarePlanVersionsTest, DiffShowsWhatChangedSectionBySection) {
  MakeHistory();
  v1::CarePlanDiff diff;
  ASSERT_GRPC_OK(Diff(bob_, 1, 0, &diff));
  EXPECT_EQ(diff.from_version(), VersionName(1));
  EXPECT_EQ(diff.to_version(), VersionName(5));
  std::vector<v1::Section> sections;
  for (const v1::SectionDiff& s : diff.sections()) {
    sections.push_back(s.section());
  }
  EXPECT_THAT(sections, ElementsAre(v1::GOALS, v1::CRISIS_PLAN, v1::REVIEW_DATE,
                                    v1::CARE_TEAM));

  const v1::SectionDiff* goals = SectionIn(diff, v1::GOALS);
  ASSERT_NE(goals, nullptr);
  EXPECT_THAT(goals->changes(), SizeIs(3));
  const v1::FieldChange* status = ChangeAt(*goals, "goals[g1-1].status");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->kind(), v1::FieldChange::MODIFIED);
  EXPECT_NE(status->before(), status->after());
  const v1::FieldChange* removed = ChangeAt(*goals, "goals[g1-2]");
  ASSERT_NE(removed, nullptr);
  EXPECT_EQ(removed->kind(), v1::FieldChange::REMOVED);
  EXPECT_THAT(removed->before(),
              HasSubstr(RealisticCarePlan().goals(1).description()));
  EXPECT_EQ(removed->after(), "");
  const v1::FieldChange* added = ChangeAt(*goals, "goals[g3-1]");
  ASSERT_NE(added, nullptr);
  EXPECT_EQ(added->kind(), v1::FieldChange::ADDED);
  EXPECT_EQ(added->before(), "");
  EXPECT_THAT(added->after(), HasSubstr("Learn to swim this summer."));
  EXPECT_EQ(goals->last_changed().version(), 3);
  EXPECT_EQ(goals->last_changed().updated_by(), "members/alice");
  EXPECT_EQ(goals->last_changed().section(), v1::GOALS);

  const v1::SectionDiff* crisis = SectionIn(diff, v1::CRISIS_PLAN);
  ASSERT_NE(crisis, nullptr);
  const v1::FieldChange* helps = ChangeAt(*crisis, "crisis_plan.what_helps");
  ASSERT_NE(helps, nullptr);
  EXPECT_EQ(helps->kind(), v1::FieldChange::MODIFIED);
  EXPECT_THAT(helps->before(),
              HasSubstr(RealisticCarePlan().crisis_plan().what_helps()));
  EXPECT_THAT(helps->after(), HasSubstr("Being met at the door."));
  EXPECT_THAT(crisis->changes(),
              Contains(Property(&v1::FieldChange::path,
                                StartsWith("crisis_plan.contacts[3]"))));
  EXPECT_THAT(crisis->changes(),
              Not(Contains(Property(&v1::FieldChange::path,
                                    StartsWith("crisis_plan.contacts[2]")))));
  EXPECT_EQ(crisis->last_changed().version(), 4);
  EXPECT_EQ(crisis->last_changed().updated_by(), "members/bob");
  EXPECT_EQ(crisis->last_changed().updated_by_team(), crisis_.name());

  const v1::SectionDiff* review = SectionIn(diff, v1::REVIEW_DATE);
  ASSERT_NE(review, nullptr);
  ASSERT_THAT(review->changes(), SizeIs(1));
  EXPECT_EQ(review->changes(0).path(), "review_date");
  EXPECT_EQ(review->changes(0).kind(), v1::FieldChange::MODIFIED);
  EXPECT_EQ(review->last_changed().updated_by(), "members/carol");

  const v1::SectionDiff* care_team = SectionIn(diff, v1::CARE_TEAM);
  ASSERT_NE(care_team, nullptr);
  const v1::FieldChange* joined =
      ChangeAt(*care_team, "care_team[" + crisis_.name() + "]");
  ASSERT_NE(joined, nullptr);
  EXPECT_EQ(joined->kind(), v1::FieldChange::ADDED);
  EXPECT_EQ(care_team->last_changed().version(), 2);

  // Who changed what and why, newest first, without content.
  ASSERT_THAT(diff.versions(), SizeIs(4));
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(diff.versions(i),
                EqualsProto(BasicOf(AsVersion(written_[4 - i]))));
  }
}

TEST_F(CarePlanVersionsTest, DiffOfANarrowRangeShowsOnlyThatRange) {
  MakeHistory();
  v1::CarePlanDiff diff;
  ASSERT_GRPC_OK(Diff(alice_, 3, 4, &diff));
  EXPECT_EQ(diff.from_version(), VersionName(3));
  EXPECT_EQ(diff.to_version(), VersionName(4));
  ASSERT_THAT(diff.sections(), SizeIs(1));
  EXPECT_EQ(diff.sections(0).section(), v1::CRISIS_PLAN);
  ASSERT_THAT(diff.versions(), SizeIs(1));
  EXPECT_EQ(diff.versions(0).version(), 4);
  EXPECT_EQ(diff.versions(0).change().reason(), "After the 3am visit.");
}

TEST_F(CarePlanVersionsTest, DiffOfAVersionWithItselfIsEmpty) {
  MakeHistory();
  v1::CarePlanDiff diff;
  ASSERT_GRPC_OK(Diff(alice_, 2, 2, &diff));
  EXPECT_EQ(diff.from_version(), VersionName(2));
  EXPECT_EQ(diff.to_version(), VersionName(2));
  EXPECT_THAT(diff.sections(), IsEmpty());
  EXPECT_THAT(diff.versions(), IsEmpty());
}

TEST_F(CarePlanVersionsTest, DiffShowsAgreementAndLeadChanges) {
  MakeHistory();
  MustAgree(alice_, 5, "Yes.");
  MustSetLead(alice_, crisis_.name());
  v1::CarePlanDiff diff;
  ASSERT_GRPC_OK(Diff(alice_, 5, 0, &diff));
  std::vector<v1::Section> sections;
  for (const v1::SectionDiff& s : diff.sections()) {
    sections.push_back(s.section());
  }
  EXPECT_THAT(sections, ElementsAre(v1::CARE_TEAM, v1::AGREEMENT));
  const v1::SectionDiff* care_team = SectionIn(diff, v1::CARE_TEAM);
  ASSERT_NE(care_team, nullptr);
  const v1::FieldChange* lead = ChangeAt(*care_team, "lead_team");
  ASSERT_NE(lead, nullptr);
  EXPECT_EQ(lead->kind(), v1::FieldChange::MODIFIED);
  EXPECT_THAT(lead->before(), HasSubstr(community_.name()));
  EXPECT_THAT(lead->after(), HasSubstr(crisis_.name()));
  EXPECT_EQ(care_team->last_changed().version(), 7);
  EXPECT_EQ(SectionIn(diff, v1::AGREEMENT)->last_changed().version(), 6);
  EXPECT_THAT(diff.versions(), SizeIs(2));
}

TEST_F(CarePlanVersionsTest, DiffRequestsAreChecked) {
  MakeHistory();
  v1::CarePlanDiff diff;
  EXPECT_THAT(Diff(alice_, 0, 3, &diff),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                StartsWith("from_version: ")));
  EXPECT_THAT(Diff(alice_, -1, 3, &diff),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                StartsWith("from_version: ")));
  EXPECT_THAT(Diff(alice_, 5, 2, &diff),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                "to_version: 2 is before from_version 5"));
  EXPECT_THAT(Diff(alice_, 1, 99, &diff),
              HasCodeAndMessage(grpc::StatusCode::NOT_FOUND,
                                HasSubstr(VersionName(99))));
  EXPECT_THAT(
      Diff(alice_, 98, 99, &diff),
      HasCodeAndMessage(grpc::StatusCode::NOT_FOUND, HasSubstr("versions/9")));
}

TEST_F(CarePlanVersionsTest, DiffListsAtMostTheNewestHundredVersions) {
  v1::CarePlan plan = CreateRealisticPlan();
  for (int i = 0; i < 101; ++i) {
    plan = Write(alice_, WhatHelps(absl::StrCat("Idea ", i)),
                 {"crisis_plan.what_helps"}, plan.etag());
    ASSERT_EQ(plan.version(), i + 2);
  }
  v1::CarePlanDiff diff;
  ASSERT_GRPC_OK(Diff(alice_, 1, 0, &diff));
  ASSERT_THAT(diff.versions(), SizeIs(100));
  EXPECT_EQ(diff.versions(0).version(), 102);
  EXPECT_EQ(diff.versions(99).version(), 3);
  ASSERT_THAT(diff.sections(), SizeIs(1));
  EXPECT_EQ(diff.sections(0).last_changed().version(), 102);
}

}  // namespace
}  // namespace carebridge::careplan
