#ifndef CAREBRIDGE_TESTS_CAREPLAN_REALISTIC_PLAN_H_
#define CAREBRIDGE_TESTS_CAREPLAN_REALISTIC_PLAN_H_

// A care plan the size real ones are (10 goals, 20 actions, a full crisis
// plan, communication preferences), for integration tests and the benchmark.
// Header-only and free of gtest and gRPC: it needs only the generated proto.

#include <google/protobuf/field_mask.pb.h>

#include <string>
#include <vector>

#include "carebridge/careplan/v1/careplan.pb.h"

namespace carebridge::careplan {

// Every content section, as UpdateCarePlan's update_mask paths.
inline std::vector<std::string> AllContentPaths() {
  return {"goals", "actions", "crisis_plan", "communication_preferences",
          "review_date"};
}

inline google::protobuf::FieldMask AllContentMask() {
  google::protobuf::FieldMask mask;
  for (const std::string& path : AllContentPaths()) mask.add_paths(path);
  return mask;
}

inline v1::Date MakeDate(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

// The content of a plan written with a person: goals in their words, actions
// owned in turn by each of `owning_teams` (`teams/{id}`, at least one), a
// crisis plan with every field and five contacts, and communication
// preferences with two supporters. Ids are left empty (new items), so the
// server assigns them. Only content is set: send it with AllContentMask().
inline v1::CarePlan RealisticCarePlan(
    const std::vector<std::string>& owning_teams) {
  static constexpr const char* kGoals[] = {
      "I want to feel safe in my own flat again, especially at night.",
      "Get back to my pottery class on Thursdays.",
      "Sleep through the night at least four nights a week.",
      "Talk to my sister every weekend, even when things are hard.",
      "Find a volunteering role with animals.",
      "Understand what happens to me when I get overwhelmed.",
      "Go to the GP about my back pain without cancelling.",
      "Cook a proper meal for myself three times a week.",
      "Not end up in A&E when things get really bad.",
      "Be listened to the first time, without retelling everything.",
  };
  static constexpr const char* kActions[] = {
      "Weekly one-to-one sessions with the care coordinator.",
      "Review medication with the consultant psychiatrist.",
      "Refer to the DBT skills group when a place opens.",
      "Peer support drop-in on Tuesday afternoons.",
      "Help with the housing repair request for the broken lock.",
      "Share the crisis plan with the out-of-hours crisis line.",
      "Sleep hygiene work, reviewed after four weeks.",
      "Contact the pottery class about a supported place.",
      "Benefits check with the welfare rights adviser.",
      "Support to register with a dentist.",
      "Agree a plan for anniversaries of the bereavement.",
      "Introduce the volunteering coordinator at the animal shelter.",
      "Joint visit with the crisis team to introduce faces.",
      "Check in by text on Friday evenings.",
      "Trauma-informed assessment with psychology.",
      "Support to attend the GP appointment for back pain.",
      "Cooking group at the community centre.",
      "Review of the advance statement with an advocate.",
      "Family session with the person's sister, if she wants one.",
      "Plan the step-down from the care programme approach.",
  };
  v1::CarePlan plan;
  int k = 0;
  for (const char* description : kGoals) {
    v1::Goal* goal = plan.add_goals();
    goal->set_description(description);
    goal->set_status(k % 4 == 3 ? v1::Goal::PAUSED : v1::Goal::ACTIVE);
    if (k % 2 == 0) *goal->mutable_target_date() = MakeDate(2026, 3 + k, 1);
    ++k;
  }
  k = 0;
  for (const char* description : kActions) {
    v1::Action* action = plan.add_actions();
    action->set_description(description);
    action->set_owning_team(owning_teams[k % owning_teams.size()]);
    action->set_status(static_cast<v1::Action::Status>(1 + k % 4));
    if (k % 3 == 0) *action->mutable_due_date() = MakeDate(2026, 2, 1 + k);
    if (k % 3 == 1) *action->mutable_review_date() = MakeDate(2026, 4, 1 + k);
    ++k;
  }

  v1::CrisisPlan* crisis = plan.mutable_crisis_plan();
  crisis->set_early_warning_signs(
      "I stop answering my phone, stay in bed past midday and stop eating "
      "properly. I get very quiet, or I text lots of people late at night.");
  crisis->set_triggers(
      "Anniversaries of my mum's death (March). Being told to wait without "
      "knowing for how long. Raised voices. Letters about benefits.");
  crisis->set_what_helps(
      "Someone calm who tells me what will happen next. Sitting outside. "
      "Holding something cold. Being asked what I need rather than told.");
  crisis->set_what_to_avoid(
      "Please do not talk about me to others in front of me. Do not touch "
      "me without asking. Being left alone in a small room has made it "
      "worse before.");
  crisis->set_preferred_response(
      "Home visit by the crisis team if possible; the crisis house rather "
      "than hospital. Phone my sister first.");
  crisis->set_advance_statements(
      "If I am admitted I want my cat looked after by my neighbour at "
      "number 12. I prefer female staff for personal care.");
  static constexpr const char* kContacts[][4] = {
      {"Sam (sister)", "sister", "07700 900123", "Any time, day or night."},
      {"Crisis line", "out-of-hours crisis team", "0800 000 0000",
       "Evenings and weekends."},
      {"Care coordinator", "community mental health team", "0113 496 0000",
       "Weekdays 9 to 5."},
      {"Jo", "peer support worker", "07700 900456", "Tuesdays and Fridays."},
      {"Neighbour at number 12", "neighbour", "knock on the door",
       "To look after the cat."},
  };
  for (const auto& contact : kContacts) {
    v1::CrisisContact* c = crisis->add_contacts();
    c->set_name(contact[0]);
    c->set_relationship(contact[1]);
    c->set_how_to_contact(contact[2]);
    c->set_when_to_contact(contact[3]);
  }

  v1::CommunicationPreferences* comms =
      plan.mutable_communication_preferences();
  comms->add_contact_methods(v1::TEXT_MESSAGE);
  comms->add_contact_methods(v1::IN_PERSON);
  comms->add_contact_methods(v1::LETTER);
  comms->set_contact_times("After 11 in the morning; not on Sundays.");
  comms->set_interpreter_language("Polish");
  comms->set_accessibility_needs(
      "Easy-read letters, please; step-free access for appointments.");
  v1::Supporter* sister = comms->add_supporters();
  sister->set_name("Sam");
  sister->set_relationship("sister");
  sister->set_contact("07700 900123");
  sister->set_may_be_contacted(true);
  v1::Supporter* advocate = comms->add_supporters();
  advocate->set_name("Priya");
  advocate->set_relationship("independent advocate");
  advocate->set_contact("advocacy@example.org");
  advocate->set_may_be_contacted(false);
  comms->set_other("Say what you are going to do before you do it.");

  *plan.mutable_review_date() = MakeDate(2026, 6, 30);
  return plan;
}

}  // namespace carebridge::careplan

#endif  // CAREBRIDGE_TESTS_CAREPLAN_REALISTIC_PLAN_H_
