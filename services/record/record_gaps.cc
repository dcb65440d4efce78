#include "services/record/record_gaps.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/time_util.h"

namespace carebridge::record {
namespace {

std::string Day(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d", time, absl::UTCTimeZone());
}

bool Is(const TimelineRow& row, absl::string_view type) {
  return row.type == type;
}

// The teams on a referral step other than `team`: for a decline, the
// sender(s) whose work list it goes on.
std::vector<std::string> OthersThan(const TimelineRow& row,
                                    const std::string& team) {
  std::vector<std::string> others;
  for (const std::string& t : row.teams) {
    if (t != team) others.push_back(t);
  }
  return others;
}

void AddUnique(std::vector<std::string>& to,
               const std::vector<std::string>& teams) {
  for (const std::string& team : teams) {
    if (std::find(to.begin(), to.end(), team) == to.end()) to.push_back(team);
  }
}

std::vector<std::string> CareTeam(const v1::CareSummary& plan) {
  std::vector<std::string> teams;
  for (const v1::CareTeamMember& member : plan.care_team()) {
    teams.push_back(member.team());
  }
  return teams;
}

void Bounced(const GapInputs& in, const GapSettings& settings,
             std::vector<WantedGap>& out) {
  // Declines and redirects since the last acceptance.
  std::vector<const TimelineRow*> refusals;
  for (const TimelineRow& row : in.referral_steps) {
    if (Is(row, "referral.accepted")) refusals.clear();
    if (Is(row, "referral.declined") || Is(row, "referral.redirected")) {
      refusals.push_back(&row);
    }
  }
  // The first moment `bounce_teams` different teams refused within the
  // window.
  for (size_t end = 0; end < refusals.size(); ++end) {
    const absl::Time at = refusals[end]->time;
    std::vector<std::string> teams;
    std::vector<std::string> referrers;
    for (size_t i = 0; i <= end; ++i) {
      if (at - refusals[i]->time > settings.bounce_window) continue;
      AddUnique(teams, {refusals[i]->actor_team});
      AddUnique(referrers, OthersThan(*refusals[i], refusals[i]->actor_team));
    }
    if (static_cast<int>(teams.size()) < settings.bounce_teams) continue;
    // Everyone who refused since also counts (the detail stays current).
    for (size_t i = end + 1; i < refusals.size(); ++i) {
      AddUnique(teams, {refusals[i]->actor_team});
      AddUnique(referrers, OthersThan(*refusals[i], refusals[i]->actor_team));
    }
    WantedGap gap;
    gap.kind = v1::BOUNCED;
    gap.subject = absl::StrCat("persons/", in.person_id);
    gap.open_time = at;
    // Which teams refused is each referral's parties' business: the
    // detail counts them without naming them.
    gap.detail = absl::StrCat("Declined or redirected by ", teams.size(),
                              " teams since ", Day(refusals.front()->time),
                              ", with no referral accepted since");
    gap.teams = referrers;
    out.push_back(std::move(gap));
    return;
  }
}

void OnwardRoutes(const GapInputs& in, const GapSettings& settings,
                  std::vector<WantedGap>& out) {
  for (size_t i = 0; i < in.referral_steps.size(); ++i) {
    const TimelineRow& decline = in.referral_steps[i];
    if (!Is(decline, "referral.declined")) continue;
    bool acted = false;
    for (size_t j = i + 1; j < in.referral_steps.size(); ++j) {
      if (Is(in.referral_steps[j], "referral.created")) acted = true;
    }
    if (acted) continue;
    WantedGap gap;
    gap.kind = v1::ONWARD_ROUTE_NOT_TAKEN;
    gap.subject = decline.resource;
    gap.open_time = decline.time + settings.onward_route_grace;
    gap.detail = absl::StrCat("Declined by ", decline.actor_team, " on ",
                              Day(decline.time),
                              " with an onward route; no new referral since");
    gap.teams = OthersThan(decline, decline.actor_team);
    out.push_back(std::move(gap));
  }
}

void Overdue(const GapInputs& in, std::vector<WantedGap>& out) {
  for (const v1::OpenLoop& loop : in.open_loops) {
    if (!loop.has_due_time()) continue;
    WantedGap gap;
    gap.kind = v1::ANSWER_OVERDUE;
    gap.subject = loop.resource();
    gap.open_time = FromProtoTimestamp(loop.due_time());
    gap.detail = absl::StrCat(
        loop.kind() == v1::HANDOVER ? "Handover" : "Referral", " to ",
        loop.receiving_team(), " unanswered past its deadline (",
        Day(gap.open_time), ")");
    gap.teams = {loop.sending_team(), loop.receiving_team()};
    out.push_back(std::move(gap));
  }
}

void PlanGaps(const GapInputs& in, const GapSettings& settings,
              std::vector<WantedGap>& out) {
  if (!in.plan.has_value() || in.plan->care_plan_version() == 0) return;
  const v1::CareSummary& plan = *in.plan;
  const std::string subject =
      absl::StrCat("persons/", in.person_id, "/carePlan");
  const std::vector<std::string> care_team = CareTeam(plan);
  if (in.no_lead_since.has_value() && plan.lead_team().empty()) {
    WantedGap gap;
    gap.kind = v1::NO_LEAD;
    gap.subject = subject;
    gap.open_time = *in.no_lead_since;
    gap.detail = absl::StrCat(
        "The lead team ended its involvement on ", Day(gap.open_time),
        " without handing over; no team is looking after the plan");
    // On the list of the team that led (the lead's involvement ends last,
    // so it is the team that knew the person) and of any team still
    // involved, which may take the lead.
    if (!in.former_lead.empty()) gap.teams.push_back(in.former_lead);
    for (const std::string& team : care_team) {
      if (team != in.former_lead) gap.teams.push_back(team);
    }
    out.push_back(std::move(gap));
  }
  if (care_team.empty()) return;
  for (const v1::CareTeamMember& member : plan.care_team()) {
    if (!member.unreviewed() || plan.lead_team().empty()) continue;
    WantedGap gap;
    gap.kind = v1::JOIN_NOT_REVIEWED;
    gap.subject = member.joined_through();
    gap.open_time = FromProtoTimestamp(member.since());
    gap.detail = absl::StrCat(
        member.team(), " joined the care team on ", Day(gap.open_time),
        " through ", member.joined_through(),
        ", which no team on the care team sent; review the join or, with "
        "the person, end it");
    gap.teams = {plan.lead_team()};
    out.push_back(std::move(gap));
  }
  if (!plan.agreed() && in.unagreed_since.has_value()) {
    WantedGap gap;
    gap.kind = v1::PLAN_NOT_AGREED;
    gap.subject = subject;
    gap.open_time = *in.unagreed_since + settings.agreement_grace;
    gap.detail = absl::StrCat(
        "The care plan has not been agreed with the "
        "person since ",
        Day(*in.unagreed_since));
    gap.teams = care_team;
    out.push_back(std::move(gap));
  }
  if (plan.has_review_time()) {
    const absl::Time review = FromProtoTimestamp(plan.review_time());
    WantedGap gap;
    gap.kind = v1::REVIEW_OVERDUE;
    gap.subject = subject;
    // Passed once the review day is over.
    gap.open_time = review + absl::Hours(24);
    gap.detail = absl::StrCat("The care plan's review date ", Day(review),
                              " has passed");
    gap.teams = care_team;
    out.push_back(std::move(gap));
  }
  if (!plan.has_crisis_plan()) {
    for (const v1::CareTeamMember& member : plan.care_team()) {
      if (!in.crisis_teams.contains(member.team())) continue;
      WantedGap gap;
      gap.kind = v1::NO_CRISIS_PLAN;
      gap.subject = subject;
      gap.open_time = FromProtoTimestamp(member.since());
      gap.detail = absl::StrCat("The crisis team ", member.team(),
                                " is involved and the plan has no crisis "
                                "plan");
      gap.teams = care_team;
      out.push_back(std::move(gap));
      break;
    }
  }
}

// Every access opened and not reviewed, on the list of the lead team now
// (an access to the plan is the lead's to account for, whoever led when it
// was opened). The reason given is not repeated: the list is a work list,
// the reason is read with the access when reviewing it.
void BreakGlassNotReviewed(const GapInputs& in, const GapSettings& settings,
                           std::vector<WantedGap>& out) {
  absl::flat_hash_set<std::string> reviewed;
  for (const TimelineRow& row : in.break_glass_steps) {
    if (Is(row, "careplan.break_glass_reviewed")) reviewed.insert(row.resource);
  }
  const std::string lead =
      in.plan.has_value() ? in.plan->lead_team() : std::string();
  for (const TimelineRow& row : in.break_glass_steps) {
    if (!Is(row, "careplan.break_glass") || reviewed.contains(row.resource)) {
      continue;
    }
    WantedGap gap;
    gap.kind = v1::BREAK_GLASS_NOT_REVIEWED;
    gap.subject = row.resource;
    gap.open_time = row.time + settings.break_glass_review_grace;
    gap.detail = absl::StrCat(
        "Crisis plan opened by break-glass by ", row.actor, " of ",
        row.actor_team, " on ",
        absl::FormatTime("%Y-%m-%d %H:%M UTC", row.time, absl::UTCTimeZone()),
        ", not yet reviewed: review it with `carectl careplan break-glass "
        "review`");
    if (!lead.empty()) gap.teams = {lead};
    out.push_back(std::move(gap));
  }
}

}  // namespace

bool GapScope::Covers(v1::GapKind kind, absl::string_view subject) const {
  if (!judged) return false;
  if (kind == v1::BREAK_GLASS_NOT_REVIEWED) {
    return break_glass != BreakGlass::kNo;
  }
  if (kind != v1::ANSWER_OVERDUE || all_loops) return true;
  return std::find(loops.begin(), loops.end(), subject) != loops.end();
}

bool WantedGap::operator==(const WantedGap& other) const {
  return kind == other.kind && subject == other.subject &&
         detail == other.detail && open_time == other.open_time &&
         teams == other.teams;
}

std::vector<WantedGap> WantedGaps(const GapInputs& inputs,
                                  const GapSettings& settings) {
  std::vector<WantedGap> gaps;
  Bounced(inputs, settings, gaps);
  OnwardRoutes(inputs, settings, gaps);
  Overdue(inputs, gaps);
  PlanGaps(inputs, settings, gaps);
  BreakGlassNotReviewed(inputs, settings, gaps);
  return gaps;
}

std::string GapKey(const WantedGap& gap) {
  uint32_t hash = 2166136261u;  // FNV-1a
  for (unsigned char c : gap.subject) {
    hash = (hash ^ c) * 16777619u;
  }
  std::string kind = v1::GapKind_Name(gap.kind);
  absl::AsciiStrToLower(&kind);
  return absl::StrCat(kind, "-", absl::ToUnixMicros(gap.open_time), "-",
                      absl::Hex(hash, absl::kZeroPad8));
}

v1::GapKind GapKindOfName(absl::string_view name) {
  const size_t slash = name.rfind('/');
  if (slash != absl::string_view::npos) name.remove_prefix(slash + 1);
  std::string kind(name.substr(0, name.find('-')));
  absl::AsciiStrToUpper(&kind);
  v1::GapKind parsed = v1::GAP_KIND_UNSPECIFIED;
  if (!v1::GapKind_Parse(kind, &parsed)) return v1::GAP_KIND_UNSPECIFIED;
  return parsed;
}

}  // namespace carebridge::record
