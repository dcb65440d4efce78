#include "clients/carectl/name_labels.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace carebridge::carectl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-' || c == '/';
}

// Whether `token` is `persons/ID`, `teams/ID` or `members/ID`.
bool IsLabelledKind(absl::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '/');
  if (parts.size() != 2 || parts[1].empty() || parts[1] == "-") return false;
  return parts[0] == "persons" || parts[0] == "teams" || parts[0] == "members";
}

// Calls `visit(start, length)` for each resource name in `text`.
template <typename Visit>
void ForEachName(absl::string_view text, Visit visit) {
  size_t i = 0;
  while (i < text.size()) {
    if (!IsNameChar(text[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && IsNameChar(text[i])) ++i;
    if (IsLabelledKind(text.substr(start, i - start))) visit(start, i - start);
  }
}

// String fields hold text; bytes fields (an Any's payload) do not.
bool IsText(const FieldDescriptor* field) {
  return field->type() == FieldDescriptor::TYPE_STRING;
}

void Collect(const Message& message, std::set<std::string>* seen,
             std::vector<std::string>* names) {
  const google::protobuf::Descriptor* d = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  auto add_text = [&](const std::string& text) {
    for (std::string& name : ResourceNamesInText(text)) {
      if (seen->insert(name).second) names->push_back(std::move(name));
    }
  };
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* field = d->field(i);
    if (IsText(field)) {
      if (field->is_repeated()) {
        for (int k = 0; k < r->FieldSize(message, field); ++k) {
          add_text(r->GetRepeatedString(message, field, k));
        }
      } else {
        add_text(r->GetString(message, field));
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int k = 0; k < r->FieldSize(message, field); ++k) {
          Collect(r->GetRepeatedMessage(message, field, k), seen, names);
        }
      } else if (r->HasField(message, field)) {
        Collect(r->GetMessage(message, field), seen, names);
      }
    }
  }
}

}  // namespace

void LabelNames(Message* message, const NameLabels& names) {
  const google::protobuf::Descriptor* d = message->GetDescriptor();
  const Reflection* r = message->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* field = d->field(i);
    if (IsText(field)) {
      if (field->is_repeated()) {
        for (int k = 0; k < r->FieldSize(*message, field); ++k) {
          r->SetRepeatedString(
              message, field, k,
              names.Label(r->GetRepeatedString(*message, field, k)));
        }
      } else if (!r->GetString(*message, field).empty()) {
        r->SetString(message, field,
                     names.Label(r->GetString(*message, field)));
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int k = 0; k < r->FieldSize(*message, field); ++k) {
          LabelNames(r->MutableRepeatedMessage(message, field, k), names);
        }
      } else if (r->HasField(*message, field)) {
        LabelNames(r->MutableMessage(message, field), names);
      }
    }
  }
}

void NameLabels::Set(const std::string& name, std::string label) {
  labels_[name] = std::move(label);
}

std::string NameLabels::Label(absl::string_view name) const {
  auto it = labels_.find(name);
  return it == labels_.end() ? std::string(name) : it->second;
}

std::string NameLabels::LabelOverName(absl::string_view name) const {
  auto it = labels_.find(name);
  if (it == labels_.end()) return std::string(name);
  return absl::StrCat(it->second, "\n", name);
}

std::string NameLabels::InText(absl::string_view text) const {
  if (labels_.empty()) return std::string(text);
  std::string out;
  size_t done = 0;
  ForEachName(text, [&](size_t start, size_t length) {
    absl::StrAppend(&out, text.substr(done, start - done),
                    Label(text.substr(start, length)));
    done = start + length;
  });
  absl::StrAppend(&out, text.substr(done));
  return out;
}

std::vector<std::string> ResourceNamesInText(absl::string_view text) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  ForEachName(text, [&](size_t start, size_t length) {
    std::string name(text.substr(start, length));
    if (seen.insert(name).second) names.push_back(std::move(name));
  });
  return names;
}

std::vector<std::string> ResourceNamesIn(const Message& message) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  Collect(message, &seen, &names);
  return names;
}

}  // namespace carebridge::carectl
