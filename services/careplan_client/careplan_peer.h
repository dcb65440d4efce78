#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_CAREPLAN_PEER_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_CAREPLAN_PEER_H_

#include "services/careplan_client/caching_careplan_lookup.h"
#include "services/careplan_client/grpc_careplan_lookup.h"
#include "services/careplan_client/sharing_change_follower.h"
#include "services/common/channel_provider.h"
#include "services/common/clock.h"
#include "services/common/service_credentials.h"

namespace carebridge::careplan_client {

// The care plan service as another service (referral, handover, record)
// uses it, built in one place: asked over gRPC as the service's own
// identity, with each person's sharing choices remembered while its feed
// is followed (CachingCarePlanLookup, SharingChangeFollower). Until
// StartFollowing, and after StopFollowing, every call asks the care plan
// service. Thread-safe.
class CarePlanPeer {
 public:
  // `credentials` and `clock` outlive this.
  CarePlanPeer(ChannelProvider channel, ServiceCredentials* credentials,
               const Clock* clock);

  CarePlanLookup* lookup() { return &cache_; }
  // For tests and logs.
  const CachingCarePlanLookup& cache() const { return cache_; }
  const SharingChangeFollower& follower() const { return follower_; }

  // With the owning module's background work.
  void StartFollowing() { follower_.Start(); }
  void StopFollowing() { follower_.Stop(); }

 private:
  GrpcCarePlanLookup grpc_;
  CachingCarePlanLookup cache_;
  SharingChangeFollower follower_;
};

}  // namespace carebridge::careplan_client

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_CAREPLAN_PEER_H_
