#ifndef CAREBRIDGE_SERVICES_COMMON_SERVER_HOST_H_
#define CAREBRIDGE_SERVICES_COMMON_SERVER_HOST_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/authenticator.h"
#include "services/common/metrics.h"

namespace carebridge {

// Hosts gRPC services on one listener, with grpc.health.v1.Health (one
// status per hosted service, plus "" for the whole server), server
// reflection and a log line per call. Used by carebridge-server and by the
// in-process test environment alike. Not thread-safe, except Shutdown(),
// which may be called from any thread once.
class ServerHost {
 public:
  explicit ServerHost(const Authenticator* authenticator)
      : authenticator_(authenticator) {}
  ~ServerHost();

  // `health_name` is the fully-qualified service name,
  // e.g. "carebridge.referral.v1.ReferralService". Before Start() only.
  void AddService(grpc::Service* service, std::string health_name);
  // Where each call is counted (method, code, latency); none when null.
  // Before Start() only.
  void SetMetrics(MetricsRecorder* metrics) { metrics_ = metrics; }

  // Binds `listen` ("host:port"; port 0 picks a free one) and starts serving.
  // Health reports SERVING for every added service.
  absl::Status Start(const std::string& listen,
                     std::shared_ptr<grpc::ServerCredentials> credentials,
                     bool log_calls = true);
  // The bound port, after Start().
  int port() const { return port_; }
  // A channel to this server that skips the network (carrying the request
  // id of the call being served, see RequestIdPropagation).
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Health for the service `health_name` (as given to AddService): SERVING
  // or NOT_SERVING, e.g. while the database it keeps its data in cannot be
  // reached; the whole server ("") serves when every service does. After
  // Start(); ignored after Shutdown(). Thread-safe.
  void SetServing(const std::string& health_name, bool serving)
      ABSL_LOCKS_EXCLUDED(health_mu_);

  // Health goes NOT_SERVING, new calls are refused, calls in flight get up
  // to `grace` to finish and are then cancelled.
  void Shutdown(absl::Duration grace);
  // Blocks until the server has shut down.
  void Wait();

 private:
  const Authenticator* authenticator_;
  MetricsRecorder* metrics_ = nullptr;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Mutex health_mu_;
  // The services SetServing took out of service.
  absl::flat_hash_set<std::string> not_serving_ ABSL_GUARDED_BY(health_mu_);
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_SERVER_HOST_H_
