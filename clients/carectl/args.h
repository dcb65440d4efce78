#ifndef CAREBRIDGE_CLIENTS_CARECTL_ARGS_H_
#define CAREBRIDGE_CLIENTS_CARECTL_ARGS_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace carebridge::carectl {

// One `--name[=value]` as written on the command line. Dashes in the name are
// read as underscores, so `--display-name` and `--display_name` are the same.
struct RawFlag {
  std::string name;
  std::optional<std::string> value;
};

// One word or flag of the command line, in the order written.
struct Token {
  // Set for a flag; empty for a word.
  std::optional<RawFlag> flag;
  std::string word;
  // A word after `--`: never taken as a flag's value.
  bool literal = false;
};

// The command line split into words and flags; flags may appear anywhere.
// `positional` and `flags` are views of `tokens`.
struct CommandLine {
  std::vector<std::string> positional;
  std::vector<RawFlag> flags;
  std::vector<Token> tokens;
};

// Splits `args` (without the program name). `--` ends flags; a single `-`
// is a word. The short options are `-h` (--help) and `-o` (--output, as
// `-o json` or `-ojson`); any other `-x` fails. A flag written without `=`
// has no value yet: see AttachValues.
absl::StatusOr<CommandLine> Tokenize(const std::vector<std::string>& args);

enum class FlagKind {
  kValue,     // --name=value, at most once
  kBool,      // --name, --name=true or --name=false, at most once
  kRepeated,  // --name=value, any number of times
};

// INVALID_ARGUMENT `--name: problem`: every flag error says which flag.
absl::Status FlagError(absl::string_view name, absl::string_view problem);

struct FlagSpec {
  std::string name;
  FlagKind kind;
  // Must be given, and (for kValue and kRepeated) with a non-empty value.
  bool required = false;
};

// Reads `--name VALUE` as `--name=VALUE` for the flags in `specs` that take
// a value (kValue, kRepeated): the word after such a flag, written without
// `=`, becomes its value instead of a positional word. Bool flags and flags
// `specs` does not know never take the next word; a flag never takes
// another flag (`--reason --json` leaves --reason without a value).
CommandLine AttachValues(const CommandLine& line,
                         const std::vector<FlagSpec>& specs);

// `--name: unknown flag`, with `(did you mean --other?)` when one of
// `specs` is a likely typo of it.
absl::Status UnknownFlag(absl::string_view name,
                         const std::vector<FlagSpec>& specs);

// The flags of one command, checked against its specs. Every error is a
// usage error that names the flag.
class Flags {
 public:
  // Takes the flags in `raw` that `specs` knows about; the rest are returned
  // through `unknown` when it is non-null, else they are an error.
  static absl::StatusOr<Flags> Bind(const std::vector<RawFlag>& raw,
                                    const std::vector<FlagSpec>& specs,
                                    std::vector<RawFlag>* unknown = nullptr);

  bool Has(absl::string_view name) const;
  // The value, or `fallback` when the flag is absent.
  std::string Get(absl::string_view name,
                  absl::string_view fallback = "") const;
  // Every value of a repeated flag, in order.
  std::vector<std::string> GetAll(absl::string_view name) const;
  // False when absent.
  bool GetBool(absl::string_view name) const;
  // Parses the value with ParseDuration; `fallback` when absent.
  absl::StatusOr<absl::Duration> GetDuration(absl::string_view name,
                                             absl::Duration fallback) const;
  // A positive integer; 0 when absent.
  absl::StatusOr<int> GetPositiveInt(absl::string_view name) const;
  // The names given, in command-line order (each once).
  const std::vector<std::string>& given() const { return given_; }

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> given_;
};

// Parses durations such as 90s, 30m, 4h, 3d, 14d or 1h30m: one or more
// positive integers each followed by s, m, h or d. Zero and negative
// durations are rejected.
absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text);

// Formats a duration in the largest unit that divides it: 14d, 72h -> 3d,
// 90m -> 90m, 45s. Sub-second remainders are shown in seconds with decimals.
std::string ShortDuration(absl::Duration d);

// The closest of `candidates` to `typed` by edit distance, or "" when none
// is close enough to be a likely typo (at most 2 edits, and fewer than
// half of `typed`).
std::string ClosestMatch(absl::string_view typed,
                         const std::vector<std::string>& candidates);

// Splits "a,b,,c" into {"a", "b", "c"}.
std::vector<std::string> SplitList(absl::string_view text);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_ARGS_H_
