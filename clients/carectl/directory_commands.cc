// `carectl team|member|token|person …`: the directory.

#include "absl/strings/match.h"
#include "clients/carectl/command.h"
#include "clients/carectl/directory_format.h"
#include "clients/carectl/directory_requests.h"
#include "clients/carectl/format.h"
#include "clients/carectl/name_resolver.h"
#include "clients/carectl/names.h"
#include "clients/carectl/token_out.h"

namespace carebridge::carectl {
namespace {

namespace dir = ::carebridge::directory::v1;

const std::vector<std::string> kTeamColumns = {"name", "display_name", "sector",
                                               "accepting_referrals"};
const std::vector<std::string> kMemberColumns = {
    "name", "display_name", "role", "team", "state", "email"};
const std::vector<std::string> kPersonColumns = {
    "name", "nhs_number", "family_name", "given_name", "birth_date"};

std::vector<FlagSpec> Concat(std::vector<FlagSpec> a,
                             const std::vector<FlagSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<FlagSpec> Required(std::vector<FlagSpec> specs,
                               const std::vector<std::string>& names) {
  for (FlagSpec& spec : specs) {
    for (const std::string& name : names) {
      if (spec.name == name) spec.required = true;
    }
  }
  return specs;
}

int TeamCreate(Session& s, const Invocation& in) {
  auto request = BuildCreateTeamRequest(in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  dir::Team team;
  return s.Finish(
      s.directory().CreateTeam(s.NewContext().get(), *request, &team), team);
}

int TeamGet(Session& s, const Invocation& in) {
  dir::GetTeamRequest request;
  request.set_name(ResourceName("teams", in.args[0]));
  dir::Team team;
  return s.Finish(s.directory().GetTeam(s.NewContext().get(), request, &team),
                  team);
}

int TeamList(Session& s, const Invocation& in) {
  auto request = BuildListTeamsRequest(in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  dir::ListTeamsResponse response;
  grpc::Status status = FetchPages(
      s, *request, in.flags.GetBool("all"),
      [&s](grpc::ClientContext* c, const dir::ListTeamsRequest& r,
           dir::ListTeamsResponse* out) {
        return s.directory().ListTeams(c, r, out);
      },
      &response);
  return s.Finish(status, response, [&response](std::ostream& out) {
    PrintList(out, Rows(response.teams()), kTeamColumns,
              response.next_page_token());
  });
}

int TeamUpdate(Session& s, const Invocation& in) {
  dir::ResponseDeadlines current;
  if (UpdatesDeadlines(in.flags)) {
    dir::GetTeamRequest get;
    get.set_name(ResourceName("teams", in.args[0]));
    dir::Team team;
    grpc::Status status =
        s.directory().GetTeam(s.NewContext().get(), get, &team);
    if (!status.ok()) return s.RpcError(status);
    current = team.response_deadlines();
  }
  auto request = BuildUpdateTeamRequest(in.args[0], in.flags, current);
  if (!request.ok()) return s.UsageError(request.status());
  dir::Team team;
  return s.Finish(
      s.directory().UpdateTeam(s.NewContext().get(), *request, &team), team);
}

int MemberCreate(Session& s, const Invocation& in) {
  auto request = BuildCreateMemberRequest(in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  dir::Member member;
  return s.Finish(
      s.directory().CreateMember(s.NewContext().get(), *request, &member),
      member);
}

int MemberGet(Session& s, const Invocation& in) {
  dir::GetMemberRequest request;
  request.set_name(ResourceName("members", in.args[0]));
  dir::Member member;
  return s.Finish(
      s.directory().GetMember(s.NewContext().get(), request, &member), member);
}

int MemberList(Session& s, const Invocation& in) {
  auto request = BuildListMembersRequest(in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  dir::ListMembersResponse response;
  grpc::Status status = FetchPages(
      s, *request, in.flags.GetBool("all"),
      [&s](grpc::ClientContext* c, const dir::ListMembersRequest& r,
           dir::ListMembersResponse* out) {
        return s.directory().ListMembers(c, r, out);
      },
      &response);
  return s.Finish(status, response, [&response](std::ostream& out) {
    PrintList(out, Rows(response.members()), kMemberColumns,
              response.next_page_token());
  });
}

int MemberUpdate(Session& s, const Invocation& in) {
  auto request = BuildUpdateMemberRequest(in.args[0], in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  dir::Member member;
  return s.Finish(
      s.directory().UpdateMember(s.NewContext().get(), *request, &member),
      member);
}

int MemberDeactivate(Session& s, const Invocation& in) {
  dir::DeactivateMemberRequest request;
  request.set_name(ResourceName("members", in.args[0]));
  request.set_reason(in.flags.Get("reason"));
  request.set_etag(in.flags.Get("etag"));
  dir::Member member;
  return s.Finish(
      s.directory().DeactivateMember(s.NewContext().get(), request, &member),
      member);
}

int MemberReactivate(Session& s, const Invocation& in) {
  dir::ReactivateMemberRequest request;
  request.set_name(ResourceName("members", in.args[0]));
  request.set_etag(in.flags.Get("etag"));
  dir::Member member;
  return s.Finish(
      s.directory().ReactivateMember(s.NewContext().get(), request, &member),
      member);
}

int TokenRevoke(Session& s, const Invocation& in) {
  dir::RevokeTokenRequest request;
  request.set_member(ResourceName("members", in.args[0]));
  request.set_token_id(in.args[1]);
  request.set_reason(in.flags.Get("reason"));
  dir::TokenRevocation revocation;
  return s.Finish(
      s.directory().RevokeToken(s.NewContext().get(), request, &revocation),
      revocation);
}

int TokenRevokeAll(Session& s, const Invocation& in) {
  dir::RevokeMemberTokensRequest request;
  request.set_name(ResourceName("members", in.args[0]));
  request.set_reason(in.flags.Get("reason"));
  dir::Member member;
  return s.Finish(
      s.directory().RevokeMemberTokens(s.NewContext().get(), request, &member),
      member);
}

int TokenIssue(Session& s, const Invocation& in) {
  auto request = BuildIssueTokenRequest(in.args[0], in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  dir::IssueTokenResponse response;
  grpc::Status status =
      s.directory().IssueToken(s.NewContext().get(), *request, &response);
  return FinishIssuedToken(s, status, response, response.mutable_token(), in);
}

int PersonRegister(Session& s, const Invocation& in) {
  auto request = BuildCreatePersonRequest(in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  dir::Person person;
  grpc::Status status =
      s.directory().CreatePerson(s.NewContext().get(), *request, &person);
  int code = s.Finish(status, person);
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
      absl::StrContains(status.error_message(), "may be registered already")) {
    s.err() << "carectl: the same person? use their record (carectl person "
               "get NAME); someone else? register again with "
               "--allow_duplicate\n";
  }
  return code;
}

int PersonGet(Session& s, const Invocation& in) {
  dir::GetPersonRequest request;
  request.set_name(ResourceName("persons", in.args[0]));
  dir::Person person;
  grpc::Status status =
      s.directory().GetPerson(s.NewContext().get(), request, &person);
  return s.Finish(status, person, [&](std::ostream& out) {
    if (person.merged_into().empty()) {
      PrintPerson(out, person);
      return;
    }
    // Only the person kept is looked up: the one to use instead.
    NameResolver names = DirectoryNames(s);
    PrintPerson(out, person, names.For({person.merged_into()}));
  });
}

int PersonUpdate(Session& s, const Invocation& in) {
  auto request = BuildUpdatePersonRequest(in.args[0], in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  dir::Person person;
  return s.Finish(
      s.directory().UpdatePerson(s.NewContext().get(), *request, &person),
      person);
}

int PersonMerge(Session& s, const Invocation& in) {
  auto request = BuildMergePersonsRequest(in.args[0], in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  dir::Person kept;
  grpc::Status status =
      s.directory().MergePersons(s.NewContext().get(), *request, &kept);
  return s.Finish(status, kept, [&](std::ostream& out) {
    out << "merged " << request->duplicate() << " into " << kept.name()
        << ", the person kept (cannot be undone)\n\n";
    PrintPerson(out, kept);
  });
}

int PersonFind(Session& s, const Invocation& in) {
  auto request = BuildFindPersonsRequest(in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  dir::FindPersonsResponse response;
  grpc::Status status =
      s.directory().FindPersons(s.NewContext().get(), *request, &response);
  return s.Finish(status, response, [&response](std::ostream& out) {
    PrintTable(out, Rows(response.persons()), kPersonColumns);
  });
}

}  // namespace

std::vector<Command> DirectoryCommands() {
  const std::vector<FlagSpec> request_id = {{"request_id", FlagKind::kValue}};
  return {
      {"team",
       "create",
       "team create --display_name=TEXT --sector=SECTOR "
       "[--accepting_referrals=true|false] [--routine=14d] [--urgent=72h] "
       "[--crisis=4h] [--service_description=TEXT] [--eligibility=TEXT] "
       "[--contact=TEXT] [--request_id=ID]",
       "Create a team (admins). New teams accept referrals unless "
       "--accepting_referrals=false. SECTOR: crisis, "
       "community_mental_health, voluntary_sector, primary_care, inpatient, "
       "social_care, other.",
       {},
       Concat(Required(TeamFieldFlags(), {"display_name", "sector"}),
              request_id),
       TeamCreate},
      {"team", "get", "team get NAME", "Show one team.", {"NAME"}, {}, TeamGet},
      {"team",
       "list",
       "team list [--sector=SECTOR] [--accepting_only] [--page_size=N] "
       "[--page_token=T] [--all]",
       "List teams in name order.",
       {},
       Concat(
           {{"sector", FlagKind::kValue}, {"accepting_only", FlagKind::kBool}},
           PagingFlags()),
       TeamList},
      {"team",
       "update",
       "team update NAME --etag=ETAG [any team create flag]",
       "Change exactly the fields given as flags (admins, or the team lead "
       "or manager).",
       {"NAME"},
       Concat(TeamFieldFlags(), {{"etag", FlagKind::kValue, true}}),
       TeamUpdate},
      {"member",
       "create",
       "member create --display_name=TEXT --team=TEAM --role=ROLE "
       "[--email=ADDRESS] [--request_id=ID]",
       "Add a member to a team: admins add admins and team managers, a "
       "team's manager its clinical staff. ROLE: clinician, "
       "care_coordinator, team_lead, peer_support_worker, team_manager, "
       "admin (admins need no --team).",
       {},
       {{"display_name", FlagKind::kValue, true},
        {"team", FlagKind::kValue},
        {"role", FlagKind::kValue, true},
        {"email", FlagKind::kValue},
        {"request_id", FlagKind::kValue}},
       MemberCreate},
      {"member",
       "get",
       "member get NAME",
       "Show one member.",
       {"NAME"},
       {},
       MemberGet},
      {"member",
       "list",
       "member list --team=TEAM [--page_size=N] [--page_token=T] [--all]",
       "List the members of a team.",
       {},
       Concat({{"team", FlagKind::kValue, true}}, PagingFlags()),
       MemberList},
      {"member",
       "update",
       "member update NAME --etag=ETAG [--display_name=TEXT] [--email=ADDRESS] "
       "[--role=ROLE] [--team=TEAM]",
       "Change exactly the fields given (whoever manages the member). A new "
       "role or team ends "
       "the member's earlier tokens in every service within 5 seconds.",
       {"NAME"},
       {{"etag", FlagKind::kValue, true},
        {"display_name", FlagKind::kValue},
        {"email", FlagKind::kValue},
        {"role", FlagKind::kValue},
        {"team", FlagKind::kValue}},
       MemberUpdate},
      {"member",
       "deactivate",
       "member deactivate NAME --reason=TEXT [--etag=ETAG]",
       "Deactivate a member (admins, or their manager): none of their tokens "
       "works any more, "
       "in every service within 5 seconds, and none is issued until "
       "reactivated.",
       {"NAME"},
       {{"reason", FlagKind::kValue, true}, {"etag", FlagKind::kValue}},
       MemberDeactivate},
      {"member",
       "reactivate",
       "member reactivate NAME [--etag=ETAG]",
       "Make a deactivated member active again (whoever manages them); they "
       "need a new "
       "token.",
       {"NAME"},
       {{"etag", FlagKind::kValue}},
       MemberReactivate},
      {"token",
       "revoke",
       "token revoke MEMBER TOKEN_ID --reason=TEXT",
       "End one token (admins, the member's manager, or the member themself) "
       "in every service "
       "within 5 seconds. TOKEN_ID: from `carectl --output=json token "
       "issue`.",
       {"MEMBER", "TOKEN_ID"},
       {{"reason", FlagKind::kValue, true}},
       TokenRevoke},
      {"token",
       "revoke-all",
       "token revoke-all MEMBER --reason=TEXT",
       "End every token the member holds now (admins, their manager, or the "
       "member "
       "themself: sign out everywhere); new ones may be issued at once.",
       {"MEMBER"},
       {{"reason", FlagKind::kValue, true}},
       TokenRevokeAll},
      {"token",
       "issue",
       "token issue MEMBER [--ttl=12h] [--out=FILE]",
       "Issue a bearer token for a member (admins for admins and team "
       "managers, a team's manager for its clinical staff). Prints only the "
       "token: "
       "TOKEN=$(carectl token issue members/ID); --out=FILE writes it to "
       "FILE instead, readable by you only (mode 0600).",
       {"MEMBER"},
       {{"ttl", FlagKind::kValue}, TokenOutFlag()},
       TokenIssue},
      {"person",
       "register",
       "person register --given_name=TEXT --family_name=TEXT "
       "--birth_date=YYYY-MM-DD [--nhs_number=NUMBER] "
       "[--preferred_name=TEXT] [--local_id=SYSTEM=VALUE]... "
       "[--request_id=ID] [--allow_duplicate]",
       "Register a person (clinical staff). A person with the same given "
       "(or preferred) and family name and birth date, where either has no "
       "NHS number, may be registered already: refused, naming them, unless "
       "--allow_duplicate confirms this is someone else.",
       {},
       {{"given_name", FlagKind::kValue, true},
        {"family_name", FlagKind::kValue, true},
        {"birth_date", FlagKind::kValue, true},
        {"nhs_number", FlagKind::kValue},
        {"preferred_name", FlagKind::kValue},
        {"local_id", FlagKind::kRepeated},
        {"request_id", FlagKind::kValue},
        {"allow_duplicate", FlagKind::kBool}},
       PersonRegister},
      {"person",
       "get",
       "person get NAME",
       "Show one person; one merged into another (registered twice) says "
       "so first, naming the person to use instead.",
       {"NAME"},
       {},
       PersonGet},
      {"person",
       "find",
       "person find --nhs_number=NUMBER | --family_name=TEXT "
       "--birth_date=YYYY-MM-DD",
       "Find persons by NHS number, or by family name and date of birth.",
       {},
       {{"nhs_number", FlagKind::kValue},
        {"family_name", FlagKind::kValue},
        {"birth_date", FlagKind::kValue}},
       PersonFind},
      {"person",
       "update",
       "person update NAME --etag=ETAG [--given_name=TEXT] "
       "[--family_name=TEXT] [--preferred_name=TEXT] "
       "[--birth_date=YYYY-MM-DD] [--nhs_number=NUMBER] "
       "[--local_id=SYSTEM=VALUE]... [--clear_local_ids]",
       "Correct a person's registered details (clinical staff of a team "
       "caring for them). Only the details given change; --local_id "
       "replaces every local identifier. --etag is the one `person get` "
       "shows (a stale one is ABORTED: read again).",
       {"NAME"},
       {{"etag", FlagKind::kValue, true},
        {"given_name", FlagKind::kValue},
        {"family_name", FlagKind::kValue},
        {"preferred_name", FlagKind::kValue},
        {"birth_date", FlagKind::kValue},
        {"nhs_number", FlagKind::kValue},
        {"local_id", FlagKind::kRepeated},
        {"clear_local_ids", FlagKind::kBool}},
       PersonUpdate},
      {"person",
       "merge",
       "person merge DUPLICATE --into=PERSON --etag=ETAG",
       "Merge a person registered twice into the one kept (--into): "
       "DUPLICATE stays readable, pointing to PERSON, and is no longer "
       "found. Clinical staff of the lead team of the person kept who also "
       "care for the duplicate. Cannot be undone. Refused when the two have "
       "different NHS numbers or birth dates, when only the duplicate has an "
       "NHS number (keep that one instead), or while the duplicate has a "
       "care plan or a referral or handover awaiting an answer (close or "
       "move it first). --etag is the duplicate's, as `person get "
       "DUPLICATE` shows it (a stale one is ABORTED: read again).",
       {"DUPLICATE"},
       {{"into", FlagKind::kValue}, {"etag", FlagKind::kValue}},
       PersonMerge},
  };
}

}  // namespace carebridge::carectl
