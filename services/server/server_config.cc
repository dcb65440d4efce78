#include "services/server/server_config.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/database_opener.h"
#include "services/common/macros.h"

namespace carebridge::server {

absl::StatusOr<ServerConfig> Normalize(ServerConfig config) {
  if (config.services.empty()) {
    config.services.assign(std::begin(kKnownServices),
                           std::end(kKnownServices));
  }
  std::vector<std::string> seen;
  for (const std::string& service : config.services) {
    if (std::find(std::begin(kKnownServices), std::end(kKnownServices),
                  service) == std::end(kKnownServices)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--services: unknown service \"", service,
                       "\"; known: ", absl::StrJoin(kKnownServices, ",")));
    }
    if (std::find(seen.begin(), seen.end(), service) != seen.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--services: \"", service, "\" given twice"));
    }
    seen.push_back(service);
  }
  if (config.listen.empty()) {
    return absl::InvalidArgumentError("--listen: must be set");
  }
  RETURN_IF_ERROR(ValidateDatabaseUrl("--database", config.database));
  if (config.data_dir.empty()) {
    return absl::InvalidArgumentError("--data_dir: must be set");
  }
  // Which peers each service talks to.
  static constexpr struct {
    const char* service;
    const char* peer;
  } kNeeds[] = {{"referral", "directory"}, {"careplan", "directory"},
                {"careplan", "referral"},  {"careplan", "handover"},
                {"handover", "directory"}, {"handover", "careplan"},
                {"record", "directory"},   {"record", "referral"},
                {"record", "careplan"},    {"record", "handover"}};
  for (const auto& need : kNeeds) {
    if (Hosts(config, need.service) && !Hosts(config, need.peer) &&
        PeerAddress(config, need.peer).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", need.peer, "_address: must be set when ", need.service,
          " is hosted and ", need.peer, " is not hosted in this process"));
    }
  }
  if (config.deadline_scan_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--deadline_scan_interval: must be positive");
  }
  if (config.care_gaps.bounce_teams < 2 || config.care_gaps.bounce_teams > 20) {
    return absl::InvalidArgumentError(
        "--gap_bounce_teams: must be from 2 to 20 (teams that declined or "
        "redirected the person)");
  }
  const struct {
    const char* flag;
    absl::Duration value;
  } kGapDurations[] = {
      {"--gap_bounce_window", config.care_gaps.bounce_window},
      {"--gap_onward_route_grace", config.care_gaps.onward_route_grace},
      {"--gap_agreement_grace", config.care_gaps.agreement_grace}};
  for (const auto& duration : kGapDurations) {
    if (duration.value <= absl::ZeroDuration() ||
        duration.value > absl::Hours(24 * 3660)) {
      return absl::InvalidArgumentError(
          absl::StrCat(duration.flag,
                       ": must be positive and at most 10 "
                       "years, e.g. 336h for 14 days"));
    }
  }
  if (config.care_gaps.break_glass_review_grace < absl::ZeroDuration() ||
      config.care_gaps.break_glass_review_grace > absl::Hours(24 * 3660)) {
    return absl::InvalidArgumentError(
        "--gap_break_glass_review_grace: must be from 0 (at once) to 10 "
        "years, e.g. 72h for 3 days");
  }
  if (config.max_token_lifetime < absl::Minutes(5) ||
      config.max_token_lifetime > absl::Hours(24 * 90)) {
    return absl::InvalidArgumentError(
        "--max_token_lifetime: must be from 5m to 2160h (90 days), e.g. 12h");
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert_file and --tls_key_file: give both or neither");
  }
  if (!config.tls_ca_file.empty() && config.tls_cert_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_ca_file: needs --tls_cert_file and --tls_key_file (this "
        "process's certificate, which it also presents to its peers)");
  }
  if (config.shutdown_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--shutdown_grace: must not be negative");
  }
  if (!config.token_jwks_file.empty() && Hosts(config, "directory")) {
    return absl::InvalidArgumentError(
        "--token_jwks_file: the directory issues tokens and needs the signing "
        "keys (--token_keys_dir); give --token_jwks_file only to processes "
        "that do not host it");
  }
  if (config.token_key_overlap < config.max_token_lifetime) {
    return absl::InvalidArgumentError(
        "--token_key_overlap: must be at least --max_token_lifetime, or "
        "tokens signed before a rotation would end early");
  }
  if (config.token_keys_reload_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        "--token_keys_reload_interval: must be at least 1s");
  }
  if (config.oidc_issuer.empty() != config.oidc_audience.empty() ||
      config.oidc_issuer.empty() != config.oidc_jwks_file.empty()) {
    return absl::InvalidArgumentError(
        "--oidc_issuer, --oidc_audience and --oidc_jwks_file: give all three "
        "(sign-in with the identity provider) or none");
  }
  if (config.oidc_issuer == "carebridge") {
    return absl::InvalidArgumentError(
        "--oidc_issuer: `carebridge` is the issuer of carebridge's own "
        "tokens; give the identity provider's (e.g. "
        "https://login.example.nhs.uk)");
  }
  if (!config.oidc_authorization_endpoint.empty()) {
    if (config.oidc_issuer.empty()) {
      return absl::InvalidArgumentError(
          "--oidc_authorization_endpoint: needs --oidc_issuer (sign-in with "
          "the identity provider)");
    }
    const absl::string_view endpoint = config.oidc_authorization_endpoint;
    const bool local = absl::StartsWith(endpoint, "http://127.0.0.1:") ||
                       absl::StartsWith(endpoint, "http://localhost:") ||
                       absl::StartsWith(endpoint, "http://[::1]:");
    if (!absl::StartsWith(endpoint, "https://") && !local) {
      return absl::InvalidArgumentError(
          "--oidc_authorization_endpoint: must be an https:// URL (plain "
          "http only on this machine, for tests)");
    }
    for (char c : endpoint) {
      if (c <= ' ' || c == '"' || c == '<' || c == '>' || c == '\\' ||
          c == '#' || static_cast<unsigned char>(c) > 0x7e) {
        return absl::InvalidArgumentError(
            "--oidc_authorization_endpoint: not a plain URL (no spaces, "
            "quotes or fragment)");
      }
    }
  }
  if (config.http_max_streams < 1 || config.http_max_streams > 1000) {
    return absl::InvalidArgumentError(
        "--http_max_streams: must be from 1 to 1000");
  }
  if (!config.metrics_port_file.empty() && config.metrics_listen.empty()) {
    return absl::InvalidArgumentError(
        "--metrics_port_file: needs --metrics_listen (the metrics listener)");
  }
  if (!config.http_port_file.empty() && config.http_listen.empty()) {
    return absl::InvalidArgumentError(
        "--http_port_file: needs --http_listen (the HTTP listener)");
  }
  if (config.oidc_member_claim.empty()) {
    return absl::InvalidArgumentError(
        "--oidc_member_claim: must name the claim that names the member "
        "(e.g. email)");
  }
  if (config.token_keys_dir.empty()) {
    config.token_keys_dir = absl::StrCat(config.data_dir, "/token-keys");
  }
  return config;
}

std::vector<std::string> Warnings(const ServerConfig& config) {
  std::vector<std::string> warnings;
  if (!config.token_jwks_file.empty() && config.tls_ca_file.empty()) {
    warnings.push_back(
        "--token_jwks_file without --tls_ca_file: this process cannot sign "
        "its own service identity, so its calls to other services carry "
        "none and are refused; give it a service certificate "
        "(deploy/tls/gen-certs.sh) and --tls_ca_file");
  }
  if (Hosts(config, "referral") && !Hosts(config, "careplan") &&
      config.careplan_address.empty()) {
    warnings.push_back(
        "--careplan_address is not set: the referral service cannot read "
        "each person's sharing choices, so every referral's risk summary is "
        "withheld from its receiving team (never guessed); set it to the "
        "care plan service's address");
  }
  return warnings;
}

bool Hosts(const ServerConfig& config, const std::string& service) {
  return std::find(config.services.begin(), config.services.end(), service) !=
         config.services.end();
}

const std::string& PeerAddress(const ServerConfig& config,
                               absl::string_view service) {
  static const std::string* const kNone = new std::string();
  if (service == "directory") return config.directory_address;
  if (service == "referral") return config.referral_address;
  if (service == "careplan") return config.careplan_address;
  if (service == "handover") return config.handover_address;
  if (service == "record") return config.record_address;
  return *kNone;
}

}  // namespace carebridge::server
