// `carectl events`: reading (and following) a service's event feed.

#include <memory>
#include <optional>
#include <string>

#include "carebridge/events/v1/events.pb.h"
#include "clients/carectl/command.h"
#include "clients/carectl/events_format.h"
#include "clients/carectl/events_requests.h"
#include "clients/carectl/interrupt.h"

namespace carebridge::carectl {
namespace {

namespace ev = ::carebridge::events::v1;
using Reader = grpc::ClientReader<ev::SubscribeResponse>;

// Each feed is served by its own service's Subscribe.
std::unique_ptr<Reader> Subscribe(Session& s, const std::string& feed,
                                  grpc::ClientContext* context,
                                  const ev::SubscribeRequest& request) {
  if (feed == "directory") return s.directory().Subscribe(context, request);
  if (feed == "referral") return s.referral().Subscribe(context, request);
  if (feed == "careplan") return s.careplan().Subscribe(context, request);
  return s.handover().Subscribe(context, request);
}

void PrintEvent(Session& s, const ev::Event& event) {
  if (s.json()) {
    std::string warning;
    s.out() << EventJsonLine(event, &warning);
    if (!warning.empty()) s.err() << "carectl: " << warning << "\n";
  } else if (s.name_only()) {
    s.out() << event.subject() << "\n";
  } else {
    s.out() << EventLine(event);
  }
}

int Events(Session& s, const Invocation& in) {
  absl::StatusOr<EventsCall> call = BuildEventsCall(in.flags);
  if (!call.ok()) return s.UsageError(call.status());
  // Following has no deadline: it lasts until interrupted, unless it waits
  // for a number of events, which it does within --timeout.
  std::unique_ptr<grpc::ClientContext> context =
      call->follow && call->limit == 0 ? s.NewStreamContext() : s.NewContext();
  std::optional<CancelOnSignal> cancel;
  if (call->follow) {
    cancel.emplace([c = context.get()] { c->TryCancel(); });
  }
  std::unique_ptr<Reader> reader =
      Subscribe(s, call->feed, context.get(), call->request);
  int64_t through = call->request.after_sequence();
  int64_t printed = 0;
  bool reached_limit = false;
  ev::SubscribeResponse batch;
  while (!reached_limit && reader->Read(&batch)) {
    through = batch.through_sequence();
    for (const ev::Event& event : batch.events()) {
      PrintEvent(s, event);
      through = event.sequence();
      if (call->limit > 0 && ++printed == call->limit) {
        reached_limit = true;
        break;
      }
    }
    s.out().flush();
  }
  if (reached_limit) context->TryCancel();
  grpc::Status status = reader->Finish();
  if (reached_limit) status = grpc::Status::OK;
  const bool interrupted = cancel.has_value() && cancel->interrupted();
  cancel.reset();
  const bool human = !s.json() && !s.name_only();
  if (interrupted) {
    if (human) {
      s.err() << "carectl: stopped at sequence " << through
              << " (continue with --after=" << through << ")\n";
    }
    return kExitOk;
  }
  if (!status.ok()) {
    int code = s.RpcError(status);
    if (through > 0) {
      s.err() << "carectl: read through sequence " << through
              << "; resume with --after=" << through << "\n";
    }
    return code;
  }
  if (human) {
    s.err() << "carectl: caught up at sequence " << through
            << " (continue with --after=" << through << ")\n";
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> EventsCommands() {
  return {
      {"events",
       "",
       "events --feed=directory|referral|careplan|handover [--after=N] "
       "[--type=PREFIX]... [--follow] [--limit=N]",
       "Print a service's event feed, one event a line: sequence, time, type, "
       "subject, person, actor, teams (`-` for none). --after=N starts after "
       "sequence N (default: the start); --type keeps the events whose type "
       "starts with PREFIX (referral.accepted, handover.); --json prints each "
       "event as one line of JSON with its payload, --name_only each "
       "event's subject. Without --follow it stops once caught up and says "
       "where (on stderr); with --follow it keeps printing new events as "
       "they commit until interrupted (Ctrl-C), then exits 0. --limit=N stops "
       "after N events; with --follow it waits for them within --timeout "
       "(how a script waits for an effect in another service). Teams see "
       "events about their own teams; admins see every event without its "
       "payload.",
       {},
       EventsFlags(),
       Events},
  };
}

}  // namespace carebridge::carectl
