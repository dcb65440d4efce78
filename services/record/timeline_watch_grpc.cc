#include "services/record/timeline_watch_grpc.h"

#include <grpcpp/alarm.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/call_audit.h"
#include "services/common/grpc_handler.h"
#include "services/common/status.h"
#include "services/common/token_revocations.h"

namespace carebridge::record {
namespace {

using v1::WatchTimelineRequest;
using v1::WatchTimelineResponse;

constexpr char kResume[] = "; watch again with the last cursor received";

// How often at most an idle stream looks at its token's expiry (as the
// event feeds do): a clock moved meanwhile is noticed too.
constexpr absl::Duration kExpiryCheckInterval = absl::Seconds(10);

// One stream. States: reading (the opening, or a read, queued or running
// on the executor), writing (one response in flight), idle (caught up,
// waiting for the person's timeline to grow, a revocation or the expiry
// alarm), finished. Never reading and writing at once; Finish is called
// only from idle, so no read still uses the reactor when gRPC is done with
// it. It is deleted once gRPC is done with it (OnDone) and no alarm's
// callback is still to run, whichever is last.
class TimelineWatchReactor
    : public grpc::ServerWriteReactor<WatchTimelineResponse> {
 public:
  TimelineWatchReactor(const WatchTimelineRequest& request,
                       const Authenticator& authenticator,
                       BlockingExecutor* executor, RecordDomain* domain,
                       TimelineChanges* changes)
      : request_(request),
        authenticator_(authenticator),
        clock_(authenticator.clock()),
        executor_(executor),
        domain_(domain),
        changes_(changes) {}

  void Begin(const grpc::CallbackServerContext& context) {
    absl::StatusOr<Principal> caller = authenticator_.Authenticate(context);
    if (caller.ok()) {
      principal_ = *caller;
    } else {
      principal_.subject = "unauthenticated";
    }
    // With the request id, and whom a service's call is for.
    audit_ = BeginAudit(authenticator_, context, principal_, request_);
    {
      absl::MutexLock lock(&mu_);
      // The opening counts as a read: nothing else starts meanwhile.
      reading_ = true;
    }
    if (!caller.ok()) {
      FinishCallAuditAsync(audit_, caller.status(), nullptr,
                           [this](absl::Status audited) { Opened(audited); });
      return;
    }
    // An idle stream ends as soon as its token is revoked or expires, not
    // at the next step (which may never come). A revocation before the
    // listener is found by the opening's own check (StoppedLocked).
    revocations_ = authenticator_.revocations();
    if (revocations_ != nullptr) {
      revocation_listener_ =
          revocations_->AddListener([this] { OnRevocations(); });
    }
    {
      absl::MutexLock lock(&mu_);
      ArmExpiryLocked();
    }
    absl::Status posted = executor_->Post([this] { Open(); });
    if (!posted.ok()) {
      FinishCallAuditAsync(audit_, posted, nullptr,
                           [this](absl::Status audited) { Opened(audited); });
    }
  }

  void OnWriteDone(bool ok) override {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      // Not kept while idle: an idle stream costs only this object.
      WatchTimelineResponse().Swap(&response_);
      if (!ok) {
        SetFinishLocked(
            grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      }
      next = DecideLocked();
    }
    Perform(next);
  }

  void OnCancel() override {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      SetFinishLocked(
          grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled"));
      next = DecideLocked();
    }
    Perform(next);
  }

  void OnDone() override {
    // After Unwatch and RemoveListener return the callbacks cannot be
    // running.
    if (watch_id_ != 0) changes_->Unwatch(watch_id_);
    if (revocation_listener_ >= 0) {
      revocations_->RemoveListener(revocation_listener_);
    }
    std::unique_ptr<grpc::Alarm> alarm;
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
      if (alarm_pending_) alarm = std::move(alarm_);
    }
    // The alarm's callback (ok=false once cancelled, on a gRPC thread)
    // drops its reference, maybe before Cancel returns. The alarm is ours,
    // so it outlives the call.
    if (alarm != nullptr) alarm->Cancel();
    Unref();
  }

 private:
  enum class Next { kNothing, kRead, kFinish };
  // Where Perform runs: a listener's thread (a committing thread holding
  // TimelineChanges' lock, or the revocations' notifying thread holding
  // theirs) must not finish the call itself.
  enum class On { kOwnThread, kListener };

  // On the executor: the request's checks, the listener, the first read,
  // all under the call's audit.
  void Open() {
    absl::StatusOr<WatchTimelineResponse> first;
    {
      ScopedCallAudit scope(&audit_);
      absl::StatusOr<TimelineWatch> watch =
          domain_->OpenTimelineWatch(principal_, request_);
      if (watch.ok()) {
        watch_ = *std::move(watch);
        // Before the first read: a commit after it is never missed.
        watch_id_ =
            changes_->Watch(watch_.person_id, [this] { OnTimelineGrew(); });
        first = domain_->ReadTimelineWatch(principal_, watch_);
      } else {
        first = watch.status();
      }
    }
    const absl::Status status = first.status();
    if (first.ok()) first_ = *std::move(first);
    FinishCallAuditAsync(audit_, status, nullptr,
                         [this](absl::Status audited) { Opened(audited); });
  }

  // The opening's record is durable (or could not be written: `audited`
  // says so, and nothing is sent).
  void Opened(const absl::Status& audited) {
    bool write = false;
    Next next = Next::kNothing;
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      if (!audited.ok()) {
        SetFinishLocked(ToGrpcStatus(audited));
      } else {
        caught_up_ = first_.caught_up();
        write = DeliverLocked(std::move(first_));
      }
      if (!write) next = DecideLocked();
    }
    if (write) {
      StartWrite(&response_);
      return;
    }
    Perform(next);
  }

  // TimelineChanges' callback: on a committing thread with its lock held,
  // so it only marks the wake-up and queues a read when idle (a read the
  // executor refuses ends the stream from an alarm, never here).
  void OnTimelineGrew() {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      wake_pending_ = true;
      if (reading_ || writing_) return;
      wake_pending_ = false;
      reading_ = true;
    }
    Perform(Next::kRead, On::kListener);
  }

  // The process's revocations changed (the directory's feed said so): an
  // idle stream whose caller's token no longer stands ends now; a busy one
  // when its read or write completes (StoppedLocked).
  void OnRevocations() {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      next = DecideLocked();
    }
    Perform(next, On::kListener);
  }

  // Sets the alarm for the token's expiry (at most kExpiryCheckInterval
  // ahead, so a moved clock is noticed too). Never after OnDone.
  void ArmExpiryLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (done_ || finished_ || principal_.expire_time == absl::InfiniteFuture())
      return;
    const absl::Duration left =
        std::max(principal_.expire_time - clock_->Now(), absl::ZeroDuration());
    alarm_pending_ = true;
    // The alarm's callback holds a reference until it has run.
    refs_.fetch_add(1, std::memory_order_relaxed);
    // A new alarm each time: an alarm is not set again from its own
    // callback (gRPC keeps the one running alive until it returns).
    alarm_ = std::make_unique<grpc::Alarm>();
    alarm_->Set(
        absl::ToChronoTime(absl::Now() + std::min(left, kExpiryCheckInterval) +
                           absl::Milliseconds(1)),
        [this](bool ok) { OnExpiryAlarm(ok); });
  }

  void OnExpiryAlarm(bool ok) {
    // Cancelled (OnDone, or gRPC shutting down, which runs pending alarms'
    // callbacks holding its executor's lock): no lock of ours is taken,
    // as Set (under mu_) orders the locks the other way.
    if (!ok) {
      Unref();
      return;
    }
    Next next = Next::kNothing;
    {
      absl::MutexLock lock(&mu_);
      alarm_pending_ = false;
      if (!done_ && !finished_) {
        if (clock_->Now() >= principal_.expire_time) {
          // Finishes when idle; a read or write in flight decides again
          // when it completes, and finds the token expired.
          next = DecideLocked();
        } else {
          ArmExpiryLocked();
        }
      }
    }
    Perform(next);
    Unref();
  }

  // Deletes the reactor once the call is done (OnDone) and no alarm
  // callback is still to run.
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // On the executor.
  void Read() {
    Next next = Next::kNothing;
    {
      absl::MutexLock lock(&mu_);
      if (StoppedLocked()) {
        reading_ = false;
        next = DecideLocked();
      }
    }
    if (next != Next::kNothing) {
      Perform(next);
      return;
    }
    absl::StatusOr<WatchTimelineResponse> read =
        domain_->ReadTimelineWatch(principal_, watch_);
    bool write = false;
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      if (!read.ok()) {
        SetFinishLocked(ToGrpcStatus(read.status()));
      } else {
        caught_up_ = read->caught_up();
        write = DeliverLocked(*std::move(read));
      }
      if (!write) next = DecideLocked();
    }
    if (write) {
      StartWrite(&response_);
      return;
    }
    Perform(next);
  }

  // Makes `response` the one to write, when it tells the client something
  // (the first response always does; later ones when they hold entries, or
  // first say caught_up) and the stream may still deliver.
  bool DeliverLocked(WatchTimelineResponse response)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (StoppedLocked()) return false;
    const bool news = !sent_first_ || response.entries_size() > 0 ||
                      (response.caught_up() && !sent_caught_up_);
    if (!news) return false;
    response_ = std::move(response);
    sent_first_ = true;
    sent_caught_up_ = response_.caught_up();
    writing_ = true;
    return true;
  }

  // True (and the stream set to end) once nothing may be delivered: the
  // caller's token expired or no longer stands, or the record is stopping.
  bool StoppedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finish_with_.has_value()) return true;
    const TokenRevocations* revocations = authenticator_.revocations();
    const absl::Status stands = revocations == nullptr
                                    ? absl::OkStatus()
                                    : revocations->Check(principal_);
    if (authenticator_.clock()->Now() >= principal_.expire_time) {
      SetFinishLocked(
          grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                       absl::StrCat("the token expired at ",
                                    absl::FormatTime(principal_.expire_time),
                                    kResume, " and a fresh token")));
    } else if (!stands.ok()) {
      SetFinishLocked(grpc::Status(
          static_cast<grpc::StatusCode>(stands.code()),
          absl::StrCat(stands.message(), kResume, " and a new token")));
    } else if (changes_->shutting_down()) {
      SetFinishLocked(
          grpc::Status(grpc::StatusCode::UNAVAILABLE,
                       absl::StrCat("the record is shutting down", kResume)));
    }
    return finish_with_.has_value();
  }

  void SetFinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!finish_with_.has_value()) finish_with_ = std::move(status);
  }

  // What to do next, from idle; nothing while a read or write is in flight
  // (its completion decides again).
  Next DecideLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || reading_ || writing_) return Next::kNothing;
    if (StoppedLocked()) {
      finished_ = true;
      return Next::kFinish;
    }
    // A wake-up during a read or write is kept, so a commit after that
    // read's snapshot is never missed.
    if (!caught_up_ || wake_pending_) {
      wake_pending_ = false;
      reading_ = true;
      return Next::kRead;
    }
    return Next::kNothing;
  }

  // Outside mu_. After Finish the reactor may go at any moment (OnDone on
  // another thread): nothing touches it afterwards. From a listener's
  // thread Finish is left to an alarm: Finish there would run gRPC's work
  // on a committing thread holding TimelineChanges' lock (stalling every
  // commit), or on the revocations' thread holding theirs, which OnDone
  // takes to stop listening.
  void Perform(Next next, On on = On::kOwnThread) {
    switch (next) {
      case Next::kNothing:
        return;
      case Next::kFinish: {
        grpc::Status status;
        {
          absl::MutexLock lock(&mu_);
          status = *finish_with_;
          if (on == On::kListener) {
            FinishSoonLocked(std::move(status));
            return;
          }
        }
        Finish(std::move(status));
        return;
      }
      case Next::kRead: {
        absl::Status posted = executor_->Post([this] { Read(); });
        if (posted.ok()) return;
        {
          absl::MutexLock lock(&mu_);
          reading_ = false;
          SetFinishLocked(ToGrpcStatus(posted));
          next = DecideLocked();
        }
        Perform(next, on);
        return;
      }
    }
  }

  // Finishes the call from an alarm due now, on a gRPC thread. Once, as
  // finished_ is set: gRPC cannot be done with the call (OnDone) before
  // Finish, so the alarm always runs before the reactor goes.
  void FinishSoonLocked(grpc::Status status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    refs_.fetch_add(1, std::memory_order_relaxed);
    finish_alarm_ = std::make_unique<grpc::Alarm>();
    finish_alarm_->Set(absl::ToChronoTime(absl::Now()),
                       [this, status = std::move(status)](bool) {
                         // Even cancelled (gRPC shutting down): the call
                         // must still be finished.
                         Finish(status);
                         Unref();
                       });
  }

  const WatchTimelineRequest request_;
  const Authenticator& authenticator_;
  const Clock* const clock_;
  BlockingExecutor* const executor_;
  RecordDomain* const domain_;
  TimelineChanges* const changes_;
  // Set in Begin, before anything runs concurrently.
  Principal principal_;
  CallAudit audit_;
  // Used by one read (or the opening) at a time, on the executor.
  TimelineWatch watch_;
  WatchTimelineResponse first_;
  // Set by the opening; 0: not listening.
  TimelineChanges::WatchId watch_id_ = 0;
  // Set in Begin; -1: not listening.
  const TokenRevocations* revocations_ = nullptr;
  int revocation_listener_ = -1;
  // The call's (dropped in OnDone) and each pending alarm callback's.
  std::atomic<int> refs_{1};

  absl::Mutex mu_;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool caught_up_ ABSL_GUARDED_BY(mu_) = false;
  bool sent_first_ ABSL_GUARDED_BY(mu_) = false;
  bool sent_caught_up_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> finish_with_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool alarm_pending_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<grpc::Alarm> alarm_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Alarm> finish_alarm_ ABSL_GUARDED_BY(mu_);
  // The response in flight; written only while no write is.
  WatchTimelineResponse response_;
};

}  // namespace

grpc::ServerWriteReactor<WatchTimelineResponse>* ServeTimelineWatch(
    grpc::CallbackServerContext* context, const WatchTimelineRequest* request,
    const Authenticator& authenticator, BlockingExecutor* executor,
    RecordDomain* domain, TimelineChanges* changes) {
  auto* reactor = new TimelineWatchReactor(*request, authenticator, executor,
                                           domain, changes);
  reactor->Begin(*context);
  return reactor;
}

}  // namespace carebridge::record
