#ifndef CAREBRIDGE_CLIENTS_CARECTL_CLI_H_
#define CAREBRIDGE_CLIENTS_CARECTL_CLI_H_

#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace carebridge::carectl {

// Runs one carectl command line (`args` without the program name) and
// returns the exit code. `env` holds the CAREBRIDGE_* environment variables.
int RunCarectl(const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env, std::ostream& out,
               std::ostream& err);

// `carectl 0.9.0 (carebridge)`: `carectl version` and `carectl --version`.
std::string VersionLine();

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_CLI_H_
