#ifndef CAREBRIDGE_CLIENTS_CARECTL_COMMAND_H_
#define CAREBRIDGE_CLIENTS_CARECTL_COMMAND_H_

#include <functional>
#include <string>
#include <vector>

#include "clients/carectl/args.h"
#include "clients/carectl/session.h"

namespace carebridge::carectl {

// The words after `<noun> <verb>` and the command's own flags.
struct Invocation {
  std::vector<std::string> args;
  Flags flags;
};

// One `carectl <noun> <verb>`; `health` has no verb, and a verb may be two
// words (`careplan team add`).
struct Command {
  std::string noun;
  std::string verb;
  // The usage line after `carectl `, e.g. "team get NAME".
  std::string synopsis;
  std::string summary;
  // Names of the required words after the verb, e.g. {"NAME"}.
  std::vector<std::string> args;
  std::vector<FlagSpec> flags;
  std::function<int(Session&, const Invocation&)> run;
  // Names of optional words after the required ones, e.g. {"TO"}.
  std::vector<std::string> optional_args = {};
  // Runs without a server: no token or context is read and no channel made
  // (`config`, `completion`, `version`).
  bool offline = false;
};

std::vector<Command> DirectoryCommands();
std::vector<Command> ReferralCommands();
std::vector<Command> CarePlanCommands();
std::vector<Command> HandoverCommands();
std::vector<Command> EventsCommands();
std::vector<Command> FeedsCommands();
std::vector<Command> RecordCommands();
std::vector<Command> AuditCommands();
std::vector<Command> SharingCommands();
std::vector<Command> HealthCommands();
std::vector<Command> ConfigCommands();
std::vector<Command> WhoamiCommands();

// Paging flags shared by every list command.
inline std::vector<FlagSpec> PagingFlags() {
  return {{"page_size", FlagKind::kValue},
          {"page_token", FlagKind::kValue},
          {"all", FlagKind::kBool}};
}

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_COMMAND_H_
