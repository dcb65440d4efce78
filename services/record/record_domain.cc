#include "services/record/record_domain.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/page_token.h"
#include "services/common/policy.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"
#include "services/record/errors.h"
#include "services/record/record_gaps.h"
#include "services/record/record_visibility.h"

namespace carebridge::record {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
// Entries looked at per call at most, so a caller who may see few of a
// long timeline's entries gets a short page (with a token) rather than a
// call that reads everything.
constexpr int kMaxEntriesScanned = 5000;
// How far back the summary looks for each team's last step.
constexpr int kLastContactScan = 2000;
constexpr char kSummarySuffix[] = "/careSummary";

// What a caller sees of a gap: a clinical caller sees its own team on it,
// not the other teams whose lists it is on (other referrers' business).
void ForCaller(const Principal& caller, v1::CareGap& gap) {
  if (caller.is_service()) return;
  gap.clear_teams();
  gap.add_teams(caller.team);
}

absl::StatusOr<absl::Time> OptionalTime(absl::string_view field,
                                        const google::protobuf::Timestamp& time,
                                        bool set, absl::Time unset) {
  if (!set) return unset;
  if (time.seconds() < -62135596800 || time.seconds() > 253402300799 ||
      time.nanos() < 0 || time.nanos() > 999999999) {
    return carebridge::errors::Invalid(field, "is not a valid time");
  }
  return FromProtoTimestamp(time);
}

std::string KindsFingerprint(const v1::ListTimelineEntriesRequest& request) {
  std::vector<int> kinds(request.kinds().begin(), request.kinds().end());
  std::sort(kinds.begin(), kinds.end());
  return absl::StrJoin(kinds, ",");
}

}  // namespace

absl::Status RecordDomain::ApplyEvent(const events::v1::Event& event,
                                      const FeedPosition& position) {
  ASSIGN_OR_RETURN(RecordChange change, Project(event));
  PositionedChange one{std::move(change), position};
  return store_->Apply(absl::MakeConstSpan(&one, 1));
}

absl::Status RecordDomain::ApplyEvents(
    absl::Span<const events::v1::Event* const> events,
    const std::string& feed) {
  std::vector<PositionedChange> changes;
  changes.reserve(events.size());
  for (const events::v1::Event* event : events) {
    ASSIGN_OR_RETURN(RecordChange change, Project(*event));
    changes.push_back(
        {std::move(change), FeedPosition(feed, event->sequence())});
  }
  return store_->Apply(changes);
}

absl::StatusOr<int> RecordDomain::AnnounceDueGaps() {
  return store_->AnnounceDueGaps(clock_->Now());
}

absl::StatusOr<std::string> RecordDomain::KnownPerson(const Principal& caller,
                                                      absl::string_view field,
                                                      absl::string_view person,
                                                      absl::string_view action,
                                                      bool person_may) {
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseResourceName(field, person, "persons"));
  if (person_may && caller.is_person()) {
    RETURN_IF_ERROR(policy::RequireOwnRecord(caller, person, action));
  } else {
    RETURN_IF_ERROR(policy::RequirePersonAccess(caller, person, action));
  }
  // A person registered twice reads nothing of their own: the merged
  // history is the kept person's, read there.
  ASSIGN_OR_RETURN(std::optional<std::string> into,
                   store_->MergedInto(person_id));
  if (into.has_value()) {
    return errors::PersonMerged(absl::StrCat("persons/", person_id),
                                absl::StrCat("persons/", *into));
  }
  ASSIGN_OR_RETURN(bool known, store_->PersonKnown(person_id));
  if (!known)
    return carebridge::errors::NotFound(absl::StrCat("persons/", person_id));
  return person_id;
}

absl::StatusOr<sharing::SharedParts> RecordDomain::PartsShown(
    const Principal& caller, absl::string_view person, bool involved,
    RemoteCalls remote) {
  if (careplan_ == nullptr || !caller.is_clinical() || !involved) {
    return sharing::SharedParts::All();
  }
  return sharing_.ReaderFor(caller, remote).CallerParts(person);
}

absl::StatusOr<TimelineView> RecordDomain::ViewFor(const Principal& caller,
                                                   absl::string_view person,
                                                   absl::string_view person_id,
                                                   RemoteCalls remote) {
  ASSIGN_OR_RETURN(std::optional<v1::CareSummary> plan,
                   store_->ReadPlan(person_id));
  bool involved = false;
  if (plan.has_value() && caller.is_clinical()) {
    for (const v1::CareTeamMember& member : plan->care_team()) {
      if (member.team() == caller.team) involved = true;
    }
  }
  ASSIGN_OR_RETURN(const sharing::SharedParts parts,
                   PartsShown(caller, person, involved, remote));
  return TimelineView(caller, involved, parts,
                      plan.has_value() ? plan->lead_team() : "");
}

absl::StatusOr<v1::ListTimelineEntriesResponse>
RecordDomain::ListTimelineEntries(const Principal& caller,
                                  const v1::ListTimelineEntriesRequest& request,
                                  RemoteCalls remote) {
  ASSIGN_OR_RETURN(
      std::string person_id,
      KnownPerson(caller, "parent", request.parent(), "ListTimelineEntries"));
  ASSIGN_OR_RETURN(int page_size,
                   CheckPageSize("page_size", request.page_size(),
                                 kDefaultPageSize, kMaxPageSize));
  TimelineQuery query;
  query.person_id = person_id;
  query.newest_first = request.newest_first();
  for (int kind : request.kinds()) {
    if (kind == v1::ENTRY_KIND_UNSPECIFIED || !v1::EntryKind_IsValid(kind)) {
      return carebridge::errors::Invalid("kinds",
                                         absl::StrCat(kind, " is not a kind"));
    }
    query.kinds.push_back(static_cast<v1::EntryKind>(kind));
  }
  ASSIGN_OR_RETURN(query.start, OptionalTime("start_time", request.start_time(),
                                             request.has_start_time(),
                                             absl::InfinitePast()));
  ASSIGN_OR_RETURN(
      query.end, OptionalTime("end_time", request.end_time(),
                              request.has_end_time(), absl::InfiniteFuture()));
  if (query.end <= query.start) {
    return carebridge::errors::Invalid("end_time", "must be after start_time");
  }
  const std::string filters =
      absl::StrCat(request.parent(), "|", KindsFingerprint(request), "|",
                   absl::ToUnixMicros(query.start), "|",
                   absl::ToUnixMicros(query.end), "|", request.newest_first());
  ASSIGN_OR_RETURN(std::vector<std::string> token,
                   DecodePageToken(request.page_token(), filters));
  if (!token.empty()) {
    TimelineCursor cursor;
    if (token.size() != 3 || !absl::SimpleAtoi(token[0], &cursor.time_us) ||
        !absl::SimpleAtoi(token[2], &cursor.sequence)) {
      return carebridge::errors::BadPageToken();
    }
    cursor.feed = token[1];
    query.after = cursor;
  }
  ASSIGN_OR_RETURN(const TimelineView view,
                   ViewFor(caller, request.parent(), person_id, remote));

  v1::ListTimelineEntriesResponse response;
  std::optional<TimelineCursor> resume;
  int scanned = 0;
  bool more = true;
  while (more && response.entries_size() < page_size &&
         scanned < kMaxEntriesScanned) {
    query.limit = std::min(page_size + 1, kMaxEntriesScanned - scanned);
    ASSIGN_OR_RETURN(std::vector<TimelineRow> rows,
                     store_->ReadTimeline(query));
    more = static_cast<int>(rows.size()) == query.limit;
    for (TimelineRow& row : rows) {
      if (response.entries_size() == page_size) {
        // A visible entry after a full page is not needed to know there is
        // more: any row left means another page may follow.
        more = true;
        break;
      }
      ++scanned;
      query.after =
          TimelineCursor{absl::ToUnixMicros(row.time), row.feed, row.sequence};
      resume = query.after;
      view.Show(row, response.mutable_entries());
    }
  }
  if (more && resume.has_value()) {
    response.set_next_page_token(
        EncodePageToken(filters, {absl::StrCat(resume->time_us), resume->feed,
                                  absl::StrCat(resume->sequence)}));
  }
  *response.mutable_freshness() = freshness_();
  return response;
}

absl::StatusOr<v1::CareSummary> RecordDomain::GetCareSummary(
    const Principal& caller, const v1::GetCareSummaryRequest& request,
    RemoteCalls remote) {
  absl::string_view person = request.name();
  if (!person.empty() && !absl::ConsumeSuffix(&person, kSummarySuffix)) {
    return carebridge::errors::BadResourceName(
        "name", request.name(), "persons/{person_id}/careSummary");
  }
  ASSIGN_OR_RETURN(std::string person_id,
                   KnownPerson(caller, "name", person, "GetCareSummary",
                               /*person_may=*/true));
  v1::CareSummary summary;
  summary.set_name(absl::StrCat("persons/", person_id, kSummarySuffix));
  summary.set_person(absl::StrCat("persons/", person_id));

  ASSIGN_OR_RETURN(std::optional<v1::CareSummary> plan,
                   store_->ReadPlan(person_id));
  bool involved = false;
  if (plan.has_value()) {
    for (const v1::CareTeamMember& member : plan->care_team()) {
      if (caller.is_clinical() && member.team() == caller.team) {
        involved = true;
      }
    }
    if (policy::RequireCarePlanRead(caller, summary.person(), involved).ok()) {
      summary.MergeFrom(*plan);
      summary.set_care_plan_visible(true);
    }
  }
  ASSIGN_OR_RETURN(const sharing::SharedParts parts,
                   PartsShown(caller, summary.person(), involved, remote));

  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(std::vector<v1::OpenLoop> loops,
                   store_->ReadOpenLoops(person_id));
  for (v1::OpenLoop& loop : loops) {
    if (!caller.is_service() && loop.sending_team() != caller.team &&
        loop.receiving_team() != caller.team) {
      continue;
    }
    loop.set_overdue(loop.has_due_time() &&
                     now > FromProtoTimestamp(loop.due_time()));
    *summary.add_open_loops() = std::move(loop);
  }

  TimelineQuery query;
  query.person_id = person_id;
  query.newest_first = true;
  query.limit = kLastContactScan;
  ASSIGN_OR_RETURN(std::vector<TimelineRow> rows, store_->ReadTimeline(query));
  absl::flat_hash_set<std::string> seen;
  for (TimelineRow& row : rows) {
    if (ShareEntry(caller, parts, summary.lead_team(),
                   EntryVisibility(caller, row, involved),
                   row) == policy::EventVisibility::kHidden) {
      continue;
    }
    if (row.actor_team.empty() || seen.contains(row.actor_team)) continue;
    // Opening the crisis plan by break-glass, or a change of the person's
    // choices, is no contact with the person's care.
    if (row.kind == v1::BREAK_GLASS || row.kind == v1::SHARING_CHOICES) {
      continue;
    }
    seen.insert(row.actor_team);
    v1::LastContact& contact = *summary.add_last_contacts();
    contact.set_team(row.actor_team);
    *contact.mutable_time() = ToProtoTimestamp(row.time);
    contact.set_type(row.type);
    contact.set_entry(EntryName(row));
  }
  if (summary.care_plan_visible()) ShareSummary(parts, caller.team, summary);
  // Gaps are the teams' work list, not shown to the person.
  if (caller.is_person()) {
    *summary.mutable_freshness() = freshness_();
    return summary;
  }
  GapQuery gaps;
  if (!caller.is_service()) gaps.team = caller.team;
  gaps.person_id = person_id;
  gaps.now = now;
  gaps.limit = 1000;
  ASSIGN_OR_RETURN(std::vector<v1::CareGap> open, store_->ListGaps(gaps));
  for (v1::CareGap& gap : open) {
    if (!GapShown(gap.kind(), parts)) continue;
    ForCaller(caller, gap);
    *summary.add_gaps() = std::move(gap);
  }
  *summary.mutable_freshness() = freshness_();
  return summary;
}

absl::StatusOr<bool> RecordDomain::TellsOfGap(
    const Principal& caller, v1::GapKind kind, absl::string_view person,
    careplan_client::ExchangeSharing::Reader& reader) {
  // A kind told even to a team shown nothing of the plan needs no choices.
  if (careplan_ == nullptr || !caller.is_clinical() ||
      GapShown(kind, sharing::SharedParts::None())) {
    return true;
  }
  ASSIGN_OR_RETURN(const sharing::SharedParts parts,
                   reader.CallerParts(person));
  return GapShown(kind, parts);
}

absl::StatusOr<bool> RecordDomain::TellsOfGap(const Principal& caller,
                                              absl::string_view gap_name,
                                              absl::string_view person) {
  careplan_client::ExchangeSharing::Reader reader =
      sharing_.ReaderFor(caller, RemoteCalls::kAllowed);
  return TellsOfGap(caller, GapKindOfName(gap_name), person, reader);
}

absl::StatusOr<v1::ListCareGapsResponse> RecordDomain::ListCareGaps(
    const Principal& caller, const v1::ListCareGapsRequest& request,
    RemoteCalls remote) {
  GapQuery query;
  if (request.parent() == "teams/-") {
    if (!caller.is_service()) {
      return carebridge::errors::PermissionDenied(absl::StrCat(
          "ListCareGaps: every team's gaps are for service identities; ",
          caller.subject, " may list its own team's (teams/{team_id})"));
    }
  } else {
    ASSIGN_OR_RETURN(std::string team_id,
                     ParseResourceName("parent", request.parent(), "teams"));
    query.team = absl::StrCat("teams/", team_id);
    if (!caller.is_service()) {
      RETURN_IF_ERROR(policy::RequireTeam(caller, query.team, "ListCareGaps"));
    }
  }
  for (int kind : request.kinds()) {
    if (kind == v1::GAP_KIND_UNSPECIFIED || !v1::GapKind_IsValid(kind)) {
      return carebridge::errors::Invalid("kinds",
                                         absl::StrCat(kind, " is not a kind"));
    }
    query.kinds.push_back(static_cast<v1::GapKind>(kind));
  }
  if (!request.person().empty()) {
    // Checked as every record call naming a person checks it: a person the
    // record does not know is NOT_FOUND, not an empty work list that reads
    // as "nothing to do for them".
    ASSIGN_OR_RETURN(
        query.person_id,
        KnownPerson(caller, "person", request.person(), "ListCareGaps"));
  }
  ASSIGN_OR_RETURN(int page_size,
                   CheckPageSize("page_size", request.page_size(),
                                 kDefaultPageSize, kMaxPageSize));
  std::vector<int> kinds(request.kinds().begin(), request.kinds().end());
  std::sort(kinds.begin(), kinds.end());
  const std::string filters =
      absl::StrCat(request.parent(), "|", absl::StrJoin(kinds, ","), "|",
                   request.include_closed(), "|", request.person());
  ASSIGN_OR_RETURN(std::vector<std::string> token,
                   DecodePageToken(request.page_token(), filters));
  if (!token.empty()) {
    GapQuery::Cursor cursor;
    if (token.size() != 3 || !absl::SimpleAtoi(token[0], &cursor.open_us)) {
      return carebridge::errors::BadPageToken();
    }
    cursor.person_id = token[1];
    cursor.key = token[2];
    query.after = cursor;
  }
  query.include_closed = request.include_closed();
  query.now = clock_->Now();
  query.limit = page_size + 1;
  ASSIGN_OR_RETURN(std::vector<v1::CareGap> gaps, store_->ListGaps(query));
  v1::ListCareGapsResponse response;
  const bool more = static_cast<int>(gaps.size()) > page_size;
  if (more) {
    // The next page starts after the last gap listed, told or not (so a
    // page may hold fewer than page_size).
    gaps.pop_back();
    const v1::CareGap& last = gaps.back();
    absl::string_view person = last.person();
    absl::ConsumePrefix(&person, "persons/");
    const std::string key = last.name().substr(last.name().rfind('/') + 1);
    response.set_next_page_token(EncodePageToken(
        filters,
        {absl::StrCat(absl::ToUnixMicros(FromProtoTimestamp(last.open_time()))),
         std::string(person), key}));
  }
  // Each person's choices are asked once for the page.
  careplan_client::ExchangeSharing::Reader reader =
      sharing_.ReaderFor(caller, remote);
  for (v1::CareGap& gap : gaps) {
    ASSIGN_OR_RETURN(bool told,
                     TellsOfGap(caller, gap.kind(), gap.person(), reader));
    if (!told) continue;
    ForCaller(caller, gap);
    *response.add_gaps() = std::move(gap);
  }
  *response.mutable_freshness() = freshness_();
  return response;
}

namespace {

// The nearest-rank percentile `p` (0..1) of sorted `values`.
absl::Duration Percentile(const std::vector<absl::Duration>& sorted, double p) {
  if (sorted.empty()) return absl::ZeroDuration();
  size_t rank = static_cast<size_t>(std::ceil(p * sorted.size()));
  if (rank == 0) rank = 1;
  return sorted[rank - 1];
}

void AddCounts(const std::map<std::string, int>& counts,
               google::protobuf::RepeatedPtrField<v1::TeamReport::Count>* out) {
  std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [value, count] : sorted) {
    v1::TeamReport::Count& c = *out->Add();
    c.set_value(value);
    c.set_count(count);
  }
}

constexpr absl::Duration kMaxReportPeriod = absl::Hours(24 * 366);

}  // namespace

absl::StatusOr<v1::TeamReport> RecordDomain::GetTeamReport(
    const Principal& caller, const v1::GetTeamReportRequest& request) {
  ASSIGN_OR_RETURN(std::string team_id,
                   ParseResourceName("team", request.team(), "teams"));
  const std::string team = absl::StrCat("teams/", team_id);
  if (!caller.is_service() && !caller.is_admin()) {
    RETURN_IF_ERROR(policy::RequireTeam(caller, team, "GetTeamReport"));
  }
  if (!request.has_start_time())
    return carebridge::errors::MustBeSet("start_time");
  if (!request.has_end_time()) return carebridge::errors::MustBeSet("end_time");
  ASSIGN_OR_RETURN(absl::Time start,
                   OptionalTime("start_time", request.start_time(), true,
                                absl::InfinitePast()));
  ASSIGN_OR_RETURN(absl::Time end, OptionalTime("end_time", request.end_time(),
                                                true, absl::InfiniteFuture()));
  if (end <= start)
    return carebridge::errors::Invalid("end_time", "must be after start_time");
  if (end - start > kMaxReportPeriod) {
    return carebridge::errors::Invalid("end_time",
                                       "the period may be at most 366 days");
  }
  ASSIGN_OR_RETURN(std::vector<HandOffFacts> received,
                   store_->ReadReceived(team, start, end));
  const absl::Time now = clock_->Now();
  v1::TeamReport report;
  report.set_team(team);
  *report.mutable_start_time() = request.start_time();
  *report.mutable_end_time() = request.end_time();
  std::map<int, std::vector<absl::Duration>> times;
  std::map<int, v1::TeamReport::Responses> responses;
  std::map<std::string, int> reasons;
  std::map<std::string, int> routes;
  std::vector<std::string> persons;
  for (const HandOffFacts& facts : received) {
    if (facts.escalated) report.set_escalations(report.escalations() + 1);
    if (facts.handover) {
      report.set_handovers_received(report.handovers_received() + 1);
      if (facts.outcome == "accepted") {
        report.set_handovers_accepted(report.handovers_accepted() + 1);
      }
      if (facts.outcome == "declined") {
        report.set_handovers_declined(report.handovers_declined() + 1);
      }
      continue;
    }
    report.set_referrals_received(report.referrals_received() + 1);
    if (std::find(persons.begin(), persons.end(), facts.person_id) ==
        persons.end()) {
      persons.push_back(facts.person_id);
    }
    v1::TeamReport::Responses& figures = responses[facts.urgency];
    figures.set_urgency(static_cast<referral::v1::Urgency>(facts.urgency));
    figures.set_received(figures.received() + 1);
    const bool answered = facts.answer_time != absl::InfinitePast();
    if (answered) {
      figures.set_answered(figures.answered() + 1);
      times[facts.urgency].push_back(facts.answer_time - facts.create_time);
    }
    if (facts.due_time != absl::InfinitePast() &&
        ((answered && facts.answer_time > facts.due_time) ||
         (!answered && facts.outcome.empty() && now > facts.due_time))) {
      figures.set_late(figures.late() + 1);
    }
    if (facts.outcome == "accepted") report.set_accepted(report.accepted() + 1);
    if (facts.outcome == "declined") {
      report.set_declined(report.declined() + 1);
      ++reasons[facts.reason.empty() ? std::string("(no reason given)")
                                     : facts.reason];
      ++routes[facts.onward];
    }
    if (facts.outcome == "redirected") {
      report.set_redirected(report.redirected() + 1);
    }
    if (facts.outcome == "withdrawn") {
      report.set_withdrawn(report.withdrawn() + 1);
    }
    if (facts.outcome.empty()) report.set_unanswered(report.unanswered() + 1);
  }
  for (auto& [urgency, figures] : responses) {
    std::vector<absl::Duration>& sorted = times[urgency];
    std::sort(sorted.begin(), sorted.end());
    *figures.mutable_p50() = ToProtoDuration(Percentile(sorted, 0.5));
    *figures.mutable_p90() = ToProtoDuration(Percentile(sorted, 0.9));
    *report.add_responses() = figures;
  }
  // Reasons are clinicians' own words about particular people: for the
  // team's staff (and services), not for admins.
  if (!caller.is_admin()) AddCounts(reasons, report.mutable_decline_reasons());
  AddCounts(routes, report.mutable_onward_routes());
  ASSIGN_OR_RETURN(int bounced, store_->CountBounced(persons, start, end));
  report.set_bounced_persons_seen(bounced);
  *report.mutable_freshness() = freshness_();
  return report;
}

}  // namespace carebridge::record
