// `carectl referral …`: sending and answering referrals.

#include "clients/carectl/command.h"
#include "clients/carectl/format.h"
#include "clients/carectl/name_resolver.h"
#include "clients/carectl/names.h"
#include "clients/carectl/referral_format.h"
#include "clients/carectl/referral_requests.h"

namespace carebridge::carectl {
namespace {

namespace ref = ::carebridge::referral::v1;
using Stub = ref::ReferralService::Stub;

template <typename Request, typename Response>
using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&,
                                      Response*);

template <typename Request, typename Response>
int Call(Session& s, Method<Request, Response> method, const Request& request) {
  return CallAndFinish(s, s.referral(), method, request);
}

int Create(Session& s, const Invocation& in) {
  auto request = BuildCreateReferralRequest(in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  return Call(s, &Stub::CreateReferral, *request);
}

int Get(Session& s, const Invocation& in) {
  ref::GetReferralRequest request;
  request.set_name(ResourceName("referrals", in.args[0]));
  return CallAndFinishNamed(
      s, s.referral(), &Stub::GetReferral, request,
      [](std::ostream& out, const ref::Referral& referral,
         const NameLabels& names) { PrintResource(out, referral, names); });
}

int List(Session& s, const Invocation& in, ref::Mailbox mailbox) {
  auto request = BuildListReferralsRequest(mailbox, in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  ref::ListReferralsResponse response;
  grpc::Status status = FetchPages(
      s, *request, in.flags.GetBool("all"),
      [&s](grpc::ClientContext* c, const ref::ListReferralsRequest& r,
           ref::ListReferralsResponse* out) {
        return s.referral().ListReferrals(c, r, out);
      },
      &response);
  return FinishNamed(
      s, status, response,
      [mailbox](std::ostream& out, const ref::ListReferralsResponse& response,
                const NameLabels& names) {
        PrintReferralList(out, response, mailbox, names);
      });
}

template <typename Request>
int Answer(Session& s, const Invocation& in,
           Method<Request, ref::Referral> method) {
  return Call(s, method, BuildNoteRequest<Request>(in.args[0], in.flags));
}

int Decline(Session& s, const Invocation& in) {
  return Call(s, &Stub::DeclineReferral,
              BuildDeclineReferralRequest(in.args[0], in.flags));
}

int Redirect(Session& s, const Invocation& in) {
  ref::RedirectReferralResponse response;
  grpc::Status status = s.referral().RedirectReferral(
      s.NewContext().get(), BuildRedirectReferralRequest(in.args[0], in.flags),
      &response);
  return s.Finish(status, response, [&response](std::ostream& out) {
    out << "redirected:  " << response.redirected().name() << "\n"
        << "created:     " << response.created().name() << " (to "
        << response.created().receiving_team() << ")\n";
  });
}

int Withdraw(Session& s, const Invocation& in) {
  ref::WithdrawReferralRequest request;
  request.set_name(ResourceName("referrals", in.args[0]));
  request.set_etag(in.flags.Get("etag"));
  request.set_reason(in.flags.Get("reason"));
  return Call(s, &Stub::WithdrawReferral, request);
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

std::vector<FlagSpec> NoteFlags() {
  return {{"note", FlagKind::kValue}, {"etag", FlagKind::kValue}};
}

}  // namespace

std::vector<Command> ReferralCommands() {
  return {
      {"referral",
       "create",
       "referral create --person=PERSON --to=TEAM "
       "--urgency=routine|urgent|crisis --reason=TEXT [--wishes=TEXT] "
       "[--risk=TEXT] [--request_id=ID]",
       "Refer a person from your team to another. --wishes is what the "
       "person wants, in their own words. Give --request_id to make retries "
       "safe.",
       {},
       {{"person", FlagKind::kValue, true},
        {"to", FlagKind::kValue, true},
        {"urgency", FlagKind::kValue, true},
        {"reason", FlagKind::kValue, true},
        {"wishes", FlagKind::kValue},
        {"risk", FlagKind::kValue},
        {"request_id", FlagKind::kValue}},
       Create},
      {"referral",
       "get",
       "referral get NAME",
       "Show a referral with its full history.",
       {"NAME"},
       {},
       Get},
      {"referral",
       "inbox",
       std::string("referral inbox ") + kListFlags,
       "Referrals your team received, oldest first, with the response "
       "deadline and OVERDUE / ESCALATED. STATE: sent, acknowledged, "
       "accepted, declined, redirected, withdrawn, completed.",
       {},
       ListFlags(),
       [](Session& s, const Invocation& in) {
         return List(s, in, ref::INBOX);
       }},
      {"referral",
       "sent",
       std::string("referral sent ") + kListFlags,
       "Referrals your team sent, oldest first.",
       {},
       ListFlags(),
       [](Session& s, const Invocation& in) {
         return List(s, in, ref::SENT_BY_TEAM);
       }},
      {"referral",
       "ack",
       "referral ack NAME [--note=TEXT] [--etag=ETAG]",
       "Acknowledge a referral your team received.",
       {"NAME"},
       NoteFlags(),
       [](Session& s, const Invocation& in) {
         return Answer<ref::AcknowledgeReferralRequest>(
             s, in, &Stub::AcknowledgeReferral);
       }},
      {"referral",
       "accept",
       "referral accept NAME [--note=TEXT] [--etag=ETAG]",
       "Accept a referral: your team takes the person on.",
       {"NAME"},
       NoteFlags(),
       [](Session& s, const Invocation& in) {
         return Answer<ref::AcceptReferralRequest>(s, in,
                                                   &Stub::AcceptReferral);
       }},
      {"referral",
       "decline",
       "referral decline NAME --reason=TEXT [--signpost=TEXT] "
       "[--suggest_team=TEAM] [--etag=ETAG]",
       "Decline a referral. A reason and an onward route (--signpost and/or "
       "--suggest_team) are required.",
       {"NAME"},
       {{"reason", FlagKind::kValue, true},
        {"signpost", FlagKind::kValue},
        {"suggest_team", FlagKind::kValue},
        {"etag", FlagKind::kValue}},
       Decline},
      {"referral",
       "redirect",
       "referral redirect NAME --to=TEAM --reason=TEXT [--etag=ETAG]",
       "Forward a referral to a better-placed team; prints the new referral.",
       {"NAME"},
       {{"to", FlagKind::kValue, true},
        {"reason", FlagKind::kValue, true},
        {"etag", FlagKind::kValue}},
       Redirect},
      {"referral",
       "withdraw",
       "referral withdraw NAME --reason=TEXT [--etag=ETAG]",
       "Withdraw a referral your team sent.",
       {"NAME"},
       {{"reason", FlagKind::kValue, true}, {"etag", FlagKind::kValue}},
       Withdraw},
      {"referral",
       "complete",
       "referral complete NAME [--note=TEXT] [--etag=ETAG]",
       "Close an accepted referral.",
       {"NAME"},
       NoteFlags(),
       [](Session& s, const Invocation& in) {
         return Answer<ref::CompleteReferralRequest>(s, in,
                                                     &Stub::CompleteReferral);
       }},
  };
}

}  // namespace carebridge::carectl
