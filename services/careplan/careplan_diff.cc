#include "services/careplan/careplan_diff.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/repeated_field.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "services/common/time_util.h"

namespace carebridge::careplan {
namespace {

// Fields are walked by reflection, so a field added to a message of the
// plan is diffed and rendered without code changes here.
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::RepeatedPtrField;
using google::protobuf::util::MessageDifferencer;
using v1::CarePlan;
using v1::FieldChange;

using Changes = RepeatedPtrField<FieldChange>;
using SkippedFields = std::vector<absl::string_view>;

bool Skipped(const SkippedFields& skip, absl::string_view name) {
  for (absl::string_view s : skip) {
    if (s == name) return true;
  }
  return false;
}

std::string RenderMessage(const Message& message, const SkippedFields& skip);

std::string RenderSpecialMessage(const Message& message) {
  const google::protobuf::Descriptor* type = message.GetDescriptor();
  if (type == v1::Date::descriptor()) {
    v1::Date date;
    date.CopyFrom(message);
    return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(),
                           date.day());
  }
  if (type == google::protobuf::Timestamp::descriptor()) {
    google::protobuf::Timestamp timestamp;
    timestamp.CopyFrom(message);
    // To the second: a reader compares times, not clock ticks.
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromProtoTimestamp(timestamp),
                            absl::UTCTimeZone());
  }
  return absl::StrCat("(", RenderMessage(message, {}), ")");
}

// One value of `field`: element `index` of a repeated field, or the field.
std::string RenderOne(const Message& message, const FieldDescriptor* field,
                      int index) {
  const google::protobuf::Reflection& r = *message.GetReflection();
  const bool rep = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r.GetRepeatedInt32(message, field, index)
                              : r.GetInt32(message, field));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r.GetRepeatedInt64(message, field, index)
                              : r.GetInt64(message, field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r.GetRepeatedUInt32(message, field, index)
                              : r.GetUInt32(message, field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r.GetRepeatedUInt64(message, field, index)
                              : r.GetUInt64(message, field));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(rep ? r.GetRepeatedDouble(message, field, index)
                              : r.GetDouble(message, field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(rep ? r.GetRepeatedFloat(message, field, index)
                              : r.GetFloat(message, field));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r.GetRepeatedBool(message, field, index)
                  : r.GetBool(message, field))
                 ? "true"
                 : "false";
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int number = rep ? r.GetRepeatedEnumValue(message, field, index)
                             : r.GetEnumValue(message, field);
      const google::protobuf::EnumValueDescriptor* value =
          field->enum_type()->FindValueByNumber(number);
      return value != nullptr ? value->name() : absl::StrCat(number);
    }
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r.GetRepeatedString(message, field, index)
                 : r.GetString(message, field);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return RenderSpecialMessage(
          rep ? r.GetRepeatedMessage(message, field, index)
              : r.GetMessage(message, field));
  }
  return "";
}

// The whole value of `field`; a list joined with ", ".
std::string Render(const Message& message, const FieldDescriptor* field) {
  if (!field->is_repeated()) return RenderOne(message, field, -1);
  std::vector<std::string> parts;
  const int size = message.GetReflection()->FieldSize(message, field);
  for (int i = 0; i < size; ++i) parts.push_back(RenderOne(message, field, i));
  return absl::StrJoin(parts, ", ");
}

// Whether `field` holds anything: an empty sub-message counts as absent, as
// MessageDifferencer::Equivalent (which ChangedSections uses) treats it.
bool Present(const Message& message, const FieldDescriptor* field) {
  const google::protobuf::Reflection& r = *message.GetReflection();
  if (field->is_repeated()) return r.FieldSize(message, field) > 0;
  if (!r.HasField(message, field)) return false;
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return true;
  return r.GetMessage(message, field).ByteSizeLong() > 0;
}

// `name: value; name: value` for the fields that hold something.
std::string RenderMessage(const Message& message, const SkippedFields& skip) {
  std::vector<std::string> parts;
  const google::protobuf::Descriptor& type = *message.GetDescriptor();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    if (Skipped(skip, field->name()) || !Present(message, field)) continue;
    parts.push_back(absl::StrCat(field->name(), ": ", Render(message, field)));
  }
  return absl::StrJoin(parts, "; ");
}

void Add(Changes& changes, FieldChange::Kind kind, std::string path,
         std::string before, std::string after) {
  FieldChange& change = *changes.Add();
  change.set_kind(kind);
  change.set_path(std::move(path));
  change.set_before(std::move(before));
  change.set_after(std::move(after));
}

void DiffFields(const Message& from, const Message& to,
                absl::string_view prefix, const SkippedFields& skip,
                Changes& changes);

// Lists of messages not matched by key are matched by position (1-based
// in paths): `crisis_plan.contacts[2]`.
void DiffByPosition(const Message& from, const Message& to,
                    const FieldDescriptor* field, absl::string_view path,
                    Changes& changes) {
  const google::protobuf::Reflection& r = *from.GetReflection();
  const int from_size = r.FieldSize(from, field);
  const int to_size = r.FieldSize(to, field);
  for (int i = 0; i < std::max(from_size, to_size); ++i) {
    std::string item_path = absl::StrCat(path, "[", i + 1, "]");
    if (i >= from_size) {
      Add(changes, FieldChange::ADDED, std::move(item_path), "",
          RenderMessage(r.GetRepeatedMessage(to, field, i), {}));
    } else if (i >= to_size) {
      Add(changes, FieldChange::REMOVED, std::move(item_path),
          RenderMessage(r.GetRepeatedMessage(from, field, i), {}), "");
    } else {
      DiffFields(r.GetRepeatedMessage(from, field, i),
                 r.GetRepeatedMessage(to, field, i), item_path, {}, changes);
    }
  }
}

// One field. Texts, dates and lists are ADDED when they become non-empty
// and REMOVED when they become empty; flags, enums and numbers always have
// a value, so they are MODIFIED.
void DiffField(const Message& from, const Message& to,
               const FieldDescriptor* field, absl::string_view path,
               Changes& changes) {
  const bool is_message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
  if (is_message && field->is_repeated()) {
    DiffByPosition(from, to, field, path, changes);
    return;
  }
  if (is_message && field->message_type() != v1::Date::descriptor() &&
      field->message_type() != google::protobuf::Timestamp::descriptor()) {
    const google::protobuf::Reflection& r = *from.GetReflection();
    DiffFields(r.GetMessage(from, field), r.GetMessage(to, field), path, {},
               changes);
    return;
  }
  const bool has_empty = field->is_repeated() || is_message ||
                         field->cpp_type() == FieldDescriptor::CPPTYPE_STRING;
  const bool in_from = !has_empty || Present(from, field);
  const bool in_to = !has_empty || Present(to, field);
  std::string before = in_from ? Render(from, field) : "";
  std::string after = in_to ? Render(to, field) : "";
  if (in_from == in_to && before == after) return;
  const FieldChange::Kind kind = !in_from ? FieldChange::ADDED
                                 : !in_to ? FieldChange::REMOVED
                                          : FieldChange::MODIFIED;
  Add(changes, kind, std::string(path), std::move(before), std::move(after));
}

void DiffFields(const Message& from, const Message& to,
                absl::string_view prefix, const SkippedFields& skip,
                Changes& changes) {
  const google::protobuf::Descriptor& type = *from.GetDescriptor();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    if (Skipped(skip, field->name())) continue;
    DiffField(from, to, field,
              prefix.empty() ? field->name()
                             : absl::StrCat(prefix, ".", field->name()),
              changes);
  }
}

// How the items of a list are told apart across versions: `key` matches
// them, `label` names them in paths (`goals[g2]`), `skip` leaves out the
// fields that are the key.
template <typename T>
struct ListKey {
  std::string (*key)(const T& item, int position);
  std::string (*label)(const T& item, int position);
  SkippedFields skip;
};

template <typename T>
void DiffKeyed(const RepeatedPtrField<T>& from, const RepeatedPtrField<T>& to,
               absl::string_view list_path, const ListKey<T>& how,
               Changes& changes) {
  absl::flat_hash_map<std::string, int> to_index;
  for (int i = 0; i < to.size(); ++i) to_index.emplace(how.key(to[i], i), i);
  absl::flat_hash_set<std::string> in_from;
  std::vector<std::string> from_order, to_order;
  for (int i = 0; i < from.size(); ++i) {
    std::string key = how.key(from[i], i);
    std::string path = absl::StrCat(list_path, "[", how.label(from[i], i), "]");
    auto it = to_index.find(key);
    if (it == to_index.end()) {
      Add(changes, FieldChange::REMOVED, std::move(path),
          RenderMessage(from[i], how.skip), "");
    } else {
      DiffFields(from[i], to[it->second], path, how.skip, changes);
      from_order.push_back(key);
    }
    in_from.insert(std::move(key));
  }
  std::vector<std::string> from_labels, to_labels;
  for (int i = 0; i < to.size(); ++i) {
    std::string key = how.key(to[i], i);
    if (in_from.contains(key)) {
      to_order.push_back(std::move(key));
    } else {
      Add(changes, FieldChange::ADDED,
          absl::StrCat(list_path, "[", how.label(to[i], i), "]"), "",
          RenderMessage(to[i], how.skip));
    }
    to_labels.push_back(how.label(to[i], i));
  }
  // Same items, new order: the order is part of the plan (most important
  // first), so it is a change of the list itself.
  if (from_order != to_order) {
    for (int i = 0; i < from.size(); ++i) {
      from_labels.push_back(how.label(from[i], i));
    }
    Add(changes, FieldChange::MODIFIED, std::string(list_path),
        absl::StrJoin(from_labels, ", "), absl::StrJoin(to_labels, ", "));
  }
}

// Goals and actions by id; an item without one (never stored by the
// service) by its position.
template <typename T>
std::string IdOrPosition(const T& item, int position) {
  return item.id().empty() ? absl::StrCat("#", position + 1) : item.id();
}

std::string TeamAndStart(const v1::CareTeamMember& member, int) {
  return absl::StrCat(member.team(), "@", member.start_time().seconds(), ".",
                      member.start_time().nanos());
}

std::string TeamLabel(const v1::CareTeamMember& member, int) {
  return member.team();
}

const FieldDescriptor* PlanField(int number) {
  return CarePlan::descriptor()->FindFieldByNumber(number);
}

// The care team as a diff compares it: without each team's sector, which
// the service stamps from the directory on every version (a team's change of
// sector is no change of the person's care team).
RepeatedPtrField<v1::CareTeamMember> AsChanged(
    const RepeatedPtrField<v1::CareTeamMember>& care_team) {
  RepeatedPtrField<v1::CareTeamMember> members = care_team;
  for (v1::CareTeamMember& member : members) member.clear_sector();
  return members;
}

template <typename T>
bool SameItems(const RepeatedPtrField<T>& from, const RepeatedPtrField<T>& to) {
  if (from.size() != to.size()) return false;
  for (int i = 0; i < from.size(); ++i) {
    if (!MessageDifferencer::Equivalent(from[i], to[i])) return false;
  }
  return true;
}

Changes SectionChanges(v1::Section section, const CarePlan& from,
                       const CarePlan& to) {
  Changes changes;
  switch (section) {
    case v1::GOALS:
      DiffKeyed<v1::Goal>(
          from.goals(), to.goals(), "goals",
          {&IdOrPosition<v1::Goal>, &IdOrPosition<v1::Goal>, {"id"}}, changes);
      break;
    case v1::ACTIONS:
      DiffKeyed<v1::Action>(
          from.actions(), to.actions(), "actions",
          {&IdOrPosition<v1::Action>, &IdOrPosition<v1::Action>, {"id"}},
          changes);
      break;
    case v1::CRISIS_PLAN:
      DiffFields(from.crisis_plan(), to.crisis_plan(), "crisis_plan", {},
                 changes);
      break;
    case v1::COMMUNICATION_PREFERENCES:
      DiffFields(from.communication_preferences(),
                 to.communication_preferences(), "communication_preferences",
                 {}, changes);
      break;
    case v1::REVIEW_DATE:
      DiffField(from, to, PlanField(CarePlan::kReviewDateFieldNumber),
                "review_date", changes);
      break;
    case v1::CARE_TEAM:
      DiffKeyed<v1::CareTeamMember>(
          AsChanged(from.care_team()), AsChanged(to.care_team()), "care_team",
          {&TeamAndStart, &TeamLabel, {"team"}}, changes);
      DiffField(from, to, PlanField(CarePlan::kLeadTeamFieldNumber),
                "lead_team", changes);
      break;
    case v1::AGREEMENT:
      DiffFields(from.agreement(), to.agreement(), "agreement", {}, changes);
      DiffField(from, to, PlanField(CarePlan::kAgreedFieldNumber), "agreed",
                changes);
      break;
    default:
      break;
  }
  return changes;
}

constexpr v1::Section kSections[] = {
    v1::GOALS,       v1::ACTIONS,
    v1::CRISIS_PLAN, v1::COMMUNICATION_PREFERENCES,
    v1::REVIEW_DATE, v1::CARE_TEAM,
    v1::AGREEMENT,
};

bool SectionDiffers(v1::Section section, const CarePlan& from,
                    const CarePlan& to) {
  switch (section) {
    case v1::GOALS:
      return !SameItems(from.goals(), to.goals());
    case v1::ACTIONS:
      return !SameItems(from.actions(), to.actions());
    case v1::CRISIS_PLAN:
      return !MessageDifferencer::Equivalent(from.crisis_plan(),
                                             to.crisis_plan());
    case v1::COMMUNICATION_PREFERENCES:
      return !MessageDifferencer::Equivalent(from.communication_preferences(),
                                             to.communication_preferences());
    case v1::REVIEW_DATE:
      return !MessageDifferencer::Equivalent(from.review_date(),
                                             to.review_date());
    case v1::CARE_TEAM:
      return !SameItems(AsChanged(from.care_team()),
                        AsChanged(to.care_team())) ||
             from.lead_team() != to.lead_team();
    case v1::AGREEMENT:
      return !MessageDifferencer::Equivalent(from.agreement(),
                                             to.agreement()) ||
             from.agreed() != to.agreed();
    default:
      return false;
  }
}

}  // namespace

std::vector<v1::SectionDiff> DiffSections(const CarePlan& from,
                                          const CarePlan& to) {
  std::vector<v1::SectionDiff> diffs;
  for (v1::Section section : kSections) {
    if (!SectionDiffers(section, from, to)) continue;
    v1::SectionDiff diff;
    diff.set_section(section);
    *diff.mutable_changes() = SectionChanges(section, from, to);
    diffs.push_back(std::move(diff));
  }
  return diffs;
}

std::vector<v1::Section> ChangedSections(const CarePlan& from,
                                         const CarePlan& to) {
  std::vector<v1::Section> sections;
  for (v1::Section section : kSections) {
    if (SectionDiffers(section, from, to)) sections.push_back(section);
  }
  return sections;
}

}  // namespace carebridge::careplan
