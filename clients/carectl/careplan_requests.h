#ifndef CAREBRIDGE_CLIENTS_CARECTL_CAREPLAN_REQUESTS_H_
#define CAREBRIDGE_CLIENTS_CARECTL_CAREPLAN_REQUESTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/careplan/v1/careplan.pb.h"
#include "clients/carectl/args.h"

namespace carebridge::carectl {

// Builds care plan requests from command words and flags. Every error is a
// usage error naming the flag or word, found before any call; the content
// rules (lengths, known teams, ids) are left to the server, which owns them.

// `persons/ID`, `persons/ID/carePlan` or a bare ID, as
// `persons/ID/carePlan`.
absl::StatusOr<std::string> CarePlanName(absl::string_view plan);

// `teams/ID` or a bare ID, as `teams/ID`; errors name `what` (a flag).
absl::StatusOr<std::string> TeamName(absl::string_view what,
                                     absl::string_view team);

// `persons/ID/carePlan/versions/N`; `number` is the word N.
absl::StatusOr<std::string> CarePlanVersionName(absl::string_view plan,
                                                absl::string_view number);

// A version number >= 1, given as `what` (a word such as FROM, or --flag).
absl::StatusOr<int64_t> ParseVersionNumber(absl::string_view what,
                                           absl::string_view text);

// YYYY-MM-DD, a real calendar day in 1900..9999; errors name `what`.
absl::StatusOr<careplan::v1::Date> ParseDate(absl::string_view what,
                                             absl::string_view text);

// `careplan show PLAN`.
absl::StatusOr<careplan::v1::GetCarePlanRequest> BuildGetCarePlanRequest(
    absl::string_view plan);

// `careplan version PLAN N`.
absl::StatusOr<careplan::v1::GetCarePlanVersionRequest>
BuildGetCarePlanVersionRequest(absl::string_view plan,
                               absl::string_view number);

// `careplan versions PLAN [--full] [--page_size=N] [--page_token=T]`.
absl::StatusOr<careplan::v1::ListCarePlanVersionsRequest>
BuildListCarePlanVersionsRequest(absl::string_view plan, const Flags& flags);

// `careplan diff PLAN FROM [TO]`; `to` absent compares with the current
// version.
absl::StatusOr<careplan::v1::DiffCarePlanVersionsRequest>
BuildDiffCarePlanVersionsRequest(absl::string_view plan, absl::string_view from,
                                 std::optional<std::string> to);

// `careplan agree PLAN --version=N [--comment=TEXT]`.
absl::StatusOr<careplan::v1::RecordAgreementRequest>
BuildRecordAgreementRequest(absl::string_view plan, const Flags& flags);

// `careplan team add|end|lead PLAN --team=TEAM --reason=TEXT ...`.
absl::StatusOr<careplan::v1::AddCareTeamMemberRequest>
BuildAddCareTeamMemberRequest(absl::string_view plan, const Flags& flags);
absl::StatusOr<careplan::v1::EndCareTeamInvolvementRequest>
BuildEndCareTeamInvolvementRequest(absl::string_view plan, const Flags& flags);
// `careplan team review PLAN --team=TEAM --reason=WHY [--etag=E]`.
absl::StatusOr<careplan::v1::ReviewCareTeamJoinRequest>
BuildReviewCareTeamJoinRequest(absl::string_view plan, const Flags& flags);

// `careplan break-glass open PLAN --reason=WHY`.
absl::StatusOr<careplan::v1::BreakGlassRequest> BuildBreakGlassRequest(
    absl::string_view plan, const Flags& flags);

// `careplan break-glass list PERSON [--unreviewed] [--page_size=N]
// [--page_token=T]`; PERSON is persons/ID, ID or the plan's name, or `-`
// (persons/-) for every person's.
absl::StatusOr<careplan::v1::ListBreakGlassAccessesRequest>
BuildListBreakGlassAccessesRequest(absl::string_view person,
                                   const Flags& flags);

// `careplan break-glass review ACCESS --outcome=justified|not_justified
// --reason=WHY`; ACCESS is persons/ID/breakGlassAccesses/N.
absl::StatusOr<careplan::v1::ReviewBreakGlassAccessRequest>
BuildReviewBreakGlassAccessRequest(absl::string_view access,
                                   const Flags& flags);

absl::StatusOr<careplan::v1::SetLeadTeamRequest> BuildSetLeadTeamRequest(
    absl::string_view plan, const Flags& flags);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_CAREPLAN_REQUESTS_H_
