#ifndef CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_PERSON_TOKENS_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_PERSON_TOKENS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "carebridge/directory/v1/person_tokens.pb.h"

namespace carebridge::directory_client {

// The directory's part in a person's own tokens, as the care plan service
// (which issues them for the person's lead team) asks it: the directory
// keeps what ends them and publishes it to every process. Never cached: a
// revocation holds from the moment the directory answers. Implementations
// are thread-safe.
class PersonTokens {
 public:
  virtual ~PersonTokens() = default;

  // When every token of `person` (`persons/{id}`) issued before was last
  // ended (Person.tokens_valid_after); InfinitePast when never. A token
  // issued now carries an issue time after it
  // (TokenRevocations::IssueTimeFor), so that it works. NOT_FOUND naming
  // the person when the directory does not know them.
  virtual absl::StatusOr<absl::Time> TokensValidAfter(
      absl::string_view person) = 0;
  // DirectoryService.RevokePersonTokens, made for whomever the call being
  // served is for (on_behalf_of.h).
  virtual absl::StatusOr<directory::v1::PersonTokenRevocation> Revoke(
      const directory::v1::RevokePersonTokensRequest& request) = 0;
};

}  // namespace carebridge::directory_client

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_PERSON_TOKENS_H_
