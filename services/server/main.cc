// carebridge-server: hosts some or all carebridge services on one listener.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "services/common/log.h"
#include "services/common/version.h"
#include "services/server/bootstrap.h"
#include "services/server/carebridge_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to listen on; port 0 picks a free port");
ABSL_FLAG(std::string, data_dir, "data",
          "directory for the SQLite files, token key and bootstrap token");
ABSL_FLAG(std::string, database, "",
          "where the services keep their data: empty for SQLite files in "
          "--data_dir, or postgresql://USER:PASSWORD@HOST:PORT/DBNAME (each "
          "service in a schema named after it)");
ABSL_FLAG(std::string, services, "",
          "comma-separated services to host "
          "(directory,referral,careplan,handover,record); default all");
ABSL_FLAG(std::string, directory_address, "",
          "host:port of the directory when it is not hosted here (needed by "
          "referral, careplan and handover)");
ABSL_FLAG(std::string, referral_address, "",
          "host:port of the referral service when it is not hosted here "
          "(careplan follows its event feed)");
ABSL_FLAG(std::string, careplan_address, "",
          "host:port of the care plan service when it is not hosted here "
          "(needed by handover)");
ABSL_FLAG(std::string, handover_address, "",
          "host:port of the handover service when it is not hosted here "
          "(careplan follows its event feed)");
ABSL_FLAG(std::string, record_address, "",
          "host:port of the record service when it is not hosted here (the "
          "directory asks it which teams have a care relationship with a "
          "person; without it, GetPerson gives clinical staff the minimum; "
          "the care plan service asks it which referrals and handovers await "
          "a team's answer; without it, that team reads no crisis plan "
          "before it answers)");
ABSL_FLAG(absl::Duration, deadline_scan_interval, absl::Seconds(30),
          "how often referral and handover look for answers past their "
          "deadline and escalate them");
ABSL_FLAG(bool, audit_log, true,
          "every service records each call (who, what, outcome) in a keyed, "
          "hash-chained audit log in its database, the key in "
          "DATA_DIR/audit.key; a read costs its share of a durable commit. "
          "--audit_log=false only for measuring what auditing costs");
ABSL_FLAG(absl::Duration, max_token_lifetime, absl::Hours(12),
          "the longest staff token the directory issues (carectl token issue "
          "--ttl); from 5m to 2160h (90 days). Tokens default to 8h or this, "
          "whichever is shorter");
ABSL_FLAG(int, gap_bounce_teams, 3,
          "care gaps: a person declined or redirected by this many different "
          "teams within --gap_bounce_window, with no acceptance since, has "
          "bounced");
ABSL_FLAG(absl::Duration, gap_bounce_window, absl::Hours(24 * 90),
          "care gaps: the window for --gap_bounce_teams (default 90 days)");
ABSL_FLAG(absl::Duration, gap_onward_route_grace, absl::Hours(24 * 14),
          "care gaps: a decline's onward route not taken (no new referral) "
          "this long after it (default 14 days)");
ABSL_FLAG(absl::Duration, gap_agreement_grace, absl::Hours(24 * 28),
          "care gaps: a care plan not agreed by the person for this long "
          "(default 28 days)");
ABSL_FLAG(absl::Duration, gap_break_glass_review_grace, absl::ZeroDuration(),
          "care gaps: a break-glass access to a crisis plan not reviewed by "
          "the lead team this long after it was opened (default 0: at once)");
ABSL_FLAG(absl::Duration, testing_consumer_apply_delay, absl::ZeroDuration(),
          "fault-injection tests only: pause before each event the care "
          "plan service applies");
ABSL_FLAG(std::string, port_file, "", "write the bound port here once serving");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "how long calls in flight get to finish on SIGTERM/SIGINT");
ABSL_FLAG(absl::Duration, database_check_interval, absl::Seconds(2),
          "how often each service's database is checked; health is "
          "NOT_SERVING for a service while its database cannot be reached");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM certificate chain for TLS");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key for TLS");
ABSL_FLAG(std::string, tls_ca_file, "",
          "mutual TLS between processes: the deployment's CA (PEM). The "
          "listener verifies any client certificate against it (a peer "
          "process's certificate is its service identity; staff present "
          "none), and calls to peers use TLS verified against it with "
          "--tls_cert_file as this process's client certificate");
ABSL_FLAG(std::string, token_keys_dir, "",
          "the Ed25519 keys tokens are signed with, one PEM file each "
          "(default DATA_DIR/token-keys, made on first start); the "
          "directory's process needs them. DIR/jwks.json holds their public "
          "halves");
ABSL_FLAG(std::string, token_jwks_file, "",
          "instead of --token_keys_dir: the public keys only (a copy of the "
          "directory's token-keys/jwks.json), for a process that verifies "
          "tokens but must not be able to mint one");
ABSL_FLAG(absl::Duration, token_key_overlap, absl::Hours(24 * 90),
          "how long a rotated-out key still verifies after its successor "
          "starts signing: at least the longest token (default 90 days, a "
          "person's token)");
ABSL_FLAG(absl::Duration, token_keys_reload_interval, absl::Seconds(30),
          "how often the keys or the key set file are read again");
ABSL_FLAG(std::string, oidc_issuer, "",
          "sign-in with the organisation's identity provider (OpenID "
          "Connect): the issuer (`iss`) its access tokens must carry; with "
          "--oidc_audience and --oidc_jwks_file");
ABSL_FLAG(std::string, oidc_audience, "",
          "the audience (`aud`) identity provider tokens must be for, e.g. "
          "carebridge's client id with the provider");
ABSL_FLAG(std::string, oidc_jwks_file, "",
          "the identity provider's signing keys (its JSON Web Key Set, RSA "
          "or EC P-256), read again every --token_keys_reload_interval: "
          "replace the file when the provider rotates its keys");
ABSL_FLAG(std::string, oidc_member_claim, "email",
          "the identity provider token's claim that names the carebridge "
          "member: its value is the member's email (or `members/{id}`)");
ABSL_FLAG(std::string, oidc_authorization_endpoint, "",
          "the identity provider's authorization endpoint (https://...), for "
          "the web console's \"Sign in with your organisation\" button; "
          "needs --oidc_issuer");
ABSL_FLAG(std::string, oidc_client_id, "",
          "the client id the web console is registered under at the identity "
          "provider (default: --oidc_audience)");
ABSL_FLAG(std::string, http_listen, "",
          "HTTP listener (host:port; off when empty): the web console under "
          "/console/, the gRPC API in JSON under /v1/ and FHIR R4 under "
          "/fhir/, with the same tokens and rules; TLS with "
          "--tls_cert_file/--tls_key_file");
ABSL_FLAG(int, http_max_streams, 16,
          "live team inbox streams (web consoles open on an inbox) served at "
          "once on the HTTP listener; more are refused (429) until one "
          "closes");
ABSL_FLAG(std::string, http_port_file, "",
          "write the HTTP listener's bound port here once serving");
ABSL_FLAG(std::string, metrics_listen, "",
          "Prometheus metrics listener (host:port; off when empty): GET "
          "/metrics over plain HTTP, for the cluster's scraper only (it "
          "carries no personal data but keep it off public networks)");
ABSL_FLAG(std::string, metrics_port_file, "",
          "write the metrics listener's bound port here once serving");
ABSL_FLAG(std::string, log_format, "text",
          "text (a time, then the line) or json (one object per line: "
          "time, severity, message; calls with method, principal, code, "
          "latency_ms and trace_id)");
ABSL_FLAG(bool, rotate_token_key, false,
          "add a new signing key to --token_keys_dir (starting to sign after "
          "--token_key_activate_in), publish the key set, print its kid and "
          "exit; running processes pick it up within "
          "--token_keys_reload_interval");
ABSL_FLAG(absl::Duration, token_key_activate_in, absl::ZeroDuration(),
          "with --rotate_token_key: how long before the new key signs (time "
          "to copy jwks.json to processes given --token_jwks_file)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "carebridge-server [--listen=HOST:PORT] [--data_dir=DIR] "
      "[--services=a,b] ...");
  // --version: the project's version, not Abseil's default (the program
  // name and whether NDEBUG was defined).
  absl::FlagsUsageConfig usage_config;
  usage_config.version_string = [] {
    return absl::StrCat("carebridge-server ", carebridge::kCarebridgeVersion,
                        "\n");
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::ParseCommandLine(argc, argv);
  // Debian builds Abseil without NDEBUG, which turns on deadlock-cycle
  // bookkeeping in every absl::Mutex (gRPC's included): a debugging aid with
  // a measurable cost on every call. Tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the shutdown signals in every thread (gRPC's included); main
  // waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::string log_format = absl::GetFlag(FLAGS_log_format);
  if (log_format == "json") {
    carebridge::SetLogFormat(carebridge::LogFormat::kJson);
  } else if (log_format != "text") {
    carebridge::LogLine(absl::StrCat("carebridge-server: --log_format: \"",
                                     log_format,
                                     "\" is not a format; use text or json"));
    return 2;
  }

  carebridge::server::ServerConfig config;
  config.listen = absl::GetFlag(FLAGS_listen);
  config.data_dir = absl::GetFlag(FLAGS_data_dir);
  config.database = absl::GetFlag(FLAGS_database);
  for (absl::string_view service :
       absl::StrSplit(absl::GetFlag(FLAGS_services), ',', absl::SkipEmpty())) {
    config.services.emplace_back(service);
  }
  config.directory_address = absl::GetFlag(FLAGS_directory_address);
  config.referral_address = absl::GetFlag(FLAGS_referral_address);
  config.careplan_address = absl::GetFlag(FLAGS_careplan_address);
  config.handover_address = absl::GetFlag(FLAGS_handover_address);
  config.record_address = absl::GetFlag(FLAGS_record_address);
  config.deadline_scan_interval = absl::GetFlag(FLAGS_deadline_scan_interval);
  config.audit_log = absl::GetFlag(FLAGS_audit_log);
  config.care_gaps.bounce_teams = absl::GetFlag(FLAGS_gap_bounce_teams);
  config.care_gaps.bounce_window = absl::GetFlag(FLAGS_gap_bounce_window);
  config.care_gaps.onward_route_grace =
      absl::GetFlag(FLAGS_gap_onward_route_grace);
  config.care_gaps.agreement_grace = absl::GetFlag(FLAGS_gap_agreement_grace);
  config.care_gaps.break_glass_review_grace =
      absl::GetFlag(FLAGS_gap_break_glass_review_grace);
  config.testing_consumer_apply_delay =
      absl::GetFlag(FLAGS_testing_consumer_apply_delay);
  config.max_token_lifetime = absl::GetFlag(FLAGS_max_token_lifetime);
  config.port_file = absl::GetFlag(FLAGS_port_file);
  config.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  config.database_check_interval = absl::GetFlag(FLAGS_database_check_interval);
  config.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  config.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  config.tls_ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  config.token_keys_dir = absl::GetFlag(FLAGS_token_keys_dir);
  config.token_jwks_file = absl::GetFlag(FLAGS_token_jwks_file);
  config.token_key_overlap = absl::GetFlag(FLAGS_token_key_overlap);
  config.token_keys_reload_interval =
      absl::GetFlag(FLAGS_token_keys_reload_interval);
  config.oidc_issuer = absl::GetFlag(FLAGS_oidc_issuer);
  config.oidc_audience = absl::GetFlag(FLAGS_oidc_audience);
  config.oidc_jwks_file = absl::GetFlag(FLAGS_oidc_jwks_file);
  config.oidc_member_claim = absl::GetFlag(FLAGS_oidc_member_claim);
  config.oidc_authorization_endpoint =
      absl::GetFlag(FLAGS_oidc_authorization_endpoint);
  config.oidc_client_id = absl::GetFlag(FLAGS_oidc_client_id);
  config.http_listen = absl::GetFlag(FLAGS_http_listen);
  config.http_port_file = absl::GetFlag(FLAGS_http_port_file);
  config.http_max_streams = absl::GetFlag(FLAGS_http_max_streams);
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  config.metrics_port_file = absl::GetFlag(FLAGS_metrics_port_file);

  if (absl::GetFlag(FLAGS_rotate_token_key)) {
    absl::StatusOr<std::string> kid = carebridge::server::RotateTokenKey(
        config, absl::Now(), absl::GetFlag(FLAGS_token_key_activate_in));
    if (!kid.ok()) {
      carebridge::LogLine(
          absl::StrCat("carebridge-server: ", kid.status().ToString()));
      return 1;
    }
    std::printf("%s\n", kid->c_str());
    return 0;
  }

  auto server = carebridge::server::CarebridgeServer::Start(config);
  if (!server.ok()) {
    carebridge::LogLine(
        absl::StrCat("carebridge-server: ", server.status().ToString()));
    return 1;
  }
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  carebridge::LogLine(absl::StrCat("received signal ", signal_number));
  (*server)->Shutdown();
  (*server)->Wait();
  carebridge::LogLine("stopped");
  return 0;
}
