#ifndef CAREBRIDGE_SERVICES_COMMON_VALIDATION_H_
#define CAREBRIDGE_SERVICES_COMMON_VALIDATION_H_

// Field checks shared by every service's request validation. Each returns
// INVALID_ARGUMENT naming the field.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace carebridge {

// Text limits (in characters, counted as UTF-8 code points).
inline constexpr size_t kMaxNameChars = 200;
inline constexpr size_t kMaxShortTextChars = 2000;
inline constexpr size_t kMaxLongTextChars = 4000;
inline constexpr size_t kMaxRequestIdChars = 64;

// Checks `value` is valid UTF-8 of at most `max_chars` code points.
absl::Status CheckText(absl::string_view field, absl::string_view value,
                       size_t max_chars);
// As CheckText, and not empty or only white space.
absl::Status CheckRequiredText(absl::string_view field, absl::string_view value,
                               size_t max_chars);
// An optional request id: at most 64 printable ASCII characters.
absl::Status CheckRequestId(absl::string_view field, absl::string_view value);

// Parses `collection/{id}` and returns the id. The id is 1-64 characters
// of [a-z0-9-_]. An empty value is `field: must be set`.
absl::StatusOr<std::string> ParseResourceName(absl::string_view field,
                                              absl::string_view value,
                                              absl::string_view collection);

// Page sizes: 0 means `default_size`; negative is an error; above `max_size`
// is clamped to it (AIP-158).
absl::StatusOr<int> CheckPageSize(absl::string_view field, int page_size,
                                  int default_size = 50, int max_size = 500);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_VALIDATION_H_
