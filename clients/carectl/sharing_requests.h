#ifndef CAREBRIDGE_CLIENTS_CARECTL_SHARING_REQUESTS_H_
#define CAREBRIDGE_CLIENTS_CARECTL_SHARING_REQUESTS_H_

// A person's sharing choices on the command line: rules written as
// `WHO=PART,PART;WHO=...`, where WHO is a sector word (`voluntary_sector`)
// or a team (`teams/ID`), and each PART a shared part without its
// `shared_` prefix (`goals`, `own_actions`, `what_helps`, ...), or `all`.
// `WHO=` shares nothing with WHO.

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "clients/carectl/args.h"

namespace carebridge::carectl {

// The rules in `text` (the value of --rules); an empty text is no rules
// (every sector back to its default). Errors name --rules and the rule.
absl::StatusOr<std::vector<careplan::v1::SharingRule>> ParseSharingRules(
    absl::string_view text);

// `person share PERSON --rules=... --reason=WHY [--etag=E]`.
absl::StatusOr<careplan::v1::UpdateSharingChoicesRequest>
BuildUpdateSharingChoicesRequest(absl::string_view person, const Flags& flags);

// A rule's parts as words (`goals, own_actions`), or `nothing`.
std::string SharedPartsText(const careplan::v1::SharingRule& rule);

// Who changed the choices last and why, the person's rules, and what each
// sector sees under them; the person too when `choices.person` holds a
// label (see LabelNames) rather than the id the name already shows.
void PrintSharingChoices(std::ostream& out,
                         const careplan::v1::SharingChoices& choices);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_SHARING_REQUESTS_H_
