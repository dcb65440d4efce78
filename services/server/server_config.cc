#include "services/server/server_config.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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
  if (config.data_dir.empty()) {
    return absl::InvalidArgumentError("--data_dir: must be set");
  }
  const bool needs_directory =
      Hosts(config, "referral") || Hosts(config, "careplan");
  if (needs_directory && !Hosts(config, "directory") &&
      config.directory_address.empty()) {
    return absl::InvalidArgumentError(
        "--directory_address: must be set when the directory is not hosted "
        "in this process");
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert_file and --tls_key_file: give both or neither");
  }
  if (config.shutdown_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--shutdown_grace: must not be negative");
  }
  if (config.token_key_file.empty()) {
    config.token_key_file = absl::StrCat(config.data_dir, "/token.key");
  }
  return config;
}

bool Hosts(const ServerConfig& config, const std::string& service) {
  return std::find(config.services.begin(), config.services.end(), service) !=
         config.services.end();
}

}  // namespace carebridge::server
