#include "clients/carectl/hints.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/carectl/name_labels.h"

namespace carebridge::carectl {

std::string HintFor(const grpc::Status& status, const GlobalOptions& options) {
  const std::string& message = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      if (!options.token.empty()) return "";
      return "no token was sent: give --token_file=PATH or set "
             "CAREBRIDGE_TOKEN_FILE (or use a context: carectl config "
             "use-context NAME)";
    case grpc::StatusCode::UNAVAILABLE:
      // The channel's own failures, not a service saying a peer is down.
      if (!absl::StrContains(absl::AsciiStrToLower(message), "connect") &&
          !absl::StrContains(message, "DNS resolution")) {
        return "";
      }
      return absl::StrCat(
          "is the server running, and is --server=HOST:PORT right? (now: ",
          options.server, ")");
    case grpc::StatusCode::INVALID_ARGUMENT:
      if (absl::StartsWith(message, "onward_route: ")) {
        return "a decline needs an onward route: give --signpost=TEXT or "
               "--suggest_team=TEAM";
      }
      return "";
    case grpc::StatusCode::FAILED_PRECONDITION: {
      size_t merged = message.find("was merged into");
      if (merged == std::string::npos) return "";
      std::vector<std::string> kept =
          ResourceNamesInText(absl::string_view(message).substr(merged));
      if (kept.empty() || !absl::StartsWith(kept.front(), "persons/")) {
        return "use the person it was merged into (`carectl person get` of "
               "the merged person names it)";
      }
      return absl::StrCat(
          "use the person it was merged into: carectl person get ",
          kept.front());
    }
    default:
      return "";
  }
}

}  // namespace carebridge::carectl
