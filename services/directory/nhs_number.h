#ifndef CAREBRIDGE_SERVICES_DIRECTORY_NHS_NUMBER_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_NHS_NUMBER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace carebridge::directory {

// Returns the NHS number in its stored form (10 digits, no spaces), or
// INVALID_ARGUMENT naming `field`. Spaces are allowed on input ("943 476
// 5919"); the number must be exactly 10 digits whose last digit is the
// modulus-11 check digit of the first nine (NHS Data Dictionary: weights 10
// down to 2, check = 11 - (sum mod 11), 11 becomes 0, 10 is never valid).
absl::StatusOr<std::string> NormalizeNhsNumber(absl::string_view field,
                                               absl::string_view input);

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_NHS_NUMBER_H_
