#ifndef CAREBRIDGE_SERVICES_RECORD_RECORD_PROJECTION_H_
#define CAREBRIDGE_SERVICES_RECORD_RECORD_PROJECTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "carebridge/events/v1/events.pb.h"
#include "carebridge/record/v1/record.pb.h"

namespace carebridge::record {

// One step in a person's timeline, as the record keeps it (the caller's
// view is decided when it is read: see record_visibility.h).
struct TimelineRow {
  std::string person_id;
  absl::Time time;
  // The source event: `{feed}/{sequence}`.
  std::string feed;
  int64_t sequence = 0;
  v1::EntryKind kind = v1::ENTRY_KIND_UNSPECIFIED;
  std::string type;
  std::string resource;
  std::string actor;
  std::string actor_team;
  std::string summary;
  std::string reason;
  // The event's teams: who may see the step.
  std::vector<std::string> teams;
  // For care team changes: the teams whose involvement this step ended.
  std::vector<std::string> ended_teams;
  // For care plan and care team steps: the sections of the plan the change
  // touched (careplan::v1::Section values); unset when not known (steps
  // recorded before the record kept them).
  std::optional<std::vector<int>> sections;

  bool operator==(const TimelineRow& other) const;
};

// The care plan as the summary shows it: CareSummary's care plan fields
// (care_plan_version, lead_team, care_team, agreed, agree_time,
// review_time, has_crisis_plan; lead_since is kept by the store, which
// knows the lead before).
struct PlanState {
  std::string person_id;
  v1::CareSummary plan;
  absl::Time time;
};

// A referral or handover that opened, moved or closed.
struct LoopChange {
  std::string resource;
  std::string person_id;
  // Still awaiting an answer (then `loop` is what the summary shows).
  bool open = false;
  v1::OpenLoop loop;
};

// A referral or handover as the team reports count it (the latest state).
struct HandOffFacts {
  std::string resource;
  bool handover = false;
  std::string person_id;
  std::string sending_team;
  std::string receiving_team;
  int urgency = 0;
  absl::Time create_time;
  absl::Time due_time = absl::InfinitePast();
  // When answered (accepted, declined, redirected; for handovers also
  // cancelled); InfinitePast while not.
  absl::Time answer_time = absl::InfinitePast();
  // `accepted`, `declined`, `redirected`, `withdrawn`, `cancelled`; empty
  // while awaiting an answer.
  std::string outcome;
  // A decline's reason, and where the person was sent (the suggested team,
  // or `signposting`).
  std::string reason;
  std::string onward;
  bool escalated = false;
};

// An item for a team's inbox (the record's feed event `type`).
struct InboxNote {
  std::string type;
  v1::InboxItem item;
};

// A team's sector, from the directory (crisis teams matter to gaps).
struct TeamSector {
  std::string team;
  int sector = 0;
};

// A person registered twice: everything the record holds about
// `duplicate_id` moves to `into_id` (both without `persons/`).
struct PersonMerge {
  std::string duplicate_id;
  std::string into_id;
};

// What one event changes in the record. Every field is optional.
struct RecordChange {
  // When the event happened (the source service's clock).
  absl::Time time = absl::InfinitePast();
  // The person the event is about (without `persons/`); empty when none.
  std::string person_id;
  std::optional<TeamSector> team;
  std::optional<TimelineRow> entry;
  std::optional<PlanState> plan;
  std::optional<LoopChange> loop;
  // What it puts in teams' inboxes.
  std::vector<InboxNote> inbox;
  std::optional<HandOffFacts> facts;
  // Set for `person.merged` (then `person_id` is the person kept).
  std::optional<PersonMerge> merge;
};

// `change` moved to `person_id` (a person another was merged into): every
// person it names, and its inbox items' entry names.
void Readdress(RecordChange& change, const std::string& person_id);

// The event types the record follows, per feed (SubscribeRequest
// type_prefixes).
std::vector<std::string> FollowedTypes(const std::string& feed);

// What `event` changes in the record, from the event alone (its payload is
// the resource after the change). DATA_LOSS when the payload is not the
// resource its feed carries.
absl::StatusOr<RecordChange> Project(const events::v1::Event& event);

// Steps at the same instant are ordered by feed, cause before effect: a
// registration, then referral and handover steps, then the care plan
// versions they bring about.
int FeedRank(absl::string_view feed);

// `persons/{id}/timeline/{feed}-{sequence}`.
std::string EntryName(const TimelineRow& row);

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_RECORD_PROJECTION_H_
