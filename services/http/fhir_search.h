#ifndef CAREBRIDGE_SERVICES_HTTP_FHIR_SEARCH_H_
#define CAREBRIDGE_SERVICES_HTTP_FHIR_SEARCH_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "services/http/fhir_front.h"
#include "services/http/fhir_resources.h"

// What FHIR searches share: their parameters, page size, references and
// the searchset Bundle.
namespace carebridge::http {

inline constexpr int kDefaultCount = 20;
inline constexpr int kMaxCount = 100;

// Every search parameter must be one this search knows (and _format, which
// only ever says json here): a misspelt filter must not silently widen it.
absl::Status CheckParams(absl::string_view type, const FhirParams& params,
                         const std::set<std::string>& known);
// The first value of `name`; empty when absent.
std::string Param(const FhirParams& params, const std::string& name);
// _count: 1 to kMaxCount, default kDefaultCount.
absl::StatusOr<int> Count(const FhirParams& params);
// The reference `value` (Type/id, or a full URL ending so) to a resource
// of `type`; its id.
absl::StatusOr<std::string> ReferenceId(absl::string_view param,
                                        absl::string_view value,
                                        absl::string_view type);
// `text` from a query string, decoded: %XX escapes and `+` for a space.
// INVALID_ARGUMENT naming `field` when an escape is malformed or the bytes
// are not UTF-8.
absl::StatusOr<std::string> QueryDecoded(absl::string_view field,
                                         absl::string_view text);
// A token search's `system|value` (FHIR search escapes `\|`, `\,`, `\$`
// and `\\` taken literally), both parts required, one value only (no
// unescaped `,`). INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<referral::v1::ReferralIdentifier> IdentifierToken(
    absl::string_view field, absl::string_view token);
// A conditional create's If-None-Exist header, a query string that must be
// `identifier=system|value` (percent-encoded or not): its identifier.
absl::StatusOr<referral::v1::ReferralIdentifier> IfNoneExistIdentifier(
    absl::string_view header);

// A `_lastUpdated` search: every bound its values give (ge, gt, le, lt or
// eq, then a date YYYY-MM-DD or an instant), all of which a time must meet.
class LastUpdated {
 public:
  // INVALID_ARGUMENT naming the value that is not a prefix and a time.
  static absl::StatusOr<LastUpdated> FromParams(const FhirParams& params);
  bool Matches(absl::Time time) const;

 private:
  struct Bound {
    std::string prefix;
    absl::Time start;
    // A day for a date, a second for an instant: `eq` is within it, `gt`
    // after it, `le` up to its end.
    absl::Duration precision;
  };
  std::vector<Bound> bounds_;
};

// A Bundle of `type` (searchset or history) of `resources`, with self and
// (when there is more) next links.
fhir::Json Searchset(const std::string& base, absl::string_view type,
                     const FhirParams& params,
                     const std::vector<fhir::Json>& resources,
                     const std::string& next_page_token,
                     absl::string_view bundle_type = "searchset");

}  // namespace carebridge::http

#endif  // CAREBRIDGE_SERVICES_HTTP_FHIR_SEARCH_H_
