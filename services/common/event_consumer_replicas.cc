// EventConsumer among replicas of the consuming service: taking the
// consumer's lock, noticing it lost, and standing by (watching the feed
// without applying it, to tell how far behind the follower is).

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/event_consumer.h"
#include "services/common/status.h"
#include "services/common/time_util.h"

namespace carebridge {

using events::v1::Event;
using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;

void EventConsumer::WatchLock() {
  while (true) {
    bool watching = false;
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                               options_.standby_retry)) {
        return;
      }
      // Only a subscription or a watch needs ending; the lock is checked
      // outside mu_ (it may ask the database).
      watching = standby_context_ != nullptr;
      if (!watching && active_context_ == nullptr) continue;
    }
    if (watching) {
      // Standing by: once the follower lets the lock go, this replica takes
      // it and ends its watch, and Run follows from the shared cursor.
      absl::StatusOr<bool> claimed = role_.Claim();
      if (!claimed.ok() || !*claimed) continue;
      absl::MutexLock lock(&mu_);
      // The context is alive while it is published here.
      if (standby_context_ != nullptr) standby_context_->TryCancel();
      continue;
    }
    if (role_.Held()) continue;
    absl::MutexLock lock(&mu_);
    // The context is alive while it is published here.
    if (active_context_ != nullptr) active_context_->TryCancel();
  }
}

bool EventConsumer::ClaimFollowing(int64_t generation) {
  absl::StatusOr<bool> claimed = role_.Claim();
  if (claimed.ok() && *claimed) {
    if (standing_by_logged_) {
      Log("took over following the feed (no other replica holds it now)");
      standing_by_logged_ = false;
    }
    return true;
  }
  if (!claimed.ok()) {
    NoteProblem(absl::Status(claimed.status().code(),
                             absl::StrCat("taking the consumer's lock: ",
                                          claimed.status().message())),
                ConsumerState::Phase::kRetrying);
    Pause(options_.standby_retry, generation);
    return false;
  }
  {
    absl::MutexLock lock(&mu_);
    if (phase_ != ConsumerState::Phase::kStopped) {
      // What this replica saw while it followed says nothing of the
      // follower: nothing is live until the watch answers.
      if (phase_ != ConsumerState::Phase::kStandingBy) {
        standby_live_ = false;
        standby_pending_.clear();
        standby_through_ = 0;
      }
      phase_ = ConsumerState::Phase::kStandingBy;
    }
  }
  if (!standing_by_logged_) {
    Log(
        absl::StrCat("standing by: another replica follows the feed (it "
                     "holds the lock ",
                     role_.name(), "); watching the feed to tell its lag"));
    standing_by_logged_ = true;
  }
  WatchWhileStandingBy(generation);
  return false;
}

void EventConsumer::NoteStandbyProblem(const absl::Status& status) {
  const std::string text = absl::StrCat(
      "standing by; cannot tell how far the replica that follows is: ",
      status.ToString());
  {
    absl::MutexLock lock(&mu_);
    standby_live_ = false;
    last_error_ = text;
    last_error_time_ = clock_->Now();
  }
  if (text == last_logged_) return;
  last_logged_ = text;
  Log(text);
}

void EventConsumer::WatchWhileStandingBy(int64_t generation) {
  absl::StatusOr<ConsumerPosition> position = ledger_->Position(options_.feed);
  if (!position.ok()) {
    NoteStandbyProblem(absl::Status(
        position.status().code(),
        absl::StrCat("loading the cursor: ", position.status().message())));
    Pause(options_.standby_retry, generation);
    return;
  }
  grpc::ClientContext context;
  if (credentials_ != nullptr) credentials_->Apply(context);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || generation_ != generation) return;
    // Stop and WatchLock cancel it from here on.
    standby_context_ = &context;
  }
  SubscribeRequest request;
  request.set_after_sequence(position->sequence);
  for (const std::string& prefix : options_.type_prefixes) {
    request.add_type_prefixes(prefix);
  }
  std::unique_ptr<grpc::ClientReaderInterface<SubscribeResponse>> reader =
      open_(&context, request);

  absl::Status failed;
  // Left before the stream ended: stopped, failed, or the lock taken.
  bool left = false;
  bool answered = false;
  SubscribeResponse response;
  while (reader->Read(&response)) {
    // The follower would stop at a producer that was reset (CheckProducer);
    // so does what this replica tells of it.
    if ((!position->epoch.empty() && !response.epoch().empty() &&
         response.epoch() != position->epoch) ||
        response.head_sequence() < position->sequence) {
      failed = absl::FailedPreconditionError(absl::StrCat(
          "the ", options_.feed, " feed (epoch ", response.epoch(), ", head ",
          response.head_sequence(), ") is not the one the cursor ",
          position->sequence, " of epoch ", position->epoch,
          " belongs to; see the replica that follows"));
      left = true;
      break;
    }
    size_t noted = 0;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ || generation_ != generation) {
        left = true;
        break;
      }
      // A new watch delivers again what is above the cursor now.
      if (!answered) standby_pending_.clear();
      answered = true;
      head_sequence_ = response.head_sequence();
      producer_epoch_ = response.epoch();
      head_time_ = response.has_head_time()
                       ? FromProtoTimestamp(response.head_time())
                       : absl::InfinitePast();
      for (const Event& event : response.events()) {
        standby_pending_.emplace_back(event.sequence(),
                                      FromProtoTimestamp(event.time()));
      }
      standby_through_ = response.through_sequence();
      standby_live_ = true;
      last_error_.clear();
      noted = standby_pending_.size();
    }
    // The follower is far behind: read no more (the producer holds one
    // response for this stream meanwhile) until it has applied some of what
    // is noted, which then needs noting no more. The view is not updated
    // meanwhile; it says the follower is behind.
    while (!left && noted >= options_.standby_max_noted) {
      if (!Pause(options_.standby_retry, generation) || role_.Held()) {
        left = true;
        break;
      }
      absl::StatusOr<ConsumerPosition> now = ledger_->Position(options_.feed);
      if (!now.ok()) continue;
      absl::MutexLock lock(&mu_);
      while (!standby_pending_.empty() &&
             standby_pending_.front().first <= now->sequence) {
        standby_pending_.pop_front();
      }
      noted = standby_pending_.size();
    }
    if (left) break;
  }
  if (left) {
    context.TryCancel();
    while (reader->Read(&response)) {
    }
  }
  grpc::Status finished = reader->Finish();
  {
    absl::MutexLock lock(&mu_);
    standby_context_ = nullptr;
    if (stopping_ || generation_ != generation) return;
  }
  // WatchLock took the lock: follow at once.
  if (failed.ok() && role_.Held()) return;
  if (failed.ok()) {
    failed = finished.ok() ? absl::UnavailableError("the feed ended the stream")
                           : FromGrpcStatus(finished);
  }
  NoteStandbyProblem(failed);
  Pause(options_.standby_retry, generation);
}

}  // namespace carebridge
