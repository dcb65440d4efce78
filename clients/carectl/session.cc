#include "clients/carectl/session.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "clients/carectl/config.h"
#include "clients/carectl/format.h"
#include "clients/carectl/hints.h"
#include "services/common/file_util.h"

namespace carebridge::carectl {
namespace {

absl::StatusOr<std::string> ReadFile(absl::string_view flag,
                                     const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": ", text.status().message()));
  }
  return text;
}

std::string Lookup(const std::map<std::string, std::string>& env,
                   const std::string& key) {
  auto it = env.find(key);
  return it == env.end() ? "" : it->second;
}

// The first non-empty of `values`.
std::string FirstOf(std::initializer_list<std::string> values) {
  for (const std::string& value : values) {
    if (!value.empty()) return value;
  }
  return "";
}

// --json, --name_only and -o/--output=json|name.
absl::Status ResolveOutput(const Flags& flags, GlobalOptions& options) {
  options.json = flags.GetBool("json");
  options.name_only = flags.GetBool("name_only");
  options.utc = flags.GetBool("utc");
  if (flags.Has("output")) {
    std::string output = flags.Get("output");
    if (output == "json") {
      options.json = true;
    } else if (output == "name") {
      options.name_only = true;
    } else {
      return FlagError(
          "output", absl::StrCat("must be json or name, not '", output, "'"));
    }
  }
  if (options.json && options.name_only) {
    return absl::InvalidArgumentError(
        "--json and --name_only: give at most one (-o/--output sets one)");
  }
  return absl::OkStatus();
}

// The context named by --context, else the config file's current one; an
// empty Context when there is neither.
absl::StatusOr<Context> ResolveContext(
    const Flags& flags, const std::map<std::string, std::string>& env,
    GlobalOptions& options) {
  options.config_path = ConfigPath(env);
  absl::StatusOr<Config> config = LoadConfig(options.config_path);
  if (!config.ok()) return config.status();
  options.context = flags.Get("context", config->current_context);
  if (options.context.empty()) return Context();
  const Context* context = config->Find(options.context);
  if (context == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        flags.Has("context") ? "--context" : "current-context",
        ": no context '", options.context, "' in ", options.config_path,
        " (`carectl config get-contexts` lists them)"));
  }
  return *context;
}

}  // namespace

const std::vector<FlagSpec>& GlobalFlagSpecs() {
  static const auto* specs = new std::vector<FlagSpec>{
      {"server", FlagKind::kValue},      {"token", FlagKind::kValue},
      {"token_file", FlagKind::kValue},  {"json", FlagKind::kBool},
      {"name_only", FlagKind::kBool},    {"timeout", FlagKind::kValue},
      {"tls_ca_file", FlagKind::kValue}, {"help", FlagKind::kBool},
      {"output", FlagKind::kValue},      {"context", FlagKind::kValue},
      {"utc", FlagKind::kBool},
  };
  return *specs;
}

absl::StatusOr<GlobalOptions> ResolveGlobalOptions(
    const Flags& flags, const std::map<std::string, std::string>& env) {
  GlobalOptions options;
  absl::Status output = ResolveOutput(flags, options);
  if (!output.ok()) return output;
  absl::StatusOr<Context> context = ResolveContext(flags, env, options);
  if (!context.ok()) return context.status();
  options.server =
      FirstOf({flags.Get("server"), Lookup(env, "CAREBRIDGE_SERVER"),
               context->server, options.server});
  absl::StatusOr<absl::Duration> timeout =
      flags.GetDuration("timeout", options.timeout);
  if (!timeout.ok()) return timeout.status();
  options.timeout = *timeout;
  options.tls_ca_file =
      FirstOf({flags.Get("tls_ca_file"), Lookup(env, "CAREBRIDGE_TLS_CA_FILE"),
               context->tls_ca_file});

  if (flags.Has("token") && flags.Has("token_file")) {
    return absl::InvalidArgumentError(
        "--token and --token_file: give one, not both");
  }
  std::string token_file;
  if (flags.Has("token")) {
    options.token = flags.Get("token");
    options.token_source = "--token";
  } else if (flags.Has("token_file")) {
    token_file = flags.Get("token_file");
    options.token_source = absl::StrCat("--token_file=", token_file);
  } else if (!Lookup(env, "CAREBRIDGE_TOKEN").empty()) {
    options.token = Lookup(env, "CAREBRIDGE_TOKEN");
    options.token_source = "CAREBRIDGE_TOKEN";
  } else if (!Lookup(env, "CAREBRIDGE_TOKEN_FILE").empty()) {
    token_file = Lookup(env, "CAREBRIDGE_TOKEN_FILE");
    options.token_source = absl::StrCat("CAREBRIDGE_TOKEN_FILE=", token_file);
  } else if (!context->token_file.empty()) {
    token_file = context->token_file;
    options.token_source =
        absl::StrCat("context ", options.context, " (", token_file, ")");
  }
  if (!token_file.empty()) {
    absl::StatusOr<std::string> text = ReadFile("token_file", token_file);
    if (!text.ok()) return text.status();
    options.token = *text;
  }
  options.token = std::string(absl::StripAsciiWhitespace(options.token));
  return options;
}

absl::StatusOr<GlobalOptions> ResolveOfflineOptions(
    const Flags& flags, const std::map<std::string, std::string>& env) {
  GlobalOptions options;
  absl::Status output = ResolveOutput(flags, options);
  if (!output.ok()) return output;
  options.config_path = ConfigPath(env);
  options.context = flags.Get("context");
  return options;
}

absl::Status Session::Connect() {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options_.tls_ca_file.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    absl::StatusOr<std::string> ca =
        ReadFile("tls_ca_file", options_.tls_ca_file);
    if (!ca.ok()) return ca.status();
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *ca;
    credentials = grpc::SslCredentials(ssl);
  }
  channel_ = grpc::CreateChannel(options_.server, credentials);
  directory_ = carebridge::directory::v1::DirectoryService::NewStub(channel_);
  referral_ = carebridge::referral::v1::ReferralService::NewStub(channel_);
  careplan_ = carebridge::careplan::v1::CarePlanService::NewStub(channel_);
  handover_ = carebridge::handover::v1::HandoverService::NewStub(channel_);
  health_ = grpc::health::v1::Health::NewStub(channel_);
  feed_admin_ = carebridge::events::v1::FeedAdminService::NewStub(channel_);
  audit_ = carebridge::audit::v1::AuditService::NewStub(channel_);
  record_ = carebridge::record::v1::RecordService::NewStub(channel_);
  return absl::OkStatus();
}

std::unique_ptr<grpc::ClientContext> Session::NewContext() const {
  std::unique_ptr<grpc::ClientContext> context = NewStreamContext();
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  return context;
}

std::unique_ptr<grpc::ClientContext> Session::NewStreamContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!options_.token.empty()) {
    context->AddMetadata("authorization",
                         absl::StrCat("Bearer ", options_.token));
  }
  return context;
}

int Session::RpcError(const grpc::Status& status) {
  err_ << "carectl: "
       << absl::StatusCodeToString(
              static_cast<absl::StatusCode>(status.error_code()))
       << ": " << status.error_message() << "\n";
  std::string hint = HintFor(status, options_);
  if (!hint.empty()) err_ << "carectl: " << hint << "\n";
  return kExitRpcError;
}

int Session::UsageError(const absl::Status& status) {
  err_ << "carectl: usage: " << status.message() << "\n";
  return kExitUsage;
}

int Session::Finish(const grpc::Status& status,
                    const google::protobuf::Message& message,
                    const std::function<void(std::ostream&)>& human) {
  if (!status.ok()) return RpcError(status);
  if (options_.json) {
    out_ << ToJson(message);
  } else if (options_.name_only && PrintNames(out_, message)) {
    // Printed the names only.
  } else if (human != nullptr) {
    human(out_);
  } else {
    PrintResource(out_, message);
  }
  return kExitOk;
}

}  // namespace carebridge::carectl
