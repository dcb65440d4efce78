#ifndef CAREBRIDGE_CLIENTS_CARECTL_ENUMS_H_
#define CAREBRIDGE_CLIENTS_CARECTL_ENUMS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/generated_enum_reflection.h"

namespace carebridge::carectl {

// carectl writes and reads enum values as lower-case words joined by
// underscores (`community_mental_health`), so what it prints can be passed
// back as a flag value.
std::string EnumWord(const google::protobuf::EnumValueDescriptor* value);
std::string EnumWord(const google::protobuf::EnumDescriptor* type, int number);

// Parses the value of flag `--flag` as a value of `type`, case-insensitively.
// The zero (`*_UNSPECIFIED`) value is never accepted; the error lists the
// accepted words.
absl::StatusOr<int> ParseEnumWord(const google::protobuf::EnumDescriptor* type,
                                  absl::string_view flag,
                                  absl::string_view word);

template <typename E>
absl::StatusOr<E> ParseEnumFlag(absl::string_view flag,
                                absl::string_view word) {
  absl::StatusOr<int> number =
      ParseEnumWord(google::protobuf::GetEnumDescriptor<E>(), flag, word);
  if (!number.ok()) return number.status();
  return static_cast<E>(*number);
}

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_ENUMS_H_
