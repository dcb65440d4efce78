#include "services/careplan/careplan_names.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"

namespace carebridge::careplan {
namespace {

constexpr char kPlanPattern[] = "persons/{person_id}/carePlan";
constexpr char kSharingPattern[] = "persons/{person_id}/sharingChoices";
constexpr char kVersionPattern[] = "persons/{person_id}/carePlan/versions/{n}";
constexpr char kBreakGlassPattern[] =
    "persons/{person_id}/breakGlassAccesses/{n}";

// Person ids as the directory makes them (see ParseResourceName).
bool IsPersonId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

// A version number as written in names: decimal, >= 1, no sign or leading
// zero, so each version has exactly one name.
bool ParseVersionNumber(absl::string_view text, int64_t* version) {
  if (text.empty() || text.size() > 18 || text[0] == '0') return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(text, version) && *version >= 1;
}

}  // namespace

std::string PersonName(absl::string_view person_id) {
  return absl::StrCat("persons/", person_id);
}

std::string CarePlanName(absl::string_view person_id) {
  return absl::StrCat("persons/", person_id, "/carePlan");
}

std::string CarePlanVersionName(absl::string_view person_id, int64_t version) {
  return absl::StrCat("persons/", person_id, "/carePlan/versions/", version);
}

std::string EtagOf(int64_t version) { return absl::StrCat(version); }

absl::StatusOr<std::string> ParseCarePlanName(absl::string_view field,
                                              absl::string_view name) {
  if (name.empty()) return carebridge::errors::MustBeSet(field);
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 3 || parts[0] != "persons" || !IsPersonId(parts[1]) ||
      parts[2] != "carePlan") {
    return carebridge::errors::BadResourceName(field, name, kPlanPattern);
  }
  return std::string(parts[1]);
}

std::string SharingChoicesName(absl::string_view person_id) {
  return absl::StrCat("persons/", person_id, "/sharingChoices");
}

std::string BreakGlassAccessName(absl::string_view person_id, int64_t seq) {
  return absl::StrCat("persons/", person_id, "/breakGlassAccesses/", seq);
}

absl::StatusOr<std::string> ParseSharingChoicesName(absl::string_view field,
                                                    absl::string_view name) {
  if (name.empty()) return carebridge::errors::MustBeSet(field);
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 3 || parts[0] != "persons" || !IsPersonId(parts[1]) ||
      parts[2] != "sharingChoices") {
    return carebridge::errors::BadResourceName(field, name, kSharingPattern);
  }
  return std::string(parts[1]);
}

absl::StatusOr<CarePlanVersionRef> ParseCarePlanVersionName(
    absl::string_view field, absl::string_view name) {
  if (name.empty()) return carebridge::errors::MustBeSet(field);
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  CarePlanVersionRef ref;
  if (parts.size() != 5 || parts[0] != "persons" || !IsPersonId(parts[1]) ||
      parts[2] != "carePlan" || parts[3] != "versions" ||
      !ParseVersionNumber(parts[4], &ref.version)) {
    return carebridge::errors::BadResourceName(field, name, kVersionPattern);
  }
  ref.person_id = std::string(parts[1]);
  return ref;
}

absl::StatusOr<BreakGlassAccessRef> ParseBreakGlassAccessName(
    absl::string_view field, absl::string_view name) {
  if (name.empty()) return carebridge::errors::MustBeSet(field);
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  BreakGlassAccessRef ref;
  if (parts.size() != 4 || parts[0] != "persons" || !IsPersonId(parts[1]) ||
      parts[2] != "breakGlassAccesses" ||
      !ParseVersionNumber(parts[3], &ref.seq)) {
    return carebridge::errors::BadResourceName(field, name, kBreakGlassPattern);
  }
  ref.person_id = std::string(parts[1]);
  return ref;
}

}  // namespace carebridge::careplan
