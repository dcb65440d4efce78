// The text of `carectl help` and `carectl NOUN help`.

#include "clients/carectl/help.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace carebridge::carectl {
namespace {

constexpr char kGlobalHelp[] =
    R"(global flags (before or after the command; --name=VALUE or --name VALUE):
  --server=HOST:PORT   server address (env CAREBRIDGE_SERVER, default
                       127.0.0.1:50051)
  --token=TOKEN        bearer token (env CAREBRIDGE_TOKEN)
  --token_file=PATH    read the bearer token from a file
                       (env CAREBRIDGE_TOKEN_FILE)
  --tls_ca_file=PATH   use TLS, trusting this CA certificate
                       (env CAREBRIDGE_TLS_CA_FILE); plaintext otherwise
  --timeout=DURATION   deadline for each call (default 10s; none for
                       `events --follow` without --limit)
  --context=NAME       use this context of the config file instead of its
                       current-context (see `carectl config help`)
  --json               print responses as JSON (proto field names), for
                       scripts
  --name_only          print only resource names, one per line (for
                       NAME=$(carectl ... --name_only))
  -o, --output=FORMAT  json (same as --json) or name (same as --name_only)
  -h, --help           show help (for a noun or command when given one)
  --version            print carectl's version

settings:
  Each of server, token file and TLS CA file comes from, first to last: its
  flag, its environment variable, the context (--context, else the config
  file's current-context), the default. The config file is
  $CAREBRIDGE_CONFIG, else ~/.config/carebridge/carectl.conf.

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
  local with the zone (2026-12-06 10:44:49 GMT; --utc: RFC 3339 UTC).
  Persons, teams and members show by name (--json and --name_only keep
  ids). Referral and handover lists mark an item OVERDUE while it
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

}  // namespace

void PrintCommandHelp(std::ostream& out, const Command& c) {
  out << Wrap(absl::StrCat("carectl ", c.synopsis), "  ", "      ");
  out << Wrap(c.summary, "    ", "    ");
}

void PrintHelp(std::ostream& out, const std::vector<Command>& commands) {
  out << "carectl: the carebridge command-line client for teams and admins.\n"
         "\nusage: carectl [global flags] NOUN VERB [ARGS] [--flag=value ...]"
         "\n\ncommands:\n";
  // A noun's commands come from more than one service (person: directory,
  // record, audit, sharing): one line each, where it first appears.
  std::set<std::string> listed;
  for (const Command& c : commands) {
    if (!listed.insert(c.noun).second) continue;
    std::vector<std::string> verbs;
    for (const Command& d : commands) {
      if (d.noun == c.noun && !d.verb.empty()) verbs.push_back(d.verb);
    }
    out << "  " << c.noun;
    if (!verbs.empty()) out << " " << absl::StrJoin(verbs, "|");
    out << "\n";
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

}  // namespace carebridge::carectl
