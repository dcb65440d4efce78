#ifndef CAREBRIDGE_SERVICES_HTTP_HTTP_ENDPOINT_H_
#define CAREBRIDGE_SERVICES_HTTP_HTTP_ENDPOINT_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/http/fhir_front.h"
#include "services/http/inbox_stream.h"
#include "services/http/json_gateway.h"

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace carebridge::http {

// Browser sign-in with the organisation's identity provider (OpenID
// Connect), which the web console offers when set: what GET /v1/sign-in
// tells it.
struct BrowserSignIn {
  std::string issuer;
  std::string authorization_endpoint;
  std::string client_id;
};

struct HttpEndpointOptions {
  // "host:port" ("[::1]:0"; port 0 picks a free one).
  std::string listen;
  // TLS: both or neither.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Bodies larger are refused (413) before they are read.
  size_t max_body_bytes = 4 << 20;
  // Requests served at once, of which at most `max_streams` are open
  // inbox streams (each holds a thread while open).
  int threads = 32;
  int max_streams = 16;
  // How often an idle inbox stream sends a keep-alive.
  absl::Duration keep_alive = absl::Seconds(15);
  // Empty authorization_endpoint: sign-in with a token only.
  BrowserSignIn sign_in;
};

// carebridge-server's HTTP listener (cpp-httplib): the gRPC API in JSON
// (JsonGateway), the team inbox as server-sent events (InboxStreams), FHIR
// R4, and the web console (/console), every request a call of the same
// gRPC services with the caller's bearer token. One log line per request.
class HttpEndpoint {
 public:
  // `bridge` outlives this.
  explicit HttpEndpoint(const RpcBridge* bridge);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // Binds and serves on a thread of its own. INVALID_ARGUMENT for a listen
  // address that does not parse, FAILED_PRECONDITION when it cannot bind or
  // read the TLS files.
  absl::Status Start(const HttpEndpointOptions& options);
  int port() const { return port_; }
  // Stops accepting and waits for the serving thread. Idempotent.
  void Stop();

 private:
  void AddRoutes();
  // The FHIR base URL as the client reached this server.
  std::string BaseOf(const httplib::Request& request) const;

  const RpcBridge* const bridge_;
  JsonGateway gateway_;
  FhirFront fhir_;
  std::unique_ptr<InboxStreams> streams_;
  bool tls_ = false;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  size_t max_body_bytes_ = 0;
  absl::Duration keep_alive_;
  std::string sign_in_json_;
};

}  // namespace carebridge::http

#endif  // CAREBRIDGE_SERVICES_HTTP_HTTP_ENDPOINT_H_
