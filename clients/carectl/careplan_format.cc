#include "clients/carectl/careplan_format.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "clients/carectl/enums.h"
#include "clients/carectl/format.h"
#include "clients/carectl/sharing_requests.h"

namespace carebridge::carectl {
namespace {

namespace cp = ::carebridge::careplan::v1;

template <typename E>
std::string Word(E value) {
  if (static_cast<int>(value) == 0) return "";
  return EnumWord(google::protobuf::GetEnumDescriptor<E>(),
                  static_cast<int>(value));
}

std::string Who(const std::string& actor, const std::string& team) {
  if (team.empty()) return actor;
  return absl::StrCat(actor, " (", team, ")");
}

std::string OneLine(absl::string_view text) {
  return absl::StrReplaceAll(absl::StripAsciiWhitespace(text),
                             {{"\r\n", " "}, {"\n", " "}});
}

// The n of `.../versions/{n}`, or the whole name when it has no such part.
std::string VersionOf(const std::string& version_name) {
  size_t slash = version_name.rfind('/');
  return slash == std::string::npos ? version_name
                                    : version_name.substr(slash + 1);
}

// Every line of `text`, each prefixed with `indent`.
std::string Indented(absl::string_view text, absl::string_view indent) {
  std::string out;
  for (absl::string_view line :
       absl::StrSplit(absl::StripTrailingAsciiWhitespace(text), '\n')) {
    absl::StrAppend(&out, indent, absl::StripTrailingAsciiWhitespace(line),
                    "\n");
  }
  return out;
}

// `label:` padded to `width`, then the value; further lines of the value
// line up under its first.
std::string Labelled(absl::string_view indent, size_t width,
                     absl::string_view label, absl::string_view value) {
  std::string head = absl::StrCat(indent, label, ":");
  head.resize(std::max(head.size() + 2, indent.size() + width + 3), ' ');
  std::string continuation(head.size(), ' ');
  std::string body = Indented(value, continuation);
  return absl::StrCat(head, body.substr(continuation.size()));
}

const cp::SectionStamp* FindStamp(const cp::CarePlan& plan,
                                  cp::Section section) {
  for (const cp::SectionStamp& stamp : plan.section_stamps()) {
    if (stamp.section() == section) return &stamp;
  }
  return nullptr;
}

std::string SectionTitle(cp::Section section) {
  std::string title = cp::Section_Name(section);
  std::replace(title.begin(), title.end(), '_', ' ');
  return title;
}

// The section's title and who last changed it; `unstamped` when nobody has.
void PrintHeading(std::ostream& out, cp::Section section,
                  const cp::SectionStamp* stamp,
                  absl::string_view unstamped = "not written yet") {
  out << "\n" << SectionTitle(section);
  if (stamp != nullptr) {
    out << "  (last changed: " << StampText(*stamp) << ")";
  } else if (!unstamped.empty()) {
    out << "  (" << unstamped << ")";
  }
  out << "\n";
}

// Pads each column but the last to the widest cell in it.
std::vector<std::string> AlignRows(
    const std::vector<std::vector<std::string>>& rows,
    const std::string& indent) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  std::vector<std::string> lines;
  for (const auto& row : rows) {
    std::string line = indent;
    for (size_t c = 0; c < row.size(); ++c) {
      absl::StrAppend(&line, row[c]);
      if (c + 1 < row.size()) line.append(widths[c] - row[c].size() + 2, ' ');
    }
    lines.emplace_back(absl::StripTrailingAsciiWhitespace(line));
  }
  return lines;
}

void PrintGoals(std::ostream& out, const cp::CarePlan& plan) {
  PrintHeading(out, cp::GOALS, FindStamp(plan, cp::GOALS));
  if (plan.goals().empty()) {
    out << "  (none)\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const cp::Goal& goal : plan.goals()) {
    std::string target = FormatDate(goal.target_date());
    rows.push_back({goal.id(), Word(goal.status()),
                    target.empty() ? "" : absl::StrCat("target ", target)});
  }
  std::vector<std::string> lines = AlignRows(rows, "  ");
  for (int i = 0; i < plan.goals_size(); ++i) {
    out << lines[i] << "\n" << Indented(plan.goals(i).description(), "      ");
  }
}

void PrintActions(std::ostream& out, const cp::CarePlan& plan) {
  PrintHeading(out, cp::ACTIONS, FindStamp(plan, cp::ACTIONS));
  if (plan.actions().empty()) {
    out << "  (none)\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const cp::Action& action : plan.actions()) {
    std::string due = FormatDate(action.due_date());
    std::string review = FormatDate(action.review_date());
    rows.push_back({action.id(), action.owning_team(), Word(action.status()),
                    due.empty() ? "" : absl::StrCat("due ", due),
                    review.empty() ? "" : absl::StrCat("review ", review)});
  }
  std::vector<std::string> lines = AlignRows(rows, "  ");
  for (int i = 0; i < plan.actions_size(); ++i) {
    out << lines[i] << "\n"
        << Indented(plan.actions(i).description(), "      ");
  }
}

void PrintCrisisPlan(std::ostream& out, const cp::CarePlan& plan,
                     absl::string_view unstamped = "not written yet") {
  PrintHeading(out, cp::CRISIS_PLAN, FindStamp(plan, cp::CRISIS_PLAN),
               unstamped);
  if (!plan.has_crisis_plan()) {
    out << "  (none)\n";
    return;
  }
  const cp::CrisisPlan& crisis = plan.crisis_plan();
  const std::pair<const char*, const std::string*> blocks[] = {
      {"Early warning signs", &crisis.early_warning_signs()},
      {"Triggers", &crisis.triggers()},
      {"What helps", &crisis.what_helps()},
      {"What to avoid", &crisis.what_to_avoid()},
      {"Preferred crisis response", &crisis.preferred_response()},
      {"Advance statements", &crisis.advance_statements()},
  };
  for (const auto& [label, text] : blocks) {
    out << "  " << label << ":\n"
        << Indented(text->empty() ? "(not recorded)" : *text, "      ");
  }
  out << "  Who to contact, in order:\n";
  if (crisis.contacts().empty()) out << "      (not recorded)\n";
  for (int i = 0; i < crisis.contacts_size(); ++i) {
    const cp::CrisisContact& c = crisis.contacts(i);
    std::string number = absl::StrCat(i + 1, ". ");
    out << "      " << number << c.name();
    if (!c.relationship().empty()) out << " (" << c.relationship() << ")";
    out << ": " << c.how_to_contact() << "\n";
    if (!c.when_to_contact().empty()) {
      out << Indented(absl::StrCat("when: ", c.when_to_contact()),
                      std::string(6 + number.size(), ' '));
    }
  }
}

void PrintCommunication(std::ostream& out, const cp::CarePlan& plan) {
  PrintHeading(out, cp::COMMUNICATION_PREFERENCES,
               FindStamp(plan, cp::COMMUNICATION_PREFERENCES));
  if (!plan.has_communication_preferences()) {
    out << "  (none)\n";
    return;
  }
  const cp::CommunicationPreferences& prefs = plan.communication_preferences();
  std::vector<std::string> methods;
  for (int method : prefs.contact_methods()) {
    methods.push_back(Word(static_cast<cp::ContactMethod>(method)));
  }
  auto or_none = [](const std::string& text) {
    return text.empty() ? std::string("(not recorded)") : text;
  };
  constexpr size_t kWidth = 20;
  out << Labelled("  ", kWidth, "Contact methods",
                  or_none(absl::StrJoin(methods, ", ")))
      << Labelled("  ", kWidth, "Contact times", or_none(prefs.contact_times()))
      << Labelled("  ", kWidth, "Interpreter language",
                  or_none(prefs.interpreter_language()))
      << Labelled("  ", kWidth, "Accessibility needs",
                  or_none(prefs.accessibility_needs()))
      << Labelled("  ", kWidth, "Other", or_none(prefs.other()))
      << "  Supporters:\n";
  if (prefs.supporters().empty()) out << "      (none named)\n";
  for (int i = 0; i < prefs.supporters_size(); ++i) {
    const cp::Supporter& s = prefs.supporters(i);
    out << "      " << i + 1 << ". " << s.name();
    if (!s.relationship().empty()) out << " (" << s.relationship() << ")";
    if (!s.contact().empty()) out << ": " << s.contact();
    out << "; may be contacted: " << (s.may_be_contacted() ? "yes" : "no")
        << "\n";
  }
}

void PrintReviewDate(std::ostream& out, const cp::CarePlan& plan) {
  PrintHeading(out, cp::REVIEW_DATE, FindStamp(plan, cp::REVIEW_DATE));
  std::string date = FormatDate(plan.review_date());
  out << "  " << (date.empty() ? "(not set)" : date) << "\n";
}

std::string ChangeText(const cp::Change& change) {
  if (change.kind() == cp::Change::KIND_UNSPECIFIED) return "";
  std::vector<std::string> sections;
  for (int section : change.sections()) {
    sections.push_back(Word(static_cast<cp::Section>(section)));
  }
  std::string text = Word(change.kind());
  if (!sections.empty()) {
    absl::StrAppend(&text, " (", absl::StrJoin(sections, ", "), ")");
  }
  absl::StrAppend(&text, ", ", FormatTimestamp(change.time()), ", by ",
                  Who(change.actor(), change.actor_team()));
  if (!change.reason().empty()) {
    absl::StrAppend(&text, ": \"", OneLine(change.reason()), "\"");
  }
  return text;
}

// One FieldChange: `+ path: after`, `- path: before` or `~ path: before →
// after`; values of more than one line go below the path.
std::string FieldChangeText(const cp::FieldChange& change) {
  const std::string& before = change.before();
  const std::string& after = change.after();
  bool block =
      absl::StrContains(before, '\n') || absl::StrContains(after, '\n');
  switch (change.kind()) {
    case cp::FieldChange::ADDED:
      if (block) {
        return absl::StrCat("  + ", change.path(), ":\n",
                            Indented(after, "      "));
      }
      return absl::StrCat("  + ", change.path(), ": ", after, "\n");
    case cp::FieldChange::REMOVED:
      if (block) {
        return absl::StrCat("  - ", change.path(), ":\n",
                            Indented(before, "      "));
      }
      return absl::StrCat("  - ", change.path(), ": ", before, "\n");
    default:
      if (block) {
        return absl::StrCat("  ~ ", change.path(), ":\n",
                            Labelled("      ", 6, "before", before),
                            Labelled("      ", 6, "after", after));
      }
      return absl::StrCat("  ~ ", change.path(), ": ", before, " → ", after,
                          "\n");
  }
}

}  // namespace

std::string FormatDate(const cp::Date& date) {
  if (date.year() == 0 && date.month() == 0 && date.day() == 0) return "";
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(),
                         date.day());
}

std::string AgreementStatus(const cp::CarePlan& plan) {
  if (!plan.has_agreement()) {
    return plan.agreed() ? "agreed with the person"
                         : "NOT agreed: the person has not agreed any version";
  }
  const cp::Agreement& a = plan.agreement();
  std::string version = VersionOf(a.agreed_version());
  if (!plan.agreed()) {
    return absl::StrCat("NOT agreed: changed since the person agreed version ",
                        version);
  }
  std::string text =
      absl::StrCat("agreed with the person (version ", version, ", ",
                   FormatTimestamp(a.agree_time()), ", recorded by ",
                   Who(a.recorded_by(), a.recorded_by_team()));
  if (!a.person_comment().empty()) {
    absl::StrAppend(&text, ": \"", OneLine(a.person_comment()), "\"");
  }
  return text + ")";
}

std::string StampText(const cp::SectionStamp& stamp) {
  return absl::StrCat("version ", stamp.version(), ", ",
                      FormatTimestamp(stamp.update_time()), ", by ",
                      Who(stamp.updated_by(), stamp.updated_by_team()));
}

void PrintCarePlanSummary(std::ostream& out, const cp::CarePlan& plan) {
  constexpr size_t kWidth = 11;
  out << Labelled("", kWidth, "plan", plan.name());
  // The plan's name holds the person's id; a label says who they are.
  if (!plan.person().empty() &&
      !absl::StartsWith(plan.name(), absl::StrCat(plan.person(), "/"))) {
    out << Labelled("", kWidth, "person", plan.person());
  }
  out << Labelled("", kWidth, "version", absl::StrCat(plan.version()));
  if (!plan.etag().empty()) out << Labelled("", kWidth, "etag", plan.etag());
  out << Labelled("", kWidth, "agreement", AgreementStatus(plan))
      << Labelled("", kWidth, "lead team",
                  plan.lead_team().empty() ? "none (nobody is involved)"
                                           : plan.lead_team());
  std::string change = ChangeText(plan.change());
  if (!change.empty()) out << Labelled("", kWidth, "last change", change);
}

void PrintCareTeam(std::ostream& out, const cp::CarePlan& plan,
                   const std::string& indent) {
  std::vector<std::vector<std::string>> rows;
  for (const cp::CareTeamMember& member : plan.care_team()) {
    rows.push_back(
        {member.team(), member.role(), member.lead() ? "lead" : "",
         FormatTimestamp(member.start_time()),
         member.has_end_time() ? FormatTimestamp(member.end_time()) : ""});
  }
  PrintTextTable(out, {"TEAM", "ROLE", "LEAD", "SINCE", "UNTIL"}, rows, indent);
  for (const cp::CareTeamMember& member : plan.care_team()) {
    if (!member.unreviewed() || member.has_end_time()) continue;
    out << indent << "NOT REVIEWED: " << member.team() << " joined through "
        << member.joined_through()
        << ", which no team on the care team sent (the lead team or the "
           "person reviews it: careplan team review; the person may end it)\n";
  }
}

void PrintCarePlan(std::ostream& out, const cp::CarePlan& plan) {
  PrintCarePlanSummary(out, plan);
  constexpr size_t kWidth = 11;
  out << Labelled("", kWidth, "created", FormatTimestamp(plan.create_time()))
      << Labelled("", kWidth, "updated", FormatTimestamp(plan.update_time()));
  if (plan.withheld_size() > 0) {
    cp::SharingRule withheld;
    *withheld.mutable_parts() = plan.withheld();
    out << Labelled("", kWidth, "not shared",
                    absl::StrCat(SharedPartsText(withheld),
                                 " (the person's sharing choices; ask the "
                                 "lead team)"));
  }
  PrintHeading(out, cp::CARE_TEAM, FindStamp(plan, cp::CARE_TEAM));
  PrintCareTeam(out, plan);
  PrintGoals(out, plan);
  PrintActions(out, plan);
  PrintCrisisPlan(out, plan);
  PrintCommunication(out, plan);
  PrintReviewDate(out, plan);
}

void PrintCarePlanVersions(
    std::ostream& out,
    const google::protobuf::RepeatedPtrField<cp::CarePlan>& versions,
    const std::string& next_page_token, const std::string& indent) {
  std::vector<std::vector<std::string>> rows;
  for (const cp::CarePlan& v : versions) {
    std::vector<std::string> sections;
    for (int section : v.change().sections()) {
      sections.push_back(Word(static_cast<cp::Section>(section)));
    }
    rows.push_back({absl::StrCat(v.version()),
                    FormatTimestamp(v.change().time()), v.change().actor(),
                    v.change().actor_team(), Word(v.change().kind()),
                    absl::StrJoin(sections, ","), v.change().reason(),
                    v.agreed() ? "yes" : "no"});
  }
  PrintTextTable(out,
                 {"VERSION", "TIME", "ACTOR", "TEAM", "KIND", "SECTIONS",
                  "REASON", "AGREED"},
                 rows, indent);
  if (!next_page_token.empty()) out << "next page: " << next_page_token << "\n";
}

void PrintCarePlanVersionsInFull(
    std::ostream& out,
    const google::protobuf::RepeatedPtrField<cp::CarePlan>& versions,
    const std::string& next_page_token) {
  if (versions.empty()) out << "(none)\n";
  for (int i = 0; i < versions.size(); ++i) {
    if (i > 0) out << "\n" << std::string(78, '=') << "\n";
    PrintCarePlan(out, versions[i]);
  }
  if (!next_page_token.empty()) {
    out << "\nnext page: " << next_page_token << "\n";
  }
}

namespace {

// Whether a change only touched the record of the person's agreement.
bool AgreementOnly(const cp::FieldChange& change) {
  return absl::StartsWith(change.path(), "agreement.");
}
bool AgreementOnly(const cp::CarePlan& version) {
  return version.change().kind() == cp::Change::AGREEMENT_RECORDED;
}

std::string Counted(int n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

}  // namespace

void PrintCarePlanDiff(std::ostream& out, const cp::CarePlanDiff& diff,
                       bool with_agreement) {
  out << "from " << diff.from_version() << " to " << diff.to_version() << "\n";
  int hidden_changes = 0;
  bool printed = false;
  for (const cp::SectionDiff& section : diff.sections()) {
    std::string changes;
    for (const cp::FieldChange& change : section.changes()) {
      if (!with_agreement && AgreementOnly(change)) {
        ++hidden_changes;
        continue;
      }
      changes += FieldChangeText(change);
    }
    if (changes.empty() && !section.changes().empty()) continue;
    PrintHeading(out, section.section(),
                 section.has_last_changed() ? &section.last_changed() : nullptr,
                 /*unstamped=*/"");
    out << changes;
    printed = true;
  }
  if (!printed) out << "\nno differences\n";
  google::protobuf::RepeatedPtrField<cp::CarePlan> versions;
  int hidden_versions = 0;
  for (const cp::CarePlan& version : diff.versions()) {
    if (!with_agreement && AgreementOnly(version)) {
      ++hidden_versions;
    } else {
      *versions.Add() = version;
    }
  }
  if (hidden_changes + hidden_versions > 0) {
    out << "\nnot shown: " << Counted(hidden_changes, "change", "changes")
        << " to the record of the person's agreement, "
        << Counted(hidden_versions, "version", "versions")
        << " that only recorded an agreement; --with_agreement shows them\n";
  }
  out << "\nVERSIONS IN BETWEEN (newest first)\n";
  PrintCarePlanVersions(out, versions, "", "  ");
}

namespace {

std::string ReviewOutcome(const cp::BreakGlassReview& review) {
  switch (review.outcome()) {
    case cp::BreakGlassReview::JUSTIFIED:
      return "justified";
    case cp::BreakGlassReview::NOT_JUSTIFIED:
      return "NOT justified";
    default:
      return absl::StrCat("outcome ", review.outcome());
  }
}

}  // namespace

void PrintBreakGlassReviewed(std::ostream& out,
                             const cp::BreakGlassAccess& access) {
  constexpr size_t kWidth = 11;
  out << Labelled("", kWidth, "access", access.name())
      << Labelled("", kWidth, "by", Who(access.member(), access.team()))
      << Labelled("", kWidth, "open until",
                  absl::StrCat(FormatTimestamp(access.expire_time()),
                               " (audited; the lead team ",
                               access.lead_team().empty() ? "(none)"
                                                          : access.lead_team(),
                               " and the person are shown it)"))
      << Labelled("", kWidth, "reason", access.reason());
  if (access.has_review()) {
    const cp::BreakGlassReview& review = access.review();
    out << Labelled("", kWidth, "review",
                    absl::StrCat(ReviewOutcome(review), " by ",
                                 Who(review.reviewer(), review.reviewer_team()),
                                 ", ", FormatTimestamp(review.review_time())))
        << Labelled("", kWidth, "found", review.reason());
  }
}

void PrintBreakGlassAccess(std::ostream& out,
                           const cp::BreakGlassAccess& access) {
  constexpr size_t kWidth = 11;
  PrintBreakGlassReviewed(out, access);
  if (access.withheld_size() > 0) {
    out << Labelled("", kWidth, "not shared",
                    "the crisis plan beyond what helps (the person's sharing "
                    "choices)");
  }
  cp::CarePlan plan;
  if (access.has_crisis_plan()) {
    *plan.mutable_crisis_plan() = access.crisis_plan();
  }
  PrintCrisisPlan(out, plan,
                  absl::StrCat("as of version ", access.plan_version()));
}

void PrintBreakGlassAccesses(
    std::ostream& out, const cp::ListBreakGlassAccessesResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const cp::BreakGlassAccess& access : response.accesses()) {
    rows.push_back({access.name(), FormatTimestamp(access.start_time()),
                    access.member(), access.team(), OneLine(access.reason()),
                    access.has_review()
                        ? absl::StrCat(ReviewOutcome(access.review()), " (",
                                       access.review().reviewer(), ")")
                        : "not reviewed"});
  }
  if (rows.empty()) {
    out << "no break-glass accesses\n";
  } else {
    PrintTextTable(out, {"ACCESS", "OPENED", "BY", "TEAM", "REASON", "REVIEW"},
                   rows, "");
  }
  if (!response.next_page_token().empty()) {
    out << "next page: " << response.next_page_token() << "\n";
  }
}

}  // namespace carebridge::carectl
