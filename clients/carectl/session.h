#ifndef CAREBRIDGE_CLIENTS_CARECTL_SESSION_H_
#define CAREBRIDGE_CLIENTS_CARECTL_SESSION_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "carebridge/audit/v1/audit.grpc.pb.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/events/v1/feed_admin.grpc.pb.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "carebridge/record/v1/record.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "clients/carectl/args.h"
#include "clients/carectl/format.h"
#include "google/protobuf/message.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace carebridge::carectl {

// Exit codes, documented in `carectl help`.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;
inline constexpr int kExitRpcError = 2;
inline constexpr int kExitNotServing = 3;
// `admin audit verify` found an audit log altered.
inline constexpr int kExitAuditBroken = 4;

// How to reach the server, from global flags and the environment.
struct GlobalOptions {
  std::string server = "127.0.0.1:50051";
  std::string token;  // empty: no authorization metadata is sent
  bool json = false;
  // Print only resource names (one per line), for shell scripts.
  bool name_only = false;
  absl::Duration timeout = absl::Seconds(10);
  std::string tls_ca_file;  // empty: plaintext
  // Times in RFC 3339 UTC instead of the local time zone (see format.h).
  bool utc = false;
  // The config file's context in use ("" for none) and the file.
  std::string context;
  std::string config_path;
  // Where the token came from, e.g. "--token_file=/x" or "context prod".
  std::string token_source;
};

// The flags every command accepts, before or after the command words.
const std::vector<FlagSpec>& GlobalFlagSpecs();

// Flags win over the environment (CAREBRIDGE_SERVER, CAREBRIDGE_TOKEN,
// CAREBRIDGE_TOKEN_FILE, CAREBRIDGE_TLS_CA_FILE), which wins over the
// config file's context (--context, else its current-context; see
// config.h), which wins over the defaults. A token file is read here,
// surrounding whitespace trimmed. Errors are usage errors.
absl::StatusOr<GlobalOptions> ResolveGlobalOptions(
    const Flags& flags, const std::map<std::string, std::string>& env);

// For offline commands: the output flags and the config file's path, and
// --context as given; no file is read.
absl::StatusOr<GlobalOptions> ResolveOfflineOptions(
    const Flags& flags, const std::map<std::string, std::string>& env);

// One carectl run against one server: the stubs, per-call contexts with the
// token and deadline, and the output conventions. Not thread-safe.
class Session {
 public:
  Session(GlobalOptions options, std::ostream& out, std::ostream& err)
      : options_(std::move(options)), out_(out), err_(err) {
    ShowTimesInUtc(options_.utc);
  }

  // Creates the channel; fails (a usage error) if the CA file is unreadable.
  absl::Status Connect();

  // A context carrying `authorization: Bearer <token>` and the deadline.
  std::unique_ptr<grpc::ClientContext> NewContext() const;
  // The same without a deadline, for a stream that lasts until cancelled.
  std::unique_ptr<grpc::ClientContext> NewStreamContext() const;

  carebridge::directory::v1::DirectoryService::Stub& directory() {
    return *directory_;
  }
  carebridge::referral::v1::ReferralService::Stub& referral() {
    return *referral_;
  }
  carebridge::careplan::v1::CarePlanService::Stub& careplan() {
    return *careplan_;
  }
  carebridge::handover::v1::HandoverService::Stub& handover() {
    return *handover_;
  }
  grpc::health::v1::Health::Stub& health() { return *health_; }
  carebridge::events::v1::FeedAdminService::Stub& feed_admin() {
    return *feed_admin_;
  }
  carebridge::record::v1::RecordService::Stub& record() { return *record_; }
  carebridge::audit::v1::AuditService::Stub& audit() { return *audit_; }

  const GlobalOptions& options() const { return options_; }
  bool json() const { return options_.json; }
  bool name_only() const { return options_.name_only; }
  bool utc() const { return options_.utc; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

  // Prints `carectl: <CODE>: <message>` and returns kExitRpcError; when the
  // error is one a flag fixes, a second line says which (see hints.h).
  int RpcError(const grpc::Status& status);
  // Prints `carectl: usage: <message>` and returns kExitUsage.
  int UsageError(const absl::Status& status);

  // Finishes a call: on error reports it; else prints `message` as JSON
  // with --json, otherwise with `human` (default: a key: value block).
  int Finish(const grpc::Status& status,
             const google::protobuf::Message& message,
             const std::function<void(std::ostream&)>& human = nullptr);

 private:
  GlobalOptions options_;
  std::ostream& out_;
  std::ostream& err_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<carebridge::directory::v1::DirectoryService::Stub> directory_;
  std::unique_ptr<carebridge::referral::v1::ReferralService::Stub> referral_;
  std::unique_ptr<carebridge::careplan::v1::CarePlanService::Stub> careplan_;
  std::unique_ptr<carebridge::handover::v1::HandoverService::Stub> handover_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
  std::unique_ptr<carebridge::events::v1::FeedAdminService::Stub> feed_admin_;
  std::unique_ptr<carebridge::record::v1::RecordService::Stub> record_;
  std::unique_ptr<carebridge::audit::v1::AuditService::Stub> audit_;
};

// Makes one unary call of `stub` with a fresh context and finishes it (see
// Session::Finish), printing the response with `print` when given.
template <typename Stub, typename Request, typename Response>
int CallAndFinish(Session& session, Stub& stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*,
                                               const Request&, Response*),
                  const Request& request,
                  void (*print)(std::ostream&, const Response&) = nullptr) {
  Response response;
  grpc::Status status =
      (stub.*method)(session.NewContext().get(), request, &response);
  if (print == nullptr) return session.Finish(status, response);
  return session.Finish(status, response,
                        [&](std::ostream& out) { print(out, response); });
}

// Reads every page of a List call into `merged` when `all` is set, else the
// one page asked for. `call` makes one RPC with a fresh context.
template <typename Request, typename Response, typename Call>
grpc::Status FetchPages(Session& session, Request request, bool all, Call call,
                        Response* merged) {
  while (true) {
    Response page;
    grpc::Status status = call(session.NewContext().get(), request, &page);
    if (!status.ok()) return status;
    std::string next = page.next_page_token();
    merged->MergeFrom(page);
    merged->set_next_page_token(next);
    if (!all || next.empty() || next == request.page_token()) {
      return grpc::Status::OK;
    }
    request.set_page_token(next);
  }
}

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_SESSION_H_
