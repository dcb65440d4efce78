#include "clients/carectl/cli.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "clients/carectl/command.h"

namespace carebridge::carectl {
namespace {

constexpr char kGlobalHelp[] = R"(global flags (before or after the command):
  --server=HOST:PORT   server address (env CAREBRIDGE_SERVER, default
                       127.0.0.1:50051)
  --token=TOKEN        bearer token (env CAREBRIDGE_TOKEN)
  --token_file=PATH    read the bearer token from a file
                       (env CAREBRIDGE_TOKEN_FILE)
  --tls_ca_file=PATH   use TLS, trusting this CA certificate
                       (env CAREBRIDGE_TLS_CA_FILE); plaintext otherwise
  --timeout=DURATION   deadline for each call (default 10s; none for
                       `events --follow` without --limit)
  --json               print responses as JSON (proto field names), for
                       scripts
  --name_only          print only resource names, one per line (for
                       NAME=$(carectl ... --name_only))

values:
  durations   90s, 30m, 4h, 3d, 14d, 1h30m
  dates       YYYY-MM-DD (2026-06-30); where a time is wanted, also
              RFC 3339 (2026-06-30T17:00:00Z)
  names       teams/ID, members/ID, persons/ID, referrals/ID,
              handovers/ID; the prefix may be left out where the kind is
              clear. A care plan is named by its person: persons/ID or
              persons/ID/carePlan
  enums       lower-case words, as carectl prints them
              (community_mental_health, team_lead, acknowledged)

output:
  One resource prints as `key: value` lines, lists as tables followed by
  `next page: TOKEN` when there is more (--all reads every page). Times are
  RFC 3339 UTC. Referral and handover lists mark an item OVERDUE while it
  awaits an answer past its deadline, and ESCALATED once the deadline scan
  raised an escalation.

exit codes:
  0  success (also `events --follow` ended by Ctrl-C or SIGTERM)
  1  usage error: unknown command, bad flag or value, unreadable token file
  2  the server answered with an error; stderr has `carectl: CODE: message`
     (e.g. UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, UNAVAILABLE)
  3  health: the server or service is not serving
  4  admin audit verify: an audit log has been altered
)";

std::vector<Command> AllCommands() {
  std::vector<Command> all = HealthCommands();
  for (auto* group : {&DirectoryCommands, &ReferralCommands, &CarePlanCommands,
                      &HandoverCommands, &EventsCommands, &FeedsCommands,
                      &RecordCommands, &AuditCommands, &SharingCommands}) {
    for (Command& c : group()) all.push_back(std::move(c));
  }
  return all;
}

// Word-wraps `text` at 78 columns; the first line starts with `indent`, the
// others with `continuation`.
std::string Wrap(const std::string& text, const std::string& indent,
                 const std::string& continuation) {
  std::string out = indent;
  size_t column = indent.size();
  bool line_empty = true;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (!line_empty && column + 1 + word.size() > 78) {
      absl::StrAppend(&out, "\n", continuation);
      column = continuation.size();
    } else if (!line_empty) {
      out += ' ';
      ++column;
    }
    absl::StrAppend(&out, word);
    column += word.size();
    line_empty = false;
  }
  return out + "\n";
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
// (`careplan team` → add, end or lead).
std::string UnknownCommand(const std::vector<const Command*>& matches,
                           const std::vector<std::string>& words) {
  std::string prefix = absl::StrCat(words[1], " ");
  std::vector<std::string> rest;
  for (const Command* c : matches) {
    if (absl::StartsWith(c->verb, prefix)) {
      rest.push_back(c->verb.substr(prefix.size()));
    }
  }
  std::string typed = absl::StrCat(words[0], " ", words[1]);
  if (rest.empty()) return absl::StrCat("unknown command '", typed, "'");
  if (words.size() > 2) absl::StrAppend(&typed, " ", words[2]);
  return absl::StrCat("unknown command '", typed, "' (", words[0], " ",
                      words[1], " ", absl::StrJoin(rest, "|"), ")");
}

void PrintCommandHelp(std::ostream& out, const Command& c) {
  out << Wrap(absl::StrCat("carectl ", c.synopsis), "  ", "      ");
  out << Wrap(c.summary, "    ", "    ");
}

void PrintHelp(std::ostream& out, const std::vector<Command>& commands) {
  out << "carectl: the carebridge command-line client for teams and admins.\n"
         "\nusage: carectl [global flags] NOUN VERB [ARGS] [--flag=value ...]"
         "\n\ncommands:\n";
  std::string noun;
  for (const Command& c : commands) {
    if (c.noun != noun) {
      noun = c.noun;
      std::vector<std::string> verbs;
      for (const Command& d : commands) {
        if (d.noun == noun && !d.verb.empty()) verbs.push_back(d.verb);
      }
      out << "  " << noun;
      if (!verbs.empty()) out << " " << absl::StrJoin(verbs, "|");
      out << "\n";
    }
  }
  out << "\nRun `carectl NOUN help` for each command's flags.\n\n"
      << kGlobalHelp;
}

void PrintNounHelp(std::ostream& out, const std::vector<Command>& commands,
                   const std::string& noun) {
  out << "usage:\n";
  for (const Command& c : commands) {
    if (c.noun == noun) PrintCommandHelp(out, c);
  }
  out << "\nRun `carectl help` for the global flags and exit codes.\n";
}

int Usage(std::ostream& err, absl::string_view message,
          absl::string_view hint) {
  err << "carectl: usage: " << message << "\n";
  if (!hint.empty()) err << "run `" << hint << "` for usage\n";
  return kExitUsage;
}

}  // namespace

int RunCarectl(const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env, std::ostream& out,
               std::ostream& err) {
  const std::vector<Command> commands = AllCommands();
  absl::StatusOr<CommandLine> line = Tokenize(args);
  if (!line.ok()) return Usage(err, line.status().message(), "carectl help");
  std::vector<RawFlag> command_flags;
  absl::StatusOr<Flags> globals =
      Flags::Bind(line->flags, GlobalFlagSpecs(), &command_flags);
  if (!globals.ok()) {
    return Usage(err, globals.status().message(), "carectl help");
  }
  const std::vector<std::string>& words = line->positional;
  bool help = globals->GetBool("help");

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
  for (const Command& c : commands) {
    if (c.noun == noun) matches.push_back(&c);
  }
  if (matches.empty()) {
    return Usage(err, absl::StrCat("unknown command '", noun, "'"),
                 "carectl help");
  }
  std::string noun_help = absl::StrCat("carectl ", noun, " help");
  const Command* command = nullptr;
  size_t first_arg = 1;
  if (matches.size() == 1 && matches[0]->verb.empty()) {
    command = matches[0];
    help = help || (words.size() == 2 && words[1] == "help");
  } else {
    if (words.size() < 2 || words[1] == "help" || (help && words.size() < 2)) {
      PrintNounHelp(words.size() < 2 && !help ? err : out, commands, noun);
      return words.size() < 2 && !help ? kExitUsage : kExitOk;
    }
    size_t verb_words = 0;
    for (const Command* c : matches) {
      size_t n = VerbWords(*c, words);
      if (n > verb_words) {
        command = c;
        verb_words = n;
      }
    }
    if (command == nullptr) {
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
      return Usage(err, UnknownCommand(matches, words), noun_help);
    }
    first_arg = 1 + verb_words;
  }
  if (help) {
    PrintCommandHelp(out, *command);
    return kExitOk;
  }

  absl::StatusOr<Flags> flags = Flags::Bind(command_flags, command->flags);
  if (!flags.ok()) return Usage(err, flags.status().message(), noun_help);
  std::vector<std::string> rest(words.begin() + first_arg, words.end());
  if (rest.size() < command->args.size()) {
    return Usage(err, absl::StrCat("missing ", command->args[rest.size()]),
                 noun_help);
  }
  size_t most = command->args.size() + command->optional_args.size();
  if (rest.size() > most) {
    return Usage(err, absl::StrCat("unexpected argument '", rest[most], "'"),
                 noun_help);
  }

  absl::StatusOr<GlobalOptions> options = ResolveGlobalOptions(*globals, env);
  if (!options.ok()) return Usage(err, options.status().message(), "");
  Session session(*std::move(options), out, err);
  absl::Status connected = session.Connect();
  if (!connected.ok()) return Usage(err, connected.message(), "");
  return command->run(session, Invocation{std::move(rest), *std::move(flags)});
}

}  // namespace carebridge::carectl
