#include "clients/carectl/enums.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace carebridge::carectl {

std::string EnumWord(const google::protobuf::EnumValueDescriptor* value) {
  if (value == nullptr) return "unknown";
  return absl::AsciiStrToLower(value->name());
}

std::string EnumWord(const google::protobuf::EnumDescriptor* type, int number) {
  const google::protobuf::EnumValueDescriptor* value =
      type->FindValueByNumber(number);
  if (value == nullptr) return absl::StrCat("unknown(", number, ")");
  return EnumWord(value);
}

absl::StatusOr<int> ParseEnumWord(const google::protobuf::EnumDescriptor* type,
                                  absl::string_view flag,
                                  absl::string_view word) {
  std::vector<std::string> accepted;
  for (int i = 0; i < type->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* value = type->value(i);
    if (value->number() == 0) continue;
    if (absl::EqualsIgnoreCase(value->name(), word)) return value->number();
    accepted.push_back(EnumWord(value));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, ": '", word, "' is not one of ",
                   absl::StrJoin(accepted, ", ")));
}

}  // namespace carebridge::carectl
