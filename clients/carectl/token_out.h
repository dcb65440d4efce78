#ifndef CAREBRIDGE_CLIENTS_CARECTL_TOKEN_OUT_H_
#define CAREBRIDGE_CLIENTS_CARECTL_TOKEN_OUT_H_

#include <string>

#include "clients/carectl/command.h"
#include "google/protobuf/message.h"

namespace carebridge::carectl {

// The --out flag of commands that issue a token.
inline FlagSpec TokenOutFlag() { return {"out", FlagKind::kValue}; }

// Finishes a call that issued `*token` (a field of `response`): with
// --out=FILE the token goes to FILE, readable by its owner only (0600),
// and is left out of what is printed; else only the token is printed, so
// that TOKEN=$(carectl … token …) works. --json prints `response` either way.
int FinishIssuedToken(Session& s, const grpc::Status& status,
                      google::protobuf::Message& response, std::string* token,
                      const Invocation& in);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_TOKEN_OUT_H_
