#include "services/record/timeline_watch_grpc.h"

#include <functional>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/common/call_audit.h"
#include "services/common/grpc_handler.h"
#include "services/common/live_stream_reactor.h"
#include "services/common/status.h"

namespace carebridge::record {
namespace {

using v1::WatchTimelineRequest;
using v1::WatchTimelineResponse;

constexpr char kResume[] = "; watch again with the last cursor received";

// What one stream reads: the person's timeline after its cursor, as the
// caller may see it (LiveStreamReactor's Source). Its first read opens the
// watch, under the call's audit, which is durable before anything is sent.
class TimelineSource {
 public:
  static constexpr char kPeer[] = "client";

  TimelineSource(const WatchTimelineRequest& request, RecordDomain* domain,
                 TimelineChanges* changes)
      : request_(request), domain_(domain), changes_(changes) {}

  absl::StatusOr<Principal> Admit(const grpc::CallbackServerContext& context,
                                  const WatchTimelineRequest& request,
                                  const Authenticator& authenticator) {
    absl::StatusOr<Principal> caller = authenticator.Authenticate(context);
    Principal principal;
    if (caller.ok()) {
      principal = *caller;
    } else {
      principal.subject = "unauthenticated";
    }
    // With the request id, and whom a service's call is for.
    audit_ = BeginAudit(authenticator, context, principal, request);
    return caller;
  }

  // Watching starts with the first read, which finds the person.
  void Listen(std::function<void()> wake) { wake_ = std::move(wake); }
  void StopListening() {
    if (watch_id_ != 0) changes_->Unwatch(watch_id_);
  }

  void Read(
      const Principal& caller,
      absl::AnyInvocable<void(LiveStreamRead<WatchTimelineResponse>)> done) {
    if (opened_) {
      done(Result(domain_->ReadTimelineWatch(caller, watch_)));
      return;
    }
    absl::StatusOr<WatchTimelineResponse> first;
    {
      ScopedCallAudit scope(&audit_);
      absl::StatusOr<TimelineWatch> watch =
          domain_->OpenTimelineWatch(caller, request_);
      if (watch.ok()) {
        watch_ = *std::move(watch);
        // Before the first read: a commit after it is never missed.
        watch_id_ = changes_->Watch(watch_.person_id, wake_);
        first = domain_->ReadTimelineWatch(caller, watch_);
      } else {
        first = watch.status();
      }
    }
    opened_ = true;
    const absl::Status status = first.status();
    if (first.ok()) first_ = *std::move(first);
    FinishCallAuditAsync(
        audit_, status, nullptr,
        [this, done = std::move(done)](absl::Status audited) mutable {
          if (!audited.ok()) {
            done(Result(audited));
          } else {
            done(Result(std::move(first_)));
          }
        });
  }

  // A stream that ends before its opening was audited (not authenticated,
  // refused by the executor, stopped) is audited with how it ends.
  void Finish(grpc::Status status,
              absl::AnyInvocable<void(grpc::Status)> finish) {
    if (opened_) {
      finish(std::move(status));
      return;
    }
    opened_ = true;
    FinishCallAuditAsync(
        audit_, FromGrpcStatus(status), nullptr,
        [finish = std::move(finish)](absl::Status audited) mutable {
          finish(ToGrpcStatus(audited));
        });
  }

  bool ShuttingDown() const { return changes_->shutting_down(); }
  bool stop_when_caught_up() const { return false; }

  // Entries, or the first caught_up.
  bool SendsLocked(const WatchTimelineResponse& response, bool first) {
    if (!first && response.entries_size() == 0 &&
        (!response.caught_up() || sent_caught_up_)) {
      return false;
    }
    sent_caught_up_ = response.caught_up();
    return true;
  }

  std::string ResumeLocked(absl::string_view with_token) const {
    return absl::StrCat(kResume, " and ", with_token);
  }
  std::string ShuttingDownLocked() const {
    return absl::StrCat("the record is shutting down", kResume);
  }

 private:
  static LiveStreamRead<WatchTimelineResponse> Result(
      absl::StatusOr<WatchTimelineResponse> read) {
    LiveStreamRead<WatchTimelineResponse> result;
    result.status = read.status();
    if (read.ok()) {
      result.caught_up = read->caught_up();
      result.response = *std::move(read);
    }
    return result;
  }

  const WatchTimelineRequest request_;
  RecordDomain* const domain_;
  TimelineChanges* const changes_;
  std::function<void()> wake_;
  // Set in Admit; finished by the opening, or by a finish before it.
  CallAudit audit_;
  // The opening ran (or the stream ended before it).
  bool opened_ = false;
  // Used by one read (or the opening) at a time, on the executor.
  TimelineWatch watch_;
  WatchTimelineResponse first_;
  // Set by the opening; 0: not listening.
  TimelineChanges::WatchId watch_id_ = 0;
  // Under the reactor's lock.
  bool sent_caught_up_ = false;
};

using TimelineWatchReactor =
    LiveStreamReactor<WatchTimelineRequest, WatchTimelineResponse,
                      TimelineSource>;

}  // namespace

grpc::ServerWriteReactor<WatchTimelineResponse>* ServeTimelineWatch(
    grpc::CallbackServerContext* context, const WatchTimelineRequest* request,
    const Authenticator& authenticator, BlockingExecutor* executor,
    RecordDomain* domain, TimelineChanges* changes) {
  auto* reactor = new TimelineWatchReactor(authenticator, executor, *request,
                                           domain, changes);
  reactor->Begin(*context, *request, authenticator);
  return reactor;
}

}  // namespace carebridge::record
