#ifndef CAREBRIDGE_SERVICES_RECORD_TIMELINE_WATCH_GRPC_H_
#define CAREBRIDGE_SERVICES_RECORD_TIMELINE_WATCH_GRPC_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "carebridge/record/v1/record.pb.h"
#include "services/common/authenticator.h"
#include "services/common/executor.h"
#include "services/record/record_domain.h"
#include "services/record/timeline_changes.h"

namespace carebridge::record {

// Serves RecordService.WatchTimeline (gRPC callback API), the way
// ServeEventFeed serves a feed: the handler is one line.
//
// The stream authenticates the caller; on the executor it opens the watch
// (RecordDomain::OpenTimelineWatch: the checks ListTimelineEntries makes),
// starts listening to `changes` for the person, and reads the first
// response; the opening is audited like any call, and nothing is sent
// before its record is durable. The first response is sent at once, even
// when empty. Then, one write in flight at a time, it reads the next
// response on the executor whenever the person's timeline grew (holding no
// thread while it waits), and sends it when it holds entries the caller
// may see (or first says caught_up). It ends CANCELLED when the client
// goes, UNAVAILABLE when `changes` shuts down, UNAUTHENTICATED (or the
// revocation's code) as soon as the caller's token expires or is revoked,
// idle or not (an alarm and the revocations' listener, as the event feeds
// do), and with the domain's error (a merged person: FAILED_PRECONDITION).
// Reads never run on a gRPC thread or on the committing thread that woke
// them, and the call is never finished there either.
grpc::ServerWriteReactor<v1::WatchTimelineResponse>* ServeTimelineWatch(
    grpc::CallbackServerContext* context,
    const v1::WatchTimelineRequest* request, const Authenticator& authenticator,
    BlockingExecutor* executor, RecordDomain* domain, TimelineChanges* changes);

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_TIMELINE_WATCH_GRPC_H_
