#include "clients/carectl/record_format.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "clients/carectl/enums.h"
#include "clients/carectl/format.h"
#include "clients/carectl/sharing_requests.h"

namespace carebridge::carectl {
namespace {

namespace rv = ::carebridge::record::v1;

// "", or a note saying which feeds the record is behind and why.
void PrintFreshness(std::ostream& out, const rv::Freshness& freshness) {
  if (freshness.caught_up()) return;
  for (const rv::Freshness::Feed& feed : freshness.feeds()) {
    if (feed.problem().empty() &&
        feed.applied_through() >= feed.head_sequence()) {
      continue;
    }
    out << "record behind the " << feed.feed() << " feed (at "
        << feed.applied_through() << " of " << feed.head_sequence() << ")";
    if (!feed.problem().empty()) out << ": " << feed.problem();
    out << "\n";
  }
}

}  // namespace

void PrintTimeline(std::ostream& out,
                   const rv::ListTimelineEntriesResponse& response,
                   const NameLabels& names) {
  std::vector<std::vector<std::string>> rows;
  for (const rv::TimelineEntry& entry : response.entries()) {
    rows.push_back({FormatTimestamp(entry.time()),
                    EnumWord(rv::EntryKind_descriptor(), entry.kind()),
                    names.InText(entry.summary()), names.Label(entry.actor())});
  }
  PrintTextTable(out, {"TIME", "KIND", "WHAT", "WHO"}, rows);
  for (const rv::TimelineEntry& entry : response.entries()) {
    if (entry.reason().empty()) continue;
    out << FormatTimestamp(entry.time()) << " " << entry.resource() << ": "
        << entry.reason() << "\n";
  }
  if (!response.next_page_token().empty()) {
    out << "next page: --page_token=" << response.next_page_token() << "\n";
  }
  PrintFreshness(out, response.freshness());
}

void PrintTimelineEntry(std::ostream& out, const rv::TimelineEntry& entry,
                        const NameLabels& names) {
  out << FormatTimestamp(entry.time()) << "  "
      << EnumWord(rv::EntryKind_descriptor(), entry.kind()) << "  "
      << names.InText(entry.summary()) << "  " << names.Label(entry.actor())
      << "\n";
  if (!entry.reason().empty()) {
    out << "  " << entry.resource() << ": " << entry.reason() << "\n";
  }
}

void PrintCareGaps(std::ostream& out, const rv::ListCareGapsResponse& response,
                   const NameLabels& names) {
  std::vector<std::vector<std::string>> rows;
  for (const rv::CareGap& gap : response.gaps()) {
    rows.push_back(
        {FormatTimestamp(gap.open_time()),
         EnumWord(rv::GapKind_descriptor(), gap.kind()),
         names.Label(gap.person()), names.Label(gap.subject()),
         gap.has_close_time()
             ? absl::StrCat("closed ", FormatTimestamp(gap.close_time()))
             : std::string("open")});
  }
  PrintTextTable(out, {"SINCE", "GAP", "PERSON", "ABOUT", "STATE"}, rows);
  for (const rv::CareGap& gap : response.gaps()) {
    out << gap.name() << ": " << names.InText(gap.detail());
    if (gap.has_close_time()) out << "; closed: " << gap.close_reason();
    out << "\n";
  }
  if (!response.next_page_token().empty()) {
    out << "next page: --page_token=" << response.next_page_token() << "\n";
  }
  PrintFreshness(out, response.freshness());
}

void PrintTeamReport(std::ostream& out, const rv::TeamReport& report,
                     const NameLabels& names) {
  out << names.Label(report.team()) << ": "
      << FormatTimestamp(report.start_time()) << " to "
      << FormatTimestamp(report.end_time()) << "\n";
  out << "referrals received: " << report.referrals_received() << "; accepted "
      << report.accepted() << ", declined " << report.declined()
      << ", redirected " << report.redirected() << ", withdrawn "
      << report.withdrawn() << ", unanswered " << report.unanswered() << "\n";
  out << "handovers received: " << report.handovers_received() << "; accepted "
      << report.handovers_accepted() << ", declined "
      << report.handovers_declined() << "\n";
  out << "escalations: " << report.escalations()
      << "; people seen who had been declined by 3 or more teams: "
      << report.bounced_persons_seen() << "\n";
  std::vector<std::vector<std::string>> rows;
  for (const rv::TeamReport::Responses& r : report.responses()) {
    rows.push_back({EnumWord(referral::v1::Urgency_descriptor(), r.urgency()),
                    absl::StrCat(r.received()), absl::StrCat(r.answered()),
                    r.answered() > 0
                        ? absl::FormatDuration(absl::Seconds(r.p50().seconds()))
                        : "-",
                    r.answered() > 0
                        ? absl::FormatDuration(absl::Seconds(r.p90().seconds()))
                        : "-",
                    absl::StrCat(r.late())});
  }
  out << "\nresponse times:\n";
  PrintTextTable(out, {"URGENCY", "RECEIVED", "ANSWERED", "P50", "P90", "LATE"},
                 rows, "  ");
  auto counts =
      [&out](const char* title,
             const google::protobuf::RepeatedPtrField<rv::TeamReport::Count>&
                 values) {
        out << "\n" << title << ":";
        if (values.empty()) out << " none";
        out << "\n";
        for (const rv::TeamReport::Count& c : values) {
          out << "  " << c.count() << "  " << c.value() << "\n";
        }
      };
  counts("decline reasons", report.decline_reasons());
  counts("onward routes", report.onward_routes());
  PrintFreshness(out, report.freshness());
}

void PrintCareSummary(std::ostream& out, const rv::CareSummary& summary,
                      const NameLabels& names) {
  out << names.LabelOverName(summary.person()) << "\n";
  if (!summary.care_plan_visible()) {
    out << "care plan: not shown (your team is not on the care team)\n";
  } else if (summary.care_plan_version() == 0) {
    out << "care plan: none yet\n";
  } else {
    // What the person's sharing choices keep from the caller's team is
    // "not shared", never mistaken for "none".
    auto withheld = [&](careplan::v1::SharedPart part) {
      return std::find(summary.withheld().begin(), summary.withheld().end(),
                       part) != summary.withheld().end();
    };
    out << "lead: "
        << (summary.lead_team().empty()
                ? std::string("nobody")
                : absl::StrCat(names.Label(summary.lead_team()), " since ",
                               FormatTimestamp(summary.lead_since())))
        << "\n";
    out << "care plan: version " << summary.care_plan_version() << ", "
        << (summary.agreed() ? "agreed by the person"
                             : "not agreed by the person")
        << (summary.has_agree_time()
                ? absl::StrCat(" (last agreed ",
                               FormatTimestamp(summary.agree_time()), ")")
                : std::string())
        << "; crisis plan: "
        << (summary.has_crisis_plan()                   ? "yes"
            : withheld(careplan::v1::SHARED_WHAT_HELPS) ? "not shared"
                                                        : "none")
        << "; review: "
        << (summary.has_review_time() ? FormatUtcDate(summary.review_time())
            : withheld(careplan::v1::SHARED_REVIEW_DATE)
                ? std::string("not shared")
                : std::string("not set"))
        << "\n";
    if (summary.withheld_size() > 0) {
      careplan::v1::SharingRule parts;
      *parts.mutable_parts() = summary.withheld();
      out << "not shared: " << SharedPartsText(parts)
          << " (the person's sharing choices; ask the lead team)\n";
    }
    std::vector<std::vector<std::string>> team;
    for (const rv::CareTeamMember& member : summary.care_team()) {
      team.push_back({names.Label(member.team()), member.role(),
                      member.lead() ? "lead" : "",
                      FormatTimestamp(member.since())});
    }
    out << "\ncare team:\n";
    PrintTextTable(out, {"TEAM", "ROLE", "", "SINCE"}, team, "  ");
  }
  out << "\nopen loops:";
  if (summary.open_loops().empty()) out << " none";
  out << "\n";
  std::vector<std::vector<std::string>> loops;
  for (const rv::OpenLoop& loop : summary.open_loops()) {
    loops.push_back(
        {loop.resource(), names.Label(loop.sending_team()),
         names.Label(loop.receiving_team()),
         EnumWord(referral::v1::Urgency_descriptor(), loop.urgency()),
         FormatTimestamp(loop.due_time()),
         DeadlineMarkers(loop.overdue(), loop.has_escalate_time())});
  }
  if (!loops.empty()) {
    PrintTextTable(out, {"WAITING", "FROM", "HELD BY", "URGENCY", "DUE", ""},
                   loops, "  ");
  }
  out << "\nlast contact:";
  if (summary.last_contacts().empty()) out << " none";
  out << "\n";
  std::vector<std::vector<std::string>> contacts;
  for (const rv::LastContact& contact : summary.last_contacts()) {
    contacts.push_back({names.Label(contact.team()),
                        FormatTimestamp(contact.time()), contact.type()});
  }
  if (!contacts.empty()) {
    PrintTextTable(out, {"TEAM", "WHEN", "WHAT"}, contacts, "  ");
  }
  if (!summary.gaps().empty()) {
    out << "\ncare gaps:\n";
    for (const rv::CareGap& gap : summary.gaps()) {
      out << "  " << EnumWord(rv::GapKind_descriptor(), gap.kind()) << " since "
          << FormatTimestamp(gap.open_time()) << ": "
          << names.InText(gap.detail()) << "\n";
    }
  }
  PrintFreshness(out, summary.freshness());
}

}  // namespace carebridge::carectl
