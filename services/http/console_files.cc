#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/http/console_assets.h"

namespace carebridge::http {
namespace {

const char* ContentTypeOf(absl::string_view path) {
  static const struct {
    const char* suffix;
    const char* type;
  } kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".json", "application/json"},
      {".png", "image/png"},
  };
  for (const auto& type : kTypes) {
    if (absl::EndsWith(path, type.suffix)) return type.type;
  }
  return "application/octet-stream";
}

void AddPageHeaders(HttpReply& reply) {
  reply.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'self'; style-src 'self'; "
      "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
      "base-uri 'none'; frame-ancestors 'none'");
  reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
  reply.headers.emplace_back("Referrer-Policy", "no-referrer");
  reply.headers.emplace_back("X-Frame-Options", "DENY");
  reply.headers.emplace_back("Cache-Control", "no-cache");
}

}  // namespace

HttpReply ConsoleFile(absl::string_view path, absl::string_view if_none_match) {
  if (path.empty()) path = "index.html";
  for (size_t i = 0; i < kConsoleAssetCount; ++i) {
    const ConsoleAsset& asset = kConsoleAssets[i];
    if (path != asset.path) continue;
    HttpReply reply;
    AddPageHeaders(reply);
    reply.headers.emplace_back("ETag", asset.etag);
    reply.content_type = ContentTypeOf(path);
    if (if_none_match == asset.etag) {
      reply.status = 304;
      return reply;
    }
    reply.body.assign(reinterpret_cast<const char*>(asset.data), asset.size);
    return reply;
  }
  HttpReply reply = ErrorReply(absl::NotFoundError(
      absl::StrCat("the console has no file `", path, "`")));
  AddPageHeaders(reply);
  return reply;
}

}  // namespace carebridge::http
