// `carectl health`: grpc.health.v1.Health.Check for the server and each
// carebridge service.

#include "clients/carectl/command.h"
#include "google/protobuf/struct.pb.h"

namespace carebridge::carectl {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// Every service carebridge-server may host; "" is the server as a whole.
const char* const kServices[] = {"", "carebridge.directory.v1.DirectoryService",
                                 "carebridge.referral.v1.ReferralService",
                                 "carebridge.careplan.v1.CarePlanService"};

int Health(Session& s, const Invocation& in) {
  std::vector<std::string> services;
  if (in.flags.Has("service")) {
    services.push_back(in.flags.Get("service"));
  } else {
    services.assign(std::begin(kServices), std::end(kServices));
  }
  google::protobuf::Struct statuses;
  std::vector<std::pair<std::string, std::string>> rows;
  bool first_serving = false;
  for (size_t i = 0; i < services.size(); ++i) {
    HealthCheckRequest request;
    request.set_service(services[i]);
    HealthCheckResponse response;
    grpc::Status status =
        s.health().Check(s.NewContext().get(), request, &response);
    std::string word;
    if (status.ok()) {
      word = HealthCheckResponse::ServingStatus_Name(response.status());
    } else if (status.error_code() == grpc::StatusCode::NOT_FOUND && i > 0) {
      word = "SERVICE_UNKNOWN";  // not hosted by this server
    } else {
      return s.RpcError(status);
    }
    if (i == 0) first_serving = (word == "SERVING");
    (*statuses.mutable_fields())[services[i]].set_string_value(word);
    rows.emplace_back(services[i].empty() ? "(server)" : services[i], word);
  }
  s.Finish(grpc::Status::OK, statuses, [&rows](std::ostream& out) {
    size_t width = 0;
    for (const auto& [name, word] : rows) width = std::max(width, name.size());
    for (const auto& [name, word] : rows) {
      out << name << std::string(width - name.size() + 2, ' ') << word << "\n";
    }
  });
  return first_serving ? kExitOk : kExitNotServing;
}

}  // namespace

std::vector<Command> HealthCommands() {
  return {{"health",
           "",
           "health [--service=NAME]",
           "Check the server (and each carebridge service) is serving. Exits "
           "3 when the first service checked is not serving.",
           {},
           {{"service", FlagKind::kValue}},
           Health}};
}

}  // namespace carebridge::carectl
