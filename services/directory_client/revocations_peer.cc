#include "services/directory_client/revocations_peer.h"

#include <utility>

#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "services/common/feed_opener.h"

namespace carebridge::directory_client {

RevocationsPeer::RevocationsPeer(ChannelProvider directory,
                                 Authenticator* authenticator,
                                 const TokenSigner* signer, const Clock* clock)
    : authenticator_(authenticator),
      credentials_("services/token-revocations", signer, clock),
      revocations_(clock),
      follower_(
          OpenFeedOf<directory::v1::DirectoryService>(std::move(directory)),
          &credentials_, &revocations_, &members_) {
  authenticator_->SetRevocations(&revocations_);
}

RevocationsPeer::~RevocationsPeer() {
  Stop();
  authenticator_->SetRevocations(nullptr);
}

}  // namespace carebridge::directory_client
