#include "services/directory/nhs_number.h"

#include "absl/strings/ascii.h"
#include "services/directory/errors.h"

namespace carebridge::directory {

absl::StatusOr<std::string> NormalizeNhsNumber(absl::string_view field,
                                               absl::string_view input) {
  std::string digits;
  for (char c : input) {
    if (c == ' ') continue;
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return errors::Invalid(field, "must contain only digits and spaces");
    }
    if (digits.size() > 10) break;
    digits.push_back(c);
  }
  if (digits.size() != 10) return errors::Invalid(field, "must be 10 digits");
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (digits[i] - '0') * (10 - i);
  int check = 11 - sum % 11;
  if (check == 11) check = 0;
  if (check == 10 || check != digits[9] - '0') {
    return errors::Invalid(field,
                           "is not a valid NHS number (wrong check digit)");
  }
  return digits;
}

}  // namespace carebridge::directory
