#ifndef CAREBRIDGE_SERVICES_HTTP_CONSOLE_ASSETS_H_
#define CAREBRIDGE_SERVICES_HTTP_CONSOLE_ASSETS_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "services/http/http_reply.h"

namespace carebridge::http {

// One file of the web console (clients/console), built into the binary.
struct ConsoleAsset {
  // Relative to clients/console: "index.html", "js/inbox.js".
  const char* path;
  const unsigned char* data;
  size_t size;
  // A strong ETag of the contents, quoted.
  const char* etag;
};

extern const ConsoleAsset kConsoleAssets[];
extern const size_t kConsoleAssetCount;

// The reply for GET /console/{path} ("" is index.html): the file with its
// content type, an ETag, no caching without revalidation (304 when
// `if_none_match` is its ETag), and the headers that keep the page to its
// own origin (a Content-Security-Policy allowing only its own scripts,
// styles and connections, no framing, no referrer, no sniffing); 404 for a
// file the console does not have.
HttpReply ConsoleFile(absl::string_view path, absl::string_view if_none_match);

}  // namespace carebridge::http

#endif  // CAREBRIDGE_SERVICES_HTTP_CONSOLE_ASSETS_H_
