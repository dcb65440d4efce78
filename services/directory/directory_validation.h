#ifndef CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_VALIDATION_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_VALIDATION_H_

// Checks of the directory's resources against the contract in
// proto/carebridge/directory/v1/directory.proto. Each returns
// INVALID_ARGUMENT naming the field (`team.response_deadlines.crisis: ...`).

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "google/protobuf/field_mask.pb.h"

namespace carebridge::directory {

inline constexpr size_t kMaxTeamTextChars = 4000;
inline constexpr size_t kMaxContactChars = 1000;
inline constexpr size_t kMaxEmailChars = 320;
inline constexpr size_t kMaxSystemChars = 200;
inline constexpr size_t kMaxIdentifierValueChars = 100;
inline constexpr int kMaxLocalIdentifiers = 20;

inline constexpr absl::Duration kDefaultRoutineDeadline = absl::Hours(14 * 24);
inline constexpr absl::Duration kDefaultUrgentDeadline = absl::Hours(72);
inline constexpr absl::Duration kDefaultCrisisDeadline = absl::Hours(4);
inline constexpr absl::Duration kMinDeadline = absl::Minutes(15);
inline constexpr absl::Duration kMaxDeadline = absl::Hours(90 * 24);

// Sets every unset response deadline of `team` to its default, so stored
// and returned teams always carry their effective deadlines.
void FillDefaultDeadlines(v1::Team* team);

// Checks every client-settable field of a team.
absl::Status ValidateTeam(const v1::Team& team);

// Checks that every path of `mask` names an updatable team field: the
// fields listed in UpdateTeamRequest, and the three sub-fields of
// response_deadlines.
absl::Status CheckTeamUpdateMask(const google::protobuf::FieldMask& mask);
// Copies the fields `mask` names from `patch` into `team`. The mask must
// have passed CheckTeamUpdateMask. Replacing response_deadlines replaces all
// three (unset ones fall back to their defaults when filled).
void ApplyTeamUpdate(const google::protobuf::FieldMask& mask,
                     const v1::Team& patch, v1::Team* team);

// Checks every client-settable field of a member.
absl::Status ValidateMember(const v1::Member& member);

// As CheckTeamUpdateMask, for UpdateMemberRequest's paths (display_name,
// email, role, team).
absl::Status CheckMemberUpdateMask(const google::protobuf::FieldMask& mask);
// Copies the fields `mask` names from `patch` into `member`; the mask must
// have passed CheckMemberUpdateMask.
void ApplyMemberUpdate(const google::protobuf::FieldMask& mask,
                       const v1::Member& patch, v1::Member* member);
// A reason given for deactivating a member or revoking tokens: required,
// at most kMaxReasonChars.
inline constexpr int kMaxReasonChars = 500;
absl::Status CheckReason(absl::string_view field, absl::string_view reason);

// Checks a person and puts its NHS number in stored form. `now` bounds the
// date of birth.
absl::Status ValidateAndNormalizePerson(v1::Person* person, absl::Time now);
// UpdatePerson's mask: required, paths among the person's own details.
absl::Status CheckPersonUpdateMask(const google::protobuf::FieldMask& mask);
// Copies the fields `mask` names from `patch` into `person`; `mask` must
// have passed CheckPersonUpdateMask.
void ApplyPersonUpdate(const google::protobuf::FieldMask& mask,
                       const v1::Person& patch, v1::Person* person);

// Parses a date written YYYY-MM-DD that exists in the calendar.
absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view field,
                                         absl::string_view value);
// Today's date where the service runs its clinical day (UK time).
absl::CivilDay Today(absl::Time now);

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_VALIDATION_H_
