// CarePlanDomain: the person's sharing choices, and what of the plan each
// caller is shown under them.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/careplan/care_team.h"
#include "services/careplan/careplan_domain.h"
#include "services/careplan/careplan_names.h"
#include "services/careplan/careplan_sharing.h"
#include "services/careplan/careplan_version.h"
#include "services/careplan/errors.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/page_token.h"
#include "services/common/policy.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"

namespace carebridge::careplan {
namespace {

constexpr int kMaxSharingAttempts = 5;

// The choices as stored (none: version 0), with their name, etag, what each
// sector sees and who leads (`lead_team`, now).
v1::SharingChoices PresentSharing(absl::string_view person_id,
                                  absl::string_view lead_team,
                                  std::optional<v1::SharingChoices> stored) {
  v1::SharingChoices choices =
      stored.has_value() ? *std::move(stored) : v1::SharingChoices();
  choices.set_name(SharingChoicesName(person_id));
  choices.set_person(PersonName(person_id));
  choices.set_etag(EtagOf(choices.version()));
  choices.set_lead_team(std::string(lead_team));
  FillEffective(choices);
  return choices;
}

bool SameRules(const v1::SharingChoices& a, const v1::SharingChoices& b) {
  if (a.rules_size() != b.rules_size()) return false;
  for (int i = 0; i < a.rules_size(); ++i) {
    if (!google::protobuf::util::MessageDifferencer::Equals(a.rules(i),
                                                            b.rules(i))) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<std::optional<v1::SharingChoices>>
CarePlanDomain::CurrentSharing(absl::string_view person_id) {
  if (sharing_ == nullptr) return std::optional<v1::SharingChoices>();
  return sharing_->GetCurrent(person_id);
}

absl::StatusOr<SharedParts> CarePlanDomain::PartsShownTo(
    const Principal& caller, const v1::CarePlan& current, RemoteCalls remote) {
  // The person, service identities and the lead team (which is responsible
  // for all of it) see the whole plan; admins never get this far.
  if (!caller.is_clinical() || caller.team == current.lead_team()) {
    return SharedParts::All();
  }
  if (remote == RemoteCalls::kDeferred) return RemoteCallDeferred();
  directory::v1::Sector sector = directory::v1::SECTOR_UNSPECIFIED;
  absl::StatusOr<directory_client::TeamInfo> team =
      directory_->GetTeam(caller.team);
  if (team.ok()) {
    sector = team->sector;
  } else if (!absl::IsNotFound(team.status())) {
    // Without the team's sector nothing can be decided: refuse, never guess.
    return errors::DirectoryFailed(team.status());
  }
  ASSIGN_OR_RETURN(std::optional<v1::SharingChoices> choices,
                   CurrentSharing(PersonIdOf(current)));
  return PartsFor(choices.has_value() ? &*choices : nullptr, caller.team,
                  sector);
}

absl::StatusOr<v1::CarePlan> CarePlanDomain::ShownTo(
    const Principal& caller, const v1::CarePlan& current, v1::CarePlan plan,
    RemoteCalls remote) {
  ASSIGN_OR_RETURN(SharedParts parts, PartsShownTo(caller, current, remote));
  Withhold(parts, caller.team, plan);
  return plan;
}

absl::StatusOr<v1::SharingChoices> CarePlanDomain::GetSharingChoices(
    const Principal& caller, const v1::GetSharingChoicesRequest& request) {
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseSharingChoicesName("name", request.name()));
  ASSIGN_OR_RETURN(v1::CarePlan plan,
                   LoadReadable(caller, person_id, "GetSharingChoices",
                                RemoteCalls::kAllowed));
  ASSIGN_OR_RETURN(std::optional<v1::SharingChoices> choices,
                   CurrentSharing(person_id));
  v1::SharingChoices shown =
      PresentSharing(person_id, plan.lead_team(), std::move(choices));
  if (!ReadsChoicesInFull(caller, plan.person(), plan.lead_team())) {
    OutlineChoices(shown);
  }
  return shown;
}

absl::StatusOr<v1::SharingChoices> CarePlanDomain::UpdateSharingChoices(
    const Principal& caller, const v1::UpdateSharingChoicesRequest& request) {
  RETURN_IF_ERROR(ValidateSharingUpdate(request));
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseSharingChoicesName("sharing_choices.name",
                                           request.sharing_choices().name()));
  const std::string person = PersonName(person_id);
  // Who may, before anything is read: the person or lead team staff.
  if (!caller.is_person(person) && !caller.is_clinical()) {
    return policy::RequireSharingChange(caller, person,
                                        /*caller_team_leads=*/false);
  }
  if (caller.is_person() && !caller.is_person(person)) {
    return policy::RequireOwnRecord(caller, person, "UpdateSharingChoices");
  }
  if (sharing_ == nullptr) {
    return absl::UnavailableError(
        "UpdateSharingChoices: this server keeps no sharing choices");
  }
  for (int attempt = 1;; ++attempt) {
    // Who leads is read afresh on each attempt: the lead may have passed on
    // while another change won the race.
    ASSIGN_OR_RETURN(v1::CarePlan plan,
                     LoadForRead(person_id, RemoteCalls::kAllowed));
    RETURN_IF_ERROR(policy::RequireSharingChange(
        caller, plan.person(),
        !plan.lead_team().empty() && plan.lead_team() == caller.team));
    if (attempt == 1) {
      for (const v1::SharingRule& rule : request.sharing_choices().rules()) {
        if (!rule.team().empty()) RETURN_IF_ERROR(CheckTeamExists(rule.team()));
      }
    }
    ASSIGN_OR_RETURN(std::optional<v1::SharingChoices> current,
                     sharing_->GetCurrent(person_id));
    const int64_t version = current.has_value() ? current->version() : 0;
    if (!request.etag().empty() && request.etag() != EtagOf(version)) {
      return carebridge::errors::StaleEtag(SharingChoicesName(person_id));
    }
    v1::SharingChoices next;
    *next.mutable_rules() = request.sharing_choices().rules();
    if (SameRules(next, current.value_or(v1::SharingChoices()))) {
      return PresentSharing(person_id, plan.lead_team(), std::move(current));
    }
    next.set_person(person);
    next.set_version(version + 1);
    next.set_updated_by(caller.subject);
    next.set_updated_by_team(caller.team);
    *next.mutable_update_time() = ToProtoTimestamp(clock_->Now());
    next.set_reason(request.reason());
    std::vector<std::string> teams;
    for (const v1::CareTeamMember& member : plan.care_team()) {
      if (!member.has_end_time()) teams.push_back(member.team());
    }
    absl::Status appended = sharing_->Append(person_id, next, teams);
    if (appended.ok())
      return PresentSharing(person_id, plan.lead_team(), std::move(next));
    if (!absl::IsAborted(appended)) return appended;
    if (attempt == kMaxSharingAttempts) {
      return errors::KeptChanging(SharingChoicesName(person_id), attempt);
    }
  }
}

absl::StatusOr<v1::ListSharingChoicesVersionsResponse>
CarePlanDomain::ListSharingChoicesVersions(
    const Principal& caller,
    const v1::ListSharingChoicesVersionsRequest& request) {
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseSharingChoicesName("parent", request.parent()));
  ASSIGN_OR_RETURN(int page_size,
                   CheckPageSize("page_size", request.page_size()));
  const std::string fingerprint =
      absl::StrCat("ListSharingChoicesVersions|", request.parent());
  ASSIGN_OR_RETURN(int64_t before, DecodeBelowNumberPageToken(
                                       request.page_token(), fingerprint));
  ASSIGN_OR_RETURN(v1::CarePlan plan,
                   LoadReadable(caller, person_id, "ListSharingChoicesVersions",
                                RemoteCalls::kAllowed));
  v1::ListSharingChoicesVersionsResponse response;
  if (sharing_ == nullptr) return response;
  ASSIGN_OR_RETURN(std::vector<v1::SharingChoices> versions,
                   sharing_->ListVersions(person_id, before, page_size));
  const bool in_full =
      ReadsChoicesInFull(caller, plan.person(), plan.lead_team());
  for (v1::SharingChoices& version : versions) {
    v1::SharingChoices* shown = response.add_versions();
    *shown = PresentSharing(person_id, plan.lead_team(), std::move(version));
    if (!in_full) OutlineChoices(*shown);
  }
  if (static_cast<int>(versions.size()) == page_size &&
      response.versions(page_size - 1).version() > 1) {
    response.set_next_page_token(EncodePageToken(
        fingerprint,
        {absl::StrCat(response.versions(page_size - 1).version())}));
  }
  return response;
}

}  // namespace carebridge::careplan
