// CarePlanDomain: the reads (the plan, its versions, what changed).

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/careplan/care_team.h"
#include "services/careplan/careplan_diff.h"
#include "services/careplan/careplan_domain.h"
#include "services/careplan/careplan_names.h"
#include "services/careplan/careplan_validation.h"
#include "services/careplan/careplan_version.h"
#include "services/careplan/errors.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/page_token.h"
#include "services/common/policy.h"
#include "services/common/resource_size.h"
#include "services/common/validation.h"

namespace carebridge::careplan {
namespace {

// A diff lists at most this many of the versions in its range.
constexpr int64_t kMaxDiffVersions = 100;

v1::VersionView EffectiveView(v1::VersionView view) {
  return view == v1::VERSION_VIEW_UNSPECIFIED ? v1::BASIC : view;
}

}  // namespace

absl::StatusOr<v1::CarePlan> CarePlanDomain::LoadForRead(
    absl::string_view person_id, RemoteCalls remote) {
  absl::StatusOr<v1::CarePlan> current = store_->GetCurrent(person_id);
  if (current.ok() || !absl::IsNotFound(current.status())) return current;
  return NoPlan(person_id, remote);
}

absl::Status CarePlanDomain::NoPlan(absl::string_view person_id,
                                    RemoteCalls remote) {
  if (remote == RemoteCalls::kDeferred) return RemoteCallDeferred();
  // Only a plan that is not there costs a directory call: to say whether
  // the person is unknown or simply has no plan yet.
  const std::string person = PersonName(person_id);
  absl::Status known = directory_->CheckPersonExists(person);
  if (absl::IsNotFound(known)) return errors::PersonNotFound(person);
  // Merged into another person: the message says which to use.
  if (absl::IsFailedPrecondition(known)) return known;
  if (!known.ok()) return errors::DirectoryFailed(known);
  return errors::NoPlanYet(person);
}

absl::StatusOr<v1::CarePlan> CarePlanDomain::LoadReadable(
    const Principal& caller, absl::string_view person_id,
    absl::string_view action, RemoteCalls remote, OutsideRead* how) {
  RETURN_IF_ERROR(policy::RequireCarePlanRole(caller, /*services_may=*/true,
                                              action, /*persons_may=*/true));
  // A person learns nothing of anyone else's plan, not even whether it
  // exists.
  if (caller.is_person()) {
    RETURN_IF_ERROR(
        policy::RequireOwnRecord(caller, PersonName(person_id), action));
  }
  ASSIGN_OR_RETURN(v1::CarePlan plan, LoadForRead(person_id, remote));
  ASSIGN_OR_RETURN(OutsideRead read,
                   RequireReadable(caller, plan, action, remote));
  if (how != nullptr) *how = read;
  return plan;
}

absl::StatusOr<v1::CarePlan> CarePlanDomain::VersionOf(
    const v1::CarePlan& current, int64_t version) {
  const std::string person_id = PersonIdOf(current);
  if (version == current.version()) return current;
  if (version > current.version()) {
    return errors::VersionNotFound(CarePlanVersionName(person_id, version));
  }
  absl::StatusOr<v1::CarePlan> stored = store_->GetVersion(person_id, version);
  if (absl::IsNotFound(stored.status())) {
    return errors::VersionNotFound(CarePlanVersionName(person_id, version));
  }
  return stored;
}

absl::StatusOr<v1::CarePlan> CarePlanDomain::GetCarePlan(
    const Principal& caller, const v1::GetCarePlanRequest& request,
    RemoteCalls remote) {
  RETURN_IF_ERROR(ValidateGet(request));
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseCarePlanName("name", request.name()));
  OutsideRead how = OutsideRead::kNone;
  ASSIGN_OR_RETURN(
      v1::CarePlan plan,
      LoadReadable(caller, person_id, "GetCarePlan", remote, &how));
  ASSIGN_OR_RETURN(SharedParts parts, ReadableParts(caller, plan, remote, how));
  v1::CarePlan shown = PresentCurrent(std::move(plan));
  Withhold(parts, caller.team, shown);
  return shown;
}

absl::StatusOr<std::string> CarePlanDomain::GetCarePlanWire(
    const Principal& caller, const v1::GetCarePlanRequest& request,
    RemoteCalls remote) {
  RETURN_IF_ERROR(ValidateGet(request));
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseCarePlanName("name", request.name()));
  RETURN_IF_ERROR(policy::RequireCarePlanRole(caller, /*services_may=*/true,
                                              "GetCarePlan",
                                              /*persons_may=*/true));
  if (caller.is_person()) {
    RETURN_IF_ERROR(
        policy::RequireOwnRecord(caller, PersonName(person_id), "GetCarePlan"));
  }
  absl::StatusOr<std::shared_ptr<const CurrentPlan>> current =
      store_->GetCurrentShared(person_id);
  if (absl::IsNotFound(current.status())) return NoPlan(person_id, remote);
  if (!current.ok()) return current.status();
  const v1::CarePlan& plan = (*current)->plan;
  ASSIGN_OR_RETURN(OutsideRead how,
                   RequireReadable(caller, plan, "GetCarePlan", remote));
  ASSIGN_OR_RETURN(SharedParts parts, ReadableParts(caller, plan, remote, how));
  if (!parts.HasWholePlan()) {
    v1::CarePlan shown = PresentCurrent(plan);
    Withhold(parts, caller.team, shown);
    return shown.SerializeAsString();
  }
  NoteSectionsShown(parts);
  // Serialized messages concatenate as a merge: the stored plan has no name
  // or etag, so appending them gives exactly what PresentCurrent shows.
  v1::CarePlan presentation;
  presentation.set_name(CarePlanName(person_id));
  presentation.set_etag(EtagOf(plan.version()));
  std::string wire;
  const std::string suffix = presentation.SerializeAsString();
  wire.reserve((*current)->wire.size() + suffix.size());
  wire.append((*current)->wire).append(suffix);
  return wire;
}

absl::StatusOr<v1::ListCarePlanVersionsResponse>
CarePlanDomain::ListCarePlanVersions(
    const Principal& caller, const v1::ListCarePlanVersionsRequest& request,
    RemoteCalls remote) {
  RETURN_IF_ERROR(ValidateListVersions(request));
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseCarePlanName("parent", request.parent()));
  ASSIGN_OR_RETURN(int page_size,
                   CheckPageSize("page_size", request.page_size()));
  const v1::VersionView view = EffectiveView(request.view());
  const std::string fingerprint =
      absl::StrCat(request.parent(), "|", v1::VersionView_Name(view));
  ASSIGN_OR_RETURN(int64_t before, DecodeBelowNumberPageToken(
                                       request.page_token(), fingerprint));
  ASSIGN_OR_RETURN(
      v1::CarePlan current,
      LoadReadable(caller, person_id, "ListCarePlanVersions", remote));

  ASSIGN_OR_RETURN(SharedParts parts, ReadableParts(caller, current, remote));
  ASSIGN_OR_RETURN(std::vector<v1::CarePlan> versions,
                   store_->ListVersions(person_id, before, page_size));
  v1::ListCarePlanVersionsResponse response;
  // At most kMaxListPageBytes of versions (at least one): whole versions of
  // the largest plans (each up to kMaxPlanBytes) would pass the 4 MB a
  // default gRPC client accepts well within a page of 50.
  ListPageBudget budget;
  bool cut = false;
  for (const v1::CarePlan& version : versions) {
    v1::CarePlan shown = PresentVersion(version, view);
    Withhold(parts, caller.team, shown);
    if (!budget.Takes(shown.ByteSizeLong())) {
      cut = true;
      break;
    }
    *response.add_versions() = std::move(shown);
  }
  // Versions run 1..current without gaps, so a full or cut page that did
  // not reach version 1 has more after it.
  if (response.versions_size() > 0 &&
      (cut || static_cast<int>(versions.size()) == page_size)) {
    const int64_t last =
        response.versions(response.versions_size() - 1).version();
    if (last > 1) {
      response.set_next_page_token(
          EncodePageToken(fingerprint, {absl::StrCat(last)}));
    }
  }
  return response;
}

absl::StatusOr<v1::CarePlan> CarePlanDomain::GetCarePlanVersion(
    const Principal& caller, const v1::GetCarePlanVersionRequest& request,
    RemoteCalls remote) {
  RETURN_IF_ERROR(ValidateGetVersion(request));
  ASSIGN_OR_RETURN(CarePlanVersionRef ref,
                   ParseCarePlanVersionName("name", request.name()));
  // Need to know is about now: access follows the current care team.
  ASSIGN_OR_RETURN(
      v1::CarePlan current,
      LoadReadable(caller, ref.person_id, "GetCarePlanVersion", remote));
  ASSIGN_OR_RETURN(v1::CarePlan version, VersionOf(current, ref.version));
  ASSIGN_OR_RETURN(SharedParts parts, ReadableParts(caller, current, remote));
  v1::CarePlan shown = PresentVersion(version, v1::FULL);
  Withhold(parts, caller.team, shown);
  return shown;
}

absl::StatusOr<v1::CarePlanDiff> CarePlanDomain::DiffCarePlanVersions(
    const Principal& caller, const v1::DiffCarePlanVersionsRequest& request,
    RemoteCalls remote) {
  RETURN_IF_ERROR(ValidateDiff(request));
  ASSIGN_OR_RETURN(std::string person_id,
                   ParseCarePlanName("name", request.name()));
  ASSIGN_OR_RETURN(
      v1::CarePlan current,
      LoadReadable(caller, person_id, "DiffCarePlanVersions", remote));
  ASSIGN_OR_RETURN(v1::CarePlan from,
                   VersionOf(current, request.from_version()));
  const int64_t to_version =
      request.to_version() == 0 ? current.version() : request.to_version();
  // `from_version` exists, so the current version is at least it.
  ASSIGN_OR_RETURN(v1::CarePlan to, VersionOf(current, to_version));
  // The diff is between what the caller may see of the two versions.
  ASSIGN_OR_RETURN(SharedParts parts, ReadableParts(caller, current, remote));
  Withhold(parts, caller.team, from);
  Withhold(parts, caller.team, to);

  v1::CarePlanDiff diff;
  diff.set_from_version(CarePlanVersionName(person_id, from.version()));
  diff.set_to_version(CarePlanVersionName(person_id, to.version()));
  for (v1::SectionDiff& section : DiffSections(from, to)) {
    for (const v1::SectionStamp& stamp : to.section_stamps()) {
      if (stamp.section() == section.section()) {
        *section.mutable_last_changed() = stamp;
      }
    }
    *diff.add_sections() = std::move(section);
  }
  const int64_t between = to.version() - from.version();
  if (between > 0) {
    ASSIGN_OR_RETURN(std::vector<v1::CarePlan> versions,
                     store_->ListVersions(person_id, to.version() + 1,
                                          static_cast<int>(std::min(
                                              kMaxDiffVersions, between))));
    for (const v1::CarePlan& version : versions) {
      v1::CarePlan* shown = diff.add_versions();
      *shown = PresentVersion(version, v1::BASIC);
      Withhold(parts, caller.team, *shown);
    }
  }
  ListWithheld(parts, diff.mutable_withheld());
  return diff;
}

}  // namespace carebridge::careplan
