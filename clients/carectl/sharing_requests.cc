#include "clients/carectl/sharing_requests.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "clients/carectl/enums.h"
#include "clients/carectl/format.h"
#include "clients/carectl/names.h"
#include "services/common/macros.h"

namespace carebridge::carectl {
namespace {

namespace cp = ::carebridge::careplan::v1;
namespace dir = ::carebridge::directory::v1;

constexpr absl::string_view kPrefix = "shared_";

absl::Status BadRule(absl::string_view rule, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("--rules: '", rule, "' ", problem));
}

absl::Status AddParts(absl::string_view rule, absl::string_view parts,
                      cp::SharingRule& out) {
  for (absl::string_view word : absl::StrSplit(parts, ',', absl::SkipEmpty())) {
    word = absl::StripAsciiWhitespace(word);
    if (word == "all") {
      for (int part = cp::SharedPart_MIN + 1; part <= cp::SharedPart_MAX;
           ++part) {
        if (part != cp::SHARED_OWN_ACTIONS && part != cp::SHARED_WHAT_HELPS) {
          out.add_parts(static_cast<cp::SharedPart>(part));
        }
      }
      continue;
    }
    absl::StatusOr<cp::SharedPart> part =
        ParseEnumFlag<cp::SharedPart>("rules", absl::StrCat(kPrefix, word));
    if (!part.ok()) {
      std::vector<std::string> words;
      for (int p = cp::SharedPart_MIN + 1; p <= cp::SharedPart_MAX; ++p) {
        words.push_back(std::string(absl::StripPrefix(
            EnumWord(cp::SharedPart_descriptor(), p), kPrefix)));
      }
      return BadRule(
          rule, absl::StrCat("shares '", word, "', which is not one of all, ",
                             absl::StrJoin(words, ", ")));
    }
    out.add_parts(*part);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<cp::SharingRule>> ParseSharingRules(
    absl::string_view text) {
  std::vector<cp::SharingRule> rules;
  for (absl::string_view rule : absl::StrSplit(text, ';', absl::SkipEmpty())) {
    rule = absl::StripAsciiWhitespace(rule);
    if (rule.empty()) continue;
    std::pair<absl::string_view, absl::string_view> who_parts =
        absl::StrSplit(rule, absl::MaxSplits('=', 1));
    if (!absl::StrContains(rule, '=')) {
      return BadRule(rule, "is not WHO=PART,PART (WHO a sector or teams/ID)");
    }
    const absl::string_view who = absl::StripAsciiWhitespace(who_parts.first);
    cp::SharingRule& out = rules.emplace_back();
    if (absl::StartsWith(who, "teams/")) {
      out.set_team(std::string(who));
    } else {
      absl::StatusOr<dir::Sector> sector =
          ParseEnumFlag<dir::Sector>("rules", who);
      if (!sector.ok()) {
        return BadRule(rule, absl::StrCat("does not name a team (teams/ID) or "
                                          "a sector: ",
                                          sector.status().message()));
      }
      out.set_sector(*sector);
    }
    RETURN_IF_ERROR(AddParts(rule, who_parts.second, out));
  }
  return rules;
}

absl::StatusOr<cp::UpdateSharingChoicesRequest>
BuildUpdateSharingChoicesRequest(absl::string_view person, const Flags& flags) {
  if (!flags.Has("rules")) {
    return absl::InvalidArgumentError(
        "--rules: required (--rules= with nothing puts every sector back to "
        "its default)");
  }
  cp::UpdateSharingChoicesRequest request;
  request.mutable_sharing_choices()->set_name(ResourceName("persons", person) +
                                              "/sharingChoices");
  ASSIGN_OR_RETURN(std::vector<cp::SharingRule> rules,
                   ParseSharingRules(flags.Get("rules")));
  for (cp::SharingRule& rule : rules) {
    *request.mutable_sharing_choices()->add_rules() = std::move(rule);
  }
  request.set_reason(flags.Get("reason"));
  request.set_etag(flags.Get("etag"));
  return request;
}

std::string SharedPartsText(const cp::SharingRule& rule) {
  std::vector<std::string> words;
  for (int part : rule.parts()) {
    words.push_back(std::string(absl::StripPrefix(
        EnumWord(cp::SharedPart_descriptor(), part), kPrefix)));
  }
  return words.empty() ? "nothing" : absl::StrJoin(words, ", ");
}

void PrintSharingChoices(std::ostream& out, const cp::SharingChoices& choices) {
  out << choices.name() << "  version " << choices.version() << " (etag "
      << choices.etag() << ")\n";
  // The name holds the person's id; a label says who they are.
  if (!choices.person().empty() &&
      !absl::StartsWith(choices.name(), absl::StrCat(choices.person(), "/"))) {
    out << "person: " << choices.person() << "\n";
  }
  // Only the person, their lead team and services are given the rules
  // (every sector has a line in `effective` for them).
  const bool outline = choices.effective().empty();
  if (choices.version() == 0) {
    out << "no choices made yet: every sector sees its default\n";
  } else {
    out << "changed " << FormatTimestamp(choices.update_time()) << " by "
        << choices.updated_by();
    if (!choices.updated_by_team().empty()) {
      out << " of " << choices.updated_by_team();
    }
    if (!choices.reason().empty()) out << ": " << choices.reason();
    out << "\n";
  }
  if (outline) {
    out << "\nthe rules and why are for the person and their lead team; what "
           "they keep from your team is listed under \"not shared\" in "
           "`carectl careplan show`\n";
    return;
  }
  std::vector<std::vector<std::string>> rules;
  for (const cp::SharingRule& rule : choices.rules()) {
    rules.push_back({rule.team().empty()
                         ? EnumWord(dir::Sector_descriptor(), rule.sector())
                         : rule.team(),
                     SharedPartsText(rule)});
  }
  if (!rules.empty()) {
    out << "\nthe person's rules (a team's rule before its sector's):\n";
    PrintTextTable(out, {"WHO", "SEES"}, rules);
  }
  std::vector<std::vector<std::string>> effective;
  for (const cp::SharingRule& rule : choices.effective()) {
    effective.push_back({EnumWord(dir::Sector_descriptor(), rule.sector()),
                         SharedPartsText(rule)});
  }
  out << "\nwhat each sector sees (the lead team always sees everything):\n";
  PrintTextTable(out, {"SECTOR", "SEES"}, effective);
}

}  // namespace carebridge::carectl
