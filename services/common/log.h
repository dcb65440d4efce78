#ifndef CAREBRIDGE_SERVICES_COMMON_LOG_H_
#define CAREBRIDGE_SERVICES_COMMON_LOG_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace carebridge {

// How lines are written: text (an RFC 3339 UTC time, then the line) or
// JSON (one object per line, for log collectors: `time`, `severity`,
// `message`, and a call's fields).
enum class LogFormat { kText, kJson };

// Process-wide; set once at start, before other threads log.
void SetLogFormat(LogFormat format);
LogFormat CurrentLogFormat();

// Writes one line to stderr. Lines from concurrent threads never
// interleave. A line starting "warning: " is a WARNING in JSON.
void LogLine(absl::string_view line);

// One call served, as its line: text `call method=... principal=...
// code=... latency_ms=... trace_id=...`, or the same fields in JSON.
struct CallLogEntry {
  absl::string_view method;
  // The caller's subject, "-" when unauthenticated.
  absl::string_view principal;
  // The canonical code's name (`OK`, `NOT_FOUND`, ...).
  absl::string_view code;
  absl::Duration latency;
  // The request id carried across services (x-request-id); may be empty.
  absl::string_view trace_id;
};
void LogCall(const CallLogEntry& entry);

// One HTTP request served, as its line (`http method=... path=...
// status=... latency_ms=... trace_id=...`, or the same in JSON).
struct HttpLogEntry {
  absl::string_view method;
  absl::string_view path;
  int status = 0;
  absl::Duration latency;
  absl::string_view trace_id;
};
void LogHttp(const HttpLogEntry& entry);

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_LOG_H_
