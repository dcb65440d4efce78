#include "services/record/record_projection.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "carebridge/handover/v1/handover.pb.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "services/common/time_util.h"
#include "services/record/record_projection_internal.h"

namespace carebridge::record {
namespace projection_internal {

std::string Lower(absl::string_view text) {
  std::string lower(text);
  absl::AsciiStrToLower(&lower);
  absl::StrReplaceAll({{"_", " "}}, &lower);
  return lower;
}

TimelineRow RowFor(const events::v1::Event& event, const std::string& person_id,
                   v1::EntryKind kind) {
  TimelineRow row;
  row.person_id = person_id;
  row.time = FromProtoTimestamp(event.time());
  row.feed = event.feed();
  row.sequence = event.sequence();
  row.kind = kind;
  row.type = event.type();
  row.resource = event.subject();
  row.actor = event.actor();
  row.teams.assign(event.teams().begin(), event.teams().end());
  return row;
}

void Notify(RecordChange& change, const std::string& type,
            const std::string& team, const TimelineRow& row) {
  if (team.empty()) return;
  InboxNote note;
  note.type = type;
  note.item.set_team(team);
  note.item.set_person(absl::StrCat("persons/", row.person_id));
  note.item.set_resource(row.resource);
  note.item.set_summary(row.summary);
  note.item.set_entry(EntryName(row));
  *note.item.mutable_time() = ToProtoTimestamp(row.time);
  change.inbox.push_back(std::move(note));
}

absl::Status NotA(const events::v1::Event& event, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(
      "event ", event.id(), " (", event.type(), ") does not carry a ", what));
}

}  // namespace projection_internal

namespace {

namespace ho = handover::v1;
namespace rf = referral::v1;
using projection_internal::Lower;
using projection_internal::NotA;
using projection_internal::Notify;
using projection_internal::RowFor;

std::string UrgencyWord(rf::Urgency urgency) {
  return Lower(rf::Urgency_Name(urgency));
}

absl::StatusOr<std::string> PersonId(const events::v1::Event& event) {
  absl::string_view person = event.person();
  if (!absl::ConsumePrefix(&person, "persons/") || person.empty()) return "";
  return std::string(person);
}

// --- referral ---

std::string OnwardRoute(const rf::Referral& referral) {
  std::vector<std::string> parts;
  if (!referral.onward_route().suggested_team().empty()) {
    parts.push_back(
        absl::StrCat("suggested ", referral.onward_route().suggested_team()));
  }
  if (!referral.onward_route().signposting().empty()) {
    parts.push_back(
        absl::StrCat("signposted: ", referral.onward_route().signposting()));
  }
  return absl::StrJoin(parts, "; ");
}

absl::StatusOr<RecordChange> ProjectReferral(const events::v1::Event& event,
                                             const std::string& person_id) {
  rf::Referral referral;
  if (!event.payload().UnpackTo(&referral)) return NotA(event, "Referral");
  const bool escalated = event.type() == "referral.escalated";
  RecordChange change;
  change.person_id = person_id;
  TimelineRow row =
      RowFor(event, person_id, escalated ? v1::ESCALATION : v1::REFERRAL);
  row.resource = referral.name();
  const std::string& from = referral.sending_team();
  const std::string& to = referral.receiving_team();
  const rf::ReferralEvent* step =
      referral.history().empty()
          ? nullptr
          : &referral.history(referral.history_size() - 1);
  if (step != nullptr) row.actor_team = step->actor_team();
  if (step != nullptr) row.reason = step->note();
  const std::string type(absl::StripPrefix(event.type(), "referral."));
  if (type == "created") {
    if (referral.redirected_from().empty()) {
      row.summary = absl::StrCat("Referral sent by ", from, " to ", to, " (",
                                 UrgencyWord(referral.urgency()), ")");
      row.actor_team = from;
    } else {
      // Opened by the team that redirected it, on the sender's behalf.
      row.summary = absl::StrCat(
          "Referral to ", to, " (", UrgencyWord(referral.urgency()),
          ") opened on redirection from ", referral.redirected_from());
    }
    row.reason = referral.reason();
  } else if (type == "declined") {
    row.summary = absl::StrCat("Referral declined by ", to);
    const std::string onward = OnwardRoute(referral);
    if (!onward.empty()) {
      row.reason = row.reason.empty()
                       ? onward
                       : absl::StrCat(row.reason, " (", onward, ")");
    }
  } else if (type == "redirected") {
    row.summary = absl::StrCat("Referral redirected by ", to);
    if (!referral.redirected_to().empty()) {
      absl::StrAppend(&row.summary, " as ", referral.redirected_to());
    }
  } else if (type == "withdrawn") {
    row.summary = absl::StrCat("Referral withdrawn by ", from);
  } else if (type == "escalated") {
    row.summary =
        absl::StrCat("Referral to ", to, " unanswered past its deadline (",
                     UrgencyWord(referral.urgency()), ")");
    row.actor_team.clear();
    row.reason.clear();
  } else {
    // acknowledged, accepted, completed.
    row.summary = absl::StrCat("Referral ", type, " by ", to);
  }
  if (type == "created") {
    Notify(change, "inbox.referral_received", to, row);
  } else if (type == "withdrawn") {
    Notify(change, "inbox.referral_withdrawn", to, row);
  } else if (type == "accepted" || type == "declined" || type == "redirected") {
    Notify(change, "inbox.referral_answered", from, row);
  } else if (type == "escalated") {
    Notify(change, "inbox.escalated", from, row);
    Notify(change, "inbox.escalated", to, row);
  }
  change.entry = std::move(row);

  LoopChange loop;
  loop.resource = referral.name();
  loop.person_id = person_id;
  loop.open =
      referral.state() == rf::SENT || referral.state() == rf::ACKNOWLEDGED;
  if (loop.open) {
    v1::OpenLoop& open = loop.loop;
    open.set_resource(referral.name());
    open.set_kind(v1::REFERRAL);
    open.set_sending_team(from);
    open.set_receiving_team(to);
    open.set_urgency(referral.urgency());
    open.set_state(rf::State_Name(referral.state()));
    *open.mutable_since() = referral.create_time();
    *open.mutable_due_time() = referral.response_due_time();
    if (referral.has_escalate_time()) {
      *open.mutable_escalate_time() = referral.escalate_time();
    }
  }
  change.loop = std::move(loop);

  HandOffFacts facts;
  facts.resource = referral.name();
  facts.person_id = person_id;
  facts.sending_team = from;
  facts.receiving_team = to;
  facts.urgency = referral.urgency();
  facts.create_time = FromProtoTimestamp(referral.create_time());
  if (referral.has_response_due_time()) {
    facts.due_time = FromProtoTimestamp(referral.response_due_time());
  }
  for (const rf::ReferralEvent& step : referral.history()) {
    if (step.action() == rf::ReferralEvent::ACCEPTED ||
        step.action() == rf::ReferralEvent::DECLINED ||
        step.action() == rf::ReferralEvent::REDIRECTED) {
      facts.answer_time = FromProtoTimestamp(step.time());
      if (step.action() == rf::ReferralEvent::DECLINED) {
        facts.reason = step.note();
      }
      break;
    }
  }
  switch (referral.state()) {
    case rf::ACCEPTED:
    case rf::COMPLETED:
      facts.outcome = "accepted";
      break;
    case rf::DECLINED:
      facts.outcome = "declined";
      facts.onward = referral.onward_route().suggested_team().empty()
                         ? "signposting"
                         : referral.onward_route().suggested_team();
      break;
    case rf::REDIRECTED:
      facts.outcome = "redirected";
      break;
    case rf::WITHDRAWN:
      facts.outcome = "withdrawn";
      break;
    default:
      break;
  }
  facts.escalated = referral.has_escalate_time();
  change.facts = std::move(facts);
  return change;
}

// --- handover ---

std::string HandoverKindWord(ho::Kind kind) {
  return Lower(ho::Kind_Name(kind));
}

absl::StatusOr<RecordChange> ProjectHandover(const events::v1::Event& event,
                                             const std::string& person_id) {
  ho::Handover handover;
  if (!event.payload().UnpackTo(&handover)) return NotA(event, "Handover");
  const bool escalated = event.type() == "handover.escalated";
  RecordChange change;
  change.person_id = person_id;
  TimelineRow row =
      RowFor(event, person_id, escalated ? v1::ESCALATION : v1::HANDOVER);
  row.resource = handover.name();
  const std::string& from = handover.sending_team();
  const std::string& to = handover.receiving_team();
  const std::string type(absl::StripPrefix(event.type(), "handover."));
  const std::string kind = HandoverKindWord(handover.kind());
  if (type == "created") {
    row.summary = absl::StrCat("Handover (", kind, ") sent by ", from, " to ",
                               to, " (", UrgencyWord(handover.urgency()), ")");
    row.actor_team = from;
    row.reason = handover.situation();
  } else if (type == "accepted" || type == "declined") {
    row.summary = absl::StrCat("Handover (", kind, ") ", type, " by ", to);
    row.actor_team = to;
    row.reason = handover.answer_note();
  } else if (type == "cancelled") {
    row.summary = absl::StrCat("Handover (", kind, ") cancelled by ", from);
    row.actor_team = from;
    row.reason = handover.answer_note();
  } else if (type == "escalated") {
    row.summary = absl::StrCat("Handover (", kind, ") to ", to,
                               " unanswered past its deadline (",
                               UrgencyWord(handover.urgency()), ")");
  } else {
    row.summary = absl::StrCat("Handover (", kind, ") ", Lower(type));
  }
  if (type == "created") {
    Notify(change, "inbox.handover_received", to, row);
  } else if (type == "cancelled") {
    Notify(change, "inbox.handover_cancelled", to, row);
  } else if (type == "accepted" || type == "declined") {
    Notify(change, "inbox.handover_answered", from, row);
  } else if (type == "escalated") {
    Notify(change, "inbox.escalated", from, row);
    Notify(change, "inbox.escalated", to, row);
  }
  change.entry = std::move(row);

  LoopChange loop;
  loop.resource = handover.name();
  loop.person_id = person_id;
  loop.open = handover.state() == ho::PENDING;
  if (loop.open) {
    v1::OpenLoop& open = loop.loop;
    open.set_resource(handover.name());
    open.set_kind(v1::HANDOVER);
    open.set_sending_team(from);
    open.set_receiving_team(to);
    open.set_urgency(handover.urgency());
    open.set_state(ho::State_Name(handover.state()));
    *open.mutable_since() = handover.create_time();
    *open.mutable_due_time() = handover.response_due_time();
    if (handover.has_escalate_time()) {
      *open.mutable_escalate_time() = handover.escalate_time();
    }
  }
  change.loop = std::move(loop);

  HandOffFacts facts;
  facts.resource = handover.name();
  facts.handover = true;
  facts.person_id = person_id;
  facts.sending_team = from;
  facts.receiving_team = to;
  facts.urgency = handover.urgency();
  facts.create_time = FromProtoTimestamp(handover.create_time());
  if (handover.has_response_due_time()) {
    facts.due_time = FromProtoTimestamp(handover.response_due_time());
  }
  if (handover.state() != ho::PENDING && handover.has_answer_time()) {
    facts.answer_time = FromProtoTimestamp(handover.answer_time());
  }
  if (handover.state() == ho::ACCEPTED) facts.outcome = "accepted";
  if (handover.state() == ho::DECLINED) {
    facts.outcome = "declined";
    facts.reason = handover.answer_note();
  }
  if (handover.state() == ho::CANCELLED) facts.outcome = "cancelled";
  facts.escalated = handover.has_escalate_time();
  change.facts = std::move(facts);
  return change;
}

// --- directory ---

// `person.merged`: the payload is the duplicate, merged into the person
// kept. The entry goes on the kept person's timeline; the store moves the
// duplicate's history there.
absl::StatusOr<RecordChange> ProjectMerge(const events::v1::Event& event,
                                          const directory::v1::Person& person) {
  absl::string_view duplicate = person.name();
  absl::string_view into = person.merged_into();
  if (!absl::ConsumePrefix(&duplicate, "persons/") || duplicate.empty() ||
      !absl::ConsumePrefix(&into, "persons/") || into.empty()) {
    return NotA(event, "Person with merged_into");
  }
  RecordChange change;
  change.person_id = std::string(into);
  change.merge = PersonMerge{std::string(duplicate), std::string(into)};
  TimelineRow row = RowFor(event, change.person_id, v1::PERSON);
  row.resource = person.name();
  row.summary =
      absl::StrCat("Registered twice: ", person.name(), " (",
                   person.given_name(), " ", person.family_name(), ", born ",
                   person.birth_date(), ") merged into this record");
  change.entry = std::move(row);
  return change;
}

absl::StatusOr<RecordChange> ProjectPerson(const events::v1::Event& event,
                                           const std::string& person_id) {
  directory::v1::Person person;
  if (!event.payload().UnpackTo(&person)) return NotA(event, "Person");
  if (event.type() == "person.merged") return ProjectMerge(event, person);
  RecordChange change;
  change.person_id = person_id;
  TimelineRow row = RowFor(event, person_id, v1::PERSON);
  row.resource = person.name();
  row.summary = event.type() == "person.created"
                    ? "Registered with carebridge"
                    : "Registration details changed";
  change.entry = std::move(row);
  return change;
}

absl::StatusOr<RecordChange> ProjectEvent(const events::v1::Event& event) {
  if (event.feed() == "directory" && absl::StartsWith(event.type(), "team.")) {
    directory::v1::Team team;
    if (!event.payload().UnpackTo(&team)) return NotA(event, "Team");
    RecordChange change;
    change.team = TeamSector{team.name(), static_cast<int>(team.sector())};
    return change;
  }
  // The payload names both persons of a merge, whoever the event names.
  if (event.feed() == "directory" && event.type() == "person.merged") {
    return ProjectPerson(event, "");
  }
  absl::StatusOr<std::string> person_id = PersonId(event);
  if (!person_id.ok()) return person_id.status();
  if (person_id->empty()) return RecordChange();
  if (event.feed() == "referral") return ProjectReferral(event, *person_id);
  if (event.feed() == "handover") return ProjectHandover(event, *person_id);
  if (event.feed() == "careplan") {
    return projection_internal::ProjectCarePlanFeed(event, *person_id);
  }
  if (event.feed() == "directory" &&
      absl::StartsWith(event.type(), "person.")) {
    return ProjectPerson(event, *person_id);
  }
  return RecordChange();
}

}  // namespace

bool TimelineRow::operator==(const TimelineRow& other) const {
  return person_id == other.person_id && time == other.time &&
         feed == other.feed && sequence == other.sequence &&
         kind == other.kind && type == other.type &&
         resource == other.resource && actor == other.actor &&
         actor_team == other.actor_team && summary == other.summary &&
         reason == other.reason && teams == other.teams &&
         ended_teams == other.ended_teams && sections == other.sections;
}

void Readdress(RecordChange& change, const std::string& person_id) {
  const std::string was = change.person_id;
  const std::string person = absl::StrCat("persons/", person_id);
  std::string old_entry;
  std::string new_entry;
  change.person_id = person_id;
  if (change.entry.has_value()) {
    old_entry = EntryName(*change.entry);
    change.entry->person_id = person_id;
    new_entry = EntryName(*change.entry);
  }
  if (change.plan.has_value()) change.plan->person_id = person_id;
  if (change.loop.has_value()) change.loop->person_id = person_id;
  if (change.facts.has_value()) change.facts->person_id = person_id;
  if (change.merge.has_value()) change.merge->into_id = person_id;
  for (InboxNote& note : change.inbox) {
    if (note.item.person() != absl::StrCat("persons/", was)) continue;
    note.item.set_person(person);
    if (!old_entry.empty() && note.item.entry() == old_entry) {
      note.item.set_entry(new_entry);
    }
  }
}

std::vector<std::string> FollowedTypes(const std::string& feed) {
  if (feed == "directory") return {"person.", "team."};
  // Every step of referrals, handovers and care plans.
  return {absl::StrCat(feed, ".")};
}

absl::StatusOr<RecordChange> Project(const events::v1::Event& event) {
  absl::StatusOr<RecordChange> change = ProjectEvent(event);
  if (change.ok()) change->time = FromProtoTimestamp(event.time());
  return change;
}

int FeedRank(absl::string_view feed) {
  if (feed == "directory") return 0;
  if (feed == "referral") return 1;
  if (feed == "handover") return 2;
  if (feed == "careplan") return 3;
  return 4;
}

std::string EntryName(const TimelineRow& row) {
  return absl::StrCat("persons/", row.person_id, "/timeline/", row.feed, "-",
                      row.sequence);
}

}  // namespace carebridge::record
