#include "clients/carectl/args.h"

#include <algorithm>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace carebridge::carectl {
namespace {

std::string NormalizeName(absl::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

const FlagSpec* FindSpec(const std::vector<FlagSpec>& specs,
                         absl::string_view name) {
  for (const FlagSpec& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace

absl::Status UnknownFlag(absl::string_view name,
                         const std::vector<FlagSpec>& specs) {
  std::vector<std::string> names;
  for (const FlagSpec& spec : specs) names.push_back(spec.name);
  std::string closest = ClosestMatch(name, names);
  if (closest.empty()) return FlagError(name, "unknown flag");
  return FlagError(
      name, absl::StrCat("unknown flag (did you mean --", closest, "?)"));
}

absl::Status FlagError(absl::string_view name, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", problem));
}

absl::StatusOr<CommandLine> Tokenize(const std::vector<std::string>& args) {
  CommandLine line;
  bool flags_ended = false;
  for (const std::string& arg : args) {
    Token token;
    if (flags_ended || arg == "-" || arg.empty() || arg[0] != '-') {
      token.word = arg;
      token.literal = flags_ended;
      line.tokens.push_back(std::move(token));
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    RawFlag flag;
    if (arg == "-h") {
      flag.name = "help";
    } else if (arg[1] == 'o') {
      flag.name = "output";
      if (arg.size() > 2) flag.value = arg.substr(arg[2] == '=' ? 3 : 2);
    } else if (arg.size() < 3 || arg[1] != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option ", arg,
                       " (flags are written --name; the only short options "
                       "are -h and -o)"));
    } else {
      absl::string_view body = absl::string_view(arg).substr(2);
      size_t eq = body.find('=');
      if (eq == absl::string_view::npos) {
        flag.name = NormalizeName(body);
      } else {
        flag.name = NormalizeName(body.substr(0, eq));
        flag.value = std::string(body.substr(eq + 1));
      }
    }
    if (flag.name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag without a name: ", arg));
    }
    token.flag = std::move(flag);
    line.tokens.push_back(std::move(token));
  }
  return AttachValues(line, {});
}

CommandLine AttachValues(const CommandLine& line,
                         const std::vector<FlagSpec>& specs) {
  CommandLine out;
  out.tokens = line.tokens;
  for (size_t i = 0; i < out.tokens.size(); ++i) {
    Token& token = out.tokens[i];
    if (!token.flag.has_value()) {
      out.positional.push_back(token.word);
      continue;
    }
    RawFlag& flag = *token.flag;
    const FlagSpec* spec = FindSpec(specs, flag.name);
    if (!flag.value.has_value() && spec != nullptr &&
        spec->kind != FlagKind::kBool && i + 1 < out.tokens.size() &&
        !out.tokens[i + 1].flag.has_value() && !out.tokens[i + 1].literal) {
      flag.value = out.tokens[i + 1].word;
      out.tokens.erase(out.tokens.begin() + i + 1);
    }
    out.flags.push_back(flag);
  }
  return out;
}

absl::StatusOr<Flags> Flags::Bind(const std::vector<RawFlag>& raw,
                                  const std::vector<FlagSpec>& specs,
                                  std::vector<RawFlag>* unknown) {
  Flags flags;
  for (const RawFlag& flag : raw) {
    const FlagSpec* spec = FindSpec(specs, flag.name);
    if (spec == nullptr) {
      if (unknown == nullptr) return UnknownFlag(flag.name, specs);
      unknown->push_back(flag);
      continue;
    }
    std::vector<std::string>& values = flags.values_[flag.name];
    if (!values.empty() && spec->kind != FlagKind::kRepeated) {
      return FlagError(flag.name, "given more than once");
    }
    if (spec->kind == FlagKind::kBool) {
      std::string value = absl::AsciiStrToLower(flag.value.value_or("true"));
      if (value != "true" && value != "false") {
        return FlagError(flag.name, absl::StrCat("must be true or false, not '",
                                                 *flag.value, "'"));
      }
      values.push_back(value);
    } else {
      if (!flag.value.has_value()) {
        return FlagError(flag.name,
                         absl::StrCat("needs a value (--", flag.name,
                                      "=VALUE or --", flag.name, " VALUE)"));
      }
      // A required flag stands for a required field: an empty value would
      // only be refused by the server.
      if (spec->required && flag.value->empty()) {
        return FlagError(flag.name, "required, and must not be empty");
      }
      values.push_back(*flag.value);
    }
    if (values.size() == 1) flags.given_.push_back(flag.name);
  }
  for (const FlagSpec& spec : specs) {
    if (spec.required && !flags.Has(spec.name)) {
      return FlagError(spec.name, "required");
    }
  }
  return flags;
}

bool Flags::Has(absl::string_view name) const {
  return values_.find(name) != values_.end();
}

std::string Flags::Get(absl::string_view name,
                       absl::string_view fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::string(fallback);
  return it->second.back();
}

std::vector<std::string> Flags::GetAll(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return {};
  return it->second;
}

bool Flags::GetBool(absl::string_view name) const {
  return Get(name, "false") == "true";
}

absl::StatusOr<absl::Duration> Flags::GetDuration(
    absl::string_view name, absl::Duration fallback) const {
  if (!Has(name)) return fallback;
  absl::StatusOr<absl::Duration> d = ParseDuration(Get(name));
  if (!d.ok()) return FlagError(name, d.status().message());
  return d;
}

absl::StatusOr<int> Flags::GetPositiveInt(absl::string_view name) const {
  if (!Has(name)) return 0;
  int value = 0;
  if (!absl::SimpleAtoi(Get(name), &value) || value <= 0) {
    return FlagError(
        name,
        absl::StrCat("must be a positive whole number, not '", Get(name), "'"));
  }
  return value;
}

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text) {
  auto bad = [&text]() {
    return absl::InvalidArgumentError(
        absl::StrCat("not a duration: '", text,
                     "' (use forms like 90s, 30m, 4h, 3d or 1h30m)"));
  };
  if (text.empty()) return bad();
  absl::Duration total = absl::ZeroDuration();
  size_t i = 0;
  while (i < text.size()) {
    size_t digits_end = i;
    while (digits_end < text.size() && absl::ascii_isdigit(text[digits_end])) {
      ++digits_end;
    }
    if (digits_end == i || digits_end == text.size()) return bad();
    int64_t amount = 0;
    if (!absl::SimpleAtoi(text.substr(i, digits_end - i), &amount)) {
      return bad();
    }
    switch (text[digits_end]) {
      case 's':
        total += absl::Seconds(amount);
        break;
      case 'm':
        total += absl::Minutes(amount);
        break;
      case 'h':
        total += absl::Hours(amount);
        break;
      case 'd':
        total += absl::Hours(24) * amount;
        break;
      default:
        return bad();
    }
    i = digits_end + 1;
  }
  if (total <= absl::ZeroDuration() || total == absl::InfiniteDuration()) {
    return bad();
  }
  return total;
}

std::string ShortDuration(absl::Duration d) {
  struct Unit {
    absl::Duration size;
    const char* suffix;
  };
  const Unit units[] = {{absl::Hours(24), "d"},
                        {absl::Hours(1), "h"},
                        {absl::Minutes(1), "m"},
                        {absl::Seconds(1), "s"}};
  if (d == absl::ZeroDuration()) return "0s";
  for (const Unit& unit : units) {
    absl::Duration rem = d % unit.size;
    if (rem == absl::ZeroDuration()) {
      return absl::StrCat(absl::IDivDuration(d, unit.size, &rem), unit.suffix);
    }
  }
  return absl::StrCat(absl::ToDoubleSeconds(d), "s");
}

namespace {

// Levenshtein distance: insertions, deletions and substitutions.
size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string ClosestMatch(absl::string_view typed,
                         const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 3;
  for (const std::string& candidate : candidates) {
    size_t d = EditDistance(typed, candidate);
    if (d < best_distance && 2 * d < typed.size() + 1 && d > 0) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

std::vector<std::string> SplitList(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

}  // namespace carebridge::carectl
