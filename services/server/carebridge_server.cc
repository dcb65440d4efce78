#include "services/server/carebridge_server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <malloc.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/call_log.h"
#include "services/common/event_log.h"
#include "services/common/file_util.h"
#include "services/common/log.h"
#include "services/common/macros.h"
#include "services/common/sqlite_db.h"
#include "services/common/version.h"
#include "services/server/bootstrap.h"
#include "services/server/modules.h"

namespace carebridge::server {
namespace {

absl::StatusOr<std::string> ReadFile(absl::string_view flag,
                                     const std::string& path) {
  absl::StatusOr<std::string> contents = ReadFileToString(path);
  if (!contents.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(flag, ": ", contents.status().message()));
  }
  return contents;
}

// How long start-up waits for the directory's feed before it serves anyway.
constexpr absl::Duration kRevocationsWait = absl::Seconds(5);

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenerCredentials(
    const ServerConfig& config) {
  if (config.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ASSIGN_OR_RETURN(pair.cert_chain,
                   ReadFile("--tls_cert_file", config.tls_cert_file));
  ASSIGN_OR_RETURN(pair.private_key,
                   ReadFile("--tls_key_file", config.tls_key_file));
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!config.tls_ca_file.empty()) {
    // Staff clients present no certificate; a peer process presents its
    // service certificate, which must chain to the deployment's CA.
    ASSIGN_OR_RETURN(options.pem_root_certs,
                     ReadFile("--tls_ca_file", config.tls_ca_file));
    options.client_certificate_request =
        GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

// How this process reaches a peer at its address: plaintext, or with mutual
// TLS its own certificate as the client's.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> PeerCredentials(
    const ServerConfig& config) {
  if (config.tls_ca_file.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  ASSIGN_OR_RETURN(options.pem_root_certs,
                   ReadFile("--tls_ca_file", config.tls_ca_file));
  ASSIGN_OR_RETURN(options.pem_cert_chain,
                   ReadFile("--tls_cert_file", config.tls_cert_file));
  ASSIGN_OR_RETURN(options.pem_private_key,
                   ReadFile("--tls_key_file", config.tls_key_file));
  return grpc::SslCredentials(options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CarebridgeServer>> CarebridgeServer::Start(
    const ServerConfig& config) {
  ASSIGN_OR_RETURN(ServerConfig normalized, Normalize(config));
  for (const std::string& warning : Warnings(normalized)) {
    LogLine(absl::StrCat("warning: ", warning));
  }
  std::unique_ptr<CarebridgeServer> server(
      new CarebridgeServer(std::move(normalized)));
  RETURN_IF_ERROR(server->Init());
  return server;
}

absl::Status CarebridgeServer::Init() {
  metrics_ = std::make_unique<metrics::PrometheusMetrics>();
  RETURN_IF_ERROR(EnsureDataDir(config_.data_dir));
  if (config_.token_jwks_file.empty()) {
    key_dir_ = std::make_unique<TokenKeyDirectory>(config_.token_keys_dir,
                                                   config_.token_key_overlap);
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const TokenKeySet> keys, LoadTokenKeys());
  signer_ = std::make_unique<TokenSigner>(std::move(keys));
  // The audit logs' key stays with the data directory but outside every
  // database: someone with a database file alone cannot rewrite its log.
  ASSIGN_OR_RETURN(std::string audit_key, LoadOrCreateKey(absl::StrCat(
                                              config_.data_dir, "/audit.key")));
  audit_key_ = std::make_unique<HmacSha256>(audit_key);
  authenticator_ = std::make_unique<Authenticator>(signer_.get(), &clock_);
  authenticator_->RequireServiceCertificates(!config_.tls_ca_file.empty());
  ASSIGN_OR_RETURN(peer_credentials_, PeerCredentials(config_));
  env_.clock = &clock_;
  env_.ids = &ids_;
  env_.signer = signer_.get();
  if (config_.audit_log) env_.audit_key = audit_key_.get();
  env_.authenticator = authenticator_.get();
  executor_ = std::make_unique<BlockingExecutor>();
  env_.executor = executor_.get();
  if (signer_->can_sign()) {
    ASSIGN_OR_RETURN(bootstrap_token_path_,
                     EnsureBootstrapToken(config_.data_dir, *signer_, clock_));
  }

  host_ = std::make_unique<ServerHost>(authenticator_.get());
  host_->SetMetrics(metrics_.get());
  feed_admin_ = std::make_unique<FeedAdmin>(&clock_);
  feed_admin_service_ = std::make_unique<FeedAdminGrpcService>(
      authenticator_.get(), executor_.get(), feed_admin_.get());
  host_->AddService(feed_admin_service_.get(),
                    FeedAdminGrpcService::kServiceName);
  context_.env = env_;
  context_.data_dir = config_.data_dir;
  context_.database_url = config_.database;
  context_.peer = [this](const std::string& service) {
    return PeerProvider(service);
  };
  context_.deadline_scan_interval = config_.deadline_scan_interval;
  context_.care_gaps = config_.care_gaps;
  context_.max_token_lifetime = config_.max_token_lifetime;
  context_.testing_consumer_apply_delay = config_.testing_consumer_apply_delay;
  for (const HostedService& hosted : HostedServices()) {
    if (!Hosts(config_, hosted.name)) continue;
    ASSIGN_OR_RETURN(std::unique_ptr<ServiceModule> module,
                     hosted.open(context_));
    host_->AddService(module->service(), module->service_name());
    modules_.push_back(std::move(module));
    names_.push_back(hosted.name);
  }
  // Each service's commits are timed (carebridge_db_commit_duration_seconds)
  // and its audit appends counted (carebridge_audit_appends_total).
  for (size_t i = 0; i < modules_.size(); ++i) {
    if (Database* db = modules_[i]->audit_log()) {
      db->SetMetrics(metrics_.get(), names_[i]);
    }
  }
  ASSIGN_OR_RETURN(
      audit_,
      audit::AuditModule::Open(
          context_, [this] { return audit::AuditLogsOf(names_, modules_); },
          audit::AuditModule::AuditSchemaFor(names_, HostedServices().size())));
  host_->AddService(audit_->service(), audit_->service_name());
  // Its own log's appends and commits are counted too, as `audit`.
  if (Database* own = audit_->audit_log()) {
    own->SetMetrics(metrics_.get(), "audit");
  }
  audit::RegisterAuditLogs(modules_, *audit_, *authenticator_);
  // Every service here refuses a token the directory has ended, once this
  // process has read the directory's feed.
  revocations_ = std::make_unique<directory_client::RevocationsPeer>(
      PeerProvider("directory"), authenticator_.get(), signer_.get(), &clock_);
  RETURN_IF_ERROR(StartOidcSignIn());
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                   ListenerCredentials(config_));
  RETURN_IF_ERROR(host_->Start(config_.listen, std::move(credentials)));
  // Background work starts once the listener (and so the in-process
  // channel) is up.
  revocations_->Start();
  token_keys_ = std::make_unique<PeriodicTask>(
      "token keys", config_.token_keys_reload_interval,
      [this] { return ReloadTokenKeys(); });
  token_keys_->Start();
  if (oidc_ != nullptr) {
    idp_keys_ = std::make_unique<PeriodicTask>(
        "identity provider keys", config_.token_keys_reload_interval,
        [this] { return ReloadIdpKeys(); });
    idp_keys_->Start();
  }
  for (const std::unique_ptr<ServiceModule>& module : modules_) {
    module->StartBackgroundWork(context_);
    for (EventConsumer* consumer : module->consumers()) {
      feed_admin_->Add(consumer);
    }
  }
  // Memory a burst took (feed batches for many subscribers, large plans)
  // goes back to the system once freed: glibc keeps freed blocks in its
  // arenas (and raises its mmap threshold as large blocks are freed), so
  // without this the resident size stays near its peak. Fixing the
  // threshold instead (mallopt) cost a third of the closed loop's rate.
  memory_trim_ =
      std::make_unique<PeriodicTask>("memory trim", absl::Seconds(5), [] {
        malloc_trim(0);
        return absl::OkStatus();
      });
  memory_trim_->Start();
  database_lost_.assign(modules_.size(), false);
  database_check_ = std::make_unique<PeriodicTask>(
      "database check", config_.database_check_interval,
      [this] { return CheckDatabases(); });
  database_check_->Start();
  // Ready (the port file) once ended tokens are known; a directory that is
  // not up yet keeps staff calls UNAVAILABLE until it is, not the start.
  if (!revocations_->AwaitCaughtUp(kRevocationsWait)) {
    LogLine(absl::StrCat(
        "warning: the directory's feed could not be read within ",
        absl::FormatDuration(kRevocationsWait),
        "; staff calls are UNAVAILABLE until it is (service calls go on)"));
  }
  LogLine(absl::StrCat(
      "carebridge-server serving ", absl::StrJoin(config_.services, ","),
      " on ", config_.listen, " (port ", host_->port(),
      config_.tls_cert_file.empty() ? ", plaintext"
      : config_.tls_ca_file.empty() ? ", TLS"
                                    : ", mutual TLS",
      "); data in ", config_.data_dir,
      !signer_->can_sign() ? "; verifying tokens only (no signing key here)"
      : bootstrap_token_path_.empty()
          ? "; no bootstrap admin token (see above)"
          : absl::StrCat("; bootstrap admin token in ",
                         bootstrap_token_path_)));
  RETURN_IF_ERROR(StartHttp());
  metrics_->AddCollector([this](MetricSink& sink) { CollectMetrics(sink); });
  RETURN_IF_ERROR(StartMetrics());
  if (!config_.port_file.empty()) {
    RETURN_IF_ERROR(WriteFileAtomically(
        config_.port_file, absl::StrCat(host_->port(), "\n"), 0644));
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> CarebridgeServer::PeerChannel(
    const std::string& service) {
  absl::MutexLock lock(&channel_mu_);
  std::shared_ptr<grpc::Channel>& channel = channels_[service];
  if (channel == nullptr) {
    if (Hosts(config_, service)) {
      channel = host_->InProcessChannel();
    } else if (!PeerAddress(config_, service).empty()) {
      channel = grpc::experimental::CreateCustomChannelWithInterceptors(
          PeerAddress(config_, service), peer_credentials_,
          PeerChannelArguments(), RequestIdPropagation());
    }
    // Else none: only an optional peer (the record, for the directory) may
    // be missing; Normalize refused the rest.
  }
  return channel;
}

absl::StatusOr<std::shared_ptr<const TokenKeySet>>
CarebridgeServer::LoadTokenKeys() {
  if (key_dir_ != nullptr) return key_dir_->Load(clock_.Now());
  absl::StatusOr<std::string> jwks =
      ReadFile("--token_jwks_file", config_.token_jwks_file);
  if (!jwks.ok()) return jwks.status();
  absl::StatusOr<std::shared_ptr<const TokenKeySet>> keys = ParseJwks(*jwks);
  if (!keys.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("--token_jwks_file ", config_.token_jwks_file, ": ",
                     keys.status().message()));
  }
  return keys;
}

absl::Status CarebridgeServer::ReloadTokenKeys() {
  ASSIGN_OR_RETURN(std::shared_ptr<const TokenKeySet> keys, LoadTokenKeys());
  if (!keys->SameAs(*signer_->keys())) {
    std::vector<std::string> kids;
    for (const auto& [kid, key] : keys->trusted) kids.push_back(kid);
    std::sort(kids.begin(), kids.end());
    LogLine(
        absl::StrCat("token keys: signing with ",
                     keys->signing == nullptr ? "none" : keys->signing->kid(),
                     "; trusting ", absl::StrJoin(kids, ", ")));
    signer_->SetKeys(std::move(keys));
  }
  // A bootstrap token signed with a key now retired is signed again.
  if (signer_->can_sign()) {
    RETURN_IF_ERROR(
        EnsureBootstrapToken(config_.data_dir, *signer_, clock_).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const IdpKeySet>>
CarebridgeServer::LoadIdpKeys() {
  ASSIGN_OR_RETURN(std::string jwks,
                   ReadFile("--oidc_jwks_file", config_.oidc_jwks_file));
  absl::StatusOr<std::shared_ptr<const IdpKeySet>> keys = ParseIdpJwks(jwks);
  if (!keys.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("--oidc_jwks_file ", config_.oidc_jwks_file, ": ",
                     keys.status().message()));
  }
  idp_jwks_ = std::move(jwks);
  return keys;
}

absl::Status CarebridgeServer::StartOidcSignIn() {
  if (config_.oidc_issuer.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::shared_ptr<const IdpKeySet> keys, LoadIdpKeys());
  OidcSignInSettings settings;
  settings.token.issuer = config_.oidc_issuer;
  settings.token.audience = config_.oidc_audience;
  settings.member_claim = config_.oidc_member_claim;
  settings.max_lifetime = config_.max_token_lifetime;
  LogLine(absl::StrCat("sign-in with the identity provider ",
                       config_.oidc_issuer, " (", keys->keys.size(),
                       " keys; the `", config_.oidc_member_claim,
                       "` claim names the member)"));
  oidc_ = std::make_unique<OidcSignIn>(std::move(settings), std::move(keys),
                                       &revocations_->members());
  authenticator_->SetOidcSignIn(oidc_.get());
  return absl::OkStatus();
}

absl::Status CarebridgeServer::ReloadIdpKeys() {
  std::string before = idp_jwks_;
  ASSIGN_OR_RETURN(std::shared_ptr<const IdpKeySet> keys, LoadIdpKeys());
  if (idp_jwks_ == before) return absl::OkStatus();
  std::vector<std::string> kids;
  for (const auto& [kid, key] : keys->keys) kids.push_back(kid);
  std::sort(kids.begin(), kids.end());
  LogLine(absl::StrCat("identity provider keys: trusting ",
                       absl::StrJoin(kids, ", ")));
  oidc_->SetKeys(std::move(keys));
  return absl::OkStatus();
}

absl::Status CarebridgeServer::StartHttp() {
  if (config_.http_listen.empty()) return absl::OkStatus();
  // A service's package names it: carebridge.referral.v1 is the referral
  // service, reached as any peer is; the audit and feed administration
  // services are in every process.
  rpc_bridge_ = std::make_unique<http::RpcBridge>(
      [this](const google::protobuf::ServiceDescriptor& service)
          -> std::shared_ptr<grpc::Channel> {
        std::vector<std::string> package =
            absl::StrSplit(service.file()->package(), '.');
        if (package.size() != 3 || package[0] != "carebridge") return nullptr;
        if (package[1] == "audit" || package[1] == "events") {
          return host_->InProcessChannel();
        }
        return PeerChannel(package[1]);
      },
      authenticator_.get());
  http_ = std::make_unique<http::HttpEndpoint>(rpc_bridge_.get());
  http::HttpEndpointOptions options;
  options.listen = config_.http_listen;
  options.tls_cert_file = config_.tls_cert_file;
  options.tls_key_file = config_.tls_key_file;
  options.max_streams = config_.http_max_streams;
  options.keep_alive = config_.http_keep_alive;
  options.sign_in.issuer = config_.oidc_issuer;
  options.sign_in.authorization_endpoint = config_.oidc_authorization_endpoint;
  options.sign_in.client_id = config_.oidc_client_id.empty()
                                  ? config_.oidc_audience
                                  : config_.oidc_client_id;
  // Streams hold a thread each; requests keep at least 16 of their own.
  options.threads = config_.http_max_streams + 16;
  RETURN_IF_ERROR(http_->Start(options));
  LogLine(
      absl::StrCat("HTTP (web console, JSON API, FHIR R4) on ",
                   config_.http_listen, " (port ", http_->port(),
                   config_.tls_cert_file.empty() ? ", plaintext)" : ", TLS)"));
  if (!config_.http_port_file.empty()) {
    RETURN_IF_ERROR(WriteFileAtomically(
        config_.http_port_file, absl::StrCat(http_->port(), "\n"), 0644));
  }
  return absl::OkStatus();
}

absl::Status CarebridgeServer::CheckDatabases() {
  for (size_t i = 0; i < modules_.size(); ++i) {
    Database* db = modules_[i]->audit_log();
    if (db == nullptr) continue;
    absl::Status answered = db->Read([](Connection& conn) -> absl::Status {
      ASSIGN_OR_RETURN(Statement statement, conn.Prepare("SELECT 1"));
      return statement.Run();
    });
    const bool lost = !answered.ok();
    if (lost == database_lost_[i]) continue;
    database_lost_[i] = lost;
    host_->SetServing(modules_[i]->service_name(), !lost);
    LogLine(lost ? absl::StrCat("the ", names_[i],
                                " service's database does not answer (",
                                answered.message(),
                                "): health NOT_SERVING until it does")
                 : absl::StrCat("the ", names_[i],
                                " service's database answers again: health "
                                "SERVING"));
  }
  return absl::OkStatus();
}

void CarebridgeServer::StopBackgroundWork() {
  if (database_check_ != nullptr) database_check_->Stop();
  if (memory_trim_ != nullptr) memory_trim_->Stop();
  if (idp_keys_ != nullptr) idp_keys_->Stop();
  if (token_keys_ != nullptr) token_keys_->Stop();
  if (revocations_ != nullptr) revocations_->Stop();
  // Modules with consumers first (they call other services), then the
  // producers' feeds; each pass the reverse of start-up order.
  for (bool consumers : {true, false}) {
    for (auto it = modules_.rbegin(); it != modules_.rend(); ++it) {
      std::vector<EventConsumer*> running = (*it)->consumers();
      if (running.empty() == consumers) continue;
      for (EventConsumer* consumer : running) feed_admin_->Remove(consumer);
      (*it)->StopBackgroundWork();
    }
  }
}

CarebridgeServer::~CarebridgeServer() {
  if (http_ != nullptr) http_->Stop();
  // No scrape reads what is going.
  if (metrics_ != nullptr) metrics_->Stop();
  StopBackgroundWork();
  {
    absl::MutexLock lock(&channel_mu_);
    channels_.clear();
  }
  host_.reset();
}

void CarebridgeServer::Shutdown() {
  LogLine(absl::StrCat("shutting down: health NOT_SERVING, up to ",
                       absl::FormatDuration(config_.shutdown_grace),
                       " for calls in flight"));
  // HTTP requests first: each is a call of the services below.
  if (http_ != nullptr) http_->Stop();
  StopBackgroundWork();
  host_->Shutdown(config_.shutdown_grace);
}

void CarebridgeServer::Wait() { host_->Wait(); }

absl::Status CarebridgeServer::StartMetrics() {
  if (config_.metrics_listen.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(metrics_->Listen(config_.metrics_listen));
  LogLine(absl::StrCat("metrics on http://", config_.metrics_listen,
                       "/metrics (port ", metrics_->port(), ")"));
  if (!config_.metrics_port_file.empty()) {
    RETURN_IF_ERROR(WriteFileAtomically(
        config_.metrics_port_file, absl::StrCat(metrics_->port(), "\n"), 0644));
  }
  return absl::OkStatus();
}

void CarebridgeServer::CollectMetrics(MetricSink& sink) {
  sink.Gauge("carebridge_build_info",
             "Always 1: the version and the services this process hosts.",
             {{"version", kCarebridgeVersion},
              {"services", absl::StrJoin(config_.services, ",")}},
             1);
  sink.Gauge("carebridge_executor_queued_tasks",
             "Calls and other blocking work waiting for one of the "
             "executor's threads (past 10000 calls are refused).",
             {}, static_cast<double>(executor_->queued()));
  for (size_t i = 0; i < modules_.size(); ++i) {
    EventLog* log = modules_[i]->event_log();
    if (log == nullptr) continue;
    absl::StatusOr<int64_t> head = log->Head();
    if (!head.ok()) continue;
    sink.Gauge("carebridge_feed_head_sequence",
               "The last sequence of each feed this process produces.",
               {{"feed", names_[i]}}, static_cast<double>(*head));
  }
  feed_admin_->CollectMetrics(sink);
  for (const std::unique_ptr<ServiceModule>& module : modules_) {
    module->CollectMetrics(sink);
  }
}

}  // namespace carebridge::server
