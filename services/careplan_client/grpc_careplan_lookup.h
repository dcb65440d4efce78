#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_GRPC_CAREPLAN_LOOKUP_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_GRPC_CAREPLAN_LOOKUP_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "services/careplan_client/careplan_lookup.h"
#include "services/common/channel_provider.h"
#include "services/common/peer_call.h"
#include "services/common/service_credentials.h"

namespace carebridge::careplan_client {

// Asks carebridge.careplan.v1.CarePlanService (GetCarePlan) as the
// calling service's own identity, with a deadline on every call. The care
// plan service's answers map to the CarePlanLookup contract: "no care plan
// yet" is a view without a plan; the person unknown is NOT_FOUND naming
// them; the service not reachable (or not hosted where the channel points)
// is UNAVAILABLE. This class is thread-safe.
class GrpcCarePlanLookup : public CarePlanLookup {
 public:
  // `credentials` outlives this.
  GrpcCarePlanLookup(ChannelProvider channel_provider,
                     ServiceCredentials* credentials,
                     absl::Duration call_deadline = absl::Seconds(5))
      : peer_(std::move(channel_provider), absl::StatusCode::kUnavailable,
              "careplan: no channel to the care plan service yet"),
        credentials_(credentials),
        call_deadline_(call_deadline) {}

  absl::StatusOr<CareTeamView> GetCareTeam(absl::string_view person) override;
  absl::StatusOr<sharing::PersonSharing> GetSharing(
      absl::string_view person) override;

 private:
  // A context with the deadline and this service's credentials.
  void Prepare(grpc::ClientContext& context);
  PeerStub<careplan::v1::CarePlanService> peer_;
  ServiceCredentials* const credentials_;
  const absl::Duration call_deadline_;
};

// The view of `plan` (a current care plan as GetCarePlan returns it).
CareTeamView CareTeamViewOf(const careplan::v1::CarePlan& plan);

}  // namespace carebridge::careplan_client

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_GRPC_CAREPLAN_LOOKUP_H_
