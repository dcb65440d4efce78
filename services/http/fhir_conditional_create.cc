// A ServiceRequest's identifiers, and the conditional create FHIR R4
// defines (http.html#ccreate) with If-None-Exist: identifier=system|value:
// the referrals the caller's team sent are searched for the identifier;
// none, and the create goes ahead; one, and it is the answer (200, nothing
// made); more, and the request is refused (412).
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "services/common/fingerprint.h"
#include "services/http/fhir_front.h"
#include "services/http/fhir_search.h"

namespace carebridge::http {
namespace {

namespace ref = ::carebridge::referral::v1;
using fhir::Json;

constexpr char kListReferralsMethod[] =
    "carebridge.referral.v1.ReferralService.ListReferrals";
constexpr char kGetReferralMethod[] =
    "carebridge.referral.v1.ReferralService.GetReferral";

absl::Status IdentifierElementError(size_t index, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("ServiceRequest.identifier[", index, "]", problem));
}

std::string TokenOf(const ref::ReferralIdentifier& identifier) {
  return absl::StrCat(identifier.system(), "|", identifier.value());
}

bool Carries(const ref::Referral& referral,
             const ref::ReferralIdentifier& wanted) {
  for (const ref::ReferralIdentifier& identifier : referral.identifiers()) {
    if (identifier.system() == wanted.system() &&
        identifier.value() == wanted.value()) {
      return true;
    }
  }
  return false;
}

// The referral an ALREADY_EXISTS from CreateReferral names as made under
// `request_id` (`request_id: "{id}" was already used by {team} for
// referrals/{rid}, which differs ...`); empty when it names none.
std::string ReferralNamedBy(absl::string_view message,
                            absl::string_view request_id) {
  if (!absl::ConsumePrefix(&message,
                           absl::StrCat("request_id: \"", request_id, "\""))) {
    return "";
  }
  const size_t at = message.find(" for referrals/");
  if (at == absl::string_view::npos) return "";
  absl::string_view id = message.substr(at + sizeof(" for referrals/") - 1);
  id = id.substr(0, id.find_first_of(", "));
  if (id.empty()) return "";
  return absl::StrCat("referrals/", id);
}

}  // namespace

absl::Status FhirFront::ReadIdentifiers(const Json& service_request,
                                        ref::Referral& referral) {
  auto given = service_request.find("identifier");
  if (given == service_request.end()) return absl::OkStatus();
  if (!given->is_array()) {
    return absl::InvalidArgumentError(
        "ServiceRequest.identifier: must be an array of {system, value}");
  }
  for (size_t i = 0; i < given->size(); ++i) {
    const Json& element = (*given)[i];
    if (!element.is_object()) {
      return IdentifierElementError(i, ": must be an object {system, value}");
    }
    // R4's other Identifier elements are accepted and not kept, as the
    // ServiceRequest's own that carebridge does not keep are.
    for (const auto& [key, value] : element.items()) {
      if (key != "system" && key != "value" && key != "use" && key != "type" &&
          key != "period" && key != "assigner") {
        return IdentifierElementError(
            i, absl::StrCat(".", key,
                            " is not supported here (supported: system, "
                            "value; use, type, period and assigner are not "
                            "kept)"));
      }
    }
    for (const char* key : {"system", "value"}) {
      auto part = element.find(key);
      if (part == element.end() || !part->is_string() ||
          part->get<std::string>().empty()) {
        return IdentifierElementError(
            i, absl::StrCat(".", key,
                            ": required: a string (system: the URI of the "
                            "system that issued the value)"));
      }
    }
    ref::ReferralIdentifier* identifier = referral.add_identifiers();
    identifier->set_system(element.at("system").get<std::string>());
    identifier->set_value(element.at("value").get<std::string>());
  }
  return absl::OkStatus();
}

HttpReply FhirFront::WrittenServiceRequest(const ref::Referral& referral,
                                           int status,
                                           const std::string& base) {
  HttpReply reply = FhirReply(fhir::ServiceRequest(referral), status);
  reply.headers.emplace_back(
      "Location",
      absl::StrCat(base, "/ServiceRequest/", fhir::IdOf(referral.name()),
                   "/_history/", referral.etag()));
  return reply;
}

std::optional<HttpReply> FhirFront::MadeUnderKey(
    const absl::Status& refused, absl::string_view request_id,
    const std::string& base, const CallHeaders& headers) const {
  const std::string name = ReferralNamedBy(refused.message(), request_id);
  if (name.empty()) return std::nullopt;
  ref::GetReferralRequest get;
  get.set_name(name);
  ref::Referral made;
  const absl::Status read =
      bridge_->Call(kGetReferralMethod, get, &made, headers);
  // The caller may not read it (or it is gone): the refusal stands (409).
  if (absl::IsPermissionDenied(read) || absl::IsNotFound(read)) {
    return std::nullopt;
  }
  // Else the read failed, not the create: its error (UNAVAILABLE: 503,
  // retry), never 409, which would tell the client its key is spent.
  if (!read.ok()) {
    return FhirError(absl::Status(
        read.code(), absl::StrCat("reading ", name,
                                  ", made under this conditional create's "
                                  "identifier: ",
                                  read.message())));
  }
  return WrittenServiceRequest(made, 200, base);
}

std::optional<HttpReply> FhirFront::ConditionalCreate(
    absl::string_view if_none_exist, ref::CreateReferralRequest& request,
    const std::string& base, const CallHeaders& headers) const {
  absl::StatusOr<ref::ReferralIdentifier> wanted =
      IfNoneExistIdentifier(if_none_exist);
  if (!wanted.ok()) return FhirError(wanted.status());
  // The identifier searched for is the new ServiceRequest's own: else a
  // retry would never find what the first attempt made.
  ref::Referral& referral = *request.mutable_referral();
  if (referral.identifiers().empty()) {
    *referral.add_identifiers() = *wanted;
  } else if (!Carries(referral, *wanted)) {
    return FhirError(absl::InvalidArgumentError(absl::StrCat(
        "If-None-Exist: identifier `", TokenOf(*wanted),
        "` is not one of ServiceRequest.identifier; a conditional create's "
        "identifier must be one the ServiceRequest carries (or leave "
        "ServiceRequest.identifier out, and it carries that one)")));
  }
  ref::ListReferralsRequest search;
  search.set_mailbox(ref::SENT_BY_TEAM);
  *search.mutable_identifier() = *wanted;
  search.set_page_size(2);
  ref::ListReferralsResponse found;
  absl::Status searched =
      bridge_->Call(kListReferralsMethod, search, &found, headers);
  if (!searched.ok()) {
    // The service's refusal of the identifier is the header's.
    return FhirError(absl::IsInvalidArgument(searched) &&
                             absl::StartsWith(searched.message(), "identifier.")
                         ? absl::InvalidArgumentError(absl::StrCat(
                               "If-None-Exist: ", searched.message()))
                         : searched);
  }
  if (found.referrals_size() == 1) {
    return WrittenServiceRequest(found.referrals(0), 200, base);
  }
  if (found.referrals_size() > 1) {
    std::vector<std::string> matches;
    for (const ref::Referral& match : found.referrals()) {
      matches.push_back(
          absl::StrCat("ServiceRequest/", fhir::IdOf(match.name())));
    }
    HttpReply reply = FhirError(absl::FailedPreconditionError(
        absl::StrCat("If-None-Exist: identifier `", TokenOf(*wanted),
                     "` matches more than one ServiceRequest your team sent (",
                     absl::StrJoin(matches, ", "),
                     found.next_page_token().empty() ? "" : ", ...",
                     "); a conditional create needs it to match one or none")));
    reply.status = 412;
    return reply;
  }
  // None: the identifier is the create's retry key (digested to the 64
  // characters a request id may have), so concurrent attempts that all
  // found none still make one referral (each answered 201 with it when
  // they sent the same ServiceRequest: the service does not say which
  // attempt made it; 200 with it, the match, when they differ:
  // MadeUnderKey). It wins over X-Request-ID: a client that sends a fresh
  // one with each attempt still makes one.
  absl::StatusOr<std::string> digest = Sha256Hex(TokenOf(*wanted));
  if (!digest.ok()) return FhirError(digest.status());
  request.set_request_id(absl::StrCat("fhir-", digest->substr(0, 40)));
  return std::nullopt;
}

}  // namespace carebridge::http
