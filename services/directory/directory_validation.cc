#include "services/directory/directory_validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "services/common/macros.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"
#include "services/directory/errors.h"
#include "services/directory/nhs_number.h"

namespace carebridge::directory {
namespace {

absl::Status CheckDeadline(absl::string_view field,
                           const google::protobuf::Duration& deadline) {
  if (deadline.nanos() <= -1000000000 || deadline.nanos() >= 1000000000) {
    return errors::Invalid(field, "is not a valid duration");
  }
  absl::Duration d = FromProtoDuration(deadline);
  if (d < kMinDeadline || d > kMaxDeadline) {
    return errors::DeadlineOutOfRange(field);
  }
  return absl::OkStatus();
}

absl::Status CheckEmail(absl::string_view field, absl::string_view email) {
  RETURN_IF_ERROR(CheckText(field, email, kMaxEmailChars));
  if (email.empty()) return absl::OkStatus();
  size_t at = email.find('@');
  bool has_space = false;
  for (char c : email) {
    has_space = has_space || absl::ascii_isspace(static_cast<unsigned char>(c));
  }
  if (at == 0 || at == absl::string_view::npos || at + 1 == email.size() ||
      has_space) {
    return errors::Invalid(field, "must be an email address");
  }
  return absl::OkStatus();
}

bool ParseDigits(absl::string_view text, int* out) {
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(text, out);
}

}  // namespace

void FillDefaultDeadlines(v1::Team* team) {
  v1::ResponseDeadlines* deadlines = team->mutable_response_deadlines();
  if (!deadlines->has_routine()) {
    *deadlines->mutable_routine() = ToProtoDuration(kDefaultRoutineDeadline);
  }
  if (!deadlines->has_urgent()) {
    *deadlines->mutable_urgent() = ToProtoDuration(kDefaultUrgentDeadline);
  }
  if (!deadlines->has_crisis()) {
    *deadlines->mutable_crisis() = ToProtoDuration(kDefaultCrisisDeadline);
  }
}

absl::Status ValidateTeam(const v1::Team& team) {
  RETURN_IF_ERROR(CheckRequiredText("team.display_name", team.display_name(),
                                    kMaxNameChars));
  if (team.sector() == v1::SECTOR_UNSPECIFIED) {
    return errors::MustBeSet("team.sector");
  }
  if (!v1::Sector_IsValid(team.sector())) {
    return errors::Invalid("team.sector", "is not a known sector");
  }
  const v1::ResponseDeadlines& deadlines = team.response_deadlines();
  if (deadlines.has_routine()) {
    RETURN_IF_ERROR(
        CheckDeadline("team.response_deadlines.routine", deadlines.routine()));
  }
  if (deadlines.has_urgent()) {
    RETURN_IF_ERROR(
        CheckDeadline("team.response_deadlines.urgent", deadlines.urgent()));
  }
  if (deadlines.has_crisis()) {
    RETURN_IF_ERROR(
        CheckDeadline("team.response_deadlines.crisis", deadlines.crisis()));
  }
  RETURN_IF_ERROR(CheckText("team.service_description",
                            team.service_description(), kMaxTeamTextChars));
  RETURN_IF_ERROR(
      CheckText("team.eligibility", team.eligibility(), kMaxTeamTextChars));
  return CheckText("team.contact", team.contact(), kMaxContactChars);
}

absl::Status CheckTeamUpdateMask(const google::protobuf::FieldMask& mask) {
  if (mask.paths().empty()) return errors::MustBeSet("update_mask");
  static constexpr absl::string_view kPaths[] = {
      "display_name",
      "sector",
      "accepting_referrals",
      "response_deadlines",
      "response_deadlines.routine",
      "response_deadlines.urgent",
      "response_deadlines.crisis",
      "service_description",
      "eligibility",
      "contact",
  };
  for (const std::string& path : mask.paths()) {
    bool known = false;
    for (absl::string_view candidate : kPaths)
      known = known || path == candidate;
    if (!known) return errors::UnknownUpdatePath(path);
  }
  return absl::OkStatus();
}

void ApplyTeamUpdate(const google::protobuf::FieldMask& mask,
                     const v1::Team& patch, v1::Team* team) {
  v1::ResponseDeadlines* deadlines = team->mutable_response_deadlines();
  const v1::ResponseDeadlines& new_deadlines = patch.response_deadlines();
  for (const std::string& path : mask.paths()) {
    if (path == "display_name") {
      team->set_display_name(patch.display_name());
    } else if (path == "sector") {
      team->set_sector(patch.sector());
    } else if (path == "accepting_referrals") {
      team->set_accepting_referrals(patch.accepting_referrals());
    } else if (path == "response_deadlines") {
      *deadlines = new_deadlines;
    } else if (path == "response_deadlines.routine") {
      deadlines->clear_routine();
      if (new_deadlines.has_routine()) {
        *deadlines->mutable_routine() = new_deadlines.routine();
      }
    } else if (path == "response_deadlines.urgent") {
      deadlines->clear_urgent();
      if (new_deadlines.has_urgent()) {
        *deadlines->mutable_urgent() = new_deadlines.urgent();
      }
    } else if (path == "response_deadlines.crisis") {
      deadlines->clear_crisis();
      if (new_deadlines.has_crisis()) {
        *deadlines->mutable_crisis() = new_deadlines.crisis();
      }
    } else if (path == "service_description") {
      team->set_service_description(patch.service_description());
    } else if (path == "eligibility") {
      team->set_eligibility(patch.eligibility());
    } else if (path == "contact") {
      team->set_contact(patch.contact());
    }
  }
}

absl::Status ValidateMember(const v1::Member& member) {
  RETURN_IF_ERROR(CheckRequiredText("member.display_name",
                                    member.display_name(), kMaxNameChars));
  if (member.role() == v1::ROLE_UNSPECIFIED) {
    return errors::MustBeSet("member.role");
  }
  if (!v1::Role_IsValid(member.role())) {
    return errors::Invalid("member.role", "is not a known role");
  }
  if (member.team().empty()) {
    // Admins manage the directory and need no team; everyone else works in
    // one.
    if (member.role() != v1::ADMIN) return errors::MustBeSet("member.team");
  } else {
    RETURN_IF_ERROR(
        ParseResourceName("member.team", member.team(), "teams").status());
  }
  return CheckEmail("member.email", member.email());
}

absl::Status CheckMemberUpdateMask(const google::protobuf::FieldMask& mask) {
  if (mask.paths().empty()) return errors::MustBeSet("update_mask");
  for (const std::string& path : mask.paths()) {
    if (path != "display_name" && path != "email" && path != "role" &&
        path != "team") {
      return errors::UnknownUpdatePath(path);
    }
  }
  return absl::OkStatus();
}

void ApplyMemberUpdate(const google::protobuf::FieldMask& mask,
                       const v1::Member& patch, v1::Member* member) {
  for (const std::string& path : mask.paths()) {
    if (path == "display_name") {
      member->set_display_name(patch.display_name());
    } else if (path == "email") {
      member->set_email(patch.email());
    } else if (path == "role") {
      member->set_role(patch.role());
    } else if (path == "team") {
      member->set_team(patch.team());
    }
  }
}

absl::Status CheckReason(absl::string_view field, absl::string_view reason) {
  return CheckRequiredText(field, reason, kMaxReasonChars);
}

absl::Status CheckPersonUpdateMask(const google::protobuf::FieldMask& mask) {
  if (mask.paths().empty()) return errors::MustBeSet("update_mask");
  for (const std::string& path : mask.paths()) {
    if (path != "given_name" && path != "family_name" &&
        path != "preferred_name" && path != "birth_date" &&
        path != "nhs_number" && path != "local_identifiers") {
      return errors::UnknownUpdatePath(path);
    }
  }
  return absl::OkStatus();
}

void ApplyPersonUpdate(const google::protobuf::FieldMask& mask,
                       const v1::Person& patch, v1::Person* person) {
  for (const std::string& path : mask.paths()) {
    if (path == "given_name") {
      person->set_given_name(patch.given_name());
    } else if (path == "family_name") {
      person->set_family_name(patch.family_name());
    } else if (path == "preferred_name") {
      person->set_preferred_name(patch.preferred_name());
    } else if (path == "birth_date") {
      person->set_birth_date(patch.birth_date());
    } else if (path == "nhs_number") {
      person->set_nhs_number(patch.nhs_number());
    } else if (path == "local_identifiers") {
      *person->mutable_local_identifiers() = patch.local_identifiers();
    }
  }
}

absl::Status ValidateAndNormalizePerson(v1::Person* person, absl::Time now) {
  if (!person->nhs_number().empty()) {
    ASSIGN_OR_RETURN(
        std::string nhs_number,
        NormalizeNhsNumber("person.nhs_number", person->nhs_number()));
    person->set_nhs_number(nhs_number);
  }
  RETURN_IF_ERROR(CheckRequiredText("person.given_name", person->given_name(),
                                    kMaxNameChars));
  RETURN_IF_ERROR(CheckRequiredText("person.family_name", person->family_name(),
                                    kMaxNameChars));
  RETURN_IF_ERROR(CheckText("person.preferred_name", person->preferred_name(),
                            kMaxNameChars));
  if (person->birth_date().empty()) {
    return errors::MustBeSet("person.birth_date");
  }
  ASSIGN_OR_RETURN(absl::CivilDay birth_date,
                   ParseDate("person.birth_date", person->birth_date()));
  if (birth_date > Today(now)) {
    return errors::DateInFuture("person.birth_date");
  }
  if (person->local_identifiers_size() > kMaxLocalIdentifiers) {
    return errors::TooMany("person.local_identifiers", kMaxLocalIdentifiers);
  }
  for (int i = 0; i < person->local_identifiers_size(); ++i) {
    const v1::LocalIdentifier& id = person->local_identifiers(i);
    std::string field = absl::StrCat("person.local_identifiers[", i, "]");
    RETURN_IF_ERROR(CheckRequiredText(absl::StrCat(field, ".system"),
                                      id.system(), kMaxSystemChars));
    RETURN_IF_ERROR(CheckRequiredText(absl::StrCat(field, ".value"), id.value(),
                                      kMaxIdentifierValueChars));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view field,
                                         absl::string_view value) {
  int year = 0;
  int month = 0;
  int day = 0;
  if (value.size() != 10 || value[4] != '-' || value[7] != '-' ||
      !ParseDigits(value.substr(0, 4), &year) ||
      !ParseDigits(value.substr(5, 2), &month) ||
      !ParseDigits(value.substr(8, 2), &day)) {
    return errors::MalformedDate(field);
  }
  // CivilDay normalises 2023-02-30 to 2023-03-02; a real date survives.
  absl::CivilDay date(year, month, day);
  if (date.year() != year || date.month() != month || date.day() != day) {
    return errors::MalformedDate(field);
  }
  return date;
}

absl::CivilDay Today(absl::Time now) {
  static const absl::TimeZone* const kZone = [] {
    auto* zone = new absl::TimeZone(absl::UTCTimeZone());
    absl::LoadTimeZone("Europe/London", zone);
    return zone;
  }();
  return absl::ToCivilDay(now, *kZone);
}

}  // namespace carebridge::directory
