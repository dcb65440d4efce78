#ifndef CAREBRIDGE_CLIENTS_CARECTL_EVENTS_REQUESTS_H_
#define CAREBRIDGE_CLIENTS_CARECTL_EVENTS_REQUESTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "carebridge/events/v1/events.pb.h"
#include "clients/carectl/args.h"

namespace carebridge::carectl {

// The flags of `carectl events`.
std::vector<FlagSpec> EventsFlags();

// One `carectl events` run: which service's feed, and what to ask it.
struct EventsCall {
  // `directory`, `referral`, `careplan`, `handover` or `record`.
  std::string feed;
  events::v1::SubscribeRequest request;
  // Keep streaming new events until interrupted; otherwise the request
  // asks the server to stop once caught up.
  bool follow = false;
  // Stop after this many events (0: no limit). With `follow`, carectl
  // waits for them within its --timeout: how a script waits for an effect
  // ("the next lead change of this plan") without polling.
  int64_t limit = 0;
};

// `events --feed=FEED [--after=N] [--type=PREFIX]... [--follow] [--limit=N]`.
// --type
// may repeat and may hold a comma-separated list. Errors are usage errors
// naming the flag.
absl::StatusOr<EventsCall> BuildEventsCall(const Flags& flags);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_EVENTS_REQUESTS_H_
