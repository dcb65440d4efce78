#include "services/careplan_client/exchange_sharing.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace carebridge::careplan_client {

absl::StatusOr<ExchangeSharing::Verdict> ExchangeSharing::Reader::Judge(
    const Exchange& exchange, careplan::v1::SharedPart part) {
  Verdict verdict;
  absl::StatusOr<sharing::SharedParts> receiver =
      PartsFor(exchange.person, exchange.receiving_team);
  if (!receiver.ok()) return receiver.status();
  verdict.receiver_reads = receiver->Has(part);
  if (caller_->is_service() || caller_->team == exchange.sending_team) {
    verdict.caller_reads = true;
  } else if (caller_->team == exchange.receiving_team) {
    verdict.caller_reads = verdict.receiver_reads;
  } else {
    absl::StatusOr<sharing::SharedParts> caller =
        PartsFor(exchange.person, caller_->team);
    if (!caller.ok()) return caller.status();
    verdict.caller_reads = caller->Has(part);
  }
  return verdict;
}

absl::StatusOr<sharing::SharedParts> ExchangeSharing::Reader::CallerParts(
    absl::string_view person) {
  if (caller_->is_service() || caller_->is_person(person)) {
    return sharing::SharedParts::All();
  }
  if (!caller_->is_clinical()) return sharing::SharedParts::None();
  return PartsFor(person, caller_->team);
}

absl::StatusOr<bool> ExchangeSharing::Reader::Show(
    const Exchange& exchange, careplan::v1::SharedPart part,
    absl::string_view field_name, std::string& field,
    google::protobuf::RepeatedPtrField<std::string>& withheld) {
  if (field.empty()) return false;
  absl::StatusOr<Verdict> verdict = Judge(exchange, part);
  if (!verdict.ok()) return verdict.status();
  if (!verdict->receiver_reads) withheld.Add(std::string(field_name));
  if (!verdict->caller_reads) field.clear();
  return !verdict->caller_reads;
}

absl::StatusOr<sharing::SharedParts> ExchangeSharing::Reader::PartsFor(
    absl::string_view person, absl::string_view team) {
  const bool inline_only = remote_ == RemoteCalls::kDeferred;
  auto it = persons_.find(person);
  if (it == persons_.end()) {
    absl::StatusOr<sharing::PersonSharing> found = sharing::PersonSharing();
    if (sharing_->careplan_ != nullptr && inline_only) {
      std::optional<sharing::PersonSharing> remembered =
          sharing_->careplan_->RememberedSharing(person);
      if (!remembered.has_value()) return RemoteCallDeferred();
      found = *std::move(remembered);
    } else if (sharing_->careplan_ != nullptr) {
      found = sharing_->careplan_->GetSharing(person);
    }
    if (!found.ok()) {
      LogLine(absl::StrCat("sharing choices of ", person,
                           " could not be read; withholding what they decide "
                           "on: ",
                           found.status().ToString()));
    }
    it = persons_.emplace(std::string(person), std::move(found)).first;
  }
  if (!it->second.ok()) return sharing::SharedParts::None();
  const sharing::PersonSharing& choices = *it->second;
  // The lead team needs no sector; anyone else's comes from the directory
  // (a team it cannot name gets the narrowest default).
  if (!choices.lead_team.empty() && team == choices.lead_team) {
    return sharing::SharedParts::All();
  }
  directory::v1::Sector sector = directory::v1::SECTOR_UNSPECIFIED;
  if (sharing_->directory_ != nullptr && inline_only) {
    std::optional<directory_client::TeamInfo> info =
        sharing_->directory_->RememberedTeam(team);
    if (!info.has_value()) return RemoteCallDeferred();
    sector = info->sector;
  } else if (sharing_->directory_ != nullptr) {
    absl::StatusOr<directory_client::TeamInfo> info =
        sharing_->directory_->GetTeam(team);
    if (info.ok()) sector = info->sector;
  }
  return choices.PartsFor(team, sector);
}

}  // namespace carebridge::careplan_client
