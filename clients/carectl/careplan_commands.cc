// `carectl careplan …`: reading and writing a person's shared care plan.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "clients/carectl/careplan_format.h"
#include "clients/carectl/careplan_requests.h"
#include "clients/carectl/careplan_update.h"
#include "clients/carectl/command.h"
#include "clients/carectl/name_resolver.h"
#include "services/common/file_util.h"

namespace carebridge::carectl {
namespace {

namespace cp = ::carebridge::careplan::v1;
using Stub = cp::CarePlanService::Stub;

template <typename Request, typename Response>
using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&,
                                      Response*);

// Calls `method` with the request the words and flags made, or reports why
// they made none. People read persons, teams and members by name.
template <typename Request, typename Response>
int Call(Session& s, Method<Request, Response> method,
         const absl::StatusOr<Request>& request,
         void (*print)(std::ostream&, const Response&)) {
  if (!request.ok()) return s.UsageError(request.status());
  return CallAndFinishNamed(s, s.careplan(), method, *request,
                            [print](std::ostream& out, const Response& response,
                                    const NameLabels& names) {
                              Response labelled = response;
                              LabelNames(&labelled, names);
                              print(out, labelled);
                            });
}

void PrintWithCareTeam(std::ostream& out, const cp::CarePlan& plan) {
  PrintCarePlanSummary(out, plan);
  out << "\ncare team:\n";
  PrintCareTeam(out, plan);
}

int Show(Session& s, const Invocation& in) {
  return Call<cp::GetCarePlanRequest, cp::CarePlan>(
      s, &Stub::GetCarePlan, BuildGetCarePlanRequest(in.args[0]),
      PrintCarePlan);
}

int Update(Session& s, const Invocation& in) {
  absl::StatusOr<CarePlanUpdate> update;
  if (in.flags.Has("from_file")) {
    absl::StatusOr<std::string> json =
        ReadFileToString(in.flags.Get("from_file"));
    if (!json.ok()) {
      return s.UsageError(absl::InvalidArgumentError(
          absl::StrCat("--from_file: ", json.status().message())));
    }
    update = CarePlanUpdate::FromFile(in.args[0], in.flags, *json);
  } else {
    update = CarePlanUpdate::FromFlags(in.args[0], in.flags);
  }
  if (!update.ok()) return s.UsageError(update.status());

  // Goals and actions are edited on the plan as it is now.
  cp::CarePlan current;
  if (update->NeedsCurrentPlan()) {
    absl::StatusOr<cp::GetCarePlanRequest> get =
        BuildGetCarePlanRequest(in.args[0]);
    if (!get.ok()) return s.UsageError(get.status());
    grpc::Status status =
        s.careplan().GetCarePlan(s.NewContext().get(), *get, &current);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      // No plan yet (or no such person, which the update reports).
      current = cp::CarePlan();
      current.set_name(get->name());
    } else if (!status.ok()) {
      return s.RpcError(status);
    }
  }
  absl::StatusOr<cp::UpdateCarePlanRequest> request = update->Build(current);
  if (!request.ok()) return s.UsageError(request.status());
  cp::CarePlan plan;
  grpc::Status status =
      s.careplan().UpdateCarePlan(s.NewContext().get(), *request, &plan);
  if (status.error_code() == grpc::StatusCode::ABORTED &&
      request->etag().empty()) {
    int code = s.RpcError(status);
    s.err() << "carectl: the plan exists, so a change needs its etag: give "
               "--etag=ETAG from `carectl careplan show PLAN`\n";
    return code;
  }
  // The etag sent coming back means no version was made.
  bool unchanged = !request->etag().empty() && plan.etag() == request->etag();
  return FinishNamed(s, status, plan,
                     [unchanged](std::ostream& out, const cp::CarePlan& written,
                                 const NameLabels& names) {
                       if (unchanged) {
                         out << "no change: the plan already says this; no "
                                "new version\n";
                       }
                       cp::CarePlan labelled = written;
                       LabelNames(&labelled, names);
                       PrintCarePlanSummary(out, labelled);
                     });
}

int Versions(Session& s, const Invocation& in) {
  auto request = BuildListCarePlanVersionsRequest(in.args[0], in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  cp::ListCarePlanVersionsResponse response;
  grpc::Status status = FetchPages(
      s, *request, in.flags.GetBool("all"),
      [&s](grpc::ClientContext* c, const cp::ListCarePlanVersionsRequest& r,
           cp::ListCarePlanVersionsResponse* out) {
        return s.careplan().ListCarePlanVersions(c, r, out);
      },
      &response);
  const bool full = in.flags.GetBool("full");
  return FinishNamed(
      s, status, response,
      [full](std::ostream& out, const cp::ListCarePlanVersionsResponse& page,
             const NameLabels& names) {
        cp::ListCarePlanVersionsResponse labelled = page;
        LabelNames(&labelled, names);
        if (full) {
          PrintCarePlanVersionsInFull(out, labelled.versions(),
                                      labelled.next_page_token());
        } else {
          PrintCarePlanVersions(out, labelled.versions(),
                                labelled.next_page_token());
        }
      });
}

int Version(Session& s, const Invocation& in) {
  return Call<cp::GetCarePlanVersionRequest, cp::CarePlan>(
      s, &Stub::GetCarePlanVersion,
      BuildGetCarePlanVersionRequest(in.args[0], in.args[1]), PrintCarePlan);
}

// A change's path and values are the server's rendering of the plan, with
// ids inside ("care_team[teams/ID]", "owning_team: teams/ID; ..."): each
// reads as its label.
void LabelChangeLines(cp::CarePlanDiff* diff, const NameLabels& names) {
  for (cp::SectionDiff& section : *diff->mutable_sections()) {
    for (cp::FieldChange& change : *section.mutable_changes()) {
      change.set_path(names.InText(change.path()));
      change.set_before(names.InText(change.before()));
      change.set_after(names.InText(change.after()));
    }
  }
}

int Diff(Session& s, const Invocation& in) {
  std::optional<std::string> to;
  if (in.args.size() > 2) to = in.args[2];
  auto request = BuildDiffCarePlanVersionsRequest(in.args[0], in.args[1], to);
  if (!request.ok()) return s.UsageError(request.status());
  const bool with_agreement = in.flags.GetBool("with_agreement");
  return CallAndFinishNamed(
      s, s.careplan(), &Stub::DiffCarePlanVersions, *request,
      [with_agreement](std::ostream& out, const cp::CarePlanDiff& diff,
                       const NameLabels& names) {
        cp::CarePlanDiff labelled = diff;
        LabelNames(&labelled, names);
        LabelChangeLines(&labelled, names);
        PrintCarePlanDiff(out, labelled, with_agreement);
      });
}

int Agree(Session& s, const Invocation& in) {
  return Call<cp::RecordAgreementRequest, cp::CarePlan>(
      s, &Stub::RecordAgreement,
      BuildRecordAgreementRequest(in.args[0], in.flags), PrintCarePlanSummary);
}

int TeamAdd(Session& s, const Invocation& in) {
  return Call<cp::AddCareTeamMemberRequest, cp::CarePlan>(
      s, &Stub::AddCareTeamMember,
      BuildAddCareTeamMemberRequest(in.args[0], in.flags), PrintWithCareTeam);
}

int TeamEnd(Session& s, const Invocation& in) {
  return Call<cp::EndCareTeamInvolvementRequest, cp::CarePlan>(
      s, &Stub::EndCareTeamInvolvement,
      BuildEndCareTeamInvolvementRequest(in.args[0], in.flags),
      PrintWithCareTeam);
}

int TeamReview(Session& s, const Invocation& in) {
  return Call<cp::ReviewCareTeamJoinRequest, cp::CarePlan>(
      s, &Stub::ReviewCareTeamJoin,
      BuildReviewCareTeamJoinRequest(in.args[0], in.flags), PrintWithCareTeam);
}

int BreakGlassOpen(Session& s, const Invocation& in) {
  return Call<cp::BreakGlassRequest, cp::BreakGlassAccess>(
      s, &Stub::BreakGlass, BuildBreakGlassRequest(in.args[0], in.flags),
      PrintBreakGlassAccess);
}

int BreakGlassList(Session& s, const Invocation& in) {
  auto request = BuildListBreakGlassAccessesRequest(in.args[0], in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  cp::ListBreakGlassAccessesResponse response;
  grpc::Status status = FetchPages(
      s, *request, in.flags.GetBool("all"),
      [&s](grpc::ClientContext* c, const cp::ListBreakGlassAccessesRequest& r,
           cp::ListBreakGlassAccessesResponse* out) {
        return s.careplan().ListBreakGlassAccesses(c, r, out);
      },
      &response);
  return FinishNamed(
      s, status, response,
      [](std::ostream& out, const cp::ListBreakGlassAccessesResponse& page,
         const NameLabels& names) {
        cp::ListBreakGlassAccessesResponse labelled = page;
        LabelNames(&labelled, names);
        PrintBreakGlassAccesses(out, labelled);
      });
}

int BreakGlassReviewCommand(Session& s, const Invocation& in) {
  return Call<cp::ReviewBreakGlassAccessRequest, cp::BreakGlassAccess>(
      s, &Stub::ReviewBreakGlassAccess,
      BuildReviewBreakGlassAccessRequest(in.args[0], in.flags),
      PrintBreakGlassReviewed);
}

int TeamLead(Session& s, const Invocation& in) {
  return Call<cp::SetLeadTeamRequest, cp::CarePlan>(
      s, &Stub::SetLeadTeam, BuildSetLeadTeamRequest(in.args[0], in.flags),
      PrintWithCareTeam);
}

}  // namespace

std::vector<Command> CarePlanCommands() {
  std::vector<FlagSpec> versions_flags = {{"full", FlagKind::kBool}};
  for (FlagSpec& f : PagingFlags()) versions_flags.push_back(f);
  std::vector<FlagSpec> break_glass_list_flags = PagingFlags();
  break_glass_list_flags.push_back({"unreviewed", FlagKind::kBool});
  return {
      {"careplan",
       "show",
       "careplan show PLAN",
       "Show a person's care plan section by section: whether the person "
       "agreed it, the care team, goals, actions, crisis plan, communication "
       "preferences and review date, each with who last changed it. PLAN is "
       "persons/ID or persons/ID/carePlan.",
       {"PLAN"},
       {},
       Show},
      {"careplan",
       "update",
       "careplan update PLAN --reason=TEXT [--etag=ETAG] [--request_id=ID] "
       "(--from_file=PATH [--mask=PATH,...] | [--early_warning_signs=TEXT] "
       "[--triggers=TEXT] [--what_helps=TEXT] [--what_to_avoid=TEXT] "
       "[--preferred_response=TEXT] [--advance_statements=TEXT] "
       "[--crisis_contact=\"NAME|RELATIONSHIP|HOW TO CONTACT|WHEN\"]... "
       "[--contact_methods=METHOD,...] [--contact_times=TEXT] "
       "[--interpreter_language=TEXT] [--accessibility_needs=TEXT] "
       "[--supporter=\"NAME|RELATIONSHIP|CONTACT|yes or no\"]... "
       "[--communication_other=TEXT] [--review_date=YYYY-MM-DD] "
       "[--add_goal=WORDS]... [--goal_target_date=YYYY-MM-DD] "
       "[--goal_status=ID=STATUS]... [--remove_goal=ID]... "
       "[--add_action=\"WHAT|TEAM|DUE\"]... [--action_status=ID=STATUS]... "
       "[--remove_action=ID]...)",
       "Change the plan and say why; the first change creates it, and your "
       "team joins its care team as lead when nobody is involved. Either "
       "--from_file, a CarePlan in JSON (e.g. edited `careplan show --json` "
       "output): --mask (goals, actions, crisis_plan, "
       "communication_preferences, review_date, or one field such as "
       "crisis_plan.what_helps) defaults to the sections in the file, and "
       "the etag to the file's. Or section flags: each text flag replaces one "
       "field (an empty value clears it); --crisis_contact and --supporter "
       "replace the whole list, in order (an empty value clears it); "
       "--review_date= clears the date. Goal and action flags read the plan, "
       "edit its list and send the list whole, with the etag just read "
       "unless --etag is given; other changes to an existing plan need "
       "--etag, also when given with goal or action flags. "
       "--goal_target_date applies to the goals added; DUE may be empty. "
       "METHOD: phone_call, text_message, email, letter, in_person, "
       "video_call. Goal STATUS: active, achieved, paused. Action STATUS: "
       "not_started, scheduled, in_progress, on_hold, completed, cancelled, "
       "stopped. Prints the new version, etag and agreement status.",
       {"PLAN"},
       CarePlanUpdateFlags(),
       Update},
      {"careplan",
       "versions",
       "careplan versions PLAN [--full] [--page_size=N] [--page_token=T] "
       "[--all]",
       "The plan's versions, newest first: who changed which sections, when "
       "and why, and whether the person had agreed it. --full shows each "
       "version whole, section by section.",
       {"PLAN"},
       versions_flags,
       Versions},
      {"careplan",
       "version",
       "careplan version PLAN N",
       "Show the plan as it was at version N.",
       {"PLAN", "N"},
       {},
       Version},
      {"careplan",
       "diff",
       "careplan diff PLAN FROM [TO] [--with_agreement]",
       "What changed from version FROM to version TO (default: the current "
       "version), section by section, with who changed each section last, "
       "then the versions in between. Changes to the record of the person's "
       "agreement, and versions that only recorded one, are counted but not "
       "shown unless --with_agreement; whether the plan is agreed always "
       "shows.",
       {"PLAN", "FROM"},
       {{"with_agreement", FlagKind::kBool}},
       Diff,
       {"TO"}},
      {"careplan",
       "agree",
       "careplan agree PLAN --version=N [--comment=TEXT]",
       "Record that the person agreed the plan as it is at version N, which "
       "must be the current version. --comment is the person's own words.",
       {"PLAN"},
       {{"version", FlagKind::kValue, true}, {"comment", FlagKind::kValue}},
       Agree},
      {"careplan",
       "team add",
       "careplan team add PLAN --team=TEAM --role=TEXT --reason=TEXT "
       "[--etag=ETAG]",
       "Add a team to the person's care team with its role in their care. "
       "The first team involved becomes the lead team.",
       {"PLAN"},
       {{"team", FlagKind::kValue, true},
        {"role", FlagKind::kValue, true},
        {"reason", FlagKind::kValue, true},
        {"etag", FlagKind::kValue}},
       TeamAdd},
      {"careplan",
       "team end",
       "careplan team end PLAN --team=TEAM --reason=TEXT [--etag=ETAG]",
       "End a team's involvement (kept as history). While other teams are "
       "involved, the lead team hands the lead over first.",
       {"PLAN"},
       {{"team", FlagKind::kValue, true},
        {"reason", FlagKind::kValue, true},
        {"etag", FlagKind::kValue}},
       TeamEnd},
      {"careplan",
       "team review",
       "careplan team review PLAN --team=TEAM --reason=TEXT [--etag=ETAG]",
       "Accept a team that joined from outside the care team (through a "
       "referral or handover no team on the care team sent), shown as NOT "
       "REVIEWED until the lead team or the person reviews it. To object "
       "instead, the person ends its involvement (careplan team end).",
       {"PLAN"},
       {{"team", FlagKind::kValue, true},
        {"reason", FlagKind::kValue, true},
        {"etag", FlagKind::kValue}},
       TeamReview},
      {"careplan",
       "team lead",
       "careplan team lead PLAN --team=TEAM --reason=TEXT [--role=TEXT] "
       "[--etag=ETAG]",
       "Make a team the lead team (care coordinator); a team not yet involved "
       "joins with --role (default \"care coordination\"). Once there is a "
       "lead, only the lead team may pass it on.",
       {"PLAN"},
       {{"team", FlagKind::kValue, true},
        {"reason", FlagKind::kValue, true},
        {"role", FlagKind::kValue},
        {"etag", FlagKind::kValue}},
       TeamLead},
      {"careplan",
       "break-glass open",
       "careplan break-glass open PLAN --reason=TEXT",
       "In an emergency, open the crisis plan of a person whose care team "
       "your team is not on, for 4 hours, with the reason it is needed now. "
       "Audited, and shown to the person and their lead team.",
       {"PLAN"},
       {{"reason", FlagKind::kValue, true}},
       BreakGlassOpen},
      {"careplan",
       "break-glass list",
       "careplan break-glass list PERSON|- [--unreviewed] [--page_size=N] "
       "[--page_token=T] [--all]",
       "Break-glass accesses to a person's crisis plan, newest first, with "
       "their reviews (the person, their lead team and admins); `-` lists "
       "every person's, for admins: with --unreviewed, the review queue.",
       {"PERSON"},
       break_glass_list_flags,
       BreakGlassList},
      {"careplan",
       "break-glass review",
       "careplan break-glass review ACCESS --outcome=justified|not_justified "
       "--reason=TEXT",
       "Record, once, whether a break-glass access was justified and what "
       "the review found (the lead team or an admin; never whoever opened "
       "it).",
       {"ACCESS"},
       {{"outcome", FlagKind::kValue, true},
        {"reason", FlagKind::kValue, true}},
       BreakGlassReviewCommand},
  };
}

}  // namespace carebridge::carectl
