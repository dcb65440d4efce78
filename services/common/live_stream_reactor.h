#ifndef CAREBRIDGE_SERVICES_COMMON_LIVE_STREAM_REACTOR_H_
#define CAREBRIDGE_SERVICES_COMMON_LIVE_STREAM_REACTOR_H_

#include <grpcpp/alarm.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/common/authenticator.h"
#include "services/common/executor.h"
#include "services/common/principal.h"
#include "services/common/status.h"
#include "services/common/token_revocations.h"

namespace carebridge {

// What one read of a live stream's source gave.
template <typename Response>
struct LiveStreamRead {
  // Not OK: the stream ends with it.
  absl::Status status;
  Response response;
  // The read reached the source's head: the stream waits for a wake-up.
  bool caught_up = false;
};

// A server stream that sends what a source of entries holds from a
// position on, then follows the source live: the event feeds
// (event_feed_grpc.h) and the record's timeline streams
// (timeline_watch_grpc.h). The behaviour they share is here, once:
//
// - One write in flight at a time; the next response is read (on
//   `executor`, never on a gRPC thread or on the thread that woke it) only
//   when the write completes, so a client that does not read holds one
//   response on the server. The first response is sent at once, even when
//   empty; later ones when the source says they tell the client something.
// - Once caught up it holds no thread: the source's wake-ups (a commit)
//   queue the next read.
// - It ends CANCELLED when the client goes, UNAUTHENTICATED (or the
//   revocation's code) as soon as the caller's token expires or is revoked,
//   idle or not (an expiry alarm and the revocations' listener),
//   UNAVAILABLE when the source shuts down, with a read's error, and OK
//   once caught up when the source asks for that. Each message says where
//   to resume.
// - A finish decided on a wake-up's or a revocation's thread (the
//   executor refused the read, or the token no longer stands) is left to
//   an alarm: those threads hold their notifier's lock, so finishing there
//   would stall every commit meanwhile, or take a lock OnDone needs.
//
// `Source` supplies the rest (one per stream, owned by the reactor):
//
//   // The peer in messages ("subscriber").
//   static constexpr char kPeer[];
//   // On gRPC's thread, first: the caller, or why the stream is refused.
//   absl::StatusOr<Principal> Admit(const grpc::CallbackServerContext&,
//                                   const Request&, const Authenticator&);
//   // `wake` is to be called whenever more may be readable (it only queues
//   // a read, so it may run under any lock); StopListening (in OnDone)
//   // returns once it is never called again.
//   void Listen(std::function<void()> wake);
//   void StopListening();
//   // On the executor, one read at a time: what follows the last read.
//   // `done` runs once, on any thread.
//   void Read(const Principal& caller,
//             absl::AnyInvocable<void(LiveStreamRead<Response>)> done);
//   // Calls `finish` with the status to end the call with, perhaps on
//   // another thread (after recording the stream, if it must be first).
//   void Finish(grpc::Status status,
//               absl::AnyInvocable<void(grpc::Status)> finish);
//   // Takes no lock (it is asked under the reactor's, which a wake-up
//   // takes under the source's own).
//   bool ShuttingDown() const;
//   bool stop_when_caught_up() const;
//   // Under the reactor's lock: whether `response` tells the client
//   // something (the `first` always does); if so it is sent, and the
//   // source remembers where the client is.
//   bool SendsLocked(const Response& response, bool first);
//   // Under the reactor's lock: "; subscribe again with <token> after
//   // sequence 41", and the whole message of a shutdown.
//   std::string ResumeLocked(absl::string_view with_token) const;
//   std::string ShuttingDownLocked() const;
//
// States: reading (a read queued or running on the executor), writing (one
// response in flight), idle (waiting for a wake-up, a revocation or the
// expiry alarm), finished. Never reading and writing at once; Finish is
// called only from idle, so no read still uses the reactor when gRPC is
// done with it. It deletes itself once gRPC is done with it (OnDone) and
// no alarm's callback is still to run, whichever is last.
template <typename Request, typename Response, typename Source>
class LiveStreamReactor : public grpc::ServerWriteReactor<Response> {
 public:
  template <typename... SourceArgs>
  LiveStreamReactor(const Authenticator& authenticator,
                    BlockingExecutor* executor, SourceArgs&&... source_args)
      : clock_(authenticator.clock()),
        revocations_(authenticator.revocations()),
        executor_(executor),
        source_(std::forward<SourceArgs>(source_args)...) {}

  void Begin(const grpc::CallbackServerContext& context, const Request& request,
             const Authenticator& authenticator) {
    absl::StatusOr<Principal> caller =
        source_.Admit(context, request, authenticator);
    if (!caller.ok()) {
      {
        // Nothing else may finish the call while its refusal is recorded.
        absl::MutexLock lock(&mu_);
        finished_ = true;
      }
      FinishNow(ToGrpcStatus(caller.status()));
      return;
    }
    principal_ = *std::move(caller);
    source_.Listen([this] { OnWake(); });
    if (revocations_ != nullptr) {
      revocation_listener_ =
          revocations_->AddListener([this] { OnRevocations(); });
    }
    Next next;
    {
      absl::MutexLock lock(&mu_);
      ArmExpiryLocked();
      // A revocation between Admit and AddListener is found here.
      next = DecideLocked();
    }
    Perform(next);
  }

  void OnWriteDone(bool ok) override {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      // Not kept while idle: an idle stream costs only this object.
      Response().Swap(&response_);
      if (!ok) {
        SetFinishLocked(
            grpc::Status(grpc::StatusCode::CANCELLED,
                         absl::StrCat("the ", Source::kPeer, " went away")));
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
          grpc::Status(grpc::StatusCode::CANCELLED,
                       absl::StrCat("the ", Source::kPeer, " cancelled")));
      next = DecideLocked();
    }
    Perform(next);
  }

  void OnDone() override {
    // After these return the listeners cannot be running.
    source_.StopListening();
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
  // its notifier's lock, or the revocations' notifying thread holding
  // theirs) must not finish the call itself.
  enum class On { kOwnThread, kListener };

  // How often at most an idle stream looks at its token's expiry: the
  // token is checked against the injected clock, which a test may move.
  static constexpr absl::Duration kExpiryCheckInterval = absl::Seconds(10);

  // The source's wake-up: marks it and queues a read when idle (a read
  // in flight decides again when it completes, and reads).
  void OnWake() {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      wake_pending_ = true;
      next = DecideLocked();
    }
    Perform(next, On::kListener);
  }

  // The process's revocations changed (the directory's feed said so): an
  // idle stream whose caller's token no longer stands ends now; a busy one
  // when its read or write completes.
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
    source_.Read(principal_, [this](LiveStreamRead<Response> read) {
      ReadDone(std::move(read));
    });
  }

  void ReadDone(LiveStreamRead<Response> read) {
    bool write = false;
    Next next = Next::kNothing;
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      if (!read.status.ok()) {
        SetFinishLocked(ToGrpcStatus(read.status));
      } else {
        caught_up_ = read.caught_up;
        write = DeliverLocked(std::move(read.response));
      }
      if (!write) next = DecideLocked();
    }
    if (write) {
      this->StartWrite(&response_);
      return;
    }
    Perform(next);
  }

  // Makes `response` the one to write when it tells the client something
  // (the first response always does) and the stream may still deliver.
  bool DeliverLocked(Response response) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (StoppedLocked()) return false;
    if (!source_.SendsLocked(response, /*first=*/!sent_first_)) return false;
    response_ = std::move(response);
    sent_first_ = true;
    writing_ = true;
    return true;
  }

  // True (and the stream set to end) once nothing may be delivered: the
  // caller's token expired or no longer stands, or the source is stopping.
  bool StoppedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finish_with_.has_value()) return true;
    const absl::Status stands = revocations_ == nullptr
                                    ? absl::OkStatus()
                                    : revocations_->Check(principal_);
    if (clock_->Now() >= principal_.expire_time) {
      SetFinishLocked(
          grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                       absl::StrCat("the token expired at ",
                                    absl::FormatTime(principal_.expire_time),
                                    source_.ResumeLocked("a fresh token"))));
    } else if (!stands.ok()) {
      SetFinishLocked(grpc::Status(
          static_cast<grpc::StatusCode>(stands.code()),
          absl::StrCat(stands.message(), source_.ResumeLocked("a new token"))));
    } else if (source_.ShuttingDown()) {
      SetFinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   source_.ShuttingDownLocked()));
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
    if (source_.stop_when_caught_up() && sent_first_ && caught_up_) {
      SetFinishLocked(grpc::Status::OK);
    }
    if (StoppedLocked()) {
      finished_ = true;
      return Next::kFinish;
    }
    // A wake-up during a read or write is kept, so a commit after that
    // read's view of the source is never missed.
    if (!caught_up_ || wake_pending_) {
      wake_pending_ = false;
      reading_ = true;
      return Next::kRead;
    }
    return Next::kNothing;
  }

  // Outside mu_. After Finish the reactor may go at any moment (OnDone on
  // another thread): nothing touches it afterwards.
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
        FinishNow(std::move(status));
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
                         FinishNow(status);
                         Unref();
                       });
  }

  // Ends the call with `status`, once the source is ready for it.
  void FinishNow(grpc::Status status) {
    source_.Finish(std::move(status), [this](grpc::Status finish_with) {
      this->Finish(std::move(finish_with));
    });
  }

  const Clock* const clock_;
  // The process's revocations (null: none) and this stream's listener on
  // them (-1: none), set in Begin.
  const TokenRevocations* const revocations_;
  int revocation_listener_ = -1;
  BlockingExecutor* const executor_;
  // Used by one read at a time, by the finish (never during a read), and
  // under mu_ (see Source above).
  Source source_;
  // Set in Begin, before anything runs concurrently.
  Principal principal_;
  // The call's (dropped in OnDone) and each pending alarm callback's.
  std::atomic<int> refs_{1};

  absl::Mutex mu_;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool caught_up_ ABSL_GUARDED_BY(mu_) = false;
  bool sent_first_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> finish_with_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool alarm_pending_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<grpc::Alarm> alarm_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Alarm> finish_alarm_ ABSL_GUARDED_BY(mu_);
  // The response in flight; written only while no write is.
  Response response_;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_LIVE_STREAM_REACTOR_H_
