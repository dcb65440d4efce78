#include "services/directory/record_care_relationships.h"

#include <optional>
#include <utility>

namespace carebridge::directory {

RecordCareRelationships::RecordCareRelationships(ChannelProvider record,
                                                 const TokenSigner* signer,
                                                 const Clock* clock,
                                                 absl::Duration call_deadline)
    : reader_(std::move(record), "services/directory", signer, clock,
              call_deadline) {}

absl::StatusOr<bool> RecordCareRelationships::Related(absl::string_view person,
                                                      absl::string_view team) {
  absl::StatusOr<std::optional<record::v1::CareSummary>> summary =
      reader_.Read(person);
  if (!summary.ok()) return summary.status();
  // The record has not seen the person: nothing has happened in their care.
  if (!summary->has_value()) return false;
  for (const auto& member : (*summary)->care_team()) {
    if (member.team() == team) return true;
  }
  for (const record::v1::OpenLoop& loop : (*summary)->open_loops()) {
    if (loop.sending_team() == team || loop.receiving_team() == team) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<PersonCare> RecordCareRelationships::Care(
    absl::string_view person) {
  absl::StatusOr<std::optional<record::v1::CareSummary>> summary =
      reader_.Read(person);
  if (!summary.ok()) return summary.status();
  PersonCare care;
  if (!summary->has_value()) return care;
  care.lead_team = (*summary)->lead_team();
  care.has_care_plan = (*summary)->care_plan_version() > 0;
  for (const record::v1::LastContact& contact : (*summary)->last_contacts()) {
    care.involved_teams.push_back(contact.team());
  }
  care.has_history =
      care.has_care_plan || !(*summary)->last_contacts().empty() ||
      !(*summary)->gaps().empty() || !(*summary)->open_loops().empty();
  for (const record::v1::OpenLoop& loop : (*summary)->open_loops()) {
    care.awaiting_answer.push_back(loop.resource());
  }
  return care;
}

}  // namespace carebridge::directory
