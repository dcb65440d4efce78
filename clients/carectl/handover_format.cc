#include "clients/carectl/handover_format.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "clients/carectl/enums.h"
#include "clients/carectl/format.h"

namespace carebridge::carectl {
namespace {

namespace hv = ::carebridge::handover::v1;

template <typename E>
std::string Word(E value) {
  if (static_cast<int>(value) == 0) return "";
  return EnumWord(google::protobuf::GetEnumDescriptor<E>(),
                  static_cast<int>(value));
}

std::string TimeText(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  return FormatTimestamp(ts);
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

// `label:` and value lines, the values (and their further lines) lined up;
// empty values are left out.
void PrintFields(
    std::ostream& out,
    const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [label, value] : fields) {
    if (!value.empty()) width = std::max(width, label.size());
  }
  const std::string continuation(width + 3, ' ');
  for (const auto& [label, value] : fields) {
    if (value.empty()) continue;
    std::vector<absl::string_view> lines = absl::StrSplit(value, '\n');
    out << label << ":" << std::string(width - label.size() + 2, ' ')
        << lines[0] << "\n";
    for (size_t i = 1; i < lines.size(); ++i) {
      out << continuation << lines[i] << "\n";
    }
  }
}

// "teams/t1 (members/m1, 2026-01-02T10:00:00Z)".
std::string WhoWhen(const std::string& who, const std::string& by,
                    const google::protobuf::Timestamp& when) {
  std::vector<std::string> parts;
  if (!by.empty()) parts.push_back(by);
  if (!TimeText(when).empty()) parts.push_back(TimeText(when));
  if (parts.empty()) return who;
  return absl::StrCat(who, " (", absl::StrJoin(parts, ", "), ")");
}

// `text` about `name`, then the name on its own line when `text` shows
// its label instead.
std::string WithId(const std::string& text, const std::string& name,
                   const NameLabels& names) {
  if (names.Label(name) == name) return text;
  return absl::StrCat(text, "\n", name);
}

// Where the loop stands, in words.
std::string AnswerText(const hv::Handover& h, const NameLabels& names) {
  std::string by = h.answered_by().empty()
                       ? ""
                       : absl::StrCat(" by ", names.Label(h.answered_by()));
  std::string at = TimeText(h.answer_time()).empty()
                       ? ""
                       : absl::StrCat(" at ", TimeText(h.answer_time()));
  std::string note =
      h.answer_note().empty() ? "" : absl::StrCat(": ", h.answer_note());
  switch (h.state()) {
    case hv::PENDING:
      return absl::StrCat("awaiting ", names.Label(h.receiving_team()));
    case hv::ACCEPTED:
      return absl::StrCat("accepted", by, at, note);
    case hv::DECLINED:
      return absl::StrCat("declined", by, at, note,
                          "; responsibility stays with ",
                          names.Label(h.sending_team()));
    case hv::CANCELLED:
      return absl::StrCat("cancelled", by, at, note);
    default:
      return "";
  }
}

std::string DeadlineText(const hv::Handover& h) {
  std::string due = TimeText(h.response_due_time());
  std::string markers = DeadlineMarkers(h.overdue(), h.has_escalate_time());
  if (due.empty() || markers.empty()) return due;
  return absl::StrCat(due, "  ", markers);
}

void PrintSbar(std::ostream& out, const hv::Handover& h,
               const NameLabels& names) {
  const std::pair<const char*, const std::string*> sections[] = {
      {"situation", &h.situation()},
      {"background", &h.background()},
      {"assessment", &h.assessment()},
      {"recommendation", &h.recommendation()},
  };
  for (const auto& [title, text] : sections) {
    const bool withheld =
        std::find(h.withheld_from_receiving_team().begin(),
                  h.withheld_from_receiving_team().end(),
                  title) != h.withheld_from_receiving_team().end();
    out << "\n" << title << ":\n";
    if (withheld && text->empty()) {
      out << "  (withheld: the person's sharing choices do not share it "
             "with your team)\n";
      continue;
    }
    out << (text->empty() ? "  (none)\n" : Indented(*text, "  "));
    if (withheld) {
      out << "  (withheld from " << names.Label(h.receiving_team())
          << " by the person's sharing choices)\n";
    }
  }
}

void PrintActions(std::ostream& out, const hv::Handover& h,
                  const NameLabels& names) {
  std::vector<std::vector<std::string>> rows;
  for (const hv::HandoverAction& a : h.actions()) {
    rows.push_back({a.id(), a.description(), names.Label(a.owning_team()),
                    DueText(a.due_time())});
  }
  out << "\nactions:\n";
  PrintTextTable(out, {"ID", "WHAT", "OWNING TEAM", "DUE"}, rows, "  ");
}

void PrintContingencies(std::ostream& out, const hv::Handover& h) {
  std::vector<std::vector<std::string>> rows;
  for (const hv::Contingency& c : h.contingencies()) {
    rows.push_back({c.if_this(), c.then_do()});
  }
  out << "\ncontingencies:\n";
  PrintTextTable(out, {"IF THIS", "THEN DO"}, rows, "  ");
}

void PrintReadBack(std::ostream& out, const hv::Handover& h,
                   const NameLabels& names) {
  if (!h.has_read_back()) return;
  const hv::ReadBack& rb = h.read_back();
  out << "\nread-back";
  std::string who =
      WhoWhen("", names.Label(rb.recorded_by()), rb.record_time());
  if (!who.empty()) out << " " << absl::StripAsciiWhitespace(who);
  out << ":\n  summary:\n"
      << (rb.summary().empty() ? "    (none)\n"
                               : Indented(rb.summary(), "    "))
      << "  taking on:\n";
  if (rb.actions_taken_on().empty()) out << "    (none)\n";
  for (const std::string& action : rb.actions_taken_on()) {
    out << Indented(action, "    - ");
  }
}

}  // namespace

std::string HandoverKindWord(hv::Kind kind) {
  switch (kind) {
    case hv::TRANSFER_OF_RESPONSIBILITY:
      return "transfer";
    case hv::SHARED_CARE:
      return "shared";
    case hv::INFORMATION_ONLY:
      return "info";
    default:
      return Word(kind);
  }
}

std::string DueText(const google::protobuf::Timestamp& due) {
  if (due.seconds() == 0 && due.nanos() == 0) return "";
  if (due.nanos() == 0 && due.seconds() % 86400 == 0) {
    return FormatTimestamp(due).substr(0, 10);
  }
  return FormatTimestamp(due);
}

void PrintHandoverList(std::ostream& out,
                       const hv::ListHandoversResponse& response,
                       hv::Mailbox mailbox, const NameLabels& names) {
  const bool inbox = mailbox == hv::INBOX;
  std::vector<std::vector<std::string>> rows;
  for (const hv::Handover& h : response.handovers()) {
    rows.push_back({h.name(), names.Label(h.person()),
                    names.Label(inbox ? h.sending_team() : h.receiving_team()),
                    HandoverKindWord(h.kind()), Word(h.illness_severity()),
                    Word(h.state()), TimeText(h.response_due_time()),
                    DeadlineMarkers(h.overdue(), h.has_escalate_time())});
  }
  PrintTextTable(out,
                 {"NAME", "PERSON", inbox ? "FROM" : "TO", "KIND", "SEVERITY",
                  "STATE", "DUE", "ALERTS"},
                 rows);
  if (!response.next_page_token().empty()) {
    out << "next page: " << response.next_page_token() << "\n";
  }
}

void PrintHandover(std::ostream& out, const hv::Handover& h,
                   const NameLabels& names) {
  std::string version =
      h.care_plan_version() == 0 ? "" : absl::StrCat(h.care_plan_version());
  PrintFields(
      out,
      {
          {"name", h.name()},
          {"person", names.LabelOverName(h.person())},
          {"kind", Word(h.kind())},
          {"from", WithId(WhoWhen(names.Label(h.sending_team()),
                                  names.Label(h.created_by()), h.create_time()),
                          h.sending_team(), names)},
          {"to", names.LabelOverName(h.receiving_team())},
          {"urgency", Word(h.urgency())},
          {"illness severity", Word(h.illness_severity())},
          {"state", Word(h.state())},
          {"answer", AnswerText(h, names)},
          {"response due", DeadlineText(h)},
          {"escalated", TimeText(h.escalate_time())},
          {"care plan version", version},
          {"etag", h.etag()},
      });
  PrintSbar(out, h, names);
  PrintActions(out, h, names);
  PrintContingencies(out, h);
  PrintReadBack(out, h, names);
}

}  // namespace carebridge::carectl
