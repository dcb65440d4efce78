#include "tests/benchmark/record_generator.h"

#include "absl/strings/str_cat.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "carebridge/handover/v1/handover.pb.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "services/common/event_log.h"
#include "services/common/time_util.h"

namespace carebridge::bench {
namespace {

namespace cp = careplan::v1;
namespace ho = handover::v1;
namespace rf = referral::v1;

void Push(std::vector<events::v1::Event>& feed, const std::string& name,
          events::v1::Event event) {
  event.set_feed(name);
  event.set_sequence(static_cast<int64_t>(feed.size()) + 1);
  event.set_id(absl::StrCat(name, "/", event.sequence()));
  feed.push_back(std::move(event));
}

std::string Team(int n) { return absl::StrCat("teams/t", n); }

}  // namespace

GeneratedFeeds GenerateFeeds(int first_person, int persons,
                             int events_per_person, int teams,
                             absl::Time start) {
  GeneratedFeeds feeds;
  absl::Time now = start;
  auto tick = [&now] { return now += absl::Minutes(1); };
  for (int t = 0; t < teams; ++t) {
    directory::v1::Team team;
    team.set_name(Team(t));
    team.set_display_name(absl::StrCat("Team ", t));
    team.set_sector(t % 5 == 1 ? directory::v1::CRISIS
                               : directory::v1::COMMUNITY_MENTAL_HEALTH);
    Push(feeds.directory, "directory",
         MakeEvent("team.created", team.name(), "", {team.name()},
                   "members/admin", tick(), team));
  }
  // Each round is 8 events: a referral declined (2), a referral accepted
  // (2) with the care plan version it brings (1), a content update (1), a
  // handover sent and accepted (2).
  const int rounds = std::max(1, (events_per_person - 1) / 8);
  for (int p = first_person; p < first_person + persons; ++p) {
    const std::string person = absl::StrCat("persons/p", p);
    directory::v1::Person registered;
    registered.set_name(person);
    registered.set_given_name("Sam");
    registered.set_family_name(absl::StrCat("Person", p));
    Push(feeds.directory, "directory",
         MakeEvent("person.created", person, person, {}, "members/m0", tick(),
                   registered));
    cp::CarePlan plan;
    plan.set_person(person);
    for (int r = 0; r < rounds; ++r) {
      const std::string from = Team((p + r) % teams);
      const std::string declines = Team((p + r + 1) % teams);
      const std::string accepts = Team((p + r + 2) % teams);
      for (int k = 0; k < 2; ++k) {
        rf::Referral referral;
        referral.set_name(absl::StrCat("referrals/p", p, "r", r, "k", k));
        referral.set_person(person);
        referral.set_sending_team(from);
        referral.set_receiving_team(k == 0 ? declines : accepts);
        referral.set_urgency(rf::URGENT);
        referral.set_reason("Rising distress; needs support in the evenings.");
        referral.set_state(rf::SENT);
        *referral.mutable_create_time() = ToProtoTimestamp(tick());
        *referral.mutable_response_due_time() =
            ToProtoTimestamp(now + absl::Hours(72));
        rf::ReferralEvent* created = referral.add_history();
        created->set_action(rf::ReferralEvent::CREATED);
        created->set_actor_team(from);
        *created->mutable_time() = referral.create_time();
        Push(feeds.referral, "referral",
             MakeEvent("referral.created", referral.name(), person,
                       {from, referral.receiving_team()}, "members/m1", now,
                       referral));
        rf::ReferralEvent* answer = referral.add_history();
        answer->set_actor_team(referral.receiving_team());
        *answer->mutable_time() = ToProtoTimestamp(tick());
        if (k == 0) {
          referral.set_state(rf::DECLINED);
          answer->set_action(rf::ReferralEvent::DECLINED);
          answer->set_note("Not in crisis now; evening support fits better.");
          referral.mutable_onward_route()->set_suggested_team(accepts);
        } else {
          referral.set_state(rf::ACCEPTED);
          answer->set_action(rf::ReferralEvent::ACCEPTED);
          answer->set_note("We can see them on Tuesdays.");
        }
        Push(feeds.referral, "referral",
             MakeEvent(k == 0 ? "referral.declined" : "referral.accepted",
                       referral.name(), person,
                       {from, referral.receiving_team()}, "members/m2", now,
                       referral));
      }
      // The accepted referral's effect, then a content update.
      plan.set_version(plan.version() + 1);
      plan.clear_care_team();
      cp::CareTeamMember* member = plan.add_care_team();
      member->set_team(accepts);
      member->set_role("care coordination");
      member->set_lead(true);
      *member->mutable_start_time() = ToProtoTimestamp(tick());
      plan.set_lead_team(accepts);
      plan.mutable_change()->set_kind(cp::Change::CARE_TEAM_CHANGED);
      plan.mutable_change()->clear_sections();
      plan.mutable_change()->add_sections(cp::CARE_TEAM);
      plan.mutable_change()->set_actor("services/careplan");
      *plan.mutable_change()->mutable_time() = ToProtoTimestamp(now);
      Push(
          feeds.careplan, "careplan",
          MakeEvent("careplan.care_team_changed",
                    absl::StrCat(person, "/carePlan/versions/", plan.version()),
                    person, {accepts}, "services/careplan", now, plan));
      plan.set_version(plan.version() + 1);
      plan.mutable_crisis_plan()->set_what_helps(
          "Her sister; walking the dog.");
      plan.mutable_change()->set_kind(cp::Change::CONTENT_UPDATED);
      plan.mutable_change()->clear_sections();
      plan.mutable_change()->add_sections(cp::CRISIS_PLAN);
      plan.mutable_change()->set_actor("members/m3");
      plan.mutable_change()->set_actor_team(accepts);
      plan.mutable_change()->set_reason("Crisis plan written together.");
      *plan.mutable_change()->mutable_time() = ToProtoTimestamp(tick());
      Push(
          feeds.careplan, "careplan",
          MakeEvent("careplan.content_updated",
                    absl::StrCat(person, "/carePlan/versions/", plan.version()),
                    person, {accepts}, "members/m3", now, plan));
      ho::Handover handover;
      handover.set_name(absl::StrCat("handovers/p", p, "r", r));
      handover.set_person(person);
      handover.set_sending_team(accepts);
      handover.set_receiving_team(from);
      handover.set_kind(ho::SHARED_CARE);
      handover.set_urgency(rf::ROUTINE);
      handover.set_situation("Settling; evenings still hard.");
      handover.set_state(ho::PENDING);
      *handover.mutable_create_time() = ToProtoTimestamp(tick());
      *handover.mutable_response_due_time() =
          ToProtoTimestamp(now + absl::Hours(72));
      Push(feeds.handover, "handover",
           MakeEvent("handover.created", handover.name(), person,
                     {accepts, from}, "members/m3", now, handover));
      handover.set_state(ho::ACCEPTED);
      handover.set_answer_note("Evening calls for two weeks.");
      *handover.mutable_answer_time() = ToProtoTimestamp(tick());
      Push(feeds.handover, "handover",
           MakeEvent("handover.accepted", handover.name(), person,
                     {accepts, from}, "members/m1", now, handover));
    }
    // Up to exactly `events_per_person`: further content updates by the
    // team that leads.
    for (int extra = 1 + 8 * rounds; extra < events_per_person; ++extra) {
      plan.set_version(plan.version() + 1);
      plan.mutable_goals()->Clear();
      plan.add_goals()->set_description(
          absl::StrCat("Evenings settled, week ", extra));
      plan.mutable_change()->set_kind(cp::Change::CONTENT_UPDATED);
      plan.mutable_change()->clear_sections();
      plan.mutable_change()->add_sections(cp::GOALS);
      plan.mutable_change()->set_actor("members/m3");
      plan.mutable_change()->set_actor_team(plan.lead_team());
      plan.mutable_change()->set_reason("Review with the person.");
      *plan.mutable_change()->mutable_time() = ToProtoTimestamp(tick());
      Push(
          feeds.careplan, "careplan",
          MakeEvent("careplan.content_updated",
                    absl::StrCat(person, "/carePlan/versions/", plan.version()),
                    person, {plan.lead_team()}, "members/m3", now, plan));
    }
  }
  return feeds;
}

}  // namespace carebridge::bench
