// `carectl admin feeds ...`: carebridge.events.v1.FeedAdminService, how far
// behind each consumer is and the events it parked (admins only).

#include "clients/carectl/command.h"
#include "clients/carectl/feeds_format.h"
#include "clients/carectl/feeds_requests.h"

namespace carebridge::carectl {
namespace {

namespace ev = ::carebridge::events::v1;
using Stub = ev::FeedAdminService::Stub;

int List(Session& s, const Invocation&) {
  return CallAndFinish(s, s.feed_admin(), &Stub::ListConsumers,
                       ev::ListConsumersRequest(), PrintConsumers);
}

int Parked(Session& s, const Invocation& in) {
  auto request = BuildListParkedRequest(in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  return CallAndFinish(s, s.feed_admin(), &Stub::ListParkedEvents, *request,
                       PrintParkedEvents);
}

int Retry(Session& s, const Invocation& in) {
  absl::StatusOr<std::string> name = ParkedEventName(in.args[0]);
  if (!name.ok()) return s.UsageError(name.status());
  ev::RetryParkedEventRequest request;
  request.set_name(*name);
  return CallAndFinish(s, s.feed_admin(), &Stub::RetryParkedEvent, request,
                       PrintParkedEvent);
}

int Dismiss(Session& s, const Invocation& in) {
  auto request = BuildDismissRequest(in.args[0], in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  return CallAndFinish(s, s.feed_admin(), &Stub::DismissParkedEvent, *request,
                       PrintParkedEvent);
}

int Reset(Session& s, const Invocation& in) {
  auto request = BuildResetRequest(in.args[0], in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  ev::ListConsumersResponse one;
  grpc::Status status = s.feed_admin().ResetConsumer(
      s.NewContext().get(), *request, one.add_consumers());
  return s.Finish(status, one.consumers(0),
                  [&one](std::ostream& out) { PrintConsumers(out, one); });
}

}  // namespace

std::vector<Command> FeedsCommands() {
  std::vector<FlagSpec> parked_flags = {{"consumer", FlagKind::kValue}};
  for (FlagSpec& f : PagingFlags()) parked_flags.push_back(f);
  return {
      {"admin",
       "feeds",
       "admin feeds",
       "The event consumers this server hosts (e.g. careplan.referral: the "
       "care plan service applying accepted referrals): state, cursor, the "
       "producer's head, how far behind (events and time), parked events, "
       "and the last error (admins).",
       {},
       {},
       List},
      {"admin",
       "feeds parked",
       "admin feeds parked [--consumer=CONSUMER] [--all] [--page_size=N] "
       "[--page_token=TOKEN]",
       "The events consumers could not apply and parked, with why; --all "
       "also those already retried or dismissed (admins). Events are shown "
       "without their payload.",
       {},
       parked_flags,
       Parked},
      {"admin",
       "feeds retry",
       "admin feeds retry NAME",
       "Apply a parked event again, once its cause is mended (admins). NAME "
       "is CONSUMER/ID as `admin feeds parked` lists it. Still failing, "
       "it stays parked with the new reason (FAILED_PRECONDITION).",
       {"NAME"},
       {},
       Retry},
      {"admin",
       "feeds dismiss",
       "admin feeds dismiss NAME --reason=TEXT",
       "Decide that a parked event needs no effect, saying why (what was done "
       "instead); the event and the reason are kept (admins).",
       {"NAME"},
       {{"reason", FlagKind::kValue}},
       Dismiss},
      {"admin",
       "feeds reset",
       "admin feeds reset CONSUMER --after=N --epoch=EPOCH",
       "Re-anchor a consumer whose producer was reset (state producer_reset: "
       "its database was replaced, or restored below the cursor): it resumes "
       "after sequence N of the producer's current database, EPOCH (admins). "
       "Events between are not applied: compare both databases first.",
       {"CONSUMER"},
       {{"after", FlagKind::kValue}, {"epoch", FlagKind::kValue}},
       Reset},
  };
}

}  // namespace carebridge::carectl
