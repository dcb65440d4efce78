#include "services/http/fhir_search.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "services/common/macros.h"
#include "services/common/validation.h"

namespace carebridge::http {
namespace {

using fhir::Json;

// Percent-encodes all but RFC 3986's unreserved characters.
std::string UrlEncoded(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += absl::StrFormat("%%%02X", static_cast<unsigned char>(c));
    }
  }
  return out;
}

std::string QueryOf(const FhirParams& params, absl::string_view skip) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : params) {
    if (name == skip) continue;
    parts.push_back(absl::StrCat(UrlEncoded(name), "=", UrlEncoded(value)));
  }
  return absl::StrJoin(parts, "&");
}

constexpr char kIfNoneExist[] = "If-None-Exist";

}  // namespace

absl::StatusOr<std::string> QueryDecoded(absl::string_view field,
                                         absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
      continue;
    }
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int byte = 0;
    const absl::string_view escape = text.substr(i, 3);
    if (escape.size() < 3 ||
        !absl::ascii_isxdigit(static_cast<unsigned char>(escape[1])) ||
        !absl::ascii_isxdigit(static_cast<unsigned char>(escape[2])) ||
        !absl::SimpleHexAtoi(escape.substr(1), &byte)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": `", escape,
                       "` is not a percent-encoded byte (% and two hex "
                       "digits; a literal % is %25)"));
    }
    out += static_cast<char>(byte);
    i += 2;
  }
  RETURN_IF_ERROR(CheckText(field, out, kMaxLongTextChars));
  return out;
}

absl::StatusOr<referral::v1::ReferralIdentifier> IdentifierToken(
    absl::string_view field, absl::string_view token) {
  referral::v1::ReferralIdentifier identifier;
  std::string part;
  bool in_value = false;
  for (size_t i = 0; i < token.size(); ++i) {
    char c = token[i];
    if (c == '\\') {
      if (i + 1 == token.size() || !absl::StrContains("\\|,$", token[i + 1])) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ": a `\\` escapes only `\\`, `|`, `,` or `$` (`", token,
            "`)"));
      }
      part += token[++i];
    } else if (c == ',') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": one identifier only (`", token,
                       "` lists several; a `,` in a value is `\\,`)"));
    } else if (c == '|' && !in_value) {
      identifier.set_system(std::exchange(part, ""));
      in_value = true;
    } else {
      part += c;
    }
  }
  identifier.set_value(part);
  if (!in_value || identifier.system().empty() || identifier.value().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": `", token,
                     "` is not `system|value` with both given (e.g. "
                     "https://trust.example/referrals|R-123)"));
  }
  return identifier;
}

absl::StatusOr<referral::v1::ReferralIdentifier> IfNoneExistIdentifier(
    absl::string_view header) {
  std::pair<absl::string_view, absl::string_view> param =
      absl::StrSplit(header, absl::MaxSplits('=', 1));
  ASSIGN_OR_RETURN(const std::string name,
                   QueryDecoded(kIfNoneExist, param.first));
  if (name != "identifier" || absl::StrContains(param.second, '&')) {
    return absl::InvalidArgumentError(absl::StrCat(
        kIfNoneExist, ": only `identifier=system|value` is supported (`",
        header, "`)"));
  }
  ASSIGN_OR_RETURN(const std::string token,
                   QueryDecoded(kIfNoneExist, param.second));
  return IdentifierToken(absl::StrCat(kIfNoneExist, ": identifier"), token);
}

absl::Status CheckParams(absl::string_view type, const FhirParams& params,
                         const std::set<std::string>& known) {
  for (const auto& [name, value] : params) {
    if (name == "_format" || known.count(name) > 0) continue;
    return absl::InvalidArgumentError(
        absl::StrCat("search parameter `", name, "` is not supported for ",
                     type, " (supported: ", absl::StrJoin(known, ", "), ")"));
  }
  return absl::OkStatus();
}

std::string Param(const FhirParams& params, const std::string& name) {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

absl::StatusOr<int> Count(const FhirParams& params) {
  std::string count = Param(params, "_count");
  if (count.empty()) return kDefaultCount;
  int value = 0;
  if (!absl::SimpleAtoi(count, &value) || value < 1 || value > kMaxCount) {
    return absl::InvalidArgumentError(
        absl::StrCat("_count: must be a whole number from 1 to ", kMaxCount));
  }
  return value;
}

absl::StatusOr<std::string> ReferenceId(absl::string_view param,
                                        absl::string_view value,
                                        absl::string_view type) {
  std::vector<absl::string_view> parts = absl::StrSplit(value, '/');
  if (parts.size() >= 2 && parts[parts.size() - 2] == type &&
      !parts.back().empty()) {
    return std::string(parts.back());
  }
  if (parts.size() == 1 && !value.empty()) return std::string(value);
  return absl::InvalidArgumentError(absl::StrCat(param, ": `", value,
                                                 "` is not a reference to a ",
                                                 type, " (", type, "/{id})"));
}

Json Searchset(const std::string& base, absl::string_view type,
               const FhirParams& params, const std::vector<Json>& resources,
               const std::string& next_page_token,
               absl::string_view bundle_type) {
  Json bundle{
      {"resourceType", "Bundle"},
      {"meta",
       {{"lastUpdated", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                         absl::UTCTimeZone())}}},
      {"type", std::string(bundle_type)}};
  // The total is known only when this page is the whole result: on a later
  // page, or with more to come, it is left out (FHIR makes it optional)
  // rather than miscounted.
  if (next_page_token.empty() && Param(params, "_page_token").empty()) {
    bundle["total"] = resources.size();
  }
  std::string self = absl::StrCat(base, "/", type);
  std::string query = QueryOf(params, "");
  Json links = Json::array(
      {{{"relation", "self"},
        {"url", query.empty() ? self : absl::StrCat(self, "?", query)}}});
  if (!next_page_token.empty()) {
    std::string rest = QueryOf(params, "_page_token");
    links.push_back(
        {{"relation", "next"},
         {"url", absl::StrCat(self, "?", rest, rest.empty() ? "" : "&",
                              "_page_token=", UrlEncoded(next_page_token))}});
  }
  bundle["link"] = links;
  Json entries = Json::array();
  for (const Json& resource : resources) {
    entries.push_back(
        {{"fullUrl",
          absl::StrCat(base, "/", resource["resourceType"].get<std::string>(),
                       "/", resource["id"].get<std::string>())},
         {"resource", resource}});
    if (bundle_type == "history") {
      // Each version as the write that made it.
      const std::string url =
          absl::StrCat(resource["resourceType"].get<std::string>(), "/",
                       resource["id"].get<std::string>());
      const bool first = resource["meta"]["versionId"] == "1";
      entries.back()["request"] = {{"method", first ? "POST" : "PUT"},
                                   {"url", url}};
      entries.back()["response"] = {{"status", first ? "201" : "200"}};
    } else {
      entries.back()["search"] = {{"mode", "match"}};
    }
  }
  bundle["entry"] = entries;
  return bundle;
}

absl::StatusOr<LastUpdated> LastUpdated::FromParams(const FhirParams& params) {
  LastUpdated out;
  auto range = params.equal_range("_lastUpdated");
  for (auto it = range.first; it != range.second; ++it) {
    absl::string_view value = it->second;
    Bound bound{"eq", absl::InfinitePast(), absl::Hours(24)};
    for (const char* prefix : {"ge", "gt", "le", "lt", "eq"}) {
      if (absl::ConsumePrefix(&value, prefix)) {
        bound.prefix = prefix;
        break;
      }
    }
    std::string error;
    if (absl::ParseTime(absl::RFC3339_full, value, &bound.start, &error)) {
      bound.precision = absl::Seconds(1);
    } else if (!absl::ParseTime("%Y-%m-%d", value, absl::UTCTimeZone(),
                                &bound.start, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "_lastUpdated: `", it->second,
          "` is not a prefix (ge, gt, le, lt, eq) and a date (YYYY-MM-DD) or "
          "an instant (2026-12-06T09:00:00Z)"));
    }
    out.bounds_.push_back(bound);
  }
  return out;
}

bool LastUpdated::Matches(absl::Time time) const {
  for (const Bound& bound : bounds_) {
    const absl::Time end = bound.start + bound.precision;
    if (bound.prefix == "ge" && time < bound.start) return false;
    if (bound.prefix == "gt" && time < end) return false;
    if (bound.prefix == "le" && time >= end) return false;
    if (bound.prefix == "lt" && time >= bound.start) return false;
    if (bound.prefix == "eq" && (time < bound.start || time >= end)) {
      return false;
    }
  }
  return true;
}

}  // namespace carebridge::http
