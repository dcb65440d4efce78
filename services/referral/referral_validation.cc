#include "services/referral/referral_validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/validation.h"
#include "services/referral/errors.h"

namespace carebridge::referral {
namespace {

absl::Status CheckReferralName(absl::string_view name) {
  return ParseResourceName("name", name, "referrals").status();
}

// Etags are short opaque strings; anything long is not one of ours.
absl::Status CheckEtag(absl::string_view etag) {
  return CheckText("etag", etag, 64);
}

absl::Status CheckNamedStep(absl::string_view name, absl::string_view etag,
                            absl::string_view note) {
  RETURN_IF_ERROR(CheckReferralName(name));
  RETURN_IF_ERROR(CheckEtag(etag));
  return CheckText("note", note, kMaxShortTextChars);
}

// A referral's business identifiers, as a directory person's local ones
// are bounded.
constexpr size_t kMaxIdentifiers = 10;
constexpr size_t kMaxIdentifierSystemChars = 200;
constexpr size_t kMaxIdentifierValueChars = 100;

// A system is a URI: a `|` would make `system|value` (how FHIR searches
// name an identifier) ambiguous, and white space is no part of one.
absl::Status CheckIdentifier(absl::string_view field,
                             const v1::ReferralIdentifier& identifier) {
  const std::string system = absl::StrCat(field, ".system");
  RETURN_IF_ERROR(CheckRequiredText(system, identifier.system(),
                                    kMaxIdentifierSystemChars));
  for (char c : identifier.system()) {
    if (c == '|' || absl::ascii_isspace(static_cast<unsigned char>(c))) {
      return carebridge::errors::Invalid(system,
                                         "a URI, without `|` or white space");
    }
  }
  return CheckRequiredText(absl::StrCat(field, ".value"), identifier.value(),
                           kMaxIdentifierValueChars);
}

absl::Status CheckIdentifiers(const v1::Referral& referral) {
  const auto& identifiers = referral.identifiers();
  if (static_cast<size_t>(identifiers.size()) > kMaxIdentifiers) {
    return carebridge::errors::TooMany("referral.identifiers", kMaxIdentifiers);
  }
  for (int i = 0; i < identifiers.size(); ++i) {
    const std::string field = absl::StrCat("referral.identifiers[", i, "]");
    RETURN_IF_ERROR(CheckIdentifier(field, identifiers[i]));
    for (int j = 0; j < i; ++j) {
      if (identifiers[j].system() == identifiers[i].system() &&
          identifiers[j].value() == identifiers[i].value()) {
        return carebridge::errors::Invalid(
            field, absl::StrCat("repeats referral.identifiers[", j, "]"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCreate(const v1::CreateReferralRequest& request) {
  if (!request.has_referral()) return carebridge::errors::MustBeSet("referral");
  const v1::Referral& referral = request.referral();
  RETURN_IF_ERROR(
      ParseResourceName("referral.person", referral.person(), "persons")
          .status());
  RETURN_IF_ERROR(ParseResourceName("referral.receiving_team",
                                    referral.receiving_team(), "teams")
                      .status());
  if (referral.urgency() == v1::URGENCY_UNSPECIFIED) {
    return carebridge::errors::MustBeSet("referral.urgency");
  }
  if (!v1::Urgency_IsValid(referral.urgency())) {
    return carebridge::errors::Invalid(
        "referral.urgency", absl::StrCat("unknown value ", referral.urgency(),
                                         "; use ROUTINE, URGENT or CRISIS"));
  }
  RETURN_IF_ERROR(CheckRequiredText("referral.reason", referral.reason(),
                                    kMaxLongTextChars));
  RETURN_IF_ERROR(CheckText("referral.person_wishes", referral.person_wishes(),
                            kMaxLongTextChars));
  RETURN_IF_ERROR(CheckText("referral.risk_summary", referral.risk_summary(),
                            kMaxLongTextChars));
  RETURN_IF_ERROR(CheckIdentifiers(referral));
  return CheckRequestId("request_id", request.request_id());
}

absl::Status ValidateGet(const v1::GetReferralRequest& request) {
  return CheckReferralName(request.name());
}

// There are seven states; a longer filter can only repeat them.
constexpr size_t kMaxStateFilters = 7;

absl::Status ValidateList(const v1::ListReferralsRequest& request) {
  if (request.mailbox() == v1::MAILBOX_UNSPECIFIED) {
    return carebridge::errors::MustBeSet("mailbox");
  }
  if (!v1::Mailbox_IsValid(request.mailbox())) {
    return carebridge::errors::Invalid(
        "mailbox", absl::StrCat("unknown value ", request.mailbox(),
                                "; use INBOX or SENT_BY_TEAM"));
  }
  if (static_cast<size_t>(request.states_size()) > kMaxStateFilters) {
    return carebridge::errors::TooMany("states", kMaxStateFilters);
  }
  for (int state : request.states()) {
    if (state == v1::STATE_UNSPECIFIED || !v1::State_IsValid(state)) {
      return carebridge::errors::Invalid("states",
                                         absl::StrCat("unknown state ", state));
    }
  }
  if (!request.person().empty()) {
    RETURN_IF_ERROR(
        ParseResourceName("person", request.person(), "persons").status());
  }
  if (request.has_identifier()) {
    RETURN_IF_ERROR(CheckIdentifier("identifier", request.identifier()));
  }
  return CheckPageSize("page_size", request.page_size()).status();
}

absl::Status ValidateAcknowledge(
    const v1::AcknowledgeReferralRequest& request) {
  return CheckNamedStep(request.name(), request.etag(), request.note());
}

absl::Status ValidateAccept(const v1::AcceptReferralRequest& request) {
  return CheckNamedStep(request.name(), request.etag(), request.note());
}

absl::Status ValidateComplete(const v1::CompleteReferralRequest& request) {
  return CheckNamedStep(request.name(), request.etag(), request.note());
}

absl::Status ValidateDecline(const v1::DeclineReferralRequest& request) {
  RETURN_IF_ERROR(CheckReferralName(request.name()));
  RETURN_IF_ERROR(CheckEtag(request.etag()));
  RETURN_IF_ERROR(
      CheckRequiredText("reason", request.reason(), kMaxShortTextChars));
  const v1::OnwardRoute& route = request.onward_route();
  if (absl::StripAsciiWhitespace(route.signposting()).empty() &&
      route.suggested_team().empty()) {
    return errors::OnwardRouteRequired();
  }
  RETURN_IF_ERROR(CheckText("onward_route.signposting", route.signposting(),
                            kMaxShortTextChars));
  if (!route.suggested_team().empty()) {
    RETURN_IF_ERROR(ParseResourceName("onward_route.suggested_team",
                                      route.suggested_team(), "teams")
                        .status());
  }
  return absl::OkStatus();
}

absl::Status ValidateRedirect(const v1::RedirectReferralRequest& request) {
  RETURN_IF_ERROR(CheckReferralName(request.name()));
  RETURN_IF_ERROR(CheckEtag(request.etag()));
  RETURN_IF_ERROR(ParseResourceName("new_receiving_team",
                                    request.new_receiving_team(), "teams")
                      .status());
  return CheckRequiredText("reason", request.reason(), kMaxShortTextChars);
}

absl::Status ValidateWithdraw(const v1::WithdrawReferralRequest& request) {
  RETURN_IF_ERROR(CheckReferralName(request.name()));
  RETURN_IF_ERROR(CheckEtag(request.etag()));
  return CheckRequiredText("reason", request.reason(), kMaxShortTextChars);
}

}  // namespace carebridge::referral
