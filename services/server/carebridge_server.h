#ifndef CAREBRIDGE_SERVICES_SERVER_CAREBRIDGE_SERVER_H_
#define CAREBRIDGE_SERVICES_SERVER_CAREBRIDGE_SERVER_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/audit/audit_module.h"
#include "services/common/authenticator.h"
#include "services/common/channel_provider.h"
#include "services/common/clock.h"
#include "services/common/environment.h"
#include "services/common/executor.h"
#include "services/common/feed_admin.h"
#include "services/common/feed_admin_grpc.h"
#include "services/common/ids.h"
#include "services/common/oidc_sign_in.h"
#include "services/common/periodic_task.h"
#include "services/common/server_host.h"
#include "services/common/service_module.h"
#include "services/common/token.h"
#include "services/directory_client/revocations_peer.h"
#include "services/http/http_endpoint.h"
#include "services/metrics/prometheus_metrics.h"
#include "services/server/server_config.h"

namespace carebridge::server {

// One carebridge-server process: the environment (clock, ids, token signer),
// the services it hosts and the listener they share. The binary's main()
// builds exactly one; tests may build several. Shutdown() may be called from
// any thread; the rest is not thread-safe.
class CarebridgeServer {
 public:
  // Opens every hosted service's store (running migrations), starts
  // listening and writes the port file if asked.
  static absl::StatusOr<std::unique_ptr<CarebridgeServer>> Start(
      const ServerConfig& config);
  ~CarebridgeServer();

  int port() const { return host_->port(); }
  // The HTTP listener's port; 0 when there is none.
  int http_port() const { return http_ == nullptr ? 0 : http_->port(); }
  // The metrics listener's port; 0 when there is none.
  int metrics_port() const { return metrics_->port(); }
  // What a scrape of /metrics reads now (also without a listener).
  std::string RenderMetrics() const { return metrics_->Render(); }
  // The pool blocking calls and feed reads run on
  // (carebridge_executor_queued_tasks): tests hold its threads to see work
  // queue.
  BlockingExecutor& executor() { return *executor_; }
  const std::string& bootstrap_token_path() const {
    return bootstrap_token_path_;
  }
  // Health NOT_SERVING, then calls in flight get the configured grace.
  void Shutdown();
  void Wait();

 private:
  explicit CarebridgeServer(ServerConfig config) : config_(std::move(config)) {}
  absl::Status Init();
  // The channel to a peer service (`directory`, `referral`, `careplan`,
  // `handover`, `record`): this process when it hosts the peer, else the
  // peer's --<service>_address; null when neither. Created on first use.
  std::shared_ptr<grpc::Channel> PeerChannel(const std::string& service);
  ChannelProvider PeerProvider(std::string service) {
    return [this, service] { return PeerChannel(service); };
  }
  // Stops what runs in the background (deadline scans, feed consumers) and
  // ends event streams, so calls drain without waiting on open feeds.
  void StopBackgroundWork();
  // Asks each service's database for a trivial read; health NOT_SERVING
  // for a service whose database fails it, SERVING again once it answers.
  absl::Status CheckDatabases();
  // The keys tokens are signed and verified with: the key directory's, or
  // the public key set file's.
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> LoadTokenKeys();
  // Reads the keys again (rotation, retirement) and re-signs the bootstrap
  // token when its key is gone.
  absl::Status ReloadTokenKeys();
  // Sign-in with the identity provider, when configured: its key set.
  absl::StatusOr<std::shared_ptr<const IdpKeySet>> LoadIdpKeys();
  absl::Status StartOidcSignIn();
  // Reads the provider's key set again; a file that does not read keeps the
  // keys known.
  absl::Status ReloadIdpKeys();
  // The HTTP listener, when configured: after the gRPC one is up.
  absl::Status StartHttp();
  // The metrics listener, when configured.
  absl::Status StartMetrics();
  // What the process knows at a scrape: its executor's queue, each hosted
  // feed's head, each consumer, and each module's own figures.
  void CollectMetrics(MetricSink& sink);

  const ServerConfig config_;
  RealClock clock_;
  IdGenerator ids_;
  // Null when this process is given public keys only.
  std::unique_ptr<TokenKeyDirectory> key_dir_;
  std::unique_ptr<TokenSigner> signer_;
  // How peers at an address are reached (plaintext or mutual TLS).
  std::shared_ptr<grpc::ChannelCredentials> peer_credentials_;
  std::unique_ptr<PeriodicTask> token_keys_;
  std::unique_ptr<HmacSha256> audit_key_;
  std::unique_ptr<Authenticator> authenticator_;
  Environment env_;
  std::string bootstrap_token_path_;
  // Calls and commits counted, and the collectors of the rest; outlives
  // host_ and the modules, whose calls count in it.
  std::unique_ptr<metrics::PrometheusMetrics> metrics_;
  // Outlives host_: calls still on the executor finish before the server
  // is gone.
  std::unique_ptr<BlockingExecutor> executor_;
  std::unique_ptr<ServerHost> host_;
  // What every hosted module is given.
  ModuleContext context_;
  // The hosted services, in start-up order, and their short names.
  std::vector<std::unique_ptr<ServiceModule>> modules_;
  std::vector<std::string> names_;
  // AuditService over the hosted services' audit logs.
  std::unique_ptr<audit::AuditModule> audit_;
  // Gives memory a burst needed back to the system (see Init).
  std::unique_ptr<PeriodicTask> memory_trim_;
  // Each service's health follows whether its database answers.
  std::unique_ptr<PeriodicTask> database_check_;
  // The services whose database did not answer at the last check.
  std::vector<bool> database_lost_;
  // Ended tokens, from the directory's feed, for every service here.
  std::unique_ptr<directory_client::RevocationsPeer> revocations_;
  // The HTTP listener (null when not configured) and the calls it makes.
  std::unique_ptr<http::RpcBridge> rpc_bridge_;
  std::unique_ptr<http::HttpEndpoint> http_;
  // Sign-in with the identity provider (null when not configured), and
  // what reads its key set again.
  std::unique_ptr<OidcSignIn> oidc_;
  std::unique_ptr<PeriodicTask> idp_keys_;
  std::string idp_jwks_;
  // The consumers this process hosts, for operators.
  std::unique_ptr<FeedAdmin> feed_admin_;
  std::unique_ptr<FeedAdminGrpcService> feed_admin_service_;

  absl::Mutex channel_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<grpc::Channel>> channels_
      ABSL_GUARDED_BY(channel_mu_);
};

}  // namespace carebridge::server

#endif  // CAREBRIDGE_SERVICES_SERVER_CAREBRIDGE_SERVER_H_
