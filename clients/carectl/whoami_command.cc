// `carectl whoami`: who the token in use says the caller is, as the
// directory knows them, and which server and context are in use.

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "clients/carectl/command.h"
#include "clients/carectl/format.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace carebridge::carectl {
namespace {

namespace dir = ::carebridge::directory::v1;

// The token's claims, read without checking the signature: only the server
// can say whether the token is good, which GetMember then does.
absl::StatusOr<google::protobuf::Struct> DecodeClaims(
    const std::string& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  std::string json;
  google::protobuf::Struct claims;
  if (parts.size() != 3 || !absl::WebSafeBase64Unescape(parts[1], &json) ||
      !google::protobuf::util::JsonStringToMessage(json, &claims).ok()) {
    return absl::InvalidArgumentError(
        "the token is not a carebridge token (a JWT: HEADER.CLAIMS.SIGNATURE)");
  }
  return claims;
}

std::string Claim(const google::protobuf::Struct& claims,
                  const std::string& key) {
  auto it = claims.fields().find(key);
  if (it == claims.fields().end()) return "";
  if (it->second.has_number_value()) {
    return absl::StrCat(static_cast<int64_t>(it->second.number_value()));
  }
  return it->second.string_value();
}

int Whoami(Session& s, const Invocation&) {
  const GlobalOptions& options = s.options();
  if (options.token.empty()) {
    return s.UsageError(absl::InvalidArgumentError(
        "no token: give --token_file=PATH or set CAREBRIDGE_TOKEN_FILE (or "
        "use a context: carectl config use-context NAME)"));
  }
  absl::StatusOr<google::protobuf::Struct> claims = DecodeClaims(options.token);
  if (!claims.ok()) return s.UsageError(claims.status());
  dir::GetMemberRequest request;
  request.set_name(Claim(*claims, "sub"));
  dir::Member member;
  grpc::Status status =
      s.directory().GetMember(s.NewContext().get(), request, &member);
  if (!status.ok()) return s.RpcError(status);

  absl::Time expiry = absl::FromUnixSeconds(0);
  int64_t exp = 0;
  if (absl::SimpleAtoi(Claim(*claims, "exp"), &exp)) {
    expiry = absl::FromUnixSeconds(exp);
  }
  google::protobuf::Timestamp expire_time;
  expire_time.set_seconds(absl::ToUnixSeconds(expiry));
  absl::Duration left = expiry - absl::Now();
  std::string expires = FormatTimestamp(expire_time);
  absl::StrAppend(
      &expires,
      left > absl::ZeroDuration()
          ? absl::StrCat(" (in ",
                         ShortDuration(absl::Ceil(left, absl::Minutes(1))), ")")
          : " (expired)");

  google::protobuf::Struct out;
  auto set = [&out](const std::string& key, const std::string& value) {
    (*out.mutable_fields())[key].set_string_value(value);
  };
  set("member", member.name());
  set("display_name", member.display_name());
  set("team", member.team());
  set("role", Claim(*claims, "role"));
  set("token_expires", expires);
  set("token_from", options.token_source);
  set("server", options.server);
  set("context", options.context.empty() ? "(none)" : options.context);
  if (s.json()) {
    s.out() << ToJson(out);
    return kExitOk;
  }
  for (const char* key : {"member", "display_name", "team", "role",
                          "token_expires", "token_from", "server", "context"}) {
    s.out() << key << ": " << out.fields().at(key).string_value() << "\n";
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> WhoamiCommands() {
  return {{"whoami",
           "",
           "whoami",
           "Show who the token in use says you are (member, display name, "
           "team, role, when the token expires) as the server knows you, "
           "and the server and context in use.",
           {},
           {},
           Whoami}};
}

}  // namespace carebridge::carectl
