#ifndef CAREBRIDGE_CLIENTS_CARECTL_FORMAT_H_
#define CAREBRIDGE_CLIENTS_CARECTL_FORMAT_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clients/carectl/name_labels.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "google/protobuf/timestamp.pb.h"

namespace carebridge::carectl {

// Human-readable output, built on proto reflection so every resource prints
// the same way: timestamps in local time with the zone (or RFC 3339 UTC with
// --utc), durations as 4h or 14d, enums as lower-case words (see enums.h),
// persons, teams and members by name where the caller passes NameLabels.

// Whether FormatTimestamp prints UTC (--utc) rather than local time. One
// choice for the process: each carectl run's Session makes it.
void ShowTimesInUtc(bool utc);

// To the second, in the machine's local time zone with its abbreviation,
// e.g. 2026-12-06 10:44:49 GMT (2026-06-06 10:44:49 BST in summer); with
// --utc RFC 3339 in UTC, e.g. 2026-12-06T10:44:49Z.
std::string FormatTimestamp(const google::protobuf::Timestamp& ts);
// The local form in `zone`.
std::string FormatTimestampIn(const google::protobuf::Timestamp& ts,
                              absl::TimeZone zone);
// The calendar date of a time that stands for a date (midnight UTC, as
// dates are sent), YYYY-MM-DD in UTC whatever the local zone.
std::string FormatUtcDate(const google::protobuf::Timestamp& ts);

// The value at `path` ("name", "onward_route.signposting") as printed in
// tables; repeated values are joined with ", ". Empty when unset.
std::string ValueAt(const google::protobuf::Message& message,
                    const std::string& path);

// A `key: value` block, one line per set field (nested messages as
// `parent.child`; strings only when non-empty). Repeated message fields such
// as a referral's history follow as indented tables. A value that is a
// labelled name shows its label with the name under it (tables: the label).
void PrintResource(std::ostream& out, const google::protobuf::Message& message,
                   const NameLabels& names = NameLabels());

// An aligned table with one row per message and one column per path; the
// header is the path in upper case. Prints "(none)" for no rows. A cell
// that is a labelled name shows the label.
void PrintTable(std::ostream& out,
                const std::vector<const google::protobuf::Message*>& rows,
                const std::vector<std::string>& columns,
                const std::string& indent = "",
                const NameLabels& names = NameLabels());

// An aligned table of ready-made cells: `header` (printed as given) and one
// row per entry. Prints "(none)" for no rows.
void PrintTextTable(std::ostream& out, const std::vector<std::string>& header,
                    const std::vector<std::vector<std::string>>& rows,
                    const std::string& indent = "");

// A list result: the table, then `next page: <token>` when there is more.
void PrintList(std::ostream& out,
               const std::vector<const google::protobuf::Message*>& rows,
               const std::vector<std::string>& columns,
               const std::string& next_page_token);

template <typename T>
std::vector<const google::protobuf::Message*> Rows(
    const google::protobuf::RepeatedPtrField<T>& items) {
  std::vector<const google::protobuf::Message*> rows;
  for (const T& item : items) rows.push_back(&item);
  return rows;
}

// Prints the `name` of the message, or of each resource it holds (list
// responses, a redirect's two referrals), one per line. Returns false, and
// prints nothing, when there is no name to print.
bool PrintNames(std::ostream& out, const google::protobuf::Message& message);

// The message as JSON for scripts: proto field names, every scalar field
// (defaults included), enums by name. Ends with a newline.
std::string ToJson(const google::protobuf::Message& message);

// The same JSON on one line, ending with a newline, for streams of objects
// (one per line). Fails when a google.protobuf.Any holds a type this carectl
// does not know.
absl::StatusOr<std::string> ToJsonLine(
    const google::protobuf::Message& message);

// What lists show for an item whose answer is late: "OVERDUE" while it
// awaits an answer past its deadline, "ESCALATED" once the deadline scan
// raised an escalation (kept after the answer, as history), both, or "".
std::string DeadlineMarkers(bool overdue, bool escalated);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_FORMAT_H_
