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

// The length of the well-formed UTF-8 sequence at the start of `text`
// (1 to 4), or 0 when it is not one (a stray continuation byte, an overlong
// form, a surrogate, past U+10FFFF, cut short).
static size_t Utf8SequenceLength(absl::string_view text) {
  const auto byte = [&](size_t i) {
    return static_cast<unsigned char>(text[i]);
  };
  const unsigned char lead = byte(0);
  size_t length;
  unsigned char min = 0x80, max = 0xBF;  // the second byte's range
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) min = 0xA0;
    if (lead == 0xED) max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) min = 0x90;
    if (lead == 0xF4) max = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < min || byte(1) > max) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      // JSON is UTF-8: a byte that is not part of a well-formed sequence
      // (from a percent-decoded path, say) becomes U+FFFD.
      const size_t length = Utf8SequenceLength(text.substr(i));
      if (length == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.data() + i, length);
        i += length;
      }
      continue;
    }
    ++i;
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
