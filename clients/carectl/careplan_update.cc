#include "clients/carectl/careplan_update.h"

#include <algorithm>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "clients/carectl/careplan_requests.h"
#include "clients/carectl/enums.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/common/macros.h"

namespace carebridge::carectl {
namespace {

namespace cp = ::carebridge::careplan::v1;

// Text flags that set one field of a section; the flag name is the field
// name except --communication_other (`other` alone would be unclear).
struct TextField {
  const char* flag;
  const char* path;
};
constexpr TextField kTextFields[] = {
    {"early_warning_signs", "crisis_plan.early_warning_signs"},
    {"triggers", "crisis_plan.triggers"},
    {"what_helps", "crisis_plan.what_helps"},
    {"what_to_avoid", "crisis_plan.what_to_avoid"},
    {"preferred_response", "crisis_plan.preferred_response"},
    {"advance_statements", "crisis_plan.advance_statements"},
    {"contact_times", "communication_preferences.contact_times"},
    {"interpreter_language", "communication_preferences.interpreter_language"},
    {"accessibility_needs", "communication_preferences.accessibility_needs"},
    {"communication_other", "communication_preferences.other"},
};

// The top-level fields an update may write, in Section order.
constexpr const char* kContentSections[] = {"goals", "actions", "crisis_plan",
                                            "communication_preferences",
                                            "review_date"};

void SetText(cp::CarePlan* plan, absl::string_view path,
             const std::string& value) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  google::protobuf::Message* message =
      parts[0] == "crisis_plan"
          ? static_cast<google::protobuf::Message*>(plan->mutable_crisis_plan())
          : plan->mutable_communication_preferences();
  const google::protobuf::FieldDescriptor* field =
      message->GetDescriptor()->FindFieldByName(parts[1]);
  message->GetReflection()->SetString(message, field, value);
}

// The values of a repeated `A|B|...` flag: a single empty value clears the
// list, so it yields nothing; an empty value among others is an error.
absl::StatusOr<std::vector<std::string>> ListValues(const Flags& flags,
                                                    absl::string_view flag) {
  std::vector<std::string> values = flags.GetAll(flag);
  if (values.size() == 1 && values[0].empty())
    return std::vector<std::string>();
  for (const std::string& value : values) {
    if (value.empty()) {
      return FlagError(flag,
                       "an empty value clears the list; give it alone, not "
                       "with other values");
    }
  }
  return values;
}

// Splits `A|B|C` into exactly `parts` fields, each trimmed; the last field
// takes the rest (it may hold '|'). `min_parts` may be left out.
absl::StatusOr<std::vector<std::string>> SplitFields(absl::string_view flag,
                                                     absl::string_view value,
                                                     size_t min_parts,
                                                     size_t parts,
                                                     absl::string_view form) {
  std::vector<std::string> fields =
      absl::StrSplit(value, absl::MaxSplits('|', static_cast<int>(parts) - 1));
  if (fields.size() < min_parts) {
    return FlagError(
        flag, absl::StrCat("expected \"", form, "\", not \"", value, "\""));
  }
  fields.resize(parts);
  for (std::string& field : fields) {
    field = std::string(absl::StripAsciiWhitespace(field));
  }
  return fields;
}

absl::StatusOr<cp::CrisisContact> ParseCrisisContact(absl::string_view value) {
  constexpr char kForm[] = "NAME|RELATIONSHIP|HOW TO CONTACT|WHEN";
  ASSIGN_OR_RETURN(std::vector<std::string> f,
                   SplitFields("crisis_contact", value, 3, 4, kForm));
  if (f[0].empty() || f[2].empty()) {
    return FlagError("crisis_contact",
                     absl::StrCat("name and how to contact are required (\"",
                                  kForm, "\"), not \"", value, "\""));
  }
  cp::CrisisContact contact;
  contact.set_name(f[0]);
  contact.set_relationship(f[1]);
  contact.set_how_to_contact(f[2]);
  contact.set_when_to_contact(f[3]);
  return contact;
}

absl::StatusOr<cp::Supporter> ParseSupporter(absl::string_view value) {
  constexpr char kForm[] = "NAME|RELATIONSHIP|CONTACT|yes or no";
  ASSIGN_OR_RETURN(std::vector<std::string> f,
                   SplitFields("supporter", value, 4, 4, kForm));
  std::string consent = absl::AsciiStrToLower(f[3]);
  if (f[0].empty() || (consent != "yes" && consent != "no")) {
    return FlagError(
        "supporter",
        absl::StrCat("a name and whether teams may contact them (yes or no) "
                     "are required (\"",
                     kForm, "\"), not \"", value, "\""));
  }
  cp::Supporter supporter;
  supporter.set_name(f[0]);
  supporter.set_relationship(f[1]);
  supporter.set_contact(f[2]);
  supporter.set_may_be_contacted(consent == "yes");
  return supporter;
}

absl::StatusOr<cp::Action> ParseNewAction(absl::string_view value) {
  constexpr char kForm[] = "WHAT|TEAM|DUE (YYYY-MM-DD, may be empty)";
  ASSIGN_OR_RETURN(std::vector<std::string> f,
                   SplitFields("add_action", value, 2, 3, kForm));
  if (f[0].empty() || f[1].empty()) {
    return FlagError("add_action",
                     absl::StrCat("what and the owning team are required (\"",
                                  kForm, "\"), not \"", value, "\""));
  }
  cp::Action action;
  action.set_description(f[0]);
  ASSIGN_OR_RETURN(*action.mutable_owning_team(),
                   TeamName("--add_action: TEAM", f[1]));
  if (!f[2].empty()) {
    ASSIGN_OR_RETURN(*action.mutable_due_date(),
                     ParseDate("--add_action: due date", f[2]));
  }
  return action;
}

// `ID=STATUS` pairs of --goal_status / --action_status.
template <typename Status>
absl::StatusOr<std::vector<std::pair<std::string, Status>>> ParseStatuses(
    const Flags& flags, absl::string_view flag, absl::string_view example) {
  std::vector<std::pair<std::string, Status>> out;
  for (const std::string& value : flags.GetAll(flag)) {
    size_t eq = value.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == value.size()) {
      return FlagError(flag, absl::StrCat("expected ID=STATUS (e.g. ", example,
                                          "), not '", value, "'"));
    }
    ASSIGN_OR_RETURN(Status status,
                     ParseEnumFlag<Status>(flag, value.substr(eq + 1)));
    out.emplace_back(value.substr(0, eq), status);
  }
  return out;
}

// The ids of --remove_goal / --remove_action.
absl::StatusOr<std::vector<std::string>> Ids(const Flags& flags,
                                             absl::string_view flag) {
  std::vector<std::string> ids = flags.GetAll(flag);
  for (const std::string& id : ids) {
    if (id.empty()) return FlagError(flag, "give an id (e.g. g3-1)");
  }
  return ids;
}

// A --mask path UpdateCarePlan accepts: a content section, or one field of
// the crisis plan or communication preferences. Caught here so a typo is a
// usage error, not a round trip.
absl::Status CheckMaskPath(const std::string& path) {
  for (const char* section : kContentSections) {
    if (path == section) return absl::OkStatus();
  }
  const std::pair<absl::string_view, const google::protobuf::Descriptor*>
      message_sections[] = {
          {"crisis_plan.", cp::CrisisPlan::descriptor()},
          {"communication_preferences.",
           cp::CommunicationPreferences::descriptor()},
      };
  for (const auto& [prefix, descriptor] : message_sections) {
    absl::string_view field = path;
    if (absl::ConsumePrefix(&field, prefix) &&
        descriptor->FindFieldByName(std::string(field)) != nullptr) {
      return absl::OkStatus();
    }
  }
  if (path == "care_team" || path == "lead_team") {
    return FlagError("mask", absl::StrCat(path,
                                          " is changed with `carectl careplan "
                                          "team add|end|lead`, not here"));
  }
  if (path == "agreement" || path == "agreed") {
    return FlagError("mask", absl::StrCat(path,
                                          " is recorded with `carectl careplan "
                                          "agree`, not here"));
  }
  return FlagError(
      "mask", absl::StrCat("unknown path '", path, "' (give ",
                           absl::StrJoin(kContentSections, ", "),
                           ", or one field such as crisis_plan.what_helps or "
                           "communication_preferences.contact_times)"));
}

void AddPath(cp::UpdateCarePlanRequest* request, const std::string& path) {
  const auto& paths = request->update_mask().paths();
  if (std::find(paths.begin(), paths.end(), path) == paths.end()) {
    request->mutable_update_mask()->add_paths(path);
  }
}

// The ids of a list, for an error that names an id the plan lacks.
template <typename T>
std::string IdsText(const google::protobuf::RepeatedPtrField<T>& items,
                    absl::string_view noun) {
  if (items.empty()) return absl::StrCat("it has no ", noun, "s");
  std::vector<std::string> ids;
  for (const T& item : items) ids.push_back(item.id());
  return absl::StrCat("its ", noun, "s are ", absl::StrJoin(ids, ", "));
}

// Applies status changes and removals to the goals or actions just read.
template <typename T, typename Status>
absl::Status EditList(
    google::protobuf::RepeatedPtrField<T>* items, const cp::CarePlan& current,
    absl::string_view noun,
    const std::vector<std::pair<std::string, Status>>& statuses,
    const std::vector<std::string>& removed, const std::vector<T>& added) {
  auto missing = [&](absl::string_view flag, const std::string& id) {
    return FlagError(
        flag, absl::StrCat(current.name().empty() ? "the plan" : current.name(),
                           " has no ", noun, " ", id, " (",
                           IdsText(*items, noun), ")"));
  };
  for (const auto& [id, status] : statuses) {
    auto it = std::find_if(items->begin(), items->end(),
                           [&](const T& item) { return item.id() == id; });
    if (it == items->end()) return missing(absl::StrCat(noun, "_status"), id);
    it->set_status(status);
  }
  for (const std::string& id : removed) {
    auto it = std::find_if(items->begin(), items->end(),
                           [&](const T& item) { return item.id() == id; });
    if (it == items->end()) return missing(absl::StrCat("remove_", noun), id);
    items->erase(it);
  }
  for (const T& item : added) *items->Add() = item;
  return absl::OkStatus();
}

std::string StatusText(const google::protobuf::util::Status& status) {
  return std::string(status.message().data(), status.message().size());
}

}  // namespace

std::vector<FlagSpec> CarePlanUpdateFlags() {
  std::vector<FlagSpec> specs = {
      {"reason", FlagKind::kValue, true},
      {"etag", FlagKind::kValue},
      {"request_id", FlagKind::kValue},
      {"from_file", FlagKind::kValue},
      {"mask", FlagKind::kValue},
      {"crisis_contact", FlagKind::kRepeated},
      {"contact_methods", FlagKind::kValue},
      {"supporter", FlagKind::kRepeated},
      {"review_date", FlagKind::kValue},
      {"add_goal", FlagKind::kRepeated},
      {"goal_target_date", FlagKind::kValue},
      {"goal_status", FlagKind::kRepeated},
      {"remove_goal", FlagKind::kRepeated},
      {"add_action", FlagKind::kRepeated},
      {"action_status", FlagKind::kRepeated},
      {"remove_action", FlagKind::kRepeated},
  };
  for (const TextField& field : kTextFields) {
    specs.push_back({field.flag, FlagKind::kValue});
  }
  return specs;
}

absl::StatusOr<CarePlanUpdate> CarePlanUpdate::FromFlags(absl::string_view plan,
                                                         const Flags& flags) {
  if (flags.Has("mask")) {
    return FlagError("mask", "only with --from_file (flags make their own)");
  }
  if (flags.Has("goal_target_date") && !flags.Has("add_goal")) {
    return FlagError("goal_target_date",
                     "applies to the goals added with --add_goal; give one");
  }
  CarePlanUpdate update;
  cp::UpdateCarePlanRequest& request = update.request_;
  cp::CarePlan* care_plan = request.mutable_care_plan();
  ASSIGN_OR_RETURN(*care_plan->mutable_name(), CarePlanName(plan));
  request.set_reason(flags.Get("reason"));
  request.set_request_id(flags.Get("request_id"));
  request.set_etag(flags.Get("etag"));
  update.etag_given_ = flags.Has("etag");

  cp::Date target_date;
  if (flags.Has("goal_target_date")) {
    ASSIGN_OR_RETURN(target_date, ParseDate("--goal_target_date",
                                            flags.Get("goal_target_date")));
  }
  for (const std::string& name : flags.given()) {
    const std::string value = flags.Get(name);
    auto text = std::find_if(
        std::begin(kTextFields), std::end(kTextFields),
        [&name](const TextField& field) { return name == field.flag; });
    if (text != std::end(kTextFields)) {
      SetText(care_plan, text->path, value);
      AddPath(&request, text->path);
    } else if (name == "crisis_contact") {
      ASSIGN_OR_RETURN(std::vector<std::string> values,
                       ListValues(flags, name));
      for (const std::string& v : values) {
        ASSIGN_OR_RETURN(*care_plan->mutable_crisis_plan()->add_contacts(),
                         ParseCrisisContact(v));
      }
      AddPath(&request, "crisis_plan.contacts");
    } else if (name == "contact_methods") {
      for (const std::string& word : SplitList(value)) {
        ASSIGN_OR_RETURN(cp::ContactMethod method,
                         ParseEnumFlag<cp::ContactMethod>(name, word));
        care_plan->mutable_communication_preferences()->add_contact_methods(
            method);
      }
      AddPath(&request, "communication_preferences.contact_methods");
    } else if (name == "supporter") {
      ASSIGN_OR_RETURN(std::vector<std::string> values,
                       ListValues(flags, name));
      for (const std::string& v : values) {
        ASSIGN_OR_RETURN(
            *care_plan->mutable_communication_preferences()->add_supporters(),
            ParseSupporter(v));
      }
      AddPath(&request, "communication_preferences.supporters");
    } else if (name == "review_date") {
      // An empty value clears the review date.
      if (!value.empty()) {
        ASSIGN_OR_RETURN(*care_plan->mutable_review_date(),
                         ParseDate("--review_date", value));
      }
      AddPath(&request, "review_date");
    } else if (name == "add_goal") {
      for (const std::string& words : flags.GetAll(name)) {
        if (absl::StripAsciiWhitespace(words).empty()) {
          return FlagError(name, "the goal's words are required");
        }
        cp::Goal goal;
        goal.set_description(words);
        if (flags.Has("goal_target_date")) {
          *goal.mutable_target_date() = target_date;
        }
        update.added_goals_.push_back(std::move(goal));
      }
      AddPath(&request, "goals");
    } else if (name == "goal_status") {
      ASSIGN_OR_RETURN(
          update.goal_statuses_,
          ParseStatuses<cp::Goal::Status>(flags, name, "g3-1=achieved"));
      AddPath(&request, "goals");
    } else if (name == "remove_goal") {
      ASSIGN_OR_RETURN(update.removed_goals_, Ids(flags, name));
      AddPath(&request, "goals");
    } else if (name == "add_action") {
      for (const std::string& v : flags.GetAll(name)) {
        ASSIGN_OR_RETURN(cp::Action action, ParseNewAction(v));
        update.added_actions_.push_back(std::move(action));
      }
      AddPath(&request, "actions");
    } else if (name == "action_status") {
      ASSIGN_OR_RETURN(
          update.action_statuses_,
          ParseStatuses<cp::Action::Status>(flags, name, "a2-1=completed"));
      AddPath(&request, "actions");
    } else if (name == "remove_action") {
      ASSIGN_OR_RETURN(update.removed_actions_, Ids(flags, name));
      AddPath(&request, "actions");
    }
  }
  if (request.update_mask().paths().empty()) {
    return absl::InvalidArgumentError(
        "give something to change: a section flag (e.g. --what_helps=TEXT or "
        "--add_goal=WORDS) or --from_file=PATH");
  }
  return update;
}

absl::StatusOr<CarePlanUpdate> CarePlanUpdate::FromFile(
    absl::string_view plan, const Flags& flags, absl::string_view json) {
  for (const FlagSpec& spec : CarePlanUpdateFlags()) {
    if (spec.name == "reason" || spec.name == "etag" ||
        spec.name == "request_id" || spec.name == "from_file" ||
        spec.name == "mask" || !flags.Has(spec.name)) {
      continue;
    }
    return FlagError(spec.name,
                     "give either --from_file or section flags, not both");
  }
  google::protobuf::util::JsonParseOptions options;
  cp::CarePlan file;
  auto parsed = google::protobuf::util::JsonStringToMessage(std::string(json),
                                                            &file, options);
  if (!parsed.ok()) {
    return FlagError("from_file", absl::StrCat("not a CarePlan in JSON: ",
                                               StatusText(parsed)));
  }
  google::protobuf::Struct keys;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &keys)
           .ok()) {
    return FlagError("from_file", "not a JSON object");
  }

  CarePlanUpdate update;
  cp::UpdateCarePlanRequest& request = update.request_;
  cp::CarePlan* care_plan = request.mutable_care_plan();
  ASSIGN_OR_RETURN(*care_plan->mutable_name(), CarePlanName(plan));
  // A file read from another person's plan must not overwrite this one.
  if (!file.name().empty() && file.name() != care_plan->name() &&
      !absl::StartsWith(file.name(),
                        absl::StrCat(care_plan->name(), "/versions/"))) {
    return FlagError("from_file", absl::StrCat("the file is ", file.name(),
                                               ", not ", care_plan->name()));
  }
  *care_plan->mutable_goals() = file.goals();
  *care_plan->mutable_actions() = file.actions();
  if (file.has_crisis_plan()) {
    *care_plan->mutable_crisis_plan() = file.crisis_plan();
  }
  if (file.has_communication_preferences()) {
    *care_plan->mutable_communication_preferences() =
        file.communication_preferences();
  }
  if (file.has_review_date()) {
    *care_plan->mutable_review_date() = file.review_date();
  }

  if (flags.Has("mask")) {
    std::vector<std::string> paths = SplitList(flags.Get("mask"));
    if (paths.empty()) {
      return FlagError("mask", "give at least one path (e.g. goals)");
    }
    for (const std::string& path : paths) {
      RETURN_IF_ERROR(CheckMaskPath(path));
      AddPath(&request, path);
    }
  } else {
    const google::protobuf::Descriptor* d = cp::CarePlan::descriptor();
    std::set<std::string> present;
    for (int i = 0; i < d->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* field = d->field(i);
      if (keys.fields().count(field->name()) > 0 ||
          keys.fields().count(field->json_name()) > 0) {
        present.insert(field->name());
      }
    }
    for (const char* section : kContentSections) {
      if (present.count(section) > 0) AddPath(&request, section);
    }
    if (request.update_mask().paths().empty()) {
      return FlagError("from_file",
                       absl::StrCat("the file has none of ",
                                    absl::StrJoin(kContentSections, ", "),
                                    ": nothing to update"));
    }
  }
  request.set_reason(flags.Get("reason"));
  request.set_request_id(flags.Get("request_id"));
  request.set_etag(flags.Get("etag", file.etag()));
  update.etag_given_ = true;
  return update;
}

bool CarePlanUpdate::NeedsCurrentPlan() const {
  return !added_goals_.empty() || !goal_statuses_.empty() ||
         !removed_goals_.empty() || !added_actions_.empty() ||
         !action_statuses_.empty() || !removed_actions_.empty();
}

absl::StatusOr<cp::UpdateCarePlanRequest> CarePlanUpdate::Build(
    const cp::CarePlan& current) const {
  cp::UpdateCarePlanRequest request = request_;
  if (!NeedsCurrentPlan()) return request;
  cp::CarePlan* care_plan = request.mutable_care_plan();
  const auto& paths = request.update_mask().paths();
  if (std::find(paths.begin(), paths.end(), "goals") != paths.end()) {
    *care_plan->mutable_goals() = current.goals();
    RETURN_IF_ERROR(EditList(care_plan->mutable_goals(), current, "goal",
                             goal_statuses_, removed_goals_, added_goals_));
  }
  if (std::find(paths.begin(), paths.end(), "actions") != paths.end()) {
    *care_plan->mutable_actions() = current.actions();
    RETURN_IF_ERROR(EditList(care_plan->mutable_actions(), current, "action",
                             action_statuses_, removed_actions_,
                             added_actions_));
  }
  if (!etag_given_ && !current.etag().empty()) {
    // The lists were just read, so the etag just read protects them; a field
    // flag replaces text this caller may not have seen, so like any other
    // field change it needs the etag of the plan the caller read.
    for (const std::string& path : paths) {
      if (path == "goals" || path == "actions") continue;
      return FlagError("etag",
                       absl::StrCat("required to change ", path,
                                    " together with goals or actions: give "
                                    "--etag=ETAG from `carectl careplan show ",
                                    current.name(), "` after checking ", path,
                                    " is what you mean to replace"));
    }
    request.set_etag(current.etag());
  }
  return request;
}

}  // namespace carebridge::carectl
