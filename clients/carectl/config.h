#ifndef CAREBRIDGE_CLIENTS_CARECTL_CONFIG_H_
#define CAREBRIDGE_CLIENTS_CARECTL_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace carebridge::carectl {

// One named way to reach a server: `carectl config set-context NAME`.
struct Context {
  std::string name;
  std::string server;
  std::string token_file;
  std::string tls_ca_file;
};

// carectl's config file, INI-like:
//
//   current-context = prod
//
//   [context prod]
//   server = carebridge.example:50051
//   token_file = /home/me/.config/carebridge/prod.token
//   tls_ca_file = /home/me/.config/carebridge/ca.pem
//
// Blank lines and lines starting with # are ignored.
struct Config {
  std::string current_context;
  std::vector<Context> contexts;

  // The context called `name`, or null.
  const Context* Find(absl::string_view name) const;
  // The context called `name`, added at the end when new.
  Context& FindOrAdd(absl::string_view name);
};

// Errors name the file and line: `PATH:3: unknown key 'sever'`.
absl::StatusOr<Config> ParseConfig(absl::string_view text,
                                   absl::string_view path);
std::string SerializeConfig(const Config& config);

// $CAREBRIDGE_CONFIG, else $HOME/.config/carebridge/carectl.conf; "" when
// neither variable is set.
std::string ConfigPath(const std::map<std::string, std::string>& env);

// A missing file is an empty config.
absl::StatusOr<Config> LoadConfig(const std::string& path);
// Writes the file 0600, creating its directory (0700) when missing.
absl::Status SaveConfig(const std::string& path, const Config& config);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_CONFIG_H_
