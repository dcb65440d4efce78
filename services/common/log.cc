#include "services/common/log.h"

#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace carebridge {
namespace {

std::atomic<LogFormat> log_format{LogFormat::kText};

std::string Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                          absl::UTCTimeZone());
}

// One write(2) per line: atomic for lines under PIPE_BUF on pipes.
void Write(const std::string& out) {
  ssize_t ignored = write(STDERR_FILENO, out.data(), out.size());
  (void)ignored;
}

}  // namespace

void SetLogFormat(LogFormat format) { log_format.store(format); }

LogFormat CurrentLogFormat() { return log_format.load(); }

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

void LogLine(absl::string_view line) {
  if (CurrentLogFormat() == LogFormat::kJson) {
    constexpr absl::string_view kWarning = "warning: ";
    const bool warning = absl::StartsWith(line, kWarning);
    if (warning) line.remove_prefix(kWarning.size());
    Write(absl::StrCat("{\"time\":", JsonQuote(Now()), ",\"severity\":\"",
                       warning ? "WARNING" : "INFO",
                       "\",\"message\":", JsonQuote(line), "}\n"));
    return;
  }
  Write(absl::StrCat(Now(), " ", line, "\n"));
}

void LogCall(const CallLogEntry& entry) {
  const double latency_ms = absl::ToDoubleMilliseconds(entry.latency);
  if (CurrentLogFormat() == LogFormat::kJson) {
    Write(absl::StrCat(
        "{\"time\":", JsonQuote(Now()), ",\"severity\":\"",
        entry.code == "OK" ? "INFO" : "NOTICE",
        "\",\"message\":\"call\",\"method\":", JsonQuote(entry.method),
        ",\"principal\":", JsonQuote(entry.principal),
        ",\"code\":", JsonQuote(entry.code),
        ",\"latency_ms\":", absl::StrFormat("%.3f", latency_ms),
        ",\"trace_id\":", JsonQuote(entry.trace_id), "}\n"));
    return;
  }
  LogLine(
      absl::StrCat("call method=", entry.method, " principal=", entry.principal,
                   " code=", entry.code, " latency_ms=", latency_ms,
                   entry.trace_id.empty() ? "" : " trace_id=", entry.trace_id));
}

void LogHttp(const HttpLogEntry& entry) {
  const double latency_ms = absl::ToDoubleMilliseconds(entry.latency);
  if (CurrentLogFormat() == LogFormat::kJson) {
    Write(absl::StrCat(
        "{\"time\":", JsonQuote(Now()), ",\"severity\":\"",
        entry.status < 400 ? "INFO" : "NOTICE",
        "\",\"message\":\"http\",\"method\":", JsonQuote(entry.method),
        ",\"path\":", JsonQuote(entry.path), ",\"status\":", entry.status,
        ",\"latency_ms\":", absl::StrFormat("%.3f", latency_ms),
        ",\"trace_id\":", JsonQuote(entry.trace_id), "}\n"));
    return;
  }
  LogLine(absl::StrCat("http method=", entry.method, " path=", entry.path,
                       " status=", entry.status, " latency_ms=", latency_ms,
                       " trace_id=", entry.trace_id));
}

}  // namespace carebridge
