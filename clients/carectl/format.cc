#include "clients/carectl/format.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "clients/carectl/args.h"
#include "clients/carectl/enums.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/util/json_util.h"

namespace carebridge::carectl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::atomic<bool>& TimesInUtc() {
  static std::atomic<bool> utc{false};
  return utc;
}

std::string Rfc3339Utc(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixSeconds(ts.seconds()),
                          absl::UTCTimeZone());
}

bool IsTimestamp(const Descriptor* d) {
  return d->full_name() ==
         google::protobuf::Timestamp::descriptor()->full_name();
}

bool IsDuration(const Descriptor* d) {
  return d->full_name() ==
         google::protobuf::Duration::descriptor()->full_name();
}

// Timestamps and durations print as one value; other messages are expanded.
bool IsAtomic(const FieldDescriptor* field) {
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return true;
  return IsTimestamp(field->message_type()) ||
         IsDuration(field->message_type());
}

std::string MessageText(const Message& message) {
  const Descriptor* d = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  int64_t seconds = r->GetInt64(message, d->FindFieldByName("seconds"));
  int32_t nanos = r->GetInt32(message, d->FindFieldByName("nanos"));
  if (IsTimestamp(d)) {
    google::protobuf::Timestamp ts;
    ts.set_seconds(seconds);
    ts.set_nanos(nanos);
    return FormatTimestamp(ts);
  }
  return ShortDuration(absl::Seconds(seconds) + absl::Nanoseconds(nanos));
}

// One element (index >= 0) or the singular value (index < 0) of an atomic
// field.
std::string AtomText(const Message& message, const FieldDescriptor* field,
                     int index) {
  const Reflection* r = message.GetReflection();
  bool rep = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(message, field, index)
                 : r->GetString(message, field);
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(message, field, index)
                  : r->GetBool(message, field))
                 ? "true"
                 : "false";
    case FieldDescriptor::CPPTYPE_ENUM: {
      int number = rep ? r->GetRepeatedEnumValue(message, field, index)
                       : r->GetEnumValue(message, field);
      // The zero value means "not set" in every carebridge enum.
      return number == 0 ? "" : EnumWord(field->enum_type(), number);
    }
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(message, field, index)
                              : r->GetInt32(message, field));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(message, field, index)
                              : r->GetInt64(message, field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(message, field, index)
                              : r->GetUInt32(message, field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(message, field, index)
                              : r->GetUInt64(message, field));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(rep ? r->GetRepeatedDouble(message, field, index)
                              : r->GetDouble(message, field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(rep ? r->GetRepeatedFloat(message, field, index)
                              : r->GetFloat(message, field));
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (!rep && !r->HasField(message, field)) return "";
      return MessageText(rep ? r->GetRepeatedMessage(message, field, index)
                             : r->GetMessage(message, field));
  }
  return "";
}

std::string FieldText(const Message& message, const FieldDescriptor* field) {
  if (!field->is_repeated()) return AtomText(message, field, -1);
  std::vector<std::string> items;
  const Reflection* r = message.GetReflection();
  for (int i = 0; i < r->FieldSize(message, field); ++i) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        !IsAtomic(field)) {
      // e.g. local identifiers: "system=value" pairs.
      const Message& item = r->GetRepeatedMessage(message, field, i);
      std::vector<std::string> parts;
      const Descriptor* d = item.GetDescriptor();
      for (int f = 0; f < d->field_count(); ++f) {
        parts.push_back(FieldText(item, d->field(f)));
      }
      items.push_back(absl::StrJoin(parts, "="));
    } else {
      items.push_back(AtomText(message, field, i));
    }
  }
  return absl::StrJoin(items, ", ");
}

// Whether a block shows the field: strings, enums, messages and lists only
// when set; booleans and numbers always, because false and zero carry
// meaning (accepting_referrals: false).
bool ShownInBlock(const Message& message, const FieldDescriptor* field) {
  const Reflection* r = message.GetReflection();
  if (field->is_repeated()) return r->FieldSize(message, field) > 0;
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return r->HasField(message, field);
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    return !r->GetString(message, field).empty();
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
    return r->GetEnumValue(message, field) != 0;
  }
  return true;
}

struct Block {
  std::vector<std::pair<std::string, std::string>> lines;
  std::vector<std::pair<std::string, const FieldDescriptor*>> tables;
};

void CollectBlock(const Message& message, const std::string& prefix,
                  const NameLabels& names, Block* block) {
  const Descriptor* d = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* field = d->field(i);
    if (!ShownInBlock(message, field)) continue;
    std::string key = absl::StrCat(prefix, field->name());
    if (field->is_repeated() && !IsAtomic(field) && prefix.empty()) {
      block->tables.emplace_back(key, field);
    } else if (!field->is_repeated() && !IsAtomic(field)) {
      CollectBlock(r->GetMessage(message, field), key + ".", names, block);
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      block->lines.emplace_back(
          key, field->is_repeated()
                   ? names.InText(FieldText(message, field))
                   : names.LabelOverName(FieldText(message, field)));
    } else {
      block->lines.emplace_back(key, FieldText(message, field));
    }
  }
}

std::string OneLine(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"\r\n", " "}, {"\n", " "}, {"\t", " "}});
}

}  // namespace

void ShowTimesInUtc(bool utc) { TimesInUtc().store(utc); }

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  if (TimesInUtc().load()) return Rfc3339Utc(ts);
  return FormatTimestampIn(ts, absl::LocalTimeZone());
}

std::string FormatTimestampIn(const google::protobuf::Timestamp& ts,
                              absl::TimeZone zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S %Z",
                          absl::FromUnixSeconds(ts.seconds()), zone);
}

std::string FormatUtcDate(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(ts.seconds()),
                          absl::UTCTimeZone());
}

std::string ValueAt(const Message& message, const std::string& path) {
  const Message* current = &message;
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field =
        current->GetDescriptor()->FindFieldByName(parts[i]);
    if (field == nullptr) return "";
    if (i + 1 == parts.size()) return FieldText(*current, field);
    if (field->is_repeated() ||
        field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      return "";
    }
    current = &current->GetReflection()->GetMessage(*current, field);
  }
  return "";
}

bool PrintNames(std::ostream& out, const Message& message) {
  const Descriptor* d = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  const FieldDescriptor* name = d->FindFieldByName("name");
  if (name != nullptr && !name->is_repeated() &&
      name->type() == FieldDescriptor::TYPE_STRING) {
    out << r->GetString(message, name) << "\n";
    return true;
  }
  bool printed = false;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* field = d->field(i);
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int k = 0; k < r->FieldSize(message, field); ++k) {
        printed |= PrintNames(out, r->GetRepeatedMessage(message, field, k));
      }
    } else if (r->HasField(message, field)) {
      printed |= PrintNames(out, r->GetMessage(message, field));
    }
  }
  return printed;
}

void PrintResource(std::ostream& out, const Message& message,
                   const NameLabels& names) {
  Block block;
  CollectBlock(message, "", names, &block);
  size_t width = 0;
  for (const auto& [key, value] : block.lines) {
    width = std::max(width, key.size());
  }
  for (const auto& [key, value] : block.lines) {
    std::string pad(width - key.size() + 2, ' ');
    std::string continuation = absl::StrCat("\n", std::string(width + 3, ' '));
    out << key << ":" << pad
        << absl::StrReplaceAll(absl::StripTrailingAsciiWhitespace(value),
                               {{"\n", continuation}})
        << "\n";
  }
  const Reflection* r = message.GetReflection();
  for (const auto& [key, field] : block.tables) {
    std::vector<const Message*> rows;
    for (int i = 0; i < r->FieldSize(message, field); ++i) {
      rows.push_back(&r->GetRepeatedMessage(message, field, i));
    }
    std::vector<std::string> columns;
    const Descriptor* d = field->message_type();
    for (int i = 0; i < d->field_count(); ++i) {
      columns.push_back(d->field(i)->name());
    }
    out << "\n" << key << ":\n";
    PrintTable(out, rows, columns, "  ", names);
  }
}

void PrintTable(std::ostream& out, const std::vector<const Message*>& rows,
                const std::vector<std::string>& columns,
                const std::string& indent, const NameLabels& names) {
  std::vector<std::string> header;
  for (const std::string& column : columns) {
    std::string title = absl::AsciiStrToUpper(column);
    std::replace(title.begin(), title.end(), '_', ' ');
    std::replace(title.begin(), title.end(), '.', ' ');
    header.push_back(title);
  }
  std::vector<std::vector<std::string>> cells;
  for (const Message* row : rows) {
    std::vector<std::string> line;
    for (const std::string& column : columns) {
      line.push_back(names.Label(ValueAt(*row, column)));
    }
    cells.push_back(std::move(line));
  }
  PrintTextTable(out, header, cells, indent);
}

void PrintTextTable(std::ostream& out, const std::vector<std::string>& header,
                    const std::vector<std::vector<std::string>>& rows,
                    const std::string& indent) {
  if (rows.empty()) {
    out << indent << "(none)\n";
    return;
  }
  std::vector<std::vector<std::string>> cells = {header};
  for (const auto& row : rows) {
    std::vector<std::string> line;
    for (const std::string& cell : row) line.push_back(OneLine(cell));
    line.resize(header.size());
    cells.push_back(std::move(line));
  }
  std::vector<size_t> widths(header.size(), 0);
  for (const auto& line : cells) {
    for (size_t c = 0; c < line.size(); ++c) {
      widths[c] = std::max(widths[c], line[c].size());
    }
  }
  for (const auto& line : cells) {
    std::string text = indent;
    for (size_t c = 0; c < line.size(); ++c) {
      absl::StrAppend(&text, line[c]);
      if (c + 1 < line.size()) {
        text.append(widths[c] - line[c].size() + 2, ' ');
      }
    }
    out << absl::StripTrailingAsciiWhitespace(text) << "\n";
  }
}

void PrintList(std::ostream& out, const std::vector<const Message*>& rows,
               const std::vector<std::string>& columns,
               const std::string& next_page_token) {
  PrintTable(out, rows, columns);
  if (!next_page_token.empty()) out << "next page: " << next_page_token << "\n";
}

namespace {

google::protobuf::util::JsonPrintOptions JsonOptions() {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  return options;
}

}  // namespace

absl::StatusOr<std::string> ToJsonLine(const Message& message) {
  std::string json;
  google::protobuf::util::Status status =
      google::protobuf::util::MessageToJsonString(message, &json,
                                                  JsonOptions());
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        std::string(status.message().data(), status.message().size()));
  }
  return absl::StrCat(json, "\n");
}

std::string DeadlineMarkers(bool overdue, bool escalated) {
  std::vector<std::string> markers;
  if (overdue) markers.push_back("OVERDUE");
  if (escalated) markers.push_back("ESCALATED");
  return absl::StrJoin(markers, " ");
}

std::string ToJson(const Message& message) {
  google::protobuf::util::JsonPrintOptions options = JsonOptions();
  options.add_whitespace = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options)
           .ok()) {
    return "{}\n";
  }
  return absl::StrCat(absl::StripTrailingAsciiWhitespace(json), "\n");
}

}  // namespace carebridge::carectl
