#include "clients/carectl/cli.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "clients/carectl/command.h"
#include "clients/carectl/completion.h"
#include "clients/carectl/help.h"
#include "services/common/version.h"

namespace carebridge::carectl {
namespace {

std::vector<Command> AllCommands();

// `carectl version` and `carectl completion bash`: about carectl itself.
std::vector<Command> SelfCommands() {
  Command version{"version",
                  "",
                  "version",
                  "Print carectl's version (also `carectl --version`).",
                  {},
                  {},
                  [](Session& s, const Invocation&) {
                    s.out() << VersionLine() << "\n";
                    return kExitOk;
                  }};
  version.offline = true;
  Command completion{
      "completion",
      "bash",
      "completion bash",
      "Print a bash completion script for carectl's nouns, verbs and "
      "flags: source <(carectl completion bash), or save it in "
      "~/.local/share/bash-completion/completions/carectl.",
      {},
      {},
      [](Session& s, const Invocation&) {
        s.out() << BashCompletion(AllCommands());
        return kExitOk;
      }};
  completion.offline = true;
  return {version, completion};
}

std::vector<Command> AllCommands() {
  std::vector<Command> all = HealthCommands();
  for (auto* group : {&DirectoryCommands, &WhoamiCommands, &ReferralCommands,
                      &CarePlanCommands, &HandoverCommands, &EventsCommands,
                      &FeedsCommands, &RecordCommands, &AuditCommands,
                      &SharingCommands, &ConfigCommands, &SelfCommands}) {
    for (Command& c : group()) all.push_back(std::move(c));
  }
  return all;
}

// How many words after the noun `c.verb` takes when `words` (noun first)
// name it; 0 when they do not.
size_t VerbWords(const Command& c, const std::vector<std::string>& words) {
  std::vector<std::string> verb = absl::StrSplit(c.verb, ' ');
  if (words.size() < 1 + verb.size()) return 0;
  for (size_t i = 0; i < verb.size(); ++i) {
    if (words[1 + i] != verb[i]) return 0;
  }
  return verb.size();
}

// Why `words` (noun first) name no command: the words as typed, and the
// verbs that start with the first word when it begins two-word verbs
// (`careplan team` → add, end or lead), or the likely typo.
std::string UnknownCommand(const std::vector<const Command*>& matches,
                           const std::vector<std::string>& words) {
  std::string prefix = absl::StrCat(words[1], " ");
  std::vector<std::string> rest;
  std::vector<std::string> verbs;
  for (const Command* c : matches) {
    if (absl::StartsWith(c->verb, prefix)) {
      rest.push_back(c->verb.substr(prefix.size()));
    }
    std::string first_word = c->verb.substr(0, c->verb.find(' '));
    if (std::find(verbs.begin(), verbs.end(), first_word) == verbs.end()) {
      verbs.push_back(first_word);
    }
  }
  std::string typed = absl::StrCat(words[0], " ", words[1]);
  if (rest.empty()) {
    std::string closest = ClosestMatch(words[1], verbs);
    if (closest.empty()) return absl::StrCat("unknown command '", typed, "'");
    return absl::StrCat("unknown command '", typed, "' (did you mean '",
                        words[0], " ", closest, "'?)");
  }
  if (words.size() > 2) absl::StrAppend(&typed, " ", words[2]);
  return absl::StrCat("unknown command '", typed, "' (", words[0], " ",
                      words[1], " ", absl::StrJoin(rest, "|"), ")");
}

int Usage(std::ostream& err, absl::string_view message,
          absl::string_view hint) {
  err << "carectl: usage: " << message << "\n";
  if (!hint.empty()) err << "run `" << hint << "` for usage\n";
  return kExitUsage;
}

// The command `words` name, and how many of the words name it. Returns
// an exit code when there is none to run: help was printed, or a usage
// error; -1 when `*command` is set.
int FindCommand(const std::vector<Command>& commands,
                const std::vector<std::string>& words, bool help,
                std::ostream& out, std::ostream& err, const Command** command,
                size_t* command_words) {
  if (words.empty() || words[0] == "help") {
    if (words.size() > 1) {
      auto known =
          std::find_if(commands.begin(), commands.end(),
                       [&](const Command& c) { return c.noun == words[1]; });
      if (known != commands.end()) {
        PrintNounHelp(out, commands, words[1]);
        return kExitOk;
      }
    }
    PrintHelp(words.empty() && !help ? err : out, commands);
    return words.empty() && !help ? kExitUsage : kExitOk;
  }

  const std::string& noun = words[0];
  std::vector<const Command*> matches;
  std::vector<std::string> nouns;
  for (const Command& c : commands) {
    if (c.noun == noun) matches.push_back(&c);
    if (nouns.empty() || nouns.back() != c.noun) nouns.push_back(c.noun);
  }
  if (matches.empty()) {
    std::string closest = ClosestMatch(noun, nouns);
    return Usage(err,
                 absl::StrCat("unknown command '", noun, "'",
                              closest.empty() ? ""
                                              : absl::StrCat(" (did you mean '",
                                                             closest, "'?)")),
                 "carectl help");
  }
  if (matches.size() == 1 && matches[0]->verb.empty()) {
    *command = matches[0];
    *command_words = 1;
    if (help || (words.size() == 2 && words[1] == "help")) {
      PrintCommandHelp(out, **command);
      return kExitOk;
    }
    return -1;
  }
  if (words.size() < 2 || words[1] == "help") {
    PrintNounHelp(words.size() < 2 && !help ? err : out, commands, noun);
    return words.size() < 2 && !help ? kExitUsage : kExitOk;
  }
  size_t verb_words = 0;
  for (const Command* c : matches) {
    size_t n = VerbWords(*c, words);
    if (n > verb_words) {
      *command = c;
      verb_words = n;
    }
  }
  if (*command == nullptr) {
    // `careplan team --help` or `careplan team help`: the two-word verbs
    // that start with `team`.
    if (help || (words.size() == 3 && words[2] == "help")) {
      bool printed = false;
      for (const Command* c : matches) {
        if (absl::StartsWith(c->verb, absl::StrCat(words[1], " "))) {
          PrintCommandHelp(out, *c);
          printed = true;
        }
      }
      if (printed) return kExitOk;
    }
    return Usage(err, UnknownCommand(matches, words),
                 absl::StrCat("carectl ", noun, " help"));
  }
  *command_words = 1 + verb_words;
  if (help) {
    PrintCommandHelp(out, **command);
    return kExitOk;
  }
  return -1;
}

// `carectl --version` alone, as most tools take it.
bool AsksForVersion(const CommandLine& line) {
  return line.positional.empty() && line.flags.size() == 1 &&
         line.flags[0].name == "version" && !line.flags[0].value.has_value();
}

}  // namespace

std::string VersionLine() {
  return absl::StrCat("carectl ", kCarebridgeVersion, " (carebridge)");
}

int RunCarectl(const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env, std::ostream& out,
               std::ostream& err) {
  const std::vector<Command> commands = AllCommands();
  absl::StatusOr<CommandLine> line = Tokenize(args);
  if (!line.ok()) return Usage(err, line.status().message(), "carectl help");
  if (AsksForVersion(*line)) {
    out << VersionLine() << "\n";
    return kExitOk;
  }
  // The command's own flags are known only once its words are: first find
  // the command with the global flags' values attached, then read the
  // command line again knowing every flag.
  CommandLine first = AttachValues(*line, GlobalFlagSpecs());
  std::vector<RawFlag> ignored;
  absl::StatusOr<Flags> globals =
      Flags::Bind(first.flags, GlobalFlagSpecs(), &ignored);
  if (!globals.ok()) {
    return Usage(err, globals.status().message(), "carectl help");
  }
  const Command* command = nullptr;
  size_t command_words = 0;
  int done = FindCommand(commands, first.positional, globals->GetBool("help"),
                         out, err, &command, &command_words);
  if (done >= 0) return done;
  std::string noun_help = absl::StrCat("carectl ", command->noun, " help");

  std::vector<FlagSpec> specs = GlobalFlagSpecs();
  specs.insert(specs.end(), command->flags.begin(), command->flags.end());
  CommandLine second = AttachValues(*line, specs);
  const std::vector<std::string>& words = second.positional;
  if (words.size() < command_words ||
      !std::equal(words.begin(), words.begin() + command_words,
                  first.positional.begin())) {
    return Usage(err,
                 "a flag before the command words takes its value after "
                 "'=' (--name=VALUE)",
                 noun_help);
  }
  // A flag the command declares is the command's, also where a global flag
  // has its name (`config set-context --server`).
  std::vector<RawFlag> command_flags, global_flags, unknown;
  for (const RawFlag& flag : second.flags) {
    bool own = std::any_of(
        command->flags.begin(), command->flags.end(),
        [&](const FlagSpec& spec) { return spec.name == flag.name; });
    (own ? command_flags : global_flags).push_back(flag);
  }
  globals = Flags::Bind(global_flags, GlobalFlagSpecs(), &unknown);
  if (!globals.ok()) return Usage(err, globals.status().message(), noun_help);
  if (!unknown.empty()) {
    return Usage(err, UnknownFlag(unknown[0].name, specs).message(), noun_help);
  }
  absl::StatusOr<Flags> flags = Flags::Bind(command_flags, command->flags);
  if (!flags.ok()) return Usage(err, flags.status().message(), noun_help);
  std::vector<std::string> rest(words.begin() + command_words, words.end());
  if (rest.size() < command->args.size()) {
    return Usage(err, absl::StrCat("missing ", command->args[rest.size()]),
                 noun_help);
  }
  size_t most = command->args.size() + command->optional_args.size();
  if (rest.size() > most) {
    return Usage(err, absl::StrCat("unexpected argument '", rest[most], "'"),
                 noun_help);
  }

  absl::StatusOr<GlobalOptions> options =
      command->offline ? ResolveOfflineOptions(*globals, env)
                       : ResolveGlobalOptions(*globals, env);
  if (!options.ok()) return Usage(err, options.status().message(), "");
  Session session(*std::move(options), out, err);
  if (!command->offline) {
    absl::Status connected = session.Connect();
    if (!connected.ok()) return Usage(err, connected.message(), "");
  }
  return command->run(session, Invocation{std::move(rest), *std::move(flags)});
}

}  // namespace carebridge::carectl
