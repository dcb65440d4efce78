#include "clients/carectl/token_out.h"

#include "clients/carectl/private_file.h"

namespace carebridge::carectl {

int FinishIssuedToken(Session& s, const grpc::Status& status,
                      google::protobuf::Message& response, std::string* token,
                      const Invocation& in) {
  std::string out_file = in.flags.Get("out");
  if (status.ok() && !out_file.empty()) {
    // Straight to an owner-only file, never through a shell redirect that
    // would create it readable by others.
    absl::Status written = WritePrivateFile(out_file, *token + "\n");
    if (!written.ok()) return s.UsageError(FlagError("out", written.message()));
    token->clear();
  }
  return s.Finish(status, response, [&](std::ostream& out) {
    if (out_file.empty()) {
      out << *token << "\n";
    } else {
      out << "token written to " << out_file << " (mode 0600)\n";
    }
  });
}

}  // namespace carebridge::carectl
