#include "services/common/oidc_sign_in.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"
#include "services/common/fingerprint.h"
#include "services/common/jwt_parts.h"

namespace carebridge {
namespace {

// Verified tokens remembered at most (then forgotten at once).
constexpr size_t kMaxRemembered = 20000;

absl::Status Refused(absl::string_view why) {
  return errors::Unauthenticated(
      absl::StrCat("identity provider token: ", why));
}

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_sec, time, absl::UTCTimeZone());
}

}  // namespace

OidcSignIn::OidcSignIn(OidcSignInSettings settings,
                       std::shared_ptr<const IdpKeySet> keys,
                       const MemberIndex* members)
    : settings_(std::move(settings)),
      members_(members),
      keys_(std::move(keys)) {}

void OidcSignIn::SetKeys(std::shared_ptr<const IdpKeySet> keys) {
  absl::MutexLock lock(&mu_);
  keys_ = std::move(keys);
  verified_.clear();
}

std::shared_ptr<const IdpKeySet> OidcSignIn::keys() const {
  absl::MutexLock lock(&mu_);
  return keys_;
}

bool OidcSignIn::FromIssuer(absl::string_view token) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return false;
  absl::StatusOr<google::protobuf::Struct> claims =
      jwt::DecodePart(parts[1], "payload");
  return claims.ok() && jwt::StringOf(*claims, "iss") == settings_.token.issuer;
}

absl::StatusOr<Principal> OidcSignIn::Authenticate(absl::string_view token,
                                                   absl::Time now) const {
  std::shared_ptr<const IdpKeySet> keys;
  std::optional<Verified> verified;
  {
    absl::MutexLock lock(&mu_);
    auto it = verified_.find(token);
    if (it != verified_.end()) {
      verified = it->second;
    } else {
      keys = keys_;
    }
  }
  if (!verified.has_value()) {
    absl::StatusOr<Verified> checked = VerifyUncached(token, *keys, now);
    if (!checked.ok()) return checked.status();
    verified = *checked;
    absl::MutexLock lock(&mu_);
    // Remembered only under the keys it was checked with.
    if (keys_ == keys) {
      if (verified_.size() >= kMaxRemembered) verified_.clear();
      verified_.emplace(token, *verified);
    }
  }
  if (now >= verified->expire_time) {
    return Refused(absl::StrCat("the session ended at ",
                                Rfc3339(verified->expire_time),
                                "; sign in again"));
  }
  absl::StatusOr<MemberIndex::Member> member =
      members_->Find(verified->member_id);
  if (!member.ok()) return Refused(member.status().message());
  Principal principal;
  principal.subject = member->name;
  principal.team = member->team;
  principal.role = member->role;
  principal.issue_time = verified->issue_time;
  principal.expire_time = verified->expire_time;
  principal.token_id = verified->token_id;
  return principal;
}

absl::StatusOr<OidcSignIn::Verified> OidcSignIn::VerifyUncached(
    absl::string_view token, const IdpKeySet& keys, absl::Time now) const {
  absl::StatusOr<OidcClaims> claims =
      VerifyOidcToken(token, keys, settings_.token, now);
  if (!claims.ok()) return claims.status();
  if (claims->issue_time == absl::InfinitePast()) {
    return Refused(
        "it has no issue time (iat), which carebridge needs so that signing "
        "a member out ends it");
  }
  // Issued in the future (beyond the clock leeway) would stretch the
  // session and outlive a sign-out said before it.
  if (claims->issue_time > now + settings_.token.leeway) {
    return Refused(
        absl::StrCat("it says it was issued at ", Rfc3339(claims->issue_time),
                     ", later than now; check the provider's clock"));
  }
  Verified verified;
  if (!jwt::StringClaim(claims->claims, settings_.member_claim,
                        &verified.member_id) ||
      verified.member_id.empty()) {
    return Refused(absl::StrCat("it has no `", settings_.member_claim,
                                "` claim, which names the carebridge member"));
  }
  if (settings_.member_claim == "email") {
    // An email claim names a member by email only (never by resource name),
    // and only an address the provider verified.
    if (absl::StartsWith(verified.member_id, "members/")) {
      return Refused("its email claim is not an email address");
    }
    const google::protobuf::Value* verified_claim =
        jwt::Field(claims->claims, "email_verified");
    if (verified_claim != nullptr &&
        !(verified_claim->has_bool_value() && verified_claim->bool_value())) {
      return Refused(
          "its email is not verified by the identity provider "
          "(email_verified is not true)");
    }
  }
  verified.issue_time = claims->issue_time;
  // The provider's expiry (with the leeway it was checked with), but no
  // longer than a session lasts here.
  verified.expire_time = std::min(claims->expire_time + settings_.token.leeway,
                                  claims->issue_time + settings_.max_lifetime);
  if (now >= verified.expire_time) {
    return Refused(absl::StrCat("issued at ", Rfc3339(claims->issue_time),
                                ", it is older than the ",
                                absl::FormatDuration(settings_.max_lifetime),
                                " a session lasts here; sign in again"));
  }
  verified.token_id = claims->token_id;
  if (verified.token_id.empty()) {
    absl::StatusOr<std::string> digest = Sha256Hex(token);
    if (!digest.ok()) return digest.status();
    verified.token_id = absl::StrCat("idp-", digest->substr(0, 32));
  }
  return verified;
}

}  // namespace carebridge
