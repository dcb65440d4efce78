#include "services/directory/record_care_relationships.h"

#include <grpcpp/client_context.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace carebridge::directory {

RecordCareRelationships::RecordCareRelationships(ChannelProvider record,
                                                 const TokenSigner* signer,
                                                 const Clock* clock,
                                                 absl::Duration call_deadline)
    : record_(std::move(record)),
      call_deadline_(call_deadline),
      credentials_("services/directory", signer, clock) {}

absl::StatusOr<record::v1::RecordService::Stub*>
RecordCareRelationships::Stub() {
  absl::MutexLock lock(&mu_);
  if (stub_ == nullptr) {
    std::shared_ptr<grpc::Channel> channel =
        record_ == nullptr ? nullptr : record_();
    if (channel == nullptr) {
      return absl::UnavailableError("record: no channel to the record service");
    }
    stub_ = record::v1::RecordService::NewStub(channel);
  }
  return stub_.get();
}

absl::StatusOr<bool> RecordCareRelationships::Related(absl::string_view person,
                                                      absl::string_view team) {
  absl::StatusOr<record::v1::RecordService::Stub*> stub = Stub();
  if (!stub.ok()) return stub.status();
  grpc::ClientContext context;
  // A network deadline is real time, not domain time.
  context.set_deadline(absl::ToChronoTime(absl::Now() + call_deadline_));
  credentials_.Apply(context);
  record::v1::GetCareSummaryRequest request;
  request.set_name(absl::StrCat(person, "/careSummary"));
  record::v1::CareSummary summary;
  grpc::Status status = (*stub)->GetCareSummary(&context, request, &summary);
  // The record has not seen the person: nothing has happened in their care.
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return false;
  if (!status.ok()) {
    absl::Status failed = FromGrpcStatus(status);
    return absl::Status(failed.code(),
                        absl::StrCat("record: ", failed.message()));
  }
  for (const auto& member : summary.care_team()) {
    if (member.team() == team) return true;
  }
  for (const record::v1::OpenLoop& loop : summary.open_loops()) {
    if (loop.sending_team() == team || loop.receiving_team() == team) {
      return true;
    }
  }
  return false;
}

}  // namespace carebridge::directory
