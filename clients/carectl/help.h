#ifndef CAREBRIDGE_CLIENTS_CARECTL_HELP_H_
#define CAREBRIDGE_CLIENTS_CARECTL_HELP_H_

#include <ostream>
#include <string>
#include <vector>

#include "clients/carectl/command.h"

namespace carebridge::carectl {

// `carectl help`: the commands, global flags, values, output and exit codes.
void PrintHelp(std::ostream& out, const std::vector<Command>& commands);
// `carectl NOUN help`: the usage of each of the noun's commands.
void PrintNounHelp(std::ostream& out, const std::vector<Command>& commands,
                   const std::string& noun);
// One command's usage line and summary.
void PrintCommandHelp(std::ostream& out, const Command& c);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_HELP_H_
