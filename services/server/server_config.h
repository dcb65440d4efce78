#ifndef CAREBRIDGE_SERVICES_SERVER_SERVER_CONFIG_H_
#define CAREBRIDGE_SERVICES_SERVER_SERVER_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/care_gap_thresholds.h"

namespace carebridge::server {

// The services this binary knows how to host, in start-up order.
inline constexpr const char* kKnownServices[] = {
    "directory", "referral", "careplan", "handover", "record"};

// How one carebridge-server process is set up: which services it hosts,
// where it listens, where its data lives and where its peers are.
struct ServerConfig {
  std::string listen = "127.0.0.1:50051";
  std::string data_dir = "data";
  // Where the services keep their data: empty for SQLite files in data_dir,
  // else a postgresql:// URL (each service in a schema named after it).
  // The token keys, audit key and bootstrap token stay in data_dir.
  std::string database;
  std::vector<std::string> services;  // empty: every known service
  // Where each peer is when this process does not host it: the directory
  // (asked by referral, care plan and handover), the referral and handover
  // services (whose feeds the care plan follows) and the care plan service
  // (asked by handover), and the record service (asked by the directory
  // about care relationships; without it, GetPerson gives clinical staff
  // the minimum).
  std::string directory_address;
  std::string referral_address;
  std::string careplan_address;
  std::string handover_address;
  std::string record_address;
  // How often the referral and handover services look for answers past
  // their deadline.
  absl::Duration deadline_scan_interval = absl::Seconds(30);
  // Every service keeps a keyed, hash-chained audit log of every call
  // (issue 11). Off only to measure what auditing costs.
  bool audit_log = true;
  // When causes become care gaps in the record service (--gap_*).
  CareGapThresholds care_gaps;
  // Fault-injection tests only: the care plan service pauses this long
  // before applying each event it consumes, so a test can kill it part-way
  // through a backlog. Zero in any real deployment.
  absl::Duration testing_consumer_apply_delay = absl::ZeroDuration();
  // The longest staff token the directory issues (IssueToken's ttl):
  // from 5 minutes to 90 days.
  absl::Duration max_token_lifetime = absl::Hours(12);
  // When set, the bound port is written here once serving.
  std::string port_file;
  absl::Duration shutdown_grace = absl::Seconds(10);
  // How often each service's database is checked: a service whose database
  // cannot be reached reports NOT_SERVING until it can again.
  absl::Duration database_check_interval = absl::Seconds(2);
  // TLS for the listener: both or neither.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Mutual TLS between processes: the deployment's CA. With it, the
  // listener asks every client for a certificate and verifies one presented
  // against this CA (staff clients present none and use their token), and
  // calls to peers go over TLS verified against it, presenting this
  // process's certificate (tls_cert_file) as its client certificate: its
  // service identity. Needs tls_cert_file.
  std::string tls_ca_file;
  // The token signing keys (Ed25519, one PEM file each; see
  // TokenKeyDirectory); default DATA_DIR/token-keys. The directory signs
  // staff tokens with them; a process given them signs its own service
  // identity too.
  std::string token_keys_dir;
  // Instead of the signing keys: the public keys only (a JSON Web Key Set,
  // the directory's DATA_DIR/token-keys/jwks.json), for a process that
  // verifies tokens and cannot mint one. Not with the directory hosted.
  std::string token_jwks_file;
  // How long a rotated-out key still verifies once its successor signs: the
  // longest a token may live (a person's token: 90 days).
  absl::Duration token_key_overlap = absl::Hours(24 * 90);
  // How often the keys (or the key set file) are read again, so a rotation
  // or a retirement reaches a running process.
  absl::Duration token_keys_reload_interval = absl::Seconds(30);
  // Sign-in with the organisation's identity provider (OpenID Connect):
  // its access tokens are accepted when signed by a key of the JSON Web
  // Key Set in oidc_jwks_file (read again with the token keys), issued by
  // oidc_issuer for oidc_audience; the claim oidc_member_claim names the
  // member (their email, or `members/{id}`). All three or none.
  std::string oidc_issuer;
  std::string oidc_audience;
  std::string oidc_jwks_file;
  std::string oidc_member_claim = "email";
  // Browser sign-in for the web console (OpenID Connect, implicit flow
  // for an ID token): the provider's authorization endpoint, and the
  // client id the console is registered under (default: oidc_audience).
  // Needs oidc_issuer.
  std::string oidc_authorization_endpoint;
  std::string oidc_client_id;
  // The HTTP listener (the gRPC API in JSON, FHIR R4): "host:port"; empty
  // (the default): none. TLS with tls_cert_file/tls_key_file when given.
  std::string http_listen;
  // When set, the HTTP listener's bound port is written here once serving.
  std::string http_port_file;
  // Prometheus metrics on GET /metrics over plain HTTP: "host:port"; empty
  // (the default): none.
  std::string metrics_listen;
  // When set, the metrics listener's bound port is written here.
  std::string metrics_port_file;
  // Team inbox streams (the web console's live inbox) open at once on the
  // HTTP listener; each holds one of its threads while open.
  int http_max_streams = 16;
  // How often an idle inbox stream sends a keep-alive (which is also how a
  // stream whose client has gone is noticed and closed).
  absl::Duration http_keep_alive = absl::Seconds(15);
};

// Checks the config and fills in defaults: unknown or repeated service names,
// a missing address for a peer a hosted service needs and this process does
// not host, half a TLS pair are INVALID_ARGUMENT naming the flag.
absl::StatusOr<ServerConfig> Normalize(ServerConfig config);

// What a normalized config leaves weaker than a whole deployment, one
// sentence each, for the log at start: a referral service with no care
// plan service to ask withholds every risk summary from receiving teams.
std::vector<std::string> Warnings(const ServerConfig& config);

bool Hosts(const ServerConfig& config, const std::string& service);

// The address configured for `service` (e.g. --careplan_address); empty when
// none is.
const std::string& PeerAddress(const ServerConfig& config,
                               absl::string_view service);

}  // namespace carebridge::server

#endif  // CAREBRIDGE_SERVICES_SERVER_SERVER_CONFIG_H_
