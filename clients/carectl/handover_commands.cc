// `carectl handover …`: handing care from one team to another, and
// answering handovers.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/carectl/command.h"
#include "clients/carectl/handover_format.h"
#include "clients/carectl/handover_requests.h"
#include "clients/carectl/name_resolver.h"
#include "services/common/file_util.h"

namespace carebridge::carectl {
namespace {

namespace hv = ::carebridge::handover::v1;
using Stub = hv::HandoverService::Stub;

template <typename Request>
using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&,
                                      hv::Handover*);

void Print(std::ostream& out, const hv::Handover& h, const NameLabels& names) {
  PrintHandover(out, h, names);
}

template <typename Request>
int Call(Session& s, Method<Request> method, const Request& request) {
  return CallAndFinishNamed(s, s.handover(), method, request, Print);
}

int Create(Session& s, const Invocation& in) {
  absl::StatusOr<hv::CreateHandoverRequest> request;
  if (in.flags.Has("from_file")) {
    absl::StatusOr<std::string> json =
        ReadFileToString(in.flags.Get("from_file"));
    if (!json.ok()) {
      return s.UsageError(absl::InvalidArgumentError(
          absl::StrCat("--from_file: ", json.status().message())));
    }
    request = BuildCreateHandoverRequestFromFile(in.flags, *json);
  } else {
    request = BuildCreateHandoverRequest(in.flags);
  }
  if (!request.ok()) return s.UsageError(request.status());
  return Call(s, &Stub::CreateHandover, *request);
}

int Show(Session& s, const Invocation& in) {
  return Call(s, &Stub::GetHandover, BuildGetHandoverRequest(in.args[0]));
}

int List(Session& s, const Invocation& in, hv::Mailbox mailbox) {
  auto request = BuildListHandoversRequest(mailbox, in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  hv::ListHandoversResponse response;
  grpc::Status status = FetchPages(
      s, *request, in.flags.GetBool("all"),
      [&s](grpc::ClientContext* c, const hv::ListHandoversRequest& r,
           hv::ListHandoversResponse* out) {
        return s.handover().ListHandovers(c, r, out);
      },
      &response);
  return FinishNamed(
      s, status, response,
      [mailbox](std::ostream& out, const hv::ListHandoversResponse& response,
                const NameLabels& names) {
        PrintHandoverList(out, response, mailbox, names);
      });
}

int Accept(Session& s, const Invocation& in) {
  hv::AcceptHandoverRequest request =
      BuildAcceptHandoverRequest(in.args[0], in.flags);
  hv::Handover handover;
  grpc::Status status =
      s.handover().AcceptHandover(s.NewContext().get(), request, &handover);
  // The server knows the kind; carectl only says how to give a read-back.
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
      absl::StartsWith(status.error_message(), "read_back")) {
    int code = s.RpcError(status);
    s.err() << "carectl: a transfer of responsibility is accepted with your "
               "read-back: --summary=TEXT (the situation in your words) and "
               "--taking_on=TEXT for each action you take on\n";
    return code;
  }
  return FinishNamed(s, status, handover, Print);
}

std::vector<FlagSpec> ListFlags() {
  std::vector<FlagSpec> flags = {{"state", FlagKind::kRepeated},
                                 {"person", FlagKind::kValue},
                                 {"overdue", FlagKind::kBool}};
  for (FlagSpec& f : PagingFlags()) flags.push_back(f);
  return flags;
}

const char kListFlags[] =
    "[--state=STATE,...]... [--person=PERSON] [--overdue] [--page_size=N] "
    "[--page_token=T] [--all]";

std::vector<FlagSpec> ReasonFlags() {
  return {{"reason", FlagKind::kValue, true}, {"etag", FlagKind::kValue}};
}

}  // namespace

std::vector<Command> HandoverCommands() {
  return {
      {"handover",
       "create",
       "handover create (--person=PERSON --to=TEAM "
       "--kind=transfer|shared|info --urgency=routine|urgent|crisis "
       "--severity=stable|watcher|unstable --situation=TEXT "
       "[--background=TEXT] --assessment=TEXT --recommendation=TEXT "
       "[--action=\"WHAT|TEAM|DUE\"]... [--contingency=\"IF THIS|THEN "
       "DO\"]... [--care_plan_version=N] | --from_file=PATH) "
       "[--request_id=ID]",
       "Hand a person's care, or part of it, from your team to another, "
       "written as SBAR: situation, background, assessment (risk with what "
       "helps), recommendation. --kind: transfer (of responsibility: your "
       "team stays lead until the receiving team accepts with its "
       "read-back), shared (shared care: they join the care team), info "
       "(information only). --action is what is to be done, the owning team "
       "and an optional due date (YYYY-MM-DD or an RFC 3339 time); "
       "--contingency is \"if this happens|do that\"; both repeat. "
       "--care_plan_version is the plan version you wrote against (default: "
       "the current one). Or --from_file, a Handover in JSON (e.g. edited "
       "`handover show --json` output), with no content flags. Give "
       "--request_id to make retries safe.",
       {},
       HandoverCreateFlags(),
       Create},
      {"handover",
       "inbox",
       std::string("handover inbox ") + kListFlags,
       "Handovers your team received, oldest first, with who sent each, "
       "the response deadline and OVERDUE / ESCALATED. STATE: pending, "
       "accepted, declined, cancelled.",
       {},
       ListFlags(),
       [](Session& s, const Invocation& in) { return List(s, in, hv::INBOX); }},
      {"handover",
       "sent",
       std::string("handover sent ") + kListFlags,
       "Handovers your team sent, oldest first, with where each went.",
       {},
       ListFlags(),
       [](Session& s, const Invocation& in) {
         return List(s, in, hv::SENT_BY_TEAM);
       }},
      {"handover",
       "show",
       "handover show NAME",
       "Show a handover: who handed what to whom, where it stands (awaiting "
       "an answer, response deadline, OVERDUE, escalation), the SBAR "
       "content, actions, contingencies, and the read-back and answer.",
       {"NAME"},
       {},
       Show},
      {"handover",
       "accept",
       "handover accept NAME [--summary=TEXT] [--taking_on=TEXT]... "
       "[--note=TEXT] [--etag=ETAG]",
       "Accept a handover your team received. A transfer of responsibility "
       "needs your read-back: --summary, the situation in your own words, "
       "and a --taking_on for each action your team takes on; the lead "
       "then moves to your team. Without a read-back flag none is sent, and "
       "the server says when one is needed.",
       {"NAME"},
       {{"summary", FlagKind::kValue},
        {"taking_on", FlagKind::kRepeated},
        {"note", FlagKind::kValue},
        {"etag", FlagKind::kValue}},
       Accept},
      {"handover",
       "decline",
       "handover decline NAME --reason=TEXT [--etag=ETAG]",
       "Decline a handover your team received, saying why; responsibility "
       "stays with the sending team.",
       {"NAME"},
       ReasonFlags(),
       [](Session& s, const Invocation& in) {
         return Call(s, &Stub::DeclineHandover,
                     BuildReasonRequest<hv::DeclineHandoverRequest>(in.args[0],
                                                                    in.flags));
       }},
      {"handover",
       "cancel",
       "handover cancel NAME --reason=TEXT [--etag=ETAG]",
       "Cancel a pending handover your team sent.",
       {"NAME"},
       ReasonFlags(),
       [](Session& s, const Invocation& in) {
         return Call(s, &Stub::CancelHandover,
                     BuildReasonRequest<hv::CancelHandoverRequest>(in.args[0],
                                                                   in.flags));
       }},
  };
}

}  // namespace carebridge::carectl
