#include "services/http/http_endpoint.h"

#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "services/common/call_log.h"
#include "services/common/log.h"
#include "services/http/console_assets.h"

namespace carebridge::http {
namespace {

// The request this thread serves (httplib serves each on one thread, from
// the pre-routing handler to the logger): its id and when it arrived.
struct ServedRequest {
  std::string id;
  absl::Time start = absl::InfinitePast();
};
thread_local ServedRequest served_request;

CallHeaders HeadersOf(const httplib::Request& request) {
  CallHeaders headers;
  headers.authorization = request.get_header_value("Authorization");
  headers.request_id = served_request.id;
  return headers;
}

FhirWrite WriteOf(const httplib::Request& request) {
  FhirWrite write;
  write.content_type = request.get_header_value("Content-Type");
  write.request_id = request.get_header_value("X-Request-ID");
  write.if_none_exist = request.get_header_value("If-None-Exist");
  write.if_match = request.get_header_value("If-Match");
  return write;
}

void Write(const HttpReply& reply, httplib::Response& response) {
  response.status = reply.status;
  for (const auto& [name, value] : reply.headers) {
    response.set_header(name, value);
  }
  // RFC 6750: a request without a good token is told how to send one.
  if (reply.status == 401) response.set_header("WWW-Authenticate", "Bearer");
  response.set_content(reply.body, reply.content_type.c_str());
}

// "host:port" or "[v6]:port".
bool ParseListen(absl::string_view listen, std::string* host, int* port) {
  size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view h = listen.substr(0, colon);
  if (absl::ConsumePrefix(&h, "[") && !absl::ConsumeSuffix(&h, "]")) {
    return false;
  }
  *host = std::string(h);
  return !host->empty() && absl::SimpleAtoi(listen.substr(colon + 1), port) &&
         *port >= 0 && *port <= 65535;
}

// An SSE comment: ignored by clients, written when a stream is idle.
constexpr absl::string_view kKeepAlive = ": keep-alive\n\n";

HttpReply SessionReply(const Principal& caller) {
  nlohmann::ordered_json session = {
      {"subject", caller.subject},
      {"team", caller.team},
      {"role", std::string(RoleName(caller.role))},
      {"expireTime",
       caller.expire_time == absl::InfiniteFuture() ||
               caller.expire_time == absl::InfinitePast()
           ? ""
           : absl::FormatTime(absl::RFC3339_sec, caller.expire_time,
                              absl::UTCTimeZone())}};
  HttpReply reply;
  reply.body =
      session.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return reply;
}

}  // namespace

HttpEndpoint::HttpEndpoint(const RpcBridge* bridge)
    : bridge_(bridge), gateway_(bridge), fhir_(bridge) {}

std::string HttpEndpoint::BaseOf(const httplib::Request& request) const {
  // Links are built from the Host the client used; one that is not a host
  // name, address and port is not echoed.
  std::string host = request.get_header_value("Host");
  const bool plain =
      !host.empty() && host.size() <= 255 &&
      std::all_of(host.begin(), host.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
               c == '-' || c == ':' || c == '[' || c == ']';
      });
  if (!plain) host = absl::StrCat("localhost:", port_);
  return absl::StrCat(tls_ ? "https://" : "http://", host, "/fhir");
}

HttpEndpoint::~HttpEndpoint() { Stop(); }

absl::Status HttpEndpoint::Start(const HttpEndpointOptions& options) {
  std::string host;
  int port = 0;
  if (!ParseListen(options.listen, &host, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http_listen: `", options.listen,
                     "` is not host:port (e.g. 127.0.0.1:8080, [::1]:0)"));
  }
  tls_ = !options.tls_cert_file.empty();
  if (options.tls_cert_file.empty()) {
    server_ = std::make_unique<httplib::Server>();
  } else {
    auto tls = std::make_unique<httplib::SSLServer>(
        options.tls_cert_file.c_str(), options.tls_key_file.c_str());
    if (!tls->is_valid()) {
      return absl::FailedPreconditionError(
          "--http_listen: cannot serve TLS with --tls_cert_file and "
          "--tls_key_file");
    }
    server_ = std::move(tls);
  }
  const int threads = options.threads;
  server_->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  // Small replies go out at once, not after the peer's delayed ACK.
  server_->set_tcp_nodelay(true);
  server_->set_payload_max_length(options.max_body_bytes);
  // Each request's id (the caller's X-Request-ID when usable, else a new
  // one), given back in the reply and carried on every call it makes.
  server_->set_pre_routing_handler(
      [](const httplib::Request& request, httplib::Response& response) {
        std::string id = request.get_header_value("X-Request-ID");
        served_request = {UsableRequestId(id) ? std::move(id) : NewRequestId(),
                          absl::Now()};
        response.set_header("X-Request-ID", served_request.id);
        return httplib::Server::HandlerResponse::Unhandled;
      });
  max_body_bytes_ = options.max_body_bytes;
  keep_alive_ = options.keep_alive;
  nlohmann::ordered_json sign_in = nlohmann::ordered_json::object();
  if (!options.sign_in.authorization_endpoint.empty()) {
    sign_in["identityProvider"] = {
        {"issuer", options.sign_in.issuer},
        {"authorizationEndpoint", options.sign_in.authorization_endpoint},
        {"clientId", options.sign_in.client_id}};
  }
  sign_in_json_ = sign_in.dump();
  streams_ = std::make_unique<InboxStreams>(bridge_, options.max_streams);
  AddRoutes();
  port_ = port == 0 ? server_->bind_to_any_port(host)
                    : (server_->bind_to_port(host, port) ? port : -1);
  if (port_ <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("--http_listen: cannot listen on ", options.listen));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return absl::OkStatus();
}

void HttpEndpoint::Stop() {
  // Open streams end first: the server waits for every request it serves.
  if (streams_ != nullptr) streams_->CloseAll();
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void HttpEndpoint::AddRoutes() {
  // The web console, and the address people type.
  server_->Get("/", [](const httplib::Request&, httplib::Response& response) {
    response.set_redirect("/console/");
  });
  server_->Get("/console",
               [](const httplib::Request&, httplib::Response& response) {
                 response.set_redirect("/console/");
               });
  server_->Get(R"(/console/(.*))", [](const httplib::Request& request,
                                      httplib::Response& response) {
    Write(ConsoleFile(request.matches[1].str(),
                      request.get_header_value("If-None-Match")),
          response);
  });
  // How the console may sign people in (no token needed: it is what the
  // sign-in page shows).
  server_->Get("/v1/sign-in",
               [this](const httplib::Request&, httplib::Response& response) {
                 HttpReply reply;
                 reply.body = sign_in_json_;
                 Write(reply, response);
               });
  // Who the token names, for the console's header.
  server_->Get("/v1/session", [this](const httplib::Request& request,
                                     httplib::Response& response) {
    absl::StatusOr<Principal> caller =
        bridge_->Authenticate(HeadersOf(request));
    Write(caller.ok() ? SessionReply(*caller) : ErrorReply(caller.status()),
          response);
  });
  // The team inbox, live (server-sent events).
  server_->Get("/v1/inbox:stream", [this](const httplib::Request& request,
                                          httplib::Response& response) {
    absl::StatusOr<std::shared_ptr<InboxStream>> stream =
        streams_->Open(HeadersOf(request), request.get_param_value("after"));
    if (!stream.ok()) {
      Write(ErrorReply(stream.status()), response);
      return;
    }
    response.set_header("Cache-Control", "no-store");
    response.set_chunked_content_provider(
        "text/event-stream",
        [stream = *stream, wait = keep_alive_](size_t,
                                               httplib::DataSink& sink) {
          std::string chunk;
          switch (stream->Read(wait, &chunk)) {
            case InboxStream::Next::kChunk:
              return sink.write(chunk.data(), chunk.size());
            case InboxStream::Next::kIdle:
              // A comment: keeps proxies from closing the connection, and
              // fails once the client has gone.
              return sink.write(kKeepAlive.data(), kKeepAlive.size());
            case InboxStream::Next::kEnd:
              sink.done();
              return true;
          }
          return false;
        },
        [stream = *stream](bool) { stream->Close(); });
  });
  // The JSON API: /v1/{package.Service}/{Method} (a name with dots), and
  // the AIP paths of resources.
  auto json = [this](const httplib::Request& request,
                     httplib::Response& response) {
    if (!request.body.empty() &&
        !absl::StartsWith(request.get_header_value("Content-Type"),
                          "application/json")) {
      HttpReply reply = ErrorReply(
          absl::InvalidArgumentError("Content-Type must be application/json"));
      reply.status = 415;
      Write(reply, response);
      return;
    }
    const std::string path = request.matches[1].str();
    const size_t slash = path.find('/');
    if (request.method == "POST" && slash != std::string::npos &&
        path.substr(0, slash).find('.') != std::string::npos) {
      Write(gateway_.Post(path, request.body, HeadersOf(request)), response);
    } else if (request.method == "GET" && slash != std::string::npos) {
      Write(gateway_.Get(path, HeadersOf(request)), response);
    } else {
      Write(gateway_.Rest(request.method, path, request.params, request.body,
                          HeadersOf(request)),
            response);
    }
  };
  server_->Get(R"(/v1/(.+))", json);
  server_->Post(R"(/v1/(.+))", json);
  server_->Patch(R"(/v1/(.+))", json);
  // FHIR R4.
  server_->Get("/fhir/metadata", [this](const httplib::Request& request,
                                        httplib::Response& response) {
    Write(fhir_.Metadata(BaseOf(request)), response);
  });
  server_->Get(
      R"(/fhir/CarePlan/([A-Za-z0-9\-\.]{1,64})/_history(?:/([0-9]{1,18}))?)",
      [this](const httplib::Request& request, httplib::Response& response) {
        Write(
            fhir_.History(request.matches[1].str(), request.matches[2].str(),
                          request.params, BaseOf(request), HeadersOf(request)),
            response);
      });
  server_->Get(
      R"(/fhir/(Patient|Organization|HealthcareService|ServiceRequest|Task|Communication)/([A-Za-z0-9\-\.]{1,64})/_history/([A-Za-z0-9\-\.]{1,64}))",
      [this](const httplib::Request& request, httplib::Response& response) {
        Write(fhir_.VRead(request.matches[1].str(), request.matches[2].str(),
                          request.matches[3].str(), HeadersOf(request)),
              response);
      });
  server_->Get(
      R"(/fhir/Patient/([A-Za-z0-9\-\.]{1,64})/\$everything)",
      [this](const httplib::Request& request, httplib::Response& response) {
        Write(fhir_.Everything(request.matches[1].str(), BaseOf(request),
                               HeadersOf(request)),
              response);
      });
  server_->Get(
      R"(/fhir/([A-Za-z]+)/([A-Za-z0-9\-\.]{1,64}))",
      [this](const httplib::Request& request, httplib::Response& response) {
        Write(fhir_.Read(request.matches[1].str(), request.matches[2].str(),
                         HeadersOf(request)),
              response);
      });
  server_->Get(R"(/fhir/([A-Za-z]+))", [this](const httplib::Request& request,
                                              httplib::Response& response) {
    Write(fhir_.Search(request.matches[1].str(), request.params,
                       BaseOf(request), HeadersOf(request)),
          response);
  });
  server_->Post(R"(/fhir/([A-Za-z]+))", [this](const httplib::Request& request,
                                               httplib::Response& response) {
    Write(fhir_.Create(request.matches[1].str(), request.body, WriteOf(request),
                       BaseOf(request), HeadersOf(request)),
          response);
  });
  auto update = [this](const httplib::Request& request,
                       httplib::Response& response) {
    Write(fhir_.UpdateTask(request.matches[1].str(), request.body,
                           request.method == "PATCH", WriteOf(request),
                           HeadersOf(request)),
          response);
  };
  server_->Put(R"(/fhir/Task/([A-Za-z0-9\-\.]{1,64}))", update);
  server_->Patch(R"(/fhir/Task/([A-Za-z0-9\-\.]{1,64}))", update);
  auto unsupported = [](const httplib::Request& request,
                        httplib::Response& response) {
    Write(FhirFront::Unsupported(request.method, request.path), response);
  };
  server_->Post(R"(/fhir/.*)", unsupported);
  server_->Put(R"(/fhir/.*)", unsupported);
  server_->Patch(R"(/fhir/.*)", unsupported);
  server_->Delete(R"(/fhir/.*)", unsupported);
  // What no route answered (404, 413 for a body too large, ...): an error
  // body saying so, an OperationOutcome under /fhir.
  server_->set_error_handler([max = max_body_bytes_](
                                 const httplib::Request& request,
                                 httplib::Response& response) {
    if (!response.body.empty()) return;
    absl::Status status;
    if (response.status == 413) {
      status = absl::InvalidArgumentError(absl::StrCat(
          "the body is larger than the ", max, " bytes this server accepts"));
    } else if (response.status == 404) {
      status = absl::NotFoundError(
          absl::StrCat("no route for ", request.method, " ", request.path));
    } else if (response.status >= 500) {
      status = absl::InternalError(
          absl::StrCat("the request failed (HTTP ", response.status, ")"));
    } else {
      status = absl::InvalidArgumentError(absl::StrCat(
          "the request could not be read (HTTP ", response.status, ")"));
    }
    HttpReply reply =
        absl::StartsWith(request.path, "/fhir/") || request.path == "/fhir"
            ? FhirError(status)
            : ErrorReply(status);
    reply.status = response.status;
    Write(reply, response);
  });
  server_->set_logger([](const httplib::Request& request,
                         const httplib::Response& response) {
    // A request refused before routing (a malformed request line, a
    // URI too long) never set served_request: no id and no latency,
    // rather than the previous request's.
    const bool routed = served_request.start != absl::InfinitePast();
    const std::string id = response.get_header_value("X-Request-ID");
    LogHttp({request.method, request.path, response.status,
             routed ? absl::Now() - served_request.start : absl::ZeroDuration(),
             id});
    served_request = {"", absl::InfinitePast()};
  });
}

}  // namespace carebridge::http
