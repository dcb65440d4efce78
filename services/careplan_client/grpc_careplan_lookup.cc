#include "services/careplan_client/grpc_careplan_lookup.h"

#include <grpcpp/client_context.h>

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/peer_call.h"
#include "services/common/status.h"
#include "services/common/time_util.h"

namespace carebridge::careplan_client {
namespace {

namespace cp = ::carebridge::careplan::v1;

// What the care plan service says (careplan errors NoPlanYet) when the
// person is registered and nothing was written yet.
constexpr absl::string_view kNoPlanYet = "has no care plan yet";

absl::Status FromCarePlan(const grpc::Status& status,
                          absl::string_view person) {
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return errors::NotFound(person);
    // A refusal of our own credentials is this deployment's
    // misconfiguration, not the caller's lack of permission.
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::InternalError(
          absl::StrCat("careplan: refused this service's credentials: ",
                       status.error_message()));
    // The peer does not host the care plan service (yet): as good as down.
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::UnavailableError(absl::StrCat(
          "careplan: the care plan service is not reachable where it is "
          "configured: ",
          status.error_message()));
    default: {
      absl::Status failed = FromGrpcStatus(status);
      if (absl::StartsWith(failed.message(), "careplan: ")) return failed;
      return absl::Status(failed.code(),
                          absl::StrCat("careplan: ", failed.message()));
    }
  }
}

}  // namespace

CareTeamView CareTeamViewOf(const cp::CarePlan& plan) {
  CareTeamView view;
  view.plan_exists = true;
  view.current_version = plan.version();
  view.lead_team = plan.lead_team();
  for (const cp::CareTeamMember& member : plan.care_team()) {
    if (!member.has_end_time()) view.involved_teams.push_back(member.team());
  }
  for (const cp::SectionStamp& stamp : plan.section_stamps()) {
    if (stamp.section() == cp::CARE_TEAM) {
      view.care_team_change_time = FromProtoTimestamp(stamp.update_time());
    }
  }
  return view;
}

void GrpcCarePlanLookup::Prepare(grpc::ClientContext& context) {
  // A network deadline is real time, not domain time: a fake clock that
  // never moves must not make calls wait forever.
  context.set_deadline(absl::ToChronoTime(absl::Now() + call_deadline_));
  credentials_->Apply(context);
}

absl::StatusOr<CareTeamView> GrpcCarePlanLookup::GetCareTeam(
    absl::string_view person) {
  ASSIGN_OR_RETURN(auto peer, peer_.Get());
  cp::GetCarePlanRequest request;
  request.set_name(absl::StrCat(person, "/carePlan"));
  cp::CarePlan plan;
  grpc::Status status = CallPeer(
      *peer.peer, [this](grpc::ClientContext& context) { Prepare(context); },
      [&](grpc::ClientContext* context) {
        return peer.stub->GetCarePlan(context, request, &plan);
      });
  if (status.ok()) return CareTeamViewOf(plan);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND &&
      absl::StrContains(status.error_message(), kNoPlanYet)) {
    return CareTeamView();
  }
  return FromCarePlan(status, person);
}

absl::StatusOr<sharing::PersonSharing> GrpcCarePlanLookup::GetSharing(
    absl::string_view person) {
  ASSIGN_OR_RETURN(auto peer, peer_.Get());
  cp::GetSharingChoicesRequest request;
  request.set_name(absl::StrCat(person, "/sharingChoices"));
  cp::SharingChoices choices;
  grpc::Status status = CallPeer(
      *peer.peer, [this](grpc::ClientContext& context) { Prepare(context); },
      [&](grpc::ClientContext* context) {
        return peer.stub->GetSharingChoices(context, request, &choices);
      });
  sharing::PersonSharing found;
  if (status.ok()) {
    found.lead_team = choices.lead_team();
    // Version 0: the person has made no choices; the defaults hold.
    if (choices.version() > 0) found.choices = std::move(choices);
    return found;
  }
  if (status.error_code() == grpc::StatusCode::NOT_FOUND &&
      absl::StrContains(status.error_message(), kNoPlanYet)) {
    return found;
  }
  return FromCarePlan(status, person);
}

}  // namespace carebridge::careplan_client
