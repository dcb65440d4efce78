#ifndef CAREBRIDGE_CLIENTS_CARECTL_COMPLETION_H_
#define CAREBRIDGE_CLIENTS_CARECTL_COMPLETION_H_

#include <string>
#include <vector>

#include "clients/carectl/command.h"

namespace carebridge::carectl {

// A bash completion script for `commands` (`carectl completion bash`):
// nouns, then verbs (both words of two-word verbs), then after `-` the
// global flags and the command's own. Values are not completed.
std::string BashCompletion(const std::vector<Command>& commands);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_COMPLETION_H_
