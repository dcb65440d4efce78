#include "clients/carectl/config.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/file_util.h"

namespace carebridge::carectl {
namespace {

absl::Status LineError(absl::string_view path, int line,
                       absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ":", line, ": ", problem));
}

std::string Lookup(const std::map<std::string, std::string>& env,
                   const std::string& key) {
  auto it = env.find(key);
  return it == env.end() ? "" : it->second;
}

}  // namespace

const Context* Config::Find(absl::string_view name) const {
  for (const Context& context : contexts) {
    if (context.name == name) return &context;
  }
  return nullptr;
}

Context& Config::FindOrAdd(absl::string_view name) {
  for (Context& context : contexts) {
    if (context.name == name) return context;
  }
  contexts.push_back(Context{std::string(name), "", "", ""});
  return contexts.back();
}

absl::StatusOr<Config> ParseConfig(absl::string_view text,
                                   absl::string_view path) {
  Config config;
  Context* context = nullptr;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return LineError(path, number, "missing ']'");
      absl::string_view header = line.substr(1, line.size() - 2);
      if (!absl::ConsumePrefix(&header, "context ")) {
        return LineError(path, number, "expected [context NAME]");
      }
      header = absl::StripAsciiWhitespace(header);
      if (header.empty())
        return LineError(path, number, "context without a name");
      if (config.Find(header) != nullptr) {
        return LineError(path, number,
                         absl::StrCat("context '", header, "' given twice"));
      }
      context = &config.FindOrAdd(header);
      continue;
    }
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return LineError(path, number, "expected KEY = VALUE");
    }
    absl::string_view key = absl::StripAsciiWhitespace(line.substr(0, eq));
    std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    if (context == nullptr) {
      if (key != "current-context") {
        return LineError(path, number,
                         absl::StrCat("unknown key '", key,
                                      "' (before any [context NAME] only "
                                      "current-context)"));
      }
      config.current_context = value;
    } else if (key == "server") {
      context->server = value;
    } else if (key == "token_file") {
      context->token_file = value;
    } else if (key == "tls_ca_file") {
      context->tls_ca_file = value;
    } else {
      return LineError(path, number,
                       absl::StrCat("unknown key '", key,
                                    "' (server, token_file, tls_ca_file)"));
    }
  }
  return config;
}

std::string SerializeConfig(const Config& config) {
  std::string out = "# carectl contexts: see `carectl config help`.\n";
  if (!config.current_context.empty()) {
    absl::StrAppend(&out, "current-context = ", config.current_context, "\n");
  }
  for (const Context& context : config.contexts) {
    absl::StrAppend(&out, "\n[context ", context.name, "]\n");
    if (!context.server.empty()) {
      absl::StrAppend(&out, "server = ", context.server, "\n");
    }
    if (!context.token_file.empty()) {
      absl::StrAppend(&out, "token_file = ", context.token_file, "\n");
    }
    if (!context.tls_ca_file.empty()) {
      absl::StrAppend(&out, "tls_ca_file = ", context.tls_ca_file, "\n");
    }
  }
  return out;
}

std::string ConfigPath(const std::map<std::string, std::string>& env) {
  std::string path = Lookup(env, "CAREBRIDGE_CONFIG");
  if (!path.empty()) return path;
  std::string home = Lookup(env, "HOME");
  if (home.empty()) return "";
  return absl::StrCat(home, "/.config/carebridge/carectl.conf");
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  struct stat info;
  if (path.empty() || (stat(path.c_str(), &info) != 0 && errno == ENOENT)) {
    return Config();
  }
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return absl::InvalidArgumentError(text.status().message());
  return ParseConfig(*text, path);
}

absl::Status SaveConfig(const std::string& path, const Config& config) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "no config file: set CAREBRIDGE_CONFIG or HOME");
  }
  // Make each missing directory, owner-only, like ~/.ssh.
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string dir = path.substr(0, slash);
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot create ", dir, ": ", std::strerror(errno)));
    }
  }
  absl::Status written =
      WriteFileAtomically(path, SerializeConfig(config), 0600);
  if (!written.ok()) return absl::InvalidArgumentError(written.message());
  return absl::OkStatus();
}

}  // namespace carebridge::carectl
