#include "services/common/event_consumer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/status.h"
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

}  // namespace

EventConsumer::EventConsumer(Options options, ServiceCredentials* credentials,
                             const Clock* clock, ConsumerLedger* ledger,
                             StreamOpener open, Apply apply)
    : options_(std::move(options)),
      name_(absl::StrCat(options_.consumer, ".", options_.feed)),
      credentials_(credentials),
      clock_(clock),
      ledger_(ledger),
      open_(std::move(open)),
      apply_(std::move(apply)) {}

EventConsumer::~EventConsumer() { Stop(); }

void EventConsumer::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void EventConsumer::Stop() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    phase_ = ConsumerState::Phase::kStopped;
    // The context is alive while it is published here (FollowOnce clears
    // it under mu_ before it goes out of scope).
    if (active_context_ != nullptr) active_context_->TryCancel();
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
}

void EventConsumer::Log(absl::string_view text) const {
  LogLine(absl::StrCat(options_.consumer, "<-", options_.feed, ": ", text));
}

bool EventConsumer::Pause(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  return !mu_.AwaitWithTimeout(absl::Condition(&stopping_), delay);
}

void EventConsumer::Run() {
  absl::Duration backoff = options_.min_backoff;
  while (true) {
    bool progressed = false;
    absl::Status status = FollowOnce(&progressed);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      if (restart_) {
        // An administrator re-anchored the consumer: start again at once.
        restart_ = false;
        backoff = options_.min_backoff;
        continue;
      }
    }
    if (status.ok()) {
      // The producer ended the stream without an error: it should not (it
      // streams until cancelled), so resubscribe like after any disconnect.
      status = absl::UnavailableError("the feed ended the stream");
    }
    if (progressed) backoff = options_.min_backoff;
    // A producer that stays down, or reset, is retried ever more slowly.
    if (!Pause(backoff)) return;
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

absl::Status EventConsumer::FollowOnce(bool* progressed) {
  {
    // The position read next includes any reset made before this point.
    absl::MutexLock lock(&mu_);
    restart_ = false;
  }
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
    if (stopping_) return absl::OkStatus();
    active_context_ = &context;
  }
  SubscribeRequest request;
  request.set_after_sequence(position->sequence);
  for (const std::string& prefix : options_.type_prefixes) {
    request.add_type_prefixes(prefix);
  }
  std::unique_ptr<grpc::ClientReaderInterface<SubscribeResponse>> reader =
      open_(&context, request);

  absl::Status failed;
  ConsumerState::Phase failed_phase = ConsumerState::Phase::kRetrying;
  bool connected = false;
  SubscribeResponse response;
  while (failed.ok() && reader->Read(&response)) {
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
    for (const Event& event : response.events()) {
      {
        absl::MutexLock lock(&mu_);
        if (stopping_ || restart_) break;
      }
      absl::Status applied = ApplyOne(event);
      if (!applied.ok()) {
        failed = applied;
        break;
      }
      *progressed = true;
    }
    if (failed.ok()) {
      absl::MutexLock lock(&mu_);
      considered_through_ =
          std::max(considered_through_, response.through_sequence());
      if (considered_through_ >= head_sequence_) {
        oldest_pending_time_ = absl::InfinitePast();
      }
    }
  }
  if (!failed.ok()) {
    context.TryCancel();
    while (reader->Read(&response)) {
    }
  }
  grpc::Status finished = reader->Finish();
  {
    absl::MutexLock lock(&mu_);
    active_context_ = nullptr;
    if (stopping_ || restart_) return absl::OkStatus();
  }
  absl::Status status = failed;
  if (status.ok() && !finished.ok()) {
    absl::Status grpc_status = FromGrpcStatus(finished);
    status = absl::Status(
        grpc_status.code(),
        absl::StrCat(connected ? "disconnected: " : "cannot subscribe: ",
                     grpc_status.message()));
  }
  if (!status.ok()) NoteProblem(status, failed_phase);
  return status;
}

absl::Status EventConsumer::ApplyOne(const Event& event) {
  FeedPosition position;
  position.feed = options_.feed;
  position.sequence = event.sequence();
  absl::Duration backoff = options_.min_backoff;
  for (int attempt = 1;; ++attempt) {
    absl::Status applied = apply_(event, position);
    if (applied.ok()) {
      NoteApplied(event);
      return absl::OkStatus();
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
      absl::Status parked =
          ledger_->Park(options_.feed, event, reason, attempt, clock_->Now());
      if (!parked.ok()) {
        return absl::Status(
            parked.code(),
            absl::StrCat("parking event ", event.id(), ": ", parked.message()));
      }
      Log(absl::StrCat("PARKED event ", event.id(), " (", event.type(), " ",
                       event.subject(), ") after ", attempt,
                       " attempts: ", reason,
                       "; the feed goes on; see carectl admin feeds parked"));
      NoteApplied(event);
      return absl::OkStatus();
    }
    if (attempt == 1) {
      Log(absl::StrCat("could not apply event ", event.id(),
                       "; retrying: ", reason));
    }
    if (!Pause(backoff)) return absl::CancelledError("stopping");
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

void EventConsumer::NoteApplied(const Event& event) {
  int64_t seen = applied_through_.load();
  while (event.sequence() > seen &&
         !applied_through_.compare_exchange_weak(seen, event.sequence())) {
  }
  absl::MutexLock lock(&mu_);
  last_applied_time_ = clock_->Now();
  considered_through_ = std::max(considered_through_, event.sequence());
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
  state.lag_events = std::max<int64_t>(
      0, head_sequence_ - std::max(state.cursor, considered_through_));
  if (state.lag_events > 0) {
    absl::Time since = oldest_pending_time_ != absl::InfinitePast()
                           ? oldest_pending_time_
                           : head_time_;
    if (since != absl::InfinitePast()) {
      state.lag = std::max(now - since, absl::ZeroDuration());
    }
  }
  state.last_error = last_error_;
  state.last_error_time = last_error_time_;
  state.connected_since = connected_since_;
  state.last_applied_time = last_applied_time_;
  return state;
}

absl::Status EventConsumer::RetryParked(int64_t sequence,
                                        absl::string_view actor) {
  absl::StatusOr<ParkedEvent> parked =
      ledger_->GetParked(options_.feed, sequence);
  if (!parked.ok()) return parked.status();
  if (parked->state != ParkedState::kParked) {
    return absl::FailedPreconditionError(absl::StrCat(
        "event ", options_.feed, "/", sequence, " is not parked any more (",
        parked->state == ParkedState::kApplied ? "applied" : "dismissed", ")"));
  }
  FeedPosition position;
  position.feed = options_.feed;
  position.sequence = sequence;
  position.retried_by = std::string(actor);
  position.retry_time = clock_->Now();
  absl::Status applied = apply_(parked->event, position);
  if (applied.ok()) {
    Log(absl::StrCat("parked event ", parked->event.id(),
                     " applied on retry by ", actor));
    return absl::OkStatus();
  }
  const std::string reason = absl::StrCat(
      absl::StatusCodeToString(applied.code()), ": ", applied.message());
  absl::Status recorded =
      ledger_->RecordRetryFailure(options_.feed, sequence, reason);
  if (!recorded.ok()) return recorded;
  return absl::FailedPreconditionError(
      absl::StrCat("event ", options_.feed, "/", sequence,
                   " still cannot be applied; it stays parked: ", reason));
}

absl::Status EventConsumer::Reset(int64_t sequence, absl::string_view epoch) {
  absl::Status reset = ledger_->Reset(options_.feed, sequence, epoch);
  if (!reset.ok()) return reset;
  Log(absl::StrCat("reset by an administrator to sequence ", sequence,
                   epoch.empty() ? "" : absl::StrCat(" of epoch ", epoch)));
  absl::MutexLock lock(&mu_);
  restart_ = true;
  considered_through_ = sequence;
  head_sequence_ = 0;
  oldest_pending_time_ = absl::InfinitePast();
  last_error_.clear();
  if (phase_ != ConsumerState::Phase::kStopped) {
    phase_ = ConsumerState::Phase::kConnecting;
  }
  if (active_context_ != nullptr) active_context_->TryCancel();
  // A consumer waiting out a backoff wakes through restart_ on its next
  // look; a short one is acceptable for an administrator's action.
  return absl::OkStatus();
}

}  // namespace carebridge
