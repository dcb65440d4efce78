#include "tests/support/sample_care_plan.h"

namespace carebridge::testing {
namespace {

namespace v1 = ::carebridge::careplan::v1;

struct DateParts {
  int year = 0;  // 0: no date
  int month = 0;
  int day = 0;
};

void SetDate(const DateParts& parts, v1::Date* date) {
  date->set_year(parts.year);
  date->set_month(parts.month);
  date->set_day(parts.day);
}

struct GoalText {
  const char* description;
  v1::Goal::Status status;
  DateParts target_date;
};

// As the person said them.
constexpr GoalText kGoals[] = {
    {"I want to feel safe enough at home to sleep through most nights.",
     v1::Goal::ACTIVE,
     {2026, 3, 31}},
    {"I'd like to get back to volunteering at the community garden on "
     "Saturdays, even if it's just a couple of hours.",
     v1::Goal::ACTIVE,
     {2026, 5, 1}},
    {"I want to see my sister and my nephew every couple of weeks without it "
     "ending in an argument.",
     v1::Goal::ACTIVE,
     {}},
    {"I want to know who to call when things get bad at night, and for them "
     "to already know me.",
     v1::Goal::ACHIEVED,
     {}},
    {"I want to sort out my money so the bills stop piling up and scaring "
     "me.",
     v1::Goal::ACTIVE,
     {2026, 4, 30}},
    {"I'd like to go back to college part-time and finish my art course.",
     v1::Goal::PAUSED,
     {2026, 9, 1}},
    {"I want to cook a proper meal for myself most days instead of skipping "
     "them.",
     v1::Goal::ACTIVE,
     {}},
    {"I want to get out for a walk with the dog every day, even on the hard "
     "days.",
     v1::Goal::ACTIVE,
     {}},
    {"I don't want to tell my whole story again every time I meet someone "
     "new.",
     v1::Goal::ACTIVE,
     {}},
    {"I want a plan for October, because the anniversary is always the "
     "hardest time for me.",
     v1::Goal::ACTIVE,
     {2026, 9, 15}},
};

// Which of the owning teams carries an action.
enum Owner { kLeadTeam = 0, kCrisisTeam = 1, kVoluntaryTeam = 2 };

struct ActionText {
  Owner owner;
  const char* description;
  v1::Action::Status status;
  DateParts due_date;
  DateParts review_date;
};

constexpr ActionText kActions[] = {
    {kLeadTeam,
     "Weekly contact with the care coordinator, alternating home visits and "
     "phone calls, to talk through how the week has gone.",
     v1::Action::IN_PROGRESS,
     {},
     {2026, 3, 2}},
    {kLeadTeam,
     "Share the crisis plan with the out-of-hours crisis team so they know "
     "what helps before they arrive.",
     v1::Action::COMPLETED,
     {2026, 1, 16},
     {}},
    {kCrisisTeam,
     "Offer a planned phone call on Friday evenings through October, at the "
     "time the person chooses.",
     v1::Action::SCHEDULED,
     {},
     {2026, 11, 2}},
    {kLeadTeam,
     "Arrange a meeting with the person, their sister and the care "
     "coordinator to agree how the family would like to help.",
     v1::Action::SCHEDULED,
     {2026, 2, 20},
     {}},
    {kVoluntaryTeam,
     "Meet weekly at the community cafe with a peer support worker to plan "
     "the return to volunteering at the garden.",
     v1::Action::IN_PROGRESS,
     {},
     {2026, 4, 6}},
    {kVoluntaryTeam,
     "Refer to the debt advice service and go with the person to the first "
     "appointment if they would like.",
     v1::Action::NOT_STARTED,
     {2026, 2, 27},
     {}},
    {kLeadTeam,
     "Offer a place in the skills-based therapy group; the person decides "
     "after the taster session whether it is for them.",
     v1::Action::SCHEDULED,
     {2026, 3, 10},
     {}},
    {kLeadTeam,
     "Keep a short 'about me' summary at the front of the shared record so "
     "new staff do not ask the person to retell their story.",
     v1::Action::COMPLETED,
     {2026, 1, 30},
     {}},
    {kVoluntaryTeam,
     "Offer the evening crisis cafe as a calm place to go instead of A&E "
     "when home does not feel safe.",
     v1::Action::IN_PROGRESS,
     {},
     {2026, 6, 1}},
    {kLeadTeam,
     "Review the sleep routine together and try the wind-down plan the "
     "person chose.",
     v1::Action::IN_PROGRESS,
     {},
     {2026, 3, 16}},
    {kVoluntaryTeam,
     "Support an application to the college's learning support service, "
     "ready for when the course restarts.",
     v1::Action::ON_HOLD,
     {2026, 7, 31},
     {}},
    {kVoluntaryTeam,
     "Introduce the person to the walking group that meets on Tuesday "
     "mornings, going along the first time together.",
     v1::Action::SCHEDULED,
     {2026, 2, 17},
     {}},
    {kVoluntaryTeam,
     "Help set up a weekly food delivery and plan three simple meals the "
     "person enjoys.",
     v1::Action::COMPLETED,
     {2026, 1, 23},
     {}},
    {kLeadTeam,
     "Ask the GP practice to bring the repeat prescription review forward so "
     "it happens before the supply runs out.",
     v1::Action::NOT_STARTED,
     {2026, 2, 13},
     {}},
    {kLeadTeam,
     "Contact the housing officer about the broken front door lock, which "
     "makes nights feel unsafe; share only what the person agreed.",
     v1::Action::IN_PROGRESS,
     {2026, 2, 28},
     {}},
    {kCrisisTeam,
     "Plan for the October anniversary together: extra contact, who to "
     "call, and what helps on the day itself.",
     v1::Action::NOT_STARTED,
     {2026, 9, 15},
     {}},
    {kLeadTeam,
     "Support the person to write their advance statement in their own "
     "words and share it with everyone on the care team.",
     v1::Action::COMPLETED,
     {2026, 1, 9},
     {}},
    {kVoluntaryTeam,
     "Weekly group sessions at the day centre: stopped because the person "
     "found the group overwhelming; one-to-one peer support instead.",
     v1::Action::STOPPED,
     {},
     {}},
    {kCrisisTeam,
     "Home visit by the crisis team during the week the person's usual "
     "worker is on leave: cancelled, as the person preferred phone calls.",
     v1::Action::CANCELLED,
     {2026, 2, 9},
     {}},
    {kLeadTeam,
     "Review this plan with the person and everyone involved at the "
     "six-monthly review, at a place the person chooses.",
     v1::Action::SCHEDULED,
     {2026, 6, 15},
     {}},
};

struct ContactText {
  const char* name;
  const char* relationship;
  const char* how_to_contact;
  const char* when_to_contact;
};

constexpr ContactText kCrisisContacts[] = {
    {"Sam Okafor", "Care coordinator",
     "07700 900123 (work mobile, weekdays 9-5)",
     "First, in working hours. Sam knows the plan and can arrange a same-day "
     "visit."},
    {"Crisis line", "Out-of-hours crisis team", "0800 123 4567",
     "Evenings, nights and weekends. Mention the crisis plan on the shared "
     "record; they have agreed to read it before calling back."},
    {"Jo", "Sister", "07700 900456",
     "When I ask for her, or if I cannot be reached for a day. She knows "
     "what helps and can stay over."},
};

void FillCrisisPlan(v1::CrisisPlan* crisis) {
  crisis->set_early_warning_signs(
      "I stop answering my phone and stay in bed past midday. I stop eating "
      "properly and stop walking the dog. I start giving things away or "
      "talking about not being around.");
  crisis->set_triggers(
      "The anniversary in October. Being told a service can't help me "
      "without being told who can. Loud arguments, and letters about debt "
      "or housing arriving without warning.");
  crisis->set_what_helps(
      "Someone I already know calling me and staying on the line. Being "
      "asked what I need rather than told. Going for a walk with the dog "
      "with someone, a hot drink and a quiet room. Hearing a plan for the "
      "next day.");
  crisis->set_what_to_avoid(
      "Please don't raise your voice or stand between me and the door. "
      "Being left alone in a busy waiting room makes it worse. Don't make "
      "me repeat everything that happened before.");
  crisis->set_preferred_response(
      "A phone call first, then a visit at home from the crisis team if "
      "needed. I would rather go to the crisis cafe than A&E. If I need to "
      "stay somewhere, I would like Jo to be told and to look after the "
      "dog.");
  crisis->set_advance_statements(
      "When I am unwell I may say I don't want help, but I do want someone "
      "to keep trying to reach me. Please tell Jo if I am admitted. I would "
      "like a female worker for any physical examination where possible.");
  for (const ContactText& text : kCrisisContacts) {
    v1::CrisisContact* contact = crisis->add_contacts();
    contact->set_name(text.name);
    contact->set_relationship(text.relationship);
    contact->set_how_to_contact(text.how_to_contact);
    contact->set_when_to_contact(text.when_to_contact);
  }
}

void FillCommunicationPreferences(v1::CommunicationPreferences* prefs) {
  prefs->add_contact_methods(v1::TEXT_MESSAGE);
  prefs->add_contact_methods(v1::PHONE_CALL);
  prefs->add_contact_methods(v1::LETTER);
  prefs->set_contact_times(
      "Weekdays after 11am. Please text before calling; I don't answer "
      "unknown numbers. No calls on Sunday mornings.");
  prefs->set_interpreter_language("Polish, for appointments about money");
  prefs->set_accessibility_needs(
      "Letters in plain language, and a text to say a letter is coming. "
      "Appointments on the ground floor, near the bus stop.");
  prefs->set_other(
      "I find it easier to talk while walking than sitting across a desk. "
      "Please introduce yourself and say what you already know about me.");
  v1::Supporter* sister = prefs->add_supporters();
  sister->set_name("Jo");
  sister->set_relationship("Sister");
  sister->set_contact("07700 900456");
  sister->set_may_be_contacted(true);
  v1::Supporter* advocate = prefs->add_supporters();
  advocate->set_name("Priya Shah");
  advocate->set_relationship("Independent advocate, Speak Up Advocacy");
  advocate->set_contact("priya.shah@advocacy.example");
  advocate->set_may_be_contacted(true);
}

}  // namespace

v1::CarePlan SampleCarePlan(absl::Span<const std::string> owning_teams) {
  v1::CarePlan plan;
  for (const GoalText& text : kGoals) {
    v1::Goal* goal = plan.add_goals();
    goal->set_description(text.description);
    goal->set_status(text.status);
    if (text.target_date.year != 0) {
      SetDate(text.target_date, goal->mutable_target_date());
    }
  }
  for (const ActionText& text : kActions) {
    v1::Action* action = plan.add_actions();
    action->set_description(text.description);
    if (!owning_teams.empty()) {
      action->set_owning_team(owning_teams[text.owner % owning_teams.size()]);
    }
    action->set_status(text.status);
    if (text.due_date.year != 0) {
      SetDate(text.due_date, action->mutable_due_date());
    }
    if (text.review_date.year != 0) {
      SetDate(text.review_date, action->mutable_review_date());
    }
  }
  FillCrisisPlan(plan.mutable_crisis_plan());
  FillCommunicationPreferences(plan.mutable_communication_preferences());
  SetDate({2026, 6, 15}, plan.mutable_review_date());
  return plan;
}

google::protobuf::FieldMask SampleCarePlanMask() {
  google::protobuf::FieldMask mask;
  for (const char* path : {"goals", "actions", "crisis_plan",
                           "communication_preferences", "review_date"}) {
    mask.add_paths(path);
  }
  return mask;
}

}  // namespace carebridge::testing
