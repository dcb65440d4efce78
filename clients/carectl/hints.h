#ifndef CAREBRIDGE_CLIENTS_CARECTL_HINTS_H_
#define CAREBRIDGE_CLIENTS_CARECTL_HINTS_H_

#include <grpcpp/support/status.h>

#include <string>

#include "clients/carectl/session.h"

namespace carebridge::carectl {

// What the user can change on carectl's own command line to get past a
// server error, naming carectl's flags where the server names its fields
// ("give --signpost=TEXT or --suggest_team=TEAM") or the person to name
// instead of one merged into another; "" when nothing fits.
std::string HintFor(const grpc::Status& status, const GlobalOptions& options);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_HINTS_H_
