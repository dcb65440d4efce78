#include "clients/carectl/directory_requests.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "clients/carectl/enums.h"
#include "clients/carectl/names.h"
#include "services/common/macros.h"

namespace carebridge::carectl {
namespace {

namespace dir = ::carebridge::directory::v1;

google::protobuf::Duration ToProto(absl::Duration d) {
  google::protobuf::Duration out;
  int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

absl::Status SetDeadline(const Flags& flags, const std::string& urgency,
                         google::protobuf::Duration* field) {
  ASSIGN_OR_RETURN(absl::Duration d,
                   flags.GetDuration(urgency, absl::ZeroDuration()));
  *field = ToProto(d);
  return absl::OkStatus();
}

// Sets the team fields given as flags and returns their mask paths.
absl::StatusOr<std::vector<std::string>> ApplyTeamFlags(const Flags& flags,
                                                        dir::Team* team) {
  std::vector<std::string> paths;
  auto add_path = [&paths](const std::string& path) {
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) {
      paths.push_back(path);
    }
  };
  for (const std::string& name : flags.given()) {
    std::string value = flags.Get(name);
    if (name == "display_name") {
      team->set_display_name(value);
    } else if (name == "sector") {
      ASSIGN_OR_RETURN(dir::Sector sector,
                       ParseEnumFlag<dir::Sector>(name, value));
      team->set_sector(sector);
    } else if (name == "accepting_referrals") {
      team->set_accepting_referrals(flags.GetBool(name));
    } else if (name == "routine" || name == "urgent" || name == "crisis") {
      dir::ResponseDeadlines* deadlines = team->mutable_response_deadlines();
      if (flags.Has("routine")) {
        RETURN_IF_ERROR(
            SetDeadline(flags, "routine", deadlines->mutable_routine()));
      }
      if (flags.Has("urgent")) {
        RETURN_IF_ERROR(
            SetDeadline(flags, "urgent", deadlines->mutable_urgent()));
      }
      if (flags.Has("crisis")) {
        RETURN_IF_ERROR(
            SetDeadline(flags, "crisis", deadlines->mutable_crisis()));
      }
      add_path("response_deadlines");
      continue;
    } else if (name == "service_description") {
      team->set_service_description(value);
    } else if (name == "eligibility") {
      team->set_eligibility(value);
    } else if (name == "contact") {
      team->set_contact(value);
    } else {
      continue;  // not a team field (e.g. --etag, --request_id)
    }
    add_path(name);
  }
  return paths;
}

}  // namespace

std::vector<FlagSpec> TeamFieldFlags() {
  return {{"display_name", FlagKind::kValue},
          {"sector", FlagKind::kValue},
          {"accepting_referrals", FlagKind::kBool},
          {"routine", FlagKind::kValue},
          {"urgent", FlagKind::kValue},
          {"crisis", FlagKind::kValue},
          {"service_description", FlagKind::kValue},
          {"eligibility", FlagKind::kValue},
          {"contact", FlagKind::kValue}};
}

absl::StatusOr<dir::CreateTeamRequest> BuildCreateTeamRequest(
    const Flags& flags) {
  dir::CreateTeamRequest request;
  dir::Team* team = request.mutable_team();
  team->set_accepting_referrals(true);
  RETURN_IF_ERROR(ApplyTeamFlags(flags, team).status());
  request.set_request_id(flags.Get("request_id"));
  return request;
}

bool UpdatesDeadlines(const Flags& flags) {
  return flags.Has("routine") || flags.Has("urgent") || flags.Has("crisis");
}

absl::StatusOr<dir::UpdateTeamRequest> BuildUpdateTeamRequest(
    const std::string& name, const Flags& flags,
    const dir::ResponseDeadlines& current) {
  dir::UpdateTeamRequest request;
  dir::Team* team = request.mutable_team();
  team->set_name(ResourceName("teams", name));
  if (UpdatesDeadlines(flags)) *team->mutable_response_deadlines() = current;
  ASSIGN_OR_RETURN(std::vector<std::string> paths, ApplyTeamFlags(flags, team));
  if (paths.empty()) {
    return absl::InvalidArgumentError(
        "give at least one field to change, e.g. --accepting_referrals=false");
  }
  for (const std::string& path : paths)
    request.mutable_update_mask()->add_paths(path);
  request.set_etag(flags.Get("etag"));
  return request;
}

absl::StatusOr<dir::ListTeamsRequest> BuildListTeamsRequest(
    const Flags& flags) {
  dir::ListTeamsRequest request;
  if (flags.Has("sector")) {
    ASSIGN_OR_RETURN(dir::Sector sector,
                     ParseEnumFlag<dir::Sector>("sector", flags.Get("sector")));
    request.set_sector(sector);
  }
  request.set_accepting_referrals_only(flags.GetBool("accepting_only"));
  ASSIGN_OR_RETURN(int page_size, flags.GetPositiveInt("page_size"));
  request.set_page_size(page_size);
  request.set_page_token(flags.Get("page_token"));
  return request;
}

absl::StatusOr<dir::CreateMemberRequest> BuildCreateMemberRequest(
    const Flags& flags) {
  dir::CreateMemberRequest request;
  dir::Member* member = request.mutable_member();
  member->set_display_name(flags.Get("display_name"));
  member->set_team(ResourceName("teams", flags.Get("team")));
  ASSIGN_OR_RETURN(dir::Role role,
                   ParseEnumFlag<dir::Role>("role", flags.Get("role")));
  member->set_role(role);
  member->set_email(flags.Get("email"));
  request.set_request_id(flags.Get("request_id"));
  return request;
}

absl::StatusOr<dir::ListMembersRequest> BuildListMembersRequest(
    const Flags& flags) {
  dir::ListMembersRequest request;
  request.set_team(ResourceName("teams", flags.Get("team")));
  ASSIGN_OR_RETURN(int page_size, flags.GetPositiveInt("page_size"));
  request.set_page_size(page_size);
  request.set_page_token(flags.Get("page_token"));
  return request;
}

absl::StatusOr<dir::UpdateMemberRequest> BuildUpdateMemberRequest(
    const std::string& member, const Flags& flags) {
  dir::UpdateMemberRequest request;
  dir::Member* patch = request.mutable_member();
  patch->set_name(ResourceName("members", member));
  request.set_etag(flags.Get("etag"));
  google::protobuf::FieldMask* mask = request.mutable_update_mask();
  if (flags.Has("display_name")) {
    patch->set_display_name(flags.Get("display_name"));
    mask->add_paths("display_name");
  }
  if (flags.Has("email")) {
    patch->set_email(flags.Get("email"));
    mask->add_paths("email");
  }
  if (flags.Has("role")) {
    ASSIGN_OR_RETURN(dir::Role role,
                     ParseEnumFlag<dir::Role>("role", flags.Get("role")));
    patch->set_role(role);
    mask->add_paths("role");
  }
  if (flags.Has("team")) {
    if (!flags.Get("team").empty()) {
      patch->set_team(ResourceName("teams", flags.Get("team")));
    }
    mask->add_paths("team");
  }
  if (mask->paths().empty()) {
    return absl::InvalidArgumentError(
        "member update: give at least one of --display_name, --email, "
        "--role, --team");
  }
  return request;
}

absl::StatusOr<dir::IssueTokenRequest> BuildIssueTokenRequest(
    const std::string& member, const Flags& flags) {
  dir::IssueTokenRequest request;
  request.set_member(ResourceName("members", member));
  if (flags.Has("ttl")) {
    ASSIGN_OR_RETURN(absl::Duration ttl,
                     flags.GetDuration("ttl", absl::ZeroDuration()));
    *request.mutable_ttl() = ToProto(ttl);
  }
  return request;
}

namespace {

// --local_id=SYSTEM=VALUE flags as the person's local identifiers.
absl::Status AddLocalIds(const Flags& flags, dir::Person* person) {
  for (const std::string& local_id : flags.GetAll("local_id")) {
    size_t eq = local_id.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == local_id.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--local_id: expected SYSTEM=VALUE, not '", local_id, "'"));
    }
    dir::LocalIdentifier* id = person->add_local_identifiers();
    id->set_system(local_id.substr(0, eq));
    id->set_value(local_id.substr(eq + 1));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<dir::UpdatePersonRequest> BuildUpdatePersonRequest(
    const std::string& person, const Flags& flags) {
  dir::UpdatePersonRequest request;
  dir::Person* patch = request.mutable_person();
  patch->set_name(ResourceName("persons", person));
  request.set_etag(flags.Get("etag"));
  google::protobuf::FieldMask* mask = request.mutable_update_mask();
  const std::pair<const char*, void (dir::Person::*)(const std::string&)>
      texts[] = {{"given_name", &dir::Person::set_given_name},
                 {"family_name", &dir::Person::set_family_name},
                 {"preferred_name", &dir::Person::set_preferred_name},
                 {"birth_date", &dir::Person::set_birth_date},
                 {"nhs_number", &dir::Person::set_nhs_number}};
  for (const auto& [flag, set] : texts) {
    if (!flags.Has(flag)) continue;
    (patch->*set)(flags.Get(flag));
    mask->add_paths(flag);
  }
  if (flags.Has("local_id") && flags.GetBool("clear_local_ids")) {
    return FlagError("clear_local_ids", "cannot be given with --local_id");
  }
  if (flags.Has("local_id") || flags.GetBool("clear_local_ids")) {
    RETURN_IF_ERROR(AddLocalIds(flags, patch));
    mask->add_paths("local_identifiers");
  }
  if (mask->paths().empty()) {
    return absl::InvalidArgumentError(
        "person update: give at least one of --given_name, --family_name, "
        "--preferred_name, --birth_date, --nhs_number, --local_id, "
        "--clear_local_ids");
  }
  return request;
}

absl::StatusOr<dir::CreatePersonRequest> BuildCreatePersonRequest(
    const Flags& flags) {
  dir::CreatePersonRequest request;
  dir::Person* person = request.mutable_person();
  person->set_given_name(flags.Get("given_name"));
  person->set_family_name(flags.Get("family_name"));
  person->set_birth_date(flags.Get("birth_date"));
  person->set_nhs_number(flags.Get("nhs_number"));
  person->set_preferred_name(flags.Get("preferred_name"));
  RETURN_IF_ERROR(AddLocalIds(flags, person));
  request.set_request_id(flags.Get("request_id"));
  request.set_allow_possible_duplicate(flags.GetBool("allow_duplicate"));
  return request;
}

absl::StatusOr<dir::MergePersonsRequest> BuildMergePersonsRequest(
    const std::string& duplicate, const Flags& flags) {
  dir::MergePersonsRequest request;
  request.set_duplicate(ResourceName("persons", duplicate));
  request.set_person(ResourceName("persons", flags.Get("into")));
  request.set_duplicate_etag(flags.Get("etag"));
  if (request.person().empty()) {
    return FlagError("into", "required: give --into=PERSON, the person kept");
  }
  if (request.person() == request.duplicate()) {
    return FlagError("into", absl::StrCat("is ", request.duplicate(),
                                          " itself: give the person kept"));
  }
  if (request.duplicate_etag().empty()) {
    // A merge cannot be undone, so it is made on the duplicate as read.
    return FlagError("etag",
                     absl::StrCat("required: read the duplicate first and give "
                                  "--etag=ETAG from `carectl person get ",
                                  request.duplicate(), "`"));
  }
  return request;
}

absl::StatusOr<dir::FindPersonsRequest> BuildFindPersonsRequest(
    const Flags& flags) {
  dir::FindPersonsRequest request;
  bool by_number = flags.Has("nhs_number");
  bool by_name = flags.Has("family_name") || flags.Has("birth_date");
  if (by_number == by_name) {
    return absl::InvalidArgumentError(
        "give --nhs_number, or --family_name with --birth_date");
  }
  if (by_name && !(flags.Has("family_name") && flags.Has("birth_date"))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flags.Has("family_name") ? "birth_date" : "family_name",
        ": required with --",
        flags.Has("family_name") ? "family_name" : "birth_date"));
  }
  request.set_nhs_number(flags.Get("nhs_number"));
  request.set_family_name(flags.Get("family_name"));
  request.set_birth_date(flags.Get("birth_date"));
  return request;
}

}  // namespace carebridge::carectl
