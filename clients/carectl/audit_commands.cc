// `carectl admin audit verify` and `carectl person accesses`
// (carebridge.audit.v1.AuditService: proof that no audit log was rewritten,
// and who accessed a person's record), and `carectl person token` and
// `carectl person revoke-tokens` (CarePlanService.IssuePersonToken and
// RevokePersonTokens: the person's own access, given and ended).

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/carectl/command.h"
#include "clients/carectl/format.h"
#include "clients/carectl/name_resolver.h"
#include "clients/carectl/names.h"
#include "clients/carectl/token_out.h"

namespace carebridge::carectl {
namespace {

namespace au = ::carebridge::audit::v1;

void PrintVerification(std::ostream& out,
                       const au::VerifyAuditLogsResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const au::AuditLogVerification& log : response.logs()) {
    const double took = static_cast<double>(log.took().seconds()) +
                        static_cast<double>(log.took().nanos()) / 1e9;
    rows.push_back(
        {log.log(), absl::StrCat(log.records()),
         absl::StrCat(log.checkpoints()), absl::StrCat(log.head_sequence()),
         log.head_hash().substr(0, 16), log.intact() ? "intact" : "BROKEN",
         absl::StrFormat("%.2fs", took)});
  }
  PrintTextTable(
      out,
      {"LOG", "RECORDS", "CHECKPOINTS", "HEAD", "HEAD HASH", "STATE", "TOOK"},
      rows);
  for (const au::AuditLogVerification& log : response.logs()) {
    for (const std::string& problem : log.problems()) {
      out << log.log() << ": " << problem << "\n";
    }
  }
  out << (response.intact() ? "every audit log is intact\n"
                            : "AN AUDIT LOG HAS BEEN ALTERED: see above\n");
}

int Verify(Session& s, const Invocation&) {
  au::VerifyAuditLogsResponse response;
  grpc::Status status = s.audit().VerifyAuditLogs(
      s.NewContext().get(), au::VerifyAuditLogsRequest(), &response);
  const int code = s.Finish(status, response, [&response](std::ostream& out) {
    PrintVerification(out, response);
  });
  if (code != kExitOk) return code;
  return response.intact() ? kExitOk : kExitAuditBroken;
}

// `response` with its names labelled (LabelNames); `names` labels the
// member and team inside each `on_behalf_of` as well.
void PrintAccesses(std::ostream& out, const au::ListAccessesResponse& response,
                   const NameLabels& names) {
  std::vector<std::vector<std::string>> rows;
  for (const au::Access& access : response.accesses()) {
    rows.push_back({FormatTimestamp(access.time()), access.actor(),
                    access.team(), access.role(),
                    names.InText(access.on_behalf_of()), access.method(),
                    access.resource(), access.sections(), access.outcome(),
                    access.reason()});
  }
  PrintTextTable(out,
                 {"TIME", "WHO", "TEAM", "ROLE", "FOR", "WHAT", "RESOURCE",
                  "SECTIONS", "OUTCOME", "WHY"},
                 rows);
  if (!response.next_page_token().empty()) {
    out << "next page: " << response.next_page_token() << "\n";
  }
}

int Accesses(Session& s, const Invocation& in) {
  au::ListAccessesRequest request;
  request.set_person(ResourceName("persons", in.args[0]));
  absl::StatusOr<int> page_size = in.flags.GetPositiveInt("page_size");
  if (!page_size.ok()) return s.UsageError(page_size.status());
  request.set_page_size(*page_size);
  request.set_page_token(in.flags.Get("page_token"));
  au::ListAccessesResponse response;
  grpc::Status status = FetchPages(
      s, request, in.flags.GetBool("all"),
      [&s](grpc::ClientContext* c, const au::ListAccessesRequest& r,
           au::ListAccessesResponse* out) {
        return s.audit().ListAccesses(c, r, out);
      },
      &response);
  return FinishNamed(s, status, response,
                     [](std::ostream& out, const au::ListAccessesResponse& r,
                        const NameLabels& names) {
                       au::ListAccessesResponse labelled = r;
                       LabelNames(&labelled, names);
                       PrintAccesses(out, labelled, names);
                     });
}

int PersonToken(Session& s, const Invocation& in) {
  careplan::v1::IssuePersonTokenRequest request;
  request.set_name(ResourceName("persons", in.args[0]) + "/carePlan");
  if (in.flags.Has("ttl")) {
    absl::StatusOr<absl::Duration> ttl =
        in.flags.GetDuration("ttl", absl::ZeroDuration());
    if (!ttl.ok()) return s.UsageError(ttl.status());
    request.mutable_ttl()->set_seconds(absl::ToInt64Seconds(*ttl));
  }
  careplan::v1::IssuePersonTokenResponse response;
  grpc::Status status =
      s.careplan().IssuePersonToken(s.NewContext().get(), request, &response);
  return FinishIssuedToken(s, status, response, response.mutable_token(), in);
}

int PersonRevokeTokens(Session& s, const Invocation& in) {
  careplan::v1::RevokePersonTokensRequest request;
  request.set_name(ResourceName("persons", in.args[0]) + "/carePlan");
  request.set_token_id(in.flags.Get("token_id"));
  request.set_reason(in.flags.Get("reason"));
  return CallAndFinish(s, s.careplan(),
                       &careplan::v1::CarePlanService::Stub::RevokePersonTokens,
                       request);
}

}  // namespace

std::vector<Command> AuditCommands() {
  return {
      {"admin",
       "audit verify",
       "admin audit verify",
       "Check every audit log this server keeps, record by record, against "
       "its keyed hash chain, checkpoints and head: any record edited, "
       "deleted, inserted or reordered, or a log cut short, is reported "
       "(admins). Exit status 4 when a log is not intact. Note the head "
       "hashes down elsewhere: a log later restored to an older state shows "
       "an older head.",
       {},
       {},
       Verify},
      {"person",
       "accesses",
       "person accesses PERSON [--all] [--page_size=N] [--page_token=TOKEN]",
       "Who accessed a person's record, newest first: who, which team and "
       "role, for whom (a service reading on a member's behalf), what they "
       "read or changed and which sections of the care plan it returned, "
       "why (break-glass), and whether it was allowed. For the person's "
       "lead team and admins; no clinical content is shown.",
       {"PERSON"},
       PagingFlags(),
       Accesses},
      {"person",
       "token",
       "person token PERSON [--ttl=720h] [--out=FILE]",
       "Give a person access to their own record (their lead team only): "
       "prints a token with which they read their care plan, its versions "
       "and their care summary, record their own agreement and comment, and "
       "see who accessed their record, and nothing else. Hand it to them; it "
       "is not stored. Default 30 days, at most 90. --out=FILE writes it "
       "to FILE, readable by you only (mode 0600). Its id (to end it "
       "alone): `carectl --output=json person token`.",
       {"PERSON"},
       {{"ttl", FlagKind::kValue}, TokenOutFlag()},
       PersonToken},
      {"person",
       "revoke-tokens",
       "person revoke-tokens PERSON [--reason=TEXT] [--token_id=ID]",
       "End a person's own tokens in every service within 5 seconds: every "
       "one issued before now (a lost phone, a token someone else has "
       "seen), or with --token_id only that one (the device they are on). "
       "The person themself (sign out; no reason needed), their lead "
       "team's clinical staff, or an admin (--reason required, at most 500 "
       "characters). A token issued afterwards works.",
       {"PERSON"},
       {{"reason", FlagKind::kValue}, {"token_id", FlagKind::kValue}},
       PersonRevokeTokens},
  };
}

}  // namespace carebridge::carectl
