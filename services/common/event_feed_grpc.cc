#include "services/common/event_feed_grpc.h"

#include <grpcpp/alarm.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "services/common/errors.h"
#include "services/common/feed_audit.h"
#include "services/common/macros.h"
#include "services/common/principal.h"
#include "services/common/status.h"
#include "services/common/time_util.h"

namespace carebridge {
namespace {

using events::v1::Event;
using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;

constexpr int kMaxBatchEvents = 100;
// A subscriber that may see few of the events still gets a batch (empty,
// with through_sequence moved on) after this many, so one read never scans
// the whole log.
constexpr int kMaxScannedPerBatch = 1000;
constexpr int kMaxTypePrefixes = 20;
constexpr size_t kMaxTypePrefixChars = 100;
// How often at most an idle stream looks at its token's expiry: the token
// is checked against the injected clock, which a test may move.
constexpr absl::Duration kExpiryCheckInterval = absl::Seconds(10);

absl::Status ValidateSubscribeRequest(const SubscribeRequest& request) {
  if (request.after_sequence() < 0) {
    return errors::Invalid("after_sequence", "must not be negative");
  }
  if (request.type_prefixes_size() > kMaxTypePrefixes) {
    return errors::TooMany("type_prefixes", kMaxTypePrefixes);
  }
  for (int i = 0; i < request.type_prefixes_size(); ++i) {
    if (request.type_prefixes(i).size() > kMaxTypePrefixChars) {
      return errors::TooLong(absl::StrCat("type_prefixes[", i, "]"),
                             kMaxTypePrefixChars);
    }
  }
  return absl::OkStatus();
}

// One subscription. States: reading (a read of the log is queued or running
// on the executor), writing (one response in flight), idle (caught up,
// waiting for the log's listener or the expiry alarm), finished. The
// reactor is never reading and writing at once, and Finish is called only
// from idle, so no read can still be using it when it goes. It is deleted
// once gRPC is done with it (OnDone) and the expiry alarm has fired or been
// cancelled, whichever is last.
// The access a feed given none uses: policy::EventVisibilityFor alone.
EventAccess* StaticAccess() {
  static EventAccess* const access = new StaticEventAccess();
  return access;
}

class FeedReactor : public grpc::ServerWriteReactor<SubscribeResponse> {
 public:
  FeedReactor(const SubscribeRequest& request, EventLog* log,
              BlockingExecutor* executor, EventAccess* access,
              const Clock* clock)
      : log_(log),
        executor_(executor),
        access_(access != nullptr ? access : StaticAccess()),
        clock_(clock),
        type_prefixes_(request.type_prefixes().begin(),
                       request.type_prefixes().end()),
        stop_when_caught_up_(request.stop_when_caught_up()),
        through_(request.after_sequence()),
        delivered_through_(request.after_sequence()) {}

  void Begin(const grpc::CallbackServerContext& context,
             const SubscribeRequest& request,
             const Authenticator& authenticator) {
    absl::StatusOr<Principal> caller = authenticator.Authenticate(context);
    audit_.emplace(authenticator, context, caller.ok() ? &*caller : nullptr,
                   request, log_->feed());
    absl::Status valid =
        caller.ok() ? ValidateSubscribeRequest(request) : caller.status();
    if (valid.ok()) valid = access_->Admit(*caller, request);
    if (!valid.ok()) {
      {
        // Nothing else may finish the call while its refusal is recorded.
        absl::MutexLock lock(&mu_);
        finished_ = true;
      }
      FinishRecorded(ToGrpcStatus(valid));
      return;
    }
    principal_ = *std::move(caller);
    listener_id_ = log_->AddListener([this] { OnCommit(); });
    revocations_ = authenticator.revocations();
    if (revocations_ != nullptr) {
      revocation_listener_ =
          revocations_->AddListener([this] { OnRevocations(); });
    }
    Next next;
    {
      absl::MutexLock lock(&mu_);
      ArmExpiryLocked();
      // A revocation between Authenticate and AddListener is not missed.
      RevokedLocked();
      next = DecideLocked();
    }
    Perform(next);
  }

  void OnWriteDone(bool ok) override {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      // The response is not kept while idle: an idle subscriber costs only
      // this object.
      SubscribeResponse().Swap(&response_);
      if (!ok)
        SetFinishLocked(grpc::Status(grpc::StatusCode::CANCELLED,
                                     "the subscriber went away"));
      next = DecideLocked();
    }
    Perform(next);
  }

  void OnCancel() override {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      SetFinishLocked(grpc::Status(grpc::StatusCode::CANCELLED,
                                   "the subscriber cancelled"));
      next = DecideLocked();
    }
    Perform(next);
  }

  void OnDone() override {
    // After RemoveListener returns the listener cannot be running.
    if (listener_id_ != 0) log_->RemoveListener(listener_id_);
    if (revocation_listener_ >= 0) {
      revocations_->RemoveListener(revocation_listener_);
    }
    std::unique_ptr<grpc::Alarm> alarm;
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
      if (alarm_pending_) alarm = std::move(alarm_);
    }
    // The alarm's callback (with ok=false once cancelled, on a gRPC thread)
    // drops the alarm's reference, maybe before Cancel returns. The alarm
    // is ours, so it outlives the call.
    if (alarm != nullptr) alarm->Cancel();
    Unref();
  }

 private:
  enum class Next { kNothing, kRead, kFinish };

  struct Batch {
    absl::Status status;
    bool shutting_down = false;
    bool caught_up = false;
    SubscribeResponse response;
  };

  // The log's listener: runs on a committing thread with the log's lock
  // held, so it only marks the wake-up and queues a read when idle.
  void OnCommit() {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      wake_pending_ = true;
      next = DecideLocked();
    }
    Perform(next);
  }

  // The process's revocations changed (the directory's feed said so): a
  // stream whose caller's token no longer stands ends.
  void OnRevocations() {
    Next next = Next::kNothing;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || !RevokedLocked()) return;
      next = DecideLocked();
    }
    Perform(next);
  }

  // True (and the stream set to end) once the caller's token no longer
  // stands: revoked, or its member changed or deactivated.
  bool RevokedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (revocations_ == nullptr) return false;
    absl::Status stands = revocations_->Check(principal_);
    if (stands.ok()) return false;
    SetFinishLocked(
        grpc::Status(static_cast<grpc::StatusCode>(stands.code()),
                     absl::StrCat(stands.message(),
                                  "; subscribe again with a new token "
                                  "after sequence ",
                                  delivered_through_)));
    return true;
  }

  // Sets the alarm for the token's expiry (at most kExpiryCheckInterval
  // ahead, so a moved clock is noticed too). Never after OnDone.
  void ArmExpiryLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (done_ || finished_ || principal_.expire_time == absl::InfiniteFuture())
      return;
    absl::Duration left =
        std::max(principal_.expire_time - clock_->Now(), absl::ZeroDuration());
    alarm_pending_ = true;
    // The alarm's callback holds a reference until it has run.
    refs_.fetch_add(1, std::memory_order_relaxed);
    // A new alarm each time: an alarm is not set again from its own
    // callback. Replacing the one whose callback is running is safe (gRPC
    // keeps it alive until the callback returns).
    alarm_ = std::make_unique<grpc::Alarm>();
    alarm_->Set(
        absl::ToChronoTime(absl::Now() + std::min(left, kExpiryCheckInterval) +
                           absl::Milliseconds(1)),
        [this](bool ok) { OnAlarm(ok); });
  }

  void OnAlarm(bool ok) {
    // A cancelled alarm (OnDone, or gRPC shutting down, which runs the
    // callbacks of pending alarms while holding its executor's lock) takes
    // no lock of ours: taking mu_ there would order gRPC's lock before mu_,
    // while Set (under mu_) orders them the other way.
    if (!ok) {
      Unref();
      return;
    }
    Next next = Next::kNothing;
    {
      absl::MutexLock lock(&mu_);
      alarm_pending_ = false;
      if (!done_ && !finished_) {
        if (ExpiredLocked()) {
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

  // True (and the stream set to end) once the caller's token has expired.
  bool ExpiredLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (clock_->Now() < principal_.expire_time) return false;
    SetFinishLocked(grpc::Status(
        grpc::StatusCode::UNAUTHENTICATED,
        absl::StrCat("the token expired at ",
                     absl::FormatTime(principal_.expire_time),
                     "; subscribe again with a fresh token after sequence ",
                     delivered_through_)));
    return true;
  }

  void SetFinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!finish_with_.has_value()) finish_with_ = std::move(status);
  }

  // What to do next, from idle; nothing while a read or write is in flight
  // (its completion decides again).
  Next DecideLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || reading_ || writing_) return Next::kNothing;
    if (stop_when_caught_up_ && sent_first_ && caught_up_) {
      SetFinishLocked(grpc::Status::OK);
    }
    ExpiredLocked();
    if (finish_with_.has_value()) {
      finished_ = true;
      return Next::kFinish;
    }
    // A commit notification that arrives while a read is in flight sets
    // wake_pending_, so a commit after that read's view of the head is
    // never missed.
    if (!caught_up_ || wake_pending_) {
      wake_pending_ = false;
      reading_ = true;
      return Next::kRead;
    }
    return Next::kNothing;
  }

  // Runs outside mu_. After Finish the reactor may be deleted at any moment
  // (OnDone on another thread), so nothing touches it afterwards.
  void Perform(Next next) {
    switch (next) {
      case Next::kNothing:
        return;
      case Next::kFinish: {
        grpc::Status status;
        {
          absl::MutexLock lock(&mu_);
          status = *finish_with_;
        }
        FinishRecorded(std::move(status));
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
        Perform(next);
        return;
      }
    }
  }

  // Finishes the call with `status` once the subscription has its audit
  // record (FeedAudit::Finish).
  void FinishRecorded(grpc::Status status) {
    audit_->Finish(
        status, [this](grpc::Status recorded) { Finish(std::move(recorded)); });
  }

  // On the executor.
  void Read() {
    int64_t after;
    {
      absl::MutexLock lock(&mu_);
      after = through_;
    }
    Batch batch = ReadBatch(after);
    // What the batch holds may leave only once its audit records are
    // durable.
    if (batch.status.ok() && !batch.shutting_down) {
      batch.status = audit_->BeforeSending(batch.response);
    }
    bool write = false;
    Next next = Next::kNothing;
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      if (batch.shutting_down) {
        SetFinishLocked(grpc::Status(
            grpc::StatusCode::UNAVAILABLE,
            absl::StrCat("the ", log_->feed(),
                         " feed is shutting down; resume after sequence ",
                         delivered_through_)));
      } else if (!batch.status.ok()) {
        SetFinishLocked(ToGrpcStatus(batch.status));
      } else {
        through_ = batch.response.through_sequence();
        caught_up_ = batch.caught_up;
        bool news = !sent_first_ || batch.response.events_size() > 0 ||
                    through_ > last_sent_through_;
        // Nothing is delivered once the token has expired.
        if (news && !ExpiredLocked() && !finish_with_.has_value()) {
          response_ = std::move(batch.response);
          sent_first_ = true;
          last_sent_through_ = through_;
          delivered_through_ = through_;
          writing_ = true;
          write = true;
        }
      }
      if (!write) next = DecideLocked();
    }
    if (write) {
      StartWrite(&response_);
      return;
    }
    Perform(next);
  }

  bool Wanted(const Event& event) const {
    if (type_prefixes_.empty()) return true;
    for (const std::string& prefix : type_prefixes_) {
      if (absl::StartsWith(event.type(), prefix)) return true;
    }
    return false;
  }

  // What the subscriber may see of `event`, which is shaped to it in place.
  absl::StatusOr<policy::EventVisibility> Present(Event& event) {
    return access_->Present(principal_, event);
  }

  // Reads the next batch after `after`: no lock held, and no member but the
  // immutable ones touched. The batch stops before the event that would
  // take it past the byte budget (the first event always goes in).
  Batch ReadBatch(int64_t after) {
    Batch batch;
    if (log_->shutting_down()) {
      batch.shutting_down = true;
      return batch;
    }
    int64_t through = after;
    int scanned = 0;
    size_t bytes = 0;
    bool full = false;
    while (!full) {
      const size_t room = bytes < kFeedResponseBudgetBytes
                              ? kFeedResponseBudgetBytes - bytes
                              : 0;
      absl::StatusOr<EventLog::Slice> slice =
          log_->ReadSlice(through, kMaxBatchEvents, std::max<size_t>(room, 1));
      if (!slice.ok()) {
        batch.status = slice.status();
        return batch;
      }
      for (Event& event : slice->events) {
        if (batch.response.events_size() >= kMaxBatchEvents) {
          full = true;
          break;
        }
        if (!Wanted(event)) {
          through = event.sequence();
          ++scanned;
          continue;
        }
        absl::StatusOr<policy::EventVisibility> visibility = Present(event);
        if (!visibility.ok()) {
          batch.status = visibility.status();
          return batch;
        }
        if (*visibility == policy::EventVisibility::kHidden) {
          through = event.sequence();
          ++scanned;
          continue;
        }
        const size_t size = event.ByteSizeLong();
        if (batch.response.events_size() > 0 &&
            bytes + size > kFeedResponseBudgetBytes) {
          full = true;
          break;
        }
        bytes += size;
        through = event.sequence();
        ++scanned;
        *batch.response.add_events() = std::move(event);
      }
      if (full || !slice->more || batch.response.events_size() > 0 ||
          scanned >= kMaxScannedPerBatch) {
        break;
      }
    }
    // The head is read after the events, so it is never behind them.
    absl::StatusOr<FeedHead> head = log_->ReadHead();
    absl::StatusOr<std::string> epoch = log_->Epoch();
    if (!head.ok() || !epoch.ok()) {
      batch.status = head.ok() ? epoch.status() : head.status();
      return batch;
    }
    batch.response.set_through_sequence(through);
    batch.response.set_head_sequence(head->sequence);
    batch.response.set_epoch(*std::move(epoch));
    if (head->time != absl::InfinitePast()) {
      *batch.response.mutable_head_time() = ToProtoTimestamp(head->time);
    }
    batch.caught_up = through >= head->sequence;
    return batch;
  }

  EventLog* const log_;
  BlockingExecutor* const executor_;
  EventAccess* const access_;
  const Clock* const clock_;
  const std::vector<std::string> type_prefixes_;
  const bool stop_when_caught_up_;
  // Set in Begin, before any read.
  Principal principal_;
  // Set in Begin; then used by the read in flight, and by the finish (never
  // both at once: the finish comes only when no read is in flight).
  std::optional<FeedAudit> audit_;
  EventLog::ListenerId listener_id_ = 0;
  // Set in Begin: the process's revocations (null: none) and this
  // stream's listener on them (-1: none).
  const TokenRevocations* revocations_ = nullptr;
  int revocation_listener_ = -1;

  absl::Mutex mu_;
  int64_t through_ ABSL_GUARDED_BY(mu_);
  int64_t last_sent_through_ ABSL_GUARDED_BY(mu_) = -1;
  // Where a client resumes: the request's position, then the last response
  // handed to gRPC (a batch read but withheld, e.g. after the token
  // expired, does not count).
  int64_t delivered_through_ ABSL_GUARDED_BY(mu_);
  bool sent_first_ ABSL_GUARDED_BY(mu_) = false;
  bool caught_up_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool alarm_pending_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<grpc::Alarm> alarm_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  // One for the call (until OnDone) and one per alarm set and not yet run.
  std::atomic<int> refs_{1};
  std::optional<grpc::Status> finish_with_ ABSL_GUARDED_BY(mu_);
  // The response in flight; written only while no write is.
  SubscribeResponse response_;
};

}  // namespace

grpc::ServerWriteReactor<SubscribeResponse>* ServeEventFeed(
    grpc::CallbackServerContext* context, const SubscribeRequest* request,
    const Authenticator& authenticator, EventLog* log,
    BlockingExecutor* executor, EventAccess* access) {
  auto* reactor =
      new FeedReactor(*request, log, executor, access, authenticator.clock());
  reactor->Begin(*context, *request, authenticator);
  return reactor;
}

}  // namespace carebridge
