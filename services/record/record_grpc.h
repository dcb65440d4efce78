#ifndef CAREBRIDGE_SERVICES_RECORD_RECORD_GRPC_H_
#define CAREBRIDGE_SERVICES_RECORD_RECORD_GRPC_H_

#include "carebridge/record/v1/record.grpc.pb.h"
#include "services/common/authenticator.h"
#include "services/record/record_domain.h"

namespace carebridge::record {

// carebridge.record.v1.RecordService over gRPC's callback API. Every method
// reads the record's own store, so all run inline. This class is
// thread-safe.
class RecordGrpcService final : public v1::RecordService::CallbackService {
 public:
  RecordGrpcService(const Authenticator* authenticator, RecordDomain* domain)
      : authenticator_(authenticator), domain_(domain) {}

  grpc::ServerUnaryReactor* ListTimelineEntries(
      grpc::CallbackServerContext* context,
      const v1::ListTimelineEntriesRequest* request,
      v1::ListTimelineEntriesResponse* response) override;
  grpc::ServerUnaryReactor* GetCareSummary(
      grpc::CallbackServerContext* context,
      const v1::GetCareSummaryRequest* request,
      v1::CareSummary* response) override;
  grpc::ServerUnaryReactor* ListCareGaps(
      grpc::CallbackServerContext* context,
      const v1::ListCareGapsRequest* request,
      v1::ListCareGapsResponse* response) override;

 private:
  const Authenticator* const authenticator_;
  RecordDomain* const domain_;
};

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_RECORD_GRPC_H_
