#ifndef CAREBRIDGE_SERVICES_HTTP_HTTP_REPLY_H_
#define CAREBRIDGE_SERVICES_HTTP_HTTP_REPLY_H_

#include <string>

#include "absl/status/status.h"

namespace carebridge::http {

inline constexpr char kJson[] = "application/json";

// What an HTTP handler answers, before it is written.
struct HttpReply {
  int status = 200;
  std::string content_type = kJson;
  std::string body;
  // Response headers besides the content type (e.g. ETag, Location).
  std::vector<std::pair<std::string, std::string>> headers;
};

// The HTTP status for a gRPC/absl status code, as Google's APIs map them
// (AIP-193): INVALID_ARGUMENT and FAILED_PRECONDITION 400,
// UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS
// and ABORTED 409, RESOURCE_EXHAUSTED 429, UNIMPLEMENTED 501, UNAVAILABLE
// 503, DEADLINE_EXCEEDED 504, the rest 500.
int HttpStatusFor(absl::StatusCode code);

// `status` as an AIP-193 error body:
// {"error":{"code":404,"status":"NOT_FOUND","message":"..."}}.
HttpReply ErrorReply(const absl::Status& status);

}  // namespace carebridge::http

#endif  // CAREBRIDGE_SERVICES_HTTP_HTTP_REPLY_H_
