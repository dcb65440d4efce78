#include "clients/carectl/handover_requests.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "clients/carectl/careplan_requests.h"
#include "clients/carectl/enums.h"
#include "clients/carectl/names.h"
#include "google/protobuf/util/json_util.h"
#include "services/common/macros.h"

namespace carebridge::carectl {
namespace {

namespace hv = ::carebridge::handover::v1;
namespace ref = ::carebridge::referral::v1;

// The flags that write the handover's content, in the order the synopsis
// gives them; the first eight are required without --from_file.
constexpr const char* kContentFlags[] = {
    "person",     "to",        "kind",        "urgency",
    "severity",   "situation", "assessment",  "recommendation",
    "background", "action",    "contingency", "care_plan_version"};
constexpr int kRequiredContentFlags = 8;

constexpr char kActionForm[] = "WHAT|TEAM|DUE";
constexpr char kContingencyForm[] = "IF THIS|THEN DO";

// Short words for the kinds, as the synopsis offers them.
struct KindWord {
  const char* word;
  hv::Kind kind;
};
constexpr KindWord kKindWords[] = {
    {"transfer", hv::TRANSFER_OF_RESPONSIBILITY},
    {"shared", hv::SHARED_CARE},
    {"info", hv::INFORMATION_ONLY},
};

// `value` split at '|' into at most `parts` trimmed fields (the last takes
// the rest), padded with empty fields.
std::vector<std::string> SplitFields(absl::string_view value, int parts) {
  std::vector<std::string> fields =
      absl::StrSplit(value, absl::MaxSplits('|', parts - 1));
  fields.resize(parts);
  for (std::string& field : fields) {
    field = std::string(absl::StripAsciiWhitespace(field));
  }
  return fields;
}

// Every value of a repeatable enum flag; each value may be a comma list.
template <typename E>
absl::StatusOr<std::vector<E>> EnumValues(const Flags& flags,
                                          absl::string_view flag) {
  std::vector<E> out;
  for (const std::string& value : flags.GetAll(flag)) {
    for (const std::string& word : SplitList(value)) {
      ASSIGN_OR_RETURN(E parsed, ParseEnumFlag<E>(flag, word));
      out.push_back(parsed);
    }
  }
  return out;
}

std::string StatusText(const google::protobuf::util::Status& status) {
  return std::string(status.message().data(), status.message().size());
}

}  // namespace

std::vector<FlagSpec> HandoverCreateFlags() {
  std::vector<FlagSpec> specs;
  for (const char* flag : kContentFlags) {
    bool repeated = absl::string_view(flag) == "action" ||
                    absl::string_view(flag) == "contingency";
    specs.push_back({flag, repeated ? FlagKind::kRepeated : FlagKind::kValue});
  }
  specs.push_back({"request_id", FlagKind::kValue});
  specs.push_back({"from_file", FlagKind::kValue});
  return specs;
}

absl::StatusOr<hv::Kind> ParseHandoverKind(absl::string_view word) {
  for (const KindWord& k : kKindWords) {
    if (absl::EqualsIgnoreCase(word, k.word)) return k.kind;
  }
  absl::StatusOr<hv::Kind> full = ParseEnumFlag<hv::Kind>("kind", word);
  if (full.ok()) return full;
  return FlagError("kind", absl::StrCat("'", word,
                                        "' is not one of transfer, shared, "
                                        "info"));
}

absl::StatusOr<google::protobuf::Timestamp> ParseDueTime(
    absl::string_view what, absl::string_view text) {
  absl::Time time;
  if (text.size() == 10) {
    ASSIGN_OR_RETURN(careplan::v1::Date date, ParseDate(what, text));
    time =
        absl::FromCivil(absl::CivilDay(date.year(), date.month(), date.day()),
                        absl::UTCTimeZone());
  } else {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &time,
                         &error)) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": '", text,
          "' is not a date or time (use YYYY-MM-DD or 2026-12-01T17:00:00Z)"));
    }
  }
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(time));
  return ts;
}

absl::StatusOr<hv::HandoverAction> ParseHandoverAction(
    absl::string_view value) {
  std::vector<std::string> f = SplitFields(value, 3);
  if (f[0].empty() || f[1].empty()) {
    return FlagError(
        "action",
        absl::StrCat("what and the owning team are required (\"", kActionForm,
                     "\", DUE may be left out), not \"", value, "\""));
  }
  hv::HandoverAction action;
  action.set_description(f[0]);
  ASSIGN_OR_RETURN(*action.mutable_owning_team(),
                   TeamName("--action: TEAM", f[1]));
  if (!f[2].empty()) {
    ASSIGN_OR_RETURN(*action.mutable_due_time(),
                     ParseDueTime("--action: DUE", f[2]));
  }
  return action;
}

absl::StatusOr<hv::Contingency> ParseContingency(absl::string_view value) {
  std::vector<std::string> f = SplitFields(value, 2);
  if (f[0].empty() || f[1].empty()) {
    return FlagError("contingency", absl::StrCat("both parts are required (\"",
                                                 kContingencyForm,
                                                 "\"), not \"", value, "\""));
  }
  hv::Contingency contingency;
  contingency.set_if_this(f[0]);
  contingency.set_then_do(f[1]);
  return contingency;
}

absl::StatusOr<hv::CreateHandoverRequest> BuildCreateHandoverRequest(
    const Flags& flags) {
  for (int i = 0; i < kRequiredContentFlags; ++i) {
    const char* flag = kContentFlags[i];
    if (!flags.Has(flag)) {
      return FlagError(flag, "required (or give --from_file)");
    }
    if (flags.Get(flag).empty()) {
      return FlagError(flag, "required, and must not be empty");
    }
  }
  hv::CreateHandoverRequest request;
  hv::Handover* handover = request.mutable_handover();
  handover->set_person(ResourceName("persons", flags.Get("person")));
  ASSIGN_OR_RETURN(*handover->mutable_receiving_team(),
                   TeamName("--to", flags.Get("to")));
  ASSIGN_OR_RETURN(hv::Kind kind, ParseHandoverKind(flags.Get("kind")));
  handover->set_kind(kind);
  ASSIGN_OR_RETURN(ref::Urgency urgency, ParseEnumFlag<ref::Urgency>(
                                             "urgency", flags.Get("urgency")));
  handover->set_urgency(urgency);
  ASSIGN_OR_RETURN(
      hv::IllnessSeverity severity,
      ParseEnumFlag<hv::IllnessSeverity>("severity", flags.Get("severity")));
  handover->set_illness_severity(severity);
  handover->set_situation(flags.Get("situation"));
  handover->set_background(flags.Get("background"));
  handover->set_assessment(flags.Get("assessment"));
  handover->set_recommendation(flags.Get("recommendation"));
  for (const std::string& value : flags.GetAll("action")) {
    ASSIGN_OR_RETURN(*handover->add_actions(), ParseHandoverAction(value));
  }
  for (const std::string& value : flags.GetAll("contingency")) {
    ASSIGN_OR_RETURN(*handover->add_contingencies(), ParseContingency(value));
  }
  if (flags.Has("care_plan_version")) {
    ASSIGN_OR_RETURN(int64_t version,
                     ParseVersionNumber("--care_plan_version",
                                        flags.Get("care_plan_version")));
    handover->set_care_plan_version(version);
  }
  request.set_request_id(flags.Get("request_id"));
  return request;
}

absl::StatusOr<hv::CreateHandoverRequest> BuildCreateHandoverRequestFromFile(
    const Flags& flags, absl::string_view json) {
  for (const char* flag : kContentFlags) {
    if (flags.Has(flag)) {
      return FlagError(flag,
                       "give either --from_file or the handover flags, not "
                       "both (only --request_id goes with --from_file)");
    }
  }
  hv::CreateHandoverRequest request;
  auto parsed = google::protobuf::util::JsonStringToMessage(
      std::string(json), request.mutable_handover());
  if (!parsed.ok()) {
    return FlagError("from_file", absl::StrCat("not a Handover in JSON: ",
                                               StatusText(parsed)));
  }
  request.set_request_id(flags.Get("request_id"));
  return request;
}

absl::StatusOr<hv::ListHandoversRequest> BuildListHandoversRequest(
    hv::Mailbox mailbox, const Flags& flags) {
  hv::ListHandoversRequest request;
  request.set_mailbox(mailbox);
  ASSIGN_OR_RETURN(std::vector<hv::State> states,
                   EnumValues<hv::State>(flags, "state"));
  for (hv::State state : states) request.add_states(state);
  request.set_person(ResourceName("persons", flags.Get("person")));
  request.set_overdue_only(flags.GetBool("overdue"));
  ASSIGN_OR_RETURN(int page_size, flags.GetPositiveInt("page_size"));
  request.set_page_size(page_size);
  request.set_page_token(flags.Get("page_token"));
  return request;
}

hv::GetHandoverRequest BuildGetHandoverRequest(const std::string& name) {
  hv::GetHandoverRequest request;
  request.set_name(ResourceName("handovers", name));
  return request;
}

hv::AcceptHandoverRequest BuildAcceptHandoverRequest(const std::string& name,
                                                     const Flags& flags) {
  hv::AcceptHandoverRequest request;
  request.set_name(ResourceName("handovers", name));
  request.set_etag(flags.Get("etag"));
  request.set_note(flags.Get("note"));
  if (flags.Has("summary") || flags.Has("taking_on")) {
    hv::ReadBack* read_back = request.mutable_read_back();
    read_back->set_summary(flags.Get("summary"));
    for (const std::string& action : flags.GetAll("taking_on")) {
      read_back->add_actions_taken_on(action);
    }
  }
  return request;
}

template <typename Request>
Request BuildReasonRequest(const std::string& name, const Flags& flags) {
  Request request;
  request.set_name(ResourceName("handovers", name));
  request.set_etag(flags.Get("etag"));
  request.set_reason(flags.Get("reason"));
  return request;
}

template hv::DeclineHandoverRequest
BuildReasonRequest<hv::DeclineHandoverRequest>(const std::string&,
                                               const Flags&);
template hv::CancelHandoverRequest
BuildReasonRequest<hv::CancelHandoverRequest>(const std::string&, const Flags&);

}  // namespace carebridge::carectl
