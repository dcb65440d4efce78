#ifndef CAREBRIDGE_SERVICES_COMMON_EVENT_FEED_GRPC_H_
#define CAREBRIDGE_SERVICES_COMMON_EVENT_FEED_GRPC_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "absl/strings/string_view.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/authenticator.h"
#include "services/common/event_access.h"
#include "services/common/event_log.h"
#include "services/common/executor.h"

namespace carebridge {

// Serves `log` as a service's `Subscribe` method (gRPC callback API): every
// service's handler is one line,
//
//   return ServeEventFeed(context, request, *authenticator_, log_, executor_);
//
// The stream authenticates the caller, validates the request
// (INVALID_ARGUMENT naming the field), and is audited in the feed's
// service's audit log (feed_audit.h: one record per subscription, durable
// before its first response or its refusal; and, for a subscriber other
// than a service, one per person it is sent events about, durable before
// the batch that first names them). It then sends batches of events after
// `after_sequence`, each event filtered by the type prefixes and by
// `access` (need to know at the moment of delivery; nullptr for
// policy::EventVisibilityFor alone). A batch holds at most
// kFeedResponseBudgetBytes of events (or one larger event, at most
// kMaxEventBytes) and at most 100 events; one write is in flight at a time
// and the next batch is read from the log only when it completes, so a
// client that does not read holds one batch on the server, and a slow
// client slows only itself. The first response is sent at once, even when
// empty (a heartbeat with the head). Once caught up it waits for the log's
// commit notifications — it holds no thread while it waits — and sends new
// events as they commit. It ends with OK when `stop_when_caught_up`,
// CANCELLED when the client goes away, UNAVAILABLE when the log shuts down,
// UNAUTHENTICATED when the caller's token expires or is revoked. Reads of
// the log run on `executor`, never on a gRPC thread or a committing
// writer's thread (LiveStreamReactor, live_stream_reactor.h).
grpc::ServerWriteReactor<events::v1::SubscribeResponse>* ServeEventFeed(
    grpc::CallbackServerContext* context,
    const events::v1::SubscribeRequest* request,
    const Authenticator& authenticator, EventLog* log,
    BlockingExecutor* executor, EventAccess* access = nullptr);

// Whether an event of type `type` is one SubscribeRequest.type_prefixes'
// `prefix` asks for, segment by segment (types are dot-separated,
// `referral.accepted`): the type itself and the types under it
// (`referral`, `referral.` and `referral.accepted` each match
// `referral.accepted`), every type when empty; never a type that merely
// begins with the same characters (`careplan.break_glass` does not match
// `careplan.break_glass_reviewed`, nor `referral.accept` match
// `referral.accepted`).
bool EventTypeMatchesPrefix(absl::string_view type, absl::string_view prefix);

// The events one feed response holds at most (serialized), unless a single
// event is larger.
inline constexpr size_t kFeedResponseBudgetBytes = 128 * 1024;

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_EVENT_FEED_GRPC_H_
