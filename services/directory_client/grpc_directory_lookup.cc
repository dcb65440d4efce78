#include "services/directory_client/grpc_directory_lookup.h"

#include <grpcpp/client_context.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/peer_call.h"
#include "services/common/status.h"
#include "services/common/time_util.h"

namespace carebridge::directory_client {
namespace {

namespace dir = ::carebridge::directory::v1;

// Converts a failed directory call. NOT_FOUND names the resource asked for;
// a refusal of our own credentials is our misconfiguration, not the caller's
// lack of permission, so it must not reach the caller as PERMISSION_DENIED.
absl::Status FromDirectory(const grpc::Status& status,
                           absl::string_view resource_name) {
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return carebridge::errors::NotFound(resource_name);
  }
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
      status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
    return absl::InternalError(
        absl::StrCat("directory refused this service's credentials: ",
                     status.error_message()));
  }
  absl::Status failed = FromGrpcStatus(status);
  return absl::Status(failed.code(),
                      absl::StrCat("directory: ", failed.message()));
}

absl::Duration DeadlineOr(bool has, const google::protobuf::Duration& value,
                          absl::Duration fallback) {
  if (!has) return fallback;
  absl::Duration d = FromProtoDuration(value);
  return d > absl::ZeroDuration() ? d : fallback;
}

}  // namespace

GrpcDirectoryLookup::GrpcDirectoryLookup(
    std::string subject, DirectoryChannelProvider channel_provider,
    const TokenSigner* signer, const Clock* clock, absl::Duration call_deadline)
    : peer_(std::move(channel_provider), absl::StatusCode::kUnavailable,
            "directory: no channel to the directory service yet"),
      call_deadline_(call_deadline),
      credentials_(std::move(subject), signer, clock) {}

void GrpcDirectoryLookup::PrepareContext(grpc::ClientContext& context) {
  // A network deadline is real time, not domain time: a fake clock that
  // never moves must not make calls wait forever.
  context.set_deadline(absl::ToChronoTime(absl::Now() + call_deadline_));
  credentials_.Apply(context);
}

absl::StatusOr<TeamInfo> GrpcDirectoryLookup::GetTeam(
    absl::string_view team_name) {
  ASSIGN_OR_RETURN(auto peer, peer_.Get());
  dir::GetTeamRequest request;
  request.set_name(std::string(team_name));
  dir::Team team;
  grpc::Status status = CallPeer(
      *peer.peer,
      [this](grpc::ClientContext& context) { PrepareContext(context); },
      [&](grpc::ClientContext* context) {
        return peer.stub->GetTeam(context, request, &team);
      });
  if (!status.ok()) return FromDirectory(status, team_name);

  TeamInfo info;
  info.name = team.name();
  info.display_name = team.display_name();
  info.accepting_referrals = team.accepting_referrals();
  info.sector = team.sector();
  const dir::ResponseDeadlines& deadlines = team.response_deadlines();
  info.routine_deadline = DeadlineOr(
      deadlines.has_routine(), deadlines.routine(), info.routine_deadline);
  info.urgent_deadline = DeadlineOr(deadlines.has_urgent(), deadlines.urgent(),
                                    info.urgent_deadline);
  info.crisis_deadline = DeadlineOr(deadlines.has_crisis(), deadlines.crisis(),
                                    info.crisis_deadline);
  return info;
}

absl::StatusOr<dir::Person> GrpcDirectoryLookup::GetPerson(
    absl::string_view person_name) {
  ASSIGN_OR_RETURN(auto peer, peer_.Get());
  dir::GetPersonRequest request;
  request.set_name(std::string(person_name));
  dir::Person person;
  grpc::Status status = CallPeer(
      *peer.peer,
      [this](grpc::ClientContext& context) { PrepareContext(context); },
      [&](grpc::ClientContext* context) {
        return peer.stub->GetPerson(context, request, &person);
      });
  if (!status.ok()) return FromDirectory(status, person_name);
  return person;
}

absl::Status GrpcDirectoryLookup::CheckPersonExists(
    absl::string_view person_name) {
  ASSIGN_OR_RETURN(dir::Person person, GetPerson(person_name));
  if (!person.merged_into().empty()) {
    return PersonMergedError(person_name, person.merged_into());
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> GrpcDirectoryLookup::TokensValidAfter(
    absl::string_view person) {
  ASSIGN_OR_RETURN(dir::Person found, GetPerson(person));
  if (!found.has_tokens_valid_after()) return absl::InfinitePast();
  return FromProtoTimestamp(found.tokens_valid_after());
}

absl::StatusOr<dir::PersonTokenRevocation> GrpcDirectoryLookup::Revoke(
    const dir::RevokePersonTokensRequest& request) {
  ASSIGN_OR_RETURN(auto peer, peer_.Get());
  dir::PersonTokenRevocation revocation;
  // Made again only when the first attempt never reached the directory.
  grpc::Status status = CallPeer(
      *peer.peer,
      [this](grpc::ClientContext& context) { PrepareContext(context); },
      [&](grpc::ClientContext* context) {
        return peer.stub->RevokePersonTokens(context, request, &revocation);
      });
  if (!status.ok()) return FromDirectory(status, request.name());
  return revocation;
}

}  // namespace carebridge::directory_client
