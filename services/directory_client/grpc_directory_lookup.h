#ifndef CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_GRPC_DIRECTORY_LOOKUP_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_GRPC_DIRECTORY_LOOKUP_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "services/common/channel_provider.h"
#include "services/common/clock.h"
#include "services/common/peer_call.h"
#include "services/common/service_credentials.h"
#include "services/common/token.h"
#include "services/directory_client/directory_lookup.h"
#include "services/directory_client/person_tokens.h"

namespace carebridge::directory_client {

// Yields the channel to the directory (see channel_provider.h).
using DirectoryChannelProvider = ::carebridge::ChannelProvider;

// Asks carebridge.directory.v1.DirectoryService over gRPC, authenticating as
// the calling service's identity (`subject`, e.g. `services/referral`) with a
// token it signs itself (refreshed before it expires). Every call has a
// deadline. Also the directory's part in persons' own tokens (PersonTokens:
// the care plan service's, never put behind a cache). This class is
// thread-safe.
class GrpcDirectoryLookup : public DirectoryLookup, public PersonTokens {
 public:
  GrpcDirectoryLookup(std::string subject,
                      DirectoryChannelProvider channel_provider,
                      const TokenSigner* signer, const Clock* clock,
                      absl::Duration call_deadline = absl::Seconds(5));

  absl::StatusOr<TeamInfo> GetTeam(absl::string_view team_name) override;
  absl::Status CheckPersonExists(absl::string_view person_name) override;
  absl::StatusOr<absl::Time> TokensValidAfter(
      absl::string_view person) override;
  absl::StatusOr<directory::v1::PersonTokenRevocation> Revoke(
      const directory::v1::RevokePersonTokensRequest& request) override;

 private:
  void PrepareContext(grpc::ClientContext& context);
  // The person as the directory gives it to a service (whole).
  absl::StatusOr<directory::v1::Person> GetPerson(
      absl::string_view person_name);

  PeerStub<directory::v1::DirectoryService> peer_;
  const absl::Duration call_deadline_;
  ServiceCredentials credentials_;
};

}  // namespace carebridge::directory_client

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_CLIENT_GRPC_DIRECTORY_LOOKUP_H_
