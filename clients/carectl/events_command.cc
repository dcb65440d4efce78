// `carectl events`: reading (and following) a service's event feed.

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "carebridge/events/v1/events.pb.h"
#include "carebridge/record/v1/record.pb.h"
#include "clients/carectl/command.h"
#include "clients/carectl/events_format.h"
#include "clients/carectl/events_requests.h"
#include "clients/carectl/format.h"
#include "clients/carectl/interrupt.h"
#include "clients/carectl/name_resolver.h"
#include "clients/carectl/names.h"

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
  if (feed == "record") return s.record().Subscribe(context, request);
  return s.handover().Subscribe(context, request);
}

void PrintEvent(Session& s, const ev::Event& event, const NameLabels& names) {
  if (s.json()) {
    std::string warning;
    s.out() << EventJsonLine(event, &warning);
    if (!warning.empty()) s.err() << "carectl: " << warning << "\n";
  } else if (s.name_only()) {
    s.out() << event.subject() << "\n";
  } else {
    s.out() << EventLine(event, names);
  }
}

// One inbox item a line: sequence, time, what, the person, the resource.
void PrintInboxItem(Session& s, const ev::Event& event,
                    const NameLabels& names) {
  record::v1::InboxItem item;
  if (s.json() || s.name_only() || !event.payload().UnpackTo(&item)) {
    PrintEvent(s, event, names);
    return;
  }
  absl::string_view type = event.type();
  absl::ConsumePrefix(&type, "inbox.");
  s.out() << event.sequence() << "  " << FormatTimestamp(event.time()) << "  "
          << type << "  " << names.Label(item.person()) << "  "
          << names.InText(item.summary()) << "  " << item.resource() << "\n";
}

// Prints an event with the labels of the names in its batch.
using EventPrinter = void (*)(Session&, const ev::Event&, const NameLabels&);

int Follow(Session& s, absl::StatusOr<EventsCall> call, EventPrinter print);

int Events(Session& s, const Invocation& in) {
  return Follow(s, BuildEventsCall(in.flags), PrintEvent);
}

// `inbox [--team=TEAM] [--watch] [--after=N]`: the record feed's inbox
// items the caller's team receives (--team names it; the server refuses
// another team's).
int Inbox(Session& s, const Invocation& in) {
  EventsCall call;
  call.feed = "record";
  call.request.add_type_prefixes("inbox.");
  if (in.flags.Has("team")) {
    call.request.set_team(ResourceName("teams", in.flags.Get("team")));
  }
  if (in.flags.Has("after")) {
    int64_t after = 0;
    if (!absl::SimpleAtoi(in.flags.Get("after"), &after) || after < 0) {
      return s.UsageError(
          FlagError("after", "must be a sequence number (0, 1, 2, ...)"));
    }
    call.request.set_after_sequence(after);
  }
  call.follow = in.flags.GetBool("watch");
  call.request.set_stop_when_caught_up(!call.follow);
  return Follow(s, call, PrintInboxItem);
}

int Follow(Session& s, absl::StatusOr<EventsCall> call, EventPrinter print) {
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
  NameResolver resolver = DirectoryNames(s);
  ev::SubscribeResponse batch;
  while (!reached_limit && reader->Read(&batch)) {
    through = batch.through_sequence();
    std::vector<std::string> wanted = ResourceNamesIn(batch);
    for (const ev::Event& event : batch.events()) {
      record::v1::InboxItem item;
      if (event.payload().Is<record::v1::InboxItem>() &&
          event.payload().UnpackTo(&item)) {
        for (std::string& name : ResourceNamesIn(item)) {
          wanted.push_back(std::move(name));
        }
      }
    }
    const NameLabels& names = resolver.For(wanted);
    for (const ev::Event& event : batch.events()) {
      print(s, event, names);
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
  if (reached_limit) {
    // Not "caught up": the feed may hold more than the limit let through.
    if (human) {
      s.err() << "carectl: stopped at --limit=" << call->limit << " (sequence "
              << through << "); more events may follow: --after=" << through
              << "\n";
    }
    return kExitOk;
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
       "events --feed=directory|referral|careplan|handover|record "
       "[--after=N] "
       "[--type=PREFIX]... [--follow] [--limit=N]",
       "Print a service's event feed, one event a line: sequence, time, type, "
       "subject, person, actor, teams (`-` for none). --after=N starts after "
       "sequence N (default: the start); --type keeps the types PREFIX names, "
       "matched by whole dot-separated segments: `referral.accepted`, or "
       "every type under `handover.`; --json prints each event as one line of "
       "JSON with its payload, --name_only each "
       "event's subject. Without --follow it stops once caught up and says "
       "where (on stderr); with --follow it keeps printing new events as "
       "they commit until interrupted (Ctrl-C), then exits 0. --limit=N stops "
       "after N events and says so, with where to continue; with --follow it "
       "waits for them within --timeout "
       "(how a script waits for an effect in another service). Teams see "
       "events about their own teams; admins see every event without its "
       "payload.",
       {},
       EventsFlags(),
       Events},
      {"inbox",
       "",
       "inbox [--team=TEAM] [--watch] [--after=N]",
       "What needs your team's attention, one item a line: new referrals and "
       "handovers to it, answers to what it sent, escalations, care gaps "
       "opening and closing (from the record service). --team names the "
       "team (your own: another team's inbox is refused). --watch keeps "
       "printing items as they happen until interrupted; --after=N resumes "
       "after item N (carectl says where it stopped).",
       {},
       {{"team", FlagKind::kValue},
        {"watch", FlagKind::kBool},
        {"after", FlagKind::kValue}},
       Inbox},
  };
}

}  // namespace carebridge::carectl
