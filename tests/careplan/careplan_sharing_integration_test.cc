// The person's sharing choices (issue 11): which teams and sectors see which
// parts of the care plan, versioned with who, when and why, changed only by
// the person or their lead team, and obeyed by every read (the plan, its
// versions, diffs, the feed) and by writes (a team cannot change what it is
// not shown). Tested part by part through the real server.

#include <set>
#include <string>
#include <vector>

#include "services/careplan/careplan_validation.h"
#include "tests/careplan/careplan_audit_fixture.h"

namespace carebridge::careplan {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr v1::SharedPart kParts[] = {
    v1::SHARED_GOALS,       v1::SHARED_ALL_ACTIONS,
    v1::SHARED_OWN_ACTIONS, v1::SHARED_CRISIS_PLAN,
    v1::SHARED_WHAT_HELPS,  v1::SHARED_COMMUNICATION_PREFERENCES,
    v1::SHARED_REVIEW_DATE, v1::SHARED_CARE_TEAM,
    v1::SHARED_AGREEMENT,
};

std::set<int> Set(std::initializer_list<v1::SharedPart> parts) {
  return std::set<int>(parts.begin(), parts.end());
}

// A part and the narrower part it includes.
std::set<int> WithIncluded(v1::SharedPart part) {
  if (part == v1::SHARED_ALL_ACTIONS) {
    return Set({part, v1::SHARED_OWN_ACTIONS});
  }
  if (part == v1::SHARED_CRISIS_PLAN) {
    return Set({part, v1::SHARED_WHAT_HELPS});
  }
  return Set({part});
}

class CarePlanSharingTest : public CarePlanAuditTest {
 protected:
  void SetUp() override {
    CarePlanAuditTest::SetUp();
    full_ = CreateRealisticPlan();
    MustAddTeam(alice_, crisis_.name(), "crisis support");
    MustAddTeam(alice_, voluntary_.name(), "peer support");
    MustAddTeam(alice_, housing_.name(), "housing support");
    v1::CarePlan agreed;
    ASSERT_GRPC_OK(Agree(alice_, Get().version(), &agreed));
    full_ = Get();
    ada_.subject = person_;
    ada_.role = Role::kPerson;
    ada_.expire_time = server_.clock().Now() + absl::Hours(24 * 365);
  }

  // What `plan` shows, as parts: a whole section, or only its shared slice.
  std::set<int> Shown(const v1::CarePlan& plan, const std::string& team) {
    std::set<int> shown;
    if (plan.goals_size() > 0) shown.insert(v1::SHARED_GOALS);
    int own = 0;
    for (const v1::Action& action : full_.actions()) {
      own += action.owning_team() == team;
    }
    if (plan.actions_size() > 0) {
      shown.insert(v1::SHARED_OWN_ACTIONS);
      for (const v1::Action& action : plan.actions()) {
        EXPECT_TRUE(plan.actions_size() == full_.actions_size() ||
                    action.owning_team() == team)
            << action.id();
      }
    }
    if (plan.actions_size() == full_.actions_size()) {
      shown.insert(v1::SHARED_ALL_ACTIONS);
    } else if (plan.actions_size() > 0) {
      EXPECT_EQ(plan.actions_size(), own);
    }
    if (!plan.crisis_plan().what_helps().empty()) {
      shown.insert(v1::SHARED_WHAT_HELPS);
    }
    if (!plan.crisis_plan().early_warning_signs().empty()) {
      shown.insert(v1::SHARED_CRISIS_PLAN);
      EXPECT_EQ(plan.crisis_plan().contacts_size(),
                full_.crisis_plan().contacts_size());
    } else {
      EXPECT_EQ(plan.crisis_plan().triggers(), "");
      EXPECT_EQ(plan.crisis_plan().advance_statements(), "");
      EXPECT_EQ(plan.crisis_plan().contacts_size(), 0);
    }
    if (plan.has_communication_preferences()) {
      shown.insert(v1::SHARED_COMMUNICATION_PREFERENCES);
    }
    if (plan.has_review_date()) shown.insert(v1::SHARED_REVIEW_DATE);
    if (plan.care_team_size() > 0) shown.insert(v1::SHARED_CARE_TEAM);
    if (plan.has_agreement()) shown.insert(v1::SHARED_AGREEMENT);
    // Whatever is withheld, who leads and which version this is are shown.
    EXPECT_EQ(plan.lead_team(), full_.lead_team());
    EXPECT_EQ(plan.version(), full_.version());
    return shown;
  }

  static std::set<int> Withheld(const v1::CarePlan& plan) {
    return std::set<int>(plan.withheld().begin(), plan.withheld().end());
  }

  static std::set<int> Complement(const std::set<int>& parts) {
    std::set<int> rest;
    for (v1::SharedPart part : kParts) {
      if (!parts.count(part)) rest.insert(part);
    }
    return rest;
  }

  v1::SharingChoices MustShare(const Principal& as,
                               std::vector<v1::SharingRule> rules) {
    v1::SharingChoices choices;
    grpc::Status status = Share(as, std::move(rules), &choices);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return choices;
  }

  grpc::Status GetChoices(const Principal& as, v1::SharingChoices* out) {
    v1::GetSharingChoicesRequest request;
    request.set_name(person_ + "/sharingChoices");
    return Call(&Stub::GetSharingChoices, as, request, out);
  }

  int64_t ChoicesVersion() {
    v1::SharingChoices choices;
    grpc::Status status = GetChoices(alice_, &choices);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return choices.version();
  }

  v1::CarePlan Newest(const Principal& as) {
    v1::ListCarePlanVersionsRequest request;
    request.set_parent(plan_);
    request.set_view(v1::FULL);
    request.set_page_size(1);
    v1::ListCarePlanVersionsResponse response;
    grpc::Status status =
        Call(&Stub::ListCarePlanVersions, as, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.versions_size() > 0 ? response.versions(0) : v1::CarePlan();
  }

  v1::CarePlan full_;
  Principal ada_;
};

TEST_F(CarePlanSharingTest, EachSectorSeesItsDefaultWithoutChoices) {
  EXPECT_EQ(ChoicesVersion(), 0);
  // Crisis (NHS) sees everything, as the lead team does.
  EXPECT_THAT(GetAs(bob_), EqualsProto(full_));
  // Voluntary sector: goals, its own actions, what helps, communication
  // preferences, review date, care team and agreement.
  const v1::CarePlan val_sees = GetAs(val_);
  EXPECT_EQ(Shown(val_sees, voluntary_.name()),
            Complement(Set({v1::SHARED_ALL_ACTIONS, v1::SHARED_CRISIS_PLAN})));
  EXPECT_EQ(Withheld(val_sees),
            Set({v1::SHARED_ALL_ACTIONS, v1::SHARED_CRISIS_PLAN}));
  EXPECT_THAT(val_sees.goals(), ::testing::SizeIs(full_.goals_size()));
  // Social care: all actions, but of the crisis plan only what helps.
  const v1::CarePlan otto_sees = GetAs(otto_);
  EXPECT_EQ(Shown(otto_sees, housing_.name()),
            Complement(Set({v1::SHARED_CRISIS_PLAN})));
  EXPECT_EQ(Withheld(otto_sees), Set({v1::SHARED_CRISIS_PLAN}));
  // The choices say so, sector by sector, to the lead team.
  v1::SharingChoices choices;
  ASSERT_GRPC_OK(GetChoices(alice_, &choices));
  EXPECT_EQ(choices.name(), person_ + "/sharingChoices");
  EXPECT_EQ(choices.effective_size(), dir::Sector_MAX);
}

// The rules and why they changed are the person's words to their lead
// team: any other team on the care team (even one shown the whole plan)
// reads that they exist, their version and who changed them when, and
// what they show it in the plan's `withheld`.
TEST_F(CarePlanSharingTest, OnlyThePersonAndTheLeadTeamReadTheChoicesInFull) {
  const std::string why(kMaxReasonChars, 'w');
  MustShare(ada_, {TeamRule(voluntary_.name(), {v1::SHARED_GOALS})});
  v1::SharingChoices second;
  ASSERT_GRPC_OK(Share(ada_,
                       {TeamRule(voluntary_.name(), {v1::SHARED_GOALS}),
                        TeamRule(housing_.name(), {v1::SHARED_GOALS})},
                       &second, why));
  for (const Principal* full : {&ada_, &alice_, &service_}) {
    v1::SharingChoices read;
    ASSERT_GRPC_OK(GetChoices(*full, &read));
    EXPECT_EQ(read.reason(), why) << full->subject;
    EXPECT_THAT(read.rules(), SizeIs(2)) << full->subject;
    EXPECT_EQ(read.effective_size(), dir::Sector_MAX) << full->subject;
  }
  v1::ListSharingChoicesVersionsRequest list;
  list.set_parent(person_ + "/sharingChoices");
  for (const Principal* other : {&bob_, &val_, &otto_}) {
    v1::SharingChoices read;
    ASSERT_GRPC_OK(GetChoices(*other, &read));
    EXPECT_EQ(read.version(), 2) << other->subject;
    EXPECT_EQ(read.updated_by(), person_) << other->subject;
    EXPECT_TRUE(read.has_update_time()) << other->subject;
    EXPECT_EQ(read.etag(), "2") << other->subject;
    EXPECT_EQ(read.reason(), "") << other->subject;
    EXPECT_THAT(read.rules(), IsEmpty()) << other->subject;
    EXPECT_THAT(read.effective(), IsEmpty()) << other->subject;
    v1::ListSharingChoicesVersionsResponse versions;
    ASSERT_GRPC_OK(
        Call(&Stub::ListSharingChoicesVersions, *other, list, &versions));
    ASSERT_THAT(versions.versions(), SizeIs(2)) << other->subject;
    for (const v1::SharingChoices& version : versions.versions()) {
      EXPECT_EQ(version.reason(), "") << other->subject;
      EXPECT_THAT(version.rules(), IsEmpty()) << other->subject;
    }
  }
  v1::ListSharingChoicesVersionsResponse versions;
  ASSERT_GRPC_OK(
      Call(&Stub::ListSharingChoicesVersions, alice_, list, &versions));
  ASSERT_THAT(versions.versions(), SizeIs(2));
  EXPECT_EQ(versions.versions(0).reason(), why);
  EXPECT_THAT(versions.versions(1).rules(), SizeIs(1));
}

// The matrix: each part shared alone with the voluntary-sector team, read
// through every read path.
TEST_F(CarePlanSharingTest, EachPartAloneReachesOnlyThatPartOnEveryReadPath) {
  for (v1::SharedPart part : kParts) {
    SCOPED_TRACE(v1::SharedPart_Name(part));
    MustShare(alice_, {TeamRule(voluntary_.name(), {part})});
    const std::set<int> expected = WithIncluded(part);

    const v1::CarePlan current = GetAs(val_);
    EXPECT_EQ(Shown(current, voluntary_.name()), expected);
    EXPECT_EQ(Withheld(current), Complement(expected));

    v1::CarePlan version;
    ASSERT_GRPC_OK(GetVersion(val_, VersionName(full_.version()), &version));
    EXPECT_EQ(Shown(version, voluntary_.name()), expected);

    const v1::CarePlan listed = Newest(val_);
    EXPECT_EQ(Shown(listed, voluntary_.name()), expected);
    EXPECT_EQ(Withheld(listed), Complement(expected));

    v1::CarePlanDiff diff;
    ASSERT_GRPC_OK(Diff(val_, 1, 0, &diff));
    EXPECT_EQ(std::set<int>(diff.withheld().begin(), diff.withheld().end()),
              Complement(expected));
    for (const v1::SectionDiff& section : diff.sections()) {
      for (const v1::FieldChange& change : section.changes()) {
        const bool allowed =
            (section.section() == v1::CARE_TEAM &&
             expected.count(v1::SHARED_CARE_TEAM)) ||
            (section.section() == v1::AGREEMENT &&
             (expected.count(v1::SHARED_AGREEMENT) ||
              change.path() == "agreed")) ||
            (section.section() == v1::GOALS &&
             expected.count(v1::SHARED_GOALS)) ||
            (section.section() == v1::ACTIONS &&
             expected.count(v1::SHARED_OWN_ACTIONS)) ||
            (section.section() == v1::CRISIS_PLAN &&
             expected.count(v1::SHARED_WHAT_HELPS)) ||
            (section.section() == v1::COMMUNICATION_PREFERENCES &&
             expected.count(v1::SHARED_COMMUNICATION_PREFERENCES)) ||
            (section.section() == v1::REVIEW_DATE &&
             expected.count(v1::SHARED_REVIEW_DATE));
        EXPECT_TRUE(allowed) << change.path();
        if (section.section() == v1::CRISIS_PLAN &&
            !expected.count(v1::SHARED_CRISIS_PLAN)) {
          EXPECT_THAT(change.path(),
                      ::testing::AnyOf(HasSubstr("what_helps"),
                                       HasSubstr("what_to_avoid"),
                                       HasSubstr("preferred_response")));
        }
      }
    }
  }
  // Seven versions of the choices, one per part, the plan untouched.
  EXPECT_EQ(ChoicesVersion(), static_cast<int64_t>(std::size(kParts)));
  EXPECT_THAT(Get(), EqualsProto(full_));
}

TEST_F(CarePlanSharingTest, TheLeadTeamThePersonAndServicesSeeEverything) {
  v1::SharingRule nothing;
  nothing.set_sector(dir::COMMUNITY_MENTAL_HEALTH);
  v1::SharingRule crisis_nothing;
  crisis_nothing.set_sector(dir::CRISIS);
  MustShare(alice_, {nothing, crisis_nothing});
  EXPECT_THAT(GetAs(alice_), EqualsProto(full_));
  EXPECT_THAT(GetAs(ada_), EqualsProto(full_));
  EXPECT_THAT(GetAs(service_), EqualsProto(full_));
  // The crisis team, not leading, now sees nothing of the content.
  const v1::CarePlan bob_sees = GetAs(bob_);
  EXPECT_EQ(Shown(bob_sees, crisis_.name()), std::set<int>());
  EXPECT_EQ(Withheld(bob_sees), Complement({}));
  EXPECT_EQ(bob_sees.etag(), full_.etag());
}

TEST_F(CarePlanSharingTest, ThePersonChangesTheirOwnChoicesWithWhoWhenWhy) {
  v1::SharingRule all_voluntary = ShareEverything(voluntary_.name());
  all_voluntary.clear_team();
  all_voluntary.set_sector(dir::VOLUNTARY_SECTOR);
  v1::SharingChoices first;
  ASSERT_GRPC_OK(Share(ada_, {all_voluntary}, &first,
                       "I want the peer workers to know my crisis plan."));
  EXPECT_EQ(first.version(), 1);
  EXPECT_EQ(first.updated_by(), person_);
  EXPECT_EQ(first.updated_by_team(), "");
  EXPECT_EQ(first.reason(), "I want the peer workers to know my crisis plan.");
  EXPECT_EQ(first.etag(), "1");
  EXPECT_THAT(GetAs(val_), EqualsProto(full_));

  // Withdrawn by the lead team at the person's request: back to the default.
  v1::SharingChoices second;
  ASSERT_GRPC_OK(Share(alice_, {}, &second, "Ada changed her mind."));
  EXPECT_EQ(second.version(), 2);
  EXPECT_EQ(second.updated_by(), alice_.subject);
  EXPECT_EQ(second.updated_by_team(), community_.name());
  EXPECT_EQ(Withheld(GetAs(val_)),
            Set({v1::SHARED_ALL_ACTIONS, v1::SHARED_CRISIS_PLAN}));

  // The same rules again make no version.
  v1::SharingChoices same;
  ASSERT_GRPC_OK(Share(ada_, {}, &same));
  EXPECT_EQ(same.version(), 2);

  // The history, newest first, page by page.
  v1::ListSharingChoicesVersionsRequest request;
  request.set_parent(person_ + "/sharingChoices");
  request.set_page_size(1);
  std::vector<int64_t> versions;
  do {
    v1::ListSharingChoicesVersionsResponse response;
    ASSERT_GRPC_OK(
        Call(&Stub::ListSharingChoicesVersions, ada_, request, &response));
    for (const v1::SharingChoices& v : response.versions()) {
      versions.push_back(v.version());
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  EXPECT_THAT(versions, ::testing::ElementsAre(2, 1));
}

TEST_F(CarePlanSharingTest, OnlyThePersonOrTheLeadTeamMayChangeThem) {
  Principal other_person = ada_;
  other_person.subject = MakePerson("Bea", "Adeyemi");
  v1::SharingRule rule = ShareEverything(voluntary_.name());
  for (const Principal& as :
       {bob_, val_, otto_, admin_, service_, other_person}) {
    SCOPED_TRACE(as.subject);
    v1::SharingChoices out;
    grpc::Status status = Share(as, {rule}, &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(ChoicesVersion(), 0);
  EXPECT_EQ(Withheld(GetAs(val_)),
            Set({v1::SHARED_ALL_ACTIONS, v1::SHARED_CRISIS_PLAN}));
  // Each refusal is in the audit log, under the person, with its outcome.
  std::set<std::string> refused;
  for (const AuditRecord& record :
       Of(AuditLog(), "carebridge.careplan.v1.UpdateSharingChoices")) {
    EXPECT_EQ(record.outcome, "PERMISSION_DENIED");
    EXPECT_EQ(record.resource, person_ + "/sharingChoices");
    refused.insert(record.actor);
  }
  EXPECT_EQ(refused,
            (std::set<std::string>{bob_.subject, val_.subject, otto_.subject,
                                   admin_.subject, service_.subject,
                                   other_person.subject}));
  EXPECT_TRUE(Verify().intact());
}

TEST_F(CarePlanSharingTest, BadChangesAreRefusedAndChangeNothing) {
  v1::SharingChoices out;
  grpc::Status status =
      Share(alice_, {ShareEverything(voluntary_.name())}, &out, /*reason=*/"");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("reason: must be set"));

  status = Share(alice_, {ShareEverything("teams/nobody")}, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("teams/nobody"));

  v1::SharingRule both = ShareEverything(voluntary_.name());
  both.set_sector(dir::VOLUNTARY_SECTOR);
  status = Share(alice_, {both}, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("sharing_choices.rules[0]: must name exactly one"));

  MustShare(alice_, {ShareEverything(voluntary_.name())});
  v1::UpdateSharingChoicesRequest stale;
  stale.mutable_sharing_choices()->set_name(person_ + "/sharingChoices");
  stale.set_etag("0");
  stale.set_reason("An old screen.");
  status = Call(&Stub::UpdateSharingChoices, alice_, stale, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ChoicesVersion(), 1);
  EXPECT_THAT(GetAs(val_), EqualsProto(full_));

  // Nobody outside the care team reads them, not even an admin.
  EXPECT_EQ(GetChoices(admin_, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CarePlanSharingTest, ATeamCannotChangeWhatItIsNotShown) {
  const Snapshot before = Take();
  v1::CarePlan out;
  v1::CarePlan triggers;
  triggers.mutable_crisis_plan()->set_triggers("Loud places.");
  grpc::Status status = Update(val_,
                               UpdateRequest(triggers, {"crisis_plan.triggers"},
                                             full_.etag(), "Told us at group."),
                               &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("crisis_plan.triggers cannot be changed by " +
                        voluntary_.name()));
  status = Update(val_,
                  UpdateRequest(RealisticCarePlan(), {"actions"}, full_.etag(),
                                "Tidying actions."),
                  &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ExpectUnchanged(before);

  // What it is shown, it may change; the answer is shown as it may see it.
  v1::CarePlan helps;
  helps.mutable_crisis_plan()->set_what_helps("A walk with Jo.");
  ASSERT_GRPC_OK(Update(val_,
                        UpdateRequest(helps, {"crisis_plan.what_helps"},
                                      full_.etag(), "Ada told Jo."),
                        &out));
  EXPECT_EQ(out.crisis_plan().what_helps(), "A walk with Jo.");
  EXPECT_EQ(out.crisis_plan().early_warning_signs(), "");
  EXPECT_EQ(Withheld(out),
            Set({v1::SHARED_ALL_ACTIONS, v1::SHARED_CRISIS_PLAN}));
  EXPECT_EQ(Get().crisis_plan().early_warning_signs(),
            full_.crisis_plan().early_warning_signs());
}

TEST_F(CarePlanSharingTest, TheFeedCarriesNoPlanToATeamNotShownAllOfIt) {
  const std::vector<events::v1::Event> val_before = ReadFeed(val_);
  ASSERT_FALSE(val_before.empty());
  for (const events::v1::Event& event : val_before) {
    EXPECT_FALSE(event.has_payload()) << event.type();
    EXPECT_EQ(event.person(), person_);
  }
  const std::vector<events::v1::Event> bob_reads = ReadFeed(bob_);
  ASSERT_FALSE(bob_reads.empty());
  for (const events::v1::Event& event : bob_reads) {
    EXPECT_TRUE(event.has_payload()) << event.type();
  }
  // Once the person shares everything with it, the team gets the plan.
  MustShare(ada_, {ShareEverything(voluntary_.name())});
  const std::vector<events::v1::Event> val_reads = ReadFeed(val_);
  // The same events (from when it joined), now with the plan, and the
  // change of choices itself.
  ASSERT_EQ(val_reads.size(), val_before.size() + 1);
  EXPECT_EQ(val_reads.back().type(), "careplan.sharing_changed");
  for (const events::v1::Event& event : val_reads) {
    EXPECT_TRUE(event.has_payload()) << event.type();
  }
}

TEST_F(CarePlanSharingTest, TheFeedNamesNoOtherTeamToATeamNotShownTheCareTeam) {
  MustShare(ada_, {TeamRule(voluntary_.name(), {v1::SHARED_GOALS})});
  const std::vector<events::v1::Event> val_reads = ReadFeed(val_);
  ASSERT_FALSE(val_reads.empty());
  for (const events::v1::Event& event : val_reads) {
    EXPECT_FALSE(event.has_payload()) << event.type();
    for (const std::string& team : event.teams()) {
      EXPECT_TRUE(team == voluntary_.name() || team == community_.name())
          << event.type() << " names " << team;
    }
  }
  // A team shown the care team still gets every team the event names.
  const std::vector<events::v1::Event> bob_reads = ReadFeed(bob_);
  ASSERT_FALSE(bob_reads.empty());
  std::set<std::string> named;
  for (const events::v1::Event& event : bob_reads) {
    named.insert(event.teams().begin(), event.teams().end());
  }
  EXPECT_TRUE(named.count(housing_.name())) << "the crisis team sees it";
  // With the care team shared again, the voluntary team sees who else is on
  // it, in the same events.
  MustShare(ada_, {TeamRule(voluntary_.name(),
                            {v1::SHARED_GOALS, v1::SHARED_CARE_TEAM})});
  named.clear();
  for (const events::v1::Event& event : ReadFeed(val_)) {
    named.insert(event.teams().begin(), event.teams().end());
  }
  EXPECT_TRUE(named.count(housing_.name()));
}

TEST_F(CarePlanSharingTest, ARetryIsShownAsTheCallerMaySeeThePlanToday) {
  // The voluntary team leads for a while and writes with a request id.
  MustSetLead(alice_, voluntary_.name());
  v1::UpdateCarePlanRequest request = UpdateRequest(
      Goals({"Walk to the allotment twice a week"}), {"goals"}, Get().etag());
  request.set_request_id("val-goals-1");
  v1::CarePlan first;
  ASSERT_GRPC_OK(Call(&Stub::UpdateCarePlan, val_, request, &first));
  EXPECT_THAT(Withheld(first), IsEmpty()) << "the lead sees everything";
  // The community team leads again; the voluntary team's default share
  // (no crisis plan beyond what helps, its own actions) now applies.
  MustSetLead(val_, community_.name());
  v1::CarePlan retried;
  ASSERT_GRPC_OK(Call(&Stub::UpdateCarePlan, val_, request, &retried));
  EXPECT_EQ(retried.version(), first.version()) << "answered, not written";
  EXPECT_EQ(Withheld(retried),
            Set({v1::SHARED_ALL_ACTIONS, v1::SHARED_CRISIS_PLAN}));
  EXPECT_EQ(retried.crisis_plan().triggers(), "");
  EXPECT_EQ(retried.crisis_plan().what_helps(),
            full_.crisis_plan().what_helps());
}

TEST_F(CarePlanSharingTest, AChangeIsAnEventForTheCareTeam) {
  const int64_t before = ReadFeed(service_).back().sequence();
  MustShare(ada_, {TeamRule(voluntary_.name(), {v1::SHARED_GOALS})});
  std::vector<events::v1::Event> events = ReadFeed(alice_, before);
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].type(), "careplan.sharing_changed");
  EXPECT_EQ(events[0].subject(), person_ + "/sharingChoices");
  EXPECT_EQ(events[0].actor(), person_);
  std::set<std::string> teams(events[0].teams().begin(),
                              events[0].teams().end());
  EXPECT_EQ(teams, (std::set<std::string>{community_.name(), crisis_.name(),
                                          voluntary_.name(), housing_.name()}));
  v1::SharingChoices carried;
  ASSERT_TRUE(events[0].payload().UnpackTo(&carried));
  EXPECT_EQ(carried.version(), 1);
  EXPECT_EQ(carried.reason(), "The person chose this.");
  EXPECT_THAT(carried.rules(), SizeIs(1));
  // A team shown the whole plan but not leading it learns that they
  // changed, who changed them and when, not what they say nor why.
  std::vector<events::v1::Event> to_crisis = ReadFeed(bob_, before);
  ASSERT_THAT(to_crisis, SizeIs(1));
  v1::SharingChoices outlined;
  ASSERT_TRUE(to_crisis[0].payload().UnpackTo(&outlined));
  EXPECT_EQ(outlined.version(), 1);
  EXPECT_EQ(outlined.updated_by(), person_);
  EXPECT_EQ(outlined.reason(), "");
  EXPECT_THAT(outlined.rules(), IsEmpty());
  // Every team on the care team is told; one the choices keep from part of
  // the plan learns that they changed, not what they say, nor (without
  // the care team) who else is told.
  std::vector<events::v1::Event> told = ReadFeed(val_, before);
  ASSERT_THAT(told, SizeIs(1));
  EXPECT_FALSE(told[0].has_payload());
  for (const std::string& team : told[0].teams()) {
    EXPECT_TRUE(team == voluntary_.name() || team == community_.name()) << team;
  }
  // A team that has left is not told of what came after, nor of what it
  // was told before.
  MustEndTeam(alice_, housing_.name());
  const int64_t left = ReadFeed(service_).back().sequence();
  MustShare(ada_, {TeamRule(voluntary_.name(), {v1::SHARED_GOALS}),
                   TeamRule(crisis_.name(), {v1::SHARED_GOALS})});
  EXPECT_THAT(ReadFeed(otto_, left), IsEmpty());
  for (const events::v1::Event& event : ReadFeed(otto_, before)) {
    EXPECT_NE(event.type(), "careplan.sharing_changed");
  }
  EXPECT_THAT(ReadFeed(bob_, left), SizeIs(1));
}

}  // namespace
}  // namespace carebridge::careplan
