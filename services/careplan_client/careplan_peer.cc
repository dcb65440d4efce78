#include "services/careplan_client/careplan_peer.h"

#include <utility>

#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "services/common/feed_opener.h"

namespace carebridge::careplan_client {

CarePlanPeer::CarePlanPeer(ChannelProvider channel,
                           ServiceCredentials* credentials, const Clock* clock)
    : grpc_(channel, credentials),
      cache_(&grpc_, clock),
      follower_(OpenFeedOf<careplan::v1::CarePlanService>(std::move(channel)),
                credentials, &cache_) {}

}  // namespace carebridge::careplan_client
