#ifndef CAREBRIDGE_SERVICES_HTTP_INBOX_STREAM_H_
#define CAREBRIDGE_SERVICES_HTTP_INBOX_STREAM_H_

#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/http/json_gateway.h"

namespace carebridge::http {

// One open team inbox stream: the record service's Subscribe, read on a
// thread of its own, turned into server-sent events (text/event-stream).
class InboxStream {
 public:
  enum class Next { kChunk, kIdle, kEnd };

  virtual ~InboxStream() = default;
  // The next piece of the event stream: kChunk with `chunk` set; kIdle when
  // nothing came for `wait` (the caller sends a keep-alive, which is also
  // how a closed connection is noticed); kEnd when the stream has ended
  // (its last chunk, an `error` event, was already returned).
  virtual Next Read(absl::Duration wait, std::string* chunk) = 0;
  // Ends the stream (the client went away, or the server stops) and waits
  // for its thread. Idempotent.
  virtual void Close() = 0;
};

// The team inbox as server-sent events for the web console, over the
// record service's Subscribe (in-process or at its peer) with the caller's
// own token, so a member receives exactly what the stream gives them over
// gRPC: their own team's items.
//
//   GET /v1/inbox:stream[?after=N]
//
// Without `after` the stream starts now: a first `ready` event carries the
// feed's position as its `id`; then one `inbox` event per item, its `id`
// the event's sequence and its data the carebridge.events.v1.Event in
// JSON (payload a carebridge.record.v1.InboxItem). A client that lost the
// connection resumes with `after` = the last id it saw. The stream ends
// with an `error` event (data an AIP-193 error) when the feed ends it.
class InboxStreams {
 public:
  // `bridge` outlives this; at most `max_streams` open at once (each holds
  // one of the HTTP server's threads).
  InboxStreams(const RpcBridge* bridge, int max_streams)
      : bridge_(bridge), max_streams_(max_streams) {}
  ~InboxStreams() { CloseAll(); }

  // Opens a stream for the caller: UNAUTHENTICATED / PERMISSION_DENIED as
  // RpcBridge::Open says, INVALID_ARGUMENT for an `after` that is not a
  // sequence, RESOURCE_EXHAUSTED when `max_streams` are open.
  absl::StatusOr<std::shared_ptr<InboxStream>> Open(const CallHeaders& headers,
                                                    absl::string_view after);
  // Closes every open stream and refuses new ones (the server is
  // stopping).
  void CloseAll();

 private:
  class Stream;
  void Forget(InboxStream* stream);

  const RpcBridge* const bridge_;
  const int max_streams_;
  absl::Mutex mu_;
  std::set<std::shared_ptr<InboxStream>> open_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace carebridge::http

#endif  // CAREBRIDGE_SERVICES_HTTP_INBOX_STREAM_H_
