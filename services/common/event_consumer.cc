#include "services/common/event_consumer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/status.h"
#include "services/common/thread_name.h"
#include "services/common/time_util.h"

namespace carebridge {

using events::v1::Event;
using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;

namespace {

// Errors that say something the event needs is down, not that the event is
// wrong: retried for as long as they last, never parked.
bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

// The shortest wait between a standby's tries for the lock: without one, a
// standby_retry of zero would spin on the database.
constexpr absl::Duration kMinStandbyRetry = absl::Milliseconds(10);

EventConsumer::Options WithValidWaits(EventConsumer::Options options) {
  options.standby_retry = std::max(options.standby_retry, kMinStandbyRetry);
  return options;
}

}  // namespace

EventConsumer::EventConsumer(Options options, ServiceCredentials* credentials,
                             const Clock* clock, ConsumerLedger* ledger,
                             StreamOpener open, Apply apply,
                             ApplyBatch apply_batch)
    : options_(WithValidWaits(std::move(options))),
      name_(absl::StrCat(options_.consumer, ".", options_.feed)),
      credentials_(credentials),
      clock_(clock),
      ledger_(ledger),
      open_(std::move(open)),
      apply_(std::move(apply)),
      apply_batch_(std::move(apply_batch)),
      role_(options_.coordination, absl::StrCat("consumer.", name_)) {}

EventConsumer::~EventConsumer() { Stop(); }

void EventConsumer::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] {
    // "record.referral": the record's consumer of the referral feed.
    NameThisThread(name_);
    Run();
  });
  if (options_.coordination != nullptr) {
    lock_watch_thread_ = std::thread([this] {
      NameThisThread(absl::StrCat("lock ", name_));
      WatchLock();
    });
  }
}

void EventConsumer::Stop() {
  std::thread thread;
  std::thread lock_watch_thread;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    phase_ = ConsumerState::Phase::kStopped;
    // The context is alive while it is published here (FollowOnce clears
    // it under mu_ before it goes out of scope).
    if (active_context_ != nullptr) active_context_->TryCancel();
    if (standby_context_ != nullptr) standby_context_->TryCancel();
    thread = std::move(thread_);
    lock_watch_thread = std::move(lock_watch_thread_);
  }
  if (thread.joinable()) thread.join();
  if (lock_watch_thread.joinable()) lock_watch_thread.join();
  // Another replica takes over at once.
  role_.Release();
}

void EventConsumer::Log(absl::string_view text) const {
  LogLine(absl::StrCat(options_.consumer, "<-", options_.feed, ": ", text));
}

bool EventConsumer::Current(int64_t generation) {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || generation_ != generation) return false;
  }
  return role_.Held();
}

bool EventConsumer::Pause(absl::Duration delay, int64_t generation) {
  struct Waiting {
    const EventConsumer* consumer;
    int64_t generation;
  };
  Waiting waiting{this, generation};
  bool (*moved_on)(Waiting*) = [](Waiting* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return w->consumer->stopping_ || w->consumer->generation_ != w->generation;
  };
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(moved_on, &waiting), delay);
  return !stopping_ && generation_ == generation;
}

void EventConsumer::Run() {
  absl::Duration backoff = options_.min_backoff;
  while (true) {
    int64_t generation = 0;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      generation = generation_;
    }
    if (!ClaimFollowing(generation)) continue;
    bool progressed = false;
    // Problems are recorded (and logged once) by FollowOnce; whatever ended
    // the subscription, the consumer subscribes again from its cursor.
    FollowOnce(generation, &progressed).IgnoreError();
    if (progressed) backoff = options_.min_backoff;
    // The lock was lost: stand by at once rather than back off.
    if (!role_.Held()) continue;
    // A producer that stays down, or reset, is retried ever more slowly; an
    // administrator's reset starts again at once.
    if (!Pause(backoff, generation)) {
      backoff = options_.min_backoff;
      continue;
    }
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::Status EventConsumer::CheckProducer(const SubscribeResponse& response,
                                          ConsumerPosition& position) {
  if (!response.epoch().empty()) {
    if (position.epoch.empty()) {
      absl::Status recorded =
          ledger_->RecordEpoch(options_.feed, response.epoch());
      if (!recorded.ok()) return recorded;
      position.epoch = response.epoch();
    } else if (position.epoch != response.epoch()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the ", options_.feed,
          " feed now comes from another database "
          "(epoch ",
          response.epoch(), "; the cursor ", position.sequence,
          " belongs to epoch ", position.epoch,
          "): nothing is applied from it until an administrator resets this "
          "consumer (carectl admin feeds reset)"));
    }
  }
  if (response.head_sequence() < position.sequence) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the ", options_.feed, " feed's head is ", response.head_sequence(),
        ", below this consumer's cursor ", position.sequence,
        " (was the producer restored from a backup?): its new events would "
        "reuse sequences already applied, so nothing is applied from it until "
        "an administrator resets this consumer (carectl admin feeds reset)"));
  }
  return absl::OkStatus();
}

absl::Status EventConsumer::FollowOnce(int64_t generation, bool* progressed) {
  absl::StatusOr<ConsumerPosition> position = ledger_->Position(options_.feed);
  if (!position.ok()) {
    absl::Status status(
        position.status().code(),
        absl::StrCat("loading the cursor: ", position.status().message()));
    NoteProblem(status, ConsumerState::Phase::kRetrying);
    return status;
  }
  grpc::ClientContext context;
  if (credentials_ != nullptr) credentials_->Apply(context);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || generation_ != generation) return absl::OkStatus();
    // Stop and Reset cancel it from here on.
    active_context_ = &context;
  }
  std::unique_ptr<grpc::ClientReaderInterface<SubscribeResponse>> reader =
      open_(&context, SubscribeAfter(position->sequence));

  absl::Status failed;
  ConsumerState::Phase failed_phase = ConsumerState::Phase::kRetrying;
  bool connected = false;
  // Left before the stream ended: failed, or stopped or reset meanwhile.
  bool left = false;
  SubscribeResponse response;
  while (failed.ok() && reader->Read(&response)) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ || generation_ != generation) {
        left = true;
        break;
      }
    }
    if (!role_.Held()) {
      left = true;
      break;
    }
    {
      absl::MutexLock lock(&mu_);
      head_sequence_ = response.head_sequence();
      producer_epoch_ = response.epoch();
      head_time_ = response.has_head_time()
                       ? FromProtoTimestamp(response.head_time())
                       : absl::InfinitePast();
      if (response.events_size() > 0) {
        oldest_pending_time_ = FromProtoTimestamp(response.events(0).time());
      }
    }
    if (!connected) {
      failed = CheckProducer(response, *position);
      if (!failed.ok()) {
        failed_phase = ConsumerState::Phase::kProducerReset;
        break;
      }
      connected = true;
      connections_.fetch_add(1);
      {
        absl::MutexLock lock(&mu_);
        phase_ = ConsumerState::Phase::kFollowing;
        connected_since_ = clock_->Now();
        last_error_.clear();
      }
      if (!last_logged_.empty() || connections_.load() == 1) {
        Log(absl::StrCat("following the feed after sequence ",
                         position->sequence));
        last_logged_.clear();
      }
    } else if (!response.epoch().empty() &&
               response.epoch() != position->epoch) {
      failed = CheckProducer(response, *position);
      failed_phase = ConsumerState::Phase::kProducerReset;
      break;
    }
    const absl::Span<const Event* const> events(response.events().data(),
                                                response.events_size());
    const size_t max_batch =
        static_cast<size_t>(std::max(1, options_.max_batch));
    for (size_t start = 0; start < events.size() && failed.ok();) {
      const absl::Span<const Event* const> batch =
          events.subspan(start, std::min(max_batch, events.size() - start));
      start += batch.size();
      if (batch.size() > 1 && TryBatch(batch, generation)) {
        *progressed = true;
        continue;
      }
      for (const Event* event : batch) {
        absl::Status applied = ApplyOne(*event, generation);
        if (!applied.ok()) {
          failed = applied;
          break;
        }
        *progressed = true;
      }
    }
    if (failed.ok()) {
      absl::MutexLock lock(&mu_);
      if (generation_ == generation) {
        considered_through_ =
            std::max(considered_through_, response.through_sequence());
        if (considered_through_ >= head_sequence_) {
          oldest_pending_time_ = absl::InfinitePast();
        }
      }
    }
  }
  if (left || !failed.ok()) {
    context.TryCancel();
    while (reader->Read(&response)) {
    }
  }
  grpc::Status finished = reader->Finish();
  {
    absl::MutexLock lock(&mu_);
    active_context_ = nullptr;
    if (stopping_ || generation_ != generation) return absl::OkStatus();
  }
  // Another replica follows now; Run stands by.
  if (!role_.Held()) return absl::OkStatus();
  absl::Status status = failed;
  if (status.ok() && !finished.ok()) {
    absl::Status grpc_status = FromGrpcStatus(finished);
    status = absl::Status(
        grpc_status.code(),
        absl::StrCat(connected ? "disconnected: " : "cannot subscribe: ",
                     grpc_status.message()));
  }
  if (status.ok()) {
    // The producer ended the stream without an error: it should not (it
    // streams until cancelled), so resubscribe like after any disconnect.
    status = absl::UnavailableError("the feed ended the stream");
  }
  NoteProblem(status, failed_phase);
  return status;
}

absl::Status EventConsumer::AttemptOrPark(const Event& event,
                                          int64_t generation,
                                          const std::string* park_reason,
                                          int attempts) {
  absl::MutexLock apply_lock(&apply_mu_);
  if (!Current(generation)) {
    return absl::CancelledError("the consumer was stopped or reset");
  }
  if (park_reason == nullptr) {
    return apply_(event, FeedPosition(options_.feed, event.sequence()));
  }
  return ledger_->Park(options_.feed, event, *park_reason, attempts,
                       clock_->Now());
}

SubscribeRequest EventConsumer::SubscribeAfter(int64_t sequence) const {
  SubscribeRequest request;
  request.set_after_sequence(sequence);
  for (const std::string& prefix : options_.type_prefixes) {
    request.add_type_prefixes(prefix);
  }
  return request;
}

bool EventConsumer::TryBatch(absl::Span<const Event* const> events,
                             int64_t generation) {
  if (!apply_batch_) return false;
  {
    absl::MutexLock apply_lock(&apply_mu_);
    if (!Current(generation)) return false;
    if (!apply_batch_(events, options_.feed).ok()) return false;
  }
  for (const Event* event : events) NoteApplied(*event, generation);
  return true;
}

absl::Status EventConsumer::ApplyOne(const Event& event, int64_t generation) {
  absl::Duration backoff = options_.min_backoff;
  for (int attempt = 1;; ++attempt) {
    absl::Status applied = AttemptOrPark(event, generation, nullptr, attempt);
    if (applied.ok()) {
      NoteApplied(event, generation);
      return absl::OkStatus();
    }
    if (!Current(generation)) {
      return absl::CancelledError("the consumer was stopped or reset");
    }
    const std::string reason = absl::StrCat(
        absl::StatusCodeToString(applied.code()), ": ", applied.message());
    if (IsTransient(applied)) {
      // Not the event's fault: resubscribe later and try again, for ever.
      return absl::Status(
          applied.code(),
          absl::StrCat("applying event ", event.id(), ": ", applied.message()));
    }
    // A lost race (ABORTED) is usually gone on the next try: only one that
    // keeps coming back for several times as long is taken as lasting.
    const int allowed = absl::IsAborted(applied) ? options_.max_attempts * 4
                                                 : options_.max_attempts;
    if (attempt >= allowed) {
      absl::Status parked = AttemptOrPark(event, generation, &reason, attempt);
      if (!parked.ok()) {
        return absl::Status(
            parked.code(),
            absl::StrCat("parking event ", event.id(), ": ", parked.message()));
      }
      Log(absl::StrCat("PARKED event ", event.id(), " (", event.type(), " ",
                       event.subject(), ") after ", attempt,
                       " attempts: ", reason,
                       "; the feed goes on; see carectl admin feeds parked"));
      NoteApplied(event, generation);
      return absl::OkStatus();
    }
    if (attempt == 1) {
      Log(absl::StrCat("could not apply event ", event.id(),
                       "; retrying: ", reason));
    }
    if (!Pause(backoff, generation)) {
      return absl::CancelledError("the consumer was stopped or reset");
    }
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

void EventConsumer::NoteApplied(const Event& event, int64_t generation) {
  int64_t seen = applied_through_.load();
  while (event.sequence() > seen &&
         !applied_through_.compare_exchange_weak(seen, event.sequence())) {
  }
  absl::MutexLock lock(&mu_);
  last_applied_time_ = clock_->Now();
  if (generation_ == generation) {
    considered_through_ = std::max(considered_through_, event.sequence());
  }
}

void EventConsumer::NoteProblem(const absl::Status& status,
                                ConsumerState::Phase phase) {
  const std::string text = status.ToString();
  {
    absl::MutexLock lock(&mu_);
    if (phase_ != ConsumerState::Phase::kStopped) phase_ = phase;
    last_error_ = text;
    last_error_time_ = clock_->Now();
  }
  if (text == last_logged_) return;
  last_logged_ = text;
  Log(absl::StrCat(phase == ConsumerState::Phase::kProducerReset
                       ? "PRODUCER RESET: "
                       : "retrying: ",
                   text));
}

absl::StatusOr<ConsumerState> EventConsumer::State() {
  absl::StatusOr<ConsumerPosition> position = ledger_->Position(options_.feed);
  if (!position.ok()) return position.status();
  absl::StatusOr<int64_t> parked = ledger_->CountParked(options_.feed);
  if (!parked.ok()) return parked.status();
  ConsumerState state;
  state.cursor = position->sequence;
  state.epoch = position->epoch;
  state.parked_count = *parked;
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  state.phase = phase_;
  state.head_sequence = head_sequence_;
  state.producer_epoch = producer_epoch_;
  state.head_time = head_time_;
  absl::Time since = oldest_pending_time_;
  state.last_error = last_error_;
  if (phase_ == ConsumerState::Phase::kStandingBy) {
    // The cursor is the follower's.
    state.live = standby_live_ && state.cursor >= standby_from_;
    const int64_t considered = StandbyConsidered(state.cursor, &since);
    state.lag_events = std::max<int64_t>(0, head_sequence_ - considered);
    if (state.cursor < standby_from_ && state.last_error.empty()) {
      state.last_error = absl::StrCat(
          "standing by; the shared cursor went back to ", state.cursor,
          " (a reset), below what the watch of the feed noted (from ",
          standby_from_, "): watching again from the cursor");
    }
  } else {
    state.live = phase_ == ConsumerState::Phase::kFollowing;
    state.lag_events = std::max<int64_t>(
        0, head_sequence_ - std::max(state.cursor, considered_through_));
  }
  if (state.lag_events > 0) {
    if (since == absl::InfinitePast()) since = head_time_;
    if (since != absl::InfinitePast()) {
      state.lag = std::max(now - since, absl::ZeroDuration());
    }
  }
  state.last_error_time = last_error_time_;
  state.connected_since = connected_since_;
  state.last_applied_time = last_applied_time_;
  return state;
}

absl::Status EventConsumer::RetryParked(int64_t parked_id,
                                        absl::string_view actor) {
  absl::MutexLock apply_lock(&apply_mu_);
  absl::StatusOr<ParkedEvent> parked =
      ledger_->GetParked(options_.feed, parked_id);
  if (!parked.ok()) return parked.status();
  auto not_parked = [&](ParkedState state) {
    return absl::FailedPreconditionError(absl::StrCat(
        "parked event ", parked_id, " of the ", options_.feed,
        " feed is not parked any more (",
        state == ParkedState::kApplied ? "applied" : "dismissed", ")"));
  };
  if (parked->state != ParkedState::kParked) return not_parked(parked->state);
  FeedPosition position(options_.feed, parked->event.sequence());
  position.parked_id = parked_id;
  position.retried_by = std::string(actor);
  position.retry_time = clock_->Now();
  absl::Status applied = apply_(parked->event, position);
  if (applied.ok()) {
    // `apply` also returns OK for an event no longer pending: dismissed by
    // another administrator meanwhile. Say what really became of it.
    absl::StatusOr<ParkedEvent> now =
        ledger_->GetParked(options_.feed, parked_id);
    if (!now.ok()) return now.status();
    if (now->state != ParkedState::kApplied ||
        now->resolved_by != position.retried_by) {
      return not_parked(now->state);
    }
    Log(absl::StrCat("parked event ", parked->event.id(),
                     " applied on retry by ", actor));
    return absl::OkStatus();
  }
  const std::string reason = absl::StrCat(
      absl::StatusCodeToString(applied.code()), ": ", applied.message());
  absl::Status recorded =
      ledger_->RecordRetryFailure(options_.feed, parked_id, reason);
  if (!recorded.ok()) return recorded;
  return absl::FailedPreconditionError(
      absl::StrCat("parked event ", parked_id, " of the ", options_.feed,
                   " feed still cannot be applied; it stays parked: ", reason));
}

absl::Status EventConsumer::Reset(int64_t sequence, absl::string_view epoch) {
  // No apply or park is under way, and none started before this point
  // writes after it (each checks the generation under apply_mu_).
  absl::MutexLock apply_lock(&apply_mu_);
  // The follower, in another process, would go on from where it is and
  // move the cursor past the reset: the reset is for the replica holding
  // the consumer's lock to make, whatever its phase.
  if (!role_.Held()) {
    absl::MutexLock lock(&mu_);
    if (phase_ == ConsumerState::Phase::kStandingBy) {
      return absl::FailedPreconditionError(absl::StrCat(
          "another replica follows the ", options_.feed, " feed for ",
          options_.consumer,
          "; reset it through that replica (`carectl admin feeds` there "
          "says FOLLOWING)"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "this replica does not follow the ", options_.feed, " feed for ",
        options_.consumer, " now (it does not hold the lock ", role_.name(),
        "): reset it through the replica that follows (`carectl admin "
        "feeds` there says FOLLOWING), or here once this one does"));
  }
  absl::Status reset = ledger_->Reset(options_.feed, sequence, epoch);
  if (!reset.ok()) return reset;
  Log(absl::StrCat("reset by an administrator to sequence ", sequence,
                   epoch.empty() ? "" : absl::StrCat(" of epoch ", epoch)));
  absl::MutexLock lock(&mu_);
  ++generation_;
  considered_through_ = sequence;
  head_sequence_ = 0;
  oldest_pending_time_ = absl::InfinitePast();
  last_error_.clear();
  if (phase_ != ConsumerState::Phase::kStopped) {
    phase_ = ConsumerState::Phase::kConnecting;
  }
  // The subscription (or a watch of a replica that took the lock just now)
  // ends; a backoff under way ends at once.
  if (active_context_ != nullptr) active_context_->TryCancel();
  if (standby_context_ != nullptr) standby_context_->TryCancel();
  return absl::OkStatus();
}

}  // namespace carebridge
