// `carectl config …`: named contexts (server, token file, TLS CA file) in
// carectl's config file, so a user switches servers with one word.

#include <unistd.h>

#include <climits>

#include "absl/strings/str_cat.h"
#include "clients/carectl/command.h"
#include "clients/carectl/config.h"
#include "clients/carectl/format.h"

namespace carebridge::carectl {
namespace {

// A relative path made absolute, so the context works from any directory.
std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return absl::StrCat(cwd, "/", path);
}

int SetContext(Session& s, const Invocation& in) {
  const std::string& path = s.options().config_path;
  absl::StatusOr<Config> config = LoadConfig(path);
  if (!config.ok()) return s.UsageError(config.status());
  bool is_new = config->Find(in.args[0]) == nullptr;
  if (is_new && !in.flags.Has("server")) {
    return s.UsageError(FlagError("server", "required for a new context"));
  }
  Context& context = config->FindOrAdd(in.args[0]);
  if (in.flags.Has("server")) context.server = in.flags.Get("server");
  if (in.flags.Has("token_file")) {
    context.token_file = Absolute(in.flags.Get("token_file"));
  }
  if (in.flags.Has("tls_ca_file")) {
    context.tls_ca_file = Absolute(in.flags.Get("tls_ca_file"));
  }
  if (config->current_context.empty()) config->current_context = in.args[0];
  absl::Status saved = SaveConfig(path, *config);
  if (!saved.ok()) return s.UsageError(saved);
  s.out() << "context " << in.args[0] << (is_new ? " added" : " updated")
          << " in " << path;
  if (config->current_context == in.args[0]) s.out() << " (current)";
  s.out() << "\n";
  return kExitOk;
}

int UseContext(Session& s, const Invocation& in) {
  const std::string& path = s.options().config_path;
  absl::StatusOr<Config> config = LoadConfig(path);
  if (!config.ok()) return s.UsageError(config.status());
  if (config->Find(in.args[0]) == nullptr) {
    return s.UsageError(absl::InvalidArgumentError(
        absl::StrCat("no context '", in.args[0], "' in ", path,
                     " (add it with carectl config set-context ", in.args[0],
                     " --server=HOST:PORT)")));
  }
  config->current_context = in.args[0];
  absl::Status saved = SaveConfig(path, *config);
  if (!saved.ok()) return s.UsageError(saved);
  s.out() << "current context: " << in.args[0] << "\n";
  return kExitOk;
}

int GetContexts(Session& s, const Invocation&) {
  absl::StatusOr<Config> config = LoadConfig(s.options().config_path);
  if (!config.ok()) return s.UsageError(config.status());
  std::string current = s.options().context.empty() ? config->current_context
                                                    : s.options().context;
  if (s.name_only()) {
    for (const Context& c : config->contexts) s.out() << c.name << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Context& c : config->contexts) {
    rows.push_back({c.name == current ? "*" : "", c.name, c.server,
                    c.token_file, c.tls_ca_file});
  }
  PrintTextTable(s.out(), {"CURRENT", "NAME", "SERVER", "TOKEN FILE", "TLS CA"},
                 rows);
  return kExitOk;
}

int CurrentContext(Session& s, const Invocation&) {
  absl::StatusOr<Config> config = LoadConfig(s.options().config_path);
  if (!config.ok()) return s.UsageError(config.status());
  if (config->current_context.empty()) {
    return s.UsageError(absl::NotFoundError(
        absl::StrCat("no current context in ", s.options().config_path,
                     " (carectl config use-context NAME)")));
  }
  s.out() << config->current_context << "\n";
  return kExitOk;
}

Command Offline(Command command) {
  command.offline = true;
  return command;
}

}  // namespace

std::vector<Command> ConfigCommands() {
  return {
      Offline({"config",
               "set-context",
               "config set-context NAME [--server=HOST:PORT] "
               "[--token_file=PATH] [--tls_ca_file=PATH]",
               "Add a context (--server required) or change the flags given "
               "of an existing one; the first context becomes the current "
               "one. The config file ($CAREBRIDGE_CONFIG, else "
               "~/.config/carebridge/carectl.conf) is written 0600; paths "
               "are stored absolute.",
               {"NAME"},
               {{"server", FlagKind::kValue},
                {"token_file", FlagKind::kValue},
                {"tls_ca_file", FlagKind::kValue}},
               SetContext}),
      Offline({"config",
               "use-context",
               "config use-context NAME",
               "Make NAME the context used when --context is not given.",
               {"NAME"},
               {},
               UseContext}),
      Offline({"config",
               "get-contexts",
               "config get-contexts",
               "List the contexts; * marks the one in use.",
               {},
               {},
               GetContexts}),
      Offline({"config",
               "current-context",
               "config current-context",
               "Print the current context's name.",
               {},
               {},
               CurrentContext}),
  };
}

}  // namespace carebridge::carectl
